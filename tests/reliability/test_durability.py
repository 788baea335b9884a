"""Processes dying and sharing: SIGKILL with a handler answering, and two serve processes on one store."""

from __future__ import annotations

import asyncio
import json
import signal

import aiohttp

from hookdev.receiver.store import Store
from tests.conftest import SAMPLES
from tests.reliability.live import serve_process

HANDLER = """
def registration(request):
    print("allowing", request.get("data.userProfile.email"))
    return {"commands": [{"type": "com.okta.action.update", "value": {"registration": "ALLOW"}}]}
"""
BODY = (SAMPLES / "registration-ssr.json").read_bytes()


async def hammer(url: str, count: int, answered: list[str], stop_after: int | None = None, proc=None) -> None:
    enough = asyncio.Event()
    async with aiohttp.ClientSession() as http:
        async def one(i: int) -> None:
            try:
                async with http.post(f"{url}/registrationHook?n={i}", data=BODY) as resp:
                    if resp.status == 200:
                        answered.append(resp.headers["X-Hookdev-Exchange"])
                        if stop_after is not None and len(answered) >= stop_after:
                            enough.set()
            except (TimeoutError, aiohttp.ClientError):
                pass  # cut off by the kill: never answered

        async def killer() -> None:
            await enough.wait()
            proc.send_signal(signal.SIGKILL)

        await asyncio.gather(*([killer()] if stop_after else []), *(one(i) for i in range(count)))


def test_sigkill_with_a_handler_answering_loses_no_answered_exchange(tmp_path):
    (tmp_path / "hooks.py").write_text(HANDLER)
    proc, url = serve_process(tmp_path, "--auth", "none", "--handler", "hooks.py")
    answered: list[str] = []
    asyncio.run(hammer(url, 1500, answered, stop_after=100, proc=proc))
    proc.wait(timeout=10)
    assert len(answered) >= 100
    store = Store(tmp_path / ".hookdev" / "hookdev.db")
    stored = {e.id: e for e in store.list()}
    store.close()
    assert [i for i in answered if i not in stored] == []
    assert all(stored[i].source == "handler" and "allowing" in stored[i].log for i in answered)


def test_two_serve_processes_on_one_store_both_record(tmp_path):
    shared = tmp_path / "shared.db"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, first_url = serve_process(tmp_path / "a", "--auth", "none", "--store", str(shared))
    second, second_url = serve_process(tmp_path / "b", "--auth", "none", "--store", str(shared))
    answered: list[str] = []
    try:
        async def both() -> None:
            await asyncio.gather(hammer(first_url, 100, answered), hammer(second_url, 100, answered))

        asyncio.run(both())
    finally:
        for proc in (first, second):
            proc.send_signal(signal.SIGTERM)
        codes = [proc.wait(timeout=15) for proc in (first, second)]
    assert codes == [0, 0]
    assert len(answered) == 200
    store = Store(shared)
    assert {e.id for e in store.list()} == set(answered)
    store.close()
    lines = [json.loads(line) for d in ("a", "b") for line in (tmp_path / d / "serve-0.out").read_text().splitlines()]
    assert sum(line["event"] == "exchange" for line in lines) == 200
