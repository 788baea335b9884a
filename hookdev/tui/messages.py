"""Messages between the inspector's screens: a live call is held or released."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


@dataclass
class CallHeld(Message):
    """The serve holds a live call until its deadline; `hold` is its description from the control channel."""

    hold: dict[str, Any]


@dataclass
class CallReleased(Message):
    """A held call was answered, by a view, by the deadline, or because serve stopped."""

    hold: int
    by: str
