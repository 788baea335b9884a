"""Arguments and helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import logging
import queue
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from hookdev.config import Overrides, Settings, load_settings
from hookdev.models import KINDS, Kind
from hookdev.okta.kinds import parse_kind

if TYPE_CHECKING:
    import asyncio

HELP_FORMAT = argparse.RawDescriptionHelpFormatter
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""What stops a long-running command cleanly: Ctrl-C, a kill, and the terminal closing (SIGHUP)."""

log = logging.getLogger(__name__)


def add_config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="settings file (default: ./hookdev.toml when present)")


def add_store_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store", metavar="PATH", help="SQLite file of recorded exchanges (default: .hookdev/hookdev.db)"
    )


def kind_type(kinds: tuple[Kind, ...] = KINDS) -> Callable[[str], Kind]:
    """An argparse `type` for a kind name: either spelling becomes the canonical kind, anything else exit 2."""

    def kind(text: str) -> Kind:
        try:
            return parse_kind(text, kinds)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    kind.__name__ = "kind"  # argparse names the type in its "invalid kind value" fallback
    return kind


def settings_from(args: argparse.Namespace, overrides: Overrides | None = None) -> Settings:
    """Settings for a command: config file, environment, then the flags given."""
    merged: dict[tuple[str, str], Any] = dict(overrides or {})
    store = getattr(args, "store", None)
    if store:
        merged[("server", "store")] = str(Path(store).resolve())
    return load_settings(getattr(args, "config", None), overrides=merged)


MAX_UNWRITTEN = 8 * 1024 * 1024
"""Bytes of lines that may wait for a terminal, pipe or file that stopped taking them; later lines are dropped
(and counted) until it takes them again."""
MADE_LATER = 1024
"""What a line the writing thread makes itself counts for against MAX_UNWRITTEN until it is made: about the
longest of an exchange's JSON lines."""

Line = str | Callable[[], str]
"""A line, or a function the writing thread calls for it."""


def dropped_message(count: int) -> str:
    """What LineWriter says of the lines it could not write."""
    return (f"{count} line{'' if count == 1 else 's'} not shown: this output was not read for a while "
            "(every call is in the store: hookdev list)")


def dropped_text(count: int) -> str:
    return f"hookdev: {dropped_message(count)}"


class LineWriter:
    """Writes the lines of a loop turn together at its end: a burst of calls (a committed batch is told in one
    turn) costs one write, however the stream is buffered (PYTHONUNBUFFERED included), not one per line.

    The writing is done by a thread of its own, so an output that stops taking lines (a pager scrolled back,
    a consumer that stalls, a terminal on hold) never holds up the event loop, and with it an answer to Okta.
    A line may be handed over as the function that makes it: the thread makes it, so what only informs costs the
    loop nothing. Up to MAX_UNWRITTEN bytes wait; past that, lines are counted instead, and `dropped(count)` says
    how many once the output takes lines again."""

    def __init__(self, out: TextIO, loop: asyncio.AbstractEventLoop,
                 dropped: Callable[[int], str] = dropped_text) -> None:
        self.out = out
        self.loop = loop
        self.dropped = dropped
        self._lines: list[Line] = []
        self._texts: queue.SimpleQueue[tuple[list[Line], int] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._waiting = 0
        self._skipped = 0
        self._thread: threading.Thread | None = None

    def __call__(self, line: Line) -> None:
        if not self._lines:
            self.loop.call_soon(self.flush)
        self._lines.append(line)

    def flush(self) -> None:
        """Hand the lines so far to the writing thread."""
        if not self._lines:
            return
        lines, self._lines = self._lines, []
        size = sum(len(line) + 1 if isinstance(line, str) else MADE_LATER for line in lines)
        with self._lock:
            if self._waiting + size > MAX_UNWRITTEN:
                self._skipped += len(lines)
                return
            if self._skipped:
                notice = self.dropped(self._skipped)
                lines.insert(0, notice)
                size += len(notice) + 1
                self._skipped = 0
            self._waiting += size
        if self._thread is None:
            self._thread = threading.Thread(target=self._write_loop, name="hookdev-output", daemon=True)
            self._thread.start()
        self._texts.put((lines, size))

    def close(self, timeout: float = 5.0) -> None:
        """Write what is left (waiting at most `timeout` seconds for an output that takes nothing) and stop."""
        self.flush()
        if self._thread is not None:
            self._texts.put(None)
            self._thread.join(timeout)
            self._thread = None

    def _write_loop(self) -> None:
        cut = False
        while (item := self._texts.get()) is not None:
            lines, size = item
            text = "\n".join(line if isinstance(line, str) else _made(line) for line in lines) + "\n"
            try:
                # After a write that failed part way (a full disk), the next lines start on a line of their own.
                self.out.write("\n" + text if cut else text)
                self.out.flush()
                cut = False
            except (OSError, ValueError):  # the reader went away (a closed pipe), a full disk: the store has them
                cut = True
            with self._lock:
                self._waiting -= size


def _made(make: Callable[[], str]) -> str:
    try:
        return make()
    except Exception as exc:  # a line that cannot be made must not stop the lines after it
        log.exception("making an output line failed")
        return f"hookdev: a line could not be made ({type(exc).__name__}: {exc}); the call is in the store"
