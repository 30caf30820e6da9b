"""The web fixtures (people, app, signed-in clients) for the operations tests."""

from tests.notifications.conftest import mail_settings  # noqa: F401  (a fixture)
from tests.web.conftest import (  # noqa: F401  (fixtures, found by name)
    anonymous,
    app,
    login,
    people,
    raised,
    token_for,
)
