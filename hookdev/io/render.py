"""Plain-text views of exchanges for the terminal: one-line summaries and the full `show` report."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from hookdev.io.redact import mask_body, mask_headers
from hookdev.models import Exchange

KIND_LABELS = {
    "event_verification": "verify",
    "event": "event",
    "registration": "registration",
    "token": "token",
    "saml": "saml",
    "telephony": "telephony",
    "password_import": "pw-import",
    "user_import": "user-import",
    "unknown": "unknown",
}


def auth_label(ex: Exchange) -> str:
    if ex.auth.scheme == "none":
        return "no auth"
    return f"{ex.auth.scheme} ok" if ex.auth.ok else f"{ex.auth.scheme} {ex.auth.reason}"


def validation_label(ex: Exchange) -> str:
    if ex.validation.ok:
        return "valid"
    if ex.validation.problems:
        n = len(ex.validation.problems)
        return f"{n} problem{'s' if n > 1 else ''}"
    return ex.validation.timing.grade if ex.validation.timing else "invalid"


def format_ms(ms: float) -> str:
    """Milliseconds with the precision that matters at that size."""
    return f"{ms:.2f} ms" if ms < 1 else f"{ms:.1f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def clock(epoch: float) -> str:
    """Local wall-clock time with milliseconds, as the list views show it."""
    return datetime.fromtimestamp(epoch).strftime("%H:%M:%S.%f")[:-3]


def exchange_line(ex: Exchange, *, as_json: bool) -> str:
    """The line `serve --headless` (and `demo --headless`) print for an exchange: JSON or text."""
    return json.dumps({"event": "exchange", **ex.to_json()}) if as_json else summary_line(ex)


def summary_line(ex: Exchange) -> str:
    """One line per exchange, as `serve --headless` prints them."""
    replay = f"  replay of {ex.replay_of}" if ex.replay_of else ""
    error = f"  ! {ex.error}" if ex.error and ex.status >= 400 else ""
    return (
        f"{clock(ex.time)}  {ex.id}  {ex.request.method:<4} {ex.request.path:<24} "
        f"{KIND_LABELS.get(ex.kind, ex.kind):<12} "
        f"{auth_label(ex):<22} {ex.status}  {format_ms(ex.duration_ms):>9}  {validation_label(ex)}{replay}{error}"
    )


def _pretty(body: bytes, reveal: bool) -> str:
    if not body:
        return "(empty)"
    try:
        parsed: Any = json.loads(body)
    except ValueError:
        return body.decode("utf-8", errors="replace")
    return json.dumps(parsed if reveal else mask_body(parsed), indent=2)


def show_report(ex: Exchange, *, secret_header: str | None = None, reveal: bool = False) -> str:
    """Everything about one exchange, with secrets masked unless reveal."""
    req, resp = ex.request, ex.response
    headers = req.headers if reveal else mask_headers(req.headers, secret_header)
    lines = [
        f"exchange {ex.id}  {datetime.fromtimestamp(ex.time).isoformat(timespec='milliseconds')}",
        f"kind {ex.kind}   answered by {ex.source}   {ex.duration_ms:.1f} ms"
        + (f"   replay of {ex.replay_of}" if ex.replay_of else ""),
        "",
        f"── request ── {req.method} {req.path}{'?' + req.query if req.query else ''}  from {req.remote or '?'}",
        *(f"{k}: {v}" for k, v in headers),
        "",
        _pretty(req.body, reveal) + ("\n(body over the size limit: only its start was kept)" if req.truncated else ""),
        "",
        f"── auth ── {auth_label(ex)}",
    ]
    if ex.auth.detail:
        lines.append(ex.auth.detail)
    if ex.auth.claims:
        lines.append("claims: " + json.dumps(ex.auth.claims, sort_keys=True))
    lines += ["", f"── response ── {resp.status}", *(f"{k}: {v}" for k, v in resp.headers)]
    lines += ["", _pretty(resp.body, True)]
    lines += ["", f"── validation ── {validation_label(ex)}"]
    lines += [f"  {p}" for p in ex.validation.problems]
    if ex.validation.timing:
        t = ex.validation.timing
        lines.append(f"  timing: {t.grade}, {t.duration_ms:.1f} ms of {t.budget_ms:.0f} ms. {t.consequence}".rstrip())
    if ex.error:
        lines += ["", f"── error ── {ex.error}"]
    if ex.log:
        lines += ["", "── log ──", ex.log.rstrip()]
    return "\n".join(lines)
