"""The live list of exchanges: bounded to the newest rows, following the newest until the user picks one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from textual import events
from textual._two_way_dict import TwoWayDict
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import CellKey, RowKey

from hookdev.models import Exchange
from hookdev.tui.format import row_cells

COLUMNS = (" ", "time", "meth", "path", "kind", "auth", "status", "latency", "answer", "replay")
CAP = 1000
"""Rows held in the table; older calls stay in the store and come back through the filter."""


class ExchangeList(DataTable[object]):
    """Oldest at the top, newest at the bottom (as they arrive). `follow` keeps the newest selected."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "scroll_top", "Top", show=False),
        Binding("G", "scroll_bottom", "Bottom", show=False),
    ]

    @dataclass
    class Chosen(Message):
        """The selected exchange changed (None: the list is empty)."""

        exchange: Exchange | None

    def __init__(self, *, cap: int = CAP, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.cap = cap
        self.follow = True
        """True while the user has selected nothing: the newest row is selected as calls arrive."""
        self.exchanges: dict[str, Exchange] = {}
        self.marked: set[str] = set()
        self._announced: str | None = None

    def on_mount(self) -> None:
        for name in COLUMNS:
            self.add_column(name, key=name)

    # -- what the screen calls --------------------------------------------------------------------------
    @property
    def selected(self) -> Exchange | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return self.exchanges.get(key) if key else None

    def replace_all(self, exchanges: Iterable[Exchange]) -> None:
        """Show these (oldest first), e.g. after a filter change."""
        keep = self.selected.id if self.selected and not self.follow else None
        self.clear()
        self.exchanges.clear()
        self._append(list(exchanges)[-self.cap :])
        self._settle(keep)

    def add(self, batch: list[Exchange]) -> None:
        """Append arrivals; drop the oldest rows past the cap; keep the user's selection where it is."""
        if not batch:
            return
        keep = None if self.follow else (self.selected.id if self.selected else None)
        if len(batch) >= self.cap:
            self.replace_all(batch)
            return
        overflow = len(self.exchanges) + len(batch) - self.cap
        if overflow > 0:
            self._drop_oldest(list(self.exchanges)[:overflow])
        self._append(batch)
        self._settle(keep)

    def toggle_mark(self) -> None:
        ex = self.selected
        if ex is None:
            return
        self.marked ^= {ex.id}
        self.update_cell(ex.id, " ", row_cells(ex, ex.id in self.marked)[0])

    def select_id(self, ident: str) -> bool:
        if ident not in self.exchanges:
            return False
        self.follow = False
        self.move_cursor(row=self.get_row_index(ident))
        self._announce()
        return True

    def follow_newest(self) -> None:
        self.follow = True
        self._settle(None)

    # -- internals -------------------------------------------------------------------------------------
    def _drop_oldest(self, keys: list[str]) -> None:
        """Remove many top rows at once.

        DataTable.remove_row rebuilds the row index on every call (O(rows) each, ~1 ms per row at 1,000
        rows), which made bursts stall the keyboard. This does the same bookkeeping once per batch; it
        relies on DataTable internals, which is why textual is pinned exactly.
        """
        for key in keys:
            row_key = RowKey(key)
            for column_key in self._data.get(row_key, {}):
                self._updated_cells.discard(CellKey(row_key, column_key))
            del self.rows[row_key]
            del self._data[row_key]
            del self.exchanges[key]
        self._row_locations = TwoWayDict({row_key: index for index, row_key in enumerate(self.rows)})
        self._require_update_dimensions = True
        self.cursor_coordinate = self.cursor_coordinate
        self.hover_coordinate = self.hover_coordinate
        self._update_count += 1
        # No layout pass: the row count is back to the cap once the batch is appended, and DataTable
        # re-measures itself on idle when it is not; a layout here reflowed the whole screen every batch.
        self.refresh()

    def _append(self, batch: list[Exchange]) -> None:
        for ex in batch:
            if ex.id in self.exchanges:
                continue
            self.exchanges[ex.id] = ex
            self.add_row(*row_cells(ex, ex.id in self.marked), key=ex.id)

    def _settle(self, keep: str | None) -> None:
        if keep and keep in self.exchanges:
            self.move_cursor(row=self.get_row_index(keep), animate=False, scroll=False)
        elif self.row_count:
            self.follow = True
            self.move_cursor(row=self.row_count - 1, animate=False)
        self._announce()

    def _user_moved(self) -> None:
        self.follow = self.row_count == 0 or self.cursor_row == self.row_count - 1
        self._announce()

    def _announce(self) -> None:
        selected = self.selected
        ident = selected.id if selected else None
        if ident != self._announced:
            self._announced = ident
            self.post_message(self.Chosen(selected))

    def action_cursor_up(self) -> None:
        super().action_cursor_up()
        self._user_moved()

    def action_cursor_down(self) -> None:
        super().action_cursor_down()
        self._user_moved()

    def action_page_up(self) -> None:
        super().action_page_up()
        self._user_moved()

    def action_page_down(self) -> None:
        super().action_page_down()
        self._user_moved()

    def action_scroll_top(self) -> None:
        super().action_scroll_top()
        self._user_moved()

    def action_scroll_bottom(self) -> None:
        super().action_scroll_bottom()
        self._user_moved()

    async def _on_click(self, event: events.Click) -> None:
        await super()._on_click(event)
        self._user_moved()
