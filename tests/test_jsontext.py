"""JSON from outside: nesting is bounded by hookdev's own limit, whatever the interpreter's parser allows."""

from __future__ import annotations

import json

import pytest

from hookdev import jsontext
from hookdev.cli.send import pretty
from hookdev.io.render import show_report
from hookdev.jsontext import MAX_DEPTH, TooDeep, depth
from hookdev.models import RequestSnapshot, ResponseSnapshot
from hookdev.okta.outcome import outcome
from hookdev.okta.syslog import call_of
from tests.conftest import SAMPLES, make_exchange


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


DEEP_BODIES = {"balanced-3000": b"[" * 3000 + b"]" * 3000, "open-50000": b"[" * 50_000}


@pytest.mark.parametrize("body", DEEP_BODIES.values(), ids=DEEP_BODIES.keys())
def test_a_recorded_body_too_deep_to_read_is_shown_as_text_on_every_interpreter(body):
    # The receiver refuses such a body with a 400 but records it; every later view of it must still work.
    request = RequestSnapshot(method="POST", path="/tokenHook", headers=(("Content-Type", "application/json"),),
                              body=body)
    ex = make_exchange(request=request, response=ResponseSnapshot(status=200, body=body))
    report = show_report(ex)
    assert report.count("[" * 1000) >= 2  # the request and the answer, each as the text that came
    assert show_report(ex, reveal=True) == report
    assert outcome("token", 200, body) == outcome("token", 200, b"not json")
    assert call_of(ex, {}).exchange_id == ex.id
    assert pretty(body) == body.decode()


@pytest.mark.parametrize(
    "text",
    [b'{"a": 1, "a": 2}', b"1e400", b"NaN", b'\xef\xbb\xbf{"a": 1}', b'{"a": "\\ud800"}', b"12345678901234567890123",
     b'"\xed\xa0\x80"', b'{"\xc3\xa9": [-0.0, 5e-324]}'],
)
def test_what_the_fast_parser_refuses_reads_as_the_standard_library_reads_it(text):
    assert repr(jsontext.loads(text)) == repr(json.loads(text))


@pytest.mark.parametrize("text", [b'{"a": "x\x01y"}', b"[1,]", b'{"a": "\xff"}', b"[01]"])
def test_what_the_standard_library_refuses_is_refused(text):
    with pytest.raises(ValueError):
        json.loads(text)
    with pytest.raises(ValueError):
        jsontext.loads(text)


def test_a_text_read_again_and_again_is_parsed_once_while_it_is_small():
    answer = json.dumps({"commands": [{"type": "com.okta.action.update", "value": {"registration": "ALLOW"}}]})
    first = jsontext.loads_shared(answer.encode())
    assert first == json.loads(answer)
    assert jsontext.loads_shared(answer.encode()) is first  # equal bytes, another object: the same value
    big = json.dumps({"pad": "x" * jsontext.SHARED_MAX}).encode()
    assert jsontext.loads_shared(big) == json.loads(big)
    assert jsontext.loads_shared(big) is not jsontext.loads_shared(big)
    with pytest.raises(TooDeep):
        jsontext.loads_shared(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))
