"""The detail of one exchange in tabs: Request, Auth, Response, Validation & timing, Log."""

from __future__ import annotations

import logging

from rich.console import RenderableType
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static, TabbedContent, TabPane

from hookdev.models import Exchange
from hookdev.tui import format as fmt

log = logging.getLogger(__name__)
BAD = "bold red"

TABS = (("request", "Request"), ("auth", "Auth"), ("response", "Response"),
        ("validation", "Validation & timing"), ("log", "Log"))
EMPTY = Text.assemble(
    ("No calls yet.\n\n", "bold"),
    "Point an Okta hook at one of the URLs above, or try:\n",
    ("  hookdev send token --to <local URL>/tokenHook\n", "bold"),
    "Every path is a hook endpoint; the event hook verification GET is answered for you.",
)


class DetailView(Vertical):
    """Renders only the visible tab, so following a burst of calls stays cheap."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.exchange: Exchange | None = None
        self.reveal = False
        self.secret_header: str | None = None

    def compose(self) -> ComposeResult:
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
        self.query_one(TabbedContent).active = key

    def show(self, exchange: Exchange | None, *, reveal: bool | None = None) -> None:
        self.exchange = exchange
        if reveal is not None:
            self.reveal = reveal
        self._render_active()

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self._render_active()

    def _render_active(self) -> None:
        try:
            tab = self.active or "request"
            body = self.query_one(f"#{tab}-body", Static)
        except Exception:
            return  # not composed yet; on_mount renders
        body.update(self._view(tab))

    def on_mount(self) -> None:
        self._render_active()

    def _view(self, tab: str) -> RenderableType:
        ex = self.exchange
        if ex is None:
            return EMPTY
        try:
            return self._tab_view(tab, ex)
        except Exception as exc:  # one hostile record must not end the inspector: say so in its pane
            log.exception("drawing exchange %s failed", ex.id)
            return Text.assemble(
                (f"This tab of exchange {ex.id} could not be drawn ({type(exc).__name__}).\n", BAD),
                f"`hookdev show {ex.id}` prints it as text; the other tabs and calls are unaffected.",
            )

    def _tab_view(self, tab: str, ex: Exchange) -> RenderableType:
        if tab == "request":
            return fmt.request_view(ex, reveal=self.reveal, secret_header=self.secret_header)
        if tab == "auth":
            return fmt.auth_view(ex, reveal=self.reveal, secret_header=self.secret_header)
        if tab == "response":
            return fmt.response_view(ex)
        if tab == "validation":
            return fmt.validation_view(ex)
        return fmt.log_view(ex)
