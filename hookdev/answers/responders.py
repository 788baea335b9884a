"""Where answers come from: the user's handler file, the user's own service, or the editable templates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from hookdev.answers.forward import ForwardResponder
from hookdev.answers.handlers import HandlerResponder
from hookdev.answers.templates import Template, TemplateBook, TemplateResponder
from hookdev.config import Settings
from hookdev.models import Answer, HookCall
from hookdev.okta.defaults import default_answer

__all__ = ["AnswerSource", "DefaultResponder", "Template", "TemplateBook", "build_responder"]


class AnswerSource(Protocol):
    """What the receiver calls for each hook call; every kind of source also exposes the templates."""

    templates: TemplateBook

    async def respond(self, call: HookCall) -> Answer: ...

    async def close(self) -> None: ...


class DefaultResponder:
    """Answers every call with Okta's documented "allow / no change" answer, touching no files (tests, bench)."""

    async def respond(self, call: HookCall) -> Answer:
        status, payload = default_answer(call.kind)
        return Answer.json(status, payload, source="default")


async def build_responder(
    settings: Settings, notify: Callable[[str, str], None] | None = None
) -> AnswerSource:
    """The handler file if one is set, else forwarding if a URL is set, else the templates."""
    r = settings.responses
    templates = TemplateBook(settings.path(r.dir), notify=notify)
    if r.handler:
        return HandlerResponder(settings.path(r.handler), templates, notify=notify, hard_cap=r.handler_timeout)
    if r.forward:
        return ForwardResponder(r.forward, r.forward_timeout, templates)
    return TemplateResponder(templates)
