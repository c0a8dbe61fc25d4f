"""Counting pre-tokens (bpe_count): frequent pieces kept across windows and tasks still give exactly the
pre-token counts, the worker protocol hands the kept pieces' counts over at the end, and Ctrl-C is quiet
in the workers (one traceback, from the parent; no process left)."""
from __future__ import annotations

import os
import pickle
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest

import lecture_utils.tokenizers.bpe_count as bpe_count
import lecture_utils.tokenizers.encode_file as encode_file
from lecture_utils.tokenizers.pretokenize import exact_pattern, iter_blocks

EOT = "<|endoftext|>"
ROOT = Path(__file__).resolve().parent.parent


def _reference(text: str, specials=(), pattern: str = "gpt2") -> Counter:
    parts = [text]
    for s in sorted(specials, key=len, reverse=True):
        parts = [q for p in parts for q in p.split(s)]
    return Counter(w for p in parts for w in exact_pattern(pattern).findall(p))


def _zipf_text(seed: int, n: int) -> str:
    """Words whose frequencies fall off like real text's: a few pieces repeat a lot, most are rare."""
    rng = random.Random(seed)
    words = [" the", " cat", "\n    return", " x.y(z)", " 你好", " 🎉", "\r\n", "  ", "'s", " 123", "!!", "\t"]
    words += [f" w{i}" for i in range(300)] + [f"\n  f{i}()" for i in range(100)]
    weights = [1 / (i + 1) for i in range(len(words))]
    return "".join(rng.choices(words, weights, k=n))


def _as_latin1(counts: Counter) -> Counter:
    return Counter({w.encode("utf-8").decode("latin-1"): n for w, n in counts.items()})


@pytest.fixture
def tiny_windows(monkeypatch):
    """Windows of a few distinct pieces, of which a few stay: flushes and kept pieces all the time."""
    monkeypatch.setattr(bpe_count, "SUB_BLOCK_CHARS", 64)
    monkeypatch.setattr(bpe_count, "MAX_PIECES", 12)
    monkeypatch.setattr(bpe_count, "KEEP_PIECES", 5)
    monkeypatch.setattr(bpe_count, "JOIN_PIECES", 4)


def test_least_kept_keeps_the_most_frequent_pieces_up_to_the_limit(monkeypatch):
    monkeypatch.setattr(bpe_count, "MAX_PIECES", 100)
    pieces = Counter({" a": 9, " b": 9, " c": 4, " d": 2, " e": 1, " f": 1})
    for keep, least in ((1, float("inf")), (2, 9), (3, 4), (4, 2), (6, 2), (50, 2)):
        monkeypatch.setattr(bpe_count, "KEEP_PIECES", keep)
        assert bpe_count._least_kept(pieces) == least, keep  # a piece seen once is never kept
    monkeypatch.setattr(bpe_count, "MAX_PIECES", 6)  # never more than half the window
    assert bpe_count._least_kept(pieces) == 4


@pytest.mark.parametrize("seed", range(3))
def test_kept_pieces_are_counted_exactly(tiny_windows, seed):
    text = _zipf_text(seed, 4000)
    counter = bpe_count._PieceCounter("gpt2")
    total, kept_once = Counter(), False
    for block in iter_blocks(text, 500):  # like tasks (cut at safe points): each ends with flush_rare and take
        counter.add(block)
        kept_once |= bool(counter.piece_counts)  # frequent pieces stayed across a flush
        counter.flush_rare()
        kept_once |= bool(counter.piece_counts)
        total += counter.take()
    assert kept_once
    total += counter.finish()
    assert total == _reference(text)
    assert not counter.piece_counts and not counter.counts


def test_take_as_bytes_gives_latin1_keys(tiny_windows):
    text = _zipf_text(7, 2000) + " é Ã© éé"
    counter = bpe_count._PieceCounter("gpt2", as_bytes=True)
    counter.add(text)
    assert counter.take() + counter.finish() == _as_latin1(_reference(text))


def test_take_as_bytes_when_most_pre_tokens_are_not_ascii(tiny_windows):
    """Chinese-heavy text: the few ASCII counts are added to the many re-keyed ones (not the other way round)."""
    rng = random.Random(5)
    words = [" 你好", "世界", "，", " 中文", "。", " 的", " the", " a", "\n", " 🎉", " x1"] + [f" 字{i}" for i in range(50)]
    text = "".join(rng.choices(words, k=3000))
    counter = bpe_count._PieceCounter("gpt2", as_bytes=True)
    total = Counter()
    for block in iter_blocks(text, 700):
        counter.add(block)
        counter.flush_rare()
        counter.fold()
        total += counter.take()
    assert total + counter.finish() == _as_latin1(_reference(text))


@pytest.mark.parametrize("counts", [{}, {"a": 1}, {"é": 2, " ab": 3, "中文": 1, "🎉": 4}, {"x\x00é": 2, "\x00": 1, "é": 5}])
def test_as_bytes_keys_rekeys_each_key_also_with_nul(counts):
    """All keys at once (joined by NUL) or one by one (a key holds a NUL): the same latin-1 keys and counts."""
    assert bpe_count._as_bytes_keys(counts) == _as_latin1(Counter(counts))


@pytest.mark.parametrize(("block", "wide"), [("", False), ("abc def", False), ("中文，你好。" * 10, True),
                                             ("a" * 70 + "中文", False), ("a" * 14 + "中文", True),
                                             ("привет мир " * 20, False), ("café " * 20, False), ("🎉 " * 20, True)])
def test_mostly_wide_means_many_characters_of_three_bytes_or_more(block, wide):
    assert bpe_count._mostly_wide(block) is wide


_wide = bpe_count._mostly_wide  # (the real one, before a test replaces it)


@pytest.mark.parametrize("as_bytes", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_chinese_blocks_are_pre_tokenized_directly_and_counted_exactly(tiny_windows, monkeypatch, seed, as_bytes):
    """Blocks of Chinese skip the pieces, the others count pieces: both in one text, exactly the same counts."""
    rng = random.Random(seed)
    zh = [" 你好", "世界", "，", "中文的句子没有空格。", "\n", " 🎉", " x1"] + [f"字{i}" for i in range(40)]
    text = "".join(rng.choice(zh) if (i // 40) % 2 else rng.choice([" the", " cat", " w1", "\n", " é"])
                   for i in range(2000))
    direct = []
    monkeypatch.setattr(bpe_count, "_mostly_wide", lambda block: direct.append(_wide(block)) or direct[-1])
    counter = bpe_count._PieceCounter("gpt2", as_bytes=as_bytes)
    total = Counter()
    for block in iter_blocks(text, 300):
        counter.add(block)
        counter.flush_rare()
        total += counter.take()
    total += counter.finish()
    assert any(direct) and not all(direct)  # (both ways were taken)
    assert total == (_as_latin1 if as_bytes else Counter)(_reference(text))


@pytest.mark.parametrize("seed", range(5))
def test_add_counts_is_counter_update(seed):
    """_add_counts gives Counter.update's counts and order of keys (keys in both, in one, in neither; empty)."""
    rng = random.Random(seed)
    keys = [f"k{i}" for i in range(rng.randrange(0, 60))]
    counts = Counter({k: rng.randrange(1, 9) for k in rng.sample(keys, len(keys) // 2)})
    more = {k: rng.randrange(1, 9) for k in rng.sample(keys, rng.randrange(0, len(keys) + 1))}
    expected = Counter(counts)
    expected.update(more)
    bpe_count._add_counts(counts, dict(more))
    assert counts == expected and list(counts) == list(expected) and isinstance(counts, Counter)


@pytest.mark.parametrize("num_processes", [1, 2])
@pytest.mark.parametrize("as_bytes", [False, True])
def test_count_file_with_kept_pieces_across_tasks(tmp_path, monkeypatch, tiny_windows, num_processes, as_bytes):
    """Many small tasks (in this process: kept pieces carried across tasks; in a worker: its defaults)."""
    monkeypatch.setattr(bpe_count, "PARALLEL_MIN_BYTES", 1000)
    monkeypatch.setattr(bpe_count, "BLOCK_BYTES", 700)
    monkeypatch.setattr(bpe_count, "TASK_BYTES", 3000)
    monkeypatch.setattr(encode_file, "WINDOW_BYTES", 64)
    text = _zipf_text(3, 6000).replace(" w7", EOT)
    path = tmp_path / "z.txt"
    path.write_bytes(text.encode("utf-8"))
    counts = bpe_count.count_file(path, [EOT], "gpt2", num_processes, False, as_bytes=as_bytes)
    expected = _reference(text, [EOT])
    assert counts == (_as_latin1(expected) if as_bytes else expected)


def _start_worker(**kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", bpe_count._WORKER_MAIN, str(bpe_count._PACKAGE_DIR)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, **kwargs)


def _ask(proc: subprocess.Popen, task):
    pickle.dump(task, proc.stdin, pickle.HIGHEST_PROTOCOL)
    proc.stdin.flush()
    return pickle.load(proc.stdout)


def test_a_worker_hands_over_its_kept_pieces_last(tmp_path):
    """A frequent piece stays in the worker after a task; its counts come with the answer to None."""
    path = tmp_path / "w.txt"
    path.write_text("x ab ab ab ab y", encoding="utf-8")
    size = path.stat().st_size
    proc = _start_worker()
    try:
        first = _ask(proc, (path, [0, size], (), "gpt2", False))
        second = _ask(proc, (path, [0, size], (), "gpt2", False))
        rest = _ask(proc, None)
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
        proc.stdout.close()
    assert first == (True, (Counter({"x": 1, " y": 1}), size)) and second == first  # " ab" seen 4 times: kept
    assert rest == (True, (Counter({" ab": 8}), 0))
    assert proc.returncode == 0


def test_a_worker_ignores_ctrl_c_and_exits_quietly_when_its_parent_is_gone(tmp_path):
    path = tmp_path / "w.txt"
    path.write_text("the cat the hat", encoding="utf-8")
    task = (path, [0, path.stat().st_size], (), "gpt2", False)
    proc = _start_worker(stderr=subprocess.PIPE)
    assert _ask(proc, task)[0]  # started and serving
    proc.send_signal(signal.SIGINT)  # the parent handles Ctrl-C: the worker goes on
    assert _ask(proc, task)[0]
    proc.stdout.close()  # the parent is gone: its answer has nowhere to go
    pickle.dump(task, proc.stdin, pickle.HIGHEST_PROTOCOL)
    proc.stdin.close()
    err = proc.stderr.read()
    proc.wait(timeout=30)
    proc.stderr.close()
    assert err == b"" and proc.returncode == 1


def _children(pid: int) -> list[int]:
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="utf-8") as f:
                out += [int(x) for x in f.read().split()]
        except FileNotFoundError:  # a feeder thread that ended meanwhile
            pass
    return out


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="needs Linux /proc to find the workers")
def test_ctrl_c_while_counting_shows_one_traceback_and_leaves_no_process(tmp_path):
    """Ctrl-C goes to the whole process group: only the parent reports it, and it stops its workers."""
    path = tmp_path / "big.txt"
    path.write_text(_zipf_text(5, 1_500_000), encoding="utf-8")  # (~1 s a round: most workers live through the test)
    script = textwrap.dedent(f"""
        import signal, sys
        # Ctrl-C raises KeyboardInterrupt, as in a terminal, even where this test runs with SIGINT ignored
        # (a background job of a non-interactive shell inherits SIG_IGN, and Python then keeps it).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        sys.path.insert(0, {str(ROOT)!r})
        from pathlib import Path
        from lecture_utils.tokenizers import bpe_count
        bpe_count.PARALLEL_MIN_BYTES = 1000
        bpe_count.TASK_BYTES = 1 << 16
        while True:  # always counting, with workers, when Ctrl-C comes
            bpe_count.count_file(Path({str(path)!r}), [], "gpt2", 3, False)
        """)
    proc = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(workers := _children(proc.pid)) < 2:  # both workers running
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.3)
        # Workers seen then and still there now are past their start (a Python still starting up, before
        # the worker sets SIGINT aside, would die of it: workers in their own session never get it).
        workers = [pid for pid in _children(proc.pid) if pid in workers]
        for pid in workers:  # in the terminal's process group they would get the Ctrl-C too
            try:
                os.kill(pid, signal.SIGINT)
            except ProcessLookupError:  # its round of counting ended just now
                pass
        os.killpg(proc.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
        err = proc.communicate(timeout=60)[1].decode()  # a parent that ignored the Ctrl-C fails here, not hangs
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stderr.close()
    assert err.count("Traceback") == 1 and err.rstrip().endswith("KeyboardInterrupt"), err
    assert "bpe_count.py" in err  # the parent's own traceback, from counting
    for pid in workers:  # the workers were stopped
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
