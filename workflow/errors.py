"""Precise domain errors. `api` maps each class to an HTTP status in one place."""

from __future__ import annotations


class DomainError(Exception):
    """Base for every error the workflow raises on purpose."""


class NotFound(DomainError):
    def __init__(self, what: str, key: object) -> None:
        self.what, self.key = what, key
        super().__init__(f"No {what} found for {key!r}")


class TransitionNotAllowed(DomainError):
    """The action is not one the challenge's current state allows."""

    def __init__(self, reference: str, action: str, state: str, reason: str = "") -> None:
        self.reference, self.action, self.state, self.reason = reference, action, state, reason
        message = f"Challenge {reference}: '{action}' is not allowed while it is '{state}'"
        super().__init__(f"{message}: {reason}" if reason else message)


class RuleViolation(DomainError):
    """The action is allowed in this state, but the ladder or the input forbids it."""

    def __init__(self, reference: str, action: str, problem: str, field: str | None = None) -> None:
        self.reference, self.action, self.problem, self.field = reference, action, problem, field
        super().__init__(f"Challenge {reference}: cannot {action.replace('_', ' ')}: {problem}")


class NotPermitted(DomainError):
    def __init__(self, person: str, action: str, reference: str) -> None:
        self.person, self.action, self.reference = person, action, reference
        super().__init__(f"{person} may not {action.replace('_', ' ')} challenge {reference}")


class NoResponder(DomainError):
    """Nobody can answer at a stage: no holder of the posts, nor a fallback, nor a deputy."""

    def __init__(
        self,
        reference: str,
        stage: str,
        stage_name: str = "",
        missing: tuple[str, ...] = (),
        role: str = "",
    ) -> None:
        self.reference, self.stage, self.stage_name = reference, stage, stage_name or stage
        self.missing = missing or (stage,)
        self.role = role or stage  # the stage's first post, as before posts existed
        on = "" if reference == "(new)" else f" on challenge {reference}"
        super().__init__(
            f"Nobody can answer at {self.stage_name}{on}: no {' nor '.join(self.missing)} "
            "could be found (nor a deputy for one who is away). Ask an administrator to "
            "allocate the child a social worker or fill the post, or start at another stage."
        )


class ConcurrentUpdate(DomainError):
    """Someone else changed the challenge between our read and our write."""

    def __init__(self, reference: str, expected_version: int) -> None:
        self.reference, self.expected_version = reference, expected_version
        super().__init__(
            f"Challenge {reference} was changed by someone else while you were working on it "
            f"(expected version {expected_version}); reload it and try again"
        )


class LadderChanged(DomainError):
    def __init__(self, reference: str, ladder_id: str, recorded: str, current: str) -> None:
        super().__init__(
            f"Challenge {reference} started under ladder '{ladder_id}' version {recorded[:12]}, "
            f"but that version is not available (current {current[:12]}); keep the old ladder file"
        )


class LogPageOutOfReach(DomainError):
    """A log page asked for by a number too deep to count to, or by a cursor that is not one."""

    def __init__(self, problem: str, field: str = "page") -> None:
        self.problem, self.field = problem, field
        super().__init__(problem)
