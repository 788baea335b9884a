"""The main view: status bar, the live exchange list and the detail tabs; arrivals are batched on a short timer."""

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

from hookdev.models import Exchange
from hookdev.tui.actions import MAIN_ACTIONS, bindings
from hookdev.tui.filtering import ExchangeFilter, parse_filter
from hookdev.tui.messages import CallHeld
from hookdev.tui.screens.main_actions import MainActions
from hookdev.tui.widgets.detail import TABS, DetailView
from hookdev.tui.widgets.exchange_list import CAP, ExchangeList
from hookdev.tui.widgets.status import StatusBar, StatusState

FLUSH_S = 0.1
"""Arrivals are drawn in batches this often: a burst of 200 calls/s is 20 rows a frame, not 200 redraws."""


class MainScreen(MainActions, Screen[None]):
    BINDINGS = [*bindings(MAIN_ACTIONS), *(Binding(str(n), f"tab('{key}')", show=False) for n, (key, _) in
                                          enumerate(TABS, 1))]

    def __init__(self, session: Any, *, auth_label: str = "", cap: int = CAP, flush_s: float = FLUSH_S,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.session = session
        self.auth_label = auth_label
        self.cap = cap
        self.flush_s = flush_s
        self.monotonic = monotonic
        self.filter = ExchangeFilter()
        self.reveal = False
        self.started = False
        self.stored = 0
        self.breakpoints: Any = None
        self._pending: list[Exchange] = []

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield ExchangeList(cap=self.cap, id="exchanges")
        yield DetailView(id="detail")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.refresh_status()
        self.set_interval(self.flush_s, self.flush)

    # -- typed lookups ---------------------------------------------------------------------------------
    @property
    def table(self) -> ExchangeList:
        return self.query_one(ExchangeList)

    @property
    def detail(self) -> DetailView:
        return self.query_one(DetailView)

    # -- the session -----------------------------------------------------------------------------------
    def session_started(self) -> None:
        """Called by the app once the receiver listens: subscribe, then load the newest stored calls."""
        s = self.session.settings
        self.detail.secret_header = s.auth.header if s.auth.mode == "header" or s.auth.secret else None
        self.session.subscribe(self._arrived)
        install = getattr(self.session, "install_breakpoints", None)
        if install is not None:
            self.breakpoints = install()
            self.breakpoints.on_hold(lambda held: self.post_message(CallHeld(held)))
        self.started = True
        self.reload()

    def _arrived(self, exchange: Exchange) -> None:
        """On the loop, after each commit: only queue it; flush() draws the batch."""
        self._pending.append(exchange)

    @work(exclusive=True, group="load")
    async def reload(self) -> None:
        """Fill the list from the store (newest `cap` matching the filter), off the loop."""
        store, flt = self.session.store, self.filter
        if store is None:
            return
        rows, total = await asyncio.to_thread(_load, store, flt, self.cap)
        self._pending = [ex for ex in self._pending if ex.id not in {r.id for r in rows}]
        self.stored = total
        self.table.replace_all(rows)
        self.refresh_status()

    def flush(self) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        shown = [ex for ex in batch if self.filter.matches(ex)] if self.filter.active else batch
        self.stored += len(shown)
        self.table.add(shown)
        self.refresh_status()

    def refresh_status(self) -> None:
        self.query_one(StatusBar).show(self.status_state())

    def status_state(self) -> StatusState:
        if not self.started:
            return StatusState(starting=True)
        s, c = self.session, self.session.counters
        tunnel = "" if s.public_url else ("tunnel failed: see notices" if getattr(s, "tunnel_error", None)
                                          else "no tunnel (serve --tunnel for Okta)")
        armed = tuple(sorted(self.breakpoints.armed)) if self.breakpoints is not None else ()
        return StatusState(
            local_url=s.local_url, public_url=s.public_url, tunnel_note=tunnel, hook_urls=tuple(s.hook_urls()),
            auth=self.auth_label or _auth_label(s.settings), calls=c.calls, rejected=c.rejected, invalid=c.invalid,
            shown=self.table.row_count, stored=max(self.stored, self.table.row_count),
            filter_text=self.filter.text, armed=armed, reveal=self.reveal,
        )

    # -- messages --------------------------------------------------------------------------------------
    @on(ExchangeList.Chosen)
    def _chosen(self, event: ExchangeList.Chosen) -> None:
        self.detail.show(event.exchange)

    @on(CallHeld)
    def _held(self, event: CallHeld) -> None:
        from hookdev.tui.screens.breakpoint import BreakpointEditor

        self.refresh_status()
        self.app.push_screen(BreakpointEditor(event.held, clock=self.monotonic), self._released)

    def _released(self, by: Any) -> None:
        if by == "deadline":
            self.notify("the held call was answered automatically before Okta's deadline", severity="warning")
        self.refresh_status()

    def apply_filter(self, text: str) -> None:
        self.filter = parse_filter(text)
        self.table.follow = True
        self.reload()

    def action_tab(self, key: str) -> None:
        self.detail.active = key


def _load(store: Any, flt: ExchangeFilter, cap: int) -> tuple[list[Exchange], int]:
    if not flt.active:
        return list(reversed(store.list(limit=cap, newest_first=True))), store.count()
    found = [ex for ex in store.list(flt.store_filter(), limit=cap * 5, newest_first=True) if flt.matches(ex)]
    return list(reversed(found[:cap])), len(found)


def _auth_label(settings: Any) -> str:
    a = settings.auth
    if a.mode == "none":
        return "none (every call accepted)"
    where = {"basic": f"basic ({a.username})", "header": f"header {a.header}",
             "oauth": f"oauth ({a.issuer or 'local authserver'})"}.get(a.mode, a.mode)
    return where + ("" if a.enforce else ", not enforced")
