"""serve in each answer mode and auth mode against a bare aiohttp app answering the same JSON, and against the
Express app of Okta's guides that hookdev replaces (wrk, same run).

    python bench/bench_serve.py [--quick] [--rounds N] [--only NAME,...] [--no-paced]

Goals: template+basic at least 0.45 of the bare app's requests/s and 1.3x the Express app; OAuth (one token
reused, as Okta does) at least 0.8x Basic; handler mode at least 0.3 of bare. At 100 calls/s, the p99 latency
hookdev adds (its p99 minus the bare app's p99, paced run) under 2 ms. The Express app's packages are
installed by npm into bench/express/node_modules on first use (node and npm must be on PATH).

Each round starts every server under test afresh (an empty store) and loads each in turn, the bare app first;
the figures are the means over the rounds, and the bare app is loaded once more at the end. On a 2-CPU machine
one 8 s run of a multi-threaded server moves by about 10 % from run to run; two rounds halve that.
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
    cpu_seconds,
    express,
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


EXPRESS_NAME = "Express app of Okta's guides (basic)"


def start_configs(work: Path, upstream: str, only: list[str]) -> dict[str, tuple[Proc, dict[str, str]]]:
    work.mkdir(parents=True, exist_ok=True)
    (work / "hooks.py").write_text(HANDLER)
    starters = {
        "template / none": lambda: (serve(work, "t-none", auth="none"), {}),
        "template / basic": lambda: (serve(work, "t-basic", auth="basic"), {"Authorization": BASIC}),
        "template / oauth": lambda: (serve(work, "t-oauth", auth="oauth"), {}),
        "handler / basic": lambda: (serve(work, "h-basic", "--handler", str(work / "hooks.py")),
                                    {"Authorization": BASIC}),
        "forward / basic": lambda: (serve(work, "f-basic", "--forward", upstream), {"Authorization": BASIC}),
        EXPRESS_NAME: lambda: (express(work, "express"), {"Authorization": BASIC}),
    }
    procs: dict[str, tuple[Proc, dict[str, str]]] = {}
    for name, start in starters.items():
        if only and not any(word in name for word in only):
            continue
        proc, headers = start()
        if proc is None:
            print(f"({name}: node or npm is not installed, skipped)")
            continue
        procs[name] = (proc, headers)
    if "template / oauth" in procs:
        proc, headers = procs["template / oauth"]
        headers["Authorization"] = "Bearer " + oauth_token(proc.url)
    return procs


def stop_all(procs: dict[str, tuple[Proc, dict[str, str]]]) -> None:
    for proc, _ in procs.values():
        proc.stop()


def check_same_answer(url: str, body: bytes, headers: dict[str, str], name: str) -> None:
    status, answer = post_once(url, body, headers)
    if status != 200 or json.loads(answer) != REGISTRATION_ANSWER:
        raise SystemExit(f"{name} answered {status} {answer[:200]!r}, not the JSON the bare app answers")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs (a few seconds each), one round")
    parser.add_argument("--rounds", type=int, default=None, metavar="N",
                        help="rounds of closed-loop runs, every server started afresh in each (default 2)")
    parser.add_argument("--only", default="", metavar="NAME,...",
                        help="only the configurations whose name contains one of these words (e.g. basic,Express)")
    parser.add_argument("--no-paced", action="store_true", help="skip the open-loop (100 calls/s) runs")
    args = parser.parse_args()
    seconds, paced_seconds = (2, 3) if args.quick else (8, 10)
    rounds = max(1, args.rounds if args.rounds is not None else 1 if args.quick else 2)
    body = (SAMPLES / "registration-ssr.json").read_bytes()
    print(machine())
    print(f"load: wrk -t1 -c32 -d{seconds}s, POST {len(body)} B registration hook (Lua script for body + headers), "
          f"{rounds} round{'s' if rounds > 1 else ''}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        yardstick = bare(work, "bare")
        upstream = bare(work, "upstream")
        only = [w for w in args.only.split(",") if w]
        try:
            return run(work, yardstick, upstream.url, only, body, seconds, rounds,
                       0 if args.no_paced else paced_seconds)
        finally:
            yardstick.stop()
            upstream.stop()


def check_configs(yardstick: Proc, procs: dict[str, tuple[Proc, dict[str, str]]], path: str, body: bytes) -> None:
    check_same_answer(yardstick.url + path, body, {}, "the bare app")
    for name, (proc, headers) in procs.items():
        check_same_answer(proc.url + path, body, headers, name)
        if name != EXPRESS_NAME and headers:
            status, _ = post_once(proc.url + path, body, {})
            if status != 401:
                raise SystemExit(f"{name} answered {status} to a call without credentials, not 401")


def averaged(loads: list[Load]) -> Load:
    """One figure of several runs: their means, and every call not answered 2xx."""
    return Load(rps=mean([r.rps for r in loads]), p50_ms=mean([r.p50_ms for r in loads]),
                p99_ms=mean([r.p99_ms for r in loads]), requests=sum(r.requests for r in loads),
                bad=sum(r.bad for r in loads), cpu_us=mean([r.cpu_us for r in loads]))


def run(work: Path, yardstick: Proc, upstream: str, only: list[str], body: bytes, seconds: float, rounds: int,
        paced_seconds: float) -> int:
    path = "/registrationHook"

    def measure(proc: Proc, url: str, headers: dict[str, str]) -> Load:
        wrk(url, body, headers, 1)  # warm up: connections, caches, the JIT-less interpreter's dicts
        cpu = cpu_seconds(proc.pid)
        load = wrk(url, body, headers, seconds)
        load.cpu_us = (cpu_seconds(proc.pid) - cpu) / max(load.requests, 1) * 1e6
        return load

    bare_runs: list[Load] = []
    runs: dict[str, list[Load]] = {}
    procs: dict[str, tuple[Proc, dict[str, str]]] = {}
    try:
        for number in range(rounds):
            stop_all(procs)
            procs = start_configs(work / f"round-{number + 1}", upstream, only)
            if number == 0:
                check_configs(yardstick, procs, path, body)
            bare_runs.append(measure(yardstick, yardstick.url + path, {}))
            for name, (proc, headers) in procs.items():
                runs.setdefault(name, []).append(measure(proc, proc.url + path, headers))
        bare_runs.append(measure(yardstick, yardstick.url + path, {}))
        return report(yardstick, procs, bare_runs, runs, path, body, paced_seconds)
    finally:
        stop_all(procs)


def report(yardstick: Proc, procs: dict[str, tuple[Proc, dict[str, str]]], bare_runs: list[Load],
           runs: dict[str, list[Load]], path: str, body: bytes, paced_seconds: float) -> int:
    results = {name: averaged(loads) for name, loads in runs.items()}
    yard = averaged(bare_runs)
    bare_rps, bare_cpu = yard.rps, yard.cpu_us
    rows = [[f"bare aiohttp (mean of {len(bare_runs)} runs)", bare_rps, yard.p50_ms, yard.p99_ms, "1.00", bare_cpu,
             "1.00", yard.bad]]
    for name, r in results.items():
        rows.append([name, r.rps, r.p50_ms, r.p99_ms, f"{r.rps / bare_rps:.2f}", r.cpu_us,
                     f"{bare_cpu / r.cpu_us:.2f}", r.bad])
    print()
    print(table("Closed loop (wrk): hookdev serve vs a bare aiohttp app",
                ["mode / auth", "req/s", "p50 ms", "p99 ms", "RATIO vs bare", "CPU us/call", "CPU RATIO", "non-2xx"],
                rows))
    print(f"  (bare runs: {', '.join(f'{r.rps:,.0f}' for r in bare_runs)} req/s, "
          f"{', '.join(f'{r.cpu_us:.1f}' for r in bare_runs)} us of CPU per call)")
    if len(bare_runs) > 2:
        for name, loads in runs.items():
            print(f"  ({name} runs: {', '.join(f'{r.rps:,.0f}' for r in loads)} req/s)")
    print("  CPU RATIO: the bare app's CPU time per call / this one's (the server process and all its threads);")
    print("  it moves far less than req/s when other work shares the machine.")

    if paced_seconds:
        run_paced(yardstick, procs, path, body, paced_seconds)
    print()
    rps = {"bare": bare_rps, **{name: r.rps for name, r in results.items()}}
    cpu = {"bare": bare_cpu, **{name: r.cpu_us for name, r in results.items()}}
    goals = [
        ("template+basic / bare", "template / basic", "bare", 0.45),
        ("template+basic / Express app", "template / basic", EXPRESS_NAME, 1.3),
        ("template+oauth / template+basic", "template / oauth", "template / basic", 0.8),
        ("handler+basic / bare", "handler / basic", "bare", 0.3),
    ]
    for label, top, bottom, goal in goals:
        if top in rps and bottom in rps:
            ratio = rps[top] / rps[bottom]
            by_cpu = cpu[bottom] / cpu[top]
            print(f"RATIO {label} = {ratio:.2f} (goal >= {goal}: {'met' if ratio >= goal else 'MISSED'}); "
                  f"by CPU per call {by_cpu:.2f}")
    bad = sum(r.bad for r in results.values()) + yard.bad
    if bad:
        print(f"WARNING: {bad} calls were not answered 2xx; the figures above do not count")
    return 0


def run_paced(yardstick: Proc, procs: dict[str, tuple[Proc, dict[str, str]]], path: str, body: bytes,
              seconds: float) -> None:
    _, bare_p99 = bare_row = paced(yardstick.url + path, body, {}, 100, seconds)
    rows: list[list[object]] = [["bare aiohttp", *bare_row, "-"]]
    added: dict[str, float] = {}
    for name in ("template / basic", "template / oauth", "handler / basic", "forward / basic", EXPRESS_NAME):
        if name in procs:
            proc, headers = procs[name]
            p50, p99 = paced(proc.url + path, body, headers, 100, seconds)
            added[name] = p99 - bare_p99
            rows.append([name, p50, p99, f"{added[name]:+.2f}"])
    print()
    print(table(f"Open loop: 100 calls/s for {seconds} s (aiohttp client), latency as the caller sees it",
                ["mode / auth", "p50 ms", "p99 ms", "p99 added ms"], rows))
    if "template / basic" in added:
        extra = added["template / basic"]
        met = "met" if extra < 2 else "MISSED"
        print(f"p99 added by template+basic at 100/s = {extra:+.2f} ms (goal < 2 ms: {met})")


if __name__ == "__main__":
    sys.exit(main())
