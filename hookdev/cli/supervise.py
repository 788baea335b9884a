"""serve's own inspector: a child process (`hookdev inspect --owned`) that serve starts, watches and can reopen.

The receiver stays in serve's process, so nothing the inspector does delays an answer. If the inspector crashes or
is killed, serve restores the terminal, says what happened (and where the traceback is), prints one line per call,
and reopens the inspector when Enter is pressed. Quitting the inspector (q) stops serve.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TextIO

from hookdev.cli.common import STOP_SIGNALS, LineWriter
from hookdev.io.render import exchange_line
from hookdev.io.terminal import safe_text
from hookdev.models import Exchange
from hookdev.receiver.session import Session

LEAVE_S = 3.0
"""How long the inspector gets to leave on its own (restoring the terminal) when serve stops, before SIGTERM."""
# What a full-screen program may have left switched on: the alternate screen, a hidden cursor, mouse reporting,
# bracketed paste, the kitty keyboard protocol. Turned off after an inspector that could not do it itself.
TERMINAL_RESET = ("\x1b[?1049l\x1b[?7h\x1b[?25h\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l\x1b[?2004l"
                  "\x1b[<u\x1b[0m")


class Terminal:
    """The controlling terminal's settings, saved before the inspector starts and put back if it dies."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._saved: Any = None
        try:
            import termios

            if stream.isatty():
                self._saved = termios.tcgetattr(stream.fileno())
        except (ImportError, OSError, ValueError):
            self._saved = None

    def restore(self, out: TextIO) -> None:
        if self._saved is not None:
            import termios

            with contextlib.suppress(OSError):
                termios.tcsetattr(self.stream.fileno(), termios.TCSADRAIN, self._saved)
        if out.isatty():
            out.write(TERMINAL_RESET)
            out.flush()


def describe_exit(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"was killed ({signal.Signals(-code).name})"
        return f"was killed (signal {-code})"
    return f"stopped with exit code {code}"


class _Forward(logging.Handler):
    """While the inspector owns the terminal, serve's own warnings go to it as notices, not onto its screen."""

    def __init__(self, session: Session, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(logging.WARNING)
        self.session, self.loop = session, loop

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("hookdev.receiver.store"):
            return  # the session already turns store trouble into notices of its own
        level = "error" if record.levelno >= logging.ERROR else "warning"
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self.session.notify, level, record.getMessage())


class Supervisor:
    """Runs the inspector as a child until the user quits it or serve is told to stop."""

    def __init__(self, session: Session, *, theme: str | None, out: TextIO = sys.stdout,
                 stdin: TextIO = sys.stdin) -> None:
        self.session = session
        self.theme = theme
        self.out = out
        self.stdin = stdin
        self.stopping = asyncio.Event()
        self.printing = False
        """True while there is no inspector: serve prints one line per call meanwhile."""
        self.child: asyncio.subprocess.Process | None = None

    def command(self, crash_file: Path) -> list[str]:
        argv = [sys.executable, "-m", "hookdev", "inspect", "--owned", "--store", str(self.session.store_path),
                "--crash-file", str(crash_file)]
        return argv + (["--theme", self.theme] if self.theme else [])

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        emit = LineWriter(self.out, loop)
        self.session.subscribe(lambda ex: self._line(emit, ex))
        forward = _Forward(self.session, loop)
        logging.getLogger().addHandler(forward)
        try:
            while not self.stopping.is_set():
                crash_file = self.session.store_path.parent / time.strftime("inspector-crash-%Y%m%d-%H%M%S.log")
                code = await self._inspect(crash_file)
                if code is None or code == 0:
                    return  # serve was told to stop, or the user quit the inspector
                self._crashed(code, crash_file)
                if not await self._wait_for_enter():
                    return
        finally:
            emit.close()
            logging.getLogger().removeHandler(forward)

    def _line(self, emit: LineWriter, ex: Exchange) -> None:
        if self.printing:
            emit(functools.partial(exchange_line, ex, as_json=False))  # made by the output's thread

    async def _inspect(self, crash_file: Path) -> int | None:
        """Run one inspector; its exit code, or None when serve is stopping (the inspector was asked to leave)."""
        terminal = Terminal(self.stdin)
        self.child = await asyncio.create_subprocess_exec(*self.command(crash_file))
        waiting = asyncio.ensure_future(self.child.wait())
        stop = asyncio.ensure_future(self.stopping.wait())
        await asyncio.wait({waiting, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if not waiting.done():
            await self._leave(waiting)
            if self.child.returncode != 0:
                terminal.restore(self.out)
            return None
        code = self.child.returncode
        if code != 0:
            terminal.restore(self.out)
        return code

    async def _leave(self, waiting: asyncio.Future[int]) -> None:
        """Ask the inspector to leave (its channel closes), then insist."""
        await self.session.close_views()
        for step in (self._noop, self._terminate, self._kill):
            step()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(waiting), LEAVE_S)
                return

    def _noop(self) -> None:
        return None

    def _terminate(self) -> None:
        if self.child is not None and self.child.returncode is None:
            self.child.terminate()

    def _kill(self) -> None:
        if self.child is not None and self.child.returncode is None:
            self.child.kill()

    def _crashed(self, code: int, crash_file: Path) -> None:
        where = (f"; its traceback is in {crash_file}" if crash_file.exists() else "")
        lines = [
            f"hookdev: the inspector {describe_exit(code)}{where}.",
            f"Calls are still answered and recorded at {self.session.local_url}; one line each below.",
            "Press Enter to reopen the inspector, Ctrl-C to stop serve.",
        ]
        self.session.notify("error", f"the inspector {describe_exit(code)}{where}")
        print(safe_text("\n".join(lines), multiline=True), file=self.out, flush=True)

    async def _wait_for_enter(self) -> bool:
        """Print lines until Enter (True: reopen) or a stop signal (False). Without a terminal, lines only."""
        self.printing = True
        loop = asyncio.get_running_loop()
        pressed = asyncio.Event()
        fd: int | None = None
        try:
            if self.stdin.isatty():
                fd = self.stdin.fileno()
                loop.add_reader(fd, lambda: _read_line(self.stdin, pressed))
        except (OSError, ValueError, NotImplementedError):
            fd = None
        try:
            tasks = {asyncio.ensure_future(pressed.wait()), asyncio.ensure_future(self.stopping.wait())}
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                task.cancel()
        finally:
            if fd is not None:
                loop.remove_reader(fd)
            self.printing = False
        return pressed.is_set() and not self.stopping.is_set()


def _read_line(stdin: TextIO, pressed: asyncio.Event) -> None:
    try:
        os.read(stdin.fileno(), 4096)
    except OSError:
        return
    pressed.set()


async def serve_with_inspector(session: Session, *, theme: str | None,
                               extra: Callable[[Session], Awaitable[Any]] | None = None,
                               out: TextIO = sys.stdout) -> int:
    """Run a started session with its inspector child until the user quits or a stop signal; 0 when clean."""
    loop = asyncio.get_running_loop()
    supervisor = Supervisor(session, theme=theme, out=out)
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, supervisor.stopping.set)
    running: Any = None
    try:
        running = await extra(session) if extra is not None else None
        await supervisor.run()
    finally:
        stop = getattr(running, "stop", None)
        if stop is not None:
            await stop()
        await session.stop()
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
    return 0
