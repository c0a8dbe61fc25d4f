"""Tests for lecture_utils.data: the embedded corpus, the text loaders and the TinyStories download.

The download is tested only against a local HTTP server on 127.0.0.1 started here, never the internet.
"""
from __future__ import annotations

import hashlib
import http.server
import re
import socket
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lecture_utils import data
from lecture_utils.data import corpus, loaders
from lecture_utils.data import download as ts

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the story grammar is a repository tool (tools/storygen), not in the package
from tools import storygen  # noqa: E402
from tools.storygen import __main__ as storygen_cli  # noqa: E402

HAN = re.compile(r"[\u4e00-\u9fff]")


# ---- embedded corpus -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def regenerated() -> dict[str, str]:
    """The corpus generated from scratch in this process (about one second)."""
    return storygen.generate_corpus()


@pytest.mark.parametrize("lang", corpus.LANGS)
def test_regeneration_gives_committed_bytes(regenerated, lang):
    committed = data.embedded_corpus_path(lang).read_bytes()
    fresh = regenerated[lang].encode("utf-8")
    assert hashlib.sha256(fresh).hexdigest() == corpus.SHA256[lang]
    assert fresh == committed


def test_sizes_and_language_shares():
    sizes = {lang: len(data.embedded_corpus(lang).encode("utf-8")) for lang in corpus.LANGS}
    assert sizes["en"] + sizes["zh"] == sizes["all"]
    assert 1_000_000 <= sizes["all"] <= 2_000_000
    assert 0.35 <= sizes["zh"] / sizes["all"] <= 0.45  # about 60 % English, 40 % Chinese by bytes


def test_all_interleaves_both_languages_in_order():
    en, zh = (data.split_documents(data.embedded_corpus(lang)) for lang in ("en", "zh"))
    docs = data.split_documents(data.embedded_corpus("all"))
    assert [d for d in docs if not HAN.search(d)] == en  # order of each language kept
    assert [d for d in docs if HAN.search(d)] == zh
    head = docs[: len(docs) // 20]  # any prefix holds both languages
    assert any(HAN.search(d) for d in head) and not all(HAN.search(d) for d in head)


@pytest.mark.parametrize("lang", corpus.LANGS)
def test_file_format(lang):
    text = data.embedded_corpus(lang)
    docs = data.split_documents(text)
    assert data.join_documents(docs) == text  # exactly "story\n<|endoftext|>\n" repeated
    assert "\r" not in text and "\ufeff" not in text
    assert all(d == d.strip() and "<|" not in d for d in docs)
    assert len(set(docs)) == len(docs)  # no story repeated verbatim


def test_vocabulary_is_rich():
    en, zh = data.embedded_corpus("en"), data.embedded_corpus("zh")
    words = Counter(re.findall(r"[A-Za-z]+", en))
    assert len(words) >= 500
    assert len(set(HAN.findall(zh))) >= 500
    assert '"' in en and "“" in zh and "”" in zh  # dialogue in quotes
    assert re.search(r"\d", en) and re.search(r"\d", zh)  # numbers as digits too
    assert "Because" in en and "因为" in zh  # cause and effect


def test_counting_sentences_are_correct():
    en = data.embedded_corpus("en")
    words = {w: i for i, w in enumerate(["zero", "one", "two", "three", "four", "five", "six", "seven",
                                         "eight", "nine", "ten"])}
    pattern = re.compile(r"gave \w+ (\w+) \w+\. \w+ counted them: ([a-z, ]+)\.")
    found = pattern.findall(en)
    assert len(found) > 50
    for number, counted in found:
        n = int(number) if number.isdigit() else words[number]
        assert counted.split(", ") == [w for w, i in words.items() if 1 <= i <= n]


@pytest.mark.parametrize("bad", ["EN", "fr", "", "both"])
def test_unknown_language_lists_choices(bad):
    for fn in (data.embedded_corpus, data.embedded_corpus_path):
        with pytest.raises(ValueError, match="'en', 'zh', 'all'"):
            fn(bad)


def test_loading_is_cached():
    assert data.embedded_corpus("zh") is data.embedded_corpus("zh")


def test_changed_file_is_detected(tmp_path, monkeypatch):
    damaged = tmp_path / "corpus_en.txt"
    damaged.write_bytes(data.embedded_corpus_path("en").read_bytes().replace(b"\n", b"\r\n"))
    monkeypatch.setattr(corpus, "DATA_DIR", tmp_path)
    monkeypatch.setattr(corpus, "_cache", {})
    with pytest.raises(ValueError, match="python -m tools.storygen"):
        data.embedded_corpus("en")
    with pytest.raises(FileNotFoundError, match="regenerate"):
        data.embedded_corpus("zh")


def test_write_corpus_regenerates_files(tmp_path, regenerated):
    digests = storygen.write_corpus(tmp_path)
    assert digests == corpus.SHA256
    assert (tmp_path / "corpus_zh.txt").read_text(encoding="utf-8") == regenerated["zh"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus_all.txt", "corpus_en.txt", "corpus_zh.txt"]


def test_storygen_command_checks_and_writes(tmp_path, capsys):
    assert storygen_cli.main(["--check"]) == 0
    assert capsys.readouterr().out.count("matches") == 3
    assert storygen_cli.main(["--out", str(tmp_path / "new")]) == 0
    assert (tmp_path / "new" / "corpus_all.txt").read_bytes() == data.embedded_corpus_path("all").read_bytes()
    (tmp_path / "file").write_text("x", encoding="utf-8")
    assert storygen_cli.main(["--out", str(tmp_path / "file")]) == 2


def test_generators_are_not_in_the_runtime_package():
    package = Path(data.__file__).parent
    assert not list(package.glob("storygen*")) and not (package / "storyplot.py").exists()


def test_generation_depends_on_seed():
    a = storygen.generate_stories("zh", seed=1, target_bytes=2000)
    assert a == storygen.generate_stories("zh", seed=1, target_bytes=2000)
    assert a != storygen.generate_stories("zh", seed=2, target_bytes=2000)
    with pytest.raises(ValueError, match="'en' or 'zh'"):
        storygen.generate_stories("all")


# ---- documents and splits ------------------------------------------------------------------------
docs_strategy = st.lists(
    st.text(min_size=1).map(str.strip).filter(lambda s: s and data.ENDOFTEXT not in s), max_size=30)


@settings(max_examples=50)
@given(docs_strategy)
def test_split_join_round_trip(docs):
    assert data.split_documents(data.join_documents(docs)) == docs


def test_split_documents_examples():
    assert data.split_documents("a\n<|endoftext|>\nb") == ["a", "b"]
    assert data.split_documents("<|endoftext|><|endoftext|>\n  x  \n<|endoftext|>") == ["x"]
    assert data.split_documents("") == []


@settings(max_examples=50)
@given(st.integers(2, 200), st.sampled_from([0.01, 0.1, 0.25, 0.5, 0.9]))
def test_train_val_split_partitions_documents(n, fraction):
    docs = [f"doc {i}" for i in range(n)]
    n_val = int(n * fraction + 1e-9)
    if n_val in (0, n):
        with pytest.raises(ValueError, match="one side would be empty"):
            data.train_val_split(data.join_documents(docs), fraction)
        return
    train, val = data.train_val_split(data.join_documents(docs), fraction)
    train_docs, val_docs = data.split_documents(train), data.split_documents(val)
    assert len(val_docs) == n_val
    assert sorted(train_docs + val_docs, key=lambda d: int(d.split()[1])) == docs  # a partition, order kept
    assert [d for d in docs if d in set(val_docs)] == val_docs


def test_train_val_split_of_embedded_corpus_is_spread_and_stable():
    text = data.embedded_corpus("all")
    train, val = data.train_val_split(text)
    assert (train, val) == data.train_val_split(text)
    n = len(data.split_documents(text))
    val_docs = data.split_documents(val)
    assert len(val_docs) == n // 10
    assert sum(bool(HAN.search(d)) for d in val_docs) / len(val_docs) == pytest.approx(0.38, abs=0.05)


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5])
def test_train_val_split_rejects_bad_fraction(fraction):
    with pytest.raises(ValueError, match="between 0 and 1"):
        data.train_val_split("a\n<|endoftext|>\nb\n<|endoftext|>\n", fraction)


# ---- loaders -------------------------------------------------------------------------------------
@given(st.text(), st.integers(0, 80))
def test_cut_utf8_keeps_whole_characters(text, n):
    raw = text.encode("utf-8")
    cut = loaders.cut_utf8(raw, n)
    assert raw.startswith(cut) and len(cut) <= n
    assert len(cut) > min(n, len(raw)) - 4  # drops at most the one character that was cut
    cut.decode("utf-8")


def test_load_text_file_and_max_bytes(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("你好, world\n", encoding="utf-8")
    assert data.load_text(path) == "你好, world\n"
    assert data.load_text(str(path), max_bytes=5) == "你"  # 5 bytes would split 好 (3 bytes each)
    assert data.load_text(path, max_bytes=6) == "你好"


def test_load_text_folder_sorted_skipping_hidden_and_binary(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text("two\n", encoding="utf-8")
    (tmp_path / "a.md").write_text("one", encoding="utf-8")  # no final newline: one is added
    (tmp_path / "c.py").write_text("three = 3\n", encoding="utf-8")
    (tmp_path / ".hidden").write_text("secret\n", encoding="utf-8")
    (tmp_path / "img.bin").write_bytes(b"\x89PNG\0\0\xff")
    assert data.load_text(tmp_path) == "one\ntwo\nthree = 3\n"
    assert data.load_text(tmp_path, max_bytes=6) == "one\ntw"


def test_load_text_errors_name_the_file(tmp_path):
    bad = tmp_path / "gbk.txt"
    bad.write_bytes("中文".encode("gbk"))
    with pytest.raises(ValueError, match=r"gbk\.txt is not valid UTF-8.*offset 0"):
        data.load_text(bad)
    with pytest.raises(ValueError, match=r"gbk\.txt is not valid UTF-8"):
        data.load_text(tmp_path)
    with pytest.raises(FileNotFoundError, match="no such file"):
        data.load_text(tmp_path / "missing.txt")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="no text files"):
        data.load_text(empty)


def test_stdlib_source_is_real_large_and_deterministic():
    full = data.stdlib_source()
    size = len(full.encode("utf-8"))
    assert size > 5_000_000  # 12.1 MB on CPython 3.11.7
    assert "def " in full and "import " in full
    head = data.stdlib_source(max_bytes=1_000_000)
    assert full.startswith(head) and 999_996 < len(head.encode("utf-8")) <= 1_000_000
    more = data.stdlib_source(max_bytes=size + 1000, repeat=True)
    assert len(more.encode("utf-8")) == size + 1000 and more.startswith(full + full[:10])


def test_stdlib_source_with_tests_is_larger():
    without = len(data.stdlib_source().encode("utf-8"))
    with_tests = len(data.stdlib_source(include_tests=True).encode("utf-8"))
    assert with_tests > without + 5_000_000


def test_stdlib_source_excludes_installed_packages():
    files = loaders._files_under(loaders.stdlib_root(), loaders._ALWAYS_SKIP | loaders._TEST_DIRS, ".py")
    rel = [f.relative_to(loaders.stdlib_root()).as_posix() for f in files]
    assert rel == sorted(rel) and "os.py" in rel
    assert not any(part in ("site-packages", "test", "tests") for r in rel for part in r.split("/"))


# ---- TinyStories download (local server only) ---------------------------------------------------
PAYLOAD = ("Once upon a time there was a test story.\n<|endoftext|>\n" * 400).encode("utf-8")


class _Server:
    """A tiny HTTP server on 127.0.0.1 that serves PAYLOAD (or fails on purpose) and logs requests."""

    def __init__(self, payload: bytes):
        self.payload, self.status, self.honour_range, self.truncate = payload, 200, True, False
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                rng = self.headers.get("Range")
                server.requests.append((self.path, rng))
                if server.status != 200:
                    self.send_error(server.status)
                    return
                start = int(rng.split("=")[1].rstrip("-")) if rng and server.honour_range else 0
                body = server.payload[start:]
                self.send_response(206 if start else 200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2] if server.truncate else body)

            def log_message(self, *args):  # keep test output quiet
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/files"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv("no_proxy", "*")  # never send 127.0.0.1 through a proxy from the environment
    monkeypatch.setenv("NO_PROXY", "*")
    name = ts.TINYSTORIES_FILES["valid"][0]
    monkeypatch.setitem(ts.TINYSTORIES_FILES, "valid", (name, len(PAYLOAD), hashlib.sha256(PAYLOAD).hexdigest()))
    srv = _Server(PAYLOAD)
    yield srv
    srv.close()


def test_download_then_cached(server, tmp_path):
    path = data.tinystories("valid", cache_dir=tmp_path, base_url=server.url, progress=False)
    assert path == tmp_path / "TinyStoriesV2-GPT4-valid.txt"
    assert path.read_bytes() == PAYLOAD
    assert server.requests == [("/files/TinyStoriesV2-GPT4-valid.txt", None)]
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no .part left behind
    assert data.tinystories("valid", cache_dir=tmp_path, base_url=server.url, progress=True) == path
    assert len(server.requests) == 1  # the second call made no request
    assert len(data.split_documents(data.load_text(path))) == 400


def test_checksum_mismatch_keeps_nothing(server, tmp_path):
    server.payload = PAYLOAD.replace(b"test", b"TEST")  # same size, different bytes
    with pytest.raises(ValueError, match="checksum mismatch.*deleted"):
        data.tinystories("valid", cache_dir=tmp_path, base_url=server.url, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_wrong_length_keeps_nothing(server, tmp_path):
    server.payload = PAYLOAD + b"extra"
    with pytest.raises(ValueError, match="not the pinned file"):
        data.tinystories("valid", cache_dir=tmp_path, base_url=server.url, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_server_error_is_clear(server, tmp_path):
    server.status = 500
    with pytest.raises(ConnectionError, match=r"HTTP 500.*load_text"):
        data.tinystories("valid", cache_dir=tmp_path, base_url=server.url, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_connection_refused_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")
    with socket.socket() as s:  # a port that was just free: nothing listens there now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConnectionError, match=r"cannot reach .*To work offline, download .*load_text"):
        data.tinystories("valid", cache_dir=tmp_path, base_url=f"http://127.0.0.1:{port}", progress=False,
                         timeout=5)


@pytest.mark.parametrize("honour_range", [True, False])
def test_interrupted_download_resumes(server, tmp_path, honour_range):
    server.truncate = True
    with pytest.raises(ConnectionError, match="interrupted|ended after"):
        data.tinystories("valid", cache_dir=tmp_path, base_url=server.url, progress=False)
    part = tmp_path / "TinyStoriesV2-GPT4-valid.txt.part"
    assert 0 < part.stat().st_size < len(PAYLOAD)
    server.truncate, server.honour_range = False, honour_range
    path = data.tinystories("valid", cache_dir=tmp_path, base_url=server.url, progress=False)
    assert path.read_bytes() == PAYLOAD and not part.exists()
    assert server.requests[-1][1] == f"bytes={len(PAYLOAD) // 2}-"


def test_bad_split_and_damaged_cache(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="'valid', 'train'"):
        data.tinystories("test", cache_dir=tmp_path)
    (tmp_path / "TinyStoriesV2-GPT4-valid.txt").write_text("too short", encoding="utf-8")
    with pytest.raises(ValueError, match="delete it"):
        data.tinystories("valid", cache_dir=tmp_path, base_url="http://127.0.0.1:9")


def test_default_cache_dir_is_per_user_and_outside_the_repo(monkeypatch, tmp_path):
    monkeypatch.setenv("LECTURE_UTILS_CACHE", str(tmp_path / "c"))
    assert ts.default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv("LECTURE_UTILS_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert ts.default_cache_dir() == tmp_path / "xdg" / "lecture_utils"
    repo = Path(__file__).resolve().parents[1]
    assert repo not in ts.default_cache_dir().resolve().parents


def test_load_text_refuses_negative_max_bytes_before_reading(tmp_path):
    with pytest.raises(ValueError, match="max_bytes must be >= 0"):
        data.load_text(tmp_path / "nope.txt", max_bytes=-1)  # checked before the file is even looked up
