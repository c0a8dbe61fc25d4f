"""The token explorer: counts and ratios per tokenizer, partial UTF-8 tokens, and a view that follows the text box."""
import re

import pytest

from lecture_utils.tokenizers import ByteTokenizer, CharacterTokenizer, WordTokenizer
from lecture_utils.widgets import tokens

TEXT = "Hello, 🌍! 你好!"


def summary_rows(page: str) -> dict[str, tuple[str, ...]]:
    """name -> (词表大小, 词元数, 压缩率) read back from the summary table of the HTML."""
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
        if len(cells) == 4:
            rows[cells[0]] = tuple(cells[1:])
    return rows


@pytest.fixture(scope="module")
def default_page():
    return tokens.token_comparison_html(TEXT)


def test_default_tokenizers_counts_and_ratios(default_page):
    rows = summary_rows(default_page)
    # the lecture's numbers (gpt2: 20 bytes / 12 tokens) and the 2026 lecture's o200k_base
    assert rows == {"gpt2": ("50,257", "12", "1.667"), "cl100k_base": ("100,277", "10", "2.000"),
                    "o200k_base": ("200,019", "8", "2.500")}
    assert "13 个字符，20 个 UTF-8 字节" in default_page


def test_spans_carry_ids_and_partial_utf8_is_escaped(default_page):
    # gpt2 splits 🌍 inside its bytes: the first piece is " \xf0\x9f" (id 12520), shown escaped in red
    assert ">12520</sub>" in default_page and "\\xf0\\x9f" in default_page
    assert "id 177519" in default_page  # o200k_base: 你好 is one token
    assert "�" not in default_page


def test_partial_tokens_of_our_tokenizers_render():
    page = tokens.token_comparison_html("🌍你", {"字节": ByteTokenizer(), "字符": CharacterTokenizer()})
    rows = summary_rows(page)
    assert rows["字节"] == ("256", "7", "1.000") and rows["字符"] == ("1,114,112", "2", "3.500")
    assert "\\xf0" in page and "\\xa0" in page and "🌍" in page


def test_stats_match_html_and_empty_text():
    stats = tokens.token_stats(TEXT)
    assert stats["gpt2"]["tokens"] == 12 and stats["o200k_base"]["ratio"] == 2.5
    empty = tokens.token_comparison_html("", {"字节": ByteTokenizer()})
    assert summary_rows(empty)["字节"] == ("256", "0", "–")
    assert tokens.token_stats("", {"字节": ByteTokenizer()})["字节"]["ratio"] is None


def test_special_token_text_is_ordinary_and_unk_shows():
    page = tokens.token_comparison_html("<|endoftext|>", {"gpt2": tokens.default_tokenizers()["gpt2"]})
    assert summary_rows(page)["gpt2"][1] != "1"  # not the special token 50256: plain text pieces
    word = WordTokenizer.train("the cat")
    assert summary_rows(tokens.token_comparison_html("the dog", {"单词": word}))["单词"][1] == "3"


def test_a_failing_tokenizer_is_reported_not_raised():
    class Broken:
        def encode(self, text):
            raise ValueError("坏了")

    page = tokens.token_comparison_html("abc", {"坏的": Broken(), "字节": ByteTokenizer()})
    assert "无法编码：ValueError: 坏了" in page and summary_rows(page)["字节"][1] == "3"


def test_bad_arguments_are_clear_errors():
    with pytest.raises(TypeError, match="text must be a str"):
        tokens.token_comparison_html(b"abc")
    with pytest.raises(TypeError, match="dict name -> tokenizer"):
        tokens.token_comparison_html("abc", [ByteTokenizer()])
    with pytest.raises(ValueError, match="empty"):
        tokens.token_comparison_html("abc", {})
    with pytest.raises(TypeError, match="no encode"):
        tokens.token_comparison_html("abc", {"x": object()})


def test_explorer_follows_its_text_box(monkeypatch):
    import IPython.display

    shown = []

    class Handle:
        def update(self, obj):
            shown.append(obj.data)

    def fake_display(obj, display_id=None):
        if display_id:
            shown.append(obj.data)
            return Handle()
        return None

    monkeypatch.setattr(IPython.display, "display", fake_display)
    box = tokens.token_explorer(TEXT, {"字节": ByteTokenizer(), "字符": CharacterTokenizer()})
    assert summary_rows(shown[-1])["字节"][1] == "20"  # the opening state
    box.children[0].value = "abc"
    assert summary_rows(shown[-1]) == {"字节": ("256", "3", "1.000"), "字符": ("1,114,112", "3", "1.000")}


def test_the_series_own_bpe_sits_beside_the_openai_encodings():
    """NB-C's use in 07: a BPE trained here (vocab dict of bytes) next to gpt2; partial-UTF-8 tokens escaped."""
    from lecture_utils.tokenizers import BPETokenizer
    from lecture_utils.tokenizers.bpe_train import train_bpe_from_text

    vocab, merges = train_bpe_from_text("the cat in the hat, the cat and the hat " * 20 + "你好你好", 270)
    bpe = BPETokenizer(vocab, merges)
    text = "the cat 你好🌍"
    page = tokens.token_comparison_html(text, {"gpt2": tokens.default_tokenizers()["gpt2"], "本讲义的 BPE": bpe})
    rows = summary_rows(page)
    n = len(bpe.encode(text))
    assert rows["本讲义的 BPE"] == (f"{bpe.vocab_size:,}", str(n), f"{len(text.encode('utf-8')) / n:.3f}")
    assert "\\xf0" in page  # 🌍 was never seen: its bytes are separate tokens
