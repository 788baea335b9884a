"""The `hookdev` command: parse arguments, load settings, run a subcommand, map errors to exit codes."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence

from hookdev import __version__
from hookdev.errors import ConfigError, HookdevError

# One module per subcommand under hookdev.cli; each defines register(subparsers).
COMMANDS = (
    "serve",
    "listing",
    "send",
    "replay",
    "validate",
    "export",
    "importer",
    "authserver",
    "init",
    "demo",
)

DESCRIPTION = """\
Receive, verify, answer, validate, record and replay Okta event and inline hooks on your laptop.

Start with `hookdev serve` (or `hookdev demo` to watch sample traffic), point an Okta hook at the
URL it prints (through `--tunnel` for a real org), and every call is checked and stored.
"""

EPILOG = """\
exit codes: 0 ok, 1 the thing the command is about failed (invalid answer, failed send),
2 usage or configuration error.
settings: hookdev.toml in this folder (or --config), then HOOKDEV_<SECTION>_<KEY> variables,
then flags. A .env with USER and PASSWORD sets the Basic credentials, as in Okta's samples.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hookdev",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hookdev {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module_name = f"hookdev.cli.{name}"
        if importlib.util.find_spec(module_name) is None:
            continue
        importlib.import_module(module_name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except ConfigError as exc:
        print(f"hookdev: config error: {exc}", file=sys.stderr)
        return 2
    except HookdevError as exc:
        print(f"hookdev: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
