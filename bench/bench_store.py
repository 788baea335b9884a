"""The store: commits/s with group commit vs one commit per exchange, bytes per exchange, list/filter 100,000.

    python bench/bench_store.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import REGISTRATION_ANSWER, SAMPLES, machine, table  # noqa: E402

from hookdev.models import AuthVerdict, Exchange, RequestSnapshot, ResponseSnapshot, Validation, new_id  # noqa: E402
from hookdev.receiver.store import Filter, Store  # noqa: E402

CALLS = [  # (kind, sample, status, answer): a mix like a day of testing hooks
    ("registration", "registration-ssr.json", 200, json.dumps(REGISTRATION_ANSWER).encode()),
    ("token", "token.json", 204, b""),
    ("event", "event.json", 200, b""),
    ("telephony", "telephony-sms.json", 200, b'{"commands": []}'),
]


def exchanges(n: int) -> list[Exchange]:
    bodies = [(kind, (SAMPLES / sample).read_bytes(), status, answer) for kind, sample, status, answer in CALLS]
    out = []
    now = time.time()
    for i in range(n):
        kind, body, status, answer = bodies[i % len(bodies)]
        request = RequestSnapshot(
            method="POST", path=f"/{kind}Hook", body=body, remote="127.0.0.1",
            headers=(("Host", "127.0.0.1:8080"), ("Content-Type", "application/json"),
                     ("Authorization", "Basic YWRtaW46c3VwZXJzZWNyZXQ="), ("User-Agent", "Okta Hooks")),
        )
        response = ResponseSnapshot(status=status, headers=(("Content-Type", "application/json"),), body=answer)
        out.append(Exchange(id=new_id(now + i / 1000), time=now + i / 1000, kind=kind, request=request,
                            response=response, auth=AuthVerdict(scheme="basic", ok=i % 50 != 0),
                            validation=Validation(), duration_ms=1.2))
    return out


async def group_commit(store: Store, items: list[Exchange], concurrency: int = 64) -> float:
    """Exchanges/s committed by `concurrency` callers at once, as under load (the writer batches them)."""
    queue = iter(items)
    start = time.perf_counter()

    async def caller() -> None:
        for ex in queue:
            assert await store.add(ex)

    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return len(items) / (time.perf_counter() - start)


async def one_by_one(store: Store, items: list[Exchange]) -> float:
    """Exchanges/s when each waits for its own commit (one commit per exchange, same writer)."""
    start = time.perf_counter()
    for ex in items:
        assert await store.add(ex)
    return len(items) / (time.perf_counter() - start)


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return (time.perf_counter() - start) * 1000, result


async def main_async(total: int, single: int) -> int:
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        items = exchanges(total + single)
        alone = Store(Path(tmp) / "single.db")
        alone.start()
        single_rate = await one_by_one(alone, items[total:])
        alone.close()

        store = Store(Path(tmp) / "big.db")
        store.start()
        group_rate = await group_commit(store, items[:total])
        rows = [["group commit, 64 callers at once", group_rate, f"{group_rate / single_rate:.1f}"],
                ["one commit per exchange (sequential)", single_rate, "1.0"]]
        print(table(f"Commits ({total:,} and {single:,} exchanges, WAL, synchronous=NORMAL)",
                    ["mode", "exchanges/s", "RATIO"], rows))

        store._reader.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = sum(p.stat().st_size for p in Path(tmp).glob("big.db*"))  # noqa: ASYNC240 (a measurement, after the run)
        payload = sum(len(ex.request.body) + len(ex.response.body) for ex in items[:total])
        print(f"\nbytes per stored exchange: {size / total:,.0f} (request+answer bodies average "
              f"{payload / total:,.0f}; overhead {(size - payload) / total:,.0f})")

        queries = [
            ("count()", lambda: store.count()),
            ("count(Filter(kind='token'))", lambda: store.count(Filter(kind="token"))),
            ("count(Filter(text='nia.patel'))", lambda: store.count(Filter(text="nia.patel"))),
            ("list(limit=100, newest_first)", lambda: store.list(limit=100, newest_first=True)),
            ("list(Filter(auth_ok=False))", lambda: store.list(Filter(auth_ok=False))),
            ("list(Filter(kind='token'))", lambda: store.list(Filter(kind="token"))),
            ("list() every exchange", lambda: store.list()),
        ]
        rows = []
        for name, fn in queries:
            ms, result = timed(fn)
            rows.append([name, ms, result if isinstance(result, int) else len(result)])  # type: ignore[arg-type]
        print()
        print(table(f"Reading {store.count():,} stored exchanges", ["query", "ms", "rows / count"], rows))
        store.close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    total, single = (10_000, 500) if args.quick else (100_000, 3_000)
    return asyncio.run(main_async(total, single))


if __name__ == "__main__":
    sys.exit(main())
