"""`hookdev validate`: check an answer file against what Okta accepts for an inline hook kind."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from hookdev.cli import summary
from hookdev.cli.common import HELP_FORMAT, kind_type
from hookdev.io.terminal import safe_text
from hookdev.models import INLINE_KINDS, ResponseSnapshot
from hookdev.okta.kinds import classify_body
from hookdev.okta.validate import review

DESCRIPTION = """\
Check an inline hook answer the way Okta would read it: status, JSON shape, the commands allowed for the
kind, token and SAML patch rules, the error object and the 256 KB limit. Each problem is printed on its
own line with its JSON path and what Okta would do about it. Warnings (lines starting "warning:") are what
Okta accepts but is likely a mistake; they never make the answer invalid.
"""

EPILOG = """\
examples:
  hookdev validate answer.json --kind token
  hookdev validate answer.json --kind registration --request call.json   # SSR vs progressive rules
  hookdev validate empty.txt --kind saml --status 204                     # a "no change" answer
  hookdev validate answer.json --kind telephony --json

exit codes: 0 Okta accepts the answer (warnings or not), 1 it does not (problems on stdout), 2 KIND is
not an inline hook kind, a file is missing, or the request file is not usable.
"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "validate",
        help=summary("validate"),
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=HELP_FORMAT,
    )
    parser.add_argument(
        "response_file", metavar="RESPONSE_FILE", help="the answer body (JSON) your hook sends back"
    )
    parser.add_argument(
        "--kind", required=True, type=kind_type(INLINE_KINDS), metavar="KIND",
        help="the inline hook the answer is for: " + ", ".join(INLINE_KINDS) + " (- works for _)",
    )
    parser.add_argument(
        "--request",
        metavar="REQUEST_FILE",
        help="the call the answer is for (JSON), so rules that depend on it apply: "
        "self-service vs progressive registration, which tokens were requested, which claims exist",
    )
    parser.add_argument(
        "--status",
        type=int,
        default=200,
        metavar="N",
        help="HTTP status the answer is sent with (default: 200)",
    )
    parser.add_argument(
        "--json", action="store_true", help='print one JSON object {"ok", "kind", "problems": [...], "warnings": [...]}'
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    body = _read(args.response_file, "answer")
    if body is None:
        return 2
    request: Any = None
    if args.request:
        request = _load_request(args.request, args.kind)
        if request is None:
            return 2
    problems, warnings = review(args.kind, ResponseSnapshot(status=args.status, body=body), request)
    if args.json:
        out = {
            "ok": not problems,
            "kind": args.kind,
            "problems": [p.to_json() for p in problems],
            "warnings": [str(w) for w in warnings],
        }
        print(json.dumps(out))
        return 1 if problems else 0
    for problem in problems:  # they quote the answer's (and the request's) own values: shown escaped
        print(safe_text(str(problem)))
    for warning in warnings:
        print(safe_text(f"warning: {warning}"))
    if not problems:
        note = f" ({len(warnings)} warning{'s' if len(warnings) > 1 else ''} above)" if warnings else ""
        print(f"valid: Okta accepts this {args.kind} answer{note}")
    return 1 if problems else 0


def _read(name: str, what: str) -> bytes | None:
    path = Path(name)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        print(f"hookdev: {what} file {name} does not exist; check the path", file=sys.stderr)
    except IsADirectoryError:
        print(f"hookdev: {what} file {name} is a folder; give the path of a JSON file", file=sys.stderr)
    except OSError as exc:
        print(f"hookdev: cannot read {what} file {name}: {exc.strerror}", file=sys.stderr)
    return None


def _load_request(name: str, kind: str) -> Any:
    raw = _read(name, "request")
    if raw is None:
        return None
    try:
        request = json.loads(raw)
    except ValueError as exc:
        print(
            f"hookdev: request file {name} is not JSON ({exc}); give the body Okta sent to your hook",
            file=sys.stderr,
        )
        return None
    sent_kind = classify_body(request)
    if sent_kind not in ("unknown", kind):
        print(
            f"hookdev: request file {name} is a {sent_kind} call (eventType {request.get('eventType')!r}) "
            f"but --kind is {kind}; pass --kind {sent_kind} or the matching request",
            file=sys.stderr,
        )
        return None
    return request
