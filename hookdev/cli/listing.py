"""`hookdev list` and `hookdev show`: read recorded exchanges from the store."""

from __future__ import annotations

import argparse
import base64
import json
from typing import Any

from hookdev.cli import summary
from hookdev.cli.common import HELP_FORMAT, add_config_arg, add_store_arg, kind_type, settings_from
from hookdev.config import Settings
from hookdev.errors import HookdevError, StoreError, UsageError
from hookdev.io.redact import exchange_secrets, mask_body_bytes, mask_headers
from hookdev.io.render import show_report, summary_header, summary_line
from hookdev.models import KINDS, Exchange
from hookdev.receiver.store import MIN_ID_PREFIX, Filter, Store


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "list",
        help=summary("list"),
        description="List recorded exchanges, oldest first.",
        epilog="examples:\n  hookdev list --kind token\n  hookdev list --json | jq .status",
        formatter_class=HELP_FORMAT,
    )
    add_config_arg(p)
    add_store_arg(p)
    p.add_argument("--json", action="store_true", help="one JSON object per line (the serve --json shape)")
    p.add_argument("--kind", type=kind_type(), metavar="KIND",
                   help="only this hook kind: " + ", ".join(KINDS) + " (- works for _)")
    p.add_argument("--path", help="only calls to this path")
    p.add_argument("--rejected", action="store_true", help="only calls whose auth failed")
    p.add_argument("--invalid", action="store_true", help="only answers Okta would not accept")
    p.add_argument("--last", type=int, metavar="N", help="only the newest N")
    p.set_defaults(run=run_list)

    s = sub.add_parser(
        "show",
        help=summary("show"),
        description="Show one recorded exchange: request, auth verdict, answer, validation, log.",
        epilog=f"ID may be a unique prefix of at least {MIN_ID_PREFIX} characters; a shorter one, or one that\n"
               "several ids start with, is a usage error (exit 2).\n\nexamples:\n  hookdev show 1m8b7spd\n"
               "  hookdev show 1m8b7spd --json | jq .auth\n  hookdev show 1m8b7spd --reveal   # secrets unmasked",
        formatter_class=HELP_FORMAT,
    )
    s.add_argument("id", metavar="ID", help="an exchange id, or a unique prefix of one (see `hookdev list`)")
    add_config_arg(s)
    add_store_arg(s)
    s.add_argument("--json", action="store_true", help="the exchange as one JSON object, with headers and bodies")
    s.add_argument("--reveal", action="store_true", help="show secrets (Authorization, passwords) unmasked")
    s.set_defaults(run=run_show)


def open_store(settings: Settings) -> Store:
    path = settings.path(settings.server.store)
    if not path.exists():
        raise HookdevError(f"no store at {path}: nothing recorded yet (start `hookdev serve`, or pass --store)")
    return Store(path, readonly=True)  # reading never needs write access (a copied or shared store)


def find_exchange(store: Store, ident: str) -> Exchange:
    """The exchange an id typed on the command line names: exit 2 when it cannot name one (too short, or a prefix
    of several), exit 1 when the store has none such."""
    if len(ident) < MIN_ID_PREFIX:
        raise UsageError(f"{ident!r} is too short to pick one exchange: give at least {MIN_ID_PREFIX} characters "
                         "of its id (ids have 13; `hookdev list` shows them)")
    try:
        ex = store.get(ident)
    except StoreError as exc:  # a prefix of several: the user must type more of it
        raise UsageError(str(exc)) from None
    if ex is None:
        raise HookdevError(f"no exchange {ident!r} in {store.path} (see `hookdev list`)")
    return ex


def run_list(args: argparse.Namespace) -> int:
    store = open_store(settings_from(args))
    flt = Filter(
        kind=args.kind,
        path=args.path,
        auth_ok=False if args.rejected else None,
        valid_ok=False if args.invalid else None,
    )
    printed = 0
    try:
        # A page of rows at a time, each printed as it comes: a million stored calls list in flat memory.
        for ex in store.iter(flt, last=args.last, summaries=True):
            if not printed and not args.json:
                print(summary_header())
            print(json.dumps(ex.to_json()) if args.json else summary_line(ex))
            printed += 1
    finally:
        store.close()
    if not printed and not args.json:
        narrowed = flt != Filter()
        print("no exchanges recorded" + (" matching the filter" if narrowed else ""))
    return 0


def detail_json(ex: Exchange, *, secret_header: str | None, reveal: bool) -> dict[str, Any]:
    """An exchange with its request and response in full, secrets masked unless reveal."""
    def body(raw: bytes, masked: bool) -> dict[str, Any]:
        raw = raw if reveal or not masked else mask_body_bytes(raw)
        try:
            return {"text": raw.decode("utf-8")}
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(raw).decode()}

    req, resp = ex.request, ex.response
    headers = req.headers if reveal else mask_headers(req.headers, exchange_secrets(ex, secret_header))
    return {
        **ex.to_json(),
        "request": {"method": req.method, "path": req.path, "query": req.query, "remote": req.remote,
                    "headers": [list(h) for h in headers], "body": body(req.body, True), "truncated": req.truncated},
        "response": {"status": resp.status, "headers": [list(h) for h in resp.headers], "body": body(resp.body, False)},
        "log": ex.log,
    }


def run_show(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    store = open_store(settings)
    try:
        ex = find_exchange(store, args.id)
    finally:
        store.close()
    secret_header = settings.auth.header if settings.auth.mode == "header" else None
    if args.json:
        print(json.dumps(detail_json(ex, secret_header=secret_header, reveal=args.reveal)))
    else:
        print(show_report(ex, secret_header=secret_header, reveal=args.reveal))
    return 0
