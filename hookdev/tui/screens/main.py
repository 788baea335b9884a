"""The main view: the header, the live list, the selected call's verdict and tabs; arrivals are read in batches."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer

from hookdev.io.terminal import safe_text
from hookdev.tui.actions import MAIN_ACTIONS, bindings
from hookdev.tui.filtering import ExchangeFilter, parse_filter
from hookdev.tui.link import ServeLink
from hookdev.tui.messages import CallHeld, CallReleased
from hookdev.tui.screens.main_actions import MainActions
from hookdev.tui.widgets.detail import TABS, DetailView
from hookdev.tui.widgets.exchange_list import CAP, ExchangeList
from hookdev.tui.widgets.status import StatusBar, StatusState

FLUSH_S = 0.1
"""Arrivals are read and drawn in batches this often: a burst of 200 calls/s is 20 rows a frame, not 200 redraws."""
URL_LINE_MIN_HEIGHT = 30
"""Terminals at least this tall show the "paste into Okta" line without asking (h shows or hides it)."""


class MainScreen(MainActions, Screen[None]):
    BINDINGS = [*bindings(MAIN_ACTIONS), *(Binding(str(n), f"tab('{key}')", show=False) for n, (key, _) in
                                          enumerate(TABS, 1))]

    def __init__(self, link: ServeLink, *, owner: bool = False, cap: int = CAP, flush_s: float = FLUSH_S,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.link = link
        self.owner = owner
        """This inspector is serve's own (its child): quitting it stops serve."""
        self.cap = cap
        self.flush_s = flush_s
        self.monotonic = monotonic
        self.filter = ExchangeFilter()
        self.reveal = False
        self.link_state = "starting"
        self.stored = 0
        self.show_urls: bool | None = None
        self.last_seq = 0
        """The newest sequence number read from the store: arrivals are read after it."""
        self._arrived = False
        self._reading = False
        self._holds: list[dict[str, Any]] = []
        self._editing: Any = None

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield ExchangeList(cap=self.cap, id="exchanges")
        yield DetailView(id="detail")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.refresh_status()
        self.set_interval(self.flush_s, self.flush)
        self.table.focus()

    # -- typed lookups ---------------------------------------------------------------------------------
    @property
    def table(self) -> ExchangeList:
        return self.query_one(ExchangeList)

    @property
    def detail(self) -> DetailView:
        return self.query_one(DetailView)

    # -- the serve -------------------------------------------------------------------------------------
    def attached(self) -> None:
        """The link is up (first time, or again after a drop): read what the store holds."""
        state = self.link.state
        self.detail.secret_header = state.get("secret_header")
        self.detail.demo = bool(state.get("demo"))
        store = self.link.store
        if store is not None:
            self.detail.loader = lambda ident: (store.get(ident), [e.event for e in store.okta_events(ident)])
        self.link_state = "attached"
        self.reload()
        for hold in self.link.held:
            self.post_message(CallHeld(hold))

    def handle(self, event: dict[str, Any]) -> None:
        """One event from the serve, on the screen's loop."""
        kind = event.get("event")
        if kind == "exchange":
            self._arrived = True
            if isinstance(event.get("answered_ms"), (int, float)):
                self.detail.answered[str(event.get("id"))] = float(event["answered_ms"])
                if len(self.detail.answered) > 4 * self.cap:
                    self.detail.answered.clear()
        elif kind == "state":
            self.refresh_status()
        elif kind == "notice":
            self.app.notify(safe_text(str(event.get("message", "")), multiline=True),
                            severity=_severity(event.get("level")),
                            timeout=10 if event.get("level") == "error" else 5)
            self.refresh_status()
        elif kind == "held" and isinstance(event.get("hold"), dict):
            self.post_message(CallHeld(event["hold"]))
        elif kind == "released":
            self.post_message(CallReleased(event.get("hold", 0), str(event.get("by", ""))))
        elif kind == "okta":
            selected = self.detail.exchange
            if selected is not None and selected.id in (event.get("exchanges") or ()):
                self.detail.reload()  # what Okta logged about the call on screen arrived
        elif kind == "detached":
            self.link_state = "reconnecting"
            self.refresh_status()
        elif kind == "attached":
            self.attached()
        elif kind == "gone":
            self.link_state = "gone"
            self.refresh_status()
            self.notify("serve stopped: what it recorded stays here; replays and answers need it running",
                        severity="warning")

    @work(exclusive=True, group="load")
    async def reload(self) -> None:
        """Fill the list from the store: the newest `cap` calls matching the filter, then how many there are."""
        store, flt = self.link.store, self.filter
        if store is None:
            return
        top = await asyncio.to_thread(store.last_seq)
        rows = await asyncio.to_thread(store.summaries, flt.store_filter(), upto=top, limit=self.cap, newest=True)
        if self._leaving():
            return
        self.last_seq = top
        self._arrived = False
        self.table.replace_all([ex for _, ex in rows if flt.matches(ex)])
        self.refresh_status()
        self.stored = await asyncio.to_thread(store.count, flt.store_filter() if flt.active else None)
        if not self._leaving():
            self.refresh_status()

    def flush(self) -> None:
        if self._arrived and not self._reading and self.link.store is not None:
            self._arrived = False
            self._reading = True
            self._read_new()

    @work(group="arrivals")
    async def _read_new(self) -> None:
        """Read the rows recorded since the last read (one query a batch) and append those the filter keeps."""
        try:
            store, flt = self.link.store, self.filter
            if store is None:
                return
            top = await asyncio.to_thread(store.last_seq)
            if top <= self.last_seq:
                return
            after = self.last_seq
            rows = await asyncio.to_thread(store.summaries, flt.store_filter(), after=after, upto=top,
                                           limit=self.cap, newest=True)
            if flt is not self.filter or after != self.last_seq or self._leaving():
                return  # a reload replaced the list meanwhile (it read these rows too), or the inspector is closing
            self.last_seq = top
            shown = [ex for _, ex in rows if flt.matches(ex)]
            self.stored += len(shown)
            self.table.add(shown)
            self.refresh_status()
        finally:
            self._reading = False

    def _leaving(self) -> bool:
        """The inspector is leaving: its widgets are being taken down under a worker that was reading."""
        return not self.query(ExchangeList)

    def refresh_status(self) -> None:
        self.query_one(StatusBar).show(self.status_state())

    def status_state(self) -> StatusState:
        state = self.link.state
        counters = state.get("counters") or {}
        show_urls = self.show_urls if self.show_urls is not None else self.app.size.height >= URL_LINE_MIN_HEIGHT
        armed = tuple(state.get("armed") or ()) + tuple(state.get("armed_paths") or ())
        return StatusState(
            local_url=state.get("local_url", ""), public_url=state.get("public_url"),
            tunnel_error=bool(state.get("tunnel_error")), hook_urls=tuple(state.get("hook_urls") or ()),
            auth=state.get("auth_label", ""), calls=counters.get("calls", 0), refused=counters.get("rejected", 0),
            invalid=counters.get("invalid", 0), errors=counters.get("errors", 0), shown=self.table.row_count,
            stored=max(self.stored, self.table.row_count), filter_text=self.filter.text, armed=armed,
            reveal=self.reveal, notices=len(self.link.notices), link=self.link_state, show_urls=show_urls,
        )

    def on_resize(self) -> None:
        self.refresh_status()

    # -- messages --------------------------------------------------------------------------------------
    @on(ExchangeList.Chosen)
    def _chosen(self, event: ExchangeList.Chosen) -> None:
        self.detail.show(event.exchange, to_failure=not self.table.follow)

    @on(ExchangeList.Evicted)
    def _evicted(self, event: ExchangeList.Evicted) -> None:
        self.notify(f"the call you had selected ({event.ident}) left the list: only the newest {self.cap:,} are "
                    f"kept here. `hookdev show {event.ident}` has it; / finds older calls", severity="warning")

    @on(CallHeld)
    def _held(self, event: CallHeld) -> None:
        if any(h.get("id") == event.hold.get("id") for h in self._holds):
            return
        self._holds.append(event.hold)
        self.refresh_status()
        if self._editing is None:
            self._edit_next_hold()

    def _edit_next_hold(self) -> None:
        from hookdev.tui.screens.breakpoint import BreakpointEditor

        if not self._holds:
            return
        hold = self._holds[0]
        self._editing = BreakpointEditor(hold, self.link, clock=self.monotonic)
        self.app.push_screen(self._editing, self._released)

    @on(CallReleased)
    def _call_released(self, event: CallReleased) -> None:
        self._holds = [h for h in self._holds if h.get("id") != event.hold]
        editor = self._editing
        if editor is not None and editor.hold.get("id") == event.hold:
            editor.released(event.by)

    def _released(self, by: Any) -> None:
        self._editing = None
        if by == "deadline":
            self.notify("the held call was answered automatically before Okta's deadline", severity="warning")
        elif by == "stopped":
            self.notify("serve stopped: the held call got its current answer", severity="warning")
        self.refresh_status()
        self._edit_next_hold()

    def apply_filter(self, text: str) -> None:
        self.filter = parse_filter(text)
        self.table.follow = True
        self.reload()

    def action_tab(self, key: str) -> None:
        self.detail.active = key


def _severity(level: object) -> Any:
    return {"error": "error", "warning": "warning"}.get(str(level), "information")

