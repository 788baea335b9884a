"""A soak: 50 concurrent clients sending every kind of call to `serve`; zero 5xx, all recorded, memory flat.

Short by default; HOOKDEV_SOAK_SECONDS=60 runs the full minute.
"""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import time
from pathlib import Path

import aiohttp

from hookdev.receiver.store import Store
from tests.conftest import SAMPLES
from tests.reliability.live import serve_process

# Read at import: the suite's autouse fixture clears HOOKDEV_* variables before each test runs.
SOAK_SECONDS = float(os.environ.get("HOOKDEV_SOAK_SECONDS", "3"))
CLIENTS = 50
BODIES = [(p.stem, p.read_bytes()) for p in sorted(SAMPLES.glob("*.json")) if p.stem != "event-verification"]
AUTH = {"Authorization": "Basic " + base64.b64encode(b"admin:supersecret").decode(), "Content-Type": "application/json"}


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


async def soak(url: str, pid: int, seconds: float) -> tuple[dict[int, int], list[float]]:
    statuses: dict[int, int] = {}
    rss: list[float] = []
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CLIENTS)) as http:
        async def client(n: int) -> None:
            i = n
            while time.monotonic() < deadline:
                name, body = BODIES[i % len(BODIES)]
                i += 1
                if i % 17 == 0:  # event-hook verification GETs mixed in
                    request = http.get(f"{url}/events", headers={**AUTH, "X-Okta-Verification-Challenge": f"c{i}"})
                else:
                    request = http.post(f"{url}/{name}", data=body, headers=AUTH)
                async with request as resp:
                    await resp.read()
                    statuses[resp.status] = statuses.get(resp.status, 0) + 1

        async def sampler() -> None:
            while time.monotonic() < deadline:
                rss.append(rss_mib(pid))
                await asyncio.sleep(seconds / 10)

        await asyncio.gather(sampler(), *(client(n) for n in range(CLIENTS)))
    return statuses, rss


def test_soak_every_kind_no_5xx_all_recorded_memory_flat(tmp_path):
    proc, url = serve_process(tmp_path, "--auth", "basic")
    try:
        statuses, rss = asyncio.run(soak(url, proc.pid, SOAK_SECONDS))
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    sent = sum(statuses.values())
    assert sent > CLIENTS and not any(code >= 500 for code in statuses), statuses
    assert set(statuses) <= {200, 204}, statuses
    store = Store(tmp_path / ".hookdev" / "hookdev.db")
    assert store.count() == sent
    store.close()
    # Flat: after the first tenth (warm-up: caches, connection buffers), RSS grows by less than 15 MiB
    warm = rss[1] if len(rss) > 1 else rss[0]
    assert max(rss) - warm < 15, rss
    print(f"soak {SOAK_SECONDS:g} s: {sent} calls, statuses {statuses}, RSS MiB {[round(r, 1) for r in rss]}")
