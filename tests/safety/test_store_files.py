"""Finding 12 (files): private modes, a second serve on one store, and a store that cannot be written."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SAMPLES
from tests.safety.serving import Serve, clean_env, hookdev, http, request, wait_for

TOKEN = (SAMPLES / "token.json").read_bytes()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_store_folder_the_store_and_the_runtime_file_are_private(tmp_path: Path) -> None:
    (tmp_path / "hookdev.toml").write_text('[auth]\nmode = "none"\n')
    (tmp_path / ".hookdev").mkdir(mode=0o755)  # left by an older hookdev
    os.chmod(tmp_path / ".hookdev", 0o755)
    with Serve(tmp_path, ["--json"]) as serve:
        http(serve.address, request("POST", "/tokenHook", TOKEN, "Content-Type: application/json"))
        folder = tmp_path / ".hookdev"
        assert mode(folder) == 0o700
        for name in ("hookdev.db", "hookdev.db-wal", "hookdev.db.serve.json"):
            assert mode(folder / name) == 0o600, name


def test_a_second_serve_on_the_same_store_is_announced_and_the_runtime_file_stays_true(tmp_path: Path) -> None:
    (tmp_path / "hookdev.toml").write_text('[auth]\nmode = "none"\n')
    runtime = tmp_path / ".hookdev" / "hookdev.db.serve.json"
    with Serve(tmp_path, ["--json"]) as first:
        with Serve(tmp_path, ["--json"]) as second:
            def announced() -> bool:
                notices = [e["message"] for e in second.json_lines() if e.get("event") == "notice"]
                return any(f"pid {first.proc.pid}" in n and first.url in n for n in notices)

            wait_for(announced, "the notice that another serve records to the store")
            assert json.loads(runtime.read_text())["url"] == second.url
        # The second stopped: the file names the serve still running, so replay and inspect find it.
        wait_for(lambda: json.loads(runtime.read_text())["url"] == first.url, "the first serve's record back")
        assert json.loads(runtime.read_text())["pid"] == first.proc.pid
        status, headers, _ = http(first.address, request("POST", "/tokenHook", TOKEN, "Content-Type: application/json"))
        replayed = hookdev(tmp_path, "replay", headers["x-hookdev-exchange"])
        assert replayed.returncode == 0, replayed.stderr
        assert first.url.encode() in replayed.stdout
    assert not runtime.exists()


def read_only(folder: Path, command: list[str]) -> subprocess.CompletedProcess[bytes]:
    """Run command with `folder` read-only: a read-only bind mount when root (chmod binds no root), else chmod."""
    if os.geteuid() != 0:
        for path in [folder, *folder.iterdir()]:
            path.chmod(path.stat().st_mode & ~0o222)
        try:
            return subprocess.run(command, env=clean_env(), capture_output=True, timeout=60)
        finally:
            for path in [folder, *folder.iterdir()]:
                path.chmod(path.stat().st_mode | 0o200)
    if shutil.which("unshare") is None:
        pytest.skip("running as root without unshare: no way to make a folder read-only")
    quoted = shlex.quote(str(folder))
    script = f"mount --bind -o ro {quoted} {quoted} && touch {quoted}/probe 2>/dev/null && exit 99; exec " + \
        " ".join(map(shlex.quote, command))
    done = subprocess.run(["unshare", "-m", "sh", "-c", script], env=clean_env(), capture_output=True, timeout=60)
    if done.returncode == 99 or b"mount:" in done.stderr:
        pytest.skip("this machine refuses a private read-only mount")
    return done


def test_list_show_and_export_read_a_store_they_cannot_write(tmp_path: Path) -> None:
    (tmp_path / "hookdev.toml").write_text('[auth]\nmode = "none"\n')
    with Serve(tmp_path, ["--json"]) as serve:
        _, headers, _ = http(serve.address, request("POST", "/tokenHook", TOKEN, "Content-Type: application/json"))
    exchange_id = headers["x-hookdev-exchange"]
    folder = tmp_path / ".hookdev"
    before = sorted(p.name for p in folder.iterdir())
    base = [sys.executable, "-m", "hookdev"]
    store = ["--store", str(folder / "hookdev.db")]
    for args in (["list", *store], ["show", exchange_id, *store], ["export", "--format", "har", *store]):
        done = read_only(folder, [*base, *args])
        assert done.returncode == 0, (args, done.stderr)
        assert exchange_id.encode() in done.stdout
    assert sorted(p.name for p in folder.iterdir()) == before
