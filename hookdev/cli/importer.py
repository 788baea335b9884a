"""`hookdev import`: bring calls captured elsewhere (a HAR file) into the store, ready to replay."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hookdev.cli import summary
from hookdev.cli.common import HELP_FORMAT, add_config_arg, add_store_arg, settings_from
from hookdev.errors import HookdevError
from hookdev.io.har import Imported, har_entries, read_entries
from hookdev.io.render import plural
from hookdev.io.terminal import safe_text
from hookdev.models import Exchange
from hookdev.receiver.store import Store


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help=summary("import"),
        description="Import the hook calls of a HAR file as new exchanges; other requests are skipped.",
        epilog="examples:\n  hookdev import capture.har && hookdev list\n"
               "  hookdev import capture.har --store team.db   a store of its own, to share",
        formatter_class=HELP_FORMAT,
    )
    p.add_argument("file", metavar="FILE.har", help="a HAR file: saved from the browser's devtools (Network tab), "
                                                     "`hookdev export --format har`, or another tool")
    add_config_arg(p)
    add_store_arg(p)
    p.set_defaults(run=run)


SHOWN = 50
"""Imported exchanges listed one a line; past that, a count (`hookdev list` shows them all)."""


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    entries = read_har(args.file)
    tally = Imported()
    store = Store(settings.path(settings.server.store))
    shown: list[Exchange] = []
    count = 0

    def counted(exchanges: Iterator[Exchange]) -> Iterator[Exchange]:
        nonlocal count
        for ex in exchanges:
            count += 1
            if len(shown) < SHOWN:
                shown.append(ex)
            yield ex

    try:
        store.add_many(counted(read_entries(entries, tally)))  # a transaction per batch, not per exchange
    finally:
        store.close()
    noise = (f", skipped {tally.skipped} that Okta would not send (assets, other methods, non-JSON bodies)"
             if tally.skipped else "")
    print(f"imported {plural(count, 'exchange') if count else '0 exchanges'} into {store.path}{noise}")
    for ex in shown:
        print(safe_text(f"  {ex.id}  {ex.request.method} {ex.request.path}  {ex.kind}"))
    if count > len(shown):
        print(f"  ... and {count - len(shown)} more (`hookdev list` shows them)")
    if tally.malformed:
        entries_word = "entry" if tally.malformed == 1 else "entries"
        print(safe_text(f"hookdev import: skipped {tally.malformed} malformed {entries_word} (the first, "
                        f"{tally.first_problem})"), file=sys.stderr)
    return 1 if tally.malformed and not count else 0


def read_har(file: str) -> list[Any]:
    """The entries of a HAR file, or a one-line HookdevError saying why it cannot be read as one."""
    try:
        data = json.loads(Path(file).read_bytes())  # json, not orjson: half the peak memory on a big file
    except OSError as exc:
        raise HookdevError(f"cannot read {file}: {exc.strerror}") from None
    except RecursionError:
        raise HookdevError(f"{file} is not a HAR file: its JSON is nested too deeply to read") from None
    except ValueError as exc:  # not JSON, not UTF-8
        raise HookdevError(f"{file} is not a HAR file ({exc}); export one from devtools or `hookdev export`") from None
    try:
        return har_entries(data)
    except ValueError as exc:
        raise HookdevError(f"{file} is not a HAR file ({exc}); export one from devtools or `hookdev export`") from None
