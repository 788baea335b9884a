"""Finding 7: a handler that stalls every call is named, not suffered in silence.

An `async def` handler that blocks the event loop is named in a notice and in its exchange; when every worker
thread of the plain handlers is stuck, a notice says so and the exchanges that waited (or never started) say it.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from hookdev.answers.stalls import BLOCKING_S, WORKERS
from hookdev.models import Exchange
from hookdev.receiver.store import Store
from tests.conftest import SAMPLES
from tests.safety.serving import Serve, hookdev, http, request, wait_for

TOKEN = (SAMPLES / "token.json").read_bytes()
ASYNC_HOOKS = """
import asyncio, time
from hookdev import hook

@hook("/blocking")
async def blocking(request):
    time.sleep(1)          # holds the event loop: every other call waits
    return None

@hook("/awaiting")
async def awaiting(request):
    await asyncio.sleep(1)  # as slow, but yields the loop
    return None
"""
STUCK_HOOKS = """
import pathlib, time

RELEASE = pathlib.Path(__file__).with_name("release")

def token(request):
    while not RELEASE.exists():  # a call that hangs (a network call without a timeout, say)
        time.sleep(0.01)
    return None
"""


def post(serve: Serve, path: str) -> tuple[int, str]:
    status, headers, _ = http(serve.address, request("POST", path, TOKEN, "Content-Type: application/json"))
    return status, headers["x-hookdev-exchange"]


def shown(cwd: Path, exchange_id: str) -> dict:
    """The exchange as `hookdev show --json` prints it (log and error included)."""
    done = hookdev(cwd, "show", exchange_id, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def recorded(cwd: Path, ids: list[str]) -> list[Exchange]:
    """Many exchanges at once, from the store (as `show` reads them, without a process each)."""
    store = Store(cwd / ".hookdev" / "hookdev.db", readonly=True)
    try:
        found = [store.get(exchange_id) for exchange_id in ids]
    finally:
        store.close()
    assert all(found), ids
    return found  # type: ignore[return-value]


def warnings(serve: Serve) -> list[str]:
    return [e["message"] for e in serve.json_lines() if e.get("event") == "notice" and e["level"] == "warning"]


def at_once(serve: Serve, paths: list[str]) -> list[tuple[int, str]]:
    """POST to every path at the same time; the answers in the same order."""
    results: list[tuple[int, str] | None] = [None] * len(paths)

    def one(i: int) -> None:
        results[i] = post(serve, paths[i])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(paths))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(r is not None for r in results), results
    return results  # type: ignore[return-value]


def test_an_async_handler_that_blocks_the_loop_is_named(tmp_path: Path) -> None:
    (tmp_path / "hookdev.toml").write_text('[auth]\nmode = "none"\n[responses]\nhandler = "hooks.py"\n')
    (tmp_path / "hooks.py").write_text(ASYNC_HOOKS)
    with Serve(tmp_path, ["--json"]) as serve:
        (blocked_status, blocked), (awaited_status, awaited) = at_once(serve, ["/blocking", "/awaiting"])
        assert blocked_status == awaited_status == 204
        [notice] = wait_for(lambda: warnings(serve), "the notice naming the handler")
    assert notice.startswith("hooks.py: blocking() held the event loop for ") and "time.sleep" in notice
    held = float(notice.split(" for ", 1)[1].split(" s ", 1)[0])
    assert 1 - BLOCKING_S < held < 30
    assert "hookdev: hooks.py: blocking() held the event loop" in shown(tmp_path, blocked)["log"]
    assert "event loop" not in shown(tmp_path, awaited)["log"]  # awaiting is as slow, and harmless


def test_a_full_pool_of_stuck_handlers_is_said_in_a_notice_and_in_the_exchanges(tmp_path: Path) -> None:
    (tmp_path / "hookdev.toml").write_text('[auth]\nmode = "none"\n[responses]\nhandler = "hooks.py"\n')
    (tmp_path / "hooks.py").write_text(STUCK_HOOKS)
    release = tmp_path / "release"
    one_more = ["/tokenHook"] * (WORKERS + 1)  # one call more than there are threads
    with Serve(tmp_path, ["--json"]) as serve:
        for fill in (1, 2):  # the pool fills up twice: one notice each time, not one per call
            release.unlink(missing_ok=True)
            # Released once the notice is out: every call is answered.
            answers: list[tuple[int, str]] = []
            calls = threading.Thread(target=lambda into=answers: into.extend(at_once(serve, one_more)))
            calls.start()
            wait_for(lambda fill=fill: len(warnings(serve)) == fill, "the notice that every worker thread is busy")
            release.touch()
            calls.join(60)
            assert [status for status, _ in answers] == [204] * (WORKERS + 1)
            logs = [ex.log for ex in recorded(tmp_path, [exchange_id for _, exchange_id in answers])]
            waited = [log for log in logs if "to start: all 16 worker threads were busy" in log]
            assert len(waited) == 1 and "hookdev: this call waited " in waited[0], logs
    [full, again] = warnings(serve)
    assert full == again and full.startswith("all 16 worker threads for hooks.py are busy")


def test_calls_stuck_past_the_handler_timeout_say_whether_they_ever_started(tmp_path: Path) -> None:
    (tmp_path / "hookdev.toml").write_text(
        '[auth]\nmode = "none"\n[responses]\nhandler = "hooks.py"\nhandler_timeout = 2\n')
    (tmp_path / "hooks.py").write_text(STUCK_HOOKS)
    release = tmp_path / "release"
    with Serve(tmp_path, ["--json"]) as serve:
        # Stuck past the cap: the call that never got a thread says so, not that it was "still running".
        stuck = at_once(serve, ["/tokenHook"] * (WORKERS + 1))
        release.touch()
        assert [status for status, _ in stuck] == [504] * (WORKERS + 1)
        errors = [ex.error or "" for ex in recorded(tmp_path, [exchange_id for _, exchange_id in stuck])]
        never = [e for e in errors if "never started: all 16 worker threads were busy" in e]
        assert len(never) == 1 and sum("was still running 2 s after" in e for e in errors) == WORKERS
        wait_for(lambda: post(serve, "/tokenHook")[0] == 204, "a call answered once the threads are free")
    assert len(warnings(serve)) == 1
