"""Streaming BPE training: every pre-tokenization pattern against a naive reference, files cut into
small blocks and chunks give the counts of the whole text (CRLF, Chinese without ASCII cut points,
special tokens), blocks stay bounded, progress bars."""
from __future__ import annotations

import random
from collections import Counter

import pytest

import lecture_utils.tokenizers.bpe_count as bpe_count
import lecture_utils.tokenizers.encode_file as encode_file
from lecture_utils.tokenizers.bpe_train import count_pretokens, train_bpe, train_bpe_from_text
from lecture_utils.tokenizers.pretokenize import exact_pattern
from test_bpe_train import naive_bpe_from_words

EOT = "<|endoftext|>"
pytestmark = pytest.mark.filterwarnings("ignore::lecture_utils.tokenizers.bpe_train.TrainingStoppedEarly")


def _mixed_text(seed: int, n: int) -> str:
    rng = random.Random(seed)
    pieces = ["the", " cat", " 你好", "，世界。", "\r\n", "\n\n", "    ", " 🎉", EOT, "'s", "'LL", " 12345", "!!",
              "\t", " x", "Ünïcode", " HTTPServer", "中文没有空格的一长串文字", "\u3000", "de\u0301j\u00e0", "/*", "\r"]
    return "".join(rng.choice(pieces) for _ in range(n))


def _reference_counts(text: str, specials, pattern: str) -> Counter:
    parts = [text]
    for s in sorted(specials, key=len, reverse=True):
        parts = [q for p in parts for q in p.split(s)]
    return Counter(w for p in parts for w in exact_pattern(pattern).findall(p))


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Blocks, tasks and search windows of a few bytes, and the parallel path on small files."""
    monkeypatch.setattr(bpe_count, "PARALLEL_MIN_BYTES", 1000)
    monkeypatch.setattr(bpe_count, "BLOCK_BYTES", 300)
    monkeypatch.setattr(bpe_count, "TASK_BYTES", 2000)
    monkeypatch.setattr(encode_file, "WINDOW_BYTES", 16)


@pytest.mark.parametrize("pattern", ["gpt2", "cl100k_base", "o200k_base", r"\w+|\s+|[^\w\s]+"])
def test_each_pattern_trains_like_the_naive_reference(pattern):
    text = _mixed_text(1, 600)
    vocab, merges = train_bpe_from_text(text, 330, [EOT], pattern=pattern)
    assert (vocab, merges) == naive_bpe_from_words(_reference_counts(text, [EOT], pattern), 330, [EOT])


def test_patterns_give_different_tokenizers():
    text = _mixed_text(2, 2000)
    results = {name: train_bpe_from_text(text, 300, pattern=name)[1] for name in ("gpt2", "cl100k_base", "o200k_base")}
    assert results["gpt2"] != results["cl100k_base"]  # cl100k splits digits in threes, so it never learns "12345"
    assert all(b"12345" not in a + b for a, b in results["cl100k_base"])


@pytest.mark.parametrize("pattern", ["gpt2", "cl100k_base", "o200k_base"])
def test_file_cut_in_small_blocks_counts_like_the_whole_text(tmp_path, tiny_blocks, pattern):
    text = _mixed_text(3, 3000)
    path = tmp_path / "c.txt"
    path.write_bytes(text.encode("utf-8"))  # CRLF and lone CR kept as they are
    expected = _reference_counts(text, [EOT], pattern)
    assert count_pretokens(path, [EOT], pattern=pattern, num_processes=2) == expected
    assert count_pretokens(path, [EOT], pattern=pattern, num_processes=1) == expected


def test_crlf_is_read_as_written(tmp_path):
    text = "line one\r\nline two\r\n\r\nthree\r\n" * 50
    path = tmp_path / "crlf.txt"
    path.write_bytes(text.encode("utf-8"))
    counts = count_pretokens(path)
    assert counts == _reference_counts(text, [], "gpt2") and "\r\n" in counts
    assert train_bpe(path, 280) == train_bpe_from_text(text, 280)


def test_chinese_without_ascii_cut_points_is_still_cut(tmp_path, tiny_blocks):
    text = "他说：“今天的天气很好，我们去公园吧。”\n她笑了。\n" * 200  # no ASCII letter before a newline
    path = tmp_path / "zh.txt"
    path.write_bytes(text.encode("utf-8"))
    bounds = bpe_count.chunk_boundaries(path, 20, (), "gpt2")
    assert len(bounds) > 10  # cut after the Chinese full stop, not read whole
    data = path.read_bytes()
    chunks = [data[a:b].decode("utf-8") for a, b in zip(bounds, bounds[1:])]
    assert sum((_reference_counts(c, [], "gpt2") for c in chunks), Counter()) == _reference_counts(text, [], "gpt2")


def test_workers_read_bounded_blocks(tmp_path, tiny_blocks, monkeypatch):
    text = _mixed_text(4, 4000).replace(EOT, " ")
    path = tmp_path / "c.txt"
    path.write_bytes(text.encode("utf-8"))
    sizes = []
    real = bpe_count.read_text_range

    def recording(p, start, end):
        sizes.append(end - start)
        return real(p, start, end)

    monkeypatch.setattr(bpe_count, "read_text_range", recording)
    assert count_pretokens(path, num_processes=1) == _reference_counts(text, [], "gpt2")
    assert len(sizes) > 10 and max(sizes) < 2 * 300 + 200  # blocks of ~BLOCK_BYTES, never the whole file


def test_special_tokens_spanning_block_edges(tmp_path, tiny_blocks):
    specials = [EOT, "<|a|><|b|>", "<|a|>"]
    rng = random.Random(5)
    text = "".join(rng.choice(["x", " y", "<|a|>", "<|b|>", EOT, "  ", "\n"]) for _ in range(3000))
    path = tmp_path / "s.txt"
    path.write_bytes(text.encode("utf-8"))
    assert count_pretokens(path, specials, num_processes=2) == _reference_counts(text, specials, "gpt2")


def test_progress_bars_on_request(tmp_path, capsys):
    path = tmp_path / "c.txt"
    path.write_text("ab ab ab " * 100, encoding="utf-8")
    train_bpe(path, 258, progress=True)
    err = capsys.readouterr().err
    assert "counting pre-tokens" in err and "merging" in err
    train_bpe(path, 258)  # default: off unless stderr is a terminal (it is not under pytest)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("seed", range(4))
def test_piece_counting_is_exact(tmp_path, monkeypatch, seed):
    """Counting distinct whitespace-led pieces first gives exactly the pre-token counts (tiny limits)."""
    monkeypatch.setattr(bpe_count, "SUB_BLOCK_CHARS", 50)
    monkeypatch.setattr(bpe_count, "MAX_PIECES", 7)
    monkeypatch.setattr(bpe_count, "JOIN_PIECES", 3)
    rng = random.Random(seed)
    words = ["a", "ab", " ab", "  ab", "\n", "\n\n", " \n", "\t ", "'s", " 's", "x'", "🎉", " 🎉", "12", " 3",
             "!!", " !", "\r\n", "\u3000", "\x1c", "中文", "de\u0301", "  ", " "]
    text = "".join(rng.choice(words) for _ in range(3000))
    path = tmp_path / "p.txt"
    path.write_bytes(text.encode("utf-8"))
    for pattern in ("gpt2", "cl100k_base"):
        assert count_pretokens(path, pattern=pattern, num_processes=1) == _reference_counts(text, [], pattern)


def test_a_worker_error_reaches_the_caller(tmp_path, tiny_blocks):
    path = tmp_path / "bad.txt"
    path.write_bytes(("good text " * 300).encode("utf-8") + "坏".encode("gbk") + b" more text" * 300)
    with pytest.raises(ValueError, match="not valid UTF-8.*iconv"):
        count_pretokens(path, num_processes=2)


def test_workers_import_only_the_counting_code(tmp_path):
    """A worker is a fresh python that never imports numpy or the package's __init__ files."""
    import pickle
    import subprocess
    import sys

    path = tmp_path / "w.txt"
    path.write_text("the cat the hat", encoding="utf-8")
    probe = bpe_count._WORKER_MAIN.replace("_serve()", "_serve()\nprint(sorted(m for m in sys.modules"
                                           " if m.startswith(('numpy', 'IPython', 'lecture_utils'))), file=sys.stderr)")
    task = (path, [0, path.stat().st_size], (), "gpt2", False)
    run = subprocess.run([sys.executable, "-c", probe, str(bpe_count._PACKAGE_DIR)], capture_output=True,
                         input=pickle.dumps(task), check=True)
    ok, (counts, done) = pickle.loads(run.stdout)
    assert ok and done == 15 and counts == Counter({"the": 1, " cat": 1, " the": 1, " hat": 1})
    assert run.stderr.decode().strip() == str(["lecture_utils", "lecture_utils.tokenizers",
                                               "lecture_utils.tokenizers.base", "lecture_utils.tokenizers.bpe_count",
                                               "lecture_utils.tokenizers.pretokenize",
                                               "lecture_utils.tokenizers.workers"])


def test_byte_keys_never_clash_with_text_keys(tmp_path):
    """"é" as bytes-as-latin-1 is "Ã©": both in one file must stay two pre-tokens (counted apart)."""
    text = "é Ã© é Ã©Ã© xé " * 50
    path = tmp_path / "latin.txt"
    path.write_text(text, encoding="utf-8")
    counts = bpe_count.count_file(path, [], "gpt2", 1, False, as_bytes=True)
    expected = _reference_counts(text, [], "gpt2")
    assert counts == Counter({w.encode("utf-8").decode("latin-1"): c for w, c in expected.items()})
    assert train_bpe(path, 270) == train_bpe_from_text(text, 270)
