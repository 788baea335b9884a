"""`hookdev serve --headless` as a real subprocess: JSON lines, clean stop, and no answered call lost to SIGKILL."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import aiohttp

from hookdev.receiver.store import Store
from tests import fake_ngrok
from tests.conftest import ROOT, SAMPLES, until


class Serve(subprocess.Popen):
    """`hookdev serve --headless --json` whose output is drained by a thread, so a full pipe never stalls it."""

    def __init__(self, tmp_path: Path, *extra: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKDEV_")}
        env["PYTHONPATH"] = str(ROOT)
        super().__init__(
            [sys.executable, "-m", "hookdev", "serve", "--headless", "--json", "--port", "0", "--auth", "none",
             *extra],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        for line in self.stdout:
            self.lines.put(line)
        self.lines.put("")

    def next_line(self, timeout: float = 20) -> dict:
        line = self.lines.get(timeout=timeout)
        if not line:
            raise AssertionError(f"serve exited (code {self.wait()}) before printing the expected line")
        return json.loads(line)


def start_serve(tmp_path: Path, *extra: str) -> tuple[Serve, str]:
    proc = Serve(tmp_path, *extra)
    first = proc.next_line()
    assert first["event"] == "listening"
    return proc, first["url"]


def test_json_lines_then_clean_stop_on_sigterm(tmp_path):
    proc, url = start_serve(tmp_path)
    try:
        import urllib.request

        req = urllib.request.Request(url + "/tokenHook", data=(SAMPLES / "token.json").read_bytes(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            assert resp.status == 204
        line = proc.next_line()
        assert line["event"] == "exchange"
        assert {"id", "time", "method", "path", "kind", "auth", "status", "duration_ms", "validation",
                "replay_of"} <= set(line)
        assert (line["kind"], line["path"], line["status"], line["replay_of"]) == ("token", "/tokenHook", 204, None)
        assert line["time"].endswith("Z") and line["auth"]["scheme"] == "none"
        assert (tmp_path / ".hookdev" / "hookdev.db.serve.json").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    assert not (tmp_path / ".hookdev" / "hookdev.db.serve.json").exists()
    store = Store(tmp_path / ".hookdev" / "hookdev.db")
    assert [e.kind for e in store.list()] == ["token"]
    store.close()


def test_busy_port_is_a_clear_config_error(tmp_path):
    with socket.socket() as taken:  # whatever holds the port: another serve, or any other program
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        second = subprocess.run(
            [sys.executable, "-m", "hookdev", "serve", "--headless", "--port", port, "--store", str(tmp_path / "b.db")],
            cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=20,
        )
    assert second.returncode == 2
    assert "--port 0" in second.stderr and "server.port" in second.stderr


def test_sigkill_under_load_loses_no_answered_exchange(tmp_path):
    proc, url = start_serve(tmp_path)
    body = (SAMPLES / "registration-ssr.json").read_bytes()
    answered: list[str] = []

    async def load() -> None:
        enough = asyncio.Event()
        async with aiohttp.ClientSession() as http:
            async def one(i: int) -> None:
                try:
                    async with http.post(f"{url}/r{i}", data=body) as resp:
                        if resp.status == 200:
                            answered.append(resp.headers["X-Hookdev-Exchange"])
                            if len(answered) >= 150:
                                enough.set()
                except (TimeoutError, aiohttp.ClientError):
                    pass  # calls cut off by the kill were never answered

            async def killer() -> None:
                await enough.wait()
                proc.send_signal(signal.SIGKILL)

            await asyncio.gather(killer(), *(one(i) for i in range(2000)))

    asyncio.run(load())
    proc.wait(timeout=10)
    assert len(answered) >= 150
    store = Store(tmp_path / ".hookdev" / "hookdev.db")
    stored = {e.id for e in store.list()}
    store.close()
    missing = [i for i in answered if i not in stored]
    assert missing == [], f"{len(missing)} answered exchanges missing after SIGKILL"


def test_text_mode_prints_a_banner_then_one_line_per_call_then_a_summary(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKDEV_")}
    env["PYTHONPATH"] = str(ROOT)
    (tmp_path / ".env").write_text("USER=okta\nPASSWORD=s3cret-pass\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "hookdev", "serve", "--headless", "--port", "0"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        banner: list[str] = []
        while not banner or banner[-1] not in ("", "Ctrl-C to stop.\n"):
            banner.append(proc.stdout.readline())
        text = "".join(banner)
        assert "hookdev" in banner[0] and "Ctrl-C to stop." in text
        url = next(line.split()[2] for line in banner if "local URL" in line)
        assert "basic — Okta sends  Authorization: Basic" in text and "(user okta)" in text
        assert "s3cret-pass" not in text and "b2t0YTpzM2NyZXQtcGFzcw==" not in text, "the secret is masked"
        assert "token URL" in text and "/oauth2/default/v1/token" in text
        assert "config       .env, otherwise built-in defaults" in text
        import base64
        import urllib.request

        auth = "Basic " + base64.b64encode(b"okta:s3cret-pass").decode()
        req = urllib.request.Request(url + "/registrationHook", headers={"Authorization": auth},
                                     data=(SAMPLES / "registration-ssr.json").read_bytes())
        with urllib.request.urlopen(req, timeout=30) as resp:
            assert resp.status == 200
        line = proc.stdout.readline()
        assert "POST /registrationHook" in line and "registration" in line and "basic ok" in line
        assert " 200 " in line and line.rstrip().endswith("valid ALLOW")
    finally:
        proc.terminate()
        rest = proc.communicate(timeout=10)[0]
    assert proc.returncode == 0
    assert "hookdev stopped: 1 call recorded this run in" in rest


def test_json_implies_headless(tmp_path):
    """`serve --json` is for scripts: JSON lines even without --headless (and with no terminal around)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKDEV_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen([sys.executable, "-m", "hookdev", "serve", "--json", "--port", "0", "--auth", "none"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = json.loads(proc.stdout.readline())
        assert first["event"] == "listening" and first["url"].startswith("http://127.0.0.1:")
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0 and "inspector" not in err and "hookdev stopped" not in out


def test_without_a_terminal_serve_says_so_and_prints_lines(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKDEV_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen([sys.executable, "-m", "hookdev", "serve", "--port", "0", "--auth", "none"],
                            cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert "hookdev" in proc.stdout.readline()  # the headless banner, not an inspector
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "not a terminal, so there is no inspector" in err and "one line per call instead" in err


def running(pid: int) -> bool:
    """Whether the process runs (a zombie, dead but not yet reaped, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def test_sighup_stops_serve_and_its_ngrok_agent_like_sigterm(tmp_path):
    # A closed terminal sends SIGHUP: serve stops as cleanly as on SIGTERM, and takes the agent with it.
    agent = fake_ngrok.install(tmp_path / "bin")
    (tmp_path / "hookdev.toml").write_text(
        '[auth]\nmode = "header"\nheader = "x-api-key"\nsecret = "k-7f3a9c2e5b8d1f40"\n'
        f'[tunnel]\nauthtoken = "2abcTOKENsecret_0123456789"\nngrok_path = "{agent}"\n'
    )
    proc, _ = start_serve(tmp_path, "--auth", "header", "--tunnel")
    try:
        tunnel = proc.next_line()
        assert tunnel["event"] == "tunnel" and tunnel["public_url"].startswith("http://127.0.0.1:")
        agent_pid = json.loads((tmp_path / ".hookdev" / "ngrok.pid").read_text())["pid"]
        assert running(agent_pid)
    finally:
        proc.send_signal(signal.SIGHUP)
        assert proc.wait(timeout=10) == 0
    assert not running(agent_pid)
    assert not (tmp_path / ".hookdev" / "ngrok.pid").exists()
    assert not (tmp_path / ".hookdev" / "hookdev.db.serve.json").exists()


class CountedFlushes:
    """A text stream that counts the lines written to it at each flush, and the writes."""

    def __init__(self) -> None:
        self.written: list[str] = []
        self.flushed: list[int] = []

    def write(self, text: str) -> int:
        self.written.append(text)
        return len(text)

    def flush(self) -> None:
        self.flushed.append("".join(self.written).count("\n"))


async def test_headless_lines_of_a_turn_go_out_in_one_write_at_its_end() -> None:
    from hookdev.cli.common import LineWriter

    out = CountedFlushes()
    emit = LineWriter(out, asyncio.get_running_loop())  # type: ignore[arg-type]
    for n in range(100):  # a burst within one loop turn
        emit(f"line {n}")
    await asyncio.sleep(0)  # one turn: the callbacks already scheduled run
    emit("next")
    await asyncio.sleep(0)
    emit.close()  # waits for the writing thread
    assert out.flushed == [100, 101]
    assert out.written[0].splitlines() == [f"line {n}" for n in range(100)] and out.written[1] == "next\n"


async def test_a_line_handed_over_as_a_function_is_made_by_the_writing_thread_in_its_place() -> None:
    from hookdev.cli.common import LineWriter

    out = CountedFlushes()
    emit = LineWriter(out, asyncio.get_running_loop())  # type: ignore[arg-type]
    makers: list[str] = []

    def made() -> str:
        makers.append(threading.current_thread().name)
        return "made later"

    def broken() -> str:
        raise ValueError("no such field")

    emit("first")
    emit(made)
    emit(broken)
    emit("last")
    emit.close()
    assert makers == ["hookdev-output"]  # not the event loop's thread
    assert "".join(out.written).splitlines() == [
        "first", "made later",
        "hookdev: a line could not be made (ValueError: no such field); the call is in the store", "last"]


class FullDisk(CountedFlushes):
    """A file on a disk that fills up after `room` characters: a write past it lands in part, then fails."""

    def __init__(self, room: int) -> None:
        super().__init__()
        self.room = room

    def write(self, text: str) -> int:
        left = self.room - sum(len(t) for t in self.written)
        if len(text) > left:
            super().write(text[:left])
            raise OSError(27, "File too large")
        return super().write(text)


async def test_lines_after_a_write_cut_short_by_a_full_disk_start_on_a_line_of_their_own() -> None:
    from hookdev.cli.common import LineWriter

    out = FullDisk(room=len('{"n": 1}\n{"n": 2'))
    emit = LineWriter(out, asyncio.get_running_loop())  # type: ignore[arg-type]
    emit('{"n": 1}')
    emit('{"n": 2}')
    emit.flush()
    await until(lambda: out.written, "the write the full disk cut short")
    out.room = 10_000  # space again
    emit('{"n": 3}')
    emit.close()
    lines = "".join(out.written).splitlines()
    assert lines == ['{"n": 1}', '{"n": 2', '{"n": 3}']  # the cut line is lost, the next one whole


class HeldOutput(CountedFlushes):
    """A stream whose reader has stopped (a pager scrolled back): writes block until it is let go."""

    def __init__(self) -> None:
        super().__init__()
        self.held = threading.Event()
        self.release = threading.Event()

    def write(self, text: str) -> int:
        self.held.set()
        self.release.wait()
        return super().write(text)


async def test_an_output_nobody_reads_holds_up_nothing_and_what_it_missed_is_said(monkeypatch) -> None:
    from hookdev.cli import common
    from hookdev.cli.common import LineWriter

    monkeypatch.setattr(common, "MAX_UNWRITTEN", 100)
    out = HeldOutput()
    emit = LineWriter(out, asyncio.get_running_loop())  # type: ignore[arg-type]
    emit("first")
    emit.flush()
    assert await asyncio.to_thread(out.held.wait, 10)  # the writing thread is stuck in write()
    for n in range(50):  # the loop goes on: these wait, then the rest are counted
        emit(f"line {n:02}")
        emit.flush()
    out.release.set()
    emit("after")
    emit.close()
    text = "".join(out.written).splitlines()
    assert text[0] == "first" and text[-1] == "after"
    kept = [line for line in text if line.startswith("line ")]
    assert kept == [f"line {n:02}" for n in range(len(kept))] and 0 < len(kept) < 50
    assert text[-2] == (f"hookdev: {50 - len(kept)} lines not shown: this output was not read for a while "
                        "(every call is in the store: hookdev list)")


def test_serve_answers_while_nobody_reads_its_output(tmp_path: Path) -> None:
    """`hookdev serve --json | a consumer that stalls`: the pipe fills after a few hundred lines, calls go on."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "hookdev", "serve", "--json", "--port", "0", "--no-tunnel", "--auth", "none"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("HOOKDEV_")}, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert proc.stdout is not None
        url = json.loads(proc.stdout.readline())["url"]  # then nobody reads: 64 KiB of pipe fill up
        body = (SAMPLES / "token.json").read_bytes()

        async def calls() -> list[int]:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
                statuses = []
                for _ in range(600):  # about 300 KB of lines
                    async with http.post(url + "/tokenHook", data=body) as resp:
                        statuses.append(resp.status)
                return statuses

        assert asyncio.run(calls()) == [204] * 600
        proc.send_signal(signal.SIGTERM)
        lines = proc.stdout.read().decode().splitlines()  # read at last: every line is there, in order
        assert proc.wait(timeout=30) == 0
        assert len([line for line in lines if '"event":"exchange"' in line]) == 600
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


