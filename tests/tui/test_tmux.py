"""The real `hookdev serve` at 80x24 (tmux): its inspector child draws calls, `r` replays, `q` stops serve."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import SAMPLES

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


SOCKET = f"hookdev-test-{os.getpid()}"
"""A tmux server of this test run's own: other tmux users on the machine (and their kill-server) stay apart."""


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", "-L", SOCKET, *args], check=True, capture_output=True, text=True).stdout


def wait_for(predicate, what: str, timeout: float = 10.0, show=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}" + (f"; the terminal shows:\n{show()}" if show else ""))


def test_serve_in_a_terminal(tmp_path: Path) -> None:
    name = f"hookdev-test-{tmp_path.name}"
    store = tmp_path / "hooks.db"
    command = (f"cd {tmp_path} && env -u NO_COLOR TERM=xterm-256color {sys.executable} -m hookdev serve "
               f"--port 0 --store {store} --auth none; echo EXITED $?; sleep 10")
    tmux("new-session", "-d", "-s", name, "-x", "80", "-y", "24", command)
    try:
        # A tmux server started by this command may ignore -x/-y (default-size); set the size explicitly.
        subprocess.run(["tmux", "-L", SOCKET, "resize-window", "-t", name, "-x", "80", "-y", "24"], capture_output=True)
        runtime = store.with_name(store.name + ".serve.json")
        url = json.loads(wait_for(lambda: runtime.exists() and runtime.read_text(), "the serve URL"))["url"]
        screen = lambda: tmux("capture-pane", "-t", name, "-p")  # noqa: E731
        wait_for(lambda: "0 calls" in screen() and "? Help" in screen(), "the first paint", show=screen)
        body = (SAMPLES / "token.json").read_bytes()
        request = urllib.request.Request(url + "/tokenHook", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as resp:
            assert resp.status == 204
        wait_for(lambda: "/tokenHook" in screen() and "✓ NO CHANGE" in screen(), "the row of the call", show=screen)
        assert "q Quit" in screen() and "? Help" in screen(), "the footer keeps ? and q at 80 columns"
        tmux("send-keys", "-t", name, "r")
        wait_for(lambda: "↻ /tokenHook" in screen(), "the replay row", show=screen)
        tmux("send-keys", "-t", name, "q")
        wait_for(lambda: "EXITED 0" in screen(), "a clean exit", show=screen)
        assert "hookdev stopped: 2 calls recorded this run" in screen()
        assert not runtime.exists()  # the session stopped and removed its runtime file
    finally:
        subprocess.run(["tmux", "-L", SOCKET, "kill-server"], capture_output=True)
