"""`send` and `replay` to the serve running on the store use the auth mode that serve verifies; a refusal says how
to choose another."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hookdev.cli import main
from tests.conftest import ROOT


@pytest.fixture
def oauth_serve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """`serve --auth oauth` in tmp_path (its local authorization server issues the tokens); yields its URL."""
    monkeypatch.chdir(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKDEV_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "hookdev", "serve", "--json", "--port", "0", "--auth", "oauth"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        first = json.loads(proc.stdout.readline())  # type: ignore[union-attr]
        assert first["event"] == "listening"
        yield first["url"]
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


def test_send_uses_the_running_serves_auth_mode(oauth_serve: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["send", "token", "--to", oauth_serve + "/tokenHook"]) == 0
    out = capsys.readouterr().out
    assert "verifies oauth (these settings say basic)" in out and "auth oauth" in out
    assert main(["send", "token", "--to", oauth_serve.replace("127.0.0.1", "localhost") + "/tokenHook"]) == 0


def test_auth_flag_chooses_and_a_refusal_says_how(oauth_serve: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["send", "token", "--to", oauth_serve + "/tokenHook", "--auth", "basic"]) == 1
    out = capsys.readouterr().out
    assert "<- 401" in out and "pass --auth MODE" in out and "hookdev show" in out


def test_replay_uses_the_running_serves_auth_mode(oauth_serve: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["send", "token", "--to", oauth_serve + "/tokenHook", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)["exchange_id"]
    assert main(["replay", first]) == 0
    out = capsys.readouterr().out
    assert f"replay of {first}" in out and "verifies oauth" in out
