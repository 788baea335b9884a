"""Editable answer templates: one JSON file per kind (and optionally per path), reloaded when edited on disk.

Layout of the responses folder (``[responses] dir``, default ``.hookdev/responses``)::

    token.json                 the answer to every token hook call
    registration.json          ... one file per kind, written from Okta's documented defaults on first use
    paths/registrationHook.json   an answer for calls to /registrationHook only (any kind); optional

A file holds ``{"status": 200, "headers": {"X-Example": "1"}, "body": {...}}``; ``"body": null`` (or no
body key) sends no body, e.g. a 204. A file that is only an Okta answer (an object without any of the keys
status, headers and body) is answered with status 200 as it is, so a sample answer can be pasted in.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hookdev import jsontext
from hookdev.answers.watch import Poller
from hookdev.errors import ResponseTemplateError
from hookdev.models import Answer, Headers, HookCall, Kind
from hookdev.okta.defaults import default_answer

log = logging.getLogger(__name__)
Notify = Callable[[str, str], None]
ENVELOPE_KEYS = ("status", "headers", "body")
MAX_RESOLVED = 1024
"""Cached resolutions kept at most; any path is a hook endpoint, so callers can make up endless paths."""


@dataclass(frozen=True, slots=True)
class Template:
    """One editable answer: status, headers and a JSON body (None: no body)."""

    status: int = 200
    headers: Headers = ()
    body: Any = None

    def __post_init__(self) -> None:
        if isinstance(self.headers, Mapping):
            object.__setattr__(self, "headers", tuple((str(k), str(v)) for k, v in self.headers.items()))

    @classmethod
    def from_json(cls, data: Any, where: str = "template") -> Template:
        """A template from a parsed file; ResponseTemplateError says what is wrong with it."""
        if not isinstance(data, dict):
            raise ResponseTemplateError(f'{where}: must be a JSON object like {{"status": 200, "body": {{...}}}}')
        if not any(key in data for key in ENVELOPE_KEYS):
            return cls(200, (), data)
        unknown = sorted(set(data) - set(ENVELOPE_KEYS))
        if unknown:
            raise ResponseTemplateError(
                f"{where}: unknown key {unknown[0]!r}; a template has only status, headers and body "
                "(put Okta's commands/error under body)"
            )
        status = data.get("status", 200)
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise ResponseTemplateError(f"{where}: status must be an HTTP status number like 200, got {status!r}")
        headers = data.get("headers") or {}
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise ResponseTemplateError(f'{where}: headers must be an object of strings like {{"X-Name": "value"}}')
        return cls(status, tuple(headers.items()), data.get("body"))

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "headers": dict(self.headers), "body": self.body}

    def answer(self, source: str = "template") -> Answer:
        """The answer this template sends; a JSON Content-Type is added to a body that names none."""
        if self.body is None:
            return Answer(status=self.status, body=b"", headers=self.headers, source=source)
        headers = self.headers
        if not any(name.lower() == "content-type" for name, _ in headers):
            headers = (("Content-Type", "application/json"), *headers)
        return Answer(status=self.status, body=json.dumps(self.body).encode(), headers=headers, source=source)


def default_template(kind: Kind) -> Template:
    status, body = default_answer(kind)
    return Template(status, (), body)


MAX_SLUG = 96
"""Longest file name made from a path: any path is a hook endpoint, and file systems stop at 255 bytes."""


def path_slug(path: str) -> str:
    """A file name for a request path: /hooks/token -> hooks--token; never leaves the paths folder.

    A long path keeps its start and gets a hash of the whole, so the name stays short and still unique.
    """
    cleaned = path.strip("/")
    if not cleaned:
        return "_root"
    slug = re.sub(r"[^A-Za-z0-9._-]", "_", cleaned.replace("/", "--"))
    if len(slug) <= MAX_SLUG:
        return slug
    digest = hashlib.sha256(path.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{slug[:MAX_SLUG - 17]}-{digest}"


@dataclass(frozen=True, slots=True)
class _Loaded:
    version: tuple[int, int, int]
    template: Template | None
    error: ResponseTemplateError | None


@dataclass(frozen=True, slots=True)
class _Resolved:
    checked: float
    file: Path
    loaded: _Loaded


class TemplateBook:
    """The templates in one folder: get/save for the inspector, answer() for the receiver."""

    def __init__(self, folder: Path, notify: Notify | None = None, check_interval: float = 0.5) -> None:
        self.folder = Path(folder)
        self.notify = notify
        self.check_interval = check_interval
        """Seconds a file is trusted unchanged before its mtime is looked at again (0: every call)."""
        self._lock = threading.Lock()
        self._loaded: dict[Path, _Loaded] = {}
        self._resolved: dict[tuple[Kind, str | None], _Resolved] = {}
        self._reported: set[tuple[Path, tuple[int, int, int]]] = set()
        self._poller = Poller(lambda: asyncio.to_thread(self._recheck), check_interval)
        self._answers: dict[Path, tuple[_Loaded, Answer]] = {}

    def file_for(self, kind: Kind, path: str | None = None) -> Path:
        """The file of a kind's template, or of a path's override when path is given."""
        if path is not None:
            return self.folder / "paths" / f"{path_slug(path)}.json"
        return self.folder / f"{kind}.json"

    def get(self, kind: Kind, path: str | None = None) -> Template:
        """The template a call of `kind` to `path` is answered with (the path's override, else the kind's).

        Reads files: call it from a worker thread in a UI. Raises ResponseTemplateError for a broken file.
        """
        loaded = self._resolve(kind, path).loaded
        if loaded.error is not None:
            raise loaded.error
        assert loaded.template is not None
        return loaded.template

    def save(self, kind: Kind, template: Template, path: str | None = None) -> Path:
        """Write a template atomically (the receiver never sees half a file); returns the file written."""
        target = self.file_for(kind, path)
        _write_atomic(target, template.to_json())
        with self._lock:
            self._loaded.pop(target, None)
            self._resolved.clear()
        return target

    async def answer(self, call: HookCall) -> Answer:
        """The answer for a call: from memory, kept fresh by a background poller (check_interval 0: a stat per call)."""
        key = (call.kind, call.request.path)
        resolved = self._resolved.get(key)
        if resolved is None or not self.check_interval:
            resolved = await asyncio.to_thread(self._resolve, call.kind, call.request.path)
            self._poller.start()
        loaded = resolved.loaded
        if loaded.error is not None:
            message = str(loaded.error)
            return Answer.json(500, {"error": message}, source="template", error=message)
        assert loaded.template is not None
        # Answers are immutable: encode each loaded template once, not once per call.
        cached = self._answers.get(resolved.file)
        if cached is None or cached[0] is not loaded:
            cached = (loaded, loaded.template.answer())
            self._answers[resolved.file] = cached
        return cached[1]

    def _recheck(self) -> None:
        """Look at every file in use again (a worker thread, from the poller); one bad entry stops no other."""
        with self._lock:
            keys = list(self._resolved)
        for kind, path in keys:
            try:
                self._resolve(kind, path)
            except OSError as exc:  # e.g. the folder went away: keep the last answer, report once
                with self._lock:
                    self._resolved.pop((kind, path), None)
                log.warning("answer template for %s %s: %s", kind, path, exc.strerror or exc)

    async def close(self) -> None:
        await self._poller.stop()

    def _resolve(self, kind: Kind, path: str | None) -> _Resolved:
        file = self.file_for(kind, path) if path is not None else None
        loaded = self._load(file) if file is not None else None
        if loaded is None:
            file = self.file_for(kind)
            loaded = self._load(file)
            if loaded is None:
                _write_atomic(file, default_template(kind).to_json(), exclusive=True)
                loaded = self._load(file)
        if loaded is None:  # deleted between writing and reading: answer the default this once
            loaded = _Loaded((0, 0, 0), default_template(kind), None)
        assert file is not None
        resolved = _Resolved(time.monotonic(), file, loaded)
        with self._lock:
            if len(self._resolved) >= MAX_RESOLVED:
                self._resolved.clear()
            self._resolved[(kind, path)] = resolved
        return resolved

    def _load(self, file: Path) -> _Loaded | None:
        """The file's template, re-read only when its mtime, size or inode changed; None when absent."""
        try:
            st = file.stat()
        except FileNotFoundError:
            return None
        except OSError as exc:  # a name the file system refuses (too long, invalid): no such override
            if file.parent.name == "paths":
                return None
            error = ResponseTemplateError(f"answer template {file} cannot be read: {exc.strerror or exc}")
            return _Loaded((0, 0, 0), None, error)
        version = (st.st_mtime_ns, st.st_size, st.st_ino)
        with self._lock:
            cached = self._loaded.get(file)
        if cached is not None and cached.version == version:
            return cached
        loaded = _Loaded(version, *_parse_file(file))
        with self._lock:
            self._loaded[file] = loaded
        if loaded.error is not None:
            self._report(file, version, loaded.error)
        return loaded

    def _report(self, file: Path, version: tuple[int, int, int], error: ResponseTemplateError) -> None:
        with self._lock:
            if (file, version) in self._reported:
                return
            self._reported.add((file, version))
        if self.notify is not None:
            self.notify("error", f"{error} — calls of this kind get a 500 until the file is fixed")


def _parse_file(file: Path) -> tuple[Template | None, ResponseTemplateError | None]:
    where = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, ResponseTemplateError(f"answer template {where} cannot be read: {exc}")
    try:
        data = jsontext.loads(text)
    except jsontext.TooDeep:
        return None, ResponseTemplateError(f"answer template {where} is nested too deeply to read")
    except json.JSONDecodeError as exc:
        return None, ResponseTemplateError(
            f"answer template {where} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}; "
            "fix it (it reloads on save) or delete it to get the default back"
        )
    try:
        return Template.from_json(data, where=f"answer template {where}"), None
    except ResponseTemplateError as exc:
        return None, exc


def _write_atomic(target: Path, data: Any, exclusive: bool = False) -> None:
    """Write JSON to a temporary file beside target, then rename it over target.

    With exclusive, an existing target is left alone (two calls creating the same default must not race).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        if exclusive:
            try:
                os.link(tmp, target)
            except FileExistsError:
                pass
            except OSError:  # no hard links on this filesystem: a small race beats no default at all
                if not target.exists():
                    os.replace(tmp, target)
            if os.path.exists(tmp):
                os.unlink(tmp)
        else:
            os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class TemplateResponder:
    """Answers every call from its template."""

    def __init__(self, templates: TemplateBook) -> None:
        self.templates = templates

    async def respond(self, call: HookCall) -> Answer:
        return await self.templates.answer(call)

    async def close(self) -> None:
        await self.templates.close()
