"""App-wide messages: the session came up (or could not), a live call is held or released, a notice arrived."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


@dataclass
class SessionStarted(Message):
    """The receiver is listening; URLs and the store are ready."""


@dataclass
class SessionFailed(Message):
    """The receiver could not start; `reason` says why and what to do."""

    reason: str


@dataclass
class CallHeld(Message):
    """A breakpoint is holding a live call (a hookdev.answers.breakpoints.HeldCall) until its deadline."""

    held: Any


@dataclass
class CallReleased(Message):
    """A held call was answered, by the user or by the deadline."""

    held: Any


@dataclass
class NoticeReceived(Message):
    """Something the user should see from the core: tunnel events, store trouble."""

    level: str
    text: str
