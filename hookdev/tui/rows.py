"""What one row of the live list shows, and which columns fit the terminal's width (pure, testable).

The verdict columns come first (auth, status, answer), so at 80 columns the story of each call is on screen;
the path takes what is left, and the time loses its milliseconds when the terminal is narrow.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.style import Style

from hookdev.io.render import KIND_LABELS, clock, plural
from hookdev.io.terminal import safe_text
from hookdev.models import Exchange
from hookdev.okta.outcome import NO_CHANGE

OK = Style(color="green", bold=True)
BAD = Style(color="red", bold=True)
WARN = Style(color="yellow", bold=True)
DIM = Style(dim=True)
MARK = Style(color="magenta", bold=True)
REPLAY = Style(color="cyan", bold=True)
PLAIN = Style()

WIDE = 110
"""From this width on, the list shows milliseconds and the method too."""

REASON_SHORT = {
    "missing": "missing", "malformed": "malformed", "bad_credentials": "bad creds", "expired": "expired",
    "not_yet_valid": "not yet", "bad_signature": "bad sig", "alg_not_allowed": "bad alg", "wrong_issuer": "wrong iss",
    "wrong_audience": "wrong aud", "wrong_client": "wrong cid", "missing_scope": "no scope", "unknown_kid": "bad kid",
    "jwks_unavailable": "no keys",
}
"""Auth reasons in at most 9 cells, for the auth column; the Auth tab says them in full."""


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    width: int
    right: bool = False


def layout(width: int) -> tuple[Column, ...]:
    """The columns for a list `width` cells wide; the path column takes the rest (at least 8 cells)."""
    wide = width >= WIDE
    columns = [Column("mark", "", 1), Column("auth", "auth", 11), Column("status", "st", 3),
               Column("answer", "answer", 12), Column("time", "time", 12 if wide else 8)]
    if wide:
        columns.append(Column("method", "meth", 4))
    columns.append(Column("kind", "kind", 12))
    columns.append(Column("took", "took", 8, right=True))
    fixed = sum(c.width for c in columns) + len(columns)  # one space after each column
    if width - fixed < 8:  # very narrow: the kind goes first, the path stays
        columns = [c for c in columns if c.key != "kind"]
        fixed -= 13
    path = Column("path", "path", max(8, width - fixed))
    return (*columns[:-1], path, columns[-1])


def auth_cell(ex: Exchange) -> tuple[str, Style]:
    verdict = ex.auth
    if verdict.scheme == "none":
        return "· none", DIM
    if verdict.ok:
        return f"✓ {verdict.scheme}", OK
    return f"✗ {REASON_SHORT.get(verdict.reason or '', verdict.reason or '?')}", BAD


def status_style(status: int) -> Style:
    return OK if status < 300 else WARN if status < 500 and status != 401 else BAD


def answer_cell(ex: Exchange) -> tuple[str, Style]:
    """The verdict on the answer: its effect when Okta accepts it (ALLOW, DENY, 2 claims), else what is wrong."""
    v = ex.validation
    if v.skipped:
        return "– refused", DIM
    if not v.ok:
        if v.problems:
            return f"✗ {plural(len(v.problems), 'problem')}", BAD
        return f"✗ {v.timing.grade if v.timing else 'invalid'}", BAD
    label = v.outcome or (NO_CHANGE if ex.status == 204 else "valid")
    mark = "!" if v.warnings else "✓"
    return f"{mark} {label}", WARN if v.warnings or v.outcome == "DENY" else OK


def took_text(ms: float) -> str:
    if ms != ms or ms < 0:  # NaN or a clock that went backwards: no figure is better than a wrong one
        return "?"
    return f"{ms:.1f}ms" if ms < 1000 else f"{ms / 1000:.2f}s"


def cells(ex: Exchange, columns: tuple[Column, ...], *, marked: bool = False) -> list[tuple[str, Style]]:
    """The text and style of each column for one exchange, each padded or cut to its width."""
    out: list[tuple[str, Style]] = []
    for column in columns:
        text, style = _cell(ex, column, marked)
        out.append((fit(text, column.width, right=column.right), style))
    return out


def _cell(ex: Exchange, column: Column, marked: bool) -> tuple[str, Style]:
    key = column.key
    if key == "mark":
        return ("●", MARK) if marked else (" ", PLAIN)
    if key == "auth":
        return auth_cell(ex)
    if key == "status":
        return str(ex.status), status_style(ex.status)
    if key == "answer":
        return answer_cell(ex)
    if key == "time":
        return clock(ex.time)[: column.width], PLAIN
    if key == "method":
        return safe_text(ex.request.method), PLAIN
    if key == "kind":
        return KIND_LABELS.get(ex.kind, ex.kind), PLAIN
    if key == "path":
        path = safe_text(ex.request.path)
        return (f"↻ {path}", REPLAY) if ex.replay_of else (path, PLAIN)
    grade = ex.validation.timing.grade if ex.validation.timing else "ok"
    return took_text(ex.duration_ms), {"slow": WARN, "timeout": BAD}.get(grade, PLAIN)


def fit(text: str, width: int, *, right: bool = False) -> str:
    """`text` in exactly `width` cells: cut with an ellipsis when longer, padded when shorter."""
    size = cell_len(text)
    if size > width:
        return set_cell_size(text, width - 1) + "…" if width > 1 else set_cell_size(text, width)
    pad = " " * (width - size)
    return pad + text if right else text + pad


def header(columns: tuple[Column, ...]) -> str:
    return " ".join(fit(c.title, c.width, right=c.right) for c in columns)
