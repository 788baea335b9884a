"""The command starts light: `hookdev --help` imports no subcommand, and each command still gets its full parser."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hookdev.cli import COMMANDS, main
from hookdev.receiver.store import Store
from tests.conftest import make_exchange

PROBE = """
import json, runpy, sys
sys.argv = ["hookdev", *json.loads(sys.argv[1])]
try:
    runpy.run_module("hookdev", run_name="__main__")
except SystemExit:
    pass
sys.stdout.flush()
print("\\nMODULES " + json.dumps(sorted(sys.modules)), file=sys.stderr)
"""
HEAVY = ("aiohttp", "textual", "jwt", "cryptography", "sqlite3", "asyncio")


def imported_by(*argv: str) -> tuple[str, set[str]]:
    """(stdout, modules imported) of `hookdev ARGV` in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv)], capture_output=True, text=True, timeout=120, check=True
    )
    line = done.stderr.rsplit("MODULES ", 1)[1]
    return done.stdout, {name.split(".")[0] for name in json.loads(line)}


def test_top_level_help_imports_no_heavy_module() -> None:
    out, modules = imported_by("--help")
    assert "act as Okta" in out and "serve" in out
    assert not modules & set(HEAVY), f"`hookdev --help` imported {sorted(modules & set(HEAVY))}"


def test_send_does_not_import_the_inspector_or_pyjwt() -> None:
    out, modules = imported_by("send", "--help")
    assert "--to URL" in out
    assert "aiohttp" in modules  # it is about to make a call
    assert not modules & {"textual", "jwt", "cryptography"}, sorted(modules & {"textual", "jwt", "cryptography"})


def test_the_store_readers_start_without_an_http_client_or_an_event_loop(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    try:
        store.add_now(exchange := make_exchange())
    finally:
        store.close()
    for argv in (["list"], ["show", exchange.id], ["export", "--format", "curl"]):
        out, modules = imported_by(*argv, "--store", str(tmp_path / "s.db"))
        assert "/tokenHook" in out
        assert not modules & set(HEAVY) - {"sqlite3"}, (argv, sorted(modules & set(HEAVY)))


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_has_its_own_parser_and_summary(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    usage = out.split("\n\n", 1)[0]
    # The real parser, not the one-line stand-in the top-level help uses: it names options beyond -h.
    # (Python 3.13's argparse may wrap right after [-h] when the options are long.)
    assert usage.startswith(f"usage: hookdev {command} [-h]") and len(out.splitlines()) > 6, out
    assert usage.removeprefix(f"usage: hookdev {command} [-h]").strip(), out


def test_an_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["serv"])
    assert done.value.code == 2
    assert "invalid choice: 'serv'" in capsys.readouterr().err


def test_no_command_prints_the_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    out = capsys.readouterr().out
    for command, (_module, line) in COMMANDS.items():
        assert command in out
        assert line.split()[0] in out


def undescribed(help_text: str) -> list[str]:
    """The arguments a --help lists with no word on what they are."""
    lines = help_text.splitlines()
    missing, in_arguments = [], False
    for i, text in enumerate(lines):
        if not text.strip():
            in_arguments = False  # argparse separates its sections, and the epilog, by blank lines
        elif not text.startswith(" "):
            in_arguments = text in ("positional arguments:", "options:", "optional arguments:")
        elif in_arguments and not text.startswith("   "):
            entry = text.strip()
            wrapped = i + 1 < len(lines) and lines[i + 1].startswith("   ")  # help on the next lines
            if "  " not in entry and not wrapped:
                missing.append(entry)
    return missing


def test_the_argument_check_sees_an_argument_without_help() -> None:
    text = ("usage: x\n\npositional arguments:\n  ID\n  FILE        a file\n\noptions:\n  --json\n"
            "  -o FILE, --output FILE\n                        write here\n\nexamples:\n  x ID\n")
    assert undescribed(text) == ["ID", "--json"]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_help_has_examples_and_says_what_each_argument_is(
        command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    assert "\nexamples:\n  hookdev " + command in out, f"`hookdev {command} --help` shows no example"
    assert undescribed(out) == [], f"`hookdev {command} --help` leaves these undescribed: {undescribed(out)}"


def test_top_level_help_has_examples_of_real_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    examples = out.split("\nexamples:\n", 1)[1].split("\n\n", 1)[0]
    used = {text.split()[1] for text in examples.splitlines() if text.startswith("  hookdev ")}
    assert {"demo", "init", "serve", "inspect", "send", "list"} <= used <= set(COMMANDS)
    assert "inspect" in out.split("examples:")[0], "every command is listed, inspect included"


def test_serve_help_tells_the_inspector_is_a_process_of_its_own(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "The inspector is a process of its own (`hookdev inspect`)" in out
    assert "--json print JSON lines instead of text (implies --headless)" in out
    assert "serve says how many calls it recorded, and where" in out
