"""Small modal prompts: one line of text (a URL, a filter, a file name) or one choice from a list."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option


class TextPrompt(ModalScreen[str | None]):
    """Ask for one line; enter answers, escape cancels (None)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, *, value: str = "", placeholder: str = "", hint: str = "") -> None:
        super().__init__(classes="prompt")
        self.title_text, self.value, self.placeholder, self.hint = title, value, placeholder, hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="prompt-box"):
            yield Label(self.title_text, classes="prompt-title")
            yield Input(self.value, placeholder=self.placeholder, id="prompt-input")
            if self.hint:
                yield Label(self.hint, classes="hint")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoicePrompt(ModalScreen[Any]):
    """Pick one of `choices` (label, value); enter answers, escape cancels (None)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, choices: list[tuple[str, Any]], *, selected: int = 0, hint: str = "") -> None:
        super().__init__(classes="prompt")
        self.title_text, self.choices, self.selected, self.hint = title, choices, selected, hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="prompt-box"):
            yield Label(self.title_text, classes="prompt-title")
            options = (Option(label, id=str(i)) for i, (label, _) in enumerate(self.choices))
            yield OptionList(*options, id="prompt-choices")
            if self.hint:
                yield Label(self.hint, classes="hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = self.selected

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[int(event.option.id or 0)][1])

    def action_cancel(self) -> None:
        self.dismiss(None)
