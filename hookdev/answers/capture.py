"""Per-call capture of a handler's print() and logging output, safe with many calls at once (contextvars)."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TextIO

_buffer: ContextVar[list[str] | None] = ContextVar("hookdev_handler_output", default=None)
_install_lock = threading.Lock()


class CaptureStream:
    """Stands in for sys.stdout/sys.stderr: text written inside a capture goes to that call's buffer.

    The buffer lives in a context variable, so concurrent calls (tasks, and the threads sync handlers run in,
    which get a copy of the caller's context) never see each other's output. Outside a capture, text goes
    to the stream this one replaced.
    """

    def __init__(self, inner: TextIO) -> None:
        self.inner = inner

    def write(self, text: str) -> int:
        buffer = _buffer.get()
        if buffer is None:
            return self.inner.write(text)
        buffer.append(text)
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if _buffer.get() is None:
            self.inner.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class CaptureLogHandler(logging.Handler):
    """Sends log records emitted inside a capture to that call's buffer."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        buffer = _buffer.get()
        if buffer is not None:
            buffer.append(self.format(record) + "\n")
        elif record.levelno >= logging.WARNING:
            sys.stderr.write(self.format(record) + "\n")


def install_streams() -> None:
    """Put capture streams in place (again, if something such as a UI swapped sys.stdout since)."""
    with _install_lock:
        if not isinstance(sys.stdout, CaptureStream):
            sys.stdout = CaptureStream(sys.stdout)
        if not isinstance(sys.stderr, CaptureStream):
            sys.stderr = CaptureStream(sys.stderr)


def capture_logger(name: str) -> None:
    """Capture everything the handler file logs through logging.getLogger(__name__)."""
    logger = logging.getLogger(name)
    if not any(isinstance(h, CaptureLogHandler) for h in logger.handlers):
        logger.addHandler(CaptureLogHandler())
    if logger.level == logging.NOTSET or logger.level > logging.DEBUG:
        logger.setLevel(logging.DEBUG)


@contextmanager
def capturing() -> Iterator[list[str]]:
    """Within the block (and tasks/threads started from it with its context), output goes to the list."""
    install_streams()
    buffer: list[str] = []
    token = _buffer.set(buffer)
    try:
        yield buffer
    finally:
        _buffer.reset(token)
