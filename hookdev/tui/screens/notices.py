"""The notices panel: everything serve said this run (tunnel failures, disk trouble...), newest first."""

from __future__ import annotations

import time
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from hookdev.io.terminal import safe_text

STYLES = {"error": "bold red", "warning": "bold yellow"}


def notices_table(notices: list[dict[str, Any]]) -> Table | Text:
    if not notices:
        return Text("Nothing to report: no tunnel trouble, no store trouble, no warnings this run.", style="dim")
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True, style="dim")
    table.add_column(no_wrap=True)
    table.add_column()
    for notice in reversed(notices):
        when = notice.get("time")
        clock = time.strftime("%H:%M:%S", time.localtime(when)) if isinstance(when, (int, float)) else "--:--:--"
        level = str(notice.get("level", "info"))
        table.add_row(clock, Text(level, style=STYLES.get(level, "")),
                      Text(safe_text(str(notice.get("message", "")), multiline=True)))
    return table


class NoticesScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,exclamation_mark", "close", "Close")]

    def __init__(self, notices: list[dict[str, Any]]) -> None:
        super().__init__(classes="prompt")
        self.notices = notices

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="notices", classes="prompt-box"):
            yield Static(Text("What serve said this run, newest first", style="bold"), classes="prompt-title")
            yield Static(notices_table(self.notices))
            yield Static(Text("esc closes", style="dim"), classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)
