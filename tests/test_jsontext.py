"""JSON from outside: nesting is bounded by hookdev's own limit, whatever the interpreter's parser allows."""

from __future__ import annotations

import json

import pytest

from hookdev import jsontext
from hookdev.jsontext import MAX_DEPTH, TooDeep, depth
from tests.conftest import SAMPLES


@pytest.mark.parametrize(
    ("text", "levels"),
    [
        ("1", 0),
        ("[]", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('["[[[[", "{{{{"]', 1),  # brackets inside strings do not nest
        (r'["\"[[[", "\\", [["\"]]"]]]', 3),  # nor do escaped quotes end a string
        ("[[]][[[]]]", 3),
        ("]]][", 0),
    ],
)
def test_depth_counts_arrays_and_objects_outside_strings(text, levels):
    assert depth(text) == levels
    assert depth(text.encode()) == levels


def test_every_sample_payload_is_far_below_the_limit():
    for sample in SAMPLES.glob("*.json"):
        assert depth(sample.read_bytes()) < 10, sample.name


def test_up_to_the_limit_parses_and_one_more_level_is_refused():
    assert jsontext.loads("[" * MAX_DEPTH + "]" * MAX_DEPTH) == json.loads("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    with pytest.raises(TooDeep, match=f"more than {MAX_DEPTH} levels"):
        jsontext.loads("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))


@pytest.mark.parametrize(
    "text",
    [
        b"[" * 3000 + b"]" * 3000,  # parses on 3.13, exhausts 3.11's parser
        b"[" * 50_000,  # unbalanced, as a stranger might send it
        b"[1," * 2000 + b"1" + b"]" * 2000,
        b'{"a":' * 100 + b"1" + b"}" * 100,
    ],
    ids=["balanced-3000", "open-50000", "array-chain", "object-chain"],
)
def test_deep_texts_are_refused_the_same_way_on_every_interpreter(text):
    with pytest.raises(TooDeep):
        jsontext.loads(text)
    assert isinstance(TooDeep(), ValueError)  # callers that catch ValueError for bad JSON catch this too


def test_a_wide_body_with_many_brackets_is_not_deep():
    wide = json.dumps({"events": [{"target": [{"id": i}]} for i in range(500)]})
    assert jsontext.loads(wide) == json.loads(wide)
    assert depth(wide) == 5


def test_malformed_json_still_raises_the_parsers_error():
    with pytest.raises(json.JSONDecodeError):
        jsontext.loads(b"{not json")
