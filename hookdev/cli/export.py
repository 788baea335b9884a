"""`hookdev export`: recorded exchanges as HAR 1.2, curl lines or payload files, secrets masked by default."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hookdev.cli import summary
from hookdev.cli.common import HELP_FORMAT, add_config_arg, add_store_arg, settings_from
from hookdev.cli.listing import find_exchange, open_store
from hookdev.config import Settings
from hookdev.errors import HookdevError
from hookdev.io.export import payload_filename, to_curl, to_har, to_payload
from hookdev.io.render import plural
from hookdev.loopback import reachable_host
from hookdev.models import Exchange
from hookdev.receiver.store import Store
from hookdev.runtime import read_runtime

EPILOG = """\
No ID exports every exchange. Secrets (Authorization values, the configured secret header,
password-import passwords, client secrets) are masked unless --unredacted.

examples:
  hookdev export --format har -o hooks.har          open it in the browser's devtools (Network tab)
  hookdev export 0k3x9a7b --format curl
  hookdev export --format payload -o payloads/      one file per exchange, for `hookdev send`
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help=summary("export"),
        description="Export recorded exchanges as HAR 1.2, curl command lines, or payload files `send` takes.",
        epilog=EPILOG,
        formatter_class=HELP_FORMAT,
    )
    p.add_argument("ids", metavar="ID", nargs="*", help="exchange ids or unique prefixes (default: all)")
    p.add_argument("--format", required=True, choices=("har", "curl", "payload"),
                   help="har: one file for devtools and `hookdev import`; curl: command lines to paste; "
                        "payload: request files `hookdev send` takes")
    add_config_arg(p)
    add_store_arg(p)
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout (a folder for payload)")
    p.add_argument("--unredacted", action="store_true", help="keep secrets as recorded")
    p.add_argument("--to", metavar="URL", help="base URL of the curl lines and HAR entries "
                   "(default: the serve running on the store, else the configured host and port)")
    p.set_defaults(run=run)


def receiver_url(settings: Settings, store_path: Path) -> str:
    """The URL of this store's receiver: the serve running on it, else the configured host and port."""
    running = read_runtime(store_path)
    if running and isinstance(running.get("url"), str):
        return running["url"]
    return f"http://{reachable_host(settings.server.host)}:{settings.server.port}"


def _select(store: Store, ids: list[str]) -> list[Exchange]:
    if not ids:
        return store.list()
    return [find_exchange(store, ident) for ident in ids]


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    if args.to:
        from hookdev.send.sender import check_url

        check_url(args.to)
    store = open_store(settings)
    try:
        exchanges = _select(store, args.ids)
    finally:
        store.close()
    redact = not args.unredacted
    secret_header = settings.auth.header if settings.auth.mode == "header" else None
    if args.format == "payload" and args.output and (Path(args.output).is_dir() or args.output.endswith("/")):
        return _payload_dir(exchanges, Path(args.output), redact)
    # The receiver's own URL (or --to), never the Host or X-Forwarded-Host a caller sent.
    base = args.to or receiver_url(settings, store.path)
    if args.format == "har":
        text = json.dumps(to_har(exchanges, redact=redact, secret_header=secret_header, base_url=base), indent=2)
    elif args.format == "curl":
        lines = [to_curl(ex, redact=redact, secret_header=secret_header, base_url=base) for ex in exchanges]
        text = "\n".join(lines)
    else:
        payloads = [to_payload(ex, redact=redact) for ex in exchanges]
        text = json.dumps(payloads[0] if len(payloads) == 1 else payloads, indent=2)
    _write(text, args.output)
    return 0


def _payload_dir(exchanges: list[Exchange], folder: Path, redact: bool) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    for ex in exchanges:
        text = json.dumps(to_payload(ex, redact=redact), indent=2) + "\n"
        (folder / payload_filename(ex)).write_text(text, encoding="utf-8")
    print(f"wrote {plural(len(exchanges), 'payload file')} to {folder}", file=sys.stderr)
    return 0


def _write(text: str, output: str | None) -> None:
    if not output:
        print(text)
        return
    try:
        Path(output).write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise HookdevError(f"cannot write {output}: {exc.strerror}") from None
