"""Arguments and helpers shared by the subcommands."""

from __future__ import annotations

import argparse
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
    Up to MAX_UNWRITTEN bytes wait; past that, lines are counted instead, and `dropped(count)` says how many
    once the output takes lines again."""

    def __init__(self, out: TextIO, loop: asyncio.AbstractEventLoop,
                 dropped: Callable[[int], str] = dropped_text) -> None:
        self.out = out
        self.loop = loop
        self.dropped = dropped
        self._lines: list[str] = []
        self._texts: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._waiting = 0
        self._skipped = 0
        self._thread: threading.Thread | None = None

    def __call__(self, line: str) -> None:
        if not self._lines:
            self.loop.call_soon(self.flush)
        self._lines.append(line)

    def flush(self) -> None:
        """Hand the lines so far to the writing thread."""
        if not self._lines:
            return
        lines, self._lines = self._lines, []
        text = "\n".join(lines) + "\n"
        with self._lock:
            if self._waiting + len(text) > MAX_UNWRITTEN:
                self._skipped += len(lines)
                return
            if self._skipped:
                text = self.dropped(self._skipped) + "\n" + text
                self._skipped = 0
            self._waiting += len(text)
        if self._thread is None:
            self._thread = threading.Thread(target=self._write_loop, name="hookdev-output", daemon=True)
            self._thread.start()
        self._texts.put(text)

    def close(self, timeout: float = 5.0) -> None:
        """Write what is left (waiting at most `timeout` seconds for an output that takes nothing) and stop."""
        self.flush()
        if self._thread is not None:
            self._texts.put(None)
            self._thread.join(timeout)
            self._thread = None

    def _write_loop(self) -> None:
        while (text := self._texts.get()) is not None:
            try:
                self.out.write(text)
                self.out.flush()
            except (OSError, ValueError):  # the reader went away (a closed pipe): the store has every call
                pass
            with self._lock:
                self._waiting -= len(text)
