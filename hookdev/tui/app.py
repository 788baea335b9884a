"""The inspector app: attaches to a running serve, shows the main screen, and leaves cleanly.

It is a process of its own (`hookdev inspect`, which `hookdev serve` starts as its child): nothing it draws can
delay an answer to Okta, and if it crashes the serve keeps answering.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.theme import Theme

from hookdev.tui.actions import MAIN_ACTIONS
from hookdev.tui.link import ServeLink
from hookdev.tui.screens.help import HelpScreen
from hookdev.tui.screens.main import FLUSH_S, MainScreen
from hookdev.tui.widgets.exchange_list import CAP

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


class HookdevApp(App[int]):
    """Owns the link's lifetime; everything the user does happens in MainScreen."""

    CSS_PATH = Path(__file__).with_name("hookdev.tcss")  # absolute: subclasses elsewhere find it too
    TITLE = "hookdev"
    BINDINGS = [Binding("ctrl+c", "quit", "Quit", show=False, priority=True), Binding("f1", "help", show=False)]

    def __init__(self, link: ServeLink, *, owner: bool = False, theme: str | None = None, cap: int = CAP,
                 monotonic: Callable[[], float] = time.monotonic, flush_s: float | None = None) -> None:
        super().__init__()
        self.link = link
        self.owner = owner
        self._theme_name = THEMES.get(theme or "normal", theme or NORMAL_THEME)
        self.main = MainScreen(link, owner=owner, cap=cap, monotonic=monotonic,
                               flush_s=FLUSH_S if flush_s is None else flush_s)

    def on_mount(self) -> None:
        self.register_theme(HIGH_CONTRAST)
        self.theme = self._theme_name
        self.push_screen(self.main)
        self.listen()

    @work(exclusive=True, group="link")
    async def listen(self) -> None:
        """Hand every event of the serve to the main screen until the serve stops."""
        if not self.link.attached:
            from hookdev.control.client import NoServe

            try:
                await self.link.attach()
            except NoServe as exc:
                self.main.handle({"event": "gone"})
                self.notify(str(exc), severity="error", timeout=30)
                return
        self.main.attached()
        async for event in self.link.events():
            self.main.handle(event)
        if self.owner:
            self.exit(0)  # serve stopped: its own inspector goes with it

    async def action_quit(self) -> None:
        self.exit(0)

    async def on_unmount(self) -> None:
        await self.link.close()  # after the screens and their workers are gone: none reads a closed store

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(owner=self.owner))

    def action_toggle_theme(self) -> None:
        self.theme = NORMAL_THEME if self.theme == HIGH_CONTRAST.name else HIGH_CONTRAST.name

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        if isinstance(screen, MainScreen):
            for action in MAIN_ACTIONS:
                yield SystemCommand(action.label, action.help, lambda a=action.action: self._run_main(a))
        yield from super().get_system_commands(screen)

    async def _run_main(self, action: str) -> None:
        await self.main.run_action(action)


def run_inspector(store_path: Path, *, owner: bool = False, theme: str | None = None,
                  crash_file: Path | None = None) -> int:
    """Attach to the serve on store_path and run the inspector until the user leaves; the exit code."""
    from hookdev.tui.crash import CrashConsole

    app = HookdevApp(ServeLink(store_path), owner=owner, theme=theme)
    if crash_file is not None:
        app.error_console = CrashConsole(crash_file)
    code = app.run()
    return code if isinstance(code, int) else (app.return_code or 0)
