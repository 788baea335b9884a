"""Frozen records of one hook call: request, answer, auth verdict, validation, exchange."""

from __future__ import annotations

import itertools
import json
import math
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

from hookdev import jsontext

Kind = Literal[
    "event_verification",
    "event",
    "registration",
    "token",
    "saml",
    "telephony",
    "password_import",
    "user_import",
    "unknown",
]
KINDS: tuple[Kind, ...] = (
    "event_verification",
    "event",
    "registration",
    "token",
    "saml",
    "telephony",
    "password_import",
    "user_import",
    "unknown",
)
INLINE_KINDS: tuple[Kind, ...] = (
    "registration",
    "token",
    "saml",
    "telephony",
    "password_import",
    "user_import",
)

AuthScheme = Literal["none", "basic", "header", "oauth"]
AuthReason = Literal[
    "missing",
    "malformed",
    "bad_credentials",
    "expired",
    "not_yet_valid",
    "bad_signature",
    "alg_not_allowed",
    "wrong_issuer",
    "wrong_audience",
    "wrong_client",
    "missing_scope",
    "unknown_kid",
    "jwks_unavailable",
]

Headers = tuple[tuple[str, str], ...]


def header_value(headers: Headers, name: str) -> str | None:
    """First value of a header, matched case-insensitively."""
    wanted = name.lower()
    for key, value in headers:
        if key.lower() == wanted:
            return value
    return None


def _text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class RequestSnapshot:
    """What arrived: read once, size-limited, never mutated."""

    method: str
    path: str
    """The URL path, without the query string."""
    query: str = ""
    headers: Headers = ()
    body: bytes = b""
    remote: str = ""
    truncated: bool = False
    """True when the body went over the size limit and only its start was kept."""

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)

    def json(self) -> Any:
        """The body parsed as JSON; raises ValueError when it is not JSON or is nested too deeply."""
        return jsontext.loads(self.body)

    @property
    def text(self) -> str:
        return _text(self.body)


@dataclass(frozen=True, slots=True)
class ResponseSnapshot:
    """What went back to the caller."""

    status: int
    headers: Headers = ()
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)

    @property
    def text(self) -> str:
        return _text(self.body)


@dataclass(frozen=True, slots=True)
class AuthVerdict:
    """Whether a call carried the credential hookdev expects, and why not."""

    scheme: AuthScheme
    ok: bool
    reason: AuthReason | None = None
    detail: str = ""
    """A sentence saying what to fix; non-empty whenever ok is false."""
    token_header: dict[str, Any] | None = None
    """For oauth: the decoded JWT header, when it could be decoded."""
    claims: dict[str, Any] | None = None
    """For oauth: the decoded (possibly unverified) claims, when they could be decoded."""
    header: str | None = None
    """The request header the credential is expected in, recorded with the call so it stays masked wherever the
    exchange is shown later (under another configuration, outside the project folder, in an export)."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "scheme": self.scheme,
            "ok": self.ok,
            "reason": self.reason,
            "detail": self.detail,
        }
        if self.header is not None:
            out["header"] = self.header
        if self.token_header is not None:
            out["token_header"] = self.token_header
        if self.claims is not None:
            out["claims"] = self.claims
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AuthVerdict:
        """Back from to_json(); a value of the wrong type (an imported file, an old store) counts as absent."""
        scheme, ok, reason, detail = (data.get(k) for k in ("scheme", "ok", "reason", "detail"))
        return cls(
            scheme=scheme if isinstance(scheme, str) else "none",  # type: ignore[arg-type]
            ok=ok if isinstance(ok, bool) else True,
            reason=reason if isinstance(reason, str) else None,  # type: ignore[arg-type]
            detail=detail if isinstance(detail, str) else "",
            token_header=_object(data.get("token_header")),
            claims=_object(data.get("claims")),
            header=data["header"] if isinstance(data.get("header"), str) else None,
        )


def _object(value: object) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _finite(value: object) -> float | None:
    """A number that can be formatted and compared (not a bool, NaN, an infinity or an int past float range)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


NO_AUTH = AuthVerdict(scheme="none", ok=True)


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason Okta would not accept an answer as intended, or (tolerated) something it accepts but that is
    likely a mistake."""

    path: str
    """JSON path of the offending value, e.g. ``$.commands[0].value[1].op``."""
    message: str
    consequence: str = ""
    """What Okta would do, e.g. "the token is issued unmodified"."""
    tolerated: bool = False
    """Okta takes the answer anyway: a warning, never a reason to call the answer invalid."""

    def __str__(self) -> str:
        tail = f" ({self.consequence})" if self.consequence else ""
        return f"{self.path}: {self.message}{tail}"

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message, "consequence": self.consequence}


@dataclass(frozen=True, slots=True)
class Timing:
    """How an answer's latency compares with Okta's 3 s budget."""

    duration_ms: float
    budget_ms: float = 3000.0
    grade: Literal["ok", "slow", "timeout"] = "ok"
    """ok: well inside the budget; slow: past 80 % of it; timeout: Okta gave up."""
    consequence: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "duration_ms": self.duration_ms,
            "budget_ms": self.budget_ms,
            "grade": self.grade,
            "consequence": self.consequence,
        }


@dataclass(frozen=True, slots=True)
class Validation:
    """Whether Okta would accept an answer for its kind, and in time."""

    ok: bool = True
    problems: tuple[Problem, ...] = ()
    timing: Timing | None = None
    warnings: tuple[Problem, ...] = ()
    """What Okta tolerates but is likely a mistake; never makes `ok` false."""
    skipped: str | None = None
    """Why the answer was not judged: hookdev refused the call itself (401, 400, 405, 408, 413), so the answer is
    hookdev's refusal, not the hook's; what to fix is the credential or the request."""
    outcome: str = ""
    """What an accepted answer does to the flow, in a word or two: ALLOW, DENY, VERIFIED, LINK_USER, 2 claims
    (hookdev.okta.outcome); empty when the answer is not accepted or the kind has no choice to report."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": self.ok,
            "problems": [p.to_json() for p in self.problems],
            "warnings": [str(w) for w in self.warnings],
        }
        if self.timing is not None:
            out["timing"] = self.timing.to_json()
        if self.skipped is not None:
            out["skipped"] = self.skipped
        if self.outcome:
            out["outcome"] = self.outcome
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Validation:
        """Back from to_json(); a value of the wrong type (an imported file, an old store) counts as absent."""
        ok, problems, warnings = data.get("ok"), data.get("problems"), data.get("warnings")
        return cls(
            ok=ok if isinstance(ok, bool) else True,
            problems=tuple(_problem(p) for p in problems) if isinstance(problems, list) else (),
            timing=_timing(data.get("timing")),
            warnings=tuple(warning_from_sentence(w) for w in warnings if isinstance(w, str))
            if isinstance(warnings, list) else (),
            skipped=data["skipped"] if isinstance(data.get("skipped"), str) else None,
            outcome=data["outcome"] if isinstance(data.get("outcome"), str) else "",
        )


def _problem(item: object) -> Problem:
    if not isinstance(item, dict):
        return Problem("$", str(item))
    path, message, consequence = (item.get(k) for k in ("path", "message", "consequence"))
    return Problem(path if isinstance(path, str) else "$", message if isinstance(message, str) else "",
                   consequence if isinstance(consequence, str) else "")


def _timing(data: object) -> Timing | None:
    if not isinstance(data, dict) or (duration := _finite(data.get("duration_ms"))) is None:
        return None
    grade, consequence = data.get("grade"), data.get("consequence")
    return Timing(
        duration_ms=duration,
        budget_ms=_finite(data.get("budget_ms")) or 3000.0,
        grade=grade if grade in ("ok", "slow", "timeout") else "ok",
        consequence=consequence if isinstance(consequence, str) else "",
    )


def warning_from_sentence(sentence: str) -> Problem:
    """A warning back from its JSON form, the sentence `str(warning)` wrote: "PATH: message (consequence)"."""
    path, sep, message = sentence.partition(": ")
    if not sep or not path.startswith("$"):
        return Problem("$", sentence, tolerated=True)
    return Problem(path, message, tolerated=True)


VALID = Validation()

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lowercase


_ID_TAIL = itertools.count(int.from_bytes(os.urandom(3), "big"))


def new_id(now: float | None = None) -> str:
    """A 13-character id that sorts by creation time: 9 chars of milliseconds, 4 of a counter (random start)."""
    # A per-process counter from a random start, not fresh randomness per id: two ids of one millisecond
    # never collide (the store would keep only one), and os.urandom releases the GIL on every call.
    n = next(_ID_TAIL)
    a = _ALPHABET
    return _stamp(int((time.time() if now is None else now) * 1000)) + (
        a[n & 31] + a[n >> 5 & 31] + a[n >> 10 & 31] + a[n >> 15 & 31]
    )


@lru_cache(maxsize=2)
def _stamp(ms: int) -> str:
    """The 9 characters of a millisecond, most significant first (busy calls share a millisecond)."""
    stamp = ""
    for _ in range(9):
        stamp = _ALPHABET[ms & 31] + stamp
        ms >>= 5
    return stamp


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FIRST_MS = int((datetime(1, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds()) * 1000
_LAST_MS = int((datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC) - _EPOCH).total_seconds()) * 1000 + 999


@lru_cache(maxsize=4)
def _iso_second(second: int) -> str:
    d = _EPOCH + timedelta(seconds=second)
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:{d.second:02d}"


def iso_time(epoch: float) -> str:
    """ISO 8601 in UTC with milliseconds and a Z, always: a time past the calendar (an imported or planted 1e20)
    is clamped to the years 1 to 9999, and NaN, an infinity or no number at all is shown as the epoch."""
    number = _finite(epoch)
    ms = min(max(int(number * 1000), _FIRST_MS), _LAST_MS) if number is not None else 0
    # Calls come in bursts within one second: format the second once.
    return f"{_iso_second(ms // 1000)}.{ms % 1000:03d}Z"


@dataclass(frozen=True, slots=True)
class Exchange:
    """One call and its answer, as recorded. Replays are new exchanges pointing at the original."""

    id: str
    time: float
    """When the request arrived, seconds since the epoch."""
    kind: Kind
    request: RequestSnapshot
    response: ResponseSnapshot
    auth: AuthVerdict = NO_AUTH
    validation: Validation = VALID
    duration_ms: float = 0.0
    replay_of: str | None = None
    source: str = "template"
    """Where the answer came from: verification, template, handler, forward, breakpoint, error, auth."""
    log: str = ""
    """Output the user's handler printed or logged while answering, or a traceback."""
    error: str | None = None
    """A short description when hookdev itself could not answer as asked (bad body, handler crash...)."""
    tags: tuple[str, ...] = field(default=())

    @property
    def status(self) -> int:
        return self.response.status

    def to_json(self) -> dict[str, Any]:
        """The exchange object of docs/interface.md (without the "event" key)."""
        return {
            "id": self.id,
            "time": iso_time(self.time),
            "method": self.request.method,
            "path": self.request.path,
            "kind": self.kind,
            "auth": self.auth.to_json(),
            "status": self.response.status,
            "duration_ms": round(self.duration_ms, 3),
            "validation": self.validation.to_json(),
            "replay_of": self.replay_of,
            "source": self.source,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class HookCall:
    """A call handed to a responder: the request, its kind and parsed body, and Okta's deadline."""

    kind: Kind
    request: RequestSnapshot
    body: Any = None
    """The parsed JSON body (None for the verification GET)."""
    deadline: float = 0.0
    """time.monotonic() value at which Okta stops waiting (arrival + 3 s)."""


JSON_HEADERS: Headers = (("Content-Type", "application/json"),)


@dataclass(frozen=True, slots=True)
class Answer:
    """What a responder decided to send back, and what it printed while deciding."""

    status: int
    body: bytes = b""
    headers: Headers = JSON_HEADERS
    source: str = "template"
    log: str = ""
    error: str | None = None

    @classmethod
    def json(cls, status: int, payload: Any, **kwargs: Any) -> Answer:
        """An answer with a JSON body, or no body at all when payload is None."""
        if payload is None:
            return cls(status=status, body=b"", headers=(), **kwargs)
        return cls(status=status, body=json.dumps(payload).encode(), **kwargs)
