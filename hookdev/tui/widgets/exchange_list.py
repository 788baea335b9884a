"""The live list of exchanges: a ring of the newest rows drawn line by line, following the newest until the user moves.

Adding a batch is an append and, past the cap, one slice off the front: no per-row index to rebuild, and only the
lines on screen are drawn. The selected row stays where it is on screen while old rows drop off the top.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from hookdev.models import Exchange
from hookdev.tui.rows import cells, header, layout

CAP = 1000
"""Rows held; older calls stay in the store and come back through the filter."""


class ExchangeList(ScrollView, can_focus=True):
    """Oldest at the top, newest at the bottom (as they arrive); a fixed heading line above the rows."""

    COMPONENT_CLASSES = {"exchange-list--header", "exchange-list--cursor"}
    DEFAULT_CSS = """
    ExchangeList { overflow-x: hidden; }
    ExchangeList > .exchange-list--header { text-style: bold; color: $text-muted; }
    ExchangeList > .exchange-list--cursor { background: $block-cursor-blurred-background; }
    ExchangeList:focus > .exchange-list--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold;
    }
    """
    BINDINGS = [
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "first", "Oldest", show=False),
        Binding("end,G", "last", "Newest", show=False),
    ]

    @dataclass
    class Chosen(Message):
        """The selected exchange changed (None: the list is empty)."""

        exchange: Exchange | None

    @dataclass
    class Evicted(Message):
        """The selected row went past the cap and left the list (it is still in the store)."""

        ident: str

    def __init__(self, *, cap: int = CAP, id: str | None = None) -> None:
        super().__init__(id=id)
        self.cap = cap
        self.rows: list[Exchange] = []
        self.follow = True
        """True while the user has selected nothing: the newest row is selected as calls arrive."""
        self.marked: set[str] = set()
        self._base = 0
        """The number (since the list was filled) of rows[0]; a row's number never changes while it is listed."""
        self._numbers: dict[str, int] = {}
        self._cursor: int | None = None
        self._announced: str | None = None
        self._lines: dict[tuple[str, bool, bool, int], Strip] = {}

    # -- what the screen calls --------------------------------------------------------------------------
    @property
    def selected(self) -> Exchange | None:
        index = self._index(self._cursor)
        return self.rows[index] if index is not None else None

    @property
    def row_count(self) -> int:
        return len(self.rows)

    @property
    def cursor_row(self) -> int | None:
        """The selected row's position in the list (0: the oldest listed), or None."""
        return self._index(self._cursor)

    def index_of(self, ident: str) -> int | None:
        return self._index(self._numbers.get(ident))

    def replace_all(self, exchanges: list[Exchange]) -> None:
        """Show these (oldest first), e.g. after a filter change; the selection stays on the same call if listed."""
        keep = None if self.follow or self.selected is None else self.selected.id
        self.rows = list(exchanges)[-self.cap:]
        self._base = 0
        self._numbers = {ex.id: n for n, ex in enumerate(self.rows)}
        self._lines.clear()
        self._cursor = self._numbers.get(keep) if keep else None
        if self._cursor is None:
            self.follow = True
        self._settle()

    def add(self, batch: list[Exchange]) -> None:
        """Append arrivals; drop the oldest rows past the cap; the selection stays on its call (and its line)."""
        fresh = [ex for ex in batch if ex.id not in self._numbers]
        if not fresh:
            return
        for ex in fresh:
            self._numbers[ex.id] = self._base + len(self.rows)
            self.rows.append(ex)
        overflow = len(self.rows) - self.cap
        if overflow > 0:
            for ex in self.rows[:overflow]:
                del self._numbers[ex.id]
                self.marked.discard(ex.id)
            evicted = self.selected if not self.follow and self._index(self._cursor) is not None else None
            self.rows = self.rows[overflow:]
            self._base += overflow
            if not self.follow:
                self.scroll_to(y=max(0, self.scroll_y - overflow), animate=False, immediate=True)
            if evicted is not None and evicted.id not in self._numbers:
                self._cursor = self._base
                self.post_message(self.Evicted(evicted.id))
        self._settle()

    def update_row(self, exchange: Exchange) -> None:
        """Redraw one listed exchange with newer data (ignored when it is not listed)."""
        index = self.index_of(exchange.id)
        if index is not None:
            self.rows[index] = exchange
            self._forget(exchange.id)
            self.refresh()

    def toggle_mark(self) -> None:
        ex = self.selected
        if ex is not None:
            self.marked ^= {ex.id}
            self._forget(ex.id)
            self.refresh()

    def select_id(self, ident: str) -> bool:
        number = self._numbers.get(ident)
        if number is None:
            return False
        self.follow = number == self._base + len(self.rows) - 1
        self._cursor = number
        self._settle(user=True)
        return True

    def follow_newest(self) -> None:
        self.follow = True
        self._settle()

    # -- keys and mouse -------------------------------------------------------------------------------
    def action_move(self, delta: int) -> None:
        if self.rows:
            index = self._index(self._cursor)
            self._move_to((len(self.rows) - 1 if index is None else index) + delta)

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(1, self._visible() - 1))

    def action_first(self) -> None:
        self._move_to(0)

    def action_last(self) -> None:
        self._move_to(len(self.rows) - 1)

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_y) + event.y - 1
        if 0 <= index < len(self.rows):
            self._move_to(index)

    def _move_to(self, index: int) -> None:
        if not self.rows:
            return
        index = max(0, min(index, len(self.rows) - 1))
        self._cursor = self._base + index
        self.follow = index == len(self.rows) - 1
        self._settle(user=True)

    # -- drawing --------------------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        width = self._width()
        columns = layout(width)
        if y == 0:
            return Strip([Segment(header(columns), self.get_component_rich_style("exchange-list--header"))], width)
        index = int(self.scroll_y) + y - 1
        if not 0 <= index < len(self.rows):
            return Strip.blank(width, self.rich_style)
        ex = self.rows[index]
        selected = self._base + index == self._cursor
        key = (ex.id, selected, ex.id in self.marked, width)
        strip = self._lines.get(key)
        if strip is None:
            base = self.rich_style
            if selected:
                base += self.get_component_rich_style("exchange-list--cursor")
            segments: list[Segment] = []
            for text, style in cells(ex, columns, marked=ex.id in self.marked):
                segments.append(Segment(text, base + style + (_cursor_fg(base) if selected else Style())))
                segments.append(Segment(" ", base))
            strip = Strip(segments).crop_extend(0, width, base)
            if len(self._lines) > 4 * self.cap:
                self._lines.clear()
            self._lines[key] = strip
        return strip

    def on_resize(self) -> None:
        self._lines.clear()
        self._settle()

    def on_focus(self) -> None:
        self._lines.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._lines.clear()
        self.refresh()

    # -- internals ------------------------------------------------------------------------------------
    def _index(self, number: int | None) -> int | None:
        if number is None:
            return None
        index = number - self._base
        return index if 0 <= index < len(self.rows) else None

    def _forget(self, ident: str) -> None:
        for key in [k for k in self._lines if k[0] == ident]:
            del self._lines[key]

    def _width(self) -> int:
        """Cells a row may use: the widget less its scrollbar."""
        return max(1, self.scrollable_content_region.width)

    def _visible(self) -> int:
        """Rows on screen below the heading line."""
        return max(1, self.scrollable_content_region.height - 1)

    def _update_size(self) -> None:
        # The rows are cut to whatever width there is (render_line): no horizontal scrolling.
        self.virtual_size = Size(self.size.width, len(self.rows) + 1)

    def _settle(self, *, user: bool = False) -> None:
        """After a change: keep the cursor on a row (the newest while following) and in view; say what is selected."""
        if self.follow and self.rows:
            self._cursor = self._base + len(self.rows) - 1
        elif self._index(self._cursor) is None:
            self._cursor = self._base + len(self.rows) - 1 if self.rows else None
        self._update_size()
        self._reveal(user=user)
        # Scrollbars appear or go once the new size is laid out, which changes the room for rows: look again then.
        self.call_after_refresh(self._reveal, user=user)
        self._lines = {k: v for k, v in self._lines.items() if not k[1]}  # the cursor may have moved
        self.refresh()
        self._announce()

    @property
    def revealed(self) -> bool:
        """Whether the list is scrolled where the cursor's row wants it (settled once the layout has caught up);
        a list off screen (the tabs zoomed) has nothing to show."""
        if self.scrollable_content_region.height <= 0:
            return True
        target = self._reveal_target(user=False)
        return target is None or target == int(self.scroll_y)

    def _reveal(self, *, user: bool = False) -> None:
        """Scroll so the cursor's row is on screen (the last rows, while following the newest)."""
        target = self._reveal_target(user=user)
        if target is not None and target != int(self.scroll_y):
            self.scroll_to(y=target, animate=False, immediate=True)

    def _reveal_target(self, *, user: bool) -> int | None:
        """The scroll offset that puts the cursor's row on screen; None without a cursor."""
        index = self._index(self._cursor)
        if index is None:
            return None
        height = self._visible()
        top = int(self.scroll_y)
        if self.follow and not user:
            return max(0, len(self.rows) - height)
        if index < top:
            return index
        if index >= top + height:
            return index - height + 1
        return top

    def _announce(self) -> None:
        selected = self.selected
        ident = selected.id if selected else None
        if ident != self._announced:
            self._announced = ident
            self.post_message(self.Chosen(selected))


def _cursor_fg(base: Style) -> Style:
    """On the cursor row the theme's cursor colours win, so every column reads on the highlight."""
    return Style(color=base.color, bgcolor=base.bgcolor) if base.color is not None else Style()
