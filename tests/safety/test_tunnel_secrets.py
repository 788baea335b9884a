"""Findings 12 (agent environment) and 13 (authtoken): the ngrok agent gets no secret it does not need, and
its authtoken shows nowhere, even when the agent itself echoes it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import fake_ngrok
from tests.safety.serving import Serve, clean_env, wait_for

GOOD_TOKEN = "2abcTOKENsecret_0123456789"


def configure(tmp_path: Path, authtoken: str) -> None:
    agent = fake_ngrok.install(tmp_path / "bin")
    (tmp_path / "hookdev.toml").write_text(
        '[auth]\nmode = "header"\nheader = "x-hook-key"\n'
        f'[tunnel]\nauthtoken = "{authtoken}"\nngrok_path = "{agent}"\n'
    )


def test_a_token_the_agent_echoes_is_shown_nowhere(tmp_path: Path) -> None:
    configure(tmp_path, "bad-token")  # the stand-in echoes this one in its error, as the real agent does
    env = clean_env(HOOKDEV_AUTH_SECRET="local-only-secret-1")
    with Serve(tmp_path, ["--json", "--tunnel"], env=env) as serve:
        def reported() -> str | None:
            notices = [e["message"] for e in serve.json_lines() if e.get("event") == "notice"]
            return next((n for n in notices if "ERR_NGROK_105" in n), None)

        notice = wait_for(reported, "the rejected authtoken notice")
        assert "dashboard.ngrok.com" in notice
    output = serve.out + serve.err
    assert b"bad-token" not in output, output[-2000:]
    assert b"Your authtoken" not in output  # pyngrok's own log lines of the agent never reach the terminal


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads the agent's environment from /proc")
def test_the_agent_runs_with_only_the_environment_it_needs(tmp_path: Path) -> None:
    configure(tmp_path, GOOD_TOKEN)
    env = clean_env(HOOKDEV_AUTH_SECRET="local-only-secret-2", NGROK_AUTHTOKEN=GOOD_TOKEN,
                    AWS_SECRET_ACCESS_KEY="not-for-ngrok", HTTPS_PROXY="http://proxy.invalid:3128")
    with Serve(tmp_path, ["--json", "--tunnel"], env=env) as serve:
        tunnel = wait_for(lambda: next((e for e in serve.json_lines() if e.get("event") == "tunnel"), None),
                          "the tunnel line")
        assert tunnel["public_url"]
        pid = json.loads((tmp_path / ".hookdev" / "ngrok.pid").read_text())["pid"]
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        names = {item.split(b"=", 1)[0].decode() for item in environ if item}
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    assert "PATH" in names and "HTTPS_PROXY" in names  # what it needs to run and to reach ngrok
    assert not {n for n in names if n.startswith("HOOKDEV_")}
    assert "NGROK_AUTHTOKEN" not in names and "AWS_SECRET_ACCESS_KEY" not in names
    assert GOOD_TOKEN.encode() not in command and b"local-only-secret-2" not in b"\0".join(environ)
    assert GOOD_TOKEN.encode() not in serve.out + serve.err
