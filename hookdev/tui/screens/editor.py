"""JSON editors with live checks: the answer for a kind (validated as Okta would), and a request body to replay."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Footer, Input, Label, Static, TextArea

from hookdev import jsontext
from hookdev.io.render import KIND_LABELS
from hookdev.io.terminal import safe_text
from hookdev.models import Headers, Kind, Problem, ResponseSnapshot
from hookdev.okta.defaults import default_answer

JSON_HEADERS: Headers = (("Content-Type", "application/json"),)


@dataclass(frozen=True, slots=True)
class Draft:
    """What the editor holds: a status, a parsed body (None: no body), and whether the text parsed."""

    status: int
    body: Any
    parsed: bool
    headers: Headers = ()

    @property
    def body_bytes(self) -> bytes:
        return b"" if self.body is None else json.dumps(self.body).encode()

    def snapshot(self) -> ResponseSnapshot:
        headers = self.headers or (JSON_HEADERS if self.body is not None else ())
        return ResponseSnapshot(status=self.status, headers=headers, body=self.body_bytes)


def body_text(body: Any) -> str:
    """A template body as editor text: JSON objects pretty-printed; bytes and strings as they are."""
    if body is None:
        return ""
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if isinstance(body, str):
        try:
            return json.dumps(jsontext.loads(body), indent=2)
        except ValueError:
            return safe_text(body, multiline=True)  # not JSON: a stranger's bytes, shown escaped
    return json.dumps(body, indent=2)


def read_draft(status_text: str, text: str, headers: Headers = ()) -> tuple[Draft, list[Problem]]:
    """Parse the editor's fields; problems say what keeps them from being an answer at all."""
    problems: list[Problem] = []
    try:
        status = int(status_text)
        if not 100 <= status <= 599:
            raise ValueError
    except ValueError:
        problems.append(Problem("status", f"{status_text!r} is not an HTTP status (100-599)"))
        status = 200
    body: Any = None
    parsed = True
    if text.strip():
        try:
            body = jsontext.loads(text)
        except ValueError as exc:
            parsed = False
            line = getattr(exc, "lineno", "?")
            col = getattr(exc, "colno", "?")
            problems.append(Problem("$", f"not JSON at line {line}, column {col}: {getattr(exc, 'msg', exc)}",
                                    "Okta cannot read the answer and treats the call as failed"))
    return Draft(status, body, parsed and not problems, headers), problems


def problems_text(problems: list[Problem] | tuple[Problem, ...], ok_line: str) -> Text:
    if not problems:
        return Text(f"✓ {ok_line}", style="bold green")
    text = Text(f"✗ {len(problems)} problem{'s' if len(problems) > 1 else ''}\n", style="bold red")
    for p in problems:
        text.append(p.path, style="bold cyan")
        text.append(f"  {p.message}\n")
        if p.consequence:
            text.append(f"   → {p.consequence}\n", style="bold yellow")
    return text


class AnswerEditor(ModalScreen[Any]):
    """Edit the answer for one kind; dismisses with (Draft, path or None) on save, None on cancel."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("ctrl+r", "okta_default", "Okta default", priority=True),
        Binding("escape", "cancel", "Cancel", priority=True),  # the TextArea would take escape to leave focus
    ]

    def __init__(self, kind: Kind, status: int, body: Any, *, headers: Headers = (), request_body: Any = None,
                 path: str | None = None, title: str | None = None) -> None:
        super().__init__()
        self.kind = kind
        self.request_body = request_body
        self.path = path
        self.headers = headers
        self._status = str(status)
        self._text = body_text(body)
        self.title_text = title or f"Answer to {KIND_LABELS.get(kind, kind)} calls"
        self.problems: tuple[Problem, ...] = ()

    def compose(self) -> ComposeResult:
        with Vertical(id="editor"):
            yield Label(self.title_text, id="editor-title")
            yield from self.compose_top()
            with Horizontal(id="editor-fields"):
                yield Label("status ")
                yield Input(self._status, id="editor-status", restrict=r"\d{0,3}")
                yield from self.compose_options()
            with Horizontal(id="editor-main"):
                yield from self.compose_side()
                yield TextArea(self._text, language="json", id="editor-text", show_line_numbers=True,
                               tab_behavior="indent")
            yield Static(id="editor-problems")
        yield Footer()

    def compose_top(self) -> ComposeResult:
        yield from ()

    def compose_side(self) -> ComposeResult:
        """Widgets beside the text (the breakpoint editor shows the held request there)."""
        yield from ()

    def compose_options(self) -> ComposeResult:
        if self.path:
            yield Checkbox(safe_text(f"only calls to {self.path}"), id="editor-path-only")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()
        self.recheck()

    @on(TextArea.Changed)
    @on(Input.Changed, "#editor-status")
    def recheck(self) -> None:
        status = self.query_one("#editor-status", Input)
        if status.value == "204" and self.query_one(TextArea).text.strip() and status.display:
            status.value = "200"  # a 204 carries no body: typing one means a 200 answer
            self.notify("status set to 200: a 204 answer carries no body, and Okta reads this one", timeout=4)
            return  # the status change rechecks
        draft, problems = self.draft()
        if draft.parsed:
            problems = list(self.check(draft))
        self.problems = tuple(problems)
        self.query_one("#editor-problems", Static).update(problems_text(problems, self.ok_line()))
        self.edited(draft)

    def draft(self) -> tuple[Draft, list[Problem]]:
        return read_draft(self.query_one("#editor-status", Input).value, self.query_one(TextArea).text, self.headers)

    def check(self, draft: Draft) -> tuple[Problem, ...]:
        from hookdev.okta.validate import check_answer

        return check_answer(self.kind, draft.snapshot(), self.request_body)

    def ok_line(self) -> str:
        return f"Okta would accept this {KIND_LABELS.get(self.kind, self.kind)} answer"

    def edited(self, draft: Draft) -> None:
        """Each change, after the checks (the breakpoint editor hands valid drafts to the held call)."""

    def action_okta_default(self) -> None:
        status, body = default_answer(self.kind)
        self.query_one("#editor-status", Input).value = str(status)
        self.query_one(TextArea).text = body_text(body)

    def action_save(self) -> None:
        draft, problems = self.draft()
        if not draft.parsed:
            self.notify(problems[0].message if problems else "fix the answer first", severity="error")
            return
        only = self.query("#editor-path-only")
        path = self.path if only and only.first(Checkbox).value else None
        self.dismiss((draft, path))

    def action_cancel(self) -> None:
        self.dismiss(None)


class RequestEditor(AnswerEditor):
    """Edit a recorded call's body; dismisses with the new body bytes, to be replayed."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Replay", priority=True),
        Binding("ctrl+r", "okta_default", "Original", priority=True),
        Binding("escape", "cancel", "Cancel", priority=True),
    ]

    def __init__(self, kind: Kind, body: Any, *, title: str) -> None:
        super().__init__(kind, 200, body, title=title)
        self.original = self._text

    def action_okta_default(self) -> None:
        """ctrl+r here restores the call as it was recorded (an answer template has no place in a request)."""
        self.query_one(TextArea).text = self.original

    def compose_options(self) -> ComposeResult:
        yield Label("  (the body is sent as edited; headers and auth as Okta would)", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#editor-status", Input).display = False
        super().on_mount()

    def check(self, draft: Draft) -> tuple[Problem, ...]:
        from hookdev.okta.kinds import classify_body

        kind = classify_body(draft.body) if isinstance(draft.body, dict) else "unknown"
        if kind != self.kind:
            return (Problem("$.eventType", f"this body now reads as a {kind} call, not {self.kind}",
                            "hookdev (and your service) will treat it as that kind"),)
        return ()

    def ok_line(self) -> str:
        return f"valid JSON for a {KIND_LABELS.get(self.kind, self.kind)} call; ctrl+s replays it"

    def action_save(self) -> None:
        draft, problems = self.draft()
        if not draft.parsed:
            self.notify(problems[0].message if problems else "fix the body first", severity="error")
            return
        self.dismiss(json.dumps(draft.body).encode())
