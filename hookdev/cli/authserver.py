"""`hookdev authserver`: run the local OAuth 2.0 authorization server alone, or rotate its signing key."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import UTC, datetime

from aiohttp import web

from hookdev.auth.authserver import create_authserver_app
from hookdev.auth.keys import KeyStore
from hookdev.cli import summary
from hookdev.cli.common import HELP_FORMAT, STOP_SIGNALS, add_config_arg, settings_from
from hookdev.config import AuthServerSettings, Settings
from hookdev.errors import ConfigError
from hookdev.loopback import reachable_host

DESCRIPTION = """\
Run the local OAuth 2.0 authorization server on its own (`hookdev serve` also mounts it, under
authserver.path, unless [auth] issuer is an Okta org). Okta's OAuth 2.0 inline hooks, or `hookdev send`,
get client_credentials tokens from its token URL; `serve` in oauth mode verifies them against its key set.
"""

EPILOG = """\
examples:
  hookdev authserver                      listen on 127.0.0.1:8081 (authserver.port)
  hookdev authserver --port 0 --json      pick a free port, print one JSON line
  hookdev authserver rotate --grace 3600  new signing key; the old one stays published for an hour

Clients and their secrets are [[authserver.clients]] in hookdev.toml; without one, the client is
okta-hooks with hookdev's built-in secret, which is public (the banner says which applies).
exit codes: 0 stopped cleanly or rotated, 2 a bad setting or a port in use.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "authserver", help=summary("authserver"), description=DESCRIPTION, epilog=EPILOG,
        formatter_class=HELP_FORMAT,
    )
    parser.add_argument("action", nargs="?", choices=["rotate"], help="rotate: make a new signing key and exit")
    add_config_arg(parser)
    parser.add_argument(
        "--port", type=int, help="port to listen on (default authserver.port, 8081; 0 picks a free one)"
    )
    parser.add_argument("--host", help="address to bind (default server.host, 127.0.0.1)")
    parser.add_argument("--json", action="store_true", help="print the listening line as JSON")
    parser.add_argument("--rotate", action="store_true", help="same as the rotate action")
    parser.add_argument(
        "--grace", type=float, default=86400.0, metavar="SECONDS",
        help="with rotate: how long the old key stays published (default 86400)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    overrides = {("authserver", "port"): args.port} if args.port is not None else {}
    settings = settings_from(args, overrides)
    if args.action == "rotate" or args.rotate:
        return _rotate(settings, args.grace)
    return asyncio.run(_serve(settings, args.host or settings.server.host, settings.authserver.port, args.json))


def _rotate(settings: Settings, grace: float) -> int:
    path = settings.path(settings.authserver.key_file)
    store = KeyStore.load(path)
    old = store.active.kid
    new = store.rotate(grace)
    until = datetime.fromtimestamp(time.time() + grace, tz=UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    print(f"new signing key {new.kid} is active ({path}).")
    print(f"the old key {old} stays published until {until}; running servers pick the change up on their next request.")
    return 0


async def _serve(settings: Settings, host: str, port: int, as_json: bool) -> int:
    keys = await asyncio.to_thread(KeyStore.load, settings.path(settings.authserver.key_file))
    root = web.Application()
    app = create_authserver_app(settings.authserver, keys, base_dir=settings.base_dir)
    root.add_subapp(settings.authserver.path, app)
    runner = web.AppRunner(root, handle_signals=False)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Handlers go in before the listening line: a script may signal as soon as it has read that line.
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            raise ConfigError(
                "authserver.port",
                f"cannot listen on {host}:{port} ({exc.strerror}); "
                "pick another with --port, or --port 0 for a free one",
            ) from exc
        bound = runner.addresses[0][1]
        url = f"http://{reachable_host(host)}:{bound}"
        issuer = url + settings.authserver.path
        listening = json.dumps({"event": "listening", "url": url, "issuer": issuer})
        print(listening if as_json else _banner(settings, issuer), flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
    return 0


def _config(settings: Settings) -> str:
    return next((source for source in settings.sources if source.endswith(".toml")), "the settings")


def _banner(settings: Settings, issuer: str) -> str:
    a = settings.authserver
    clients = []
    for c in a.clients:
        method = "client_secret_basic / client_secret_post" if c.client_secret else "private_key_jwt"
        clients.append(f"    {c.client_id}  ({method})")
    example = next((c for c in a.clients if c.client_secret), None)
    lines = [
        "hookdev authorization server",
        f"  issuer     {issuer}",
        f"  token URL  {issuer}/v1/token    (grant client_credentials)",
        f"  keys       {issuer}/v1/keys",
        f"  audience   {a.audience}    scopes {' '.join(a.scopes) or '(none)'}",
        "  clients",
        *clients,
    ]
    if example is not None:
        built_in = a.clients == AuthServerSettings().clients
        secret = example.client_secret if built_in else "****"
        where = ([f"  secret     {secret}: hookdev's built-in default, public to anyone (fine on this",
                  "             laptop); set your own in hookdev.toml [[authserver.clients]]",
                  "  get a token:"] if built_in else
                 [f"  get a token (secret masked; it is in [[authserver.clients]] of {_config(settings)}):"])
        lines += [
            *where,
            f"    curl -s -u {example.client_id}:{secret} -d grant_type=client_credentials "
            f"-d scope={' '.join(a.scopes[:1])} {issuer}/v1/token",
        ]
    lines.append("  verify its tokens: [auth] mode = \"oauth\", issuer = \"" + issuer + "\"")
    lines.append("Ctrl-C stops it.")
    return "\n".join(lines)
