"""Resident set of `hookdev serve` over 100,000 calls: sampled at 10k, 50k and 100k, it must stay flat.

    python bench/bench_memory.py [--quick]

The store is on disk and every exchange is written before its answer leaves, so nothing should grow with
the number of calls. Load: wrk in one-second bursts (template answers, basic auth), each burst counted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import BASIC, SAMPLES, machine, rss_mib, serve, table, wrk  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    total = 20_000 if args.quick else 100_000
    marks = [total // 10, total // 2, total]
    body = (SAMPLES / "registration-ssr.json").read_bytes()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        proc = serve(Path(tmp), "mem", auth="basic")
        url = proc.url + "/registrationHook"
        try:
            rows = [["after start", 0, rss_mib(proc.pid)]]
            sent = bad = 0
            while marks:
                load = wrk(url, body, {"Authorization": BASIC}, 1)
                sent += load.requests
                bad += load.bad
                while marks and sent >= marks[0]:
                    rows.append([f"after {marks.pop(0):,} calls", sent, rss_mib(proc.pid)])
        finally:
            proc.stop()
        store_mib = sum(p.stat().st_size for p in (Path(tmp) / "mem" / ".hookdev").glob("hookdev.db*")) / 2**20
    print(table("hookdev serve --headless --json --auth basic (template answers)", ["when", "calls sent", "RSS MiB"],
                rows))
    growth = rows[-1][2] - rows[1][2]
    print(f"\nRSS growth from {rows[1][0][6:]} to {rows[-1][0][6:]}: {growth:+.1f} MiB; store on disk "
          f"{store_mib:,.0f} MiB; non-2xx {bad}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
