"""hookdev as pip installs it: a wheel built from this checkout carries the samples, found from any folder."""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from aiohttp import web

import hookdev
from tests.conftest import ROOT, SAMPLES

# Building the wheel takes a while: every test here shares one, on one worker.
pytestmark = pytest.mark.xdist_group("wheel")


def builds_here() -> bool:
    """Whether this environment's setuptools can build hookdev (pyproject's build-system asks for 77 or newer, and
    the test extra brings it): then pip builds with it, rather than fetching one into a build environment."""
    try:
        major = importlib.metadata.version("setuptools").split(".")[0]
    except importlib.metadata.PackageNotFoundError:
        return False
    return major.isdigit() and int(major) >= 77


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel pip builds from this checkout (copied first, so the build writes nothing into the checkout)."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "hookdev", source / "hookdev", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    out = tmp_path_factory.mktemp("wheels")
    isolation = ["--no-build-isolation"] if builds_here() else []
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", *isolation, "-w", str(out),
                            str(source)], capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout + build.stderr
    [built] = out.glob("hookdev-*.whl")
    return built


@pytest.fixture(scope="module")
def site(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel unpacked as pip installs it into a site folder (a venv's, or ~/.local's for --user)."""
    folder = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(folder)
    return folder


def run_installed(site: Path, cwd: Path, *args: str) -> list[str]:
    """Run hookdev from the unpacked wheel, in a folder with no samples; its stdout lines."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOOKDEV_", "PYTHON"))}
    env["PYTHONPATH"] = str(site)  # ahead of the checkout's editable install
    result = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.splitlines()


def test_the_wheel_carries_every_sample_and_its_readme(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        packed = {n.removeprefix("hookdev/sample_payloads/") for n in archive.namelist()
                  if n.startswith("hookdev/sample_payloads/")}
    in_checkout = {str(p.relative_to(SAMPLES)) for p in SAMPLES.rglob("*") if p.is_file()}
    assert packed == in_checkout and "README.md" in packed and "responses/token.json" in packed


def test_the_wheel_is_typed_and_says_its_version_and_licence_once(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        # Without the marker, a user's mypy would not read hookdev's types (tests/test_user_typing.py reads the
        # checkout, where mypy does not ask for it).
        assert "hookdev/py.typed" in archive.namelist()
        [metadata] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        headers = Parser().parsestr(archive.read(metadata).decode(), headersonly=True)
        licence = [n for n in archive.namelist() if n.endswith("licenses/LICENSE")]
    assert headers["Version"] == hookdev.__version__  # pyproject reads it from hookdev/__init__.py
    assert "Typing :: Typed" in headers.get_all("Classifier")
    assert headers["License-Expression"] == "MIT" and licence
    assert "Programming Language :: Python :: 3.13" in headers.get_all("Classifier")
    assert any(url.startswith("Changelog, ") for url in headers.get_all("Project-URL"))


def test_demo_runs_from_any_folder_on_the_installed_samples(site: Path, tmp_path: Path) -> None:
    [where] = run_installed(site, tmp_path, "-c", "import hookdev; print(hookdev.__file__)")
    assert Path(where).is_relative_to(site)
    lines = run_installed(site, tmp_path, "-m", "hookdev", "demo", "--headless", "--json", "--count", "11",
                          "--interval", "0", "--dir", str(tmp_path / "demo"))
    exchanges = [json.loads(line) for line in lines[1:]]
    assert {"registration", "token", "saml", "telephony", "password_import", "user_import"} <= {
        e["kind"] for e in exchanges
    }


async def test_send_finds_a_sample_by_name_from_any_folder(site: Path, tmp_path: Path, aiohttp_server) -> None:
    received: list[bytes] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.read())
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/tokenHook", hook)
    server = await aiohttp_server(app)
    lines = await asyncio.to_thread(run_installed, site, tmp_path, "-m", "hookdev", "send", "token", "--to",
                                    str(server.make_url("/tokenHook")), "--json")
    assert json.loads(lines[-1])["kind"] == "token"
    assert received == [(SAMPLES / "token.json").read_bytes()]
