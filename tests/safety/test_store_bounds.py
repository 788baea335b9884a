"""Finding 5: what a stranger can make hookdev keep is bounded: refused bodies, the store, the memory queue."""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hookdev.receiver.store import Store
from tests.conftest import ROOT, SAMPLES
from tests.safety.serving import Serve, clean_env, http, request, wait_for

TOKEN = json.loads((SAMPLES / "token.json").read_text())
MIB = 1024 * 1024


def padded(size: int) -> bytes:
    return json.dumps({**TOKEN, "data": {**TOKEN["data"], "pad": "x" * size}}).encode()


def stored(store_path: Path) -> list:
    store = Store(store_path, readonly=True)
    try:
        return list(store.iter())
    finally:
        store.close()


def used_bytes(store_path: Path) -> int:
    conn = sqlite3.connect(f"{store_path.as_uri()}?mode=ro", uri=True)
    try:
        pages, free, size = (conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "freelist_count",
                                                                                   "page_size"))
        return (pages - free) * size
    finally:
        conn.close()


def test_a_refused_call_keeps_at_most_4_kib_of_its_body(tmp_path: Path) -> None:
    (tmp_path / "hookdev.toml").write_text('[auth]\nmode = "basic"\nusername = "u"\npassword = "not-published"\n')
    big = padded(MIB - 64 * 1024)  # just under the 1 MiB limit
    with Serve(tmp_path, ["--json"]) as serve:
        for _ in range(20):
            status, _, _ = http(serve.address, request("POST", "/tokenHook", big, "Content-Type: application/json",
                                                       "Authorization: Basic AAAA"))
            assert status == 401
        wait_for(lambda: len([e for e in serve.json_lines() if e.get("event") == "exchange"]) == 20, "20 lines")
    store_path = tmp_path / ".hookdev" / "hookdev.db"
    exchanges = stored(store_path)
    assert len(exchanges) == 20
    assert all(len(ex.request.body) == 4096 and ex.request.truncated for ex in exchanges)
    assert exchanges[0].request.body == big[:4096]  # the start is kept, to recognise the call by
    assert sum(p.stat().st_size for p in store_path.parent.glob("hookdev.db*")) < 2 * MIB  # not 19 MiB


def test_the_store_keeps_the_newest_exchanges_within_its_bounds(tmp_path: Path) -> None:
    (tmp_path / "hookdev.toml").write_text('[auth]\nmode = "none"\n[server]\nmax_exchanges = 40\n')
    with Serve(tmp_path, ["--json"]) as serve:
        ids = [http(serve.address, request("POST", f"/n{i}", padded(10), "Content-Type: application/json"))[1]
               ["x-hookdev-exchange"] for i in range(100)]
        store_path = tmp_path / ".hookdev" / "hookdev.db"
        kept = wait_for(lambda: (found := stored(store_path)) and len(found) <= 40 and found, "retention by count")
        assert [ex.id for ex in kept] == ids[-len(kept):] and len(kept) >= 30  # the oldest went first
        assert kept[-1].request.path == "/n99"

    (tmp_path / "hookdev.toml").write_text('[auth]\nmode = "none"\n[server]\nmax_store_mb = 1\n')
    with Serve(tmp_path, ["--json"]) as serve:
        for i in range(60):  # 6 MiB of bodies into a 1 MiB store
            assert http(serve.address, request("POST", f"/b{i}", padded(100_000),
                                               "Content-Type: application/json"))[0] == 204
        wait_for(lambda: used_bytes(store_path) <= MIB, "retention by size")
        newest = stored(store_path)[-1]
        assert newest.request.path == "/b59"
    assert store_path.stat().st_size < 3 * MIB  # freed pages are reused: the file stops growing


CHILD = r'''
import asyncio, json, resource, sys
from pathlib import Path
import aiohttp
from hookdev.receiver.session import Session
from hookdev.receiver.store import Store
from tests.conftest import make_settings

async def main(tmp):
    tmp = Path(tmp)
    settings = make_settings(tmp, auth={"mode": "none"})
    store = Store(settings.path(settings.server.store), max_pending_bytes=2 * 1024 * 1024)
    session = Session(settings, store=store)
    notices = []
    session.on_notice(lambda level, message: notices.append(message))
    await session.start()
    out = {}
    try:
        body = json.dumps({"eventType": "com.okta.oauth2.tokens.transform", "data": {"pad": "x" * 500_000}})
        files = [p for p in tmp.glob(".hookdev/hookdev.db*") if p.is_file()]
        resource.setrlimit(resource.RLIMIT_FSIZE, (max(p.stat().st_size for p in files) + 4096,
                                                   resource.RLIM_INFINITY))
        statuses, peak = [], 0
        async with aiohttp.ClientSession() as http:
            for _ in range(12):  # 6 MB that the disk refuses
                async with http.post(session.local_url + "/tokenHook", data=body) as resp:
                    statuses.append(resp.status)
                peak = max(peak, store.pending_bytes)
        out.update(statuses=statuses, peak=peak, dropped=store.dropped, notices=notices)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        await session.stop()
    print(json.dumps(out))

asyncio.run(main(sys.argv[1]))
'''


def test_calls_waiting_for_a_full_disk_are_bounded_by_bytes(tmp_path: Path) -> None:
    # RLIMIT_FSIZE in a child process: SQLite's writes fail as on a full disk (see reliability/test_disk_full).
    done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path)], cwd=ROOT, env=clean_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["statuses"] == [204] * 12  # Okta got every answer
    assert 0 < out["peak"] <= 2 * MIB + 600_000, out["peak"]  # at most the cap, plus the call that crossed it
    assert out["dropped"] >= 7  # the oldest waiting calls were given up instead of piling up
    assert any("given up" in notice for notice in out["notices"]), out["notices"]
    assert os.path.exists(tmp_path / ".hookdev" / "hookdev.db")


def memory_kib(pid: int, field: str) -> int:
    line = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith(field))
    return int(line.split()[1])


@pytest.mark.skipif(not hasattr(resource, "prlimit") or not Path("/proc/self/status").exists(),
                    reason="sets a running serve's RLIMIT_FSIZE with prlimit(2) and reads /proc (Linux)")
def test_a_real_serve_on_a_full_disk_answers_keeps_its_memory_bounded_and_resumes(tmp_path: Path) -> None:
    CALLS = 200  # noqa: N806 (serve's stdout is under the same size limit: keep its lines under it)
    (tmp_path / "hookdev.toml").write_text('[auth]\nmode = "none"\n')
    with Serve(tmp_path, ["--json"]) as serve:
        assert serve.proc is not None
        assert http(serve.address, request("POST", "/first", padded(10), "Content-Type: application/json"))[0] == 204
        folder = tmp_path / ".hookdev"
        wait_for(lambda: stored(folder / "hookdev.db"), "the first call on disk")
        before = memory_kib(serve.proc.pid, "VmRSS")
        # The disk is full from now on: no file of the serve may grow (EFBIG, where a full disk gives ENOSPC).
        largest = max(p.stat().st_size for p in folder.glob("hookdev.db*"))
        resource.prlimit(serve.proc.pid, resource.RLIMIT_FSIZE, (largest + 4096, resource.RLIM_INFINITY))
        big = padded(900_000)
        statuses = [http(serve.address, request("POST", f"/full{i}", big, "Content-Type: application/json"))[0]
                    for i in range(CALLS)]  # 180 MB that cannot be written
        grown_mib = (memory_kib(serve.proc.pid, "VmHWM") - before) / 1024
        resource.prlimit(serve.proc.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        assert http(serve.address, request("POST", "/after", padded(10), "Content-Type: application/json"))[0] == 204

        def notices() -> list[str]:
            return [e["message"] for e in serve.json_lines() if e.get("event") == "notice"]

        wait_for(lambda: any("works again" in n for n in notices()), "the notice that recording works again")
        kept = wait_for(lambda: (found := stored(folder / "hookdev.db")) and found[-1].request.path == "/after"
                        and found, "the call after the disk came back")
    assert statuses == [204] * CALLS  # Okta got every answer
    # The 64 MiB waiting in memory, and what the allocator keeps of the bodies that came and went (glibc's heap:
    # 107-118 MiB in all, on Python 3.13), not the 180 MB refused.
    assert grown_mib < 64 + 64, grown_mib
    assert any("disk I/O error" in n or "full" in n for n in notices())
    given_up = sum(int(n.split()[0]) for n in notices() if "given up" in n)
    assert given_up >= CALLS - 64 * MIB // len(big) - 1
    assert 60 <= len(kept) <= 2 + CALLS - given_up  # what waited in memory was written once the disk came back
