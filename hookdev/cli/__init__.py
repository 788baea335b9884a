"""The `hookdev` command: parse arguments, load settings, run a subcommand, map errors to exit codes."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from hookdev import __version__
from hookdev.errors import ConfigError, HookdevError, UsageError
from hookdev.io.terminal import safe_text

# Each command: the module under hookdev.cli whose register(subparsers) adds it, and the line `hookdev --help`
# shows. Only the module of the command being run is imported, so `hookdev --help` starts in a few tens of ms
# instead of importing aiohttp, Textual and every subcommand first.
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("serve", "receive Okta hooks: verify, answer, validate and record every call"),
    "list": ("listing", "list recorded exchanges, oldest first"),
    "show": ("listing", "show one exchange in full"),
    "send": ("send", "act as Okta: send a hook call with Okta's headers, auth, timeout and retries"),
    "replay": ("replay", "send a recorded call again, as Okta would (fresh auth)"),
    "validate": ("validate", "check an inline hook answer file against Okta's rules"),
    "export": ("export", "write recorded exchanges as HAR, curl lines or payload files"),
    "import": ("importer", "import calls from a HAR file (browser devtools, other tools) into the store"),
    "authserver": ("authserver", "the local OAuth 2.0 authorization server"),
    "init": ("init", "scaffold hookdev.toml, .env and a working hooks.py for one of Okta's hook guides"),
    "inspect": ("inspect", "the terminal inspector, attached to a running serve (another terminal, a tmux pane)"),
    "demo": ("demo", "see hookdev work in seconds: sample Okta calls of every kind, locally"),
    "okta": ("okta", "register hooks in your Okta org, run Okta's Preview, read its System Log"),
}


def summary(command: str) -> str:
    """The one-line help of a command, as `hookdev --help` lists it."""
    return COMMANDS[command][1]


DESCRIPTION = """\
Receive, verify, answer, validate, record and replay Okta event and inline hooks on your laptop.

Start with `hookdev serve` (or `hookdev demo` to watch sample traffic), point an Okta hook at the
URL it prints (through `--tunnel` for a real org), and every call is checked and stored.
"""

EPILOG = """\
examples:
  hookdev demo                  sample calls of every kind, all local: no Okta org, no ngrok account
  hookdev init token            hooks.py, hookdev.toml and .env for Okta's token hook guide
  hookdev serve                 receive calls on http://127.0.0.1:8080, shown in the inspector
  hookdev inspect               one more inspector on that serve (another terminal, a tmux pane)
  hookdev send token --to http://127.0.0.1:8080/tokenHook
                                act as Okta, from another terminal
  hookdev list --kind token     what was recorded; `hookdev show ID` shows one call in full

`hookdev COMMAND --help` has each command's options and examples.
exit codes: 0 ok, 1 the thing the command is about failed (invalid answer, failed send),
2 usage or configuration error (an unknown kind or sample, a --to that is not an http(s) URL).
settings: hookdev.toml in this folder (or --config), then HOOKDEV_<SECTION>_<KEY> variables,
then flags. A .env with USER and PASSWORD sets the Basic credentials, as in Okta's samples.
"""


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for argv: the command named there in full, every other one as its summary line only."""
    parser = argparse.ArgumentParser(
        prog="hookdev",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hookdev {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = _command_in(sys.argv[1:] if argv is None else argv)
    wanted = {COMMANDS[chosen][0]} if chosen else set()
    registered: set[str] = set()
    for name, (module, line) in COMMANDS.items():
        if module in wanted:
            if module not in registered:
                registered.add(module)
                importlib.import_module(f"hookdev.cli.{module}").register(sub)
        else:
            sub.add_parser(name, help=line)
    return parser


def _command_in(argv: Sequence[str]) -> str | None:
    """The command argv runs: its first word that is not an option (hookdev itself takes no option values)."""
    for word in argv:
        if word == "--":
            continue
        if not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except ConfigError as exc:
        print(f"hookdev: config error: {safe_text(str(exc), multiline=True)}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"hookdev {args.command}: {safe_text(str(exc), multiline=True)}", file=sys.stderr)
        return 2
    except HookdevError as exc:
        print(f"hookdev: {safe_text(str(exc), multiline=True)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
