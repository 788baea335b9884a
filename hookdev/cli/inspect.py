"""`hookdev inspect`: the terminal inspector, attached to the serve running on a store."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from hookdev.cli import summary
from hookdev.cli.common import HELP_FORMAT, add_config_arg, add_store_arg, settings_from
from hookdev.control.client import how_to_start
from hookdev.runtime import read_runtime

EPILOG = """\
examples:
  hookdev inspect                       attach to the serve recording to .hookdev/hookdev.db
  hookdev inspect --store demo.db       ... or to the one recording to demo.db
  hookdev inspect --theme contrast      high contrast, for projectors

The inspector is a view: serve keeps answering Okta whatever it does, and several may be attached at
once (another terminal, a tmux pane, a workshop machine's big screen). q leaves it; serve keeps running.
With no serve running on the store it exits 1 and says how to start one.
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("inspect", help=summary("inspect"),
                       description="Open the terminal inspector on the calls of a running `hookdev serve`.",
                       epilog=EPILOG, formatter_class=HELP_FORMAT)
    add_config_arg(p)
    add_store_arg(p)
    p.add_argument("--theme", choices=("normal", "contrast"), help="inspector theme (contrast: for projectors)")
    p.add_argument("--owned", action="store_true", help=argparse.SUPPRESS)  # serve's own inspector: q stops serve
    p.add_argument("--crash-file", help=argparse.SUPPRESS)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    store = settings.path(settings.server.store)
    if read_runtime(store) is None:
        print(f"hookdev inspect: no hookdev serve is running on {store}; {how_to_start(store)}", file=sys.stderr)
        return 1
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print("hookdev inspect: the inspector needs a terminal (stdin and stdout); `hookdev list` and "
              "`hookdev serve --headless` print lines instead", file=sys.stderr)
        return 2
    from hookdev.tui.app import run_inspector

    crash_file = Path(args.crash_file) if args.crash_file else store.parent / time.strftime(
        "inspector-crash-%Y%m%d-%H%M%S.log")
    code = run_inspector(store, owner=args.owned, theme=args.theme, crash_file=crash_file)
    if code != 0 and crash_file.exists() and not args.owned:
        print(f"hookdev inspect: the inspector stopped on an error; its traceback is in {crash_file}",
              file=sys.stderr)
    return code
