"""A second factor for local accounts: TOTP (RFC 6238, any authenticator app) with ten
single-use recovery codes, through `pyotp`.

A code is accepted once: the time step of the last accepted code is kept and an older
or equal step is refused, so a code seen over someone's shoulder cannot be replayed.
Recovery codes are random and stored as SHA-256 digests, like API tokens.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import pyotp
from pyotp.utils import strings_equal
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.account_tables import RecoveryCode, SecondFactor
from api.sessions import digest

RECOVERY_CODES = 10
ISSUER = "IRO challenges"


def new_secret() -> str:
    return pyotp.random_base32()


def setup_uri(secret: str, email: str, issuer: str = ISSUER) -> str:
    """The otpauth:// address an authenticator app takes (typed in or as a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def _step(secret: str, code: str, now: datetime) -> int | None:
    """The time step `code` belongs to (one step of clock drift either way), or None."""
    code = "".join(code.split())
    totp = pyotp.TOTP(secret)
    here = totp.timecode(now)
    for step in (here, here - 1, here + 1):
        if strings_equal(code, totp.generate_otp(step)):
            return step
    return None


def enrol(
    engine: Engine, person_id: int, secret: str, code: str, now: datetime
) -> list[str] | None:
    """Save the authenticator if `code` proves the person has it; returns fresh recovery
    codes to show once, or None when the code is wrong."""
    step = _step(secret, code, now)
    if step is None:
        return None
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
    with Session(engine) as session:
        row = session.get(SecondFactor, person_id) or SecondFactor(
            person_id=person_id, totp_secret=secret, enrolled_at=now
        )
        row.totp_secret, row.enrolled_at, row.last_step = secret, now, step
        session.add(row)
        for old in session.exec(select(RecoveryCode).where(RecoveryCode.person_id == person_id)):
            session.delete(old)
        for plain in codes:
            session.add(RecoveryCode(person_id=person_id, code_hash=digest(plain)))
        session.commit()
    return codes


def has_second_factor(engine: Engine, person_id: int) -> bool:
    with Session(engine) as session:
        return session.get(SecondFactor, person_id) is not None


def check_code(engine: Engine, person_id: int, code: str, now: datetime) -> bool:
    """A current authenticator code not used before, or an unused recovery code."""
    with Session(engine) as session:
        factor = session.get(SecondFactor, person_id)
        if factor is None:
            return False
        step = _step(factor.totp_secret, code, now)
        if step is not None and step > factor.last_step:
            factor.last_step = step
            session.add(factor)
            session.commit()
            return True
        recovery = session.exec(
            select(RecoveryCode).where(
                RecoveryCode.person_id == person_id,
                RecoveryCode.code_hash == digest(code.strip().lower()),
                col(RecoveryCode.used_at).is_(None),
            )
        ).first()
        if recovery is None:
            return False
        recovery.used_at = now
        session.add(recovery)
        session.commit()
        return True


def remove(engine: Engine, person_id: int) -> None:
    """Take the second factor away (an admin, when a phone is lost); the person sets it up
    again at their next sign-in if the council requires one."""
    with Session(engine) as session:
        factor = session.get(SecondFactor, person_id)
        if factor is not None:
            session.delete(factor)
        for old in session.exec(select(RecoveryCode).where(RecoveryCode.person_id == person_id)):
            session.delete(old)
        session.commit()
