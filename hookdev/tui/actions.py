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
    # ? and q first: whatever the width, the footer keeps them
    Action("question_mark", "app.help", "Help", "Show every key"),
    Action("q", "app.quit", "Quit",
           "Leave the inspector (when serve opened it, serve stops too; an inspector attached with "
           "`hookdev inspect` leaves serve running)"),
    Action("r", "replay", "Replay", "Replay the selected call to this receiver; the copy lands as a new row (↻)"),
    Action("e", "edit_answer", "Answer",
           "Edit the answer for the selected call's kind, with live Okta validation; "
           "saved answers apply to the next calls"),
    Action("slash", "filter", "Filter", "Filter by kind, path, verdict, status or text"),
    Action("b", "breakpoint", "Hold",
           "Breakpoint: hold the next call of a kind (or to a path) and edit its answer before Okta's 3 s run out"),
    Action("n", "next_failure", "Next ✗", "Select the next failed call (refused, invalid answer, error)"),
    Action("x", "export", "Export", "Export the marked calls (or the selected one) as HAR, curl or payload files",
           footer=False),
    Action("c", "copy_url", "Copy URL", "Copy a hook URL to paste into the Okta Admin Console", footer=False),
    Action("N", "previous_failure", "Previous ✗", "Select the previous failed call", footer=False),
    Action("R", "replay_to", "Replay to…", "Replay the selected call to another URL, acting as Okta", footer=False),
    Action("E", "edit_request", "Edit+replay", "Edit the selected call's body, then replay it", footer=False),
    Action("d", "compare", "Compare",
           "Compare a replay with its original (or the two calls marked with m): body, headers, auth, answer",
           footer=False),
    Action("z", "maximize_detail", "Zoom", "Give the selected call's tabs the whole screen (z or esc again: back)",
           footer=False),
    Action("s", "reveal", "Secrets", "Show or mask secrets (Authorization, header secret, imported passwords)",
           footer=False),
    Action("exclamation_mark", "notices", "Notices",
           "Everything serve reported this run (tunnel failures, store trouble), newest first", footer=False),
    Action("h", "toggle_urls", "URLs", "Show or hide the line of hook URLs to paste into Okta", footer=False),
    Action("m", "mark", "Mark", "Mark or unmark the selected call (for export, or to compare two)", footer=False),
    Action("o", "original", "Original", "Go to the original of the selected replay", footer=False),
    Action("escape", "follow", "Newest", "Clear the filter, then follow the newest call again", footer=False),
    Action("t", "app.toggle_theme", "Theme", "Switch between the normal and the high-contrast (projector) theme",
           footer=False),
)


def bindings(actions: tuple[Action, ...] = MAIN_ACTIONS) -> list[Binding]:
    return [Binding(a.key, a.action, a.label, show=a.footer, key_display=_display(a.key)) for a in actions]


def _display(key: str) -> str | None:
    return {"slash": "/", "question_mark": "?", "escape": "esc", "exclamation_mark": "!"}.get(key)


def key_label(key: str) -> str:
    return _display(key) or key
