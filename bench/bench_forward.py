"""Forward mode against mitmproxy's mitmdump as a reverse proxy in front of the same upstream (wrk, same run).

    python bench/bench_forward.py [--quick] [--mitmdump PATH]

Both record every call: hookdev in its SQLite store, mitmdump with -w to a flows file. Goal: hookdev at
least 2x mitmdump's requests/s. mitmproxy lives in its own venv, never in hookdev's:
    python -m venv /tmp/mitm-venv && /tmp/mitm-venv/bin/pip install mitmproxy
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import SAMPLES, bare, machine, post_once, serve, table, wrk  # noqa: E402

DEFAULT_MITMDUMP = "/tmp/mitm-venv/bin/mitmdump"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_mitmdump(binary: str, upstream: str, work: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cmd = [binary, "--mode", f"reverse:{upstream}", "--listen-host", "127.0.0.1", "--listen-port", str(port),
           "-w", str(work / "flows.mitm")]
    with open(work / "mitmdump.out", "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("mitmdump did not start: " + (work / "mitmdump.out").read_text()[-2000:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--mitmdump", default=shutil.which("mitmdump") or DEFAULT_MITMDUMP)
    args = parser.parse_args()
    if not Path(args.mitmdump).exists():
        print(f"SKIPPED: mitmdump not found at {args.mitmdump}; install mitmproxy in a venv of its own:\n"
              "  python -m venv /tmp/mitm-venv && /tmp/mitm-venv/bin/pip install mitmproxy")
        return 0
    seconds = 2 if args.quick else 8
    body = (SAMPLES / "registration-ssr.json").read_bytes()
    version = subprocess.run([args.mitmdump, "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    print(machine())
    print(f"{version}; load: wrk -t1 -c32 -d{seconds}s POST /registrationHook, {len(body)} B")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        upstream = bare(work, "upstream")
        hookdev = serve(work, "hookdev", "--forward", upstream.url, auth="none")
        mitm, mitm_url = start_mitmdump(args.mitmdump, upstream.url, work)
        try:
            targets = {"hookdev serve --forward": hookdev.url, "mitmdump --mode reverse -w": mitm_url}
            for name, url in targets.items():
                status, _ = post_once(url + "/registrationHook", body, {})
                if status != 200:
                    raise SystemExit(f"{name} answered {status} through to the upstream")
            results = {}
            for name, url in [*targets.items(), *targets.items()]:  # A B A B: drift on a shared machine cancels
                wrk(url + "/registrationHook", body, {}, 1)
                results.setdefault(name, []).append(wrk(url + "/registrationHook", body, {}, seconds))
        finally:
            mitm.terminate()
            mitm.wait(timeout=15)
            hookdev.stop()
            upstream.stop()
        flows = (work / "flows.mitm").stat().st_size if (work / "flows.mitm").exists() else 0
    rows = []
    rps = {}
    for name, runs in results.items():
        rps[name] = sum(r.rps for r in runs) / len(runs)
        rows.append([name, rps[name], sum(r.p50_ms for r in runs) / len(runs), sum(r.p99_ms for r in runs) / len(runs),
                     sum(r.bad for r in runs)])
    print()
    print(table("Reverse proxy in front of one bare aiohttp upstream, recording every call (mean of 2 runs each)",
                ["proxy", "req/s", "p50 ms", "p99 ms", "non-2xx"], rows))
    ratio = rps["hookdev serve --forward"] / rps["mitmdump --mode reverse -w"]
    print(f"  mitmdump flows file: {flows:,} bytes")
    print(f"\nRATIO hookdev / mitmdump = {ratio:.2f} (goal >= 2.0: {'met' if ratio >= 2 else 'MISSED'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
