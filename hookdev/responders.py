"""Where answers come from: the documented default per kind (templates, handlers and forward build on this)."""

from __future__ import annotations

from collections.abc import Callable

from hookdev.config import Settings
from hookdev.models import Answer, HookCall
from hookdev.okta.defaults import default_answer


class DefaultResponder:
    """Answers every call with Okta's "allow / no change" answer for its kind."""

    async def respond(self, call: HookCall) -> Answer:
        status, payload = default_answer(call.kind)
        return Answer.json(status, payload, source="default")


async def build_responder(settings: Settings, notify: Callable[[str, str], None] | None = None) -> DefaultResponder:
    """The responder the settings ask for."""
    return DefaultResponder()
