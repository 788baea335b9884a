"""Plain-text views of exchanges for the terminal: one-line summaries and the full `show` report."""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

from hookdev import jsonfast, jsontext
from hookdev.io.redact import exchange_secrets, mask_body, mask_headers
from hookdev.io.terminal import safe_text
from hookdev.models import Exchange
from hookdev.okta.outcome import outcome

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
    v = ex.validation
    if v.skipped:
        return "not judged (refused)"
    if v.ok:
        label = "valid"
    elif v.problems:
        label = plural(len(v.problems), "problem")
    else:
        label = v.timing.grade if v.timing else "invalid"
    return f"{label}, {plural(len(v.warnings), 'warning')}" if v.warnings else label


def plural(n: int, noun: str) -> str:
    """A count with its noun: 0 problems, 1 problem, 2 problems."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def format_ms(ms: float) -> str:
    """Milliseconds with the precision that matters at that size ("? ms" for what is no duration: NaN, inf)."""
    if not isinstance(ms, (int, float)) or not math.isfinite(ms):
        return "? ms"
    return f"{ms:.2f} ms" if ms < 1 else f"{ms:.1f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def _local(epoch: object) -> datetime | None:
    """A local datetime, or None for a value that is no time a clock can show (1e20, NaN, a string)."""
    if not isinstance(epoch, (int, float)) or isinstance(epoch, bool):
        return None
    try:
        return datetime.fromtimestamp(epoch)
    except (OverflowError, ValueError, OSError):
        return None


def clock(epoch: float) -> str:
    """Local wall-clock time with milliseconds, as the list views show it."""
    moment = _local(epoch)
    return moment.strftime("%H:%M:%S.%f")[:-3] if moment else "--:--:--.---"


def claim_time(value: object, at: float) -> tuple[str, float] | None:
    """A time claim (exp, iat, nbf...) as (local date and time, seconds after `at`), or None when it is no time."""
    moment = _local(value)
    if moment is None:
        return None
    assert isinstance(value, (int, float))
    return moment.strftime("%Y-%m-%d %H:%M:%S"), value - at


def span(seconds: float) -> str:
    """A duration in the unit a person reads: 42 s, 17 min, 3 h 5 min, 12 days."""
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return "forever"
    seconds = int(abs(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} days"


def when(epoch: object) -> str:
    """Local date and time with milliseconds; a value out of any clock's range is shown as it is."""
    moment = _local(epoch)
    return moment.isoformat(timespec="milliseconds") if moment else f"{safe_text(repr(epoch))[:40]} (not a time)"


def exchange_line(ex: Exchange, *, as_json: bool) -> str:
    """The line `serve --headless` (and `demo --headless`) print for an exchange: JSON or text."""
    return jsonfast.dumps_ascii({"event": "exchange", **ex.to_json()}) if as_json else summary_line(ex)


def answer_label(ex: Exchange) -> str:
    """What became of the answer, in a few words: valid with its effect (valid ALLOW, valid 2 claims), the count
    of what Okta would not accept, or why it was not judged."""
    v = ex.validation
    if v.skipped:
        return "refused"
    if v.ok:
        effect = v.outcome
        label = f"valid {effect}" if effect else "valid"
        return f"{label}, {plural(len(v.warnings), 'warning')}" if v.warnings else label
    return validation_label(ex)


SUMMARY_COLUMNS = (("time", 12), ("id", 13), ("request", 24), ("kind", 15), ("auth", 22), ("status", 6),
                   ("took", 9), ("answer", 0))
"""The columns of `list` and of `serve --headless` lines: heading and width (0: the rest of the line)."""


def summary_header() -> str:
    """The heading row above summary lines, as `hookdev list` prints it."""
    return _row([name for name, _ in SUMMARY_COLUMNS])


def _row(cells: list[str]) -> str:
    out = []
    for (name, width), cell in zip(SUMMARY_COLUMNS, cells, strict=True):
        out.append(cell.rjust(width) if name == "took" else cell.ljust(width))
    return "  ".join(out).rstrip()


def summary_line(ex: Exchange) -> str:
    """One line per exchange, as `serve --headless` prints them (what came from the call shown escaped)."""
    replay = f"  replay of {ex.replay_of}" if ex.replay_of else ""
    # an auth refusal's reason is in the auth column already
    error = f"  ! {ex.error}" if ex.error and ex.status >= 400 and ex.source != "auth" else ""
    cells = [clock(ex.time), ex.id, f"{ex.request.method} {ex.request.path}", ex.kind, auth_label(ex),
             str(ex.status), format_ms(ex.duration_ms), answer_label(ex) + replay + error]
    return safe_text(_row(cells))


def _pretty(body: bytes, reveal: bool) -> str:
    if not body:
        return "(empty)"
    try:
        parsed: Any = jsontext.loads(body)  # a recorded body deeper than hookdev reads is shown as text
    except ValueError:
        return safe_text(body.decode("utf-8", errors="replace"), multiline=True)
    # ensure_ascii: every control or format character inside a JSON string comes out as a \u escape
    return json.dumps(parsed if reveal else mask_body(parsed), indent=2, ensure_ascii=True)


def truncation_note(ex: Exchange) -> str:
    """Why only the start of a request body was kept."""
    if not ex.auth.ok and ex.status == 401:
        return "refused by auth: only the first 4 KiB of the body was kept"
    return "body over the size limit, or the caller hung up: only its start was kept"


def show_report(ex: Exchange, *, secret_header: str | None = None, reveal: bool = False) -> str:
    """Everything about one exchange, with secrets masked unless reveal."""
    req, resp = ex.request, ex.response
    headers = req.headers if reveal else mask_headers(req.headers, exchange_secrets(ex, secret_header))
    line = safe_text
    lines = [
        f"exchange {ex.id}  {when(ex.time)}",
        f"kind {ex.kind}   answered by {line(ex.source)}   {format_ms(ex.duration_ms)}"
        + (f"   replay of {line(ex.replay_of)}" if ex.replay_of else ""),
        "",
        line(f"── request ── {req.method} {req.path}{'?' + req.query if req.query else ''}  from {req.remote or '?'}"),
        *(line(f"{k}: {v}") for k, v in headers),
        "",
        _pretty(req.body, reveal) + (f"\n({truncation_note(ex)})" if req.truncated else ""),
        "",
        line(f"── auth ── {auth_label(ex)}"),
    ]
    if ex.auth.detail:
        lines.append(line(ex.auth.detail))
    if ex.auth.claims:
        lines.append("claims: " + json.dumps(ex.auth.claims, sort_keys=True, ensure_ascii=True))
    lines += ["", f"── response ── {resp.status}", *(line(f"{k}: {v}") for k, v in resp.headers)]
    lines += ["", _pretty(resp.body, True)]
    lines += ["", f"── validation ── {answer_label(ex)}"]
    if ex.validation.skipped:
        lines.append(line(f"  {ex.validation.skipped}"))
    elif ex.validation.ok and (effect := outcome(ex.kind, ex.status, ex.response.body)).detail:
        lines.append(line(f"  {effect.detail}"))
    lines += [line(f"  {p}") for p in ex.validation.problems]
    lines += [line(f"  warning: {w}") for w in ex.validation.warnings]
    if ex.validation.timing:
        t = ex.validation.timing
        timing = f"  timing: {t.grade}, {format_ms(t.duration_ms)} of {format_ms(t.budget_ms)}. {t.consequence}"
        lines.append(line(timing.rstrip()))
    if ex.error:
        lines += ["", line(f"── error ── {ex.error}")]
    if ex.log:
        lines += ["", "── log ──", safe_text(ex.log.rstrip(), multiline=True)]
    return "\n".join(lines)
