"""The header: one line saying where Okta calls and how it went this run, and an optional line of URLs to paste."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from hookdev.io.terminal import safe_text


@dataclass(frozen=True, slots=True)
class StatusState:
    local_url: str = ""
    public_url: str | None = None
    tunnel_error: bool = False
    hook_urls: tuple[str, ...] = ()
    auth: str = ""
    calls: int = 0
    refused: int = 0
    invalid: int = 0
    errors: int = 0
    shown: int = 0
    stored: int = 0
    filter_text: str = ""
    armed: tuple[str, ...] = ()
    reveal: bool = False
    notices: int = 0
    link: str = "attached"
    """attached | starting | reconnecting | gone (the serve stopped)"""
    show_urls: bool = True


class StatusBar(Widget):
    """One or two lines at the top; the screen hands it a StatusState whenever something changes.

    Redrawn in place, never laid out again (unless the URL line comes or goes): it changes with every batch of
    arrivals, and a new layout would measure every widget on screen again.
    """

    state = StatusState(link="starting")

    def show(self, state: StatusState) -> None:
        self.state = state
        lines = 2 if state.show_urls and state.hook_urls and state.link != "starting" else 1
        if self.styles.height is None or self.styles.height.value != lines:
            self.styles.height = lines
        self.refresh()

    def render(self) -> Text:
        return render_status(self.state, max(20, self.size.width - 2))


def render_status(s: StatusState, width: int = 200) -> Text:
    """The header's lines, each cut to `width` cells (what does not fit ends in …, never wraps)."""
    lines = [_head(s)]
    if s.show_urls and s.hook_urls and s.link != "starting":
        urls = Text("paste into Okta  ", style="dim")
        urls.append("  ".join(safe_text(u) for u in s.hook_urls[:4]))
        urls.append("  (c copies)" if len(s.hook_urls) <= 4 else "  … (c lists them all)", style="dim")
        lines.append(urls)
    for line in lines:
        line.truncate(width, overflow="ellipsis")
    return Text("\n").join(lines)


def _head(s: StatusState) -> Text:
    text = Text()
    if s.link == "starting":
        return text.append("hookdev ", style="bold").append("attaching to serve…")
    dot = {"attached": ("●", "bold green"), "reconnecting": ("◌", "bold yellow"), "gone": ("○", "bold red")}
    mark, style = dot.get(s.link, dot["attached"])
    text.append(f"{mark} ", style=style)
    if s.link == "gone":
        text.append("serve stopped: what it recorded stays here ", style="bold red")
    elif s.link == "reconnecting":
        text.append("reattaching to serve… ", style="bold yellow")
    text.append(safe_text(s.public_url or s.local_url), style="bold")
    if s.tunnel_error:
        text.append("  tunnel failed: press !", style="bold red")
    elif not s.public_url:
        text.append(" (no tunnel)", style="dim")
    # What went wrong this run comes before what is configured: at 80 columns the end is cut first.
    text.append(f"  {s.calls:,} call{'' if s.calls == 1 else 's'}", style="bold")
    if s.refused:
        text.append(f" · {s.refused:,} refused", style="bold red")
    if s.invalid:
        text.append(f" · {s.invalid:,} invalid", style="bold red")
    if s.armed:
        text.append(f"  ◆ holding {', '.join(safe_text(a) for a in s.armed)}", style="bold yellow")
    if s.notices:
        text.append(f"  ! {s.notices} notice{'s' if s.notices > 1 else ''}", style="bold yellow")
    if s.filter_text:
        text.append("  filter ", style="dim")
        text.append(safe_text(s.filter_text), style="bold reverse")
    if s.stored > s.shown:
        text.append(f"  {s.shown:,} of {s.stored:,} shown", style="dim")
    if s.reveal:
        text.append("  secrets shown", style="bold red")
    text.append(f"  {s.auth}", style="dim")
    return text
