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
    def __init__(self, reference: str, role: str) -> None:
        self.reference, self.role = reference, role
        super().__init__(
            f"Challenge {reference}: nobody holds the role '{role}' in the line management "
            "of the child's social worker (nor a deputy); update the people records"
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
