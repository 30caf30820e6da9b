"""Answers typed in colour into Outlook's quoted message, and what is not one."""

from __future__ import annotations

import pytest

from notifications.coloured_answers import coloured_answers, is_answer_colour
from notifications.reply_cleaning import clean_reply

SEPARATOR = (
    '<div id="appendonsend"></div><hr><div id="divRplyFwdMsg"><b>From:</b> IRO disputes'
    "<br><b>Sent:</b> 2 December 2026 10:00</div>"
)


@pytest.mark.parametrize(
    ("colour", "answer"),
    [
        ("#0070C0", True), ("rgb(255, 0, 0)", True), ("red", True), ("#1F497D", True),
        ("#00B050", True), ("#c00", True),
        ("black", False), ("windowtext", False), ("#000000", False), ("#0b0c0c", False),
        ("#505A5F", False), ("rgb(0, 0, 0)", False), ("gray", False), ("#7F7F7F", False),
    ],
)  # fmt: skip
def test_a_colour_picked_to_stand_out_is_an_answer_black_and_greys_are_not(colour, answer):
    assert is_answer_colour(colour) is answer


def test_a_top_posted_reply_over_a_message_with_a_coloured_link_is_not_inline():
    html = (
        "<p>Booked for 10/12/2026.</p>" + SEPARATOR + '<p style="color:#0b0c0c">What is wrong</p>'
        '<p><a href="https://x.test/r/1" style="color:#1d70b8"><b>Answer this challenge</b>'
        "</a></p>"
    )
    assert coloured_answers(html) is None


def test_colour_above_the_separator_is_a_signature_not_an_inline_answer():
    html = '<p>Booked.</p><p style="color:#0070C0">Sam Worker | Social Worker</p>' + SEPARATOR
    assert coloured_answers(html) is None


def test_an_answer_in_the_same_paragraph_as_the_question_is_split_from_it():
    html = (
        SEPARATOR + "<p>Is the assessment booked? "
        '<span style="color:#0070C0">[Sam Worker] Yes, for 10 December.</span></p>'
        "<p>Who attends?</p>"
    )
    text = coloured_answers(html)
    assert text is not None
    assert clean_reply(text) == "> Is the assessment booked?\n\nYes, for 10 December."


def test_a_name_in_brackets_is_taken_off_only_at_the_start_of_an_answer():
    html = (
        SEPARATOR + "<p>Who attends?</p>"
        '<p style="color:red">[Jo Bloggs: the SW and the carer [both confirmed]]</p>'
    )
    assert clean_reply(coloured_answers(html) or "") == (
        "> Who attends?\n\nthe SW and the carer [both confirmed]"
    )
