"""The fast JSON path keeps the standard library's meaning, including for what orjson refuses."""

from __future__ import annotations

import json

import pytest

from hookdev import jsonfast

VALUES = [
    {"a": 1, "b": [True, None, 1.5], "c": "text"},
    [["Content-Type", "application/json"], ["X-Okta", "1"]],
    {"big": 2**70, "neg": -(2**65)},  # past 64 bits: orjson refuses, json does not
    {"odd": 2**70 + 1, "low": -(2**63) - 1, "in": [2**64 - 1, -(2**63)]},  # orjson would read floats
    {"lone": "\ud800 surrogate"},  # what a hostile header can decode to
    {"unicode": "Zoë ☃ \u202e reversed"},
    {"control": "a\x1b[31mred\x07"},
]


@pytest.mark.parametrize("value", VALUES)
def test_round_trip_means_the_same(value: object) -> None:
    assert jsonfast.loads(jsonfast.dumps(value)) == json.loads(json.dumps(value))
    assert jsonfast.loads(jsonfast.dumps_ascii(value)) == json.loads(json.dumps(value))


@pytest.mark.parametrize("value", VALUES)
def test_lines_for_a_terminal_are_plain_ascii(value: object) -> None:
    line = jsonfast.dumps_ascii(value)
    assert line.isascii()
    assert all(ch >= " " for ch in line), "control characters come out as escapes"


def test_loads_reads_what_the_standard_library_wrote() -> None:
    for value in VALUES:
        assert jsonfast.loads(json.dumps(value)) == json.loads(json.dumps(value))
        assert repr(jsonfast.loads(json.dumps(value).encode())) == repr(json.loads(json.dumps(value)))
    assert jsonfast.loads(b'{"x": NaN}')["x"] != 0  # NaN: accepted as json does
    with pytest.raises(ValueError):
        jsonfast.loads("{not json")
