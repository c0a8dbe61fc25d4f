"""BPETokenizer.encode_file: exact ids, CRLF kept, cut only at safe points, atomic, clear errors (issue 9 §4)."""
from __future__ import annotations

import numpy as np
import pytest

from lecture_utils.data import embedded_corpus, stdlib_source
from lecture_utils.tokenizers import BPETokenizer
from lecture_utils.tokenizers.encode_file import NPY_HEADER_BYTES, chunk_boundaries

EOT = "<|endoftext|>"


@pytest.fixture(scope="module")
def gpt2():
    return BPETokenizer.from_tiktoken("gpt2")


@pytest.fixture(scope="module")
def crlf_text():
    """Code and English/Chinese prose with CRLF line ends, special tokens, emoji and a few odd bytes."""
    text = (stdlib_source(150_000) + embedded_corpus("all")[:100_000]).replace("\n", "\r\n")
    parts = [text[i:i + 20_000] + " 😀👩‍👧  \r\n\r\n\u3000" for i in range(0, len(text), 20_000)]
    return EOT.join(parts) + EOT + EOT + "tail 你好"


@pytest.mark.parametrize("processes,chunk", [(1, 1 << 20), (2, 3000), (2, 257)])
def test_same_ids_as_encode_with_crlf(gpt2, crlf_text, tmp_path, processes, chunk):
    src = tmp_path / "in.txt"
    src.write_bytes(crlf_text.encode("utf-8"))  # bytes: the CRLFs stay in the file
    out = gpt2.encode_file(src, tmp_path / "ids.npy", num_processes=processes, chunk_bytes=chunk, progress=False)
    ids = np.load(out, mmap_mode="r")
    assert ids.dtype == np.uint16 and ids.tolist() == gpt2.encode(crlf_text)
    assert gpt2.decode(ids.tolist()) == crlf_text  # "\r\n" came back: no newline translation


def test_cl100k_uses_uint32_and_stays_exact(crlf_text, tmp_path):
    tok = BPETokenizer.from_tiktoken("cl100k_base")
    src = tmp_path / "in.txt"
    src.write_bytes(crlf_text[:120_000].encode("utf-8"))
    out = tok.encode_file(str(src), str(tmp_path / "ids.npy"), num_processes=2, chunk_bytes=2000, progress=False)
    ids = np.load(out)
    assert ids.dtype == np.uint32 and ids.tolist() == tok.encode(crlf_text[:120_000])


def test_o200k_pattern_stays_exact(crlf_text, tmp_path):
    from lecture_utils.tokenizers import train_bpe_from_text

    vocab, merges = train_bpe_from_text(crlf_text[:60_000], 400, [EOT], pattern="o200k_base")
    tok = BPETokenizer(vocab, merges, [EOT], pattern="o200k_base")
    src = tmp_path / "in.txt"
    src.write_bytes(crlf_text.encode("utf-8"))
    out = tok.encode_file(src, tmp_path / "ids.npy", num_processes=2, chunk_bytes=1500, progress=False)
    assert np.load(out).tolist() == tok.encode(crlf_text)


def test_every_boundary_is_safe(gpt2, crlf_text, tmp_path):
    src = tmp_path / "in.txt"
    data = crlf_text.encode("utf-8")
    src.write_bytes(data)
    bounds = chunk_boundaries(src, [EOT], "gpt2", chunk_bytes=500)
    assert bounds[0] == 0 and bounds[-1] == len(data) and bounds == sorted(set(bounds)) and len(bounds) > 100
    pieces = [data[a:b].decode("utf-8") for a, b in zip(bounds, bounds[1:])]  # never inside a character
    assert [i for p in pieces for i in gpt2.encode(p)] == gpt2.encode(crlf_text)


def test_text_without_cut_points_and_empty_file(gpt2, tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("😀" * 5000, encoding="utf-8")
    out = gpt2.encode_file(src, tmp_path / "a.npy", num_processes=2, chunk_bytes=100, progress=False)
    assert np.load(out).tolist() == gpt2.encode("😀" * 5000)
    src.write_bytes(b"")
    out = gpt2.encode_file(src, tmp_path / "b.npy", progress=False)
    assert np.load(out).shape == (0,)
    assert out.read_bytes()[:6] == b"\x93NUMPY" and out.stat().st_size == NPY_HEADER_BYTES


def test_errors_name_the_fix(gpt2, tmp_path):
    src = tmp_path / "in.txt"
    src.write_bytes(b"hello \xff world " * 10)
    with pytest.raises(ValueError, match=r"not valid UTF-8 .* at offset 6"):
        gpt2.encode_file(src, tmp_path / "x.npy", num_processes=1, progress=False)
    assert not (tmp_path / "x.npy").exists()  # atomic: nothing half-written
    assert not list(tmp_path.glob(".x.npy*"))
    with pytest.raises(FileNotFoundError, match="no such file"):
        gpt2.encode_file(tmp_path / "missing.txt", tmp_path / "x.npy")
    with pytest.raises(ValueError, match="x.npy"):
        gpt2.encode_file(src, tmp_path / "x.bin")
    with pytest.raises(ValueError, match="num_processes"):
        gpt2.encode_file(src, tmp_path / "x.npy", num_processes=0)
    with pytest.raises(TypeError, match="file path"):
        gpt2.encode_file(b"in.txt", tmp_path / "x.npy")


def test_an_old_result_survives_a_failed_run(gpt2, tmp_path):
    src, out = tmp_path / "in.txt", tmp_path / "ids.npy"
    src.write_text("hello world", encoding="utf-8")
    gpt2.encode_file(src, out, progress=False)
    before = out.read_bytes()
    src.write_bytes(b"\xff")
    with pytest.raises(ValueError, match="UTF-8"):
        gpt2.encode_file(src, out, progress=False)
    assert out.read_bytes() == before


def test_workers_are_fresh_processes_not_forks(gpt2, crlf_text, tmp_path):
    """From a process with a running thread (a Jupyter kernel has several): no fork, no warning."""
    import os
    import subprocess
    import sys
    import textwrap

    src = tmp_path / "in.txt"
    src.write_bytes(crlf_text.encode("utf-8"))
    script = textwrap.dedent(f"""
        import os, threading, warnings
        warnings.simplefilter("error")  # Python >= 3.12 warns (DeprecationWarning) on fork with threads
        forks = []
        os.register_at_fork(before=lambda: forks.append(1))  # os.fork and multiprocessing's fork run this
        stop = threading.Event()
        threading.Thread(target=stop.wait, daemon=True).start()
        import numpy as np
        from lecture_utils.tokenizers import BPETokenizer
        tok = BPETokenizer.from_tiktoken("gpt2")
        out = tok.encode_file({str(src)!r}, {str(tmp_path / "ids.npy")!r}, num_processes=2, chunk_bytes=20_000,
                              progress=False)
        stop.set()
        assert not forks, "encode_file forked"
        from pathlib import Path
        assert np.load(out).tolist() == tok.encode(Path({str(src)!r}).read_bytes().decode("utf-8"))
        print("ok")
    """)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    run = subprocess.run([sys.executable, "-W", "error", "-c", script], capture_output=True, text=True, env=env,
                         timeout=300)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr
    assert run.stderr == ""


def test_an_error_in_a_worker_reaches_the_caller(gpt2, tmp_path):
    src = tmp_path / "in.txt"
    good = ("hello world " * 5000).encode("utf-8")
    src.write_bytes(good + b"bad \xff byte " + good)
    with pytest.raises(ValueError, match=rf"not valid UTF-8 .* at offset {len(good) + 4}"):
        gpt2.encode_file(src, tmp_path / "x.npy", num_processes=2, chunk_bytes=1000, progress=False)
    assert not (tmp_path / "x.npy").exists()


def test_a_small_file_starts_no_worker_unless_asked(gpt2, crlf_text, tmp_path, monkeypatch):
    import lecture_utils.tokenizers.encode_file as ef

    src = tmp_path / "in.txt"
    src.write_bytes(crlf_text.encode("utf-8"))
    started = []
    real = ef.subprocess.Popen
    monkeypatch.setattr(ef.subprocess, "Popen", lambda *a, **k: started.append(1) or real(*a, **k))
    out = gpt2.encode_file(src, tmp_path / "a.npy", chunk_bytes=3000, progress=False)  # None: all cores
    assert np.load(out).tolist() == gpt2.encode(crlf_text) and started == []
    gpt2.encode_file(src, tmp_path / "b.npy", num_processes=2, chunk_bytes=3000, progress=False)
    assert started == [1] and (tmp_path / "a.npy").read_bytes() == (tmp_path / "b.npy").read_bytes()


@pytest.mark.parametrize("name", ["gpt2", "cl100k_base"])
def test_packed_encoding_is_the_bytes_of_encode(name, crlf_text, monkeypatch):
    """encode_file's path (`_encode_packed`): the little-endian bytes of encode's ids, long blocks and a cache
    that turns over many times included."""
    import lecture_utils.tokenizers.bpe as bpe
    from array import array

    tok = BPETokenizer.from_tiktoken(name, cache_size=64)  # generations of 32 entries: turns over constantly
    typecode = "H" if name == "gpt2" else "I"
    monkeypatch.setattr(bpe, "ENCODE_BLOCK", 5000)  # parts longer than a block go block by block
    for text in (crlf_text, EOT, "", "x" + EOT + EOT + " 你好世界" * 2000):
        packed = tok._encode_packed(text, typecode)
        expected = array(typecode, tok.encode(text))
        assert packed == expected.tobytes() and len(packed) == len(expected) * (2 if typecode == "H" else 4)
    assert tok._packed[typecode].previous  # (the packed cache did turn over)


def test_three_processes_many_small_tasks_stay_in_order(gpt2, crlf_text, tmp_path):
    """Two workers with tasks sent ahead of their results, and this process: every task written in order."""
    src = tmp_path / "in.txt"
    src.write_bytes(crlf_text.encode("utf-8"))
    out = gpt2.encode_file(src, tmp_path / "ids.npy", num_processes=3, chunk_bytes=700, progress=False)
    assert np.load(out).tolist() == gpt2.encode(crlf_text)
