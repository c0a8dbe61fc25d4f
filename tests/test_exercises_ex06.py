"""Notebook 06's exercise checks: right answers (several spellings) pass, wrong ones get a hint."""
import collections
import math

import regex

from lecture_utils.exercises import ex06
from lecture_utils.tokenizers import GPT2_SPLIT_PATTERN, SIMPLE_WORD_PATTERN, WordTokenizer


def test_alternatives_and_branch_at():
    assert ex06.alternatives(r"a|(b|c)|[|]|\||[]|]") == ["a", "(b|c)", "[|]", r"\|", "[]|]"]
    assert len(ex06.alternatives(GPT2_SPLIT_PATTERN)) == 7
    assert ex06.branch_at(GPT2_SPLIT_PATTERN, "I'll", 1) == 1 and ex06.branch_at(GPT2_SPLIT_PATTERN, " say", 0) == 2


def test_split_and_branches():
    pieces = regex.findall(GPT2_SPLIT_PATTERN, ex06.SPLIT_TEXT)
    assert ex06.check_split(pieces)
    assert "拼起来" in repr(ex06.check_split(pieces[:-1]))
    assert "段数" in repr(ex06.check_split(regex.findall(SIMPLE_WORD_PATTERN, ex06.SPLIT_TEXT, flags=regex.DOTALL)))
    merged = ["Don", "'t", "   stop"] + pieces[4:]
    assert not ex06.check_split(merged)
    assert ex06.check_branches([2, 1, 6, 2, 6, 7, 2, 3, 4])
    assert "第 3" in repr(ex06.check_branches([2, 1, 5, 2, 6, 7, 2, 3, 4]))
    assert not ex06.check_branches([2, 1])


DOCS = ["猫坐在垫子上。", "狗坐在垫子上。", "猫和狗是朋友。"]
VAL = "猫坐在椅子上。"


def test_min_count_and_han():
    right = {}
    for mc in (2, 5):
        tok = WordTokenizer.train(DOCS, GPT2_SPLIT_PATTERN, min_count=mc)
        right[mc] = (tok.vocab_size, tok.oov_rate(VAL))
    assert ex06.check_min_count(right, DOCS, VAL)
    assert not ex06.check_min_count({2: right[2], 5: (right[5][0] + 1, right[5][1])}, DOCS, VAL)
    assert not ex06.check_min_count({2: right[2]}, DOCS, VAL)
    han = WordTokenizer.train(DOCS, ex06.HAN_PATTERN)
    answer = (han.vocab_size, han.oov_rate(VAL), "字符")
    assert ex06.check_han_split(answer, DOCS, VAL)
    assert ex06.check_han_split(answer[:2] + ("Character tokenizer",), DOCS, VAL)
    assert "04" in repr(ex06.check_han_split(answer[:2] + ("字节",), DOCS, VAL))


def unigram_counts(docs):
    return collections.Counter(s for d in docs for s in regex.findall(GPT2_SPLIT_PATTERN, d))


def test_bits_per_byte():
    counts = unigram_counts(DOCS)
    toks = [WordTokenizer.train(DOCS, GPT2_SPLIT_PATTERN, max_vocab=m) for m in (3, None)]

    def bpb(tok, val):
        if not val:
            raise ValueError("空文本")
        c = collections.Counter()
        for s, n in counts.items():
            c[tok.word_to_id.get(s, tok.unk_id)] += n
        total = sum(c.values())
        nll = -sum(math.log((c[i] + 1) / (total + tok.vocab_size)) for i in tok.encode(val))
        return nll / math.log(2) / len(val.encode("utf-8"))

    assert ex06.check_bits_per_byte(bpb, toks, VAL, counts)
    per_token = lambda tok, val: bpb(tok, val) * len(val.encode("utf-8")) / len(tok.encode(val))  # noqa: E731
    assert "字节数" in repr(ex06.check_bits_per_byte(per_token, toks, VAL, counts))
    nats = lambda tok, val: bpb(tok, val) * math.log(2)  # noqa: E731
    assert not ex06.check_bits_per_byte(nats, toks, VAL, counts)


class Tiny(WordTokenizer):
    """An edited copy that forgets min_count."""

    @classmethod
    def train(cls, corpus, pattern=SIMPLE_WORD_PATTERN, *, min_count=1, max_vocab=None):
        return super().train(corpus, pattern, max_vocab=max_vocab)


def test_check_tokenizer():
    assert ex06.check_tokenizer(WordTokenizer)
    assert "min_count" in repr(ex06.check_tokenizer(Tiny))
    assert not ex06.check_tokenizer(object)
