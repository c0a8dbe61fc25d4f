"""The token view: deterministic, escaped HTML with ids and bytes on hover."""
from __future__ import annotations

import re

import pytest

from lecture_utils.encodings import get_encoding
from lecture_utils.tokenizers import ByteTokenizer, CharacterTokenizer, ToyBPETokenizer, WordTokenizer, render_tokens
from lecture_utils.tokenizers import train_toy_bpe
from lecture_utils.tokenizers.view import PALETTE, token_label

EXAMPLE = "Hello, 🌍! 你好!"


@pytest.fixture(scope="module")
def gpt2():
    return get_encoding("gpt2")


def spans(view):
    return re.findall(r'<span title="([^"]*)" style="background:(#[0-9a-f]{6});', view.html)


def test_gpt2_example(gpt2):
    view = render_tokens(EXAMPLE, gpt2)
    assert view.ids == [15496, 11, 12520, 234, 235, 0, 220, 19526, 254, 25001, 121, 0]
    found = spans(view)
    assert len(found) == 12
    assert found[0] == ("id 15496 · b&#x27;Hello&#x27;", PALETTE[0])
    assert found[2][0] == r"id 12520 · b&#x27; \xf0\x9f&#x27;"
    assert [c for _, c in found] == [PALETTE[i % len(PALETTE)] for i in range(12)]
    assert "12 个词元 (tokens) · 20 字节 (bytes) · 压缩率 1.667" in view.html
    assert repr(view) == r"TokenView(12 tokens): Hello|,|·\xf0\x9f|\x8c|\x8d|!|·|\xe4\xbd|\xa0|\xe5\xa5|\xbd|!"
    assert view._repr_html_() == view.html


def test_deterministic_and_same_for_ids(gpt2):
    a, b = render_tokens(EXAMPLE, gpt2), render_tokens(EXAMPLE, gpt2)
    assert a.html == b.html
    assert render_tokens(gpt2.encode(EXAMPLE), gpt2).html == a.html


def test_text_is_escaped(gpt2):
    text = '<script>alert("x")</script> & \'q\''
    html = render_tokens(text, gpt2).html
    assert "<script" not in html and "</script" not in html
    assert "&lt;" in html and "&amp;" in html
    # no raw quote can end a title attribute early
    for title in re.findall(r'title="([^"]*)"', html):
        assert "<" not in title and ">" not in title


def test_whitespace_markers_and_partial_utf8():
    view = render_tokens("a b\n\t", ByteTokenizer())
    assert repr(view) == "TokenView(5 tokens): a|·|b|↵|→"
    assert ">↵</span>\n" in view.html  # the line still breaks after the marker
    assert token_label(b" \xf0\x9f") == r"·\xf0\x9f"
    assert token_label("🌍".encode()) == "🌍"
    assert token_label(b"\xe4\xbd\xa0\xe5") == r"你\xe5"


@pytest.mark.parametrize("tok", [CharacterTokenizer(), ByteTokenizer(), WordTokenizer.train(EXAMPLE),
                                 ToyBPETokenizer(train_toy_bpe(EXAMPLE * 3, 8))], ids=repr)
def test_our_tokenizers(tok):
    view = render_tokens(EXAMPLE, tok, show_ids=True)
    assert b"".join(view.pieces) == EXAMPLE.encode()
    assert len(spans(view)) == len(tok.encode(EXAMPLE))
    assert f"<sub" in view.html


def test_word_unk_shows_marker_and_counts_text_bytes():
    tok = WordTokenizer.train("hi there")
    view = render_tokens("hi you", tok)
    assert "&lt;|unk|&gt;" in view.html
    assert "6 字节 (bytes)" in view.html


def test_no_summary_and_empty():
    assert "字节" not in render_tokens("ab", ByteTokenizer(), summary=False).html
    assert "0 个词元" in render_tokens("", ByteTokenizer()).html


def test_errors():
    with pytest.raises(TypeError, match="got bytes"):
        render_tokens(b"ab", ByteTokenizer())
    with pytest.raises(TypeError, match="cannot get token bytes"):
        render_tokens([1, 2], object())
