"""Cold start of the `hookdev` command against Python itself, interleaved in the same run.

    python bench/bench_cli.py [--quick] [--runs N]

Goals: `hookdev --help` at most 5x `python -c "import argparse"`; `hookdev send` (a whole call to a local
app) at most 1.5x `python -c "import aiohttp"`. Each command runs N times, the commands taking turns, and the
median wall time of each is compared.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import PY, ROOT, bare, machine, percentile, table  # noqa: E402


def hookdev_command() -> list[str]:
    """The console script beside this Python (what a user types), else `python -m hookdev`."""
    script = Path(PY).with_name("hookdev")
    found = str(script) if script.exists() else shutil.which("hookdev")
    return [found] if found else [PY, "-m", "hookdev"]


def wall_ms(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return (time.perf_counter() - start) * 1000


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5 runs of each instead of 21")
    parser.add_argument("--runs", type=int, help="runs of each command")
    args = parser.parse_args()
    runs = args.runs or (5 if args.quick else 21)
    hookdev = hookdev_command()
    print(machine())
    print(f"hookdev as: {' '.join(hookdev)}; {runs} runs of each, interleaved; median wall time")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        app = bare(work, "bare", body={"commands": []})
        try:
            env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKDEV_")}
            env["PYTHONPATH"] = str(ROOT)
            commands = {
                'python -c "pass"': [PY, "-c", "pass"],
                'python -c "import argparse"': [PY, "-c", "import argparse"],
                'python -c "import aiohttp"': [PY, "-c", "import aiohttp"],
                "hookdev --help": [*hookdev, "--help"],
                "hookdev send token --to <local app>": [*hookdev, "send", "token", "--to", app.url + "/tokenHook"],
                "hookdev serve --help": [*hookdev, "serve", "--help"],
            }
            times: dict[str, list[float]] = {name: [] for name in commands}
            for cmd in commands.values():
                wall_ms(cmd, work, env)  # warm the page cache and .pyc files
            for _ in range(runs):
                for name, cmd in commands.items():
                    times[name].append(wall_ms(cmd, work, env))
        finally:
            app.stop()
    median = {name: percentile(values, 50) for name, values in times.items()}
    rows = [[name, median[name], min(values), max(values)] for name, values in times.items()]
    print()
    print(table("Wall time of one run", ["command", "median ms", "min ms", "max ms"], rows))
    help_ratio = median["hookdev --help"] / median['python -c "import argparse"']
    send_ratio = median["hookdev send token --to <local app>"] / median['python -c "import aiohttp"']
    print()
    print(f"RATIO hookdev --help / import argparse = {help_ratio:.2f} (goal <= 5: {verdict(help_ratio <= 5)})")
    print(f"RATIO hookdev send / import aiohttp = {send_ratio:.2f} (goal <= 1.5: {verdict(send_ratio <= 1.5)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
