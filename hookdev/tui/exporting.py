"""Writing the inspector's exports to disk: HAR, a curl script, or payload files `hookdev send` takes back."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hookdev.models import Exchange

FORMATS = (("HAR 1.2 (browser devtools, `hookdev export`)", "har"),
           ("curl command lines", "curl"),
           ("payload files for `hookdev send`", "payload"))


def default_target(fmt: str, exchanges: list[Exchange]) -> str:
    if fmt == "har":
        return "hookdev-export.har"
    if fmt == "curl":
        return "hookdev-export.sh"
    if len(exchanges) == 1:
        from hookdev.io.export import payload_filename

        return payload_filename(exchanges[0])
    return "hookdev-payloads"


def write_export(exchanges: list[Exchange], fmt: str, target: Path, *, secret_header: str | None, base_url: str,
                 redact: bool = True) -> Path:
    """Write the export (blocking: run it in a thread); returns what was written. Secrets masked unless redact off."""
    from hookdev.io.export import payload_filename, to_curl, to_har, to_payload

    target = target.expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "har":
        doc = to_har(exchanges, redact=redact, secret_header=secret_header, base_url=base_url)
        _write(target, json.dumps(doc, indent=2))
    elif fmt == "curl":
        lines = [to_curl(ex, redact=redact, secret_header=secret_header, base_url=base_url) for ex in exchanges]
        _write(target, "#!/bin/sh\n" + "\n".join(lines) + "\n")
    elif len(exchanges) == 1 and target.suffix == ".json":
        _write(target, json.dumps(to_payload(exchanges[0], redact=redact), indent=2))
    else:
        target.mkdir(parents=True, exist_ok=True)
        for ex in exchanges:
            _write(target / payload_filename(ex), json.dumps(to_payload(ex, redact=redact), indent=2))
    return target


def _write(path: Path, text: str) -> None:
    # Exports may hold customer data even when masked: readable by the owner only.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
