"""People sign in through a real OpenID provider (oidc-provider in its own node process) to
the platform under uvicorn, both on 127.0.0.1: discovery, the whole login through the
provider's forms, the session, logout here and at the provider, key rotation, and every way
the provider's answer may not prove who signs in."""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from lienthong.config import Settings
from lienthong.signin import signed_in
from lienthong.signin.provider import ClientSettings
from lienthong.signin.provider import Provider as SignInProvider
from lienthong.signin.views import SESSION_COOKIE, STATE_COOKIE
from tests.signin.harness import (
    CITIZEN,
    CLIENT_ID,
    Provider,
    Served,
    browser,
    free_port,
    needs_provider,
    new_signing_key,
    provider,
    serve,
    signin_settings,
)

pytestmark = needs_provider


def audit(engine: Engine, prefix: str = "signin.") -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT body FROM audit_entries ORDER BY seq"))
        found = [json.loads(body) for (body,) in rows]
    return [entry for entry in found if entry["action"].startswith(prefix)]


def session_rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM signin_sessions ORDER BY id"))
        return [dict(row._mapping) for row in rows]


def test_a_citizen_signs_in_through_the_provider_and_the_session_says_who(
    platform: Served, idp: Provider, engine: Engine
) -> None:
    with browser(platform.url) as person:
        started = person.app("GET", "/signin/login")
        assert started.status_code == 302
        sent = urlsplit(started.headers["location"])
        query = {k: v[0] for k, v in parse_qs(sent.query).items()}
        assert f"{sent.scheme}://{sent.netloc}{sent.path}" == f"{idp.issuer}/auth"  # discovered
        assert query["response_type"] == "code" and query["client_id"] == CLIENT_ID
        assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
        assert query["nonce"] and query["state"] == person.cookies[STATE_COOKIE]
        assert query["scope"] == "openid profile personal_id"

        callback = person.app(
            "GET", person.at_provider(started.headers["location"], CITIZEN, platform.url)
        )
        assert callback.status_code == 303, callback.text
        assert callback.headers["location"] == "/console/"
        assert person.prompts == ["login", "consent"]
        [cookie] = [c for c in person.set_cookies if c.startswith(f"{SESSION_COOKIE}=")]
        attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert {"secure", "httponly", "samesite=lax", "path=/"} <= attributes
        assert STATE_COOKIE not in person.cookies  # used once

        me = person.app("GET", "/signin/me")
        assert me.status_code == 200, me.text
        body = me.json()
    assert body["issuer"] == idp.issuer and body["subject"] == CITIZEN
    assert body["personal_id"] == CITIZEN  # from userinfo: not in the ID token
    assert body["name"] == f"Người dùng {CITIZEN}"
    assert "nonce" not in body["claims"] and "at_hash" not in body["claims"]

    value = person.cookies[SESSION_COOKIE]
    [row] = session_rows(engine)
    assert row["token_hash"] == hashlib.sha256(value.encode()).hexdigest()
    assert value not in json.dumps(row, default=str)
    with Session(engine) as session:
        who = signed_in(session, value)
        assert who is not None and who.personal_id == CITIZEN and who.subject == CITIZEN
        assert signed_in(session, value + "x") is None and signed_in(session, None) is None

    [entry] = audit(engine)
    assert entry["action"] == "signin.signed-in"
    assert entry["actor"] == {"kind": "person", "issuer": idp.issuer, "subject": CITIZEN}
    assert value not in json.dumps(entry) and query["state"] not in json.dumps(entry)
    assert CITIZEN not in json.dumps({k: v for k, v in entry.items() if k != "actor"})


def test_logout_ends_the_session_here_and_at_the_provider(
    platform: Served, idp: Provider, engine: Engine
) -> None:
    with browser(platform.url) as person:
        assert person.sign_in().status_code == 303
        first = person.cookies[SESSION_COOKIE]
        again = person.sign_in()  # the provider remembers the person: no login, no consent
        assert again.status_code == 303 and person.prompts == ["login", "consent"]
        old = person.cookies[SESSION_COOKIE]
        assert old != first

        out = person.app("POST", "/signin/logout")
        assert out.status_code == 303, out.text
        at_provider = urlsplit(out.headers["location"])
        assert f"{at_provider.scheme}://{at_provider.netloc}{at_provider.path}" == (
            f"{idp.issuer}/session/end"
        )
        assert parse_qs(at_provider.query) == {
            "client_id": [CLIENT_ID],
            "post_logout_redirect_uri": [f"{platform.url}/signin/me"],
        }
        assert SESSION_COOKIE not in person.cookies
        refused = person.app("GET", "/signin/me", headers={"cookie": f"{SESSION_COOKIE}={old}"})
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "not-signed-in"

        back = person.at_provider(out.headers["location"], CITIZEN, f"{platform.url}/signin/me")
        assert back.startswith(f"{platform.url}/signin/me")
        assert person.prompts[-1] == "logout"
        person.prompts.clear()
        assert person.sign_in().status_code == 303
        assert person.prompts[0] == "login"  # the provider's session ended too

    revoked = [row for row in session_rows(engine) if row["revoked_at"] is not None]
    assert len(revoked) == 1
    actions = [entry["action"] for entry in audit(engine)]
    assert actions == ["signin.signed-in"] * 2 + ["signin.signed-out", "signin.denied"] + [
        "signin.signed-in"
    ]
    with Session(engine) as session:  # one session ended; the other browser tab's lives on
        assert signed_in(session, old) is None and signed_in(session, first) is not None


def test_the_callback_is_refused_without_this_browsers_state_and_only_once(
    platform: Served, engine: Engine
) -> None:
    with browser(platform.url) as person:
        started = person.app("GET", "/signin/login")
        callback = person.at_provider(started.headers["location"], CITIZEN, platform.url)
        with browser(platform.url) as stranger:  # the link sent to someone else (login CSRF)
            foreign = stranger.app("GET", callback)
        assert foreign.status_code == 401
        assert foreign.json()["error"]["code"] == "signin-refused"
        assert person.app("GET", callback).status_code == 303
        person.cookies[STATE_COOKIE] = parse_qs(urlsplit(callback).query)["state"][0]
        replay = person.app("GET", callback)
        assert replay.status_code == 401 and replay.json()["error"]["code"] == "signin-refused"
    refusals = [e for e in audit(engine) if e["action"] == "signin.refused"]
    assert [e["reason"] for e in refusals] == ["state", "state"]
    assert len(session_rows(engine)) == 1


def test_keys_rotated_at_the_provider_are_fetched_again(
    platform: Served, idp: Provider, engine: Engine
) -> None:
    with browser(platform.url) as person:
        assert person.sign_in().status_code == 303
    signin = platform.app.state.signin
    first_kid = idp.key["kid"]
    assert [k.kid for k in signin.key_set()] == [first_kid] and signin.key_fetches == 1

    idp.restart(key=new_signing_key())  # a new key, the old one gone
    with browser(platform.url) as person:
        answer = person.sign_in()
        assert answer.status_code == 303, answer.text
        assert person.app("GET", "/signin/me").status_code == 200
    assert [k.kid for k in signin.key_set()] == [idp.key["kid"]] != [first_kid]
    assert signin.key_fetches == 2
    assert len(session_rows(engine)) == 2


def test_refused_when_the_provider_goes_down_mid_sign_in(
    platform: Served, idp: Provider, engine: Engine
) -> None:
    with browser(platform.url, **{"accept-language": "en-GB,en;q=0.8"}) as person:
        started = person.app("GET", "/signin/login")
        callback = person.at_provider(started.headers["location"], CITIZEN, platform.url)
        idp.stop()
        answer = person.app("GET", callback)
    assert answer.status_code == 502
    error = answer.json()["error"]
    assert error["code"] == "signin-provider-unavailable"
    assert error["message"].startswith("The identity provider cannot be reached")
    assert session_rows(engine) == []
    [refused] = audit(engine)
    assert refused["action"] == "signin.refused" and refused["issuer"] == idp.issuer
    assert refused["outcome"] == "signin-provider-unavailable"


def test_an_expired_id_token_is_refused(
    settings: Settings, engine: Engine, tmp_path: Path, app_port: int
) -> None:
    url = f"http://127.0.0.1:{app_port}"
    # A provider whose clock is ten minutes behind issues one-minute ID tokens that expired
    # long before they arrive (beyond the minute of leeway for clocks that differ).
    with (
        provider(tmp_path, url, clock_offset_seconds=-600, id_token_ttl_seconds=60) as late,
        serve(signin_settings(settings, url, late.issuer), engine, app_port) as platform,
        browser(platform.url) as person,
    ):
        answer = person.sign_in()
        assert answer.status_code == 401, answer.text
        assert answer.json()["error"]["code"] == "signin-refused"
        assert "Đăng nhập không thành công" in answer.json()["error"]["message"]
        assert person.app("GET", "/signin/me").status_code == 401
    assert session_rows(engine) == []
    assert [(e["action"], e["reason"]) for e in audit(engine) if "reason" in e] == [
        ("signin.refused", "expired")
    ]


def test_a_provider_advertising_another_issuer_is_refused(
    settings: Settings, engine: Engine, tmp_path: Path, app_port: int
) -> None:
    url = f"http://127.0.0.1:{app_port}"
    # Its discovery document names an issuer other than the one configured (and the one its
    # tokens carry): OpenID Connect Discovery says to use nothing it says.
    with (
        provider(tmp_path, url, advertised_issuer="https://sso.example.gov.vn") as lying,
        serve(signin_settings(settings, url, lying.issuer), engine, app_port) as platform,
        browser(platform.url) as person,
    ):
        refused = person.app("GET", "/signin/login")
    assert refused.status_code == 502
    assert refused.json()["error"]["code"] == "signin-provider-unavailable"
    assert [(e["action"], e["reason"]) for e in audit(engine)] == [
        ("signin.refused", "wrong-issuer")
    ]


class _Garbage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html><body>Trang dang bao tri</body></html>"
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        return


def test_refused_when_no_provider_answers_or_it_answers_garbage(
    settings: Settings, engine: Engine, app_port: int
) -> None:
    url = f"http://127.0.0.1:{app_port}"
    nobody = f"http://127.0.0.1:{free_port()}"
    garbage_server = ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
    threading.Thread(target=garbage_server.serve_forever, daemon=True).start()
    garbage = f"http://127.0.0.1:{garbage_server.server_address[1]}"
    try:
        with serve(signin_settings(settings, url, nobody), engine, app_port) as platform:
            with browser(platform.url) as person:
                down = person.app("GET", "/signin/login")
            with browser(platform.url, **{"accept-language": "en"}) as person:
                english = person.app("GET", "/signin/login")
            at_garbage = signin_settings(settings, url, garbage)
            platform.app.state.signin = SignInProvider(ClientSettings.of(at_garbage))
            with browser(platform.url) as person:
                html = person.app("GET", "/signin/login")
    finally:
        garbage_server.shutdown()
    for answer in (down, english, html):
        assert answer.status_code == 502, answer.text
        assert answer.json()["error"]["code"] == "signin-provider-unavailable"
        assert STATE_COOKIE not in answer.headers.get("set-cookie", "")
    assert down.json()["error"]["message"].startswith("Không kết nối được")
    assert english.json()["error"]["message"].startswith("The identity provider cannot")
    assert [e["outcome"] for e in audit(engine)] == ["signin-provider-unavailable"] * 3
    assert session_rows(engine) == []


def test_sign_in_is_off_without_an_issuer(client: Any) -> None:
    for method, path in [("GET", "/signin/login"), ("GET", "/signin/callback")]:
        answer = client.request(method, path)
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "signin-off"
    assert client.post("/signin/logout").json()["error"]["code"] == "signin-off"
    assert client.get("/signin/me").json()["error"]["code"] == "not-signed-in"
