"""What the inspector shows for an exchange: list cells and the text of each detail tab (pure, testable)."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from rich.console import Group, RenderableType
from rich.json import JSON
from rich.text import Text

from hookdev.io.redact import exchange_secrets, mask_body, mask_headers
from hookdev.io.render import KIND_LABELS, claim_time, clock, span, truncation_note, validation_label
from hookdev.io.terminal import is_safe, safe_text
from hookdev.models import Exchange, Headers

OK, BAD, WARN, DIM = "bold green", "bold red", "bold yellow", "dim"
TIME_CLAIMS = ("exp", "iat", "nbf", "auth_time")


def auth_cell(ex: Exchange) -> Text:
    if ex.auth.scheme == "none":
        return Text("no auth", style=DIM)
    if ex.auth.ok:
        return Text(f"✓ {ex.auth.scheme}", style=OK)
    return Text(f"✗ {ex.auth.scheme} {ex.auth.reason}", style=BAD)


def status_cell(status: int) -> Text:
    style = OK if status < 300 else WARN if status < 500 and status != 401 else BAD
    return Text(str(status), style=style)


def latency_cell(ex: Exchange) -> Text:
    grade = ex.validation.timing.grade if ex.validation.timing else "ok"
    style = {"ok": "", "slow": WARN, "timeout": BAD}[grade]
    return Text(f"{ex.duration_ms:7.1f} ms", style=style, justify="right")


def validation_cell(ex: Exchange) -> Text:
    mark, style = ("✓", OK) if ex.validation.ok else ("✗", BAD)
    return Text(f"{mark} {validation_label(ex)}", style=style)


def row_cells(ex: Exchange, marked: bool = False) -> tuple[Any, ...]:
    """The cells of one list row: mark, time, method, path, kind, auth, status, latency, validation, replay."""
    replay = Text("↻ replay", style="bold cyan") if ex.replay_of else Text("")
    return (
        Text("●", style="bold magenta") if marked else Text(" "),
        Text(clock(ex.time)),
        # Text, not str: a str cell is parsed as markup on every render (slow, and a path may contain "[").
        Text(safe_text(ex.request.method)),
        Text(safe_text(ex.request.path)),
        Text(KIND_LABELS.get(ex.kind, ex.kind)),
        auth_cell(ex),
        status_cell(ex.status),
        latency_cell(ex),
        validation_cell(ex),
        replay,
    )


def _body(body: bytes, reveal: bool) -> RenderableType:
    if not body:
        return Text("(no body)", style=DIM)
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return Text(safe_text(body.decode("utf-8", errors="replace"), multiline=True))
    return _json(parsed if reveal else mask_body(parsed))


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
    if ex.kind == "unknown":
        head = Text("unknown kind: hookdev has no Okta rules to check this answer against", style=DIM)
    elif v.ok:
        head = Text(f"✓ Okta would accept this {KIND_LABELS.get(ex.kind, ex.kind)} answer", style=OK)
    else:
        head = Text(f"✗ Okta would not take this answer as intended ({len(v.problems)} problem(s))", style=BAD)
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
