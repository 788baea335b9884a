"""What the inspector shows for an exchange: list cells and the text of each detail tab (pure, testable)."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from rich.console import Group, RenderableType
from rich.json import JSON
from rich.text import Text

from hookdev import jsonfast, jsontext
from hookdev.io.redact import exchange_secrets, has_secrets, mask_body, mask_headers
from hookdev.io.render import KIND_LABELS, claim_time, format_ms, plural, span, truncation_note
from hookdev.io.terminal import is_safe, safe_text
from hookdev.models import Exchange, Headers
from hookdev.okta.outcome import NO_CHANGE
from hookdev.tui.rows import status_style

OK, BAD, WARN, DIM = "bold green", "bold red", "bold yellow", "dim"
TIME_CLAIMS = ("exp", "iat", "nbf", "auth_time")


def status_cell(status: int) -> Text:
    return Text(str(status), style=status_style(status))


BODY_SHOWN = 16 * 1024
BODY_LINES = 150
"""Characters of a body drawn (highlighted up to half this size): a stranger's megabyte shows its start, fast."""


def _body(body: bytes, reveal: bool) -> RenderableType:
    if not body:
        return Text("(no body)", style=DIM)
    try:
        parsed = jsontext.loads(body)
    except ValueError:  # not JSON, or nested deeper than hookdev reads (the same on every interpreter)
        return _cut(body.decode("utf-8", errors="replace"), len(body))
    shown = parsed if reveal or not has_secrets(body) else mask_body(parsed)
    if len(body) <= BODY_SHOWN // 2:
        return _json(shown)
    return _cut(jsonfast.dumps_pretty(shown), len(body))


def _cut(text: str, size: int) -> RenderableType:
    """A long body as plain text, its start only (BODY_SHOWN characters, BODY_LINES lines), and how to see the rest.

    Every time the screen is laid out, the tab on screen is measured line by line: a few hundred lines keep
    that in milliseconds whatever a stranger sent."""
    start = text[:BODY_SHOWN]
    lines = start.split("\n", BODY_LINES)
    if len(lines) > BODY_LINES:
        start = "\n".join(lines[:BODY_LINES])
    if len(start) == len(text):
        return Text(safe_text(text, multiline=True))
    return Group(Text(safe_text(start, multiline=True)),
                 Text(f"… the body is {size:,} bytes: its first {len(start):,} characters are shown. "
                      "x exports it; `hookdev show ID` prints it all.", style=WARN))


def _json(data: Any) -> RenderableType:
    """Highlighted JSON; any control or format character inside a string is shown as its \\u escape."""
    plain = json.dumps(data, ensure_ascii=False)
    return JSON.from_data(data, indent=2, ensure_ascii=not is_safe(plain))


def _headers(headers: Headers) -> Text:
    text = Text()
    for key, value in headers:
        text.append(f"{safe_text(key)}: ", style="bold")
        text.append(f"{safe_text(value)}\n")
    return text


def _heading(title: str, extra: str = "") -> Text:
    text = Text()
    text.append(title, style="bold reverse")
    if extra:
        text.append(f"  {extra}", style=DIM)
    return text


def request_view(ex: Exchange, *, reveal: bool, secret_header: str | None) -> RenderableType:
    req = ex.request
    headers = req.headers if reveal else mask_headers(req.headers, exchange_secrets(ex, secret_header))
    query = f"?{req.query}" if req.query else ""
    head = Text.assemble((safe_text(f"{req.method} {req.path}{query}"), "bold"),
                         f"   from {safe_text(req.remote or '?')}   ",
                         (KIND_LABELS.get(ex.kind, ex.kind), "bold cyan"), f"   id {ex.id}")
    if ex.replay_of:
        head.append(f"\n↻ replay of {safe_text(ex.replay_of)}  (o: go to the original)", style="bold cyan")
    parts: list[RenderableType] = [head, Text(""), _heading("Headers"), _headers(headers), _heading("Body")]
    parts.append(_body(req.body, reveal))
    if req.truncated:
        parts.append(Text(f"({truncation_note(ex)})", style=WARN))
    if not reveal:
        parts.append(Text("\nsecrets are masked: press s to reveal", style=DIM))
    return Group(*parts)


def _claim_times(claims: dict[str, Any], at: float) -> Text:
    text = Text()
    for name in TIME_CLAIMS:
        if name not in claims:
            continue
        value = claims[name]
        shown = claim_time(value, at)
        if shown is None:  # a string, 1e20, NaN: the claims below show it as it was sent
            text.append(f"  {name:<9} {safe_text(repr(value))[:40]} is not a time a clock can show\n", style=WARN)
            continue
        when, delta = shown
        rel = f"{span(delta)} {'after' if delta >= 0 else 'before'} the call"
        style = BAD if name == "exp" and delta < 0 else ""
        text.append(f"  {name:<9} {when}  ({rel})\n", style=style)
    return text


def auth_view(ex: Exchange, *, reveal: bool, secret_header: str | None) -> RenderableType:
    verdict = ex.auth
    if verdict.scheme == "none":
        head = Text("auth mode none: every call is accepted", style=DIM)
    elif verdict.ok:
        head = Text(f"✓ {verdict.scheme}: the credential is the one hookdev expects", style=OK)
    else:
        head = Text(f"✗ {verdict.scheme}: {verdict.reason}", style=BAD)
    parts: list[RenderableType] = [head]
    if verdict.detail:
        parts += [Text(""), Text(safe_text(verdict.detail, multiline=True))]
    names = {"authorization"} | ({ex.auth.header} if ex.auth.header else set()) | (
        {secret_header.lower()} if secret_header else set())
    sent = tuple((k, v) for k, v in ex.request.headers if k.lower() in names)
    if sent:
        shown = sent if reveal else mask_headers(sent, exchange_secrets(ex, secret_header))
        parts += [Text(""), _heading("What the caller sent"), _headers(shown)]
    if verdict.token_header is not None:
        parts += [_heading("Token header"), _json(verdict.token_header)]
    if verdict.claims is not None:
        parts += [Text(""), _heading("Token claims", "(decoded; trust them only when the verdict is ✓)")]
        parts += [_claim_times(verdict.claims, ex.time), _json(verdict.claims)]
    if ex.status == 401 and not verdict.ok:
        parts.append(Text("refused with 401: Okta counts this call as failed", style=WARN))
    return Group(*parts)


def response_view(ex: Exchange) -> RenderableType:
    resp = ex.response
    try:
        phrase = HTTPStatus(resp.status).phrase
    except ValueError:
        phrase = ""
    head = Text.assemble(status_cell(resp.status), f" {phrase}   answered by ", (ex.source, "bold"),
                         f"   {ex.duration_ms:.1f} ms")
    parts: list[RenderableType] = [head]
    if ex.error:
        parts.append(Text(f"! {safe_text(ex.error)}", style=BAD))
    parts += [Text(""), _heading("Headers"), _headers(resp.headers), _heading("Body"), _body(resp.body, True)]
    return Group(*parts)


def validation_view(ex: Exchange) -> RenderableType:
    v = ex.validation
    if v.skipped:
        return Group(Text("– not judged: hookdev refused this call itself", style=WARN), Text(""),
                     Text(safe_text(v.skipped, multiline=True)), Text(""),
                     Text(_refusal_advice(ex), style=DIM))
    if ex.kind == "unknown":
        head = Text("unknown kind: hookdev has no Okta rules to check this answer against", style=DIM)
    elif v.ok:
        effect = f": {v.outcome}" if v.outcome else ""
        head = Text(f"✓ Okta would accept this {KIND_LABELS.get(ex.kind, ex.kind)} answer{effect}", style=OK)
    else:
        count = len(v.problems)
        what = plural(count, "problem") if count else (v.timing.grade if v.timing else "invalid")
        head = Text(f"✗ Okta would not take this answer as intended: {what}", style=BAD)
    parts: list[RenderableType] = [head, Text("")]
    for number, problem in enumerate(v.problems, 1):
        line = Text.assemble((f"{number}. ", "bold"), (safe_text(problem.path), "bold cyan"),
                             f"  {safe_text(problem.message)}")
        if problem.consequence:
            line.append(f"\n   → {safe_text(problem.consequence)}", style=WARN)
        parts.append(line)
    for warning in v.warnings:
        tail = f" ({warning.consequence})" if warning.consequence else ""
        parts.append(Text.assemble(("warning ", WARN), (warning.path, "bold cyan"), f"  {warning.message}{tail}"))
    parts += [Text(""), _heading("Timing"), _timing_bar(ex)]
    return Group(*parts)


def _refusal_advice(ex: Exchange) -> str:
    if ex.status == 401:
        return ("What to fix is the credential Okta sends (the Auth tab says which part), not the answer: "
                "in the Admin Console, the hook's Authentication field, or the OAuth 2.0 client it uses.")
    return "What to fix is the request itself (the Request tab shows it); Okta always sends a JSON POST."


def failing_tab(ex: Exchange) -> str | None:
    """The tab that says why a call failed, or None when it did not."""
    if not ex.auth.ok:
        return "auth"
    if not ex.validation.ok:
        return "validation"
    if ex.error or ex.status >= 500:
        return "log" if ex.log else "response"
    if ex.validation.skipped:
        return "request"
    return None


def verdict_line(ex: Exchange, caption: str | None = None, *, answered_ms: float | None = None) -> Text:
    """One line above the tabs: what happened to this call and, when it failed, the first reason. A demo's
    caption ("expired token, on purpose") comes right after the verdict, where a narrow screen still shows it."""
    v = ex.validation
    detail = Text()
    if not ex.auth.ok:
        head = Text(f"✗ auth {ex.auth.reason}", style=BAD)
        detail.append(safe_text(ex.auth.detail))
    elif v.skipped:
        head = Text(f"– refused {ex.status}", style=WARN)
        detail.append(safe_text(ex.error or v.skipped))
    elif ex.error and ex.status >= 500:
        head = Text(f"✗ {ex.status} from {ex.source}", style=BAD)
        detail.append(safe_text(ex.error))
    elif not v.ok:
        first = v.problems[0] if v.problems else None
        head = Text(f"✗ answer: {plural(len(v.problems), 'problem') if v.problems else 'too slow'}", style=BAD)
        if first is not None:
            detail.append(safe_text(first.message))
            if first.consequence:
                detail.append(f" → {safe_text(first.consequence)}", style=WARN)
        elif v.timing is not None:
            detail.append(safe_text(v.timing.consequence))
    else:
        head = Text(f"✓ {v.outcome or (NO_CHANGE if ex.status == 204 else 'accepted')}", style=OK)
        budget = v.timing.budget_ms if v.timing else 3000.0
        took = format_ms(ex.duration_ms)
        if answered_ms is not None:  # seen live: the answer left once recorded
            took = f"answered in {format_ms(answered_ms)} ({took} deciding)"
        detail.append(f"{took} of Okta's {budget / 1000:.0f} s · by {ex.source}", style=DIM)
        if v.warnings:
            detail.append(f"  ! {plural(len(v.warnings), 'warning')}", style=WARN)
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append_text(head)
    if caption:
        text.append(f"  ← {safe_text(caption)}", style="bold magenta")
    text.append("  ")
    text.append_text(detail)
    return text


def _timing_bar(ex: Exchange, width: int = 40) -> Text:
    t = ex.validation.timing
    budget = t.budget_ms if t else 3000.0
    share = ex.duration_ms / budget if budget else 0.0
    filled = width if share >= 1 else round(width * share) if share > 0 else 0  # NaN and negatives: empty
    style = {"ok": OK, "slow": WARN, "timeout": BAD}[t.grade if t else "ok"]
    text = Text("[")
    text.append("█" * filled, style=style)
    text.append("·" * (width - filled), style=DIM)
    text.append(f"]  {ex.duration_ms:.1f} ms of Okta's {budget / 1000:.0f} s budget")
    if t:
        text.append(f"  ({t.grade})", style=style)
        if t.consequence:
            text.append(f"\n{t.consequence}")
    return text


def log_view(ex: Exchange) -> RenderableType:
    if not ex.log and not ex.error:
        return Text(f"answered by {ex.source}; nothing was printed or logged while answering", style=DIM)
    parts: list[RenderableType] = []
    if ex.error:
        parts += [Text(f"! {safe_text(ex.error)}", style=BAD), Text("")]
    if ex.log:
        parts += [_heading("Output while answering", f"answered by {safe_text(ex.source)}"),
                  Text(safe_text(ex.log.rstrip(), multiline=True))]
    return Group(*parts)
