"""The inspector's actions, one table for the key bindings, the footer, the help screen and the command palette."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True, slots=True)
class Action:
    key: str
    action: str
    label: str
    """Short footer label."""
    help: str
    """What it does, for the help screen and the command palette."""
    footer: bool = True


MAIN_ACTIONS: tuple[Action, ...] = (
    Action("r", "replay", "Replay", "Replay the selected call to this receiver; the copy lands as a new row (↻)"),
    Action("R", "replay_to", "Replay to…", "Replay the selected call to another URL, acting as Okta"),
    Action("e", "edit_answer", "Edit answer",
           "Edit the answer for the selected call's kind, with live Okta validation; "
           "saved answers apply to the next calls"),
    Action("E", "edit_request", "Edit+replay", "Edit the selected call's body, then replay it"),
    Action("slash", "filter", "Filter", "Filter by kind, path, verdict, status or text"),
    Action("b", "breakpoint", "Breakpoint",
           "Hold the next call of a kind and edit its answer before Okta's 3 s run out"),
    Action("x", "export", "Export", "Export the marked calls (or the selected one) as HAR, curl or payload files"),
    Action("c", "copy_url", "Copy URL", "Copy a hook URL to paste into the Okta Admin Console"),
    Action("s", "reveal", "Secrets", "Show or mask secrets (Authorization, header secret, imported passwords)"),
    Action("m", "mark", "Mark", "Mark or unmark the selected call for export", footer=False),
    Action("o", "original", "Original", "Go to the original of the selected replay", footer=False),
    Action("escape", "follow", "Newest", "Clear the filter, then follow the newest call again", footer=False),
    Action("t", "app.toggle_theme", "Theme", "Switch between the normal and the high-contrast (projector) theme",
           footer=False),
    Action("question_mark", "app.help", "Help", "Show every key"),
    Action("q", "app.quit", "Quit", "Stop the receiver and the tunnel, and leave"),
)


def bindings(actions: tuple[Action, ...] = MAIN_ACTIONS) -> list[Binding]:
    return [Binding(a.key, a.action, a.label, show=a.footer, key_display=_display(a.key)) for a in actions]


def _display(key: str) -> str | None:
    return {"slash": "/", "question_mark": "?", "escape": "esc"}.get(key)


def key_label(key: str) -> str:
    return _display(key) or key
