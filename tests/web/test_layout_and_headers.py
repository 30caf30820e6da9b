"""The council-branded layout, the vendored assets and the security headers."""

from __future__ import annotations

from api.app import STATIC_DIR


def test_security_headers_on_pages_api_assets_and_errors(anonymous, people):
    for url in (
        "/sign-in",
        "/api/v1/challenges",
        "/static/app.css",
        "/assets/images/favicon.ico",
        "/no-such-page",
        "/healthz",
    ):
        headers = anonymous.get(url).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self';" in csp and "unsafe-inline" not in csp, url
        assert "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"


def test_api_docs_allow_only_their_own_inline_script(anonymous):
    response = anonymous.get("/docs")
    assert response.status_code == 200 and "swagger" in response.text.lower()
    csp = response.headers["content-security-policy"]
    assert "'sha256-" in csp and "unsafe-inline" not in csp


def test_layout_is_the_councils_not_govuk(anonymous):
    html = anonymous.get("/sign-in").text
    assert "Darlington Borough Council" in html
    assert "govuk-header__logotype" not in html and "crown" not in html.lower()
    assert "<script>" not in html  # no inline script at all
    assert '<script type="module" src="/static/app.mjs">' in html
    assert "#00703c" in anonymous.get("/brand.css").text


def test_vendored_css_has_no_gds_transport_font():
    css = (STATIC_DIR / "govuk" / "govuk-frontend.min.css").read_text()
    assert "GDS Transport" not in css and "@font-face" not in css
    assert "font-family:arial,sans-serif" in css
    assert not (STATIC_DIR / "govuk" / "assets" / "fonts").exists()


def test_healthz_still_answers(anonymous):
    assert anonymous.get("/healthz").json() == {"status": "ok"}
