"""The weekly digest: due once a week, caught up after downtime, per Head of Service's area."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from api.jobs import JobContext
from api.jobs.mail import weekly_digest
from notifications.schedule import monthly_moment, week_key, weekly_moment
from tests.factories import new_challenge
from tests.notifications.conftest import outbox
from workflow.services import raise_challenge
from workflow.tables import Child, Person, Team

LONDON_SUMMER = datetime(2026, 7, 8, 12, 0, tzinfo=UTC)  # Wed 8 Jul 2026, BST


def test_the_scheduled_moments_are_london_time() -> None:
    assert weekly_moment(LONDON_SUMMER, "mon", 8) == datetime(2026, 7, 6, 7, 0, tzinfo=UTC)
    assert weekly_moment(LONDON_SUMMER, "fri", 8) == datetime(2026, 7, 10, 7, 0, tzinfo=UTC)
    # 23:30 UTC on Sunday 5 July is 00:30 on Monday 6 July in London: week 28, not 27.
    assert week_key(datetime(2026, 7, 5, 23, 30, tzinfo=UTC)) == "2026-W28"
    assert monthly_moment(LONDON_SUMMER, 1, 7) == datetime(2026, 7, 1, 6, 0, tzinfo=UTC)


def test_a_digest_missed_while_the_worker_was_down_goes_once_on_start(
    runtime, council, now, mail_settings
) -> None:
    with runtime.uow() as uow:
        raise_challenge(uow, new_challenge(now), council.iro, now)
    monday_early = datetime(2026, 12, 14, 7, 59, tzinfo=UTC)  # GMT: 07:59 London
    weekly_digest(JobContext(runtime, monday_early))
    assert outbox(runtime, kind="digest") == []  # not due until 08:00
    # The worker was down all Monday; it starts on Wednesday: the week's digest goes then.
    wednesday = monday_early + timedelta(days=2)
    weekly_digest(JobContext(runtime, wednesday))
    weekly_digest(JobContext(runtime, wednesday + timedelta(minutes=15)))  # the next check
    assert [m.to_address for m in outbox(runtime, kind="digest")] == ["hos@council.test"]
    weekly_digest(JobContext(runtime, monday_early + timedelta(days=7)))  # before next Monday's
    assert len(outbox(runtime, kind="digest")) == 1
    weekly_digest(JobContext(runtime, monday_early + timedelta(days=7, minutes=1)))
    assert len(outbox(runtime, kind="digest")) == 2


def test_each_head_of_service_gets_their_own_service_area(
    runtime, council, now, mail_settings
) -> None:
    with Session(runtime.engine) as s:
        team = Team(name="Care Leavers Team", service_area="Leaving Care")
        s.add(team)
        s.flush()
        head = Person(email="lc-head@council.test", name="Lena Head", role="head_of_service",
                      team_id=team.id)  # fmt: skip
        sw = Person(email="sue@council.test", name="Sue Caseworker", role="social_worker",
                    team_id=team.id)  # fmt: skip
        s.add_all([head, sw])
        s.flush()
        s.add(Child(case_reference="LL1003", display_name="Child LL1003",
                    legal_status="looked_after", social_worker_id=sw.id, iro_id=council.iro))  # fmt: skip
        s.commit()
    with runtime.uow() as uow:
        looked_after = raise_challenge(uow, new_challenge(now), council.iro, now)
        leaving = raise_challenge(uow, new_challenge(now, child="LL1003"), council.iro, now)
    weekly_digest(JobContext(runtime, datetime(2026, 12, 14, 8, 0, tzinfo=UTC)))
    digests = {m.to_address: m for m in outbox(runtime, kind="digest")}
    assert set(digests) == {"hos@council.test", "lc-head@council.test"}
    hugh, lena = digests["hos@council.test"].body_text, digests["lc-head@council.test"].body_text
    assert looked_after.reference in hugh and leaving.reference not in hugh
    assert leaving.reference in lena and looked_after.reference not in lena
    assert "in Leaving Care" in lena and "in Children Looked After" in hugh
    assert digests["lc-head@council.test"].subject.startswith("IRO challenges this week: 1 open")
