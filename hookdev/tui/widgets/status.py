"""The status bar: where to point Okta, how calls are checked, and running totals."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static


@dataclass(frozen=True, slots=True)
class StatusState:
    local_url: str = ""
    public_url: str | None = None
    tunnel_note: str = ""
    hook_urls: tuple[str, ...] = ()
    auth: str = ""
    calls: int = 0
    rejected: int = 0
    invalid: int = 0
    shown: int = 0
    stored: int = 0
    filter_text: str = ""
    armed: tuple[str, ...] = ()
    reveal: bool = False
    starting: bool = False


class StatusBar(Static):
    """Three lines at the top; the screen hands it a StatusState whenever something changes."""

    def show(self, state: StatusState) -> None:
        self.update(render_status(state))


def render_status(s: StatusState) -> Text:
    text = Text()
    if s.starting:
        text.append("hookdev ", style="bold")
        text.append("starting the receiver…")
        return text
    text.append("● ", style="bold green")
    text.append("local ", style="dim")
    text.append(s.local_url, style="bold")
    if s.public_url:
        text.append("   public ", style="dim")
        text.append(s.public_url, style="bold")
    elif s.tunnel_note:
        text.append(f"   {s.tunnel_note}", style="dim")
    if s.stored > s.shown:
        text.append(f"   newest {s.shown:,} of {s.stored:,} shown (/ finds older)", style="dim")
    if s.filter_text:
        text.append("   filter ", style="dim")
        text.append(s.filter_text, style="bold reverse")
    text.append("\nauth ", style="dim")
    text.append(s.auth, style="bold")
    text.append("   this run: calls ", style="dim")
    text.append(str(s.calls), style="bold")
    text.append("  rejected ", style="dim")
    text.append(str(s.rejected), style="bold red" if s.rejected else "bold")
    text.append("  invalid answers ", style="dim")
    text.append(str(s.invalid), style="bold red" if s.invalid else "bold")
    if s.armed:
        text.append("   breakpoint on ", style="bold yellow")
        text.append(", ".join(s.armed), style="bold yellow")
    if s.reveal:
        text.append("   secrets shown", style="bold red")
    text.append("\npaste into Okta ", style="dim")
    text.append("  ".join(s.hook_urls[:2]) + ("  …" if len(s.hook_urls) > 2 else ""))
    text.append("  (c copies)", style="dim")
    return text
