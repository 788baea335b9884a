"""Inspector at scale: load 10,000 stored exchanges, ingest a burst of 1,000 calls, key latency during a burst.

Run: python bench/bench_inspector.py   (a real Session on 127.0.0.1 port 0, the inspector headless via Pilot)

The calls come from a separate process, as Okta's would: the inspector's loop serves them and draws them, but
does not also generate them. `--in-process` sends them from the inspector's own loop instead (a harsher case).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hookdev.config import load_settings  # noqa: E402
from hookdev.models import AuthVerdict, Exchange, RequestSnapshot, ResponseSnapshot, Validation, new_id  # noqa: E402
from hookdev.receiver.session import Session  # noqa: E402
from hookdev.receiver.store import Store  # noqa: E402
from hookdev.tui.app import HookdevApp  # noqa: E402

STORED = 10_000
BURST = 1_000
RATE = 200  # calls per second, as in the issue
BODY = (Path(__file__).resolve().parent.parent / "hookdev" / "sample_payloads" / "token.json").read_bytes()


def stored_exchange(n: int, now: float) -> Exchange:
    t = now - STORED + n
    request = RequestSnapshot("POST", "/tokenHook", headers=(("Content-Type", "application/json"),), body=BODY)
    return Exchange(id=new_id(t), time=t, kind="token", request=request, response=ResponseSnapshot(204),
                    auth=AuthVerdict("none", True), validation=Validation(), duration_ms=1.0)


async def fill(path: Path) -> None:
    store = Store(path)
    store.start()
    now = time.time()
    await asyncio.gather(*(store.add(stored_exchange(n, now)) for n in range(STORED)))
    await asyncio.to_thread(store.close)


async def until(predicate, timeout: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("the inspector did not catch up")
        await asyncio.sleep(0.005)


async def post_burst(url: str, count: int, rate: float | None) -> None:
    async with aiohttp.ClientSession() as http:
        async def one() -> None:
            async with http.post(url, data=BODY, headers={"Content-Type": "application/json"}) as resp:
                await resp.read()

        if rate is None:
            await asyncio.gather(*(one() for _ in range(count)))
            return
        tasks = []
        for i in range(count):
            tasks.append(asyncio.ensure_future(one()))
            await asyncio.sleep(max(0.0, (i + 1) / rate - (time.perf_counter() - post_burst.started)))  # type: ignore[attr-defined]
        await asyncio.gather(*tasks)


async def external_burst(url: str, count: int, rate: float | None) -> None:
    """The same burst from a child process (this script with --load)."""
    args = [sys.executable, __file__, "--load", url, str(count), str(rate or 0)]
    proc = await asyncio.create_subprocess_exec(*args)
    if await proc.wait() != 0:
        raise RuntimeError("the load process failed")


async def load_main(url: str, count: int, rate: float) -> None:
    post_burst.started = time.perf_counter()  # type: ignore[attr-defined]
    await post_burst(url, count, rate or None)


async def key_latency(app: HookdevApp, table, key: str, limit_s: float = 5.0) -> float:
    """Milliseconds from a key arriving at the app to the list's selection having moved to another call."""
    from textual import events

    before = table.selected.id if table.selected else None
    k0 = time.perf_counter()
    app.post_message(events.Key(key, key))
    # Rows arriving and old rows leaving shift indexes, so watch which call is selected, not the row number.
    while (table.selected.id if table.selected else None) == before:
        if time.perf_counter() - k0 > limit_s:
            raise RuntimeError(f"key {key!r} did not move the selection within {limit_s:g} s")
        await asyncio.sleep(0.0005)
    return (time.perf_counter() - k0) * 1000


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        await fill(folder / "bench.db")
        settings = load_settings(cwd=folder, environ={}, overrides={
            ("server", "port"): 0, ("server", "store"): "bench.db", ("auth", "mode"): "none"})
        session = Session(settings)
        app = HookdevApp(session)
        started = time.perf_counter()
        async with app.run_test(size=(140, 45)) as pilot:
            table = app.main.table
            await until(lambda: table.row_count >= 1000)
            await pilot.pause()
            load_s = time.perf_counter() - started
            url = session.local_url + "/tokenHook"

            total_before = app.main.stored
            t0 = time.perf_counter()
            await (post_burst if IN_PROCESS else external_burst)(url, BURST, None)
            await until(lambda: app.main.stored >= total_before + BURST)
            await pilot.pause()
            ingest_s = time.perf_counter() - t0

            latencies: list[float] = []
            table.select_id(list(table.exchanges)[500])
            post_burst.started = time.perf_counter()  # type: ignore[attr-defined]
            sender = post_burst if IN_PROCESS else external_burst
            burst = asyncio.ensure_future(sender(url, BURST, RATE))
            i = 0
            while not burst.done():
                latencies.append(await key_latency(app, table, "j" if i % 2 else "k"))
                i += 1
                await asyncio.sleep(0.02)
            await burst
            await app.action_quit()
        latencies.sort()
        print(json.dumps({"stored": STORED, "rows_shown": 1000}))
        print(f"load {STORED:,} stored exchanges (newest 1,000 shown): {load_s * 1000:.0f} ms (app start included)")
        print(f"ingest a burst of {BURST:,} calls (sent at once) until all are counted and drawn: "
              f"{ingest_s * 1000:.0f} ms")
        where = "sent from the inspector's own loop" if IN_PROCESS else "sent by another process"
        print(f"keypress latency during {BURST:,} calls at {RATE}/s, {where} ({len(latencies)} keys): "
              f"median {statistics.median(latencies):.1f} ms, p95 {latencies[int(len(latencies) * 0.95) - 1]:.1f} ms, "
              f"max {latencies[-1]:.1f} ms")


IN_PROCESS = "--in-process" in sys.argv

if __name__ == "__main__":
    if "--load" in sys.argv:
        i = sys.argv.index("--load")
        asyncio.run(load_main(sys.argv[i + 1], int(sys.argv[i + 2]), float(sys.argv[i + 3])))
    else:
        asyncio.run(main())
