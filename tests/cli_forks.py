"""`hookdev` processes for the tests, forked from one interpreter that imported hookdev once.

Tests start hookdev hundreds of times (every view of a store, every `okta` command, a serve per hostile case), and
a fresh interpreter spends most of a short command's time importing aiohttp and hookdev. The fork server
(`python -m tests.cli_forks`, one per test process, started on first use) imports the commands once, then forks
a child for each request that becomes `python -m hookdev ARGS` as a fresh process would: in the given folder and
environment, stdin, stdout and stderr the given files, ending as the interpreter ends (an uncaught exception
printed, exit handlers run, the exit code the command's). Only the interpreter's start and the imports are
shared: each process's output, files, pid, signals and exit code are its own.

Tests of starting up (what a command imports, a serve's banner and signals, durability after SIGKILL) and the
inspector's tests start real interpreters instead.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import json
import os
import resource
import runpy
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any, NoReturn

ROOT = Path(__file__).resolve().parent.parent
PRELOADED = ("hookdev.okta_api.connect", "hookdev.okta_api.link", "hookdev.okta_api.preview", "hookdev.send.sender",
             "hookdev.send.payloads", "hookdev.io.export", "hookdev.io.har", "hookdev.io.render",
             "hookdev.receiver.session", "hookdev.answers.responders", "hookdev.auth.verifiers",
             "hookdev.auth.authserver", "hookdev.okta.validate", "hookdev.tunnel")
"""What the commands import when they run, besides their own module: imported once, here."""


# -- the server: `python -m tests.cli_forks` -------------------------------------------------------------------
def _become(job: dict[str, Any]) -> NoReturn:
    """In the child: `python -m hookdev ARGS`, started in the job's folder, environment and files. It never
    returns: SystemExit or the command's exception ends this interpreter as it would end that one."""
    if job.get("timeout"):
        signal.alarm(job["timeout"])  # as subprocess.run's timeout: past it, the command is killed
    if job.get("nofile"):
        resource.setrlimit(resource.RLIMIT_NOFILE, (job["nofile"], resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    writing = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    for fd, path, flags in ((0, job["stdin"] or os.devnull, os.O_RDONLY), (1, job["out"], writing),
                            (2, job["err"], writing)):
        opened = os.open(path, flags, 0o600)
        os.dup2(opened, fd)
        os.close(opened)
    os.chdir(job["cwd"])
    os.environ.clear()
    os.environ.update(job["env"])
    sys.path[0] = job["cwd"]  # `python -m` puts the working folder first
    sys.argv = ["hookdev", *job["argv"]]
    runpy.run_module("hookdev", run_name="__main__", alter_sys=True)
    sys.exit(0)  # hookdev's __main__ always exits through sys.exit; this is for a module that would not


def _fork(job: dict[str, Any]) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _become(job)
    return pid


def _answer(job: dict[str, Any]) -> int | None:
    if job["kind"] == "run":  # to its end
        _, status = os.waitpid(_fork(job), 0)
        return os.waitstatus_to_exitcode(status)
    if job["kind"] == "start":  # until stopped: its pid now, its exit code when polled
        return _fork(job)
    pid, status = os.waitpid(job["pid"], os.WNOHANG)  # "poll"
    return os.waitstatus_to_exitcode(status) if pid else None


def serve_forks() -> None:
    """Read one JSON job a line on stdin, and answer each with one JSON value a line on stdout."""
    jobs = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "w")
    nothing = os.open(os.devnull, os.O_RDWR)
    os.dup2(nothing, 0)  # the children's stdin and stdout are theirs alone, never this server's pipes
    os.dup2(nothing, 1)
    os.close(nothing)
    from hookdev.cli import COMMANDS, build_parser

    for name in COMMANDS:
        build_parser([name])  # imports the command's module
    for module in PRELOADED:
        importlib.import_module(module)
    gc.freeze()  # the children's collector leaves what was imported here alone, so their pages stay shared
    for line in jobs:
        replies.write(json.dumps(_answer(json.loads(line))) + "\n")
        replies.flush()


# -- the client, in the test process ---------------------------------------------------------------------------
class Forked:
    """A hookdev process started through the fork server that runs until stopped: what the tests use of Popen."""

    def __init__(self, server: ForkServer, pid: int, args: list[str]) -> None:
        self.server = server
        self.pid = pid
        self.args = args
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self.server.ask({"kind": "poll", "pid": self.pid})
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(self.args, timeout or 0)
            time.sleep(0.01)
        return code

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:  # not reaped yet, so the pid is still this process's
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkServer:
    """The fork server of this test process, started on first use and stopped when the process exits."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def ask(self, job: dict[str, Any]) -> Any:
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKDEV_")}
                env["PYTHONPATH"] = str(ROOT)
                self._proc = subprocess.Popen([sys.executable, "-m", "tests.cli_forks"], cwd=ROOT, env=env,
                                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            channel: tuple[IO[bytes], IO[bytes]] = (self._proc.stdin, self._proc.stdout)  # type: ignore[assignment]
            channel[0].write(json.dumps(job).encode() + b"\n")
            channel[0].flush()
            reply = channel[1].readline()
            if not reply:
                raise AssertionError(f"the fork server stopped ({self._proc.wait()}) on {job}")
            return json.loads(reply)

    def run(self, cwd: Path, args: list[str], env: dict[str, str], stdin: bytes | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
        """`python -m hookdev ARGS` in cwd with env, as subprocess.run(capture_output=True) would run it."""
        command = [sys.executable, "-m", "hookdev", *args]
        with tempfile.TemporaryDirectory() as folder:
            files = {name: os.path.join(folder, name) for name in ("in", "out", "err")}
            if stdin is not None:
                Path(files["in"]).write_bytes(stdin)
            code = self.ask({"kind": "run", "cwd": str(cwd), "argv": args, "env": env,
                             "timeout": max(1, round(timeout)), "stdin": files["in"] if stdin is not None else None,
                             "out": files["out"], "err": files["err"]})
            out, err = Path(files["out"]).read_bytes(), Path(files["err"]).read_bytes()
        if code == -signal.SIGALRM:
            raise subprocess.TimeoutExpired(command, timeout, out, err)
        return subprocess.CompletedProcess(command, code, out, err)

    def start(self, cwd: Path, args: list[str], env: dict[str, str], out: Path, err: Path,
              nofile: int | None = None) -> Forked:
        """`python -m hookdev ARGS` in cwd with env, its stdout and stderr to files, running until stopped;
        `nofile` lowers its RLIMIT_NOFILE (`ulimit -n`) first."""
        for path in (out, err):
            path.write_bytes(b"")  # there to be read at once, as Popen's would be
        pid = self.ask({"kind": "start", "cwd": str(cwd), "argv": args, "env": env, "stdin": None,
                        "out": str(out), "err": str(err), "nofile": nofile})
        return Forked(self, pid, [sys.executable, "-m", "hookdev", *args])

    def close(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()  # the server ends at the end of its input
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()


FORKS = ForkServer()
atexit.register(FORKS.close)


if __name__ == "__main__":
    serve_forks()
