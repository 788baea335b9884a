"""Two calls side by side as a diff: a replay and its original, or any two marked calls.

Each part (request body, headers, auth verdict, answer, validation) is compared as text; a part that is the
same in both says so in one line, so what changed stands out.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from hookdev import jsontext
from hookdev.io.redact import exchange_secrets, mask_body, mask_headers
from hookdev.io.render import answer_label, auth_label, clock
from hookdev.io.terminal import safe_text
from hookdev.models import Exchange

DIFF_LINES = 400
"""Lines of one part's diff drawn at most; bodies of a megabyte do not need to be drawn whole to be compared."""


def _body(body: bytes) -> str:
    try:
        return json.dumps(mask_body(jsontext.loads(body)), indent=2, ensure_ascii=False, sort_keys=True)
    except ValueError:
        return body.decode("utf-8", errors="replace")


def parts(ex: Exchange, secret_header: str | None) -> dict[str, str]:
    """What is compared, as text: each call's secrets masked, as everywhere else."""
    headers = mask_headers(ex.request.headers, exchange_secrets(ex, secret_header))
    auth = f"{auth_label(ex)}\n{ex.auth.detail}" if ex.auth.detail else auth_label(ex)
    validation = [answer_label(ex)] + [str(p) for p in ex.validation.problems] + [
        f"warning {w}" for w in ex.validation.warnings]
    return {
        "request body": _body(ex.request.body),
        "request headers": "\n".join(f"{k}: {v}" for k, v in headers),
        "auth verdict": auth,
        "answer": f"{ex.status} from {ex.source}\n{_body(ex.response.body)}",
        "validation": "\n".join(validation),
    }


def diff_view(left: Exchange, right: Exchange, secret_header: str | None = None) -> RenderableType:
    a, b = parts(left, secret_header), parts(right, secret_header)
    head = Text.assemble(("- ", "bold red"), f"{left.id} {clock(left.time)} {safe_text(left.request.path)}\n",
                         ("+ ", "bold green"), f"{right.id} {clock(right.time)} {safe_text(right.request.path)}")
    out: list[RenderableType] = [head]
    for name in a:
        out.append(Text(""))
        if a[name] == b[name]:
            out.append(Text.assemble((name, "bold reverse"), ("  the same", "dim")))
            continue
        out.append(Text(name, style="bold reverse"))
        lines = list(difflib.unified_diff(a[name].splitlines(), b[name].splitlines(), lineterm="", n=2))[2:]
        text = Text()
        for line in lines[:DIFF_LINES]:
            style = "green" if line.startswith("+") else "red" if line.startswith("-") else (
                "cyan" if line.startswith("@@") else "")
            text.append(safe_text(line) + "\n", style=style)
        if len(lines) > DIFF_LINES:
            text.append(f"… {len(lines) - DIFF_LINES} more lines differ", style="dim")
        out.append(text)
    return Group(*out)


class CompareScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,d", "close", "Close")]

    def __init__(self, left: Exchange, right: Exchange, *, secret_header: str | None = None) -> None:
        super().__init__(classes="prompt")
        self.left, self.right, self.secret_header = left, right, secret_header

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="compare", classes="prompt-box"):
            yield Static(Text("Compare", style="bold"), classes="prompt-title")
            yield Static(self._view())
            yield Static(Text("esc closes", style="dim"), classes="hint")

    def _view(self) -> Any:
        try:
            return diff_view(self.left, self.right, self.secret_header)
        except Exception as exc:  # a hostile record shows an error here, never ends the inspector
            return Text(f"these calls could not be compared ({type(exc).__name__})", style="bold red")

    def action_close(self) -> None:
        self.dismiss(None)
