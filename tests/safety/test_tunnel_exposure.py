"""Finding 1: no tunnel opens behind auth none or a published credential; `init` writes credentials nobody knows;
an Okta issuer leaves the local authorization server unmounted.

A stranger is played through the public URL of the ngrok stand-in (tests/fake_ngrok), which relays to the serve.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from tests import fake_ngrok
from tests.conftest import SAMPLES
from tests.safety.serving import Serve, clean_env, hookdev, http, request, wait_for

TOKEN = (SAMPLES / "token.json").read_bytes()
GUIDE_PAIR = "Authorization: Basic " + base64.b64encode(b"admin:supersecret").decode()
BUILT_IN_CLIENT = "Authorization: Basic " + base64.b64encode(b"okta-hooks:hookdev-local-secret").decode()


def tunnel_config(tmp_path: Path, extra: str = "", tunnel: str = "") -> Path:
    """hookdev.toml with the stand-in agent, `extra` and `tunnel` settings; the file the agent writes a line to
    when it runs."""
    agent = fake_ngrok.install(tmp_path / "bin")
    (tmp_path / "hookdev.toml").write_text(
        f'{extra}\n[tunnel]\nauthtoken = "2abcTOKENsecret_0123456789"\nngrok_path = "{agent}"\n{tunnel}\n')
    return tmp_path / "agent-runs.jsonl"


def notices(serve: Serve, level: str) -> list[str]:
    return [e["message"] for e in serve.json_lines() if e.get("event") == "notice" and e["level"] == level]


def tunnel_line(serve: Serve) -> dict | None:
    return next((e for e in serve.json_lines() if e.get("event") == "tunnel"), None)


def public_address(public_url: str) -> tuple[str, int]:
    host, port = public_url.split("://", 1)[1].rsplit(":", 1)
    return host, int(port)


def post(address: tuple[str, int], *headers: str, path: str = "/tokenHook") -> int:
    return http(address, request("POST", path, TOKEN, "Content-Type: application/json", *headers))[0]


@pytest.mark.parametrize("auth, names, local", [
    ("", ["'supersecret'", "PASSWORD in .env"], 204),                                    # the built-in defaults
    ('[auth]\nmode = "none"', ["mode is 'none'"], 204),
    ('[auth]\nmode = "basic"\nusername = "ops"\npassword = "supersecret"', ["'supersecret'"], 401),
    ('[auth]\nmode = "oauth"', ["'okta-hooks'", "'hookdev-local-secret'", "[[authserver.clients]]"], 401),
], ids=["guide-pair", "none", "guide-password", "built-in-client"])
def test_no_tunnel_opens_behind_a_published_credential(tmp_path: Path, auth: str, names: list[str],
                                                       local: int) -> None:
    runs = tunnel_config(tmp_path, auth)
    env = clean_env(FAKE_NGROK_RECORD=str(runs))
    with Serve(tmp_path, ["--json", "--tunnel"], env=env) as serve:
        [refusal] = wait_for(lambda: notices(serve, "error"), "the notice that the tunnel stays closed")
        assert refusal.startswith("no tunnel: ") and "--insecure-tunnel" in refusal and serve.url in refusal
        assert all(name in refusal for name in names), refusal
        assert post(serve.address, GUIDE_PAIR) == local  # the local receiver runs and checks calls as before
        assert tunnel_line(serve) is None
    assert not runs.exists(), "the agent was started"
    assert not (tmp_path / ".hookdev" / "ngrok.pid").exists()


@pytest.mark.parametrize("how", ["flag", "setting"])
def test_insecure_tunnel_opens_anyway_with_a_warning(tmp_path: Path, how: str) -> None:
    tunnel_config(tmp_path, tunnel="allow_insecure = true" if how == "setting" else "")
    args = ["--json", "--tunnel"] + (["--insecure-tunnel"] if how == "flag" else [])
    with Serve(tmp_path, args) as serve:
        opened = wait_for(lambda: tunnel_line(serve), "the tunnel line")
        [warning] = wait_for(lambda: notices(serve, "warning"), "the warning")
        assert opened["public_url"] in warning and "'supersecret'" in warning
        assert post(public_address(opened["public_url"]), GUIDE_PAIR) == 204  # as the flag asked: open
    assert not notices(serve, "error")


def test_an_init_project_opens_its_tunnel_and_only_the_pasted_secret_gets_in(tmp_path: Path) -> None:
    made = hookdev(tmp_path, "init", "token")
    assert made.returncode == 0, made.stderr
    printed = made.stdout.decode()
    [secret] = re.findall(r"^  (Basic \S+)$", printed, re.MULTILINE)  # what to paste as the Authentication secret
    assert "authorization" in printed and "PASSWORD=supersecret" not in (tmp_path / ".env").read_text()
    user, password = base64.b64decode(secret.split()[1]).decode().split(":", 1)
    assert (user, len(password)) == ("admin", 24) and f"PASSWORD={password}\n" in (tmp_path / ".env").read_text()
    again = tmp_path / "again"
    assert hookdev(tmp_path, "init", "token", "--dir", str(again)).returncode == 0
    assert password not in (again / ".env").read_text()  # made at random each time

    config = (tmp_path / "hookdev.toml").read_text()
    agent = fake_ngrok.install(tmp_path / "bin")
    (tmp_path / "hookdev.toml").write_text(config + f'\n[tunnel]\nauthtoken = "2abcTOKEN_1"\nngrok_path = "{agent}"\n')
    with Serve(tmp_path, ["--json", "--tunnel"]) as serve:
        public = public_address(wait_for(lambda: tunnel_line(serve), "the tunnel line")["public_url"])
        assert post(public, GUIDE_PAIR) == 401  # the stranger's guess
        assert post(public, f"Authorization: {secret}") == 200  # Okta, with what init said to paste
    assert not notices(serve, "error") and not notices(serve, "warning")


def test_an_okta_issuer_leaves_the_local_authorization_server_unmounted(tmp_path: Path) -> None:
    tunnel_config(tmp_path, '[auth]\nmode = "oauth"\nissuer = "https://dev-123456.okta.com/oauth2/default"\n'
                            'client_id = "0oa1hookclient"')
    with Serve(tmp_path, ["--json", "--tunnel"]) as serve:
        public = public_address(wait_for(lambda: tunnel_line(serve), "the tunnel line")["public_url"])
        form = b"grant_type=client_credentials&scope=okta.hooks"
        status, headers, body = http(public, request(
            "POST", "/oauth2/default/v1/token", form, "Content-Type: application/x-www-form-urlencoded",
            BUILT_IN_CLIENT))
        assert status == 401 and json.loads(body) == {"error": "unauthorized", "reason": "malformed"}
        assert "x-hookdev-exchange" in headers  # a hook call like any other, refused: no token endpoint here
        status, _, body = http(public, request("GET", "/oauth2/default/v1/keys"))
        assert status == 401 and b"keys" not in body
    assert not notices(serve, "error")
