"""The inspector beside a real serve: what a view costs the receiver, and how fast the view itself responds.

Run: python bench/bench_inspector.py [--quick] [--memory]

`hookdev serve --headless` runs as its own process on a store of 10,000 calls; a paced client in a third process
sends token hook calls at 200/s and times each answer, as Okta would. Then the same with the inspector attached
(in this process, under Textual's Pilot, over the control channel, as `hookdev inspect` runs) while an 800 KB
call is shown in its Request tab and keys are pressed throughout. Printed: the p99 latency of the calls with the
inspector attached as a ratio to the same run headless (goal <= 1.2), the key latency during that burst (goals:
p99 <= 50 ms, max <= 100 ms), the time to attach and paint 10,000 stored calls, and to draw a 1,000-call burst.

--memory: `hookdev inspect` as a process in a pseudo-terminal, RSS after 300 calls of 1 MB each were drawn and
selected one by one (the view holds row summaries; a selected call's bodies are read when it is selected).
"""

from __future__ import annotations

import asyncio
import json
import os
import pty
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import PY, SAMPLES, machine, percentile, rss_mib, serve  # noqa: E402

from hookdev.models import AuthVerdict, Exchange, RequestSnapshot, ResponseSnapshot, Validation, new_id  # noqa: E402
from hookdev.receiver.store import Store  # noqa: E402

STORED = 10_000
RATE = 200
BODY = (SAMPLES / "token.json").read_bytes()
HUGE = json.dumps({"eventType": "com.okta.oauth2.tokens.transform",
                   "data": [{"id": n, "name": f"user{n}", "active": n % 2 == 0} for n in range(18_000)]}).encode()


def stored_exchange(n: int, now: float) -> Exchange:
    t = now - STORED + n
    request = RequestSnapshot("POST", "/tokenHook", headers=(("Content-Type", "application/json"),), body=BODY)
    return Exchange(id=new_id(t), time=t, kind="token", request=request, response=ResponseSnapshot(204),
                    auth=AuthVerdict("none", True), validation=Validation(), duration_ms=1.0)


def fill(path: Path) -> None:
    store = Store(path)
    now = time.time()
    store.add_many(stored_exchange(n, now) for n in range(STORED))
    store.close()


def paced_in_another_process(url: str, seconds: float) -> list[float]:
    """Per-call latencies (ms) of calls at RATE/s for `seconds`, sent and timed by a separate process."""
    out = subprocess.run([PY, __file__, "--paced", url, str(RATE), str(seconds)], capture_output=True, text=True,
                         check=True, timeout=seconds + 120).stdout
    return json.loads(out.strip().splitlines()[-1])


async def _paced(url: str, rate: float, seconds: float) -> list[float]:
    import aiohttp

    latencies: list[float] = []
    async with aiohttp.ClientSession(headers={"Content-Type": "application/json"}) as http:
        async def one() -> None:
            t0 = time.perf_counter()
            async with http.post(url, data=BODY) as resp:
                await resp.read()
                if resp.status >= 300:
                    raise SystemExit(f"a paced call got {resp.status}")
            latencies.append((time.perf_counter() - t0) * 1000)

        tasks = []
        start = time.perf_counter()
        for i in range(int(rate * seconds)):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
    return latencies


async def until(predicate, timeout: float = 120.0) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("the inspector did not catch up")
        await asyncio.sleep(0.005)


async def key_latency(app, table, key: str, limit_s: float = 5.0) -> float:
    """Milliseconds from a key arriving at the app to the list's selection having moved to another call."""
    from textual import events

    before = table.selected.id if table.selected else None
    k0 = time.perf_counter()
    app.post_message(events.Key(key, key))
    while (table.selected.id if table.selected else None) == before:
        if time.perf_counter() - k0 > limit_s:
            raise RuntimeError(f"key {key!r} did not move the selection within {limit_s:g} s (row {table.cursor_row} "
                               f"of {table.row_count}, following: {table.follow}, screen {app.screen})")
        await asyncio.sleep(0.0005)
    return (time.perf_counter() - k0) * 1000


async def with_inspector(store: Path, url: str, seconds: float) -> dict[str, object]:
    """The inspector attached (Pilot, this process) with the huge call in its Request tab, during a paced burst."""
    from hookdev.tui.app import HookdevApp
    from hookdev.tui.link import ServeLink

    # 3,000 rows instead of 1,000: the huge call stays listed (and selected) through a 10 s burst of 2,000 calls
    app = HookdevApp(ServeLink(store), cap=3000)
    app.animation_level = "none"
    started = time.perf_counter()
    async with app.run_test(size=(140, 45)) as pilot:
        table = app.main.table
        await until(lambda: table.row_count >= 1000)
        await pilot.pause()
        attach_s = time.perf_counter() - started
        await until(lambda: app.main.stored >= table.row_count)  # the count of what the store held comes next
        base = app.main.stored
        await asyncio.to_thread(_post, url, HUGE)
        await asyncio.to_thread(_post, url, BODY)  # one call after it: the huge one is selected, not followed
        await until(lambda: table.row_count > 1 and table.rows[-2].request.path == "/huge")
        table.select_id(table.rows[-2].id)
        await until(lambda: app.main.detail.full and app.main.detail.exchange.request.path == "/huge")
        await pilot.pause()
        burst = asyncio.ensure_future(asyncio.to_thread(paced_in_another_process, url + "/tokenHook", seconds))
        keys: list[float] = []
        i = 0
        while not burst.done():
            keys.append(await key_latency(app, table, "j" if i % 2 else "k"))  # huge, the one above, huge...
            i += 1
            await asyncio.sleep(0.02)
        calls = await burst
        before = table.row_count
        t0 = time.perf_counter()
        await asyncio.to_thread(_burst_at_once, url + "/tokenHook", 1000)
        await until(lambda: app.main.stored >= base + 2 + len(calls) + 1000)
        await pilot.pause()
        ingest_s = time.perf_counter() - t0
        assert before <= table.row_count
        await app.action_quit()
    return {"calls": calls, "keys": sorted(keys), "attach_s": attach_s, "ingest_s": ingest_s}


def _post(url: str, body: bytes) -> None:
    import urllib.request

    path = "/huge" if body is HUGE else "/tokenHook"
    req = urllib.request.Request(url.rstrip("/") + path, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        resp.read()


def _burst_at_once(url: str, count: int) -> None:
    async def go() -> None:
        import aiohttp

        async with aiohttp.ClientSession(headers={"Content-Type": "application/json"}) as http:
            async def one() -> None:
                async with http.post(url, data=BODY) as resp:
                    await resp.read()

            await asyncio.gather(*(one() for _ in range(count)))

    asyncio.run(go())


def latency_run(seconds: float, rounds: int) -> None:
    print(machine())
    print(f"load average {os.getloadavg()[0]:.1f}; calls at {RATE}/s for {seconds:g} s from another process")
    headless_p99: list[float] = []
    attached_p99: list[float] = []
    keys: list[float] = []
    details: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for round_ in range(rounds):  # A B A B: headless, then attached, on the same serve and store
            store = folder / f"round{round_}" / "bench.db"
            store.parent.mkdir()
            fill(store)
            proc = serve(folder / f"round{round_}", "serve", "--store", str(store), auth="none")
            try:
                paced_in_another_process(proc.url + "/tokenHook", 2)  # warm-up: the first calls of a process
                before = percentile(paced_in_another_process(proc.url + "/tokenHook", seconds), 99)
                result = asyncio.run(with_inspector(store, proc.url, seconds))
                attached_p99.append(percentile(result["calls"], 99))  # type: ignore[arg-type]
                after = percentile(paced_in_another_process(proc.url + "/tokenHook", seconds), 99)
                headless_p99.append((before + after) / 2)  # headless just before and just after: A B A
                keys += result["keys"]  # type: ignore[arg-type]
                details.append(result)
            finally:
                proc.stop()
    keys.sort()
    for n, (a, b) in enumerate(zip(headless_p99, attached_p99, strict=True), 1):
        print(f"round {n}: p99 headless {a:.1f} ms (mean of before and after), with the inspector attached "
              f"{b:.1f} ms, ratio {b / a:.2f}")
    ratios = sorted(b / a for a, b in zip(headless_p99, attached_p99, strict=True))
    ratio = ratios[len(ratios) // 2]  # the median round
    print(f"RATIO p99 with the inspector / headless, the median round = {ratio:.2f} "
          f"(goal <= 1.2: {'met' if ratio <= 1.2 else 'MISSED'})")
    p99, worst = percentile(keys, 99), keys[-1]
    print(f"keys during the bursts ({len(keys)}): median {percentile(keys, 50):.1f} ms, p99 {p99:.1f} ms "
          f"(goal <= 50: {'met' if p99 <= 50 else 'MISSED'}), max {worst:.1f} ms "
          f"(goal <= 100: {'met' if worst <= 100 else 'MISSED'})")
    attach = [float(d["attach_s"]) for d in details]  # type: ignore[arg-type]
    ingest = [float(d["ingest_s"]) for d in details]  # type: ignore[arg-type]
    print(f"attach and paint {STORED:,} stored calls: {min(attach) * 1000:.0f}-{max(attach) * 1000:.0f} ms; "
          f"a burst of 1,000 calls sent at once, counted and drawn: {min(ingest):.2f}-{max(ingest):.2f} s")


def memory_run(count: int) -> None:
    """RSS of `hookdev inspect` (a process in a pseudo-terminal) after `count` calls of 1 MB were drawn and selected."""
    body = json.dumps({"eventType": "com.okta.oauth2.tokens.transform", "data": "x" * 999_900}).encode()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = folder / "mem.db"
        proc = serve(folder, "serve", "--store", str(store), auth="none")
        pid, fd = pty.fork()
        if pid == 0:
            os.environ.update(TERM="xterm-256color", PYTHONPATH=str(Path(__file__).resolve().parent.parent))
            os.execv(PY, [PY, "-m", "hookdev", "inspect", "--store", str(store)])
        try:
            _drain(fd, 3.0)
            start = rss_mib(pid)
            for n in range(count):
                _post(proc.url, body)
                if n % 10 == 9:
                    os.write(fd, b"k" * 5)  # select older calls: each selection reads one call's bodies
                    _drain(fd, 0.05)
            _drain(fd, 2.0)
            end = rss_mib(pid)
            print(f"hookdev inspect RSS: {start:.1f} MiB attached, {end:.1f} MiB after {count} calls of 1 MB "
                  f"({count} MB recorded) were drawn and selected")
        finally:
            os.kill(pid, 15)
            os.waitpid(pid, 0)
            proc.stop()


def _drain(fd: int, seconds: float) -> None:
    import select

    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                os.read(fd, 65536)
            except OSError:
                return


if __name__ == "__main__":
    if "--paced" in sys.argv:
        i = sys.argv.index("--paced")
        print(json.dumps(asyncio.run(_paced(sys.argv[i + 1], float(sys.argv[i + 2]), float(sys.argv[i + 3])))))
    elif "--memory" in sys.argv:
        memory_run(60 if "--quick" in sys.argv else 300)
    else:
        quick = "--quick" in sys.argv
        latency_run(seconds=3 if quick else 10, rounds=1 if quick else 3)
