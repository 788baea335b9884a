"""The SQLite store: round trips, group commit, 0600 file, migrations from an older schema, filters."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sqlite3
import stat
import threading
import time

import pytest

from hookdev.errors import StoreError
from hookdev.models import AuthVerdict, Problem, ResponseSnapshot, Timing, Validation
from hookdev.receiver.store import MIGRATIONS, SCHEMA_VERSION, Filter, Store
from tests.conftest import make_exchange, until


def test_round_trip_keeps_every_field(tmp_path):
    store = Store(tmp_path / "s.db")
    ex = make_exchange(
        auth=AuthVerdict(scheme="oauth", ok=False, reason="expired", detail="token expired 4 min ago",
                         token_header={"alg": "RS256", "kid": "k1"}, claims={"cid": "0oa1"}),
        validation=Validation(ok=False, problems=(Problem("$.commands[0].type", "not allowed", "skipped"),),
                              timing=Timing(duration_ms=12.5, grade="ok", consequence="")),
        response=ResponseSnapshot(status=200, headers=(("Content-Type", "application/json"),), body=b'{"a": 1}'),
        replay_of="abc", source="handler", log="printed\n", error=None, tags=("x",),
    )
    store.add_now(ex)
    assert store.get(ex.id) == ex
    store.close()


def test_the_oldest_and_newest_are_found_without_reading_every_row(tmp_path):
    # Retention asks for both after every group commit; as one `SELECT MIN(seq), MAX(seq)` SQLite reads the
    # whole table for them, at every batch, which grows with the store.
    from hookdev.receiver.store import SEQ_RANGE

    store = Store(tmp_path / "s.db")
    try:
        store.add_now(make_exchange())
        plan = " ".join(row[3] for row in store._reader.execute("EXPLAIN QUERY PLAN " + SEQ_RANGE))
        assert "SEARCH exchanges" in plan and "SCAN exchanges" not in plan
        first, last, used = store._reader.execute(SEQ_RANGE).fetchone()
        assert (first, last) == (1, 1) and used >= 4096 and used % 4096 == 0  # pages in use, bytes each
    finally:
        store.close()


def test_file_is_private_and_in_wal_mode(tmp_path):
    path = tmp_path / "nested" / "dir" / "s.db"
    store = Store(path)
    store.add_now(make_exchange())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    store.close()
    with sqlite3.connect(path) as conn:  # WAL is a property of the file, seen by any connection
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_group_commit_stores_every_concurrent_add(tmp_path):
    store = Store(tmp_path / "s.db")
    store.start()
    exchanges = [make_exchange() for _ in range(300)]
    results = await asyncio.gather(*(store.add(ex) for ex in exchanges))
    assert all(results)
    assert store.count() == 300
    assert {e.id for e in store.list()} == {e.id for e in exchanges}
    store.close()


async def test_add_without_the_writer_says_so_instead_of_waiting_forever(tmp_path):
    store = Store(tmp_path / "s.db")
    with pytest.raises(RuntimeError, match=r"call start\(\) first"):
        await asyncio.wait_for(store.add(make_exchange()), 30)
    store.start()
    assert await store.add(make_exchange())
    store.close()
    with pytest.raises(RuntimeError, match="writer thread"):
        await asyncio.wait_for(store.add(make_exchange()), 30)
    reopened = Store(tmp_path / "s.db")
    assert reopened.count() == 1  # the one add that had a writer, and only that one
    reopened.close()


async def test_listeners_run_after_commit(tmp_path):
    store = Store(tmp_path / "s.db")
    store.start()
    seen: list[tuple[str, int]] = []
    store.subscribe(lambda ex: seen.append((ex.id, store.count())))
    ex = make_exchange()
    await store.add(ex)
    await asyncio.sleep(0)  # the committed batch schedules its listeners with call_soon: one turn runs them
    assert seen == [(ex.id, 1)]
    store.close()


def test_prefix_lookup(tmp_path):
    store = Store(tmp_path / "s.db")
    a, b = make_exchange(id="aaaa1111bbbb0"), make_exchange(id="aaaa2222cccc0")
    store.add_now(a)
    store.add_now(b)
    assert store.get("aaaa1") == a
    assert store.get("zzzz") is None
    with pytest.raises(StoreError, match="more than one"):
        store.get("aaaa")
    store.close()


def test_filters(tmp_path):
    store = Store(tmp_path / "s.db")
    store.add_now(make_exchange(kind="token"))
    store.add_now(make_exchange(kind="registration", auth=AuthVerdict(scheme="basic", ok=False, reason="missing",
                                                                       detail="no header")))
    store.add_now(make_exchange(kind="event", validation=Validation(ok=False), body={"needle": "haystack"}))
    assert store.count(Filter(kind="token")) == 1
    assert [e.kind for e in store.list(Filter(auth_ok=False))] == ["registration"]
    assert [e.kind for e in store.list(Filter(valid_ok=False))] == ["event"]
    assert [e.kind for e in store.list(Filter(text="needle"))] == ["event"]
    assert [e.kind for e in store.list(limit=2, newest_first=True)] == ["event", "registration"]
    store.close()


def test_store_from_an_older_schema_opens_and_migrates(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0])
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO exchanges (id, time, kind, method, path, req_headers, req_body, status, resp_headers, "
        "resp_body, auth, validation, duration_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        ("old0000000001", 1.0, "token", "POST", "/t", "[]", b"{}", 204, "[]", b"",
         json.dumps({"scheme": "none", "ok": True}), json.dumps({"ok": True, "problems": []}), 2.0),
    )
    conn.commit()
    conn.close()
    store = Store(path)
    with sqlite3.connect(path) as migrated:
        assert migrated.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    old = store.get("old0000000001")
    assert old is not None and old.source == "template" and old.log == "" and old.status == 204
    store.add_now(make_exchange())
    assert store.count() == 2
    store.close()


def test_store_from_a_newer_hookdev_is_refused_clearly(tmp_path):
    path = tmp_path / "new.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(StoreError, match="newer hookdev"):
        Store(path)


def test_not_a_database_is_a_clear_error(tmp_path):
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open the store"):
        Store(path)


async def test_two_stores_on_one_file_both_write(tmp_path):
    first, second = Store(tmp_path / "s.db"), Store(tmp_path / "s.db")
    first.start()
    second.start()
    await asyncio.gather(*(s.add(make_exchange()) for s in (first, second) for _ in range(50)))
    assert first.count() == second.count() == 100
    first.close()
    second.close()


async def test_read_only_store_still_answers_and_resumes(tmp_path):
    store = Store(tmp_path / "s.db")
    store.start()
    assert await store.add(make_exchange())
    # Simulate a disk that refuses writes: make the writer's INSERTs fail, then heal it.
    import hookdev.receiver.store as store_module

    good_insert = store_module.INSERT
    store_module.INSERT = "INSERT INTO no_such_table VALUES (?)"
    try:
        held = make_exchange()
        assert await store.add(held) is False
        assert store.last_error
    finally:
        store_module.INSERT = good_insert
    assert await store.add(make_exchange())
    assert store.last_error is None
    assert store.get(held.id) is not None, "the exchange refused earlier is written once the disk works again"
    store.close()


async def test_while_the_disk_refuses_writes_each_batch_tries_one_held_exchange_not_all_of_them(tmp_path, monkeypatch):
    """A disk still full costs one row's try per batch, not a transaction of every exchange held in memory."""
    import hookdev.receiver.store as store_module

    tries: list[int] = []
    write = store_module.Store._write

    def counted(self: Store, conn: sqlite3.Connection, rows: list[tuple[object, ...]]) -> str | None:
        tries.append(len(rows))
        return write(self, conn, rows)

    monkeypatch.setattr(store_module.Store, "_write", counted)
    good_insert = store_module.INSERT
    store = Store(tmp_path / "s.db")
    store.start()
    try:
        monkeypatch.setattr(store_module, "INSERT", "INSERT INTO no_such_table VALUES (?)")
        for _ in range(5):
            assert await store.add(make_exchange()) is False
        assert tries == [1, 1, 1, 1, 1]  # the first call, then each time the oldest one held, alone
        monkeypatch.setattr(store_module, "INSERT", good_insert)
        assert await store.add(make_exchange())
        assert tries[5:] == [1, 5]  # the oldest alone, then the four others with the new call
        assert store.count() == 6
    finally:
        store.close()


def test_text_filter_and_prefix_treat_like_wildcards_literally(tmp_path):
    store = Store(tmp_path / "s.db")
    store.add_now(make_exchange(id="ab_c000000001", body={"v": "50%_off"}))
    store.add_now(make_exchange(id="abxc000000002", body={"v": "50Xxoff"}))
    assert [e.id for e in store.list(Filter(text="50%_off"))] == ["ab_c000000001"]
    assert store.get("ab_c").id == "ab_c000000001"
    store.close()


def _old_store(path, rows):
    """A store as hookdev wrote it before schema 3 (no paths table, no text index), with rows in it."""
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0] + MIGRATIONS[1])
    conn.execute("PRAGMA user_version = 2")
    for ident, kind, path_, body in rows:
        conn.execute(
            "INSERT INTO exchanges (id, time, kind, method, path, req_headers, req_body, status, resp_headers, "
            "resp_body, auth, validation, duration_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (ident, 1.0, kind, "POST", path_, "[]", body, 200, "[]", b'{"commands": []}',
             json.dumps({"scheme": "none", "ok": True}), json.dumps({"ok": True, "problems": []}), 2.0),
        )
    conn.commit()
    conn.close()


def test_an_older_store_gets_its_paths_and_text_index_on_open(tmp_path):
    path = tmp_path / "v2.db"
    _old_store(path, [("old000000001", "token", "/tokenHook", b'{"login": "nia.patel@example.com"}'),
                      ("old000000002", "registration", "/reg", b'{"login": "omar@example.com"}'),
                      ("old000000003", "unknown", "/favicon.ico", b""),
                      ("old000000004", "token", "/tokenHook", b'{"login": "ann@example.com"}')])
    store = Store(path)
    try:
        assert store.recent_paths() == ["/tokenHook", "/reg"]
        assert [e.id for e in store.list(Filter(text="nia.patel"))] == ["old000000001"]
        store.add_now(make_exchange(body={"login": "nia.patel@example.org"}))
        assert store.count(Filter(text="nia.patel")) == 2
        assert store.recent_paths() == ["/tokenHook", "/reg"]
    finally:
        store.close()


def test_a_store_of_schema_6_gets_the_leaner_text_index_with_every_exchange_in_it(tmp_path):
    path = tmp_path / "v6.db"
    _old_store(path, [("old000000001", "token", "/tokenHook", b'{"login": "nia.patel@example.com"}'),
                      ("old000000002", "registration", "/reg", b'{"login": "omar@example.com"}')])
    conn = sqlite3.connect(path, isolation_level=None)
    for number in range(2, 6):
        conn.executescript(MIGRATIONS[number])
    conn.execute("PRAGMA user_version = 6")
    conn.execute(  # written by a schema-6 serve, killed before it indexed this one
        "INSERT INTO exchanges (id, time, kind, method, path, req_headers, req_body, status, resp_headers, "
        "resp_body, auth, validation, duration_ms) VALUES ('old000000003', 2.0, 'token', 'POST', '/tokenHook', "
        "'[]', CAST('{\"login\": \"nia.lee@example.com\"}' AS BLOB), 200, '[]', X'', '{}', '{}', 1.0)")
    conn.close()
    store = Store(path)
    try:
        assert [e.id for e in store.list(Filter(text="nia"))] == ["old000000001", "old000000003"]
        with store._write_conn() as conn:
            assert conn.execute("SELECT seq FROM indexed").fetchone()[0] == 3
            # nothing but the index reads the sizes of each column: the leaner index has none
            assert conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'exchanges_text_docsize'"
                                ).fetchone()[0] == 0
            conn.execute("DELETE FROM exchanges WHERE id = 'old000000001'")  # as retention would
            conn.execute("INSERT INTO exchanges_text (exchanges_text) VALUES ('integrity-check')")
        assert [e.id for e in store.list(Filter(text="nia"))] == ["old000000003"]
        store.add_now(make_exchange(body={"login": "nia.patel@example.org"}))
        assert store.count(Filter(text="nia")) == 2
    finally:
        store.close()


async def test_recent_paths_follow_new_calls_and_skip_unknown_ones(tmp_path):
    store = Store(tmp_path / "s.db")
    store.start()
    try:
        for path_, kind in [("/a", "token"), ("/b", "event"), ("/junk", "unknown"), ("/a", "token")]:
            request = make_exchange().request
            assert await store.add(make_exchange(kind=kind, request=dataclasses.replace(request, path=path_)))
        # the paths are indexed with the text, after the answers
        await until(lambda: store.recent_paths() == ["/a", "/b"], "the paths to be indexed")
        assert store.recent_paths(1) == ["/a"]
    finally:
        store.close()


@pytest.mark.parametrize(
    "text, found",
    [
        ("patel", True),  # a word
        ("PATEL", True),  # case folded
        ("nia.pat", True),  # words in order, the last one cut short
        ("nia.patel@example.com", True),
        ("example.com", True),
        ("nia patel", True),  # any separators between the words
        ("atel", False),  # inside a word: not a word start
        ("patel.nia", False),  # out of order
        ("zoë", True),  # accents folded: matches "Zoe"
        ('pa"tel', False),  # quotes and query syntax are plain text
        ("NOT patel", False),
        ("*", False),  # no word at all: matched as characters (none here)
    ],
)
def test_text_filter_matches_words_and_a_last_word_prefix(tmp_path, text, found):
    store = Store(tmp_path / "s.db")
    try:
        store.add_now(make_exchange(body={"user": {"login": "nia.patel@example.com", "firstName": "Zoe"}}))
        store.add_now(make_exchange(body={"user": {"login": "omar@example.org"}}))
        matched = [e.request.body for e in store.list(Filter(text=text))]
        assert (len(matched) == 1 and b"nia.patel" in matched[0]) if found else matched == []
    finally:
        store.close()


def test_text_without_words_is_matched_as_characters(tmp_path):
    store = Store(tmp_path / "s.db")
    try:
        store.add_now(make_exchange(body={"v": "50%_off"}))
        store.add_now(make_exchange(body={"v": "a@b"}))
        assert store.count(Filter(text="%_")) == 1
        assert store.count(Filter(text="@")) == 1
    finally:
        store.close()


def test_text_filter_finds_the_path_and_the_answer_too(tmp_path):
    store = Store(tmp_path / "s.db")
    try:
        request = dataclasses.replace(make_exchange().request, path="/hooks/registrationSSR")
        store.add_now(make_exchange(request=request))
        store.add_now(make_exchange(response=ResponseSnapshot(status=200, body=b'{"error": {"errorSummary": "DENY"}}')))
        assert store.count(Filter(text="registrationSSR")) == 1
        assert store.count(Filter(text="errorSummary")) == 1
        assert store.count(Filter(text="hooks")) == 1
    finally:
        store.close()


def test_deleted_exchanges_leave_the_text_index_and_the_paths(tmp_path):
    store = Store(tmp_path / "s.db")
    try:
        first = make_exchange(body={"who": "nia"}, request=dataclasses.replace(make_exchange().request, path="/x"))
        store.add_now(first)
        store.add_now(make_exchange(body={"who": "omar"}))
        with store._write_conn() as conn:  # as retention would
            conn.execute("DELETE FROM exchanges WHERE id = ?", (first.id,))
            conn.execute("INSERT INTO exchanges_text (exchanges_text) VALUES ('integrity-check')")
        assert store.count(Filter(text="nia")) == 0
        assert store.count(Filter(text="omar")) == 1
        assert store.recent_paths() == ["/tokenHook"]
    finally:
        store.close()


async def test_iter_reads_a_page_at_a_time_in_order(tmp_path, monkeypatch):
    import hookdev.receiver.store as store_module

    monkeypatch.setattr(store_module, "PAGE", 3)
    store = Store(tmp_path / "s.db")
    try:
        added = [make_exchange(kind="token" if i % 2 else "event") for i in range(10)]
        for ex in added:
            store.add_now(ex)
        assert [e.id for e in store.iter()] == [e.id for e in added]
        assert [e.id for e in store.iter(Filter(kind="token"))] == [e.id for e in added if e.kind == "token"]
        assert [e.id for e in store.iter(last=4)] == [e.id for e in added[-4:]]
        events = [e.id for e in added if e.kind == "event"]
        assert [e.id for e in store.iter(Filter(kind="event"), last=2)] == events[-2:]
        assert [e.id for e in store.iter(last=50)] == [e.id for e in added]
        assert list(store.iter(last=0)) == []
        assert list(store.iter(Filter(kind="saml"))) == []
    finally:
        store.close()


async def test_words_combine_with_the_other_filters_newest_first(tmp_path, monkeypatch):
    import hookdev.receiver.store as store_module

    monkeypatch.setattr(store_module, "PAGE", 2)
    store = Store(tmp_path / "s.db")
    try:
        made = []
        for i in range(9):
            kind = "token" if i % 3 else "event"
            made.append(make_exchange(kind=kind, body={"who": "nia" if i % 2 else "omar", "n": i}))
        store.add_many(made)
        nia_tokens = [e.id for e in made if e.kind == "token" and b"nia" in e.request.body]
        assert [e.id for e in store.list(Filter(text="nia", kind="token"))] == nia_tokens
        assert [e.id for e in store.list(Filter(text="nia", kind="token"), limit=2, newest_first=True)] == \
            nia_tokens[::-1][:2]
        assert [e.id for e in store.iter(Filter(text="nia", kind="token"))] == nia_tokens
        assert [e.id for e in store.iter(Filter(text="nia"), last=3)] == \
            [e.id for e in made if b"nia" in e.request.body][-3:]
        assert store.count(Filter(text="nia")) == 4
        assert store.count(Filter(text="nia", kind="token")) == len(nia_tokens)
        assert store.count(Filter(text="nobody")) == 0
    finally:
        store.close()


def test_add_many_writes_in_batches_and_skips_ids_already_stored(tmp_path):
    store = Store(tmp_path / "s.db")
    try:
        made = [make_exchange(body={"n": i}) for i in range(7)]
        store.add_many(made[:3])
        store.add_many(made, batch=2)
        assert [e.id for e in store.list()] == [e.id for e in made]
        assert store.count(Filter(text="n")) == 7
    finally:
        store.close()


def test_summaries_say_what_a_list_line_says_without_the_bodies(tmp_path):
    from hookdev.io.render import summary_line

    store = Store(tmp_path / "s.db")
    try:
        store.add_many([
            make_exchange(),
            make_exchange(kind="registration", auth=AuthVerdict(scheme="oauth", ok=False, reason="expired",
                                                                detail="token expired", claims={"exp": 1})),
            make_exchange(validation=Validation(ok=False, problems=(Problem("$.commands", "bad", "ignored"),)),
                          error="boom", replay_of="abcd00000001"),
        ])
        full, brief = list(store.iter()), list(store.iter(summaries=True))
        assert [e.to_json() for e in brief] == [e.to_json() for e in full]
        assert [summary_line(e) for e in brief] == [summary_line(e) for e in full]
        assert all(e.request.body == b"" and e.request.headers == () for e in brief)
        assert full[0].request.body != b""
    finally:
        store.close()


def test_what_okta_logged_about_a_call_is_kept_and_goes_with_it(tmp_path):
    from hookdev.receiver.store import OktaEvent

    store = Store(tmp_path / "s.db")
    try:
        ex = make_exchange()
        store.add_now(ex)
        event = {"uuid": "u1", "eventType": "inline_hook.executed"}
        store.add_okta_events([OktaEvent("u1", ex.id, 1.0, "inline_hook.executed", event),
                               OktaEvent("u2", None, 2.0, "inline_hook.created", {"uuid": "u2"})])
        store.add_okta_events([OktaEvent("u1", None, 1.0, "inline_hook.executed", event)])  # a later miss
        assert [e.event for e in store.okta_events(ex.id)] == [event]
        with store._write_conn() as conn:  # as retention would
            conn.execute("DELETE FROM exchanges WHERE id = ?", (ex.id,))
        assert store.okta_events(ex.id) == []
    finally:
        store.close()


async def test_text_is_indexed_after_the_answer_and_caught_up_after_a_kill(tmp_path):
    import hookdev.receiver.store as store_module

    path = tmp_path / "s.db"
    store = Store(path)
    # A writer killed between its two commits: the rows are there, their text is not indexed yet.
    with store._write_conn() as conn:
        conn.execute("BEGIN IMMEDIATE")
        store_module._insert(conn, [store_module._row(make_exchange(body={"who": "nia"}))], index=False)
        conn.execute("COMMIT")
    assert store.count(Filter(text="nia")) == 0
    store.start()
    try:
        assert await store.add(make_exchange(body={"who": "nia again"}))
        await until(lambda: store.count(Filter(text="nia")) == 2, "the text index to catch up")
        assert store.count() == 2
        assert store.recent_paths() == ["/tokenHook"]  # indexed with the text
    finally:
        store.close()


async def test_text_waiting_for_the_index_is_indexed_when_the_store_closes(tmp_path):
    path = tmp_path / "s.db"
    store = Store(path)
    store.start()
    try:
        added = await asyncio.gather(*(store.add(make_exchange(body={"who": f"nia {n}"})) for n in range(40)))
        assert all(added)
    finally:
        store.close()
    reader = Store(path, readonly=True)
    try:
        assert reader.count(Filter(text="nia")) == 40
    finally:
        reader.close()


async def test_two_writers_on_one_store_index_every_exchange_once(tmp_path):
    path = tmp_path / "s.db"
    serving, importing = Store(path), Store(path)
    serving.start()
    try:
        assert await serving.add(make_exchange(body={"who": "nia"}))  # committed; its text waits for the index
        importing.add_many([make_exchange(body={"who": "nia too"})])  # indexes what it finds above the index
    finally:
        serving.close()  # indexes what is left: nothing, both are in
        importing.close()
    store = Store(path)
    try:
        with store._write_conn() as conn:
            conn.execute("INSERT INTO exchanges_text (exchanges_text) VALUES ('integrity-check')")
        assert store.count(Filter(text="nia")) == 2 and store.count(Filter(text="too")) == 1
    finally:
        store.close()


def test_deleting_an_exchange_not_yet_indexed_keeps_the_index_sound(tmp_path):
    import hookdev.receiver.store as store_module

    store = Store(tmp_path / "s.db")
    try:
        store.add_now(make_exchange(body={"who": "omar"}))
        with store._write_conn() as conn:
            conn.execute("BEGIN IMMEDIATE")
            store_module._insert(conn, [store_module._row(make_exchange(body={"who": "omar nia"}))], index=False)
            conn.execute("COMMIT")
            conn.execute("DELETE FROM exchanges WHERE seq = (SELECT MAX(seq) FROM exchanges)")
            conn.execute("INSERT INTO exchanges_text (exchanges_text) VALUES ('integrity-check')")
        assert store.count(Filter(text="omar")) == 1
        assert store.count(Filter(text="nia")) == 0
    finally:
        store.close()


def test_stopping_does_not_wait_for_retention_to_catch_up(tmp_path, monkeypatch):
    """A store far over its bounds (a big one, first opened with retention) is trimmed a chunk at a time while
    serve runs; stopping ends that at once instead of deleting everything left first."""
    from hookdev.receiver import store as store_module
    from hookdev.receiver.store import Retention

    path = tmp_path / "big.db"
    filler = Store(path)
    filler.add_many(make_exchange() for _ in range(10))
    filler.close()
    monkeypatch.setattr(store_module, "RETAIN_CHUNK", 1)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the writer waits for this lock before it can delete anything
    store = Store(path, retention=Retention(max_exchanges=1))
    store.start()
    closing = threading.Thread(target=store.close)
    closing.start()  # asks the writer to stop while it still waits for the lock
    deadline = time.monotonic() + 20
    while store._inbox.empty() and time.monotonic() < deadline:  # until close() has asked
        time.sleep(0.001)
    other.execute("COMMIT")
    other.close()
    closing.join(timeout=30)
    assert not closing.is_alive()
    left = Store(path)
    try:
        assert left.count() >= 9  # at most the one chunk already under way was deleted, not 9 of 10
    finally:
        left.close()


async def test_the_wal_is_copied_into_the_database_off_the_writers_path(tmp_path):
    """Commits only append to the WAL; a thread of the store's own copies it into the database file soon after
    (SQLite's automatic checkpoint used to do it inside a commit, and the call waiting on that commit waited)."""
    path = tmp_path / "s.db"
    store = Store(path)
    store.start()
    try:
        before = path.stat().st_size
        for _ in range(20):
            await asyncio.gather(*(store.add(make_exchange(body={"pad": "x" * 4000})) for _ in range(20)))
        assert path.with_name(path.name + "-wal").stat().st_size > 400 * 4000  # the commits wrote the WAL
        await until(lambda: path.stat().st_size > before + 400 * 4000, "the WAL copied into the database")
        assert store.count() == 400
    finally:
        store.close()


async def test_retention_looks_again_when_another_writer_filled_the_store(tmp_path, monkeypatch):
    """Retention reads how full the store is only once this writer may have filled the room it saw, or a while
    after its last look: an import into the same store meanwhile is trimmed all the same."""
    from hookdev.receiver import store as store_module
    from hookdev.receiver.store import Retention

    monkeypatch.setattr(store_module, "RETAIN_LOOK_S", 0.2)
    path = tmp_path / "s.db"
    store = Store(path, retention=Retention(max_exchanges=50))
    store.start()
    try:
        assert await store.add(make_exchange())  # retention looks: room for 49 more
        importing = Store(path)
        importing.add_many(make_exchange() for _ in range(200))
        importing.close()

        async def trimmed() -> bool:
            await store.add(make_exchange())  # one row: far from filling the room this writer saw
            return store.count() <= 50

        for _ in range(20):  # a second at least: long past RETAIN_LOOK_S, far from this writer's 49 rows
            if await trimmed():
                break
            await asyncio.sleep(0.05)
        assert store.count() <= 50
        assert store.count() >= 40  # the newest, toward 90 % of the bound
    finally:
        store.close()
