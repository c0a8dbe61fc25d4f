"""The lecture's teaching BPE: exact numbers from the lecture, both tie rules, round trips."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lecture_utils.tokenizers import ToyBPETokenizer, merge, train_toy_bpe
from lecture_utils.tokenizers.toy_bpe import count_pairs, pair_count_table

CAT = "the cat in the hat"
CAT_BYTES = [116, 104, 101, 32, 99, 97, 116, 32, 105, 110, 32, 116, 104, 101, 32, 104, 97, 116]


@pytest.mark.parametrize("ids, pair, new_id, expected", [
    ([1, 2, 3, 1, 2], (1, 2), 9, [9, 3, 9]),
    ([1, 1, 1], (1, 1), 9, [9, 1]),  # non-overlapping, left to right
    ([1, 1, 1, 1], (1, 1), 9, [9, 9]),
    ([], (1, 2), 9, []),
    ([1], (1, 2), 9, [1]),
    ([2, 1], (1, 2), 9, [2, 1]),
])
def test_merge(ids, pair, new_id, expected):
    assert merge(ids, pair, new_id) == expected


def test_count_pairs_first_seen_order():
    assert count_pairs([1, 2, 3, 1, 2]) == {(1, 2): 2, (2, 3): 1, (3, 1): 1}
    assert list(count_pairs([5, 4, 3, 4, 5])) == [(5, 4), (4, 3), (3, 4), (4, 5)]


def test_lecture_training_exactly():
    params = train_toy_bpe(CAT, 3, record=True)
    assert list(CAT.encode()) == CAT_BYTES
    assert params.merges == {(116, 104): 256, (256, 101): 257, (257, 32): 258}
    assert [params.vocab[i] for i in (256, 257, 258)] == [b"th", b"the", b"the "]
    first = params.steps[0].counts
    assert sorted(p for p, c in first.items() if c == 2) == sorted([(116, 104), (104, 101), (101, 32), (97, 116)])
    assert max(first.values()) == 2
    assert params.steps[-1].ids == [258, 99, 97, 116, 32, 105, 110, 32, 258, 104, 97, 116]


def test_lecture_encode_quick_brown_fox():
    tok = ToyBPETokenizer(train_toy_bpe(CAT, 3))
    ids = tok.encode("the quick brown fox")
    assert ids == [258, 113, 117, 105, 99, 107, 32, 98, 114, 111, 119, 110, 32, 102, 111, 120]
    assert tok.decode(ids) == "the quick brown fox"
    assert tok.token_bytes(258) == b"the "
    assert tok.encode(CAT) == [258, 99, 97, 116, 32, 105, 110, 32, 258, 104, 97, 116]


def test_tie_rules_agree_on_the_lecture_example_then_diverge():
    # in the 4-way tie, b"t" is also the lexicographically greatest first byte: both rules pick "th"
    assert train_toy_bpe(CAT, 4).merges == train_toy_bpe(CAT, 4, tie_break="lexicographic").merges
    first, lexi = train_toy_bpe(CAT, 5), train_toy_bpe(CAT, 5, tie_break="lexicographic")
    assert first.vocab[260] == b"the c" and lexi.vocab[260] == b"the h"


def test_tie_rules_differ_on_the_first_merge():
    assert train_toy_bpe("low lower lowest", 1).vocab[256] == b"lo"  # first seen
    assert train_toy_bpe("low lower lowest", 1, tie_break="lexicographic").vocab[256] == b"ow"  # b"o" > b"l"


def test_lexicographic_compares_bytes_not_ids():
    # after merging "ab" -> 256: pairs (256, c) and (99, 100) tie; bytes b"ab" < b"c" although 256 > 99
    params = train_toy_bpe("abab cd cd abc", 2, tie_break="lexicographic", record=True)
    step = params.steps[1]
    best = max(step.counts.values())
    tied = [p for p, c in step.counts.items() if c == best]
    assert step.pair == max(tied, key=lambda p: (params.vocab[p[0]], params.vocab[p[1]]))


def test_training_stops_when_nothing_is_left_to_merge():
    params = train_toy_bpe("aaaa", 10)
    assert [params.vocab[i] for i in params.merges.values()] == [b"aa", b"aaaa"]
    assert train_toy_bpe("", 3).merges == {}


@pytest.mark.parametrize("kwargs, error", [({"num_merges": -1}, ValueError), ({"tie_break": "last"}, ValueError),
                                           ({"num_merges": 1.5}, ValueError)])
def test_train_argument_errors(kwargs, error):
    with pytest.raises(error):
        train_toy_bpe(CAT, **{"num_merges": 1, **kwargs})


def test_pair_count_table():
    params = train_toy_bpe(CAT, 1, record=True)
    table = pair_count_table(params.steps[0], params.vocab)
    assert list(table["次数"][:4]) == [2, 2, 2, 2]
    assert list(table["字节 (bytes)"][:4]) == ["b'th'", "b'he'", "b'e '", "b'at'"]
    assert list(table["选中"]).count("✓") == 1 and table["选中"][0] == "✓"
    assert len(pair_count_table(params.steps[0], params.vocab, top=3)) == 3


@settings(max_examples=60, deadline=None)
@given(train=st.text(max_size=60), text=st.text(max_size=60), n=st.integers(0, 12),
       rule=st.sampled_from(["first", "lexicographic"]))
def test_round_trip_any_unicode(train, text, n, rule):
    tok = ToyBPETokenizer(train_toy_bpe(train + "e\u0301🌍你好", n, tie_break=rule))
    assert tok.decode(tok.encode(text)) == text
    assert tok.decode(tok.encode(train)) == train


def test_decode_errors():
    tok = ToyBPETokenizer(train_toy_bpe(CAT, 3))
    with pytest.raises(ValueError, match="out of range"):
        tok.decode([259])
    assert tok.decode([240, 159]) == "\ufffd"  # a partial UTF-8 sequence never raises
