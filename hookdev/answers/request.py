"""What a handler function sees (HookRequest), how it is routed (@hook), and how its return value is sent."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from multidict import CIMultiDict, CIMultiDictProxy

from hookdev.models import KINDS, Answer, HookCall

F = TypeVar("F", bound=Callable[..., Any])
ROUTES_ATTR = "__hookdev_routes__"
RETURN_HELP = "return a dict (200 with that JSON body), (body, status), (body, status, headers), or None for 204"


def hook(route: str) -> Callable[[F], F]:
    """Answer calls to a path (``@hook("/registrationHook")``) or of a kind (``@hook("token")``) with a function.

    A path matches exactly (a trailing slash aside) and wins over a function named after the kind.
    """
    if not isinstance(route, str) or not route:
        raise TypeError('hook() takes a path like "/registrationHook" or a kind like "token"')
    if not route.startswith("/"):
        route = route.replace("-", "_")
        if route not in KINDS:
            raise ValueError(
                f"hook({route!r}): not a path (paths start with /) nor a kind; kinds: {', '.join(KINDS)}"
            )

    def mark(func: F) -> F:
        setattr(func, ROUTES_ATTR, (*getattr(func, ROUTES_ATTR, ()), normal_path(route)))
        return func

    return mark


def normal_path(route: str) -> str:
    return route.rstrip("/") or "/" if route.startswith("/") else route


@dataclass(frozen=True, slots=True)
class HookRequest:
    """One hook call as a handler sees it."""

    kind: str
    """event, registration, token, saml, telephony, password_import, user_import or unknown."""
    path: str
    method: str
    query: str
    headers: CIMultiDictProxy[str]
    """Request headers; names are case-insensitive."""
    body: Any
    """The parsed JSON body."""

    @classmethod
    def from_call(cls, call: HookCall) -> HookRequest:
        r = call.request
        headers = CIMultiDictProxy(CIMultiDict(r.headers))
        return cls(call.kind, r.path, r.method, r.query, headers, call.body)

    def get(self, dotted: str, default: Any = None) -> Any:
        """A value deep in the body: ``request.get("data.userProfile.email")``; list items by number."""
        value: Any = self.body
        for part in dotted.split("."):
            if isinstance(value, dict) and part in value:
                value = value[part]
            elif isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
                value = value[int(part)]
            else:
                return default
        return value

    @property
    def data(self) -> dict[str, Any]:
        """body["data"], or {} when absent."""
        data = self.get("data")
        return data if isinstance(data, dict) else {}

    @property
    def context(self) -> dict[str, Any]:
        """body["data"]["context"], or {} when absent."""
        context = self.data.get("context")
        return context if isinstance(context, dict) else {}

    @property
    def event_type(self) -> str | None:
        return self._text("eventType")

    @property
    def request_type(self) -> str | None:
        """registration: self.service.registration / progressive.profile; telephony: the OTP's purpose."""
        return self._text("requestType")

    def _text(self, dotted: str) -> str | None:
        value = self.get(dotted)
        return value if isinstance(value, str) else None

    @property
    def events(self) -> list[dict[str, Any]]:
        """Event hooks: the System Log events of this delivery."""
        events = self.data.get("events")
        return [e for e in events if isinstance(e, dict)] if isinstance(events, list) else []


class BadReturn(Exception):
    """A handler returned something hookdev cannot send."""


def to_answer(result: Any) -> Answer:
    """The answer for a handler's return value; BadReturn says what was wrong with it."""
    status: object = 200
    headers: object = {}
    if isinstance(result, tuple):
        if len(result) == 2:
            body, status = result
        elif len(result) == 3:
            body, status, headers = result
        else:
            items = "1 item" if len(result) == 1 else f"{len(result)} items"
            raise BadReturn(f"returned a tuple of {items}; {RETURN_HELP}")
    elif isinstance(result, int) and not isinstance(result, bool):
        body, status = None, result
    elif result is None:
        body, status = None, 204
    else:
        body = result
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise BadReturn(f"returned status {status!r}; a status is a number like 200")
    if not isinstance(headers, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        raise BadReturn(f"returned headers {headers!r}; headers are a dict of strings")
    header_pairs = tuple(headers.items())
    if body is None:
        return Answer(status=status, body=b"", headers=header_pairs, source="handler")
    if isinstance(body, str):
        raw = body.encode()
    elif isinstance(body, bytes):
        raw = body
    else:
        try:
            raw = json.dumps(body).encode()
        except (TypeError, ValueError) as exc:
            raise BadReturn(f"returned a body that is not JSON ({exc}); {RETURN_HELP}") from None
    if not any(k.lower() == "content-type" for k in headers):
        header_pairs = (("Content-Type", "application/json"), *header_pairs)
    return Answer(status=status, body=raw, headers=header_pairs, source="handler")
