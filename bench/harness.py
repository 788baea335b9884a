"""What the benchmarks share: the machine, processes under test, wrk runs, a paced client, and tables."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "hookdev" / "sample_payloads"
PY = sys.executable
REGISTRATION_ANSWER = {"commands": [{"type": "com.okta.action.update", "value": {"registration": "ALLOW"}}]}
BASIC = "Basic " + base64.b64encode(b"admin:supersecret").decode()


def machine() -> str:
    """One line naming the machine, for the tables and BENCHMARKS.md."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, {system}"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process (all its threads) has used so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    """Resident set of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Proc:
    """A server under test as a subprocess; its first stdout line says where it listens."""

    def __init__(self, cmd: list[str], cwd: Path, name: str) -> None:
        self.name = name
        self.out = cwd / f"{name}.out"
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKDEV_")}
        env["PYTHONPATH"] = str(ROOT)
        # stdout to a file: serve writes a line per call, and a pipe nobody drains would stall it
        with open(self.out, "w") as out, open(cwd / f"{name}.err", "w") as err:
            self.popen = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err, start_new_session=True)
        self.url = self._first_line(cwd / f"{name}.err")

    def _first_line(self, err: Path) -> str:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            text = self.out.read_text() if self.out.exists() else ""
            if "\n" in text:
                line = text.split("\n", 1)[0].strip()
                return json.loads(line)["url"] if line.startswith("{") else line
            if self.popen.poll() is not None:
                break
            time.sleep(0.02)
        self.stop()
        raise SystemExit(f"{self.name} did not start: {err.read_text()[-2000:]}")

    @property
    def pid(self) -> int:
        return self.popen.pid

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def serve(workdir: Path, name: str, *args: str, auth: str = "basic") -> Proc:
    """`hookdev serve --headless --json --port 0` in a folder of its own."""
    cwd = workdir / name
    cwd.mkdir(parents=True, exist_ok=True)
    cmd = [PY, "-m", "hookdev", "serve", "--headless", "--json", "--port", "0", "--no-tunnel", "--auth", auth, *args]
    return Proc(cmd, cwd, "serve")


def bare(workdir: Path, name: str, body: Any = REGISTRATION_ANSWER) -> Proc:
    cwd = workdir / name
    cwd.mkdir(parents=True, exist_ok=True)
    return Proc([PY, str(ROOT / "bench" / "bare_app.py"), "--body", json.dumps(body)], cwd, "bare")


EXPRESS = ROOT / "bench" / "express"


def express(workdir: Path, name: str) -> Proc | None:
    """The Express app of Okta's guides (bench/express/app.js), its packages installed by npm on first use into
    bench/express/node_modules (ignored by git); None when node or npm is not on this machine."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        return None
    if not (EXPRESS / "node_modules" / "express-basic-auth").is_dir():
        subprocess.run([npm, "install", "--no-audit", "--no-fund", "--no-package-lock", "--omit=dev"],
                       cwd=EXPRESS, check=True, stdout=subprocess.DEVNULL, timeout=600)
    cwd = workdir / name
    cwd.mkdir(parents=True, exist_ok=True)
    return Proc([node, str(EXPRESS / "app.js")], cwd, "express")


def oauth_token(serve_url: str) -> str:
    """A token from the authorization server mounted in serve (client credentials, the default client)."""
    data = b"grant_type=client_credentials&scope=okta.hooks"
    creds = base64.b64encode(b"okta-hooks:hookdev-local-secret").decode()
    req = urllib.request.Request(
        serve_url + "/oauth2/default/v1/token", data=data,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Basic " + creds},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())["access_token"]


def post_once(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


# -- wrk ---------------------------------------------------------------------------------------------


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad: int
    """Non-2xx answers plus socket errors: must be 0 for a figure to count."""
    cpu_us: float = float("nan")
    """CPU time (user + system) the server spent per call during the run, in microseconds."""


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def wrk(url: str, body: bytes, headers: dict[str, str], seconds: float, connections: int = 32) -> Load:
    """Closed-loop load with wrk -t1 (the other CPU is the server's), POSTing body with headers."""
    if not have_wrk():
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    with tempfile.TemporaryDirectory() as tmp:
        body_file = Path(tmp) / "body.json"
        body_file.write_bytes(body)
        lines = ['wrk.method = "POST"', f'local f = io.open("{body_file}", "rb")', "wrk.body = f:read(\"*a\")",
                 "f:close()", 'wrk.headers["Content-Type"] = "application/json"']
        lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
        script = Path(tmp) / "post.lua"
        script.write_text("\n".join(lines) + "\n")
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "-s", str(script), url],
            capture_output=True, text=True, timeout=seconds + 60,
        ).stdout
    return parse_wrk(out)


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(out: str) -> Load:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = 0
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        bad += int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        bad += sum(int(x) for x in m.groups())
    return Load(rps, p50, p99, total, bad)


# -- a paced client ----------------------------------------------------------------------------------


async def _paced(url: str, body: bytes, headers: dict[str, str], rate: float, seconds: float) -> list[float]:
    import aiohttp

    latencies: list[float] = []
    bad = 0
    interval = 1.0 / rate
    async with aiohttp.ClientSession(headers={"Content-Type": "application/json", **headers}) as http:
        async def one() -> None:
            nonlocal bad
            t0 = time.perf_counter()
            async with http.post(url, data=body) as resp:
                await resp.read()
                bad += resp.status >= 300
            latencies.append((time.perf_counter() - t0) * 1000)

        tasks = []
        start = time.perf_counter()
        for i in range(int(rate * seconds)):
            delay = start + i * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
    if bad:
        raise SystemExit(f"{bad} paced calls to {url} were not answered 2xx")
    return latencies


def paced(
    url: str, body: bytes, headers: dict[str, str], rate: float = 100, seconds: float = 10
) -> tuple[float, float]:
    """(p50, p99) in ms of calls sent at a fixed rate (an open loop, as Okta's calls arrive)."""
    latencies = asyncio.run(_paced(url, body, headers, rate, seconds))
    return percentile(latencies, 50), percentile(latencies, 99)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def mean(values: list[float]) -> float:
    return statistics.fmean(values)


def table(title: str, header: list[str], rows: list[list[Any]]) -> str:
    cells = [header] + [[f"{c:,.1f}" if isinstance(c, float) else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = [title, "  ".join(h.ljust(w) for h, w in zip(cells[0], widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(c.rjust(w) if j else c.ljust(w) for j, (c, w) in enumerate(zip(r, widths, strict=True)))
        for r in cells[1:]
    ]
    return "\n".join(lines)
