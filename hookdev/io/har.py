"""HAR 1.2 reading and writing of exchanges, with hookdev's own fields under `_hookdev`, and secret masking."""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from hookdev import __version__
from hookdev.io.redact import MASK, exchange_secrets, mask_body_bytes, mask_headers
from hookdev.models import (
    NO_AUTH,
    AuthVerdict,
    Exchange,
    Headers,
    RequestSnapshot,
    ResponseSnapshot,
    Validation,
    header_value,
    iso_time,
    new_id,
)
from hookdev.okta.kinds import CHALLENGE_HEADER, classify

PATH_SAFE = "/:@!$&'()*+,;=-._~"
"""A stored path is decoded: everything else (a literal %, spaces, controls) is percent-encoded again in a URL."""
QUERY_SAFE = PATH_SAFE + "?%"
"""A stored query is as it arrived (already encoded)."""
_FORM_SECRET = re.compile(rb"((?:^|&)(?:client_secret|password|client_assertion)=)[^&]*")


@dataclass(frozen=True, slots=True)
class Clean:
    """An exchange's headers and bodies as they may be shown or written: masked unless redact is off."""

    req_headers: Headers
    req_body: bytes
    resp_headers: Headers
    resp_body: bytes


def cleaned(ex: Exchange, *, redact: bool, secret_header: str | None) -> Clean:
    req, resp = ex.request, ex.response
    if not redact:
        return Clean(req.headers, req.body, resp.headers, resp.body)
    names = exchange_secrets(ex, secret_header)
    return Clean(
        mask_headers(req.headers, names),
        mask_form(mask_body_bytes(req.body)),
        mask_headers(resp.headers, names),
        mask_form(mask_body_bytes(resp.body)),
    )


def mask_form(body: bytes) -> bytes:
    """Secrets in a form-encoded body (a token request's client_secret) masked; JSON bodies pass through."""
    if b"=" not in body or body.lstrip()[:1] in (b"{", b"["):
        return body
    return _FORM_SECRET.sub(lambda m: m.group(1) + MASK.encode(), body)


def url_of(ex: Exchange, base_url: str | None = None) -> str:
    """The URL of the call at base_url (the receiver's own); never built from the call's Host or X-Forwarded-*."""
    req = ex.request
    base = (base_url or "http://localhost").rstrip("/")
    return base + quote(req.path, safe=PATH_SAFE) + (f"?{quote(req.query, safe=QUERY_SAFE)}" if req.query else "")


def _pairs(headers: Headers) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in headers]


def _text(body: bytes) -> tuple[str, bool]:
    """(text, is_base64): HAR carries text; bodies that are not UTF-8 go as base64."""
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode(), True


def _mime(headers: Headers, default: str = "application/json") -> str:
    return header_value(headers, "Content-Type") or default


def entry(ex: Exchange, *, redact: bool, secret_header: str | None, base_url: str | None = None) -> dict[str, Any]:
    """One HAR 1.2 entry with every required field, plus `_hookdev` (kind, auth, validation, replay_of)."""
    c = cleaned(ex, redact=redact, secret_header=secret_header)
    req, resp = ex.request, ex.response
    request: dict[str, Any] = {
        "method": req.method,
        "url": url_of(ex, base_url),
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _pairs(c.req_headers),
        "queryString": [{"name": k, "value": v} for k, v in parse_qsl(req.query, keep_blank_values=True)],
        "headersSize": -1,
        "bodySize": len(req.body),
    }
    if req.body or req.method != "GET":
        text, b64 = _text(c.req_body)
        request["postData"] = {"mimeType": _mime(c.req_headers), "params": [], "text": text}
        if b64:
            request["postData"]["_hookdevEncoding"] = "base64"
    text, b64 = _text(c.resp_body)
    content: dict[str, Any] = {"size": len(resp.body), "mimeType": _mime(c.resp_headers, "x-unknown"), "text": text}
    if b64:
        content["encoding"] = "base64"
    try:
        status_text = HTTPStatus(resp.status).phrase
    except ValueError:
        status_text = ""
    return {
        "startedDateTime": iso_time(ex.time),
        "time": round(ex.duration_ms, 3),
        "request": request,
        "response": {
            "status": resp.status,
            "statusText": status_text,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": _pairs(c.resp_headers),
            "content": content,
            "redirectURL": header_value(resp.headers, "Location") or "",
            "headersSize": -1,
            "bodySize": len(resp.body),
        },
        "cache": {},
        "timings": {"blocked": -1, "dns": -1, "connect": -1, "send": 0, "wait": round(ex.duration_ms, 3),
                    "receive": 0, "ssl": -1},
        "_hookdev": {
            "id": ex.id,
            "kind": ex.kind,
            "auth": ex.auth.to_json(),
            "validation": ex.validation.to_json(),
            "replay_of": ex.replay_of,
            "source": ex.source,
            "error": ex.error,
            "redacted": redact,
        },
    }


def to_har(
    exchanges: Iterable[Exchange], *, redact: bool, secret_header: str | None, base_url: str | None = None
) -> dict[str, Any]:
    """A HAR 1.2 document that browser devtools open."""
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "hookdev", "version": __version__},
            "pages": [],
            "entries": [entry(ex, redact=redact, secret_header=secret_header, base_url=base_url) for ex in exchanges],
        }
    }


# -- reading ---------------------------------------------------------------------------------------

LATEST = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC).timestamp()


class BadEntry(ValueError):
    """A HAR entry with a field no capture could hold (a status that is a list, a year 99999...)."""


def _time(value: Any) -> float:
    if not isinstance(value, str):
        return datetime.now(UTC).timestamp()
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC).timestamp()
    stamp = when.timestamp() if when.tzinfo else when.replace(tzinfo=UTC).timestamp()
    if not 0 <= stamp < LATEST:
        raise BadEntry(f"startedDateTime {value[:40]!r} is not between 1970 and 9999")
    return stamp


def _headers(items: Any) -> Headers:
    if not isinstance(items, list):
        return ()
    return tuple(
        (str(h.get("name", "")), str(h.get("value", ""))) for h in items if isinstance(h, dict) and h.get("name")
    )


def _body(holder: Any, b64: bool) -> bytes:
    if not isinstance(holder, dict):
        return b""
    text = holder.get("text")
    if not isinstance(text, str):
        return b""
    if b64:
        try:
            return base64.b64decode(text)
        except ValueError:
            pass
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate (\ud800) stays the bytes it stood for


def _object(value: object) -> dict[str, Any]:
    """A JSON object, or {} for anything else."""
    return value if isinstance(value, dict) else {}


def _status(value: Any) -> int:
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 999:
        raise BadEntry(f"response.status {str(value)[:40]!r} is not an HTTP status")
    return value


def _duration(value: Any) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return 0.0
    try:
        return float(value) if math.isfinite(value) and value >= 0 else 0.0
    except OverflowError:
        return 0.0


def import_entry(item: Any) -> Exchange | None:
    """An exchange from one HAR entry, or None when it is not a call Okta would make (assets, OPTIONS...);
    BadEntry when it is malformed."""
    if not isinstance(item, dict) or not isinstance(item.get("request"), dict):
        return None
    req = item["request"]
    method = str(req.get("method", "")).upper()
    headers = _headers(req.get("headers"))
    post = req.get("postData")
    body = _body(post, isinstance(post, dict) and post.get("_hookdevEncoding") == "base64")
    if method == "GET" and header_value(headers, CHALLENGE_HEADER) is None:
        return None
    if method == "POST" and not body.lstrip().startswith(b"{"):
        return None
    if method not in ("GET", "POST"):
        return None
    try:
        parts = urlsplit(str(req.get("url", "")))
    except ValueError as exc:
        raise BadEntry(f"request.url is not a URL ({exc})") from None
    snapshot = RequestSnapshot(method=method, path=unquote(parts.path) or "/", query=parts.query, headers=headers,
                               body=body)
    resp = _object(item.get("response"))
    content = resp.get("content")
    response = ResponseSnapshot(
        status=_status(resp.get("status")),
        headers=_headers(resp.get("headers")),
        body=_body(content, isinstance(content, dict) and content.get("encoding") == "base64"),
    )
    own = _object(item.get("_hookdev"))
    started = _time(item.get("startedDateTime"))
    return Exchange(
        id=new_id(started),
        time=started,
        kind=classify(snapshot),
        request=snapshot,
        response=response,
        auth=AuthVerdict.from_json(own["auth"]) if isinstance(own.get("auth"), dict) else NO_AUTH,
        validation=Validation.from_json(own["validation"]) if isinstance(own.get("validation"), dict) else Validation(),
        duration_ms=_duration(item.get("time")),
        source="import",
        tags=("imported",),
    )


@dataclass
class Imported:
    """What an import found besides the exchanges: entries skipped as noise, and malformed ones."""

    skipped: int = 0
    malformed: int = 0
    first_problem: str = ""


def har_entries(data: Any) -> list[Any]:
    """The log.entries list of a HAR document; ValueError when it is not one."""
    log = data.get("log") if isinstance(data, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise ValueError("it has no log.entries list")
    return entries


def read_entries(entries: list[Any], tally: Imported) -> Iterator[Exchange]:
    """The exchanges of HAR entries, one at a time, emptying `entries` as it goes (a big file is not held twice);
    noise and malformed entries are counted in `tally`."""
    entries.reverse()
    number = 0
    while entries:
        item = entries.pop()
        number += 1
        try:
            ex = import_entry(item)
        except BadEntry as exc:
            tally.malformed += 1
            tally.first_problem = tally.first_problem or f"entry {number}: {exc}"
            continue
        if ex is None:
            tally.skipped += 1
        else:
            yield ex


def import_har(data: Any) -> tuple[list[Exchange], int]:
    """(exchanges, skipped) from a HAR document; ValueError when it is not one. Malformed entries count as
    skipped."""
    tally = Imported()
    out = list(read_entries(list(har_entries(data)), tally))
    return out, tally.skipped + tally.malformed
