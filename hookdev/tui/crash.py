"""Where the inspector's traceback goes when it crashes: a private file beside the store, named by serve.

The traceback is written without the variables of each frame: those could hold a call's secrets, and the file
outlives the crash.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any, cast

from rich.console import Console
from rich.traceback import Traceback


class _LazyFile:
    """A text file created (0600) on the first write, so a run without a crash leaves nothing behind."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def write(self, text: str) -> int:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            self._file = os.fdopen(fd, "w", encoding="utf-8")
        return self._file.write(text)

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def isatty(self) -> bool:
        return False


class CrashConsole(Console):
    """The app's error console: what Textual prints when the app fails goes to `path`."""

    def __init__(self, path: Path) -> None:
        super().__init__(file=cast(IO[str], _LazyFile(path)), width=110, color_system=None, markup=False,
                         highlight=False)
        self.path = path

    def print(self, *objects: Any, **kwargs: Any) -> None:
        for item in objects:
            if isinstance(item, Traceback):
                for stack in item.trace.stacks:
                    for frame in stack.frames:
                        frame.locals = None
        super().print(*objects, **kwargs)
