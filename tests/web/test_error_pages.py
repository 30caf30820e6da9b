"""The 403 and 404 pages speak to the person's role and offer only places they can open."""

from __future__ import annotations

import re

import pytest


def _where_to_go(html: str) -> list[str]:
    found = re.search(r'data-testid="where-to-go">(.*?)</ul>', html, re.S)
    return re.findall(r'href="([^"]+)"', found.group(1)) if found else []


@pytest.mark.parametrize(
    ("email", "url", "status", "words"),
    [
        ("sw@council.test", "/log", 403, "addressed to you"),
        ("smt@council.test", "/admin", 403, "read the reports"),
        ("iro@council.test", "/admin", 403, "children you are the IRO for"),
        ("iro2@council.test", "/challenges/IRO-2099-0001", 404, "children you are the IRO for"),
        ("tm@council.test", "/no-such-page", 404, "addressed to you"),
    ],
)
def test_error_pages_say_what_the_role_can_open_and_where_to_go(login, email, url, status, words):
    browser = login(email)
    page = browser.get(url)
    assert page.status_code == status
    scope = re.search(r'data-testid="scope">(.*?)</p>', page.text, re.S)
    assert scope is not None and words in scope.group(1)
    places = _where_to_go(page.text)
    assert places, "an error page must offer somewhere to go"
    for href in places:
        assert browser.get(href).status_code == 200, href


def test_a_stranger_is_offered_the_sign_in(anonymous):
    page = anonymous.get("/no-such-page")
    assert page.status_code == 404 and 'href="/sign-in"' in page.text
