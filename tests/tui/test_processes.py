"""serve and its inspectors as real processes in pseudo-terminals: the receiver never waits for a view.

Each test runs `python -m hookdev` exactly as a user would, reads the screen through a terminal emulator, and
calls the receiver over HTTP as Okta would.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from hookdev.control.client import ControlClient, NoServe
from hookdev.receiver.store import Store
from hookdev.runtime import read_runtime, runtime_file
from tests.conftest import ROOT, SAMPLES
from tests.reliability.live import serve_process
from tests.tui.pty_terminal import PtyProcess, hookdev

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc for the inspector's pid")
ENV = {"PYTHONPATH": str(ROOT)}
TOKEN = (SAMPLES / "token.json").read_bytes()


def post(url: str, body: bytes = TOKEN) -> tuple[int, float]:
    """One call as Okta makes it; (status, seconds it took to be answered)."""
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            resp.read()
            return resp.status, time.monotonic() - started
    except urllib.error.HTTPError as exc:
        return exc.code, time.monotonic() - started


def wait_until(condition, what: str, within: float = 30.0):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def recorded(store: Path) -> int:
    reader = Store(store, readonly=True)
    try:
        return reader.count()
    finally:
        reader.close()


def serve_in_terminal(tmp_path: Path, *args: str, cols: int = 100, rows: int = 30) -> tuple[PtyProcess, str, Path]:
    """`hookdev serve` with its inspector, in a terminal; (the terminal, the receiver's URL, the store)."""
    store = tmp_path / "store.db"
    term = PtyProcess(hookdev("serve", "--port", "0", "--auth", "none", "--store", str(store), *args),
                      cwd=tmp_path, cols=cols, rows=rows, env=ENV)
    url = wait_until(lambda: (read_runtime(store) or {}).get("url"), "serve's URL")
    term.wait_for("0 calls", "the inspector's first paint")
    return term, url, store


def held_answers(store: Path) -> list[tuple[int, str]]:
    """What serve would send for each call it holds now, asked over the control channel as any view may."""
    async def ask() -> list[tuple[int, str]]:
        client = await ControlClient.connect(store)
        try:
            holds = (await client.call("holds"))["holds"]
        finally:
            await client.close()
        return [(h["answer"]["status"], h["answer"].get("body", "")) for h in holds]

    return asyncio.run(ask())


def headless_serve_with_views(tmp_path: Path, views: int = 1, **size: int) -> tuple[Any, str, list[PtyProcess]]:
    """`hookdev serve --headless` and `views` inspectors attached to it with `hookdev inspect`."""
    proc, url = serve_process(tmp_path, "--store", str(tmp_path / "store.db"), "--auth", "none")
    terms = [PtyProcess(hookdev("inspect", "--store", str(tmp_path / "store.db")), cwd=tmp_path, env=ENV, **size)
             for _ in range(views)]
    for term in terms:
        term.wait_for("0 calls", "an inspector attached")
    return proc, url, terms


def stop(proc: Any, terms: list[PtyProcess]) -> None:
    for term in terms:
        term.close()
    proc.terminate()
    proc.wait(30)


def inspector_of(term: PtyProcess) -> int:
    return wait_until(lambda: term.children(), "serve's inspector child")[0]


def test_killing_the_inspector_mid_burst_loses_no_call_and_serve_offers_to_reopen_it(tmp_path: Path) -> None:
    term, url, store = serve_in_terminal(tmp_path)
    try:
        child = inspector_of(term)
        results: list[tuple[int, float]] = []
        killed = threading.Event()

        def burst() -> None:
            with ThreadPoolExecutor(8) as pool:
                for status in pool.map(lambda _: post(url + "/tokenHook"), range(300)):
                    results.append(status)
                    if len(results) == 100:
                        os.kill(child, signal.SIGKILL)  # mid-burst
                        killed.set()

        sender = threading.Thread(target=burst)
        sender.start()
        sender.join(120)
        assert killed.is_set() and len(results) == 300
        assert all(status == 204 for status, _ in results), "every call answered while the inspector died"
        said = term.wait_for_output("the inspector was killed (SIGKILL)", "serve to say what happened")
        assert "Press Enter to reopen" in said
        assert wait_until(lambda: recorded(store) == 300, "every call in the store")
        assert post(url + "/tokenHook")[0] == 204  # still answering, and printed as a line meanwhile
        term.wait_for(lambda text: "POST /tokenHook" in text, "the line of a call made without an inspector")
        term.send("\r")  # reopen it
        term.wait_for(lambda text: "301 calls" in text and "? Help" in text, "the inspector open again")
        assert inspector_of(term) != child
        term.send("q")
        assert term.wait(30) == 0
        assert not runtime_file(store).exists()
    finally:
        term.close()


def test_a_huge_body_on_screen_never_delays_a_call(tmp_path: Path) -> None:
    proc, url, (term,) = headless_serve_with_views(tmp_path, cols=120, rows=40)
    try:
        objects = [{"id": n, "name": f"user{n}", "active": n % 2 == 0} for n in range(18_000)]
        huge = json.dumps({"eventType": "com.okta.oauth2.tokens.transform", "data": objects}).encode()
        assert 800_000 < len(huge) < 1024 * 1024  # under serve's 1 MiB limit: recorded whole, drawn in the tab
        assert post(url + "/tokenHook", huge)[0] in (200, 204)
        term.wait_for(f"Content-Length: {len(huge)}", "the huge call read from the store and drawn in the Request tab")
        took = []
        for _ in range(30):  # a paced client, as Okta calls: 20 a second while the view shows the body
            term.send("2" if len(took) % 2 else "1")  # and the user flips tabs, redrawing it
            status, seconds = post(url + "/tokenHook")
            assert status == 204
            took.append(seconds)
            time.sleep(0.05)  # pacing between calls, not a wait for anything
        assert max(took) < 0.5, f"each call answered within 0.5 s (slowest {max(took):.3f} s)"
    finally:
        stop(proc, [term])


def test_a_held_call_goes_out_in_time_with_its_edit_while_the_view_is_frozen(tmp_path: Path) -> None:
    proc, url, (term,) = headless_serve_with_views(tmp_path, cols=120, rows=40)
    try:
        term.send("b")
        term.wait_for("hold the next token call", "the breakpoint choices")
        choices = [line for line in term.text().splitlines() if "hold the next" in line]
        down = next(i for i, line in enumerate(choices) if "token call" in line)
        term.send("\x1b[B" * down + "\r")
        term.wait_for("holding token", "the header to say token calls are held")
        result: list[tuple[int, float]] = []
        caller = threading.Thread(target=lambda: result.append(post(url + "/tokenHook")))
        caller.start()
        term.wait_for("HELD: token call", "the held call in the editor")
        term.send('{"commands": []}')  # typed into a 204 answer: it becomes a 200 with this body
        term.wait_for("Okta would accept this token answer", "the edit checked")
        wait_until(lambda: held_answers(tmp_path / "store.db") == [(200, '{"commands": []}')],
                   "serve to hold the edited answer")
        os.kill(term.pid, signal.SIGSTOP)  # the view freezes with the call held
        try:
            caller.join(10)
            assert result, "the call was answered while the view was frozen"
            status, seconds = result[0]
            assert seconds < 3.0, f"inside Okta's 3 s ({seconds:.2f} s)"
        finally:
            os.kill(term.pid, signal.SIGCONT)
        assert status == 200
        reader = Store(tmp_path / "store.db", readonly=True)
        try:
            (held,) = reader.list()
            assert held.source == "breakpoint" and json.loads(held.response.body) == {"commands": []}
        finally:
            reader.close()
    finally:
        stop(proc, [term])


def test_two_inspectors_attached_both_show_a_new_call(tmp_path: Path) -> None:
    proc, url, views = headless_serve_with_views(tmp_path, 2)
    try:
        assert post(url + "/registrationHook", (SAMPLES / "registration-ssr.json").read_bytes())[0] == 200
        for view in views:
            view.wait_for(lambda text: "/registrationHook" in text and "ALLOW" in text, "the call in each view")
        views[0].send("q")
        assert views[0].wait(30) == 0
        assert post(url + "/tokenHook")[0] == 204  # one view leaving changes nothing for serve
        views[1].wait_for("2 calls", "the other view still attached")
    finally:
        stop(proc, views)


def test_inspect_with_no_serve_running_exits_1_and_says_how_to_start_one(tmp_path: Path) -> None:
    import subprocess

    done = subprocess.run(hookdev("inspect", "--store", str(tmp_path / "none.db")), cwd=tmp_path,
                          capture_output=True, text=True, env={**os.environ, **ENV}, timeout=60)
    assert done.returncode == 1
    assert "no hookdev serve is running on" in done.stderr and "hookdev serve --headless" in done.stderr


async def test_a_client_with_no_serve_is_told_so(tmp_path: Path) -> None:
    from hookdev.control.client import ControlClient

    with pytest.raises(NoServe, match="no hookdev serve is running"):
        await ControlClient.connect(tmp_path / "nothing.db")
