"""SQLite store of exchanges: WAL, group commit from a writer thread, durable before the answer leaves."""

from __future__ import annotations

import asyncio
import builtins
import json
import logging
import os
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hookdev.errors import StoreError
from hookdev.models import (
    AuthVerdict,
    Exchange,
    RequestSnapshot,
    ResponseSnapshot,
    Validation,
)

log = logging.getLogger(__name__)

# Each entry upgrades the schema by one version; a store written by an older hookdev is migrated on open.
MIGRATIONS: tuple[str, ...] = (
    # 1: the first layout
    """
    CREATE TABLE exchanges (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        time REAL NOT NULL,
        kind TEXT NOT NULL,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        query TEXT NOT NULL DEFAULT '',
        req_headers TEXT NOT NULL,
        req_body BLOB NOT NULL,
        remote TEXT NOT NULL DEFAULT '',
        status INTEGER NOT NULL,
        resp_headers TEXT NOT NULL,
        resp_body BLOB NOT NULL,
        auth TEXT NOT NULL,
        validation TEXT NOT NULL,
        duration_ms REAL NOT NULL,
        replay_of TEXT
    );
    CREATE INDEX exchanges_time ON exchanges(time);
    """,
    # 2: where the answer came from, handler output, errors, truncation, quick filters
    """
    ALTER TABLE exchanges ADD COLUMN source TEXT NOT NULL DEFAULT 'template';
    ALTER TABLE exchanges ADD COLUMN log TEXT NOT NULL DEFAULT '';
    ALTER TABLE exchanges ADD COLUMN error TEXT;
    ALTER TABLE exchanges ADD COLUMN truncated INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE exchanges ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE exchanges ADD COLUMN auth_ok INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE exchanges ADD COLUMN valid_ok INTEGER NOT NULL DEFAULT 1;
    CREATE INDEX exchanges_kind ON exchanges(kind);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

COLUMNS = (
    "id, time, kind, method, path, query, req_headers, req_body, remote, status, resp_headers, resp_body, "
    "auth, validation, duration_ms, replay_of, source, log, error, truncated, tags, auth_ok, valid_ok"
)
INSERT = f"INSERT OR IGNORE INTO exchanges ({COLUMNS}) VALUES ({', '.join('?' * 23)})"

MAX_PENDING = 10_000
"""Exchanges kept in memory while the disk refuses writes; older ones are dropped past this."""


@dataclass(frozen=True, slots=True)
class Filter:
    """What `list` narrows exchanges to; every field optional."""

    kind: str | None = None
    path: str | None = None
    status: int | None = None
    auth_ok: bool | None = None
    valid_ok: bool | None = None
    text: str | None = None
    """Substring of the path, the request body or the response body."""


def _row(ex: Exchange) -> tuple[Any, ...]:
    req, resp = ex.request, ex.response
    return (
        ex.id,
        ex.time,
        ex.kind,
        req.method,
        req.path,
        req.query,
        json.dumps(req.headers),
        req.body,
        req.remote,
        resp.status,
        json.dumps(resp.headers),
        resp.body,
        json.dumps(ex.auth.to_json()),
        json.dumps(ex.validation.to_json()),
        ex.duration_ms,
        ex.replay_of,
        ex.source,
        ex.log,
        ex.error,
        int(req.truncated),
        json.dumps(ex.tags),
        int(ex.auth.ok),
        int(ex.validation.ok),
    )


def _exchange(row: sqlite3.Row) -> Exchange:
    return Exchange(
        id=row["id"],
        time=row["time"],
        kind=row["kind"],
        request=RequestSnapshot(
            method=row["method"],
            path=row["path"],
            query=row["query"],
            headers=tuple((k, v) for k, v in json.loads(row["req_headers"])),
            body=bytes(row["req_body"]),
            remote=row["remote"],
            truncated=bool(row["truncated"]),
        ),
        response=ResponseSnapshot(
            status=row["status"],
            headers=tuple((k, v) for k, v in json.loads(row["resp_headers"])),
            body=bytes(row["resp_body"]),
        ),
        auth=AuthVerdict.from_json(json.loads(row["auth"])),
        validation=Validation.from_json(json.loads(row["validation"])),
        duration_ms=row["duration_ms"],
        replay_of=row["replay_of"],
        source=row["source"],
        log=row["log"],
        error=row["error"],
        tags=tuple(json.loads(row["tags"])),
    )


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=10, check_same_thread=False, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer hookdev (schema {version}, this one knows {SCHEMA_VERSION}); "
            "upgrade hookdev or use another --store"
        )
    for number in range(version, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the lock.
            if conn.execute("PRAGMA user_version").fetchone()[0] != number:
                conn.execute("ROLLBACK")
                continue
            for statement in MIGRATIONS[number].split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number + 1}")
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            raise


class Store:
    """Exchanges on disk. Writes go through one writer thread in batches; reads use their own connection."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._listeners: list[Callable[[Exchange], None]] = []
        self._queue: queue.Queue[tuple[Exchange, asyncio.Future[None] | None] | None] = queue.Queue()
        self._pending: list[Exchange] = []
        self._writer: threading.Thread | None = None
        self._read_lock = threading.Lock()
        self.last_error: str | None = None
        """The last write failure (disk full, read-only...), cleared when writing works again."""
        self._open()

    # -- lifecycle -----------------------------------------------------------------------------------
    def _open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():
                os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
            self._reader = _connect(self.path)
            mode = self._reader.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                log.warning("store %s is not in WAL mode (%s)", self.path, mode)
            _migrate(self._reader, self.path)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the store {self.path}: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"cannot create the store {self.path}: {exc.strerror}") from exc

    def start(self) -> None:
        """Start the writer thread (needed by add(); add_now() works without it)."""
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_loop, name="hookdev-store", daemon=True)
            self._writer.start()

    def close(self) -> None:
        """Flush every queued exchange, stop the writer, close connections."""
        if self._writer is not None:
            self._queue.put(None)
            self._writer.join()
            self._writer = None
        self._reader.close()

    # -- writing -------------------------------------------------------------------------------------
    def subscribe(self, listener: Callable[[Exchange], None]) -> Callable[[], None]:
        """Call listener(exchange) on the event loop after each exchange is committed; returns unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    async def add(self, exchange: Exchange) -> bool:
        """Commit an exchange (group commit); True once it is on disk, False if the disk refused it."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._queue.put((exchange, future))
        try:
            await future
            committed = True
        except StoreError:
            committed = False
        # Listeners run after the answer is sent, never in its way.
        if self._listeners:
            loop.call_soon(self._notify, exchange)
        return committed

    def add_now(self, exchange: Exchange) -> None:
        """Commit one exchange synchronously (CLI import, tests)."""
        with self._write_conn() as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(INSERT, _row(exchange))
            conn.execute("COMMIT")

    def _notify(self, exchange: Exchange) -> None:
        for listener in list(self._listeners):
            try:
                listener(exchange)
            except Exception:
                log.exception("exchange listener failed")

    @contextmanager
    def _write_conn(self) -> Iterator[sqlite3.Connection]:
        conn = _connect(self.path)
        conn.execute("PRAGMA synchronous = NORMAL")
        try:
            yield conn
        finally:
            conn.close()

    def _write_loop(self) -> None:
        with self._write_conn() as conn:
            stopping = False
            while not stopping:
                try:
                    item = self._queue.get(timeout=1.0 if self._pending else None)
                except queue.Empty:
                    self._commit(conn, [])  # retry what the disk refused earlier
                    continue
                batch: list[tuple[Exchange, asyncio.Future[None] | None]] = []
                while item is not None:
                    batch.append(item)
                    if len(batch) >= 1000:
                        break
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                stopping = item is None
                self._commit(conn, batch)

    def _commit(self, conn: sqlite3.Connection, batch: list[tuple[Exchange, asyncio.Future[None] | None]]) -> None:
        rows = [_row(ex) for ex in self._pending] + [_row(ex) for ex, _ in batch]
        error: str | None = None
        if rows:
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(INSERT, rows)
                conn.execute("COMMIT")
                self._pending.clear()
            except sqlite3.Error as exc:
                error = str(exc)
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                self._pending.extend(ex for ex, _ in batch)
                del self._pending[:-MAX_PENDING]
        if error and error != self.last_error:
            log.error("recording to %s failed: %s; answers still go back, retrying", self.path, error)
        self.last_error = error
        # One wake-up per loop per batch, not one per exchange: each call_soon_threadsafe writes to the
        # loop's self-pipe, and under load those wake-ups cost more than the commit itself.
        by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
        for _, future in batch:
            if future is not None:
                by_loop.setdefault(future.get_loop(), []).append(future)
        for loop, futures in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle_all, futures, error)
            except RuntimeError:  # that loop is closed: nobody is waiting any more
                pass

    # -- reading -------------------------------------------------------------------------------------
    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._read_lock:
            return self._reader.execute(sql, params).fetchall()

    def get(self, ident: str) -> Exchange | None:
        """An exchange by id or by a unique id prefix (at least 4 characters)."""
        rows = self._query(f"SELECT {COLUMNS} FROM exchanges WHERE id = ?", (ident,))
        if not rows and len(ident) >= 4:
            rows = self._query(
                f"SELECT {COLUMNS} FROM exchanges WHERE id LIKE ? ESCAPE '\\' LIMIT 2", (_like_escape(ident) + "%",)
            )
            if len(rows) > 1:
                raise StoreError(f"id prefix {ident!r} matches more than one exchange; give more characters")
        return _exchange(rows[0]) if rows else None

    def list(
        self, flt: Filter | None = None, *, limit: int | None = None, newest_first: bool = False
    ) -> list[Exchange]:
        """Exchanges oldest first (or newest first), narrowed by a Filter."""
        where, params = _where(flt or Filter())
        order = "DESC" if newest_first else "ASC"
        sql = f"SELECT {COLUMNS} FROM exchanges {where} ORDER BY seq {order}"
        if limit is not None:
            sql += " LIMIT ?"
            params = (*params, limit)
        return [_exchange(row) for row in self._query(sql, params)]

    def recent_paths(self, limit: int = 10) -> builtins.list[str]:  # `list` here is Store.list
        """Paths that received real hook calls, most recently used first."""
        rows = self._query(
            "SELECT path, MAX(seq) AS last FROM exchanges WHERE kind != 'unknown' "
            "GROUP BY path ORDER BY last DESC LIMIT ?",
            (limit,),
        )
        return [row["path"] for row in rows]

    def count(self, flt: Filter | None = None) -> int:
        where, params = _where(flt or Filter())
        return int(self._query(f"SELECT COUNT(*) FROM exchanges {where}", params)[0][0])


def _settle_all(futures: list[asyncio.Future[None]], error: str | None) -> None:
    for future in futures:
        _settle(future, error)


def _settle(future: asyncio.Future[None], error: str | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(StoreError(f"the store refused the write: {error}"))


def _like_escape(text: str) -> str:
    """Text matched literally inside a LIKE pattern (with ESCAPE '\\')."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(flt: Filter) -> tuple[str, tuple[Any, ...]]:
    clauses: list[str] = []
    params: list[Any] = []
    if flt.kind:
        clauses.append("kind = ?")
        params.append(flt.kind)
    if flt.path:
        clauses.append("path = ?")
        params.append(flt.path)
    if flt.status is not None:
        clauses.append("status = ?")
        params.append(flt.status)
    if flt.auth_ok is not None:
        clauses.append("auth_ok = ?")
        params.append(int(flt.auth_ok))
    if flt.valid_ok is not None:
        clauses.append("valid_ok = ?")
        params.append(int(flt.valid_ok))
    if flt.text:
        like = "%" + _like_escape(flt.text) + "%"
        clauses.append(
            "(path LIKE ? ESCAPE '\\' OR CAST(req_body AS TEXT) LIKE ? ESCAPE '\\' "
            "OR CAST(resp_body AS TEXT) LIKE ? ESCAPE '\\')"
        )
        params.extend([like, like, like])
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)
