"""Arguments and helpers shared by the subcommands."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from hookdev.config import Overrides, Settings, load_settings

HELP_FORMAT = argparse.RawDescriptionHelpFormatter


def add_config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="settings file (default: ./hookdev.toml when present)")


def add_store_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store", metavar="PATH", help="SQLite file of recorded exchanges (default: .hookdev/hookdev.db)"
    )


def settings_from(args: argparse.Namespace, overrides: Overrides | None = None) -> Settings:
    """Settings for a command: config file, environment, then the flags given."""
    merged: dict[tuple[str, str], Any] = dict(overrides or {})
    store = getattr(args, "store", None)
    if store:
        merged[("server", "store")] = str(Path(store).resolve())
    return load_settings(getattr(args, "config", None), overrides=merged)
