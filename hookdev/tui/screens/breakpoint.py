"""The held-call editor: a countdown to Okta's deadline, and the answer that goes out when it reaches zero."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from hookdev.io.render import KIND_LABELS
from hookdev.models import Answer
from hookdev.tui.screens.editor import AnswerEditor, Draft

BAR = 30


def _parsed(body: bytes) -> Any:
    try:
        return json.loads(body) if body.strip() else None
    except ValueError:
        return body.decode("utf-8", errors="replace")


def countdown_text(remaining: float, total: float) -> Text:
    filled = round(BAR * remaining / total) if total > 0 else 0
    style = "bold green" if remaining > 1.5 else "bold yellow" if remaining > 0.7 else "bold red"
    text = Text()
    text.append(f"{remaining:4.1f} s left", style=style)
    text.append(" [")
    text.append("█" * filled, style=style)
    text.append("·" * (BAR - filled), style="dim")
    text.append("]  then the last answer that parsed goes out")
    return text


class BreakpointEditor(AnswerEditor):
    """Edit a held call's answer; ctrl+s sends it now, and the deadline sends the current one."""

    BINDINGS = [Binding("ctrl+s", "save", "Send now", priority=True),
                Binding("escape", "cancel", "Send as is", priority=True)]

    def __init__(self, held: Any, *, clock: Callable[[], float] = time.monotonic) -> None:
        call = held.call
        answer: Answer = held.answer
        title = f"HELD: {KIND_LABELS.get(call.kind, call.kind)} call to {call.request.path}"
        super().__init__(call.kind, answer.status, _parsed(answer.body), request_body=call.body, title=title)
        self.held = held
        self.clock = clock
        self.total = max(0.1, held.remaining(clock()))

    def compose_top(self) -> ComposeResult:
        yield Static(id="countdown")

    def on_mount(self) -> None:
        super().on_mount()
        self.tick()
        self.set_interval(0.1, self.tick)

    def tick(self) -> None:
        self.query_one("#countdown", Static).update(countdown_text(self.held.remaining(self.clock()), self.total))
        if self.held.done:
            self.dismiss(self.held.released)

    def edited(self, draft: Draft) -> None:
        if draft.parsed:
            self.held.update(_answer(draft))

    def action_save(self) -> None:
        draft, problems = self.draft()
        if not draft.parsed:
            self.notify(problems[0].message if problems else "fix the answer first", severity="error")
            return
        self.held.send(_answer(draft))
        self.dismiss("user")

    def action_cancel(self) -> None:
        self.held.send()
        self.dismiss("user")


def _answer(draft: Draft) -> Answer:
    snap = draft.snapshot()
    return Answer(status=snap.status, body=snap.body, headers=snap.headers, source="breakpoint")
