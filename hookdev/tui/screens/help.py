"""The help screen: every key of the inspector, what the filter understands, and how the editors work."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from hookdev.tui.actions import MAIN_ACTIONS, key_label
from hookdev.tui.filtering import HELP as FILTER_HELP

MORE = (
    ("j / k, ↑ / ↓", "move in the list (moving to the newest row follows new calls again)"),
    ("g / G", "first / newest row"),
    ("1 … 6", "Request, Auth, Response, Validation & timing, Log, Okta tabs (a failed call opens on the tab "
              "that says why)"),
    ("ctrl+p", "command palette: every action by name"),
    ("in an editor", "ctrl+s saves (or sends), ctrl+r restores Okta's default answer, esc cancels"),
)


def help_table() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for action in MAIN_ACTIONS:
        table.add_row(key_label(action.key), action.help)
    for key, what in MORE:
        table.add_row(key, what)
    table.add_row("", "")
    table.add_row("filter words", FILTER_HELP)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close")]

    def __init__(self, *, owner: bool = False) -> None:
        super().__init__()
        self.owner = owner

    def compose(self) -> ComposeResult:
        whose = ("serve opened this inspector: q stops serve too" if self.owner else
                 "attached to a running serve: q leaves it running")
        with VerticalScroll(id="help"):
            yield Static(Text.assemble(("hookdev inspector: keys", "bold"), (f"   ({whose})", "dim")),
                         id="help-title")
            yield Static(help_table())
            yield Static(Text("esc closes this screen", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
