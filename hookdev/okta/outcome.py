"""What an answer Okta accepts does to the flow, per kind, in one word: ALLOW, DENY, VERIFIED, LINK_USER, 2 claims."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from hookdev import jsontext
from hookdev.models import Kind


@dataclass(frozen=True, slots=True)
class Outcome:
    """The effect of an answer: a short label for a list column and a sentence for a detail view."""

    label: str
    detail: str = ""


NONE = Outcome("")
NO_CHANGE = "NO CHANGE"


def outcome(kind: Kind, status: int, body: bytes) -> Outcome:
    """The effect of `body` (sent with `status`) as an answer to a call of `kind`, read as Okta would.

    Only meaningful for an answer Okta accepts: callers show it beside a valid verdict, never instead of
    the problems of an invalid one. Kinds without a choice to report (event deliveries, unknown calls)
    and answers that say nothing readable get an empty label.
    """
    if len(body) <= jsontext.SHARED_MAX:  # a template's answer comes again at every call: read it once
        return _remembered(kind, status, body)
    return _outcome(kind, status, body)


@functools.lru_cache(maxsize=64)
def _remembered(kind: Kind, status: int, body: bytes) -> Outcome:
    return _outcome(kind, status, body)


def _outcome(kind: Kind, status: int, body: bytes) -> Outcome:
    if kind == "event_verification":
        return Outcome("VERIFIED", "the challenge is echoed: Okta marks the event hook verified")
    if kind in ("event", "unknown") or not 200 <= status < 300:
        return NONE
    if status == 204 or not body.strip():
        return _unchanged(kind)
    parsed = _parsed(body)
    if not isinstance(parsed, dict):
        return NONE
    if not parsed:
        return _unchanged(kind)
    error = parsed.get("error")
    if isinstance(error, dict):
        summary = error.get("errorSummary")
        said = f": {summary}" if isinstance(summary, str) and summary else ""
        label = "DENY" if kind == "registration" else "ERROR"
        return Outcome(label, f"error object{said}")
    commands = parsed.get("commands")
    if not isinstance(commands, list):
        return _unchanged(kind)
    reader = _READERS.get(kind)
    return reader([c for c in commands if isinstance(c, dict)]) if reader else NONE


def _parsed(body: bytes) -> Any:
    """The answer's JSON, shared with the validation that read it first: read here, never changed."""
    try:
        return jsontext.loads_shared(body)
    except ValueError:  # TooDeep included
        return None


def _unchanged(kind: Kind) -> Outcome:
    if kind == "registration":
        return Outcome("ALLOW", "no commands: the registration goes ahead as submitted")
    if kind == "password_import":
        return Outcome("UNVERIFIED", "no commands: the default, Okta does not accept the password")
    if kind == "telephony":
        return NONE  # no 204 for telephony: the validation says what Okta does instead
    return Outcome(NO_CHANGE, "no commands: Okta goes on as if there were no hook")


def _values(commands: list[dict[str, Any]], command_type: str) -> list[Any]:
    return [c.get("value") for c in commands if c.get("type") == command_type]


def _action(commands: list[dict[str, Any]], key: str) -> str | None:
    for value in _values(commands, "com.okta.action.update"):
        if isinstance(value, dict) and isinstance(value.get(key), str):
            return str(value[key])
    return None


def _attributes(commands: list[dict[str, Any]], *types: str) -> list[str]:
    names: list[str] = []
    for command_type in types:
        for value in _values(commands, command_type):
            if isinstance(value, dict):
                names += [str(k) for k in value]
    return names


def _registration(commands: list[dict[str, Any]]) -> Outcome:
    verdict = _action(commands, "registration") or "ALLOW"
    names = _attributes(commands, "com.okta.user.profile.update", "com.okta.user.progressive.profile.update")
    sets = f"; sets {', '.join(names)}" if names and verdict != "DENY" else ""
    return Outcome(verdict, f"registration {verdict}{sets}")


def _patches(commands: list[dict[str, Any]], types: dict[str, str]) -> Outcome:
    changes: list[str] = []
    for command_type, token in types.items():
        for value in _values(commands, command_type):
            for op in value if isinstance(value, list) else []:
                if isinstance(op, dict):
                    changes.append(f"{token}: {op.get('op', '?')} {op.get('path', '?')}")
    if not changes:
        return Outcome(NO_CHANGE, "no patch operations")
    noun = "claim" if len(changes) == 1 else "claims"
    return Outcome(f"{len(changes)} {noun}", "; ".join(changes))


def _token(commands: list[dict[str, Any]]) -> Outcome:
    return _patches(commands, {"com.okta.identity.patch": "id token", "com.okta.access.patch": "access token"})


def _saml(commands: list[dict[str, Any]]) -> Outcome:
    return _patches(commands, {"com.okta.assertion.patch": "assertion"})


def _telephony(commands: list[dict[str, Any]]) -> Outcome:
    for value in _values(commands, "com.okta.telephony.action"):
        first = value[0] if isinstance(value, list) and value else None
        if isinstance(first, dict) and isinstance(first.get("status"), str):
            provider = first.get("provider")
            via = f" by {provider}" if isinstance(provider, str) and provider else ""
            return Outcome(first["status"], f"the OTP was sent{via}: {first['status']}")
    return NONE


def _password_import(commands: list[dict[str, Any]]) -> Outcome:
    credential = _action(commands, "credential") or "UNVERIFIED"
    meaning = "Okta stores the password" if credential == "VERIFIED" else "the password is not accepted"
    return Outcome(credential, f"credential {credential}: {meaning}")


def _user_import(commands: list[dict[str, Any]]) -> Outcome:
    result = _action(commands, "result")
    names = _attributes(commands, "com.okta.appUser.profile.update", "com.okta.user.profile.update")
    linked = [v.get("id") for v in _values(commands, "com.okta.user.update") if isinstance(v, dict)]
    parts = [f"result {result}"] if result else []
    if linked and isinstance(linked[0], str):
        parts.append(f"links user {linked[0]}")
    if names:
        parts.append(f"sets {', '.join(names)}")
    label = result or ("UPDATE" if names else NO_CHANGE)
    return Outcome(label, "; ".join(parts) or "no change")


_READERS = {
    "registration": _registration,
    "token": _token,
    "saml": _saml,
    "telephony": _telephony,
    "password_import": _password_import,
    "user_import": _user_import,
}
