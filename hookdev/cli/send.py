"""`hookdev send`: make a hook call as Okta would and say what Okta would do with the answer."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import textwrap
from http import HTTPStatus
from pathlib import Path

from hookdev import jsontext
from hookdev.cli import summary
from hookdev.cli.common import HELP_FORMAT, add_config_arg, add_store_arg, settings_from
from hookdev.config import AUTH_MODES, Settings
from hookdev.errors import UsageError
from hookdev.io.terminal import safe_text
from hookdev.send.payloads import apply_sets, load, sample_names, verification
from hookdev.send.sender import SendResult, check_url, send
from hookdev.send.serving import refusal_hint, with_serve_auth

EPILOG = """\
PAYLOAD is a JSON file, a sample name (shipped with hookdev; ./sample_payloads/
NAME.json first, if you keep samples of your own), a kind's name (its usual
sample: registration is registration-ssr), or the id of a recorded exchange (a
unique prefix works). Samples:
{samples}

examples:
  hookdev send token --to http://127.0.0.1:8080/tokenHook
  hookdev send my-registration.json --to https://my.app/hooks/reg \\
      --set data.userProfile.email=ann@example.com
  hookdev send --verify-event-hook --to http://127.0.0.1:8080/userCreated

auth: the [auth] mode's credential; --auth picks another mode, and a call to
the serve running on this store uses the mode that serve verifies. In oauth
mode inline hooks get a Bearer token from [auth] token_url, else the token
endpoint of [auth] issuer, else the local authorization server of the serve
running on the store; event hooks get a header ([auth] header/secret, else
Basic), as Okta never uses OAuth for them.

exit codes: 0 Okta would accept the answer (warnings or not), 1 it would not
(or no answer in time), 2 usage or config error (an unknown PAYLOAD, a --to
that is not an http(s) URL).
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "send",
        help=summary("send"),
        description="Send a hook call as Okta would: same headers, auth, 3 s timeout and retry rule; "
        "then validate the answer and say what Okta would do.",
        epilog=EPILOG.format(samples=_wrapped(sample_names())),
        formatter_class=HELP_FORMAT,
    )
    p.add_argument("payload", metavar="PAYLOAD", nargs="?", help="a JSON file, a sample name, or a stored exchange id")
    p.add_argument("--to", required=True, metavar="URL", help="the hook endpoint to call")
    add_config_arg(p)
    add_store_arg(p)
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="K=V",
                   help="edit a field first: dotted path, list indexes as numbers, JSON value or plain string")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument("--verify-event-hook", action="store_true",
                   help="send the one-time event hook verification GET with a random challenge and check the echo")
    p.add_argument("--timeout", type=float, default=3.0, metavar="S", help="seconds to wait for each attempt (Okta: 3)")
    p.add_argument("--no-retry", action="store_true", help="make one attempt even where Okta would retry")
    add_auth_arg(p)
    p.set_defaults(run=run)


def add_auth_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--auth", choices=AUTH_MODES,
                   help="send this mode's credential (default: [auth] mode, or the mode of the serve called)")


def settings_for(args: argparse.Namespace, target: str) -> tuple[Settings, str | None]:
    """The settings to call `target` with: --auth as given, else the mode of the serve running there."""
    if args.auth:
        return settings_from(args, {("auth", "mode"): args.auth}), None
    return with_serve_auth(settings_from(args), target)


def _wrapped(names: list[str]) -> str:
    return textwrap.fill(", ".join(names) or "(none found)", width=78, initial_indent="  ", subsequent_indent="  ",
                         break_on_hyphens=False)


def run(args: argparse.Namespace) -> int:
    check_url(args.to)
    settings, mode_note = settings_for(args, args.to)
    if args.timeout <= 0:
        raise UsageError("--timeout must be more than 0 seconds")
    if args.verify_event_hook:
        if args.payload:
            raise UsageError("--verify-event-hook takes no PAYLOAD: the verification GET has no body")
        payload = verification()
    elif not args.payload:
        raise UsageError("PAYLOAD is missing: give a file, a sample name (e.g. token) or an exchange id, "
                         "or --verify-event-hook")
    else:
        payload = load(args.payload, store_path=settings.path(settings.server.store), cwd=Path.cwd())
    payload = apply_sets(payload, args.sets)
    result = asyncio.run(send(payload, args.to, settings, timeout=args.timeout, retry=not args.no_retry))
    result = with_notes(result, mode_note)
    print(json.dumps(result.to_json()) if args.json else report(result, payload.source))
    return 0 if result.accepted else 1


def with_notes(result: SendResult, mode_note: str | None) -> SendResult:
    """The result with the auth notes a person needs: the mode used and why, a refusal's likely cause."""
    refused = result.validation is not None and any(p.path == "auth" for p in result.validation.problems)
    notes = [mode_note, result.token_note, refusal_hint(refused, result.exchange_id)]
    joined = "\n".join(n for n in notes if n)
    return dataclasses.replace(result, token_note=joined or None)


def pretty(body: bytes) -> str:
    if not body.strip():
        return "(empty body)"
    try:
        return json.dumps(jsontext.loads(body), indent=2)
    except ValueError:
        return body.decode("utf-8", errors="replace")


def report(result: SendResult, source: str) -> str:
    """The text a person reads: what was sent, what came back, the problems, and Okta's verdict."""
    lines = [f"{result.method} {result.url}  ({result.kind}, {source}, auth {result.auth})"]
    if result.replay_of:
        lines.append(f"replay of {result.replay_of}")
    if result.token_note:
        lines += [f"auth: {note}" for note in result.token_note.splitlines()]
    tries = f", {result.attempts} attempts" if result.attempts > 1 else ""
    if result.response is not None:
        try:
            phrase = HTTPStatus(result.response.status).phrase
        except ValueError:
            phrase = ""
        recorded = f"  recorded as {result.exchange_id}" if result.exchange_id else ""
        lines.append(f"<- {result.response.status} {phrase} in {result.duration_ms:.1f} ms{tries}{recorded}")
        lines.append(pretty(result.response.body))
    else:
        lines.append(f"<- no answer ({result.error}){tries}")
    problems = result.validation.problems if result.validation else ()
    if problems and result.response is not None:
        lines.append("problems:")
        lines.extend(f"  - {p}" for p in problems)
    warnings = result.validation.warnings if result.validation else ()
    if warnings:
        lines.append("warnings (Okta accepts the answer, but check these):")
        lines.extend(f"  - {w}" for w in warnings)
    if result.validation and result.validation.timing and result.validation.timing.grade == "slow":
        lines.append(f"timing: {result.validation.timing.consequence}")
    lines.append(("OK  " if result.accepted else "NO  ") + result.verdict)
    return safe_text("\n".join(lines), multiline=True)
