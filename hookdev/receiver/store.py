"""SQLite store of exchanges: WAL, group commit from a writer thread, durable before the answer leaves."""

from __future__ import annotations

import builtins
import dataclasses
import functools
import itertools
import logging
import os
import queue
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hookdev import jsonfast
from hookdev.errors import StoreError
from hookdev.models import (
    KINDS,
    AuthVerdict,
    Exchange,
    RequestSnapshot,
    ResponseSnapshot,
    Validation,
)

if TYPE_CHECKING:
    import asyncio

log = logging.getLogger(__name__)

MIN_ID_PREFIX = 4
"""The shortest id prefix `get` looks up: shorter ones would match too many exchanges to be of use."""

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
    # 3: what must stay fast at a million exchanges: the paths in use (read at every start) kept up to date
    # instead of a GROUP BY over the whole table, and a full-text index of the path and the bodies
    # (contentless: the text stays in `exchanges`). The writer fills the index in batches (see INDEX_NEWEST),
    # since FTS5 flushes its buffer at every statement and a trigger per row would make that once per row.
    """
    CREATE TABLE paths (path TEXT PRIMARY KEY, last_seq INTEGER NOT NULL);
    CREATE INDEX paths_last ON paths(last_seq);
    INSERT INTO paths (path, last_seq)
        SELECT path, MAX(seq) FROM exchanges WHERE kind != 'unknown' GROUP BY path;
    CREATE TRIGGER exchanges_path AFTER INSERT ON exchanges WHEN NEW.kind != 'unknown' BEGIN
        INSERT INTO paths (path, last_seq) VALUES (NEW.path, NEW.seq)
            ON CONFLICT (path) DO UPDATE SET last_seq = excluded.last_seq;
    END;
    CREATE VIRTUAL TABLE exchanges_text USING fts5(
        path_text, request_text, answer_text, content='', tokenize='unicode61'
    );
    INSERT INTO exchanges_text (rowid, path_text, request_text, answer_text)
        SELECT seq, path, CAST(req_body AS TEXT), CAST(resp_body AS TEXT) FROM exchanges;
    CREATE TRIGGER exchanges_forget AFTER DELETE ON exchanges BEGIN
        INSERT INTO exchanges_text (exchanges_text, rowid, path_text, request_text, answer_text)
            VALUES ('delete', OLD.seq, OLD.path, CAST(OLD.req_body AS TEXT), CAST(OLD.resp_body AS TEXT));
        DELETE FROM paths WHERE path = OLD.path AND last_seq = OLD.seq;
    END;
    """,
    # 4: what Okta's System Log said about the calls (hookdev okta logs, serve --okta)
    """
    CREATE TABLE okta_events (
        uuid TEXT PRIMARY KEY,
        exchange_id TEXT,
        published REAL NOT NULL,
        event_type TEXT NOT NULL,
        event TEXT NOT NULL
    );
    CREATE INDEX okta_events_exchange ON okta_events(exchange_id);
    """,
    # 5: what Okta logged about a call goes with the call when retention removes it
    """
    CREATE TRIGGER exchanges_forget_okta AFTER DELETE ON exchanges BEGIN
        DELETE FROM okta_events WHERE exchange_id = OLD.id;
    END;
    """,
    # 6: the text of an exchange is indexed after it is written (see Store._write_loop), so a deleted
    # exchange leaves the index only if it is in it (a contentless index trusts what `delete` says)
    """
    DROP TRIGGER exchanges_forget;
    CREATE TRIGGER exchanges_forget AFTER DELETE ON exchanges BEGIN
        INSERT INTO exchanges_text (exchanges_text, rowid, path_text, request_text, answer_text)
            SELECT 'delete', OLD.seq, OLD.path, CAST(OLD.req_body AS TEXT), CAST(OLD.resp_body AS TEXT)
            WHERE EXISTS (SELECT 1 FROM exchanges_text WHERE rowid = OLD.seq);
        DELETE FROM paths WHERE path = OLD.path AND last_seq = OLD.seq;
    END;
    """,
    # 7: less work per call on the commit an answer waits for. The path a call was sent to reaches `paths` with the
    # text index, a few hundred exchanges at a time after the answers (a trigger did it inside each commit, row by
    # row). The text index is rebuilt once, leaner: without the size of each column of each exchange
    # (columnsize=0: a row per exchange that only ranking reads, and hookdev orders by time), merging eight
    # segments of a level at a time rather than four (automerge; crisismerge stays at 16, so no merge is ever
    # done all at once). `indexed` holds the newest seq whose text and path are in: every exchange up to it is
    # (they are indexed in order), and a contentless index without sizes cannot say which rows it holds.
    """
    DROP TRIGGER exchanges_path;
    DROP TRIGGER exchanges_forget;
    DROP TABLE exchanges_text;
    CREATE VIRTUAL TABLE exchanges_text USING fts5(
        path_text, request_text, answer_text, content='', tokenize='unicode61', columnsize=0
    );
    INSERT INTO exchanges_text (exchanges_text, rank) VALUES ('automerge', 8);
    CREATE TABLE indexed (seq INTEGER NOT NULL);
    INSERT INTO indexed (seq) VALUES (0);
    INSERT INTO exchanges_text (rowid, path_text, request_text, answer_text)
        SELECT seq, path, CAST(req_body AS TEXT), CAST(resp_body AS TEXT) FROM exchanges;
    UPDATE indexed SET seq = COALESCE((SELECT MAX(seq) FROM exchanges), 0);
    CREATE TRIGGER exchanges_forget AFTER DELETE ON exchanges BEGIN
        INSERT INTO exchanges_text (exchanges_text, rowid, path_text, request_text, answer_text)
            SELECT 'delete', OLD.seq, OLD.path, CAST(OLD.req_body AS TEXT), CAST(OLD.resp_body AS TEXT)
            WHERE OLD.seq <= (SELECT seq FROM indexed);
        DELETE FROM paths WHERE path = OLD.path AND last_seq = OLD.seq;
    END;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

COLUMNS = (
    "id, time, kind, method, path, query, req_headers, req_body, remote, status, resp_headers, resp_body, "
    "auth, validation, duration_ms, replay_of, source, log, error, truncated, tags, auth_ok, valid_ok"
)
INSERT = f"INSERT OR IGNORE INTO exchanges ({COLUMNS}) VALUES ({', '.join('?' * 23)})"
INDEX_NEWEST = (
    "INSERT INTO exchanges_text (rowid, path_text, request_text, answer_text) "
    "SELECT seq, path, CAST(req_body AS TEXT), CAST(resp_body AS TEXT) FROM exchanges "
    "WHERE seq > (SELECT seq FROM indexed)",
    "INSERT INTO paths (path, last_seq) "
    "SELECT path, MAX(seq) FROM exchanges WHERE seq > (SELECT seq FROM indexed) AND kind != 'unknown' "
    "GROUP BY path ON CONFLICT (path) DO UPDATE SET last_seq = excluded.last_seq",
    "UPDATE indexed SET seq = MAX(seq, COALESCE((SELECT MAX(seq) FROM exchanges), 0))",
)
"""Index the text and the path of every exchange above the newest one indexed, and say so, in one transaction:
whoever wrote the rows (another serve on the same store included) and however many writers do it, each is
indexed once."""
INSERT_ROWS = 32
SMALL_ROW = 8192
"""A group commit of up to INSERT_ROWS rows of at most SMALL_ROW bytes each is one multi-row INSERT: SQLite
writes and commits it in one step, which gives up the GIL once (row by row, with BEGIN and COMMIT, the writer
thread took it back from a busy event loop after every row). Bigger rows go one at a time: SQLite keeps the
values last bound to each cached statement, so the statements for 1 to INSERT_ROWS rows may hold that many
rows' bytes (4 MiB at most here), which big calls must not multiply."""
SEQ_RANGE = (
    "SELECT (SELECT MIN(seq) FROM exchanges), (SELECT MAX(seq) FROM exchanges), "
    "((SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count())) "
    "* (SELECT page_size FROM pragma_page_size())"
)
"""The oldest and newest seq, two index probes (`SELECT MIN(seq), MAX(seq)` in one query reads every row), and
the bytes the database uses: what retention looks at (see RETAIN_LOOK_S), in one statement."""
INDEX_ROWS = 256
INDEX_DELAY = 0.25
"""Committed exchanges are indexed (their text, and the paths they were sent to) in one transaction per INDEX_ROWS
of them, or INDEX_DELAY seconds after the first: FTS5 costs a third as much per exchange in batches of a few
hundred as in the few dozen of one group commit. A text filter, and the paths a new serve offers, may miss the
calls of the last INDEX_DELAY seconds; no answer ever waits for them."""
CHECKPOINT_S = 1.0
WAL_LONG = 16_384
"""The WAL is copied into the database by a thread of its own (at most every CHECKPOINT_S while calls are written),
not by SQLite's automatic checkpoint: that one ran inside the commit that crossed 1,000 pages, and the call
waiting on that commit waited for the copy and its fsync too (one call in about 120 at 100 calls/s, +3 ms at
p99). While calls keep coming the WAL may not be rewound between two copies; past WAL_LONG pages the writer
copies it itself, between two batches."""
WAL_LIMIT = 64 * 1024 * 1024
"""A rewound WAL file longer than this is truncated to it (journal_size_limit)."""
PAGE = 500
"""Rows read per query when iterating, so memory stays flat however many match."""
_WORD = re.compile(r"[^\W_]")

MAX_PENDING = 10_000
"""Exchanges kept in memory while the disk refuses writes; older ones are dropped past this."""
MAX_PENDING_BYTES = 64 * 1024 * 1024
"""...and past this many bytes of them, so a stranger's big bodies cannot fill the memory either."""
RETAIN_LOOK_S = 1.0
"""Retention looks at how full the store is (SEQ_RANGE) only once what was written since its last look may have
filled the room it saw under a bound (each row counted at twice its bytes), or RETAIN_LOOK_S after that look
(another serve may be writing to the same store): not after every group commit."""
RETAIN_CHUNK = 250
"""Oldest exchanges deleted per transaction by retention. A call that comes meanwhile waits for the chunk under
way: a few ms for 250 (each deleted exchange leaves the text index too), about 200 ms for 2,000, which also cost
four times as much per exchange."""


@dataclass(frozen=True, slots=True)
class OktaEvent:
    """A System Log event as Okta returned it, and the exchange hookdev matched it to (None: no match)."""

    uuid: str
    exchange_id: str | None
    published: float
    event_type: str
    event: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Filter:
    """What `list` narrows exchanges to; every field optional."""

    kind: str | None = None
    path: str | None = None
    status: int | None = None
    auth_ok: bool | None = None
    valid_ok: bool | None = None
    text: str | None = None
    """Words in the path, the request body or the response body, the last one possibly cut short:
    `nia.patel` finds nia.patel@example.com, `pat` finds it too, `atel` does not (see text_query)."""


def _row(ex: Exchange) -> tuple[Any, ...]:
    req, resp = ex.request, ex.response
    return (
        ex.id,
        ex.time,
        ex.kind,
        req.method,
        req.path,
        req.query,
        jsonfast.dumps(req.headers),
        req.body,
        req.remote,
        resp.status,
        jsonfast.dumps(resp.headers),
        resp.body,
        jsonfast.dumps(ex.auth.to_json()),
        jsonfast.dumps(ex.validation.to_json()),
        ex.duration_ms,
        ex.replay_of,
        ex.source,
        ex.log,
        ex.error,
        int(req.truncated),
        jsonfast.dumps(ex.tags),
        int(ex.auth.ok),
        int(ex.validation.ok),
    )


def _row_bytes(row: tuple[Any, ...]) -> int:
    """The bytes of a _row's headers, bodies, verdicts and log: nearly all of it."""
    return len(row[6]) + len(row[7]) + len(row[10]) + len(row[11]) + len(row[12]) + len(row[13]) + len(row[17])


def _exchange(row: sqlite3.Row) -> Exchange:
    return Exchange(
        id=row["id"],
        time=row["time"],
        kind=row["kind"],
        request=RequestSnapshot(
            method=row["method"],
            path=row["path"],
            query=row["query"],
            headers=tuple((k, v) for k, v in jsonfast.loads(row["req_headers"])),
            body=bytes(row["req_body"]),
            remote=row["remote"],
            truncated=bool(row["truncated"]),
        ),
        response=ResponseSnapshot(
            status=row["status"],
            headers=tuple((k, v) for k, v in jsonfast.loads(row["resp_headers"])),
            body=bytes(row["resp_body"]),
        ),
        auth=AuthVerdict.from_json(jsonfast.loads(row["auth"])),
        validation=Validation.from_json(jsonfast.loads(row["validation"])),
        duration_ms=row["duration_ms"],
        replay_of=row["replay_of"],
        source=row["source"],
        log=row["log"],
        error=row["error"],
        tags=tuple(jsonfast.loads(row["tags"])),
    )


SUMMARY_COLUMNS = (
    "id, time, kind, method, path, status, auth, validation, duration_ms, replay_of, source, error, truncated"
)


def _summary(row: sqlite3.Row) -> Exchange:
    """An exchange without its headers, bodies and log: what a list line or a table row shows."""
    return Exchange(
        id=row["id"],
        time=row["time"],
        kind=row["kind"],
        request=RequestSnapshot(method=row["method"], path=row["path"], headers=(), body=b"",
                                truncated=bool(row["truncated"])),
        response=ResponseSnapshot(status=row["status"], headers=(), body=b""),
        auth=AuthVerdict.from_json(jsonfast.loads(row["auth"])),
        validation=Validation.from_json(jsonfast.loads(row["validation"])),
        duration_ms=row["duration_ms"],
        replay_of=row["replay_of"],
        source=row["source"],
        error=row["error"],
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
    if 0 < version < SCHEMA_VERSION:
        rows = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM exchanges").fetchone()[0]
        if rows >= 100_000:
            log.warning("upgrading the store %s (%s exchanges) to this hookdev's layout, once: "
                        "the text index is built from every body, which takes a while", path, f"{rows:,}")
    for number in range(version, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the lock.
            if conn.execute("PRAGMA user_version").fetchone()[0] != number:
                conn.execute("ROLLBACK")
                continue
            for statement in _statements(MIGRATIONS[number]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number + 1}")
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            raise


def _statements(script: str) -> Iterator[str]:
    """The SQL statements of a script, one at a time (a trigger's body keeps its own semicolons)."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                yield pending
            pending = ""


def _size(ex: Exchange) -> int:
    """Roughly what an exchange costs held in memory or stored: its bodies and log, plus its headers."""
    headers = sum(len(k) + len(v) for k, v in ex.request.headers) + sum(len(k) + len(v) for k, v in ex.response.headers)
    return len(ex.request.body) + len(ex.response.body) + len(ex.log) + headers + 512


@dataclass(frozen=True, slots=True)
class Retention:
    """How much the store keeps: the newest `max_exchanges`, in at most `max_bytes`; oldest go first."""

    max_exchanges: int | None = None
    max_bytes: int | None = None


def _insert(conn: sqlite3.Connection, rows: list[tuple[Any, ...]], *, index: bool = True) -> None:
    """Write rows inside the caller's transaction, and index their text unless told not to."""
    conn.executemany(INSERT, rows)
    if index:
        for statement in INDEX_NEWEST:
            conn.execute(statement)


@functools.lru_cache(maxsize=2 * INSERT_ROWS)
def _insert_rows(insert: str, count: int) -> str:
    """`insert` (one row's INSERT ... VALUES (...)) writing `count` rows."""
    values = insert[insert.rindex("("):]
    return insert + f", {values}" * (count - 1)


def _index_newest(conn: sqlite3.Connection) -> None:
    """Index the text and path of every exchange not indexed yet (a transaction of its own)."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        for statement in INDEX_NEWEST:
            conn.execute(statement)
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        _rollback(conn)
        log.warning("indexing the newest exchanges failed (%s); they are indexed the next time", exc)


def _rollback(conn: sqlite3.Connection) -> None:
    """Undo the transaction a failed statement left open, if any; a rollback that fails too (the connection is
    broken) leaves nothing to undo, and the writer goes on."""
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass


class Store:
    """Exchanges on disk. Writes go through one writer thread in batches; reads use their own connection.

    `retention` bounds what is kept (the oldest exchanges go first); `readonly` opens an existing store for
    reading only (list, show, export), so a store on read-only media or someone else's can still be read.
    """

    def __init__(self, path: str | Path, *, retention: Retention | None = None, readonly: bool = False,
                 max_pending_bytes: int = MAX_PENDING_BYTES) -> None:
        self.path = Path(path)
        self.retention = retention or Retention()
        self.readonly = readonly
        self.max_pending_bytes = max_pending_bytes
        self._listeners: list[Callable[[Exchange], None]] = []
        self._inbox = _Inbox()
        self._turn: list[_Item] | None = None
        self._turn_loop: asyncio.AbstractEventLoop | None = None
        self._pending: list[Exchange] = []
        self._pending_bytes = 0
        self.dropped = 0
        """Exchanges given up while the disk refused writes (the memory bounds were reached)."""
        self.removed = 0
        """Old exchanges deleted by retention since the store was opened."""
        self._writer: threading.Thread | None = None
        self._checkpointer: threading.Thread | None = None
        self._written = threading.Event()
        """Set by the writer after a commit: the checkpointer has something to copy."""
        self._closing = threading.Event()
        self._wal_long = False
        self._room = _Room()
        """What the writer may still write before retention needs to look again (see RETAIN_LOOK_S)."""
        self._read_lock = threading.Lock()
        self.last_error: str | None = None
        """The last write failure (disk full, read-only...), cleared when writing works again."""
        if readonly:
            self._open_readonly()
        else:
            self._open()

    # -- lifecycle -----------------------------------------------------------------------------------
    def _open(self) -> None:
        try:
            private_folder(self.path.parent)
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

    def _open_readonly(self, upgraded: bool = False) -> None:
        if not self.path.is_file():
            raise StoreError(f"no store at {self.path}")
        conn, version = _connect_readonly(self.path)
        if version < SCHEMA_VERSION and not upgraded and os.access(self.path.parent, os.W_OK):
            conn.close()
            Store(self.path).close()  # written by an older hookdev: upgrade it once, while we may write
            return self._open_readonly(upgraded=True)
        if version != SCHEMA_VERSION:
            conn.close()
            raise StoreError(f"{self.path} has schema {version} and this hookdev reads {SCHEMA_VERSION}; "
                             "open it once with write access (or with the hookdev that wrote it)")
        self._reader = conn

    def start(self) -> None:
        """Start the writer thread (needed by add(); add_now() works without it)."""
        if self.readonly:
            raise StoreError(f"the store {self.path} is open read-only")
        if self._writer is None:
            self._closing.clear()
            self._writer = threading.Thread(target=self._write_loop, name="hookdev-store", daemon=True)
            self._writer.start()
            self._checkpointer = threading.Thread(target=self._checkpoint_loop, name="hookdev-checkpoint",
                                                  daemon=True)
            self._checkpointer.start()

    def close(self) -> None:
        """Flush every queued exchange, stop the writer, close connections."""
        if self._writer is not None:
            self._hand_over()  # closed in the loop's own thread, before the end of its turn
            self._inbox.put(None)
            self._writer.join()
            self._writer = None
        if self._checkpointer is not None:
            self._closing.set()
            self._written.set()
            self._checkpointer.join()
            self._checkpointer = None
        self._reader.close()

    # -- writing -------------------------------------------------------------------------------------
    def subscribe(self, listener: Callable[[Exchange], None]) -> Callable[[], None]:
        """Call listener(exchange) on the event loop after each exchange is committed; returns unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    async def add(self, exchange: Exchange) -> bool:
        """Commit an exchange (group commit); True once it is on disk, False if the disk refused it."""
        if self._writer is None:  # nothing would ever take it off the queue: say so rather than wait forever
            raise RuntimeError(f"Store.add() on {self.path} needs the writer thread: call start() first "
                               "(add_now() writes without it)")
        import asyncio  # here, not at the top: list, show and export read the store without an event loop

        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._queue(loop, (exchange, future))
        try:
            await future
        except StoreError:
            return False
        return True

    def _queue(self, loop: asyncio.AbstractEventLoop, item: _Item) -> None:
        """Hand the writer every exchange of a loop turn at once, at the end of the turn: one wake-up of the
        writer per turn, and a group commit of all of them, instead of one hand-over per call."""
        if self._turn is None:
            self._turn, self._turn_loop = [item], loop
            loop.call_soon(self._hand_over)
        elif self._turn_loop is loop:
            self._turn.append(item)
        else:  # a second loop adding to the same store (tests): no waiting for the other loop's turn
            self._inbox.put([item])

    def _hand_over(self) -> None:
        turn, self._turn = self._turn, None
        if turn:
            self._inbox.put(turn)

    def add_now(self, exchange: Exchange) -> None:
        """Commit one exchange synchronously (CLI import, tests)."""
        self.add_many([exchange])

    def add_many(self, exchanges: Iterable[Exchange], batch: int = 5000) -> None:
        """Commit exchanges synchronously, `batch` to a transaction (imports, benchmarks)."""
        items = iter(exchanges)
        with self._write_conn() as conn:
            while rows := [_row(ex) for ex in itertools.islice(items, batch)]:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    _insert(conn, rows)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")

    def _settle(self, loop: asyncio.AbstractEventLoop, futures: list[asyncio.Future[None]], exchanges: list[Exchange],
                error: str | None) -> None:
        """On the loop, once a batch is committed (or refused): release its answers, then tell the listeners.
        The listeners run after the tasks the answers wake up, so after the answers are sent, never in their way."""
        for future in futures:
            _settle(future, error)
        if self._listeners:
            loop.call_soon(self._notify, exchanges)

    def _notify(self, exchanges: list[Exchange]) -> None:
        listeners = list(self._listeners)
        for exchange in exchanges:
            for listener in listeners:
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
            conn.execute("PRAGMA wal_autocheckpoint = 0")  # the checkpointer thread's work (see CHECKPOINT_S)
            conn.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT}")
            _index_newest(conn)  # what a writer killed between a commit and its indexing left
            stopping = False
            self._retain(conn)
            unindexed = _Unindexed()
            while not stopping:
                # After a refused write, wake within a second to retry even if no new exchange comes; with text
                # left to index, wake in time to index it.
                timeout = 1.0 if self._pending else None
                if unindexed.rows:
                    timeout = min(timeout or INDEX_DELAY, max(unindexed.due - time.monotonic(), 0.0))
                items, stopping = self._inbox.take(1000, timeout=timeout)
                written = self._commit(conn, items)
                unindexed = _index_due(conn, unindexed, written, now=stopping)
                if not stopping:  # a store far over its bounds is caught up on by the next run, not at exit
                    self._retain(conn)  # after the batch's answers are released, never before them
                if written:
                    self._written.set()
                if self._wal_long and self._inbox.empty():
                    self._wal_long = False
                    _checkpoint(conn)  # the checkpointer cannot catch up while calls keep coming

    def _checkpoint_loop(self) -> None:
        """Copy the WAL into the database after commits, at most every CHECKPOINT_S, off the writer's path."""
        conn = _connect(self.path)
        try:
            while True:
                self._written.wait()
                if self._closing.is_set():
                    return
                self._written.clear()
                frames = _checkpoint(conn)
                self._wal_long = frames is not None and frames > WAL_LONG
                if self._closing.wait(CHECKPOINT_S):  # the pace; commits meanwhile are copied next time
                    return
        finally:
            conn.close()

    def _retain(self, conn: sqlite3.Connection) -> None:
        """Delete the oldest exchanges past max_exchanges or max_bytes, a chunk per transaction.

        Stops early when calls are waiting, so catching up on a store far over its bounds never holds
        up an answer; the next turn continues. Deleted pages are reused, so the file stops growing.
        """
        keep = self.retention
        if (keep.max_exchanges is None and keep.max_bytes is None) or self._pending or self._room.left():
            return
        excess = 0
        try:
            while self._inbox.empty():
                first, last, used = conn.execute(SEQ_RANGE).fetchone()
                if first is None:
                    return
                rows = last - first + 1  # seq only grows and only the oldest are deleted: no gaps
                if excess <= 0:
                    # Once over a bound, toward 90 % of it: a full store then deletes a chunk at a time when it
                    # goes over, not a few rows after every batch (a chunk costs less per row, too).
                    if keep.max_exchanges is not None and rows > keep.max_exchanges:
                        excess = rows - int(keep.max_exchanges * 0.9)
                    if keep.max_bytes is not None and used > keep.max_bytes:
                        share = (used - keep.max_bytes * 0.9) / used
                        excess = max(excess, int(rows * share) + 1)
                    if excess <= 0:
                        self._room = _Room.under(keep, rows, used)
                        return
                count = min(excess, RETAIN_CHUNK, rows)
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("DELETE FROM exchanges WHERE seq < ?", (first + count,))
                conn.execute("COMMIT")
                self.removed += count
                excess -= count
        except sqlite3.Error as exc:
            _rollback(conn)
            log.warning("removing old exchanges from %s failed: %s", self.path, exc)

    def _commit(self, conn: sqlite3.Connection, batch: list[tuple[Exchange, asyncio.Future[None] | None]]) -> int:
        """Write the batch, and what the disk refused before (its oldest exchange first, alone), then release the
        batch's answers; how many rows were written (their text is still to index)."""
        error: str | None = None
        written = 0
        if self._pending:
            # The disk refused writes before: the oldest exchange waiting goes alone first, so a disk still full
            # costs one row's try, not a transaction of everything held (64 MiB of rows into SQLite's cache).
            error = self._write(conn, [_row(self._pending[0])])
            if error is None:
                self._pending_bytes -= _size(self._pending.pop(0))
                written = 1
        if error is None:
            rows = [_row(ex) for ex in self._pending] + [_row(ex) for ex, _ in batch]
            error = self._write(conn, rows) if rows else None
            if error is None:
                written += len(rows)
                self._pending.clear()
                self._pending_bytes = 0
        if error is not None:
            self._hold([ex for ex, _ in batch])
        if error and error != self.last_error:
            log.error("recording to %s failed: %s; answers still go back, retrying", self.path, error)
        self.last_error = error
        # One wake-up per loop per batch, not one per exchange: each call_soon_threadsafe writes to the
        # loop's self-pipe, and under load those wake-ups cost more than the commit itself.
        by_loop: dict[asyncio.AbstractEventLoop, tuple[list[asyncio.Future[None]], list[Exchange]]] = {}
        for exchange, future in batch:
            if future is not None:
                futures, exchanges = by_loop.setdefault(future.get_loop(), ([], []))
                futures.append(future)
                exchanges.append(exchange)
        for loop, (futures, exchanges) in by_loop.items():
            try:
                loop.call_soon_threadsafe(self._settle, loop, futures, exchanges, error)
            except RuntimeError:  # that loop is closed: nobody is waiting any more
                pass
        return written

    def _write(self, conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> str | None:
        """Write rows in one transaction; None, or why the disk refused them (rolled back then).

        A group commit of small rows is one INSERT, a transaction of its own (see SMALL_ROW); any other (big
        calls, or many that the disk refused before) is BEGIN, a row at a time, COMMIT. The text index is
        written after the answers are released (by _write_loop): FTS5 merges its segments now and then, and no
        call should wait for that."""
        sizes = [_row_bytes(row) for row in rows]
        try:
            if len(rows) <= INSERT_ROWS and max(sizes) <= SMALL_ROW:
                conn.execute(_insert_rows(INSERT, len(rows)), tuple(itertools.chain.from_iterable(rows)))
            else:
                conn.execute("BEGIN IMMEDIATE")
                _insert(conn, rows, index=False)
                conn.execute("COMMIT")
        except sqlite3.Error as exc:
            _rollback(conn)
            return str(exc)
        self._room.take(len(rows), sum(sizes))
        return None

    def _hold(self, refused: list[Exchange]) -> None:
        """Keep what the disk refused in memory for the next try, within MAX_PENDING and max_pending_bytes."""
        self._pending.extend(refused)
        self._pending_bytes += sum(_size(ex) for ex in refused)
        drop = max(len(self._pending) - MAX_PENDING, 0)
        over = self._pending_bytes
        for ex in self._pending[:drop]:
            over -= _size(ex)
        while over > self.max_pending_bytes and drop < len(self._pending) - 1:
            over -= _size(self._pending[drop])
            drop += 1
        if drop:
            del self._pending[:drop]
            self._pending_bytes = over
            self.dropped += drop
            log.error("the disk still refuses writes: %d older unrecorded %s given up to bound memory", drop,
                      "call" if drop == 1 else "calls")

    @property
    def pending_bytes(self) -> int:
        """Bytes of exchanges held in memory, waiting for the disk."""
        return self._pending_bytes

    # -- reading -------------------------------------------------------------------------------------
    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._read_lock:
            return self._reader.execute(sql, params).fetchall()

    def get(self, ident: str) -> Exchange | None:
        """An exchange by id or by a unique id prefix (at least MIN_ID_PREFIX characters)."""
        rows = self._query(f"SELECT {COLUMNS} FROM exchanges WHERE id = ?", (ident,))
        if not rows and len(ident) >= MIN_ID_PREFIX:
            rows = self._query(
                f"SELECT {COLUMNS} FROM exchanges WHERE id LIKE ? ESCAPE '\\' LIMIT 4",
                (_like_escape(ident) + "%",),
            )
            if len(rows) > 1:
                some = ", ".join(row["id"] for row in rows[:3]) + (", ..." if len(rows) > 3 else "")
                raise StoreError(f"id prefix {ident!r} matches more than one exchange ({some}); give more characters")
        return _exchange(rows[0]) if rows else None

    def list(
        self, flt: Filter | None = None, *, limit: int | None = None, newest_first: bool = False
    ) -> list[Exchange]:
        """Exchanges oldest first (or newest first), narrowed by a Filter."""
        query = _Query.of(flt)
        sql = f"SELECT {COLUMNS} FROM {query.source} {query.where} ORDER BY {query.order} "
        sql += "DESC" if newest_first else "ASC"
        params = query.params
        if limit is not None:
            sql += " LIMIT ?"
            params = (*params, limit)
        return [_exchange(row) for row in self._query(sql, params)]

    def iter(
        self, flt: Filter | None = None, *, last: int | None = None, summaries: bool = False
    ) -> Iterator[Exchange]:
        """Exchanges oldest first (only the newest `last` of them when given), read a page at a time:
        memory stays flat however many there are, and the store is not held between pages.

        With summaries, each comes without its headers, bodies and log (left empty; `get` has them):
        enough for a list line or a table row, at a fraction of the reading."""
        query = _Query.of(flt)
        columns, build = (SUMMARY_COLUMNS, _summary) if summaries else (COLUMNS, _exchange)
        after = 0
        if last is not None:
            if last <= 0:
                return
            start = self._query(f"SELECT {query.order} FROM {query.source} {query.where} "
                                f"ORDER BY {query.order} DESC LIMIT 1 OFFSET ?", (*query.params, last - 1))
            after = start[0][0] - 1 if start else 0
        page = query.narrowed(f"{query.order} > ?")
        sql = f"SELECT {query.order}, {columns} FROM {page.source} {page.where} ORDER BY {query.order} LIMIT ?"
        while True:
            rows = self._query(sql, (*page.params, after, PAGE))
            for row in rows:
                yield build(row)
            if len(rows) < PAGE:
                return
            after = rows[-1][0]

    def summaries(
        self, flt: Filter | None = None, *, after: int = 0, upto: int | None = None, limit: int = PAGE,
        newest: bool = False,
    ) -> builtins.list[tuple[int, Exchange]]:
        """(seq, summary) pairs oldest first: the first `limit` with seq in (after, upto], or with newest the last
        `limit` of them. A summary has no headers, bodies or log (`get` reads those): what a view's row shows."""
        query = _Query.of(flt).narrowed(f"{_Query.of(flt).order} > ?")
        params: tuple[Any, ...] = (*query.params, after)
        if upto is not None:
            query = query.narrowed(f"{query.order} <= ?")
            params = (*params, upto)
        sql = (f"SELECT {query.order} AS seq, {SUMMARY_COLUMNS} FROM {query.source} {query.where} "
               f"ORDER BY {query.order} {'DESC' if newest else 'ASC'} LIMIT ?")
        rows = [(int(row["seq"]), _summary(row)) for row in self._query(sql, (*params, limit))]
        return rows[::-1] if newest else rows

    def last_seq(self) -> int:
        """The sequence number of the newest exchange (0 when there is none)."""
        return int(self._query("SELECT COALESCE(MAX(seq), 0) FROM exchanges")[0][0])

    def recent_paths(self, limit: int = 10) -> builtins.list[str]:  # `list` here is Store.list
        """Paths that received real hook calls, most recently used first."""
        rows = self._query("SELECT path FROM paths ORDER BY last_seq DESC LIMIT ?", (limit,))
        return [row["path"] for row in rows]

    def kind_paths(self) -> dict[str, str]:
        """The path each hook kind was last called on with the expected credential (one index probe per kind,
        however big the store): a stranger's refused calls never choose where Okta's hooks point."""
        out: dict[str, str] = {}
        for kind in KINDS:
            if kind != "unknown":
                rows = self._query("SELECT path FROM exchanges WHERE kind = ? AND auth_ok = 1 ORDER BY seq DESC "
                                   "LIMIT 1", (kind,))
                if rows:
                    out[kind] = rows[0]["path"]
        return out

    def between(self, start: float, end: float, limit: int = 1000) -> builtins.list[Exchange]:
        """Exchanges recorded from start to end (epoch seconds), oldest first."""
        rows = self._query(
            f"SELECT {COLUMNS} FROM exchanges WHERE time BETWEEN ? AND ? ORDER BY time LIMIT ?", (start, end, limit)
        )
        return [_exchange(row) for row in rows]

    # -- what Okta logged ----------------------------------------------------------------------------
    def add_okta_events(self, events: builtins.list[OktaEvent]) -> None:
        """Keep System Log events; a later match fills in an event's exchange, a later miss never clears it."""
        if not events:
            return
        with self._write_conn() as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "INSERT INTO okta_events (uuid, exchange_id, published, event_type, event) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(uuid) DO UPDATE SET exchange_id = COALESCE(excluded.exchange_id, exchange_id)",
                [(e.uuid, e.exchange_id, e.published, e.event_type, jsonfast.dumps(e.event)) for e in events],
            )
            conn.execute("COMMIT")

    def okta_events(self, exchange_id: str) -> builtins.list[OktaEvent]:
        """What Okta logged about one exchange, oldest first."""
        rows = self._query(
            "SELECT uuid, exchange_id, published, event_type, event FROM okta_events WHERE exchange_id = ? "
            "ORDER BY published",
            (exchange_id,),
        )
        return [OktaEvent(r["uuid"], r["exchange_id"], r["published"], r["event_type"], jsonfast.loads(r["event"]))
                for r in rows]

    def count(self, flt: Filter | None = None) -> int:
        query = _Query.of(flt)
        if query.text_only:  # the index alone knows: no need to visit a million rows
            return int(self._query(f"SELECT COUNT(*) FROM {TEXT_MATCH}", query.params)[0][0])
        return int(self._query(f"SELECT COUNT(*) FROM {query.source} {query.where}", query.params)[0][0])


TEXT_MATCH = "exchanges_text WHERE exchanges_text MATCH ?"


@dataclass(frozen=True, slots=True)
class _Query:
    """A Filter as SQL: the tables to read, the conditions, and the column that orders them (the sequence).

    With words to find, the full-text index drives the query, newest or oldest first by its rowid (which is
    the exchange's seq), so the newest 1,000 matches of a million cost 1,000 row lookups, not a million.
    """

    source: str
    clauses: tuple[str, ...]
    params: tuple[Any, ...]
    order: str
    text_only: bool = False

    @property
    def where(self) -> str:
        return "WHERE " + " AND ".join(self.clauses) if self.clauses else ""

    def narrowed(self, clause: str) -> _Query:
        return dataclasses.replace(self, clauses=(*self.clauses, clause), text_only=False)

    @staticmethod
    def of(flt: Filter | None) -> _Query:
        flt = flt or Filter()
        clauses: builtins.list[str] = []
        params: builtins.list[Any] = []
        for column, value in (("kind", flt.kind), ("path", flt.path), ("status", flt.status),
                              ("auth_ok", flt.auth_ok), ("valid_ok", flt.valid_ok)):
            if value is not None and value != "":
                clauses.append(f"exchanges.{column} = ?")
                params.append(int(value) if isinstance(value, bool) else value)
        match = text_query(flt.text) if flt.text else None
        if match is not None:
            return _Query(
                source="exchanges_text JOIN exchanges ON exchanges.seq = exchanges_text.rowid",
                clauses=("exchanges_text MATCH ?", *clauses),
                params=(match, *params),
                order="exchanges_text.rowid",
                text_only=not clauses,
            )
        if flt.text:  # no word in it (`{}`, `%`): the slow way, a scan for the characters
            like = "%" + _like_escape(flt.text) + "%"
            clauses.append(
                "(path LIKE ? ESCAPE '\\' OR CAST(req_body AS TEXT) LIKE ? ESCAPE '\\' "
                "OR CAST(resp_body AS TEXT) LIKE ? ESCAPE '\\')"
            )
            params.extend([like, like, like])
        return _Query(source="exchanges", clauses=tuple(clauses), params=tuple(params), order="exchanges.seq")


_Item = tuple[Exchange, "asyncio.Future[None] | None"]


def _checkpoint(conn: sqlite3.Connection) -> int | None:
    """Copy what the WAL holds into the database without waiting for anyone; the WAL's length in pages then
    (None when that failed: the next one tries again)."""
    try:
        _, frames, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    except sqlite3.Error as exc:
        log.debug("checkpoint failed: %s", exc)
        return None
    return int(frames)


@dataclass(slots=True)
class _Room:
    """The exchanges and bytes the writer may still add under the retention bounds, as retention last saw them,
    and until when that look holds. Empty (the default): retention looks after the next batch."""

    rows: int = 0
    bytes: int = 0
    until: float = 0.0

    @classmethod
    def under(cls, keep: Retention, rows: int, used: int) -> _Room:
        unbounded = 1 << 62
        return cls(rows=keep.max_exchanges - rows if keep.max_exchanges is not None else unbounded,
                   bytes=keep.max_bytes - used if keep.max_bytes is not None else unbounded,
                   until=time.monotonic() + RETAIN_LOOK_S)

    def take(self, rows: int, size: int) -> None:
        """Count rows just written, of `size` bytes of content (on disk, with the text index: under twice that)."""
        self.rows -= rows
        self.bytes -= 2 * size

    def left(self) -> bool:
        return self.rows > 0 and self.bytes > 0 and time.monotonic() < self.until


@dataclass(frozen=True, slots=True)
class _Unindexed:
    """How many exchanges this writer committed whose text is not indexed yet, and by when it is due."""

    rows: int = 0
    due: float = 0.0


def _index_due(conn: sqlite3.Connection, unindexed: _Unindexed, written: int, *, now: bool) -> _Unindexed:
    """Count the rows just written as waiting for the text index, and index them all when it is due."""
    if written:
        due = unindexed.due if unindexed.rows else time.monotonic() + INDEX_DELAY
        unindexed = _Unindexed(unindexed.rows + written, due)
    if unindexed.rows and (now or unindexed.rows >= INDEX_ROWS or time.monotonic() >= unindexed.due):
        _index_newest(conn)
        return _Unindexed()
    return unindexed


class _Inbox:
    """What waits for the writer thread: lists of exchanges (a loop turn's each), and None to stop. A
    queue.SimpleQueue: putting is a C call that wakes the writer only when it waits."""

    def __init__(self) -> None:
        self._lists: queue.SimpleQueue[builtins.list[_Item] | None] = queue.SimpleQueue()

    def put(self, items: builtins.list[_Item] | None) -> None:
        self._lists.put(items)

    def take(self, limit: int, timeout: float | None) -> tuple[builtins.list[_Item], bool]:
        """(items, stop): the lists waiting, joined, until they hold `limit` items; waiting for the first one at
        most `timeout` seconds when there is none. stop: None was put."""
        try:
            first = self._lists.get(timeout=timeout)
        except queue.Empty:
            return [], False
        if first is None:
            return [], True
        items = list(first)
        while len(items) < limit:
            try:
                more = self._lists.get_nowait()
            except queue.Empty:
                break
            if more is None:
                return items, True
            items += more
        return items, False

    def empty(self) -> bool:
        return self._lists.empty()


def _connect_readonly(path: Path) -> tuple[sqlite3.Connection, int]:
    """A read-only connection and the schema version it sees."""
    uri = path.resolve().as_uri() + "?mode=ro"
    error: sqlite3.Error | None = None
    # On read-only media SQLite cannot create the WAL's shared-memory file: read the file as immutable then.
    for suffix in ("", "&immutable=1"):
        conn = sqlite3.connect(uri + suffix, uri=True, timeout=10, check_same_thread=False, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout = 10000")
            return conn, int(conn.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.Error as exc:
            conn.close()
            error = exc
    raise StoreError(f"cannot read the store {path}: {error}")


def private_folder(folder: Path) -> None:
    """Create the store's folder readable by the user only; hookdev's own .hookdev is made private again."""
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True)
    elif folder.name == ".hookdev" and folder.stat().st_mode & 0o077 and os.access(folder, os.W_OK):
        # It holds the exchanges (bodies, tokens), the signing keys and the agent's authtoken.
        try:
            folder.chmod(0o700)
        except OSError:
            pass


def _settle(future: asyncio.Future[None], error: str | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(StoreError(f"the store refused the write: {error}"))


def text_query(text: str) -> str | None:
    """The full-text query for a filter's text: its words in order, the last one as a prefix (FTS5 splits
    the text into words as it split the bodies: letters and digits, case and accents folded); None when the
    text has no word in it."""
    if not _WORD.search(text):
        return None
    return '"' + text.replace('"', '""') + '" *'


def _like_escape(text: str) -> str:
    """Text matched literally inside a LIKE pattern (with ESCAPE '\\')."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
