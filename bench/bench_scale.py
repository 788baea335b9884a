"""The store as it grows: build stores of N exchanges and print the curve of what a user waits for.

    python bench/bench_scale.py [--quick] [--sizes 10000,100000,1000000] [--keep DIR]

For each size: how long `hookdev serve` takes to listen (against an empty store in the same run, with the
store's pages evicted from the page cache first, and again warm), a text filter (a rare word, a word in a
quarter of the calls, a word in every call: the count, and the newest 1,000 as the inspector asks for
them), `hookdev list --kind token` (a quarter of the calls): wall time and peak memory, and the inspector's
first paint: from starting it (Pilot, this process) against a `serve --headless` already running on the store
until the newest calls are listed and drawn.

Goals at 1M: listening at most 1.5x an empty store's; inspector first paint at most 1.5 s; a text filter at
most 300 ms; `list` in flat memory.
serve runs with retention raised to keep the whole store (`[server] max_exchanges`, `max_store_mb`).
Stores are built in a temporary folder (about 4 KB per exchange on disk) unless --keep names one; a kept
store of the right size is reused.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import PY, ROOT, SAMPLES, machine, table  # noqa: E402

from hookdev.models import AuthVerdict, Exchange, RequestSnapshot, ResponseSnapshot, Validation, new_id  # noqa: E402
from hookdev.receiver.store import Filter, Store  # noqa: E402

MIX = [  # (kind, path, sample, status, answer): a mix like a day of testing hooks
    ("registration", "/registrationHook", "registration-ssr.json", 200,
     b'{"commands":[{"type":"com.okta.action.update","value":{"registration":"ALLOW"}}]}'),
    ("token", "/tokenHook", "token.json", 204, b""),
    ("event", "/userCreated", "event.json", 200, b""),
    ("telephony", "/telephonyHook", "telephony-sms.json", 200, b'{"commands": []}'),
]
RARE = "rarest"
"""In one call of the store."""
QUARTER = "clinic"
"""In the token calls only: a quarter of the store."""
EVERY = "okta"
"""In every call."""
WORDS = (RARE, QUARTER, EVERY)
_EMAIL = re.compile(rb'"([A-Za-z0-9._+-]+)@')
_ID = re.compile(rb'"(id|eventId|transactionId|uuid|externalSessionId)": "([^"]+)"')


def exchanges(n: int):
    """n exchanges over the mix, each with its own e-mail addresses and ids (so the text index is realistic)."""
    bodies = [(kind, path, (SAMPLES / sample).read_bytes(), status, answer)
              for kind, path, sample, status, answer in MIX]
    start = time.time() - n / 1000
    for i in range(n):
        kind, path, body, status, answer = bodies[i % len(bodies)]
        tag = f"{i:x}".encode()
        body = _EMAIL.sub(lambda m, tag=tag: b'"' + m.group(1) + b"." + tag + b"@", body)
        body = _ID.sub(lambda m, tag=tag: b'"' + m.group(1) + b'": "' + m.group(2) + b"-" + tag + b'"', body)
        if i == n // 2:
            body = body.replace(b"{", b'{"note": "the ' + RARE.encode() + b' call",', 1)
        at = start + i / 1000
        request = RequestSnapshot(
            method="POST", path=path, body=body, remote="127.0.0.1",
            headers=(("Host", "127.0.0.1:8080"), ("Content-Type", "application/json"),
                     ("Authorization", "Basic YWRtaW46c3VwZXJzZWNyZXQ="), ("User-Agent", "Okta-Integrations")),
        )
        response = ResponseSnapshot(status=status, headers=(("Content-Type", "application/json"),), body=answer)
        yield Exchange(id=new_id(at), time=at, kind=kind, request=request, response=response,
                       auth=AuthVerdict(scheme="basic", ok=i % 50 != 0), validation=Validation(), duration_ms=1.2)


def build(path: Path, n: int) -> float:
    """Seconds to build a store of n exchanges at path (reused when it already holds n)."""
    if path.exists():
        store = Store(path)
        try:
            if store.count() == n:
                return 0.0
        finally:
            store.close()
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    start = time.perf_counter()
    store = Store(path)
    try:
        store.add_many(exchanges(n))
    finally:
        store.close()
    return time.perf_counter() - start


def evict(path: Path) -> None:
    """Drop this store's pages from the page cache (only its own files: nothing else on the machine)."""
    for suffix in ("", "-wal", "-shm"):
        name = Path(str(path) + suffix)
        if name.exists():
            fd = os.open(name, os.O_RDONLY)
            try:
                os.fsync(fd) if suffix else None
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("HOOKDEV_")}
    out["PYTHONPATH"] = str(ROOT)
    # Retention high enough to keep every store whole: by default serve keeps the newest 100,000 exchanges
    # (and 1 GiB), and would start trimming a million at once.
    out["HOOKDEV_SERVER_MAX_EXCHANGES"] = "10000000"
    out["HOOKDEV_SERVER_MAX_STORE_MB"] = "1000000"
    return out


def listening_s(store: Path, workdir: Path) -> float:
    """Seconds from starting `hookdev serve --headless` until it prints its listening line."""
    cmd = [PY, "-m", "hookdev", "serve", "--headless", "--json", "--port", "0", "--no-tunnel", "--store", str(store)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=workdir, env=env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        took = time.perf_counter() - start
        if not line:
            raise SystemExit(f"serve on {store} exited before listening")
        return took
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def first_paint_s(store: Path, workdir: Path) -> float:
    """Seconds from starting the inspector against a `serve --headless` running on the store until its list
    shows the newest calls and the screen is drawn (the median of 3)."""
    cmd = [PY, "-m", "hookdev", "serve", "--headless", "--json", "--port", "0", "--no-tunnel", "--store", str(store)]
    proc = subprocess.Popen(cmd, cwd=workdir, env=env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        if not proc.stdout.readline():
            raise SystemExit(f"serve on {store} exited before listening")
        return sorted(asyncio.run(_paint(store)) for _ in range(3))[1]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def _paint(store: Path) -> float:
    from hookdev.tui.app import HookdevApp
    from hookdev.tui.link import ServeLink

    started = time.perf_counter()
    app = HookdevApp(ServeLink(store))
    app.animation_level = "none"
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.main.table
        while table.row_count < 1000:
            if time.perf_counter() - started > 120:
                raise SystemExit("the inspector did not list the newest 1,000 calls in 120 s")
            await asyncio.sleep(0.005)
        await pilot.pause()
        took = time.perf_counter() - started
        await app.action_quit()
    return took


PEAK = (
    "import atexit, runpy, sys\n"
    "def peak():\n"
    "    with open('/proc/self/status') as status:\n"
    "        kib = next(int(line.split()[1]) for line in status if line.startswith('VmHWM:'))\n"
    "    sys.stderr.write(f'VmHWM {kib}\\n')\n"
    "atexit.register(peak)\n"
    "sys.argv = ['hookdev', *sys.argv[1:]]\n"
    "runpy.run_module('hookdev', run_name='__main__')\n"
)
"""`python -m hookdev ARGS` that says its own peak RSS at exit. Not wait4's ru_maxrss: Linux carries the high-water
mark of the process that forked the command (this benchmark, with its big stores read) across exec."""


def run_measured(args: list[str], workdir: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of `hookdev ARGS`, its output discarded."""
    start = time.perf_counter()
    proc = subprocess.run([PY, "-c", PEAK, *args], cwd=workdir, env=env(), stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    took = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"hookdev {' '.join(args)} exited {proc.returncode}: {proc.stderr[-500:]}")
    kib = next(int(line.split()[1]) for line in proc.stderr.splitlines() if line.startswith("VmHWM "))
    return took, kib / 1024


def ms(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return (time.perf_counter() - start) * 1000, result


def median_ms(fn) -> tuple[float, object]:
    """The median of 3 timings of fn (this machine is shared), and fn's result."""
    runs = [ms(fn) for _ in range(3)]
    return sorted(t for t, _ in runs)[1], runs[0][1]


def text_filters(path: Path) -> dict[str, tuple[int, float, float]]:
    """For each word: (rows matching, ms to count them, ms to read the newest 1,000 as full records); under
    "" the same read without a filter, which is what the records themselves cost."""
    store = Store(path)
    try:
        out = {"": (store.count(), 0.0, median_ms(lambda: store.list(limit=1000, newest_first=True))[0])}
        for word in WORDS:
            flt = Filter(text=word)
            count_ms, count = median_ms(lambda: store.count(flt))  # noqa: B023 (called at once)
            page_ms, _ = median_ms(lambda: store.list(flt, limit=1000, newest_first=True))  # noqa: B023
            out[word] = (int(count), count_ms, page_ms)  # type: ignore[call-overload]
        return out
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="sizes 1,000 and 10,000")
    parser.add_argument("--sizes", help="comma-separated store sizes (default 10000,100000,1000000)")
    parser.add_argument("--keep", metavar="DIR", help="build (and reuse) the stores in DIR instead of a temp folder")
    args = parser.parse_args()
    sizes = [int(s) for s in (args.sizes or ("1000,10000" if args.quick else "10000,100000,1000000")).split(",")]
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        work = Path(tmp) / "work"
        work.mkdir()
        empty = Path(tmp) / "empty.db"
        Store(empty).close()
        rows = []
        for n in sizes:
            path = folder / f"scale-{n}.db"
            built = build(path, n)
            size = sum(Path(str(path) + s).stat().st_size for s in ("", "-wal") if Path(str(path) + s).exists())
            evict(empty)
            cold_empty = listening_s(empty, work)
            evict(path)
            cold = listening_s(path, work)
            warm_empty = listening_s(empty, work)
            warm = listening_s(path, work)
            filters = text_filters(path)
            list_s, list_mib = run_measured(["list", "--kind", "token", "--store", str(path)], work)
            paint = first_paint_s(path, work)
            rows.append((n, built, size / n, cold_empty, cold, warm_empty, warm, filters, list_s, list_mib, paint))
            print(f"  {n:,}: built in {built:.0f} s, {size / n:,.0f} B per exchange", flush=True)
    print()
    print(table("serve: seconds until it listens (cold: the store's pages evicted first)",
                ["stored", "empty cold", "cold", "RATIO cold", "empty warm", "warm", "RATIO warm"],
                [[f"{n:,}", ce, c, f"{c / ce:.2f}", we, w, f"{w / we:.2f}"]
                 for n, _, _, ce, c, we, w, *_ in rows]))
    print()
    print(table("text filter (in-process Store, median of 3): ms for the count / for the newest 1,000 records",
                ["stored", "no filter (records only)", *(f"'{w}'" for w in WORDS)],
                [[f"{n:,}", f"- / {f[''][2]:.0f}", *(f"{f[w][0]:,} rows: {f[w][1]:.0f} / {f[w][2]:.0f}" for w in WORDS)]
                 for n, *_, f, _, _, _ in rows]))
    print()
    print(table("hookdev list --kind token (a quarter of the calls), output discarded",
                ["stored", "rows listed", "seconds", "peak RSS MiB"],
                [[f"{n:,}", f"{n // 4:,}", s, mib] for n, *_, s, mib, _ in rows]))
    print()
    print(table("hookdev inspect attached to serve: seconds until the newest 1,000 calls are drawn (median of 3)",
                ["stored", "first paint s"], [[f"{n:,}", p] for n, *_, p in rows]))
    last = rows[-1]
    n, _, _, ce, c, we, w, filters, _, mib, paint = last
    worst = max(max(f[1], f[2]) for word, f in filters.items() if word)
    print()
    print(f"at {n:,}: RATIO listening / empty store = {c / ce:.2f} cold, {w / we:.2f} warm (goal <= 1.5)")
    print(f"at {n:,}: inspector first paint = {paint:.2f} s (goal <= 1.5 s)")
    print(f"at {n:,}: slowest text filter = {worst:.0f} ms (goal <= 300 ms)")
    print(f"at {n:,}: list --kind token peak RSS = {mib:.0f} MiB (flat: compare the sizes above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
