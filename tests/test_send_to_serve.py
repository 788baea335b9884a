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

# One serve for the module, on one worker: each test sends its own calls and reads only what they recorded.
pytestmark = pytest.mark.xdist_group("oauth_serve")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """`serve --auth oauth` in a project folder (its local authorization server issues the tokens)."""
    folder = tmp_path_factory.mktemp("project")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKDEV_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "hookdev", "serve", "--json", "--port", "0", "--auth", "oauth"],
        cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        first = json.loads(proc.stdout.readline())  # type: ignore[union-attr]
        assert first["event"] == "listening"
        yield folder, first["url"]
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


@pytest.fixture
def oauth_serve(project: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> str:
    """The serve's URL, with the test working in its project folder (its hookdev.toml, its store)."""
    folder, url = project
    monkeypatch.chdir(folder)
    return url


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
