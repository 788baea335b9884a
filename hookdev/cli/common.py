"""Arguments and helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import signal
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


class LineWriter:
    """Writes the lines of a loop turn together at its end: a burst of calls (a committed batch is told in one
    turn) costs one write to the terminal, pipe or file, however the stream is buffered (PYTHONUNBUFFERED
    included), not one per line; each line still goes out in the turn its call was recorded."""

    def __init__(self, out: TextIO, loop: asyncio.AbstractEventLoop) -> None:
        self.out = out
        self.loop = loop
        self._lines: list[str] = []

    def __call__(self, line: str) -> None:
        if not self._lines:
            self.loop.call_soon(self.flush)
        self._lines.append(line)

    def flush(self) -> None:
        if self._lines:
            lines, self._lines = self._lines, []
            self.out.write("\n".join(lines) + "\n")
        self.out.flush()
