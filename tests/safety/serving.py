"""A real `hookdev serve` for the safety tests: a subprocess on port 0, its raw output kept byte for byte."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from tests.cli_forks import FORKS, Forked
from tests.conftest import ROOT

T = TypeVar("T")
RAW_CONTROLS = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]")
"""What must never reach the terminal from a call: C0 controls (ESC, BEL, CR...) and DEL."""
UNSAFE_CODEPOINTS = re.compile("[\x80-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
"""C1 controls (in UTF-8 a terminal acts on them too), bidi overrides and isolates, zero-width characters."""


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKDEV_") and k != "NGROK_AUTHTOKEN"}
    env.pop("NO_COLOR", None)
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def wait_for(predicate: Callable[[], T], what: str, timeout: float = 30.0) -> T:
    """Poll until predicate() is truthy; fail naming what never happened."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def hookdev(cwd: Path, *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    """A hookdev command, its output as raw bytes: a process of its own, forked from an interpreter that imported
    hookdev once (tests/cli_forks.py)."""
    return FORKS.run(cwd, list(args), env or clean_env(), stdin=stdin, timeout=timeout)


@dataclass
class Serve:
    """`hookdev serve --headless --port 0 ...` with stdout and stderr going to files (read as bytes): a process of
    its own, forked from an interpreter that imported hookdev once (tests/cli_forks.py); `nofile` lowers its
    RLIMIT_NOFILE (`ulimit -n`) before it starts."""

    cwd: Path
    args: Sequence[str]
    env: dict[str, str] = field(default_factory=clean_env)
    nofile: int | None = None
    proc: Forked | None = None
    url: str = ""

    def __post_init__(self) -> None:
        tag = f"{os.getpid()}-{time.monotonic_ns()}"
        self.out_path = self.cwd / f"serve-{tag}.out"
        self.err_path = self.cwd / f"serve-{tag}.err"

    def start(self) -> Serve:
        self.proc = FORKS.start(self.cwd, ["serve", "--headless", "--port", "0", *self.args], self.env,
                                self.out_path, self.err_path, nofile=self.nofile)
        try:
            self.url = wait_for(self._listening, "serve to print its URL")
        except BaseException:
            self.stop()  # a serve that never said where it listens is not left running
            raise
        return self

    def _listening(self) -> str:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"serve exited with {self.proc.returncode}: {self.err!r}")
        text = self.out.decode("utf-8", "replace")
        if "--json" in self.args:
            first = text.split("\n", 1)
            return json.loads(first[0])["url"] if len(first) > 1 else ""
        match = re.search(r"local URL\s+(http://\S+)", text)
        return match.group(1) if match else ""

    @property
    def out(self) -> bytes:
        return self.out_path.read_bytes()

    @property
    def err(self) -> bytes:
        return self.err_path.read_bytes()

    def json_lines(self) -> list[dict[str, Any]]:
        """The JSON lines serve has written so far; one it is still writing (no newline yet) is left for later."""
        written = self.out.decode(errors="replace")
        complete = written[:written.rfind("\n") + 1]
        return [json.loads(line) for line in complete.splitlines() if line.startswith("{")]

    def exchange(self, exchange_id: str, timeout: float = 30.0) -> dict[str, Any]:
        """The JSON line of one exchange (needs --json)."""
        def found() -> dict[str, Any] | None:
            return next((e for e in self.json_lines() if e.get("id") == exchange_id), None)

        return wait_for(found, f"the line of exchange {exchange_id}", timeout)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.url.removeprefix("http://").rsplit(":", 1)
        return host, int(port)

    def stop(self) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def __enter__(self) -> Serve:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def http(address: tuple[str, int], raw: bytes, timeout: float = 20.0) -> tuple[int, dict[str, str], bytes]:
    """Send raw HTTP/1.1 bytes on a fresh connection; (status, headers, body) of the answer."""
    with socket.create_connection(address, timeout=timeout) as sock:
        sock.sendall(raw)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                raise AssertionError(f"the connection closed before an answer: {data!r}")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return int(lines[0].split(" ", 2)[1]), headers, body[:length]


def request(method: str, target: str, body: bytes = b"", *headers: str) -> bytes:
    """Raw request bytes: any target (even one no client library would send) and any header bytes."""
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *headers]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return "\r\n".join(lines).encode("utf-8", "surrogateescape") + b"\r\n\r\n" + body


def assert_terminal_safe(data: bytes, what: str) -> None:
    """No raw control character (newline and tab aside) and no C1, bidi or zero-width character in the output."""
    raw = RAW_CONTROLS.search(data)
    if raw is not None:
        near = data[max(raw.start() - 40, 0):raw.end() + 40]
        raise AssertionError(f"{what} wrote a raw control byte {raw.group()!r} near {near!r}")
    text = data.decode("utf-8", "replace")
    unsafe = UNSAFE_CODEPOINTS.search(text)
    if unsafe is not None:
        near_text = text[max(unsafe.start() - 40, 0):unsafe.end() + 40]
        raise AssertionError(f"{what} wrote U+{ord(unsafe.group()):04X} raw near {near_text!r}")
