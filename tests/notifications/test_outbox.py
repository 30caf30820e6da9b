"""Messages from events: written with the event, one per recipient, never doubled."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from api.wiring import build
from notifications.messages import on_events
from notifications.settings import use_settings
from notifications.tables import LinkToken, MailAlert, OutboxMessage
from tests.factories import new_challenge
from tests.notifications.conftest import outbox
from workflow.services import raise_challenge, take_action
from workflow.settings import WorkflowSettings
from workflow.states import Action
from workflow.tables import Person


def _respond(runtime, challenge, actor, now):
    with runtime.uow() as uow:
        return take_action(
            uow, challenge.reference, Action.RESPOND, actor,
            {"response": "Booked.", "actions": "Assessment on 9 Dec", "target_date": "2026-12-09"},
            now,
        )  # fmt: skip


def test_raise_writes_one_message_to_the_responder(runtime, raised, council, mail_settings):
    rows = outbox(runtime)
    assert len(rows) == 1
    row = rows[0]
    assert row.to_address == "sw@council.test"
    assert row.recipient_id == council.social_worker
    assert row.kind == "stage_opened"
    assert row.subject.startswith(f"[{raised.reference}] ")
    assert row.event_seq == 1 and row.challenge_id == raised.id
    assert row.status == "pending"
    assert row.headers["Auto-Submitted"] == "auto-generated"
    assert row.headers["X-Auto-Response-Suppress"] == "All"
    assert row.headers["Reply-To"].startswith("disputes+")
    assert row.headers["Reply-To"].endswith("@council.test")
    assert row.message_id.startswith("<iro-disputes.") and row.message_id.endswith("@council.test>")
    assert "https://disputes.council.test/respond/" in row.body_text
    assert "Actions:" in row.body_text and "Target date:" in row.body_text
    # The convention is optional: a reply without a date is still recorded (issue 10).
    for body in (row.body_text, row.body_html):
        assert "Without a target date your answer is still recorded" in body
        assert "cannot be recorded" not in body
    assert 'href="https://disputes.council.test/respond/' in row.body_html
    # Managers see the case reference, never the child's name.
    assert "LL1001" in row.body_text
    assert "Child LL1001" not in row.body_text and "Child LL1001" not in row.body_html
    assert row.secrets and row.secrets[0] in row.body_text


def test_tokens_are_stored_hashed(runtime, raised):
    row = outbox(runtime)[0]
    token = row.secrets[0]
    with Session(runtime.engine) as s:
        tokens = list(s.exec(select(LinkToken)))
    assert {t.purpose for t in tokens} == {"link", "reply"}
    assert all(token not in t.token_hash for t in tokens)
    assert all(len(t.token_hash) == 64 for t in tokens)


def test_replayed_listener_writes_nothing_more(runtime, raised):
    challenge = raised
    with runtime.uow() as uow:
        # The same (challenge, events) again, as a retried listener would see them.
        from workflow.domain import NewEvent

        events = uow.challenges.events(challenge.id)
        replay = [
            NewEvent(e.kind, e.occurred_at, e.actor_id, e.from_state, e.to_state, e.stage_key,
                     e.changes, e.details)
            for e in events
        ]  # fmt: skip
        on_events(uow.session, [(uow.challenges.get(challenge.reference), replay)])
        uow.session.commit()
    assert len(outbox(runtime)) == 1


def test_response_goes_to_the_iro_with_the_childs_name(runtime, raised, council, now):
    _respond(runtime, raised, council.social_worker, now + timedelta(hours=1))
    rows = outbox(runtime, kind="response_received")
    assert [r.to_address for r in rows] == ["iro@council.test"]
    assert "Child LL1001" in rows[0].body_text  # IROs see the name
    assert "Booked." in rows[0].body_text and "2026-12-09" in rows[0].body_text


def test_the_stage_ending_expires_its_tokens(runtime, raised, council, now):
    assert outbox(runtime)[0].secrets  # the sender composed the social worker's email
    with runtime.uow() as uow:
        take_action(uow, raised.reference, Action.ESCALATE, council.iro, {"reason": "x"}, now)
    with Session(runtime.engine) as s:
        tokens = list(s.exec(select(LinkToken).where(LinkToken.stage_key == "social_worker")))
    assert tokens and all(t.expires_at <= now + timedelta(minutes=5) for t in tokens)
    assert [r.to_address for r in outbox(runtime, kind="stage_opened")] == [
        "sw@council.test",
        "tm@council.test",
    ]


def test_resolved_goes_to_everyone_involved(runtime, raised, council, now):
    later = now + timedelta(hours=1)
    with runtime.uow() as uow:
        take_action(uow, raised.reference, Action.ESCALATE, council.iro, {}, later)
    _respond(runtime, raised, council.team_manager, later)
    with runtime.uow() as uow:
        take_action(
            uow, raised.reference, Action.ACCEPT, council.iro,
            {"outcome_kind": "plan_updated", "outcome": "Assessment booked", "impact": "Asthma monitored"}, later,
        )  # fmt: skip
    rows = outbox(runtime, kind="resolved")
    assert sorted(r.to_address for r in rows) == [
        "iro@council.test",
        "sw@council.test",
        "tm@council.test",
    ]
    assert all("Assessment booked" in r.body_text for r in rows)


def test_the_ladder_copies_the_roles_it_names(engine, council, now, mail_settings):
    runtime = build(WorkflowSettings(IRO_DISPUTES_LADDER="darlington"), engine=engine)
    with runtime.uow() as uow:
        challenge = raise_challenge(uow, new_challenge(now, stage="team_manager"), council.iro, now)
    rows = outbox(runtime)
    assert {(r.to_address, r.copied) for r in rows} == {
        ("tm@council.test", False),
        ("hos@council.test", True),
    }
    copy = next(r for r in rows if r.copied)
    assert "/respond/" not in copy.body_text  # only the responder gets an answer link
    assert copy.subject.startswith(f"[{challenge.reference}] Copy:")


def test_an_absent_responder_s_deputy_gets_the_message(runtime, council, now, mail_settings):
    with Session(runtime.engine) as s:
        tm = s.get(Person, council.team_manager)
        tm.absent = True
        s.add(tm)
        s.commit()
    with runtime.uow() as uow:
        raise_challenge(uow, new_challenge(now, stage="team_manager"), council.iro, now)
    assert [r.to_address for r in outbox(runtime)] == ["dtm@council.test"]


def test_a_council_can_override_a_template(runtime, council, now, mail_settings, tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "stage_opened.subject.txt").write_text("[{{ c.reference }}] Bromley: please answer")
    use_settings(mail_settings.model_copy(update={"mail_templates_dir": folder}))
    with runtime.uow() as uow:
        challenge = raise_challenge(uow, new_challenge(now), council.iro, now)
    row = outbox(runtime)[0]
    assert row.subject == f"[{challenge.reference}] Bromley: please answer"
    assert "What is wrong" in row.body_text  # the other templates are still the bundled ones


def test_a_broken_template_alerts_an_admin_and_never_blocks_the_challenge(
    runtime, council, now, mail_settings, tmp_path
):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "stage_opened.subject.txt").write_text("{{ c.no_such_thing }}")
    use_settings(mail_settings.model_copy(update={"mail_templates_dir": folder}))
    with runtime.uow() as uow:
        challenge = raise_challenge(uow, new_challenge(now), council.iro, now)
    assert challenge.version == 1
    # The sender finds the template broken: that message fails, nothing is sent.
    assert [(r.status, r.subject) for r in outbox(runtime)] == [("failed", "")]
    with Session(runtime.engine) as s:
        alerts = list(s.exec(select(MailAlert)))
    assert [a.kind for a in alerts] == ["template_error"]
    assert "stage_opened" in alerts[0].message and alerts[0].outbox_id is not None


def test_an_email_composed_after_its_stage_ended_carries_no_answer_link(
    runtime, raised, council, now
):
    with runtime.uow() as uow:  # escalated before the sender took the first email
        take_action(uow, raised.reference, Action.ESCALATE, council.iro, {"reason": "x"}, now)
    first, second = outbox(runtime, kind="stage_opened")[:2]
    assert first.to_address == "sw@council.test" and second.to_address == "tm@council.test"
    assert first.secrets == [] and "/respond/" not in first.body_text
    assert first.headers["Reply-To"] == "disputes@council.test"  # no reply token either
    assert "Social worker" in first.body_text or "social worker" in first.body_text.lower()
    assert second.secrets and "/respond/" in second.body_text


def test_a_batch_of_messages_is_written_as_one_at_a_time_writes_it_and_never_doubled(
    runtime, council, now
):
    """A sweep's batch (more rows than an action makes) takes the batch statement (over arrays
    on PostgreSQL): the same rows as the action's path wrote, due still to be composed, and a
    replay of the batch writes nothing more."""
    from workflow.domain import NewEvent

    with runtime.uow() as uow:
        refs = [raise_challenge(uow, new_challenge(now, stage="social_worker"), council.iro, now)
                .reference for _ in range(12)]  # fmt: skip

    def written() -> list[tuple]:  # as written, before the sender composes it
        with Session(runtime.engine) as s:
            return sorted((r.dedupe_key, r.kind, r.challenge_id, r.event_seq, r.recipient_id,
                           r.to_address, r.copied, r.status, r.attempts, r.headers, r.secrets,
                           r.subject, r.body_text, r.due) for r in s.exec(select(OutboxMessage)))  # fmt: skip

    one_at_a_time = written()
    assert len(one_at_a_time) == 12 and all(r[-1] is not None for r in one_at_a_time)
    with Session(runtime.engine) as s:
        for row in s.exec(select(OutboxMessage)):
            s.delete(row)
        s.commit()
    for _ in range(2):  # the second time, every row is already there
        with runtime.uow() as uow:
            appended = []
            for ref in refs:
                challenge = uow.challenges.get(ref)
                replay = [NewEvent(e.kind, e.occurred_at, e.actor_id, e.from_state, e.to_state,
                                   e.stage_key, e.changes, e.details)
                          for e in uow.challenges.events(challenge.id)]  # fmt: skip
                appended.append((challenge, replay))
            on_events(uow.session, appended)
            uow.session.commit()
        assert written() == one_at_a_time
    assert len(outbox(runtime)) == 12  # and the sender composes every one
