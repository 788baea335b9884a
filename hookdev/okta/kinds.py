"""Recognise which Okta hook a request is, from its method, headers and eventType."""

from __future__ import annotations

from typing import Any

from hookdev.models import INLINE_KINDS, KINDS, Kind, RequestSnapshot

EVENT_TYPES: dict[str, Kind] = {
    "com.okta.event_hook": "event",
    "com.okta.user.pre-registration": "registration",
    "com.okta.oauth2.tokens.transform": "token",
    "com.okta.saml.tokens.transform": "saml",
    "com.okta.telephony.provider": "telephony",
    "com.okta.user.credential.password.import": "password_import",
    "com.okta.import.transform": "user_import",
}
EVENT_TYPE_OF: dict[Kind, str] = {kind: event_type for event_type, kind in EVENT_TYPES.items()}

CHALLENGE_HEADER = "x-okta-verification-challenge"

KIND_ALIASES: dict[str, Kind] = {
    "verification": "event_verification",
    "verify": "event_verification",
    "pw_import": "password_import",
}
"""Other names a person may type for a kind (after `-` becomes `_`): the short labels earlier versions showed."""


def kind_named(name: str) -> Kind | None:
    """The kind a name typed on the command line means, or None when it is none.

    The canonical form (`password_import`) and the hyphenated one (`password-import`) both work, in any case;
    JSON always carries the canonical form.
    """
    key = name.strip().lower().replace("-", "_")
    for kind in KINDS:
        if key == kind:
            return kind
    return KIND_ALIASES.get(key)


def kind_choices(kinds: tuple[Kind, ...] = KINDS) -> str:
    """The kinds as a help text lists them."""
    return ", ".join(kinds)


def parse_kind(name: str, kinds: tuple[Kind, ...] = KINDS) -> Kind:
    """The kind `name` means, limited to `kinds`; ValueError saying which names work when it means none."""
    kind = kind_named(name)
    if kind is None or kind not in kinds:
        what = "an inline hook kind" if kinds == INLINE_KINDS else "a hook kind"
        raise ValueError(f"{name!r} is not {what}; use one of {kind_choices(kinds)} (or with - for _)")
    return kind


def classify(request: RequestSnapshot, body: Any = None) -> Kind:
    """The hook kind of a request; `body` is its parsed JSON when already parsed."""
    if request.method == "GET" and request.header(CHALLENGE_HEADER) is not None:
        return "event_verification"
    if body is None:
        try:
            body = request.json()
        except ValueError:
            return "unknown"
    return classify_body(body)


def classify_body(body: Any) -> Kind:
    """The hook kind of a parsed payload, by its eventType."""
    if isinstance(body, dict):
        event_type = body.get("eventType")
        if isinstance(event_type, str):
            return EVENT_TYPES.get(event_type, "unknown")
    return "unknown"


def registration_flavour(body: Any) -> str:
    """`self.service.registration`, `progressive.profile`, or `self.service.registration` for Classic."""
    if isinstance(body, dict):
        request_type = body.get("requestType")
        if request_type == "progressive.profile":
            return "progressive.profile"
        data = body.get("data")
        if request_type is None and isinstance(data, dict) and "userProfileUpdate" in data:
            return "progressive.profile"
    return "self.service.registration"
