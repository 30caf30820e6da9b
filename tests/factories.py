"""Build small, believable councils for tests, straight into the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from workflow.services import InformalDiscussion, NewChallenge
from workflow.tables import Child, Person, Team


@dataclass
class Council:
    """Ids of one line of management and two children, by role."""

    senior_manager: int
    head_of_service: int
    team_manager: int
    social_worker: int
    iro: int
    other_iro: int
    deputy_team_manager: int
    children: dict[str, int] = field(default_factory=dict)


def build_council(engine: Engine) -> Council:
    with Session(engine) as s:
        team = Team(name="Children in Care Team 1", service_area="Children Looked After")
        s.add(team)
        s.flush()

        def person(email: str, name: str, role: str, manager: int | None = None) -> int:
            p = Person(email=email, name=name, role=role, team_id=team.id, manager_id=manager)
            s.add(p)
            s.flush()
            assert p.id is not None
            return p.id

        ad = person("ad@council.test", "Ada Director", "senior_manager")
        hos = person("hos@council.test", "Hugh Service", "head_of_service", ad)
        tm = person("tm@council.test", "Tara Manager", "team_manager", hos)
        dtm = person("dtm@council.test", "Dev Duty", "team_manager", hos)
        sw = person("sw@council.test", "Sam Worker", "social_worker", tm)
        iro = person("iro@council.test", "Imogen Reviewer", "iro")
        iro2 = person("iro2@council.test", "Omar Reviewer", "iro")
        tm_row = s.get(Person, tm)
        assert tm_row is not None
        tm_row.deputy_id = dtm
        children = {}
        for ref, status in (("LL1001", "looked_after"), ("LL1002", "child_in_need")):
            child = Child(
                case_reference=ref,
                display_name=f"Child {ref}",
                legal_status=status,
                social_worker_id=sw,
                iro_id=iro,
            )
            s.add(child)
            s.flush()
            assert child.id is not None
            children[ref] = child.id
        s.commit()
    return Council(ad, hos, tm, sw, iro, iro2, dtm, children)


def informal(on: date, agreed_by: date | None = None) -> InformalDiscussion:
    return InformalDiscussion(
        discussed_with="Sam Worker (social worker)",
        discussed_on=on,
        agreed_actions="Book the health assessment",
        agreed_by=agreed_by or on + timedelta(days=7),
    )


def new_challenge(
    at: datetime, formal: bool = True, stage: str | None = None, child: str = "LL1001"
) -> NewChallenge:
    return NewChallenge(
        child_reference=child,
        theme_key="health_assessments",
        what_is_wrong="The review decided on a health assessment by 1 November; none is booked.",
        impact_on_child="Her asthma is not being monitored.",
        outcome_wanted="Assessment booked within 10 working days.",
        review_date=at.date() - timedelta(days=30),
        formal=formal,
        stage=stage,
        informal=informal(at.date() - timedelta(days=14), at.date() - timedelta(days=1)),
    )


# A signing secret a production start accepts (as `secrets.token_urlsafe(48)` makes).
STRONG_SECRET_KEY = "_S2W2o0pkvGcB7PKnjPZYfM2Ttr9HezDvgC8ORzWoDgFXHtJuUlvYBrcXmT9aoNr"
