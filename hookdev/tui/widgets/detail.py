"""The detail of one exchange: a verdict line, then tabs (Request, Auth, Response, Validation & timing, Log, Okta).

The list holds summaries; the full record (headers, bodies, log) is read from the store when a call is selected,
off the screen's loop, and only the visible tab is drawn. A record that cannot be drawn shows an error in its
pane and ends nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from rich.console import RenderableType
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static, TabbedContent, TabPane

from hookdev.io.okta_log import events_text
from hookdev.models import Exchange
from hookdev.tui import format as fmt

log = logging.getLogger(__name__)
BAD = "bold red"

TABS = (("request", "Request"), ("auth", "Auth"), ("response", "Response"),
        ("validation", "Validation & timing"), ("log", "Log"), ("okta", "Okta"))
EMPTY = Text.assemble(
    ("No calls yet.\n\n", "bold"),
    "Point an Okta hook at one of the URLs above, or try:\n",
    ("  hookdev send token --to <local URL>/tokenHook\n", "bold"),
    "Every path is a hook endpoint; the event hook verification GET is answered for you.",
)
SETTLE_S = 0.05
"""How long a selection must stay before its tabs are drawn (the verdict line is drawn at once)."""
RECENT = 8
"""Calls kept ready to show again, their tabs drawn."""
Loader = Callable[[str], tuple[Exchange | None, list[dict[str, Any]]]]
"""Reads one exchange in full and what Okta logged about it (blocking: it runs in a thread)."""


class VerdictLine(Widget):
    """One line, redrawn in place as calls are selected (no new layout of the screen each time)."""

    text: RenderableType = Text("")

    def show(self, text: RenderableType) -> None:
        self.text = text
        self.refresh()

    def render(self) -> RenderableType:
        return self.text


class DetailView(Vertical):
    """Shows the selected call; `preferred` is the tab the user chose, which a failing call overrides."""

    ALLOW_MAXIMIZE = True

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.exchange: Exchange | None = None
        """The selected call: its summary until the full record is read, then the record."""
        self.okta_events: list[dict[str, Any]] = []
        self.full = False
        self.reveal = False
        self.secret_header: str | None = None
        self.demo = False
        self.loader: Loader | None = None
        self.preferred = "request"
        self._switching = False
        self._labels: dict[str, str] = dict(TABS)
        self.answered: dict[str, float] = {}
        """For calls seen live: ms from arrival until the answer left (after its commit), by exchange id."""
        self._views: dict[str, RenderableType] = {}
        """Each tab's content for the full record, prepared off the screen's loop (a body can be a megabyte)."""
        self._recent: OrderedDict[tuple[str, bool], tuple[Exchange, list[dict[str, Any]], dict[str, RenderableType]]]
        self._recent = OrderedDict()
        """The last few calls shown, ready to show again: moving back and forth costs no second reading."""
        self._settle: Timer | None = None
        self._to_failure = False

    def compose(self) -> ComposeResult:
        yield VerdictLine(id="verdict")
        with TabbedContent(initial="request"):
            for key, title in TABS:
                with TabPane(title, id=key):
                    with VerticalScroll():
                        yield Static(id=f"{key}-body", classes="detail-body")

    @property
    def active(self) -> str:
        return self.query_one(TabbedContent).active

    @active.setter
    def active(self, key: str) -> None:
        self.preferred = key
        self._to_failure = False  # the user's choice wins over the failing tab of a selection still settling
        self._set_tab(key)

    def _set_tab(self, key: str) -> None:
        tabs = self.query_one(TabbedContent)
        if tabs.active != key:
            self._switching = True
            tabs.active = key

    def show(self, summary: Exchange | None, *, to_failure: bool = False) -> None:
        """Select a call: its verdict line at once; its tabs once the selection has settled (SETTLE_S without
        another), read from the store or kept from a moment ago. Holding j down stays as fast as the list."""
        self.exchange, self.full, self.okta_events, self._views = summary, False, [], {}
        recent = self._recent.get((summary.id, self.reveal)) if summary is not None else None
        if recent is not None:
            self._recent.move_to_end((summary.id, self.reveal))  # type: ignore[union-attr]
            self.exchange, self.okta_events, self._views = recent
            self.full = True
        self._to_failure = to_failure
        self.query_one(VerdictLine).show(self._verdict())
        if self._settle is None:
            self._settle = self.set_timer(SETTLE_S, self._settled)
        else:
            self._settle.reset()

    @property
    def settling(self) -> bool:
        """A selection's tabs are still to be drawn."""
        return self._settle is not None

    def _settled(self) -> None:
        self._settle = None
        summary = self.exchange
        self._marks()
        failing = fmt.failing_tab(summary) if summary is not None else None
        if self._to_failure:
            self._set_tab(failing or self.preferred)
        self._render_active()
        if summary is not None and self.loader is not None and not self.full:
            self._load(summary.id)

    def reload(self) -> None:
        """Read the selected call again (Okta logged something about it), keeping the tab on screen."""
        if self.exchange is not None and self.loader is not None:
            self._recent = OrderedDict((k, v) for k, v in self._recent.items() if k[0] != self.exchange.id)
            self._load(self.exchange.id)

    def redraw(self, *, reveal: bool | None = None) -> None:
        if reveal is not None:
            self.reveal = reveal
        if self.full and self.exchange is not None:
            self._prepare(self.exchange, self.okta_events)
        else:
            self._render_active()

    @work(exclusive=True, group="detail")
    async def _load(self, ident: str) -> None:
        assert self.loader is not None
        key = (ident, self.reveal)
        if key in self._recent:
            self._recent.move_to_end(key)
            full, events, views = self._recent[key]
        else:
            try:
                full_or_none, events = await asyncio.to_thread(self.loader, ident)
            except Exception as exc:  # a store that went away: the summary stays, the pane says why
                log.warning("reading exchange %s failed: %s", ident, exc)
                return
            if self.exchange is None or self.exchange.id != ident or full_or_none is None:
                return
            full = full_or_none
            views = await asyncio.to_thread(self._views_of, full, events, self.reveal)
            self._recent[key] = (full, events, views)
            while len(self._recent) > RECENT:
                self._recent.popitem(last=False)
        if self.exchange is None or self.exchange.id != ident:
            return
        self.exchange, self.full, self.okta_events, self._views = full, True, events, views
        self._marks()
        self._render_active()

    @work(exclusive=True, group="detail")
    async def _prepare(self, full: Exchange, events: list[dict[str, Any]]) -> None:
        views = await asyncio.to_thread(self._views_of, full, events, self.reveal)
        if self.exchange is full:
            self._views = views
            self._render_active()

    def _views_of(self, ex: Exchange, events: list[dict[str, Any]], reveal: bool) -> dict[str, RenderableType]:
        """Every tab's content (in a worker thread: parsing and pretty-printing a big body takes a while)."""
        return {key: self._guarded(key, ex, events, reveal) for key, _ in TABS}

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        if not self._switching:
            self.preferred = self.active  # the user's own choice, kept for calls that did not fail
            self._to_failure = False
        self._switching = False
        self._render_active()

    def on_mount(self) -> None:
        self._render_active()

    def _marks(self) -> None:
        """Tab titles that say where the trouble is: Auth ✗, Validation & timing ✗2, Log •, Okta •3."""
        ex = self.exchange
        labels = dict(TABS)
        if ex is not None:
            if not ex.auth.ok:
                labels["auth"] += " ✗"
            v = ex.validation
            if not v.ok:
                labels["validation"] += f" ✗{len(v.problems) or ''}"
            elif v.warnings:
                labels["validation"] += f" !{len(v.warnings)}"
            if ex.log or (ex.error and not v.skipped):
                labels["log"] += " •"
            if self.okta_events:
                labels["okta"] += f" •{len(self.okta_events)}"
        tabs = self.query_one(TabbedContent)
        for key, label in labels.items():
            if self._labels.get(key) != label:  # a new label lays the screen out again: only when it changes
                self._labels[key] = label
                tabs.get_tab(key).label = label

    def _render_active(self) -> None:
        try:
            tab = self.active or "request"
            body = self.query_one(f"#{tab}-body", Static)
            verdict = self.query_one("#verdict", VerdictLine)
        except Exception:
            return  # not composed yet; on_mount renders
        verdict.show(self._verdict())
        body.update(self._view(tab))

    def _verdict(self) -> RenderableType:
        ex = self.exchange
        if ex is None:
            return Text("")
        try:
            caption = ex.request.header("X-Hookdev-Demo-Caption") if self.demo else None
            return fmt.verdict_line(ex, caption, answered_ms=self.answered.get(ex.id))
        except Exception as exc:
            log.exception("drawing the verdict of %s failed", ex.id)
            return Text(f"the verdict of {ex.id} could not be drawn ({type(exc).__name__})", style=BAD)

    def _view(self, tab: str) -> RenderableType:
        ex = self.exchange
        if ex is None:
            return EMPTY
        if tab in self._views:
            return self._views[tab]
        if tab == "validation":  # the summary has all it needs
            return self._guarded(tab, ex, [], self.reveal)
        return Text("reading the call from the store…", style="dim")

    def _guarded(self, tab: str, ex: Exchange, events: list[dict[str, Any]], reveal: bool) -> RenderableType:
        try:
            return self._tab_view(tab, ex, events, reveal)
        except Exception as exc:  # one hostile record must not end the inspector: say so in its pane
            log.exception("drawing exchange %s failed", ex.id)
            return Text.assemble(
                (f"This tab of exchange {ex.id} could not be drawn ({type(exc).__name__}).\n", BAD),
                f"`hookdev show {ex.id}` prints it as text; the other tabs and calls are unaffected.",
            )

    def _tab_view(self, tab: str, ex: Exchange, events: list[dict[str, Any]], reveal: bool) -> RenderableType:
        if tab == "request":
            return fmt.request_view(ex, reveal=reveal, secret_header=self.secret_header)
        if tab == "auth":
            return fmt.auth_view(ex, reveal=reveal, secret_header=self.secret_header)
        if tab == "response":
            return fmt.response_view(ex)
        if tab == "validation":
            return fmt.validation_view(ex)
        if tab == "okta":
            return Text(events_text(events))
        return fmt.log_view(ex)
