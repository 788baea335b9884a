"""`hookdev okta …`: the org's hooks pointed at this hookdev, Okta's Preview, and its System Log."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from hookdev.cli import summary
from hookdev.cli.common import HELP_FORMAT, add_config_arg, add_store_arg, settings_from
from hookdev.config import Settings
from hookdev.io.render import plural
from hookdev.okta.kinds import kind_named

EPILOG = """\
The org is [okta] org_url in hookdev.toml (https://dev-123456.okta.com). hookdev signs in with an API token
(OKTA_API_TOKEN in the environment or .env, or [okta] api_token) or an OAuth 2.0 service app ([okta] client_id
and private_key; scopes okta.inlineHooks.manage okta.eventHooks.manage okta.logs.read). Secrets are never printed.

examples:
  hookdev okta status                     the org's hooks, and which ones point at this hookdev
  hookdev okta connect --kinds token      a token inline hook calling the serve running here (through its tunnel)
  hookdev okta preview token              Okta itself calls the token hook with a sample payload
  hookdev okta logs --since 1h            what Okta logged about hook calls, matched to recorded exchanges
  hookdev okta disconnect                 deactivate what connect made, put back what it adopted

`hookdev serve --tunnel --okta` does connect on start and disconnect on exit, and follows the log meanwhile.
exit codes: 0 ok, 1 Okta refused or failed (its errorSummary and errorCauses are printed), 2 usage or config.
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("okta", help=summary("okta"),
                       description="The Okta org in the loop: hooks pointed at this hookdev, Preview, System Log.",
                       epilog=EPILOG, formatter_class=HELP_FORMAT)
    commands = p.add_subparsers(dest="okta_command", metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        c = commands.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + ".",
                                formatter_class=HELP_FORMAT)
        add_config_arg(c)
        add_store_arg(c)
        c.add_argument("--json", action="store_true", help="one JSON object a line")
        return c

    command("status", "the org's inline and event hooks, and which ones point at this hookdev").set_defaults(
        run=run_status)
    c = command("connect", "create or update one hook per kind in use, pointing at this hookdev, and activate it")
    c.add_argument("--url", metavar="PUBLIC_URL", help="where Okta calls (default: the tunnel of the serve running "
                                                       "on the store)")
    c.add_argument("--kinds", metavar="K,K...", help="which hooks: token, registration, saml, telephony, "
                                                     "password_import, user_import, event (default: [okta] kinds, "
                                                     "else the kinds the store has calls of)")
    c.add_argument("--adopt", action="store_true", help="point the org's own hook of a kind at hookdev when it "
                                                        "has one (disconnect puts it back)")
    c.set_defaults(run=run_connect)
    command("disconnect", "deactivate the hooks connect made and put back the ones it adopted").set_defaults(
        run=run_disconnect)
    c = command("preview", "Okta itself executes an inline hook with a payload (Okta's Preview)")
    c.add_argument("kind", metavar="KIND",
                   help="registration, token, saml, telephony, password_import, user_import (- works for _)")
    c.add_argument("payload", metavar="PAYLOAD", nargs="?",
                   help="a JSON file, a sample name or a stored exchange id (default: the kind's sample)")
    c.set_defaults(run=run_preview)
    c = command("logs", "the System Log events about hooks, matched to the recorded calls they are about")
    c.add_argument("--since", default="1h", metavar="DURATION", help="how far back: 30s, 10m, 2h, 1d (default 1h)")
    c.set_defaults(run=run_logs)
    p.set_defaults(run=lambda args: (p.print_help(), 2)[1])


def _store(settings: Settings) -> Path:
    return settings.path(settings.server.store)


def _client(settings: Settings) -> Any:
    from hookdev.okta_api.client import OktaClient

    return OktaClient.from_settings(settings, notify=lambda m: print(f"hookdev: {m}", file=sys.stderr, flush=True))


def _emit(args: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    """One JSON line, or the text line made safe for the terminal (names and messages come from the org)."""
    from hookdev.io.terminal import safe_text

    print(json.dumps(data) if args.json else safe_text(text), flush=True)


# -- status ----------------------------------------------------------------------------------------------------
def run_status(args: argparse.Namespace) -> int:
    return asyncio.run(_status(args, settings_from(args)))


async def _status(args: argparse.Namespace, settings: Settings) -> int:
    from hookdev.io.terminal import safe_text
    from hookdev.okta_api.connect import list_hooks, state_for
    from hookdev.runtime import read_runtime

    store = _store(settings)
    async with _client(settings) as client:
        hooks = await list_hooks(client)
        running = read_runtime(store) or {}
        here = running.get("public_url") or state_for(store).org(client.base).url or None
    for hook in hooks:
        mark = "*" if hook.points_at(here) else " "
        status = hook.status + (f"/{hook.verification}" if hook.verification else "")
        line = f"{mark} {hook.type:<6} {hook.kind:<15} {status:<17} {hook.id:<20} {hook.name}  {hook.uri}"
        _emit(args, hook.to_json(here), safe_text(line))
    if not args.json:
        pointing = sum(h.points_at(here) for h in hooks)
        verb = "points" if pointing == 1 else "point"
        print(f"{plural(len(hooks), 'hook')} in {client.base}; {pointing} {verb} at this hookdev (*)"
              + (f" at {here}" if here else " (no serve with a tunnel is running on this store)"))
    return 0


# -- connect / disconnect --------------------------------------------------------------------------------------
def run_connect(args: argparse.Namespace) -> int:
    return asyncio.run(_connect(args, settings_from(args)))


async def _connect(args: argparse.Namespace, settings: Settings) -> int:
    from hookdev.okta_api.connect import check_public_url, connect, kinds_in_use, recorded_paths, state_for
    from hookdev.okta_api.link import describe
    from hookdev.runtime import read_runtime

    store = _store(settings)
    running = read_runtime(store)
    recorded = await asyncio.to_thread(recorded_paths, store)
    kinds = kinds_in_use(settings, args.kinds, recorded)
    failed = False
    async with _client(settings) as client:
        base = check_public_url(args.url or (running or {}).get("public_url"), client.base, running=bool(running))
        async for change in connect(client, settings, state_for(store), base=base, kinds=kinds, recorded=recorded,
                                    adopt=args.adopt):
            failed = failed or change.verified is False
            _emit(args, change.to_json(), describe(change).removeprefix("okta: "))
    if not args.json and not failed:
        inline = [k for k in kinds if k != "event"]
        if inline:
            print(f"next: hookdev okta preview {inline[0]}   (Okta itself calls the hook)")
    return 1 if failed else 0


def run_disconnect(args: argparse.Namespace) -> int:
    return asyncio.run(_disconnect(args, settings_from(args)))


async def _disconnect(args: argparse.Namespace, settings: Settings) -> int:
    from hookdev.okta_api.connect import disconnect, state_for
    from hookdev.okta_api.link import describe

    count = 0
    async with _client(settings) as client:
        async for change in disconnect(client, settings, state_for(_store(settings))):
            count += 1
            _emit(args, change.to_json(), describe(change).removeprefix("okta: "))
    if not count and not args.json:
        print(f"nothing to disconnect: hookdev has no hook connected in {client.base}")
    return 0


# -- preview ---------------------------------------------------------------------------------------------------
def run_preview(args: argparse.Namespace) -> int:
    return asyncio.run(_preview(args, settings_from(args)))


def _payload(args: argparse.Namespace, kind: str, store: Path) -> dict[str, Any]:
    from hookdev.errors import ConfigError
    from hookdev.okta_api.preview import SAMPLES
    from hookdev.send.payloads import load

    payload = load(args.payload or SAMPLES[kind], store_path=store)
    if payload.kind != kind:
        raise ConfigError("PAYLOAD", f"{payload.source} is a {payload.kind} call, not a {kind} one")
    body = payload.parsed()
    if not isinstance(body, dict):
        raise ConfigError("PAYLOAD", f"{payload.source} is not a JSON object")
    return body


async def _preview(args: argparse.Namespace, settings: Settings) -> int:
    from hookdev.errors import UsageError
    from hookdev.okta_api.connect import state_for
    from hookdev.okta_api.preview import SAMPLES, preview

    kind = kind_named(args.kind)
    if kind == "event":
        raise UsageError("Okta's execute API runs inline hooks only; `hookdev okta connect` verifies the "
                         "event hook, and any change to a user in the org delivers one")
    if kind not in SAMPLES:
        raise UsageError(f"{args.kind!r} is not an inline hook kind; use one of {', '.join(SAMPLES)} (- works for _)")
    store = _store(settings)
    body = _payload(args, kind, store)
    async with _client(settings) as client:
        result = await preview(client, state_for(store), store, kind, body)
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        print(_preview_text(result))
    return 0 if result.ok else 1


def _preview_text(result: Any) -> str:
    from hookdev.io.terminal import safe_text

    lines = [f"Okta executed the {result.kind} hook {result.hook_id}: HTTP {result.okta_status}"]
    if result.error:
        lines.append(f"Okta's verdict: {result.error}")
    elif result.response is None:
        lines.append("answer: none (204: Okta takes the default action)")
    else:
        lines.append("answer: " + json.dumps(result.response, indent=2, ensure_ascii=True))
    lines += [f"problem: {p.path}: {p.message}" + (f" ({p.consequence})" if p.consequence else "")
              for p in result.problems]
    if result.ok:
        lines.append(f"Okta took the answer, and it is valid for a {result.kind} hook.")
    if result.exchange_id:
        lines.append(f"the call Okta made: exchange {result.exchange_id}   (hookdev show {result.exchange_id})")
    else:
        lines.append("the call Okta made is not in this store (is `hookdev serve` recording to another --store?)")
    return safe_text("\n".join(lines), multiline=True)


# -- logs ------------------------------------------------------------------------------------------------------
def run_logs(args: argparse.Namespace) -> int:
    return asyncio.run(_logs(args, settings_from(args)))


async def _logs(args: argparse.Namespace, settings: Settings) -> int:
    import time

    from hookdev.io.okta_log import event_line
    from hookdev.okta_api.connect import state_for
    from hookdev.okta_api.syslog import hook_events, link_and_keep, parse_duration

    since = time.time() - parse_duration(args.since)
    store = _store(settings)
    async with _client(settings) as client:
        events = await hook_events(client, since)
        org = state_for(store).org(client.base)
    matches = await asyncio.to_thread(link_and_keep, store, events, org)
    for event in events:
        exchange_id = matches.get(str(event.get("uuid")))
        data = {**event, "exchange_id": exchange_id} if exchange_id else event
        _emit(args, data, event_line(event, exchange_id))
    if not args.json:
        print(f"{plural(len(events), 'event')} about hooks since {args.since} ago; {len(matches)} matched to "
              "recorded calls")
    return 0
