"""serve in each answer mode and auth mode against a bare aiohttp app answering the same JSON (wrk, same run).

    python bench/bench_serve.py [--quick]

Goals: template+basic at least 0.7 of the bare app's requests/s; at 100 calls/s, the p99 latency hookdev
adds (its p99 minus the bare app's p99, paced run) under 2 ms.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (  # noqa: E402
    BASIC,
    REGISTRATION_ANSWER,
    SAMPLES,
    Load,
    Proc,
    bare,
    machine,
    mean,
    oauth_token,
    paced,
    post_once,
    serve,
    table,
    wrk,
)

HANDLER = f"""
def registration(request):
    return {REGISTRATION_ANSWER!r}
"""


def start_configs(work: Path, upstream: str) -> dict[str, tuple[Proc, dict[str, str]]]:
    (work / "hooks.py").write_text(HANDLER)
    procs = {
        "template / none": (serve(work, "t-none", auth="none"), {}),
        "template / basic": (serve(work, "t-basic", auth="basic"), {"Authorization": BASIC}),
        "template / oauth": (serve(work, "t-oauth", auth="oauth"), {}),
        "handler / basic": (serve(work, "h-basic", "--handler", str(work / "hooks.py")), {"Authorization": BASIC}),
        "forward / basic": (serve(work, "f-basic", "--forward", upstream), {"Authorization": BASIC}),
    }
    proc, headers = procs["template / oauth"]
    headers["Authorization"] = "Bearer " + oauth_token(proc.url)
    return procs


def check_same_answer(url: str, body: bytes, headers: dict[str, str], name: str) -> None:
    status, answer = post_once(url, body, headers)
    if status != 200 or json.loads(answer) != REGISTRATION_ANSWER:
        raise SystemExit(f"{name} answered {status} {answer[:200]!r}, not the JSON the bare app answers")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs (a few seconds each)")
    args = parser.parse_args()
    seconds, paced_seconds = (2, 3) if args.quick else (8, 10)
    body = (SAMPLES / "registration-ssr.json").read_bytes()
    print(machine())
    print(f"load: wrk -t1 -c32 -d{seconds}s, POST {len(body)} B registration hook (Lua script for body + headers)")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        yardstick = bare(work, "bare")
        upstream = bare(work, "upstream")
        procs = start_configs(work, upstream.url)
        try:
            return run(work, yardstick, procs, body, seconds, paced_seconds)
        finally:
            for proc, _ in procs.values():
                proc.stop()
            yardstick.stop()
            upstream.stop()


def run(work: Path, yardstick: Proc, procs: dict[str, tuple[Proc, dict[str, str]]], body: bytes,
        seconds: float, paced_seconds: float) -> int:
    path = "/registrationHook"
    check_same_answer(yardstick.url + path, body, {}, "the bare app")
    for name, (proc, headers) in procs.items():
        check_same_answer(proc.url + path, body, headers, name)

    def measure(url: str, headers: dict[str, str]) -> Load:
        wrk(url, body, headers, 1)  # warm up: connections, caches, the JIT-less interpreter's dicts
        return wrk(url, body, headers, seconds)

    bare_runs = [measure(yardstick.url + path, {})]
    results = {name: measure(proc.url + path, headers) for name, (proc, headers) in procs.items()}
    bare_runs.append(measure(yardstick.url + path, {}))
    bare_rps = mean([r.rps for r in bare_runs])
    rows = [["bare aiohttp (mean of 2 runs)", bare_rps, mean([r.p50_ms for r in bare_runs]),
             mean([r.p99_ms for r in bare_runs]), "1.00", sum(r.bad for r in bare_runs)]]
    for name, r in results.items():
        rows.append([name, r.rps, r.p50_ms, r.p99_ms, f"{r.rps / bare_rps:.2f}", r.bad])
    print()
    print(table("Closed loop (wrk): hookdev serve vs a bare aiohttp app", ["mode / auth", "req/s", "p50 ms",
                                                                           "p99 ms", "RATIO vs bare", "non-2xx"], rows))
    print(f"  (bare runs: {', '.join(f'{r.rps:,.0f}' for r in bare_runs)} req/s)")

    paced_rows = []
    bare_p50, bare_p99 = paced(yardstick.url + path, body, {}, 100, paced_seconds)
    paced_rows.append(["bare aiohttp", bare_p50, bare_p99, "-"])
    for name in ("template / basic", "template / oauth", "handler / basic", "forward / basic"):
        proc, headers = procs[name]
        p50, p99 = paced(proc.url + path, body, headers, 100, paced_seconds)
        paced_rows.append([name, p50, p99, f"{p99 - bare_p99:+.2f}"])
    print()
    print(table(f"Open loop: 100 calls/s for {paced_seconds} s (aiohttp client), latency as the caller sees it",
                ["mode / auth", "p50 ms", "p99 ms", "p99 added ms"], paced_rows))
    ratio = results["template / basic"].rps / bare_rps
    added = paced_rows[1][2] - bare_p99
    print()
    print(f"RATIO template+basic / bare = {ratio:.2f} (goal >= 0.70: {'met' if ratio >= 0.7 else 'MISSED'})")
    print(f"p99 added by template+basic at 100/s = {added:+.2f} ms (goal < 2 ms: {'met' if added < 2 else 'MISSED'})")
    bad = sum(r.bad for r in results.values()) + sum(r.bad for r in bare_runs)
    if bad:
        print(f"WARNING: {bad} calls were not answered 2xx; the figures above do not count")
    return 0


if __name__ == "__main__":
    sys.exit(main())
