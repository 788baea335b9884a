"""`hookdev replay`: send a recorded call again, with fresh auth, so it lands as a new exchange."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from hookdev.cli import summary
from hookdev.cli.common import HELP_FORMAT, add_config_arg, add_store_arg, settings_from
from hookdev.cli.listing import find_exchange, open_store
from hookdev.cli.send import add_auth_arg, report, settings_for, with_notes
from hookdev.errors import HookdevError
from hookdev.send.replay import replay, serve_url
from hookdev.send.sender import check_url

EPILOG = """\
Without --to the call goes to the `hookdev serve` running on the same store, and is recorded there
as a new exchange whose replay_of is ID. The captured credential is never re-sent: the configured
Basic credentials, header secret or a freshly fetched OAuth token are used instead, in the
auth mode of the serve called (or --auth MODE).

examples:
  hookdev replay 0k3x9a7b
  hookdev replay 0k3x9a7b --to https://my.app/hooks/token --body edited.json
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "replay",
        help=summary("replay"),
        description="Re-send a recorded call through the same machinery as `send`.",
        epilog=EPILOG,
        formatter_class=HELP_FORMAT,
    )
    p.add_argument("id", metavar="ID", help="exchange id or a unique prefix (see `hookdev list`)")
    add_config_arg(p)
    add_store_arg(p)
    p.add_argument("--to", metavar="URL", help="send here instead of the running serve (a bare origin keeps the path)")
    p.add_argument("--body", metavar="FILE", help="send this body instead of the recorded one")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    add_auth_arg(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.to:
        check_url(args.to)
    store = open_store(settings_from(args))
    try:
        exchange_id = find_exchange(store, args.id).id  # a mistyped id is said before anything is sent
        settings, mode_note = settings_for(args, args.to or serve_url(settings_from(args)))
        body = None
        if args.body:
            try:
                body = Path(args.body).read_bytes()
            except OSError as exc:
                raise HookdevError(f"cannot read --body {args.body}: {exc.strerror}") from None
        result = asyncio.run(replay(store, exchange_id, settings, to=args.to, edited_body=body))
    finally:
        store.close()
    result = with_notes(result, mode_note)
    print(json.dumps(result.to_json()) if args.json else report(result, f"exchange {args.id}"))
    return 0 if result.accepted else 1
