"""The SQLite store: round trips, group commit, 0600 file, migrations from an older schema, filters."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import stat

import pytest

from hookdev.errors import StoreError
from hookdev.models import AuthVerdict, Problem, ResponseSnapshot, Timing, Validation
from hookdev.receiver.store import MIGRATIONS, SCHEMA_VERSION, Filter, Store
from tests.conftest import make_exchange


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


def test_file_is_private_and_in_wal_mode(tmp_path):
    path = tmp_path / "nested" / "dir" / "s.db"
    store = Store(path)
    store.add_now(make_exchange())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store._reader.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


async def test_group_commit_stores_every_concurrent_add(tmp_path):
    store = Store(tmp_path / "s.db")
    store.start()
    exchanges = [make_exchange() for _ in range(300)]
    results = await asyncio.gather(*(store.add(ex) for ex in exchanges))
    assert all(results)
    assert store.count() == 300
    assert {e.id for e in store.list()} == {e.id for e in exchanges}
    store.close()


async def test_listeners_run_after_commit(tmp_path):
    store = Store(tmp_path / "s.db")
    store.start()
    seen: list[tuple[str, int]] = []
    store.subscribe(lambda ex: seen.append((ex.id, store.count())))
    ex = make_exchange()
    await store.add(ex)
    await asyncio.sleep(0)
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
    assert store._reader.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
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
    store._reader.execute("PRAGMA query_only = 0")
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


def test_text_filter_and_prefix_treat_like_wildcards_literally(tmp_path):
    store = Store(tmp_path / "s.db")
    store.add_now(make_exchange(id="ab_c000000001", body={"v": "50%_off"}))
    store.add_now(make_exchange(id="abxc000000002", body={"v": "50Xxoff"}))
    assert [e.id for e in store.list(Filter(text="50%_off"))] == ["ab_c000000001"]
    assert store.get("ab_c").id == "ab_c000000001"
    store.close()
