"""A real process in a pseudo-terminal, its screen read through a terminal emulator (pyte), its keys typed.

Used where the terminal itself matters: serve and its inspector child, several inspectors attached at once, what
reaches the screen raw.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pyte


class PtyProcess:
    """`argv` running with a pseudo-terminal of `cols` x `rows` as its stdin, stdout and stderr."""

    def __init__(self, argv: list[str], *, cwd: Path, cols: int = 100, rows: int = 30,
                 env: dict[str, str] | None = None) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        environment = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(cols), "LINES": str(rows), **(env or {})}
        environment.pop("NO_COLOR", None)
        self.process = subprocess.Popen(argv, cwd=cwd, env=environment, stdin=slave, stdout=slave, stderr=slave,
                                        start_new_session=True, preexec_fn=_controlling(slave), close_fds=True)
        os.close(slave)
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = bytearray()
        """Every byte the process wrote, as it wrote them."""
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                self.raw.extend(data)
                self.stream.feed(data)

    def text(self) -> str:
        with self._lock:
            return "\n".join(line.rstrip() for line in self.screen.display)

    def wait_for(self, predicate: Callable[[str], bool] | str, what: str, within: float = 30.0) -> str:
        """Poll the screen until predicate(text) (or the text appears); the deadline only bounds a failure."""
        check = (lambda text: predicate in text) if isinstance(predicate, str) else predicate
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            text = self.text()
            if check(text):
                return text
            if self.process.poll() is not None and not check(self.text()):
                break
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what} (exit code {self.process.poll()}); the screen:\n"
                             f"{self.text()}")

    def output(self) -> str:
        """Everything written so far, as text (what scrolled off the screen too)."""
        with self._lock:
            return self.raw.decode("utf-8", errors="replace")

    def wait_for_output(self, text: str, what: str, within: float = 30.0) -> str:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if text in self.output():
                return self.output()
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; the screen:\n{self.text()}")

    def send(self, keys: str | bytes) -> None:
        os.write(self.master, keys.encode() if isinstance(keys, str) else keys)

    def children(self) -> list[int]:
        """The process's children (Linux)."""
        path = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def wait(self, within: float = 30.0) -> int:
        return self.process.wait(within)

    def close(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(OSError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(OSError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        with contextlib.suppress(OSError):
            os.close(self.master)
        self._reader.join(5)


def _controlling(slave: int) -> Callable[[], None]:
    def make_controlling() -> None:
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    return make_controlling


def hookdev(*args: str) -> list[str]:
    return [sys.executable, "-m", "hookdev", *args]
