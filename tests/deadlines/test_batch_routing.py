"""A unit of work searches each stage's responder once per case: the same answers as a
fresh search for every challenge, across absences, deputies, vacancies and skipped posts."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from escalation_rules.responders import Found
from tests.factories import Council
from workflow.directory import Directory
from workflow.runtime import Runtime
from workflow.tables import Child, Person


def _people(engine: Engine, council: Council) -> list[Child]:
    """Children whose lines differ: the council's (its team manager away, a deputy acting),
    a second line whose manager is present, a third whose team manager is away with
    nobody acting (the search skips to the next post), and a child with no social worker."""
    with Session(engine, expire_on_commit=False) as s:

        def person(name: str, role: str, manager: int | None, **extra: object) -> int:
            p = Person(email=f"{name}@council.test", name=name, role=role,
                       manager_id=manager, **extra)  # fmt: skip
            s.add(p)
            s.flush()
            assert p.id is not None
            return p.id

        present_tm = person("present.tm", "team_manager", council.head_of_service)
        present_sw = person("present.sw", "social_worker", present_tm)
        away_tm = person("away.tm", "team_manager", council.head_of_service, absent=True)
        away_sw = person("away.sw", "social_worker", away_tm)
        tm = s.get(Person, council.team_manager)
        assert tm is not None
        tm.absent = True  # the council's deputy team manager acts
        children = []
        for ref, worker in (("R1", council.social_worker), ("R2", present_sw),
                            ("R3", away_sw), ("R4", None), ("R5", council.social_worker)):  # fmt: skip
            child = Child(case_reference=ref, display_name=ref, legal_status="looked_after",
                          social_worker_id=worker, iro_id=council.iro)  # fmt: skip
            s.add(child)
            children.append(child)
        s.commit()
    return children


def test_a_shared_directory_routes_as_a_fresh_search_for_each_challenge(
    runtime: Runtime, council: Council
) -> None:
    children = _people(runtime.engine, council)
    ladder = runtime.ladders.current
    asked = [(stage, child) for _ in range(2) for stage in ladder.stages for child in children]
    with Session(runtime.engine) as session:
        shared = Directory(session)
        batched = [shared.route(ladder, stage, child, council.iro) for stage, child in asked]
        fresh = [Directory(session).route(ladder, stage, child, council.iro)
                 for stage, child in asked]  # fmt: skip
    assert batched == fresh
    got = {(stage.key, child.case_reference): _who(found)
           for (stage, child), found in zip(asked, fresh, strict=True)}  # fmt: skip
    c = council
    sw, tm, dtm, hos, ad = c.social_worker, c.team_manager, c.deputy_team_manager, c.head_of_service, c.senior_manager  # fmt: skip
    # R1 and R5 share a line: the deputy acts for the away team manager. R3's away team
    # manager has nobody acting: not found. R4 has no social worker: nobody up a line, the
    # Head of Service stage falls back to the council's senior manager.
    assert {k: v for k, v in got.items() if k[1] in ("R1", "R5")} == {
        (s, r): v for r in ("R1", "R5") for s, v in (
            ("social_worker", (sw, sw, 0)), ("team_manager", (tm, dtm, 0)),
            ("head_of_service", (hos, hos, 0)), ("senior_manager", (ad, ad, 0)))
    }  # fmt: skip
    assert got["team_manager", "R2"] is not None and got["team_manager", "R2"][0] not in (tm, dtm)
    assert got["team_manager", "R3"] is None
    assert got["social_worker", "R4"] is None and got["team_manager", "R4"] is None
    assert got["head_of_service", "R4"] == (ad, ad, 2)
    assert got["senior_manager", "R4"] == (ad, ad, 1)


def _who(found: Found | None) -> tuple[int, int, int] | None:
    return None if found is None else (found.responder_id, found.acting_id, found.fallback)
