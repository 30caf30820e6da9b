from escalation_rules import RESPONDER_ROLES, PersonView, Role, find_in_line, responder_for

SW, TM, DUTY_TM, HOS = 1, 2, 3, 4


def people(*views: PersonView) -> dict[int, PersonView]:
    return {v.id: v for v in views}


def structure(**changes) -> dict[int, PersonView]:
    base = {
        SW: PersonView(SW, Role.SOCIAL_WORKER, TM, None, False),
        TM: PersonView(TM, Role.TEAM_MANAGER, HOS, DUTY_TM, False),
        DUTY_TM: PersonView(DUTY_TM, Role.TEAM_MANAGER, HOS, None, False),
        HOS: PersonView(HOS, Role.HEAD_OF_SERVICE, None, None, False),
    }
    for name, view in changes.items():
        base[{"sw": SW, "tm": TM, "duty": DUTY_TM, "hos": HOS}[name]] = view
    return base


def test_the_start_person_counts():
    assert find_in_line(Role.SOCIAL_WORKER, SW, structure()) == SW


def test_walks_up_the_line():
    assert find_in_line(Role.TEAM_MANAGER, SW, structure()) == TM
    assert find_in_line(Role.HEAD_OF_SERVICE, SW, structure()) == HOS
    assert find_in_line(Role.SENIOR_MANAGER, SW, structure()) is None


def test_unknown_start():
    assert find_in_line(Role.TEAM_MANAGER, 99, structure()) is None
    assert responder_for(Role.TEAM_MANAGER, 99, structure()) is None


def test_inactive_people_are_passed_over():
    gone = PersonView(TM, Role.TEAM_MANAGER, HOS, DUTY_TM, False, active=False)
    assert find_in_line(Role.TEAM_MANAGER, SW, structure(tm=gone)) is None
    assert find_in_line(Role.HEAD_OF_SERVICE, SW, structure(tm=gone)) == HOS


def test_manager_cycle_ends():
    looped = people(
        PersonView(SW, Role.SOCIAL_WORKER, TM, None, False),
        PersonView(TM, Role.TEAM_MANAGER, SW, None, False),
    )
    assert find_in_line(Role.HEAD_OF_SERVICE, SW, looped) is None
    self_managed = people(PersonView(SW, Role.SOCIAL_WORKER, SW, None, False))
    assert find_in_line(Role.TEAM_MANAGER, SW, self_managed) is None


def test_present_responder_answers():
    assert responder_for(Role.TEAM_MANAGER, SW, structure()) == TM


def test_deputy_answers_when_absent():
    away = PersonView(TM, Role.TEAM_MANAGER, HOS, DUTY_TM, True)
    assert responder_for(Role.TEAM_MANAGER, SW, structure(tm=away)) == DUTY_TM


def test_deputies_are_followed():
    away = PersonView(TM, Role.TEAM_MANAGER, HOS, DUTY_TM, True)
    duty_away = PersonView(DUTY_TM, Role.TEAM_MANAGER, HOS, HOS, True)
    assert responder_for(Role.TEAM_MANAGER, SW, structure(tm=away, duty=duty_away)) == HOS


def test_inactive_deputy_is_passed_over():
    away = PersonView(TM, Role.TEAM_MANAGER, HOS, DUTY_TM, True)
    duty_gone = PersonView(DUTY_TM, Role.TEAM_MANAGER, HOS, HOS, False, active=False)
    assert responder_for(Role.TEAM_MANAGER, SW, structure(tm=away, duty=duty_gone)) == HOS


def test_absent_without_deputy_is_nobody():
    away = PersonView(TM, Role.TEAM_MANAGER, HOS, None, True)
    assert responder_for(Role.TEAM_MANAGER, SW, structure(tm=away)) is None


def test_deputy_cycle_ends():
    away = PersonView(TM, Role.TEAM_MANAGER, HOS, DUTY_TM, True)
    duty_away = PersonView(DUTY_TM, Role.TEAM_MANAGER, HOS, TM, True)
    assert responder_for(Role.TEAM_MANAGER, SW, structure(tm=away, duty=duty_away)) is None


def test_unknown_deputy_is_nobody():
    away = PersonView(TM, Role.TEAM_MANAGER, HOS, 42, True)
    assert responder_for(Role.TEAM_MANAGER, SW, structure(tm=away)) is None


def test_responder_roles():
    assert Role.IRO not in RESPONDER_ROLES
    assert Role.SERVICE_MANAGER in RESPONDER_ROLES
