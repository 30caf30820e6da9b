"""The web fixtures (people, app, signed-in clients) for the operations tests."""

from tests.web.conftest import (  # noqa: F401  (fixtures, found by name)
    anonymous,
    app,
    login,
    people,
    raised,
    token_for,
)
