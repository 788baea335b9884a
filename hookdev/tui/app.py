"""The inspector app: a thin shell that starts the session on Textual's loop, shows the main screen, stops cleanly."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.theme import Theme

from hookdev.tui.actions import MAIN_ACTIONS
from hookdev.tui.messages import NoticeReceived, SessionFailed, SessionStarted
from hookdev.tui.screens.help import HelpScreen
from hookdev.tui.screens.main import FLUSH_S, MainScreen

HIGH_CONTRAST = Theme(
    name="hookdev-contrast",
    primary="#FFFF00",
    secondary="#00FFFF",
    accent="#FF00FF",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#1A1A1A",
    success="#00FF00",
    warning="#FFFF00",
    error="#FF4040",
    dark=True,
    variables={"footer-key-foreground": "#FFFF00", "block-cursor-background": "#FFFF00",
               "block-cursor-foreground": "#000000", "border": "#FFFFFF"},
)
NORMAL_THEME = "textual-dark"
THEMES = {"normal": NORMAL_THEME, "contrast": HIGH_CONTRAST.name, "high-contrast": HIGH_CONTRAST.name}
Extra = Callable[[Any], Awaitable[Any]]


class HookdevApp(App[int]):
    """Owns the session's lifetime; everything the user does happens in MainScreen."""

    CSS_PATH = "hookdev.tcss"
    TITLE = "hookdev"
    BINDINGS = [Binding("ctrl+c", "quit", "Quit", show=False, priority=True), Binding("f1", "help", show=False)]

    def __init__(self, session: Any, *, theme: str | None = None, auth_label: str = "", start_session: bool = True,
                 after_start: Extra | None = None, monotonic: Callable[[], float] = time.monotonic,
                 flush_s: float | None = None) -> None:
        super().__init__()
        self.session = session
        self.start_session = start_session
        self.after_start = after_start
        """Run once the receiver listens (the demo starts its traffic here); its result is kept to stop it."""
        self._extra: Any = None
        self._theme_name = THEMES.get(theme or "normal", theme or NORMAL_THEME)
        self.main = MainScreen(session, auth_label=auth_label, monotonic=monotonic,
                               flush_s=FLUSH_S if flush_s is None else flush_s)
        self.failure: str | None = None

    def on_mount(self) -> None:
        self.register_theme(HIGH_CONTRAST)
        self.theme = self._theme_name
        self.push_screen(self.main)
        self.session.on_notice(lambda level, text: self.post_message(NoticeReceived(level, text)))
        self.start()

    @work(exclusive=True, group="session")
    async def start(self) -> None:
        try:
            if self.start_session:
                await self.session.start()
            if self.after_start is not None:
                self._extra = await self.after_start(self.session)
        except OSError as exc:
            server = self.session.settings.server
            await self.session.stop()
            self.post_message(SessionFailed(
                f"cannot listen on {server.host}:{server.port} ({exc.strerror}); is another hookdev running? "
                "Pick another port with --port, or --port 0 for any free one"))
            return
        except Exception as exc:  # shown after the app closes; the exit code is 2
            await self.session.stop()
            self.post_message(SessionFailed(str(exc)))
            return
        self.post_message(SessionStarted())

    def on_session_started(self) -> None:
        self.main.session_started()

    def on_session_failed(self, event: SessionFailed) -> None:
        self.failure = event.reason
        self.exit(2)

    def on_notice_received(self, event: NoticeReceived) -> None:
        severities: dict[str, SeverityLevel] = {"error": "error", "warning": "warning"}
        severity = severities.get(event.level, "information")
        self.notify(event.text, severity=severity, timeout=8 if severity == "error" else 5)

    async def action_quit(self) -> None:
        """Stop the demo traffic, the receiver and the tunnel, then leave."""
        self.notify("stopping the receiver…")
        if self.main.breakpoints is not None:
            self.main.breakpoints.release_all()  # a held call gets its answer now, not at shutdown
        stop = getattr(self._extra, "stop", None)
        if stop is not None:
            await stop()
        if self.start_session:
            await self.session.stop()
        self.exit(0)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        self.theme = NORMAL_THEME if self.theme == HIGH_CONTRAST.name else HIGH_CONTRAST.name

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        if isinstance(screen, MainScreen):
            for action in MAIN_ACTIONS:
                yield SystemCommand(action.label, action.help, lambda a=action.action: self._run_main(a))
        yield from super().get_system_commands(screen)

    async def _run_main(self, action: str) -> None:
        await self.main.run_action(action)


def run_inspector(settings: Any, *, theme: str | None = None, after_start: Extra | None = None,
                  auth_label: str = "") -> int:
    """Run the inspector over a new Session until the user quits; the exit code of `hookdev serve`."""
    import sys

    from hookdev.receiver.session import Session

    app = HookdevApp(Session(settings), theme=theme, after_start=after_start, auth_label=auth_label)
    code = app.run()
    if app.failure:
        print(f"hookdev: {app.failure}", file=sys.stderr)
        return 2
    return code if isinstance(code, int) else 0
