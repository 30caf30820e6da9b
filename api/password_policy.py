"""The password rules, after NCSC guidance: length over complexity, and no password that
is common, breached or easy to guess.

At least 12 characters; long passphrases welcome (up to 256, a bound only so hashing a
huge value cannot be used to tie up the server); no rules about symbols or digits.
Refused: any password in the list of 30,000 common and breached passwords that ships
with `zxcvbn`, and anything `zxcvbn` judges guessable (score below 3: about 10^8 guesses
or fewer, e.g. "Password1234", keyboard walks, repeats, or the person's own name).
"""

from __future__ import annotations

from functools import lru_cache

MIN_LENGTH = 12
MAX_LENGTH = 256
MIN_SCORE = 3


class WeakPassword(ValueError):
    """A password the rules refuse; the message is written for the person choosing it."""


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    # zxcvbn is imported when a password is first checked, not when every web process starts.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def check_password(password: str, personal: tuple[str, ...] = ()) -> None:
    """Raise WeakPassword saying why, or return if the password may be used."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Your password must be {MIN_LENGTH} characters or more")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Your password must be {MAX_LENGTH} characters or fewer")
    if password.lower() in _common():
        raise WeakPassword("Your password is on a list of common passwords. Choose another")
    # zxcvbn judges at most 72 characters; a longer passphrase is judged by its start.
    from zxcvbn import zxcvbn

    verdict = zxcvbn(password[:72], user_inputs=[p for p in personal if p])
    if verdict["score"] < MIN_SCORE:
        hint = str(verdict["feedback"].get("warning") or "It is too easy to guess").rstrip(".")
        raise WeakPassword(
            f"Choose a password that is harder to guess: {hint}. Try three or more random words"
        )
