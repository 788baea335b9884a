"""`hookdev import`: bring calls captured elsewhere (a HAR file) into the store, ready to replay."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hookdev.cli import summary
from hookdev.cli.common import HELP_FORMAT, add_config_arg, add_store_arg, settings_from
from hookdev.errors import HookdevError
from hookdev.io.har import import_har
from hookdev.io.render import plural
from hookdev.io.terminal import safe_text
from hookdev.receiver.store import Store


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help=summary("import"),
        description="Import the hook calls of a HAR file as new exchanges; other requests are skipped.",
        epilog="example:\n  hookdev import capture.har && hookdev list",
        formatter_class=HELP_FORMAT,
    )
    p.add_argument("file", metavar="FILE.har")
    add_config_arg(p)
    add_store_arg(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    try:
        data = json.loads(Path(args.file).read_bytes())
        exchanges, skipped = import_har(data)
    except OSError as exc:
        raise HookdevError(f"cannot read {args.file}: {exc.strerror}") from None
    except ValueError as exc:
        raise HookdevError(
            f"{args.file} is not a HAR file ({exc}); export one from devtools or `hookdev export`"
        ) from None
    store = Store(settings.path(settings.server.store))
    try:
        for ex in exchanges:
            store.add_now(ex)
    finally:
        store.close()
    noise = f", skipped {skipped} that Okta would not send (assets, other methods, non-JSON bodies)" if skipped else ""
    print(f"imported {plural(len(exchanges), 'exchange')} into {store.path}{noise}")
    for ex in exchanges:
        print(safe_text(f"  {ex.id}  {ex.request.method} {ex.request.path}  {ex.kind}"))
    return 0
