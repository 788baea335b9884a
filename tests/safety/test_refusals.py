"""Finding 11: a refused caller gets the reason code and nothing else; the detail stays in the store."""

from __future__ import annotations

import base64
import json
import time
import urllib.request
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa

from tests.auth.authkit import RsaKey
from tests.conftest import SAMPLES
from tests.safety.serving import Serve, hookdev, http, request

TOKEN = (SAMPLES / "token.json").read_bytes()


def refused(serve: Serve, authorization: str) -> tuple[dict, str]:
    status, headers, body = http(serve.address, request(
        "POST", "/tokenHook", TOKEN, "Content-Type: application/json", f"Authorization: {authorization}"))
    assert status == 401
    return json.loads(body), headers["x-hookdev-exchange"]


def detail(cwd: Path, exchange_id: str) -> str:
    shown = hookdev(cwd, "show", exchange_id, "--json")
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)["auth"]["detail"]


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_basic_refusals_do_not_say_which_half_was_wrong(tmp_path: Path) -> None:
    (tmp_path / "hookdev.toml").write_text('[auth]\nmode = "basic"\nusername = "hooks"\npassword = "s3cret-pw"\n')
    with Serve(tmp_path, ["--json"]) as serve:
        wrong_password, id1 = refused(serve, basic("hooks", "guess"))
        wrong_user, id2 = refused(serve, basic("admin", "s3cret-pw"))
        missing, _ = refused(serve, "Bearer x.y.z")
    assert wrong_password == wrong_user == {"error": "unauthorized", "reason": "bad_credentials"}
    assert missing == {"error": "unauthorized", "reason": "malformed"}
    # The developer still reads which half was wrong.
    assert "password" in detail(tmp_path, id1) and "username" in detail(tmp_path, id2)


def test_oauth_refusals_name_no_issuer_key_set_or_key_id(tmp_path: Path) -> None:
    (tmp_path / "hookdev.toml").write_text('[auth]\nmode = "oauth"\n')
    with Serve(tmp_path, ["--json"]) as serve:
        issuer = serve.url + "/oauth2/default"
        # A real token of the local server, to learn the kid a stranger should not be told about.
        form = b"grant_type=client_credentials&scope=okta.hooks"
        token_request = urllib.request.Request(issuer + "/v1/token", data=form, headers={
            "Authorization": basic("okta-hooks", "hookdev-local-secret"),
            "Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(token_request, timeout=20) as resp:
            real = json.loads(resp.read())["access_token"]
        real_kid = json.loads(base64.urlsafe_b64decode(real.split(".")[0] + "=="))["kid"]

        stranger = RsaKey("stranger-kid", rsa.generate_private_key(public_exponent=65537, key_size=2048))
        now = int(time.time())
        claims = {"iss": issuer, "aud": "api://default", "exp": now + 600, "iat": now, "cid": "x", "scp": ["y"]}
        answers = {
            "unknown_kid": refused(serve, "Bearer " + stranger.sign(claims)),
            "wrong_issuer": refused(serve, "Bearer " + stranger.sign({**claims, "iss": "https://evil.example/o"})),
            "bad_signature": refused(serve, "Bearer " + stranger.sign(claims, kid=real_kid)),
        }
    for reason, (body, exchange_id) in answers.items():
        assert body == {"error": "unauthorized", "reason": reason}
        text = json.dumps(body)
        assert issuer not in text and real_kid not in text and "/v1/keys" not in text
        assert detail(tmp_path, exchange_id)  # what to fix is recorded for the developer
    assert issuer in detail(tmp_path, answers["wrong_issuer"][1]) and real_kid in detail(
        tmp_path, answers["bad_signature"][1])



def test_header_refusals_say_only_the_reason(tmp_path: Path) -> None:
    (tmp_path / "hookdev.toml").write_text('[auth]\nmode = "header"\nheader = "X-Hook-Key"\nsecret = "k-93jd8Qe"\n')
    with Serve(tmp_path, ["--json"]) as serve:
        def answer(*extra: str, method: str = "POST", body: bytes = TOKEN) -> tuple[int, bytes]:
            status, _, got = http(serve.address, request(method, "/tokenHook", body, "Content-Type: application/json",
                                                         *extra))
            return status, got

        missing, wrong = answer(), answer("X-Hook-Key: k-93jd8Qf")
        not_json = answer("X-Hook-Key: k-93jd8Qf", body=b"{not json")  # auth first: nothing about the body
        assert answer("X-Hook-Key: k-93jd8Qe") == (204, b"")
    assert (missing[0], json.loads(missing[1])) == (401, {"error": "unauthorized", "reason": "missing"})
    for status, body in (wrong, not_json):
        assert (status, json.loads(body)) == (401, {"error": "unauthorized", "reason": "bad_credentials"})
    exchanges = [e for e in serve.json_lines() if e.get("event") == "exchange"]
    assert "X-Hook-Key" in exchanges[0]["auth"]["detail"]  # the detail, for the developer only
