"""`hookdev authserver` as a user runs it: the JSON listening line, a token from it, rotate, clean stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

from hookdev.cli import main


def _run_server(cwd: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKDEV_")}
    return subprocess.Popen(
        [sys.executable, "-m", "hookdev", "authserver", "--port", "0", *args],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_json_line_token_and_clean_sigterm(tmp_path: Path) -> None:
    proc = _run_server(tmp_path, "--json")
    try:
        line = json.loads(proc.stdout.readline())
        form = urllib.parse.urlencode({"grant_type": "client_credentials"}).encode()
        req = urllib.request.Request(line["issuer"] + "/v1/token", data=form)
        req.add_header("Authorization", "Basic b2t0YS1ob29rczpob29rZGV2LWxvY2FsLXNlY3JldA==")  # okta-hooks default
        with urllib.request.urlopen(req, timeout=30) as resp:
            body = json.load(resp)
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=10)
    assert line["event"] == "listening" and line["issuer"] == line["url"] + "/oauth2/default"
    assert line["url"].startswith("http://127.0.0.1:")
    assert body["token_type"] == "Bearer" and body["access_token"].count(".") == 2
    assert rc == 0
    assert (tmp_path / ".hookdev" / "authserver-keys.json").stat().st_mode & 0o077 == 0


def _banner(proc: subprocess.Popen[str]) -> str:
    lines: list[str] = []
    try:
        while not lines or lines[-1] not in ("", "Ctrl-C stops it.\n"):
            lines.append(proc.stdout.readline())  # type: ignore[union-attr]
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    return "".join(lines)


def test_text_banner_masks_a_configured_client_secret(tmp_path: Path) -> None:
    (tmp_path / "hookdev.toml").write_text(
        '[[authserver.clients]]\nclient_id = "okta-org"\nclient_secret = "s3cret-value-1234"\n'
    )
    text = _banner(_run_server(tmp_path))
    assert "issuer" in text and "/oauth2/default/v1/token" in text and "okta-org:****" in text
    assert "s3cret-value-1234" not in text
    assert f"[[authserver.clients]] of {tmp_path / 'hookdev.toml'}" in text


def test_text_banner_without_a_config_says_the_secret_is_the_public_default(tmp_path: Path) -> None:
    text = _banner(_run_server(tmp_path))
    assert "okta-hooks:hookdev-local-secret" in text
    assert "built-in default, public to anyone" in text and "[[authserver.clients]]" in text


def test_rotate_command_makes_a_new_active_key(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["authserver", "rotate", "--grace", "60"]) == 0
    first = json.loads((tmp_path / ".hookdev" / "authserver-keys.json").read_text())
    assert main(["authserver", "--rotate", "--grace", "60"]) == 0
    second = json.loads((tmp_path / ".hookdev" / "authserver-keys.json").read_text())
    out = capsys.readouterr().out
    assert second["active"] != first["active"] and len(second["keys"]) == 3
    assert "stays published until" in out
