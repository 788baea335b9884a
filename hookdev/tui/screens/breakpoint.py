"""The held-call editor: the request beside its answer, and a countdown to Okta's deadline.

The serve holds the call and keeps its deadline; this screen only shows it and sends edits. Each edit that parses
becomes the answer the serve sends at the deadline, so a view that freezes or closes still answers as edited.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from hookdev import jsontext
from hookdev.io.render import KIND_LABELS
from hookdev.io.terminal import safe_text
from hookdev.tui.link import ServeLink
from hookdev.tui.screens.editor import AnswerEditor, Draft

BAR = 30


def _parsed(body: str) -> Any:
    try:
        return jsontext.loads(body) if body.strip() else None
    except ValueError:
        return body


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


def request_text(hold: dict[str, Any]) -> Text:
    body = str(hold.get("request_body", ""))
    try:
        shown = json.dumps(jsontext.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        shown = body
    text = Text.assemble((f"{safe_text(str(hold.get('method', 'POST')))} {safe_text(str(hold.get('path', '')))}\n",
                          "bold"), (safe_text(shown, multiline=True), ""))
    if hold.get("request_truncated"):
        text.append("\n… (its start only)", style="dim")
    return text


class BreakpointEditor(AnswerEditor):
    """Edit a held call's answer; ctrl+s sends it now, esc sends it as it is, the deadline sends the current one."""

    BINDINGS = [Binding("ctrl+s", "save", "Send now", priority=True),
                Binding("escape", "cancel", "Send as is", priority=True)]

    def __init__(self, hold: dict[str, Any], link: ServeLink, *, clock: Callable[[], float] = time.monotonic) -> None:
        answer = hold.get("answer") or {}
        kind = hold.get("kind", "unknown")
        title = f"HELD: {KIND_LABELS.get(kind, kind)} call to {safe_text(str(hold.get('path', '')))}"
        headers = tuple((str(k), str(v)) for k, v in answer.get("headers") or ())
        super().__init__(kind, int(answer.get("status", 200)), _parsed(str(answer.get("body", ""))),
                         headers=headers, request_body=_parsed(str(hold.get("request_body", ""))), title=title)
        self.hold = hold
        self.link = link
        self.clock = clock
        remaining = hold.get("remaining_s")
        self.deadline = None if remaining is None else clock() + float(remaining)
        """None: a call from this machine, held with no deadline."""
        self.total = max(0.1, float(remaining or 0.0))
        self.by: str | None = None

    def compose_top(self) -> ComposeResult:
        yield Static(id="countdown")

    def compose_side(self) -> ComposeResult:
        with VerticalScroll(id="editor-request"):
            yield Static(request_text(self.hold))

    def on_mount(self) -> None:
        super().on_mount()
        self.tick()
        self.set_interval(0.1, self.tick)

    def remaining(self) -> float:
        return float("inf") if self.deadline is None else max(0.0, self.deadline - self.clock())

    def tick(self) -> None:
        if self.deadline is None:
            text = Text.assemble(("no deadline", "bold cyan"), ": a call from this machine waits until ctrl+s sends "
                                                                "the answer (or its sender gives up)")
        else:
            text = countdown_text(self.remaining(), self.total)
        self.query_one("#countdown", Static).update(text)

    def released(self, by: str) -> None:
        """The serve answered the call (this view, another one, the deadline, or its stop)."""
        if self.by is None:
            self.by = by
            self.dismiss(by)

    def edited(self, draft: Draft) -> None:
        if draft.parsed and self.by is None:
            self._send("hold_update", draft)

    def action_save(self) -> None:
        draft, problems = self.draft()
        if not draft.parsed:
            self.notify(problems[0].message if problems else "fix the answer first", severity="error")
            return
        self._send("hold_send", draft)

    def action_cancel(self) -> None:
        self._send("hold_send", None)

    @work(group="hold")
    async def _send(self, command: str, draft: Draft | None) -> None:
        args: dict[str, Any] = {"hold": self.hold.get("id")}
        if draft is not None:
            snap = draft.snapshot()
            args["answer"] = {"status": snap.status, "headers": [list(h) for h in snap.headers],
                              "body": snap.body.decode("utf-8")}
        try:
            await self.link.call(command, **args)
        except Exception as exc:  # answered meanwhile, or serve gone: the released event closes the editor
            if command == "hold_send":
                self.notify(str(exc), severity="warning")
                self.released("user")
