"""Single sign-on with OpenID Connect against a tiny fake provider on 127.0.0.1."""

from __future__ import annotations

import time
import uuid
import warnings
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlparse

import authlib.deprecate
import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from pydantic import ValidationError
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route

from api.app import create_app
from tests.serving import serve
from tests.web.conftest import TestClient, web_settings
from workflow.change_history import history
from workflow.tables import Person

with warnings.catch_warnings():
    # authlib 1.9 warns at import that its httpx integration moves to httpx2; it works.
    warnings.simplefilter("ignore")
    import authlib.integrations.starlette_client  # noqa: F401

CLIENT_ID = "iro-disputes-test"
OID = "00000000-0000-0000-0000-0000000000aa"
IRO_GROUP = "6f1d0c2e-1111-4c3b-9a55-000000000001"
HOS_GROUP = "6f1d0c2e-2222-4c3b-9a55-000000000002"


class FakeProvider:
    """Just enough of an OpenID provider: discovery, authorize, token, JWKS."""

    def __init__(self, email: str) -> None:
        self.email = email
        self.extra: dict[str, object] = {"email_verified": True}
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self.nonces: dict[str, str] = {}
        self.base = ""

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/authorize", self.authorize),
            Route("/token", self.token, methods=["POST"]),
            Route("/jwks", self.jwks),
        ])  # fmt: skip

    async def discovery(self, request: Request) -> JSONResponse:
        b = self.base
        return JSONResponse({"issuer": b, "authorization_endpoint": f"{b}/authorize", "token_endpoint": f"{b}/token",
                             "jwks_uri": f"{b}/jwks", "response_types_supported": ["code"],
                             "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"]})  # fmt: skip

    async def authorize(self, request: Request) -> RedirectResponse:
        code = uuid.uuid4().hex
        self.nonces[code] = request.query_params.get("nonce", "")
        target = (
            request.query_params["redirect_uri"]
            + "?"
            + urlencode({"code": code, "state": request.query_params["state"]})
        )
        return RedirectResponse(target, status_code=302)

    async def token(self, request: Request) -> JSONResponse:
        form = await request.form()
        code = str(form.get("code"))
        now = int(time.time())
        claims = {"iss": self.base, "sub": "u-1", "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                  "nonce": self.nonces.pop(code, ""), "email": self.email, **self.extra}  # fmt: skip
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key)
        return JSONResponse(
            {"access_token": "at", "token_type": "Bearer", "id_token": id_token, "expires_in": 300}
        )

    async def jwks(self, request: Request) -> JSONResponse:
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    fake = FakeProvider("IRO@council.test")
    with serve(fake.app()) as base:
        fake.base = base
        yield fake


def _sso(
    runtime, tmp_path, provider: FakeProvider, **settings: str
) -> tuple[TestClient, httpx.Response]:
    app = create_app(runtime, web_settings(tmp_path, IRO_DISPUTES_OIDC_METADATA_URL=f"{provider.base}/.well-known/openid-configuration",
                                           IRO_DISPUTES_OIDC_CLIENT_ID=CLIENT_ID, IRO_DISPUTES_OIDC_CLIENT_SECRET="s3cret",
                                           **settings))  # fmt: skip
    client = TestClient(app)
    assert "Sign in with your council account" in client.get("/sign-in").text
    start = client.get("/sign-in/oidc", follow_redirects=False)
    assert start.status_code == 302 and start.headers["location"].startswith(
        f"{provider.base}/authorize"
    )
    back = httpx.get(start.headers["location"], follow_redirects=False).headers["location"]
    query = parse_qs(urlparse(back).query)
    done = client.get("/sign-in/oidc/callback", params={"code": query["code"][0], "state": query["state"][0]},
                      follow_redirects=False)  # fmt: skip
    return client, done


def test_single_sign_on_matches_the_person_by_email(runtime, people, provider, tmp_path):
    client, done = _sso(runtime, tmp_path, provider)
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert "Imogen Reviewer" in client.get("/").text


def test_single_sign_on_refuses_someone_not_set_up(runtime, people, provider, tmp_path):
    provider.email = "stranger@elsewhere.test"
    client, done = _sso(runtime, tmp_path, provider)
    assert done.status_code == 403 and "not set up for this service" in done.text
    assert client.get("/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    "extra",
    [{}, {"email_verified": False}, {"preferred_username": "iro@council.test"}],
    ids=["no-verification", "unverified", "username-only"],
)
def test_single_sign_on_never_matches_an_unverified_claim(
    runtime, people, provider, tmp_path, extra
):
    provider.extra = extra
    if "preferred_username" in extra:
        provider.email = ""
    client, done = _sso(runtime, tmp_path, provider)
    assert done.status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 303


def test_entra_domain_verified_email_is_accepted(runtime, people, provider, tmp_path):
    provider.extra = {"xms_edov": True}
    _, done = _sso(runtime, tmp_path, provider)
    assert done.status_code == 303


def _person(runtime, person_id: int) -> Person:
    with Session(runtime.engine) as session:
        person = session.get(Person, person_id)
        assert person is not None
        return person


def test_the_directory_object_id_is_stored_and_then_matched(runtime, people, provider, tmp_path):
    provider.extra = {"email_verified": True, "oid": OID}
    _, done = _sso(runtime, tmp_path, provider)
    assert done.status_code == 303
    assert _person(runtime, people.council.iro).directory_object_id == OID
    # Their email changed in the directory and is not vouched for: the oid still finds them.
    provider.email, provider.extra = "imogen.reviewer@council.test", {"oid": OID}
    client, done = _sso(runtime, tmp_path, provider)
    assert done.status_code == 303 and "Imogen Reviewer" in client.get("/").text


def test_an_object_id_never_linked_by_a_verified_email_finds_nobody(
    runtime, people, provider, tmp_path
):
    provider.extra = {"oid": OID}  # the email is not vouched for
    _, done = _sso(runtime, tmp_path, provider)
    assert done.status_code == 403
    assert _person(runtime, people.council.iro).directory_object_id is None


def test_an_email_linked_to_another_directory_account_is_refused(
    runtime, people, provider, tmp_path
):
    provider.extra = {"email_verified": True, "oid": OID}
    assert _sso(runtime, tmp_path, provider)[1].status_code == 303
    # The address has passed to a new directory account (a new starter with a reused name).
    provider.extra = {"email_verified": True, "oid": "00000000-0000-0000-0000-0000000000bb"}
    client, done = _sso(runtime, tmp_path, provider)
    assert done.status_code == 403 and "different council account" in done.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_directory_groups_set_the_role(runtime, people, provider, tmp_path):
    groups = f"{HOS_GROUP}=head_of_service,{IRO_GROUP}=iro"
    provider.extra = {"email_verified": True, "oid": OID, "groups": [IRO_GROUP, HOS_GROUP]}
    _, done = _sso(runtime, tmp_path, provider, IRO_DISPUTES_OIDC_GROUP_ROLES=groups)
    assert done.status_code == 303
    assert _person(runtime, people.council.iro).role == "head_of_service"  # first listed wins
    with Session(runtime.engine) as session:
        changes = [(c.field, c.before, c.after, by) for c, by in
                   history(session, "person", people.council.iro)]  # fmt: skip
    assert changes == [("Role", "IRO", "Head of Service", "")]
    provider.extra = {"oid": OID, "groups": [IRO_GROUP]}
    _sso(runtime, tmp_path, provider, IRO_DISPUTES_OIDC_GROUP_ROLES=groups)
    assert _person(runtime, people.council.iro).role == "iro"


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"groups": ["some-other-group"]}, "not in a directory group"),
        ({"_claim_names": {"groups": "src1"}}, "too many directory groups"),
    ],
    ids=["no-mapped-group", "group-overage"],
)
def test_without_a_mapped_group_sign_in_is_refused(
    runtime, people, provider, tmp_path, claims, message
):
    provider.extra = {"email_verified": True, "oid": OID, **claims}
    client, done = _sso(
        runtime, tmp_path, provider, IRO_DISPUTES_OIDC_GROUP_ROLES=f"{IRO_GROUP}=iro"
    )
    assert done.status_code == 403 and message in done.text
    assert client.get("/", follow_redirects=False).status_code == 303
    assert _person(runtime, people.council.iro).role == "iro"


def test_a_group_mapping_naming_an_unknown_role_is_refused(tmp_path):
    with pytest.raises(ValidationError, match="IRO_DISPUTES_OIDC_GROUP_ROLES"):
        web_settings(tmp_path, IRO_DISPUTES_OIDC_GROUP_ROLES=f"{IRO_GROUP}=wizard")
