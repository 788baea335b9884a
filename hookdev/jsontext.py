"""JSON that came from outside hookdev, parsed with a nesting limit of hookdev's own.

How deep `json.loads` can go depends on the interpreter (3.11 stops near 1,000 levels, 3.13 parses far deeper),
so a body's fate would depend on where hookdev runs. Okta's payloads are a few levels deep; anything past
MAX_DEPTH is refused the same way everywhere, before the parser builds it.
"""

from __future__ import annotations

import functools
import re
from itertools import accumulate
from typing import Any

from hookdev import jsonfast

MAX_DEPTH = 64
"""Arrays and objects nested deeper than this are refused (Okta's own payloads stay under 10)."""

_ESCAPE = re.compile(rb"\\.", re.DOTALL)
# Brackets become signed bytes: an opening one +1, a closing one -1; everything else is dropped.
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKET = bytes(set(range(256)) - set(b"[]{}"))


class TooDeep(ValueError):
    """The JSON nests arrays or objects deeper than MAX_DEPTH."""

    def __init__(self) -> None:
        super().__init__(f"nested more than {MAX_DEPTH} levels deep")


def depth(data: bytes | str) -> int:
    """How deep the arrays and objects of a JSON text nest (brackets inside strings do not count).

    Exact up to MAX_DEPTH; past it, any number above MAX_DEPTH.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if b"\\" in raw:
        raw = _ESCAPE.sub(b"", raw)  # an escaped quote does not end a string
    outside_strings = b"".join(raw.split(b'"')[::2])
    steps = outside_strings.translate(_STEPS, _NOT_BRACKET)
    if b"\x01" * (MAX_DEPTH + 1) in steps:  # a long run of opening brackets: no need to add them up
        return MAX_DEPTH + 1
    return max(accumulate(memoryview(steps).cast("b"), initial=0))


def loads(data: bytes | str) -> Any:
    """json.loads, refusing with TooDeep what nests deeper than MAX_DEPTH, on every interpreter.

    Parsed by orjson where it can (the same values, a third of the time), by json where orjson refuses."""
    brackets = data.count("[") + data.count("{") if isinstance(data, str) else data.count(b"[") + data.count(b"{")
    if brackets > MAX_DEPTH and depth(data) > MAX_DEPTH:  # too few brackets to go too deep is the common case
        raise TooDeep
    try:
        return jsonfast.loads(data)
    except RecursionError:  # only reachable through a malformed text the depth count could not read
        raise TooDeep from None


SHARED_MAX = 4096
"""Texts up to this size are remembered by loads_shared (at most 64 of them)."""


def loads_shared(data: bytes) -> Any:
    """loads() of a text read again and again, such as an answer template's body at every call: a small one is
    parsed once and the same value returned each time, so callers must only read it, never change it."""
    if len(data) > SHARED_MAX:
        return loads(data)
    return _remembered(data)


@functools.lru_cache(maxsize=64)
def _remembered(data: bytes) -> Any:
    return loads(data)
