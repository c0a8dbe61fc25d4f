"""Notebook 04's exercise checks: right answers (several spellings) pass, wrong ones get a hint."""
from collections import Counter

from lecture_utils.exercises import ex04
from lecture_utils.tokenizers import CharacterTokenizer


def test_combining_and_ratio():
    assert ex04.check_combining((1, 2)) and ex04.check_combining([1, 2])
    assert not ex04.check_combining((1, 1)) and "还没有作答" in repr(ex04.check_combining(...))
    text = "今天好开心🎉🎉 一起吃火锅🍲！"
    assert ex04.check_char_ratio(text, len(text.encode("utf-8")) / len(text))
    assert ex04.check_char_ratio(text, round(len(text.encode("utf-8")) / len(text), 3))
    assert "偏小" in repr(ex04.check_char_ratio(text, 1.0))
    assert not ex04.check_char_ratio("", 1.0)


class Seen:
    """A right answer: ids by falling frequency, ties by first sight, 0 = UNK."""

    def __init__(self, corpus):
        counts = Counter(corpus)
        self.chars = sorted(counts, key=lambda c: (-counts[c], corpus.index(c)))
        self.ids = {c: i for i, c in enumerate(self.chars, 1)}
        self.vocab_size = len(self.chars) + 1

    def encode(self, text):
        return [self.ids.get(c, 0) for c in text]

    def decode(self, ids):
        return "".join(self.chars[i - 1] if i else "<|unk|>" for i in ids)


class SeenAlphabetical(Seen):
    """Wrong: sorted by character, not frequency."""

    def __init__(self, corpus):
        super().__init__(corpus)
        self.chars = sorted(set(corpus))
        self.ids = {c: i for i, c in enumerate(self.chars, 1)}


class SeenNoUnkInSize(Seen):
    """Wrong: forgets UNK in vocab_size."""

    def __init__(self, corpus):
        super().__init__(corpus)
        self.vocab_size -= 1


def test_seen_tokenizer():
    assert ex04.check_seen_tokenizer(Seen)
    assert "次数相同" in repr(ex04.check_seen_tokenizer(SeenAlphabetical))
    assert "UNK" in repr(ex04.check_seen_tokenizer(SeenNoUnkInSize))
    assert not ex04.check_seen_tokenizer(CharacterTokenizer)  # takes no corpus: raises, reported
    assert "还没有作答" in repr(ex04.check_seen_tokenizer(...))


def test_seen_answers_and_curve():
    corpus, text = "Hello world", "Hello"
    assert ex04.check_seen_answers((len(set(corpus)) + 1, True), corpus, text)
    assert not ex04.check_seen_answers((len(set(corpus)), True), corpus, text)
    assert not ex04.check_seen_answers((len(set(corpus)) + 1, False), corpus, text)
    train, val = "aaabbc", "abcd"
    right = {1: (4, 0.25), 2: (3, 0.5), 3: (2, 0.75)}
    assert ex04.check_unk_curve(right, train, val, [1, 2, 3])
    assert not ex04.check_unk_curve({1: (3, 0.25), 2: (3, 0.5), 3: (2, 0.75)}, train, val, [1, 2, 3])
    assert "UNK 比例" in repr(ex04.check_unk_curve({1: (4, 0.5), 2: (3, 0.5), 3: (2, 0.75)}, train, val, [1, 2, 3]))
    assert not ex04.check_unk_curve({1: (4, 0.25)}, train, val, [1, 2, 3])


class MinimalChar:
    """The lecture's two-line tokenizer plus the vocabulary size: passes the notebook's checks."""

    vocab_size = 0x110000

    def encode(self, text):
        return list(map(ord, text))

    def decode(self, ids):
        return "".join(map(chr, ids))


class LowerChar(MinimalChar):
    """An edit that breaks the round trip."""

    def encode(self, text):
        return list(map(ord, text.lower()))


def test_check_tokenizer_runs_the_notebook_checks():
    assert ex04.check_tokenizer(CharacterTokenizer) and ex04.check_tokenizer(MinimalChar)
    assert not ex04.check_tokenizer(LowerChar)
    assert "vocab_size" in repr(ex04.check_tokenizer(type("NoSize", (MinimalChar,), {"vocab_size": None})))
