"""Counting pre-tokens of a file of any size, on all cores, in bounded memory (step 1 of BPE training).

    >>> sorted(count_pretokens_in_text("the cat, the hat, the end").items())
    [(' cat', 1), (' end', 1), (' hat', 1), (' the', 2), (',', 2), ('the', 1)]

How a file is read (the same way `BPETokenizer.encode_file` reads it, so training and encoding see the
same text): raw bytes, decoded as UTF-8, no newline translation (a CRLF stays "\\r\\n").

1. **Blocks and tasks.** The parent cuts the file into blocks of about `BLOCK_BYTES`, like CS336's
   `find_chunk_boundaries`: each boundary is moved forward to the next *safe* point, the start of a
   special token or a safe cut of the pre-tokenization pattern (`pretokenize.find_cut_forward`, never
   inside a special token), so cutting never changes a single pre-token. These are exactly
   `encode_file`'s cut points (the same code), so training and encoding cut a file alike. Consecutive
   blocks make one task of at most `TASK_BYTES` (at least two tasks per worker).
2. **Counting.** This process and `num_processes - 1` worker processes (fresh `python` processes that
   import only this module, `pretokenize.py` and `workers.py`: no numpy, no IPython, not the user's script) take tasks
   from one queue; each reads a task's blocks, cuts out the special tokens (`pretokenize.split_specials`)
   and counts. For the GPT-2 family it counts whitespace-led *pieces* first and pre-tokenizes each
   distinct piece once (`_PieceCounter`: the same counts, fewer regex calls); the most frequent pieces
   stay counted as pieces from task to task and are pre-tokenized once, at the end. A worker answers each
   task with a dict of *distinct* pre-tokens; this process counts straight into the total and adds the
   workers' dicts to it as they come (`as_bytes`: each process re-keys its non-ASCII counts task by task).
   Memory therefore grows with the number of distinct pre-tokens, not with the file (plus one block and
   at most `MAX_PIECES` distinct pieces per process).
3. A tqdm bar shows the bytes counted (on when stderr is a terminal, or with progress=True).

Deliberate simplification: a stretch of text with no safe cut at all (a pattern of your own without
special tokens, or megabytes of letters with no space) is read whole, so memory is then bounded by
that stretch, not by the block size.
"""
from __future__ import annotations

import os
import pickle
import queue
import subprocess
import sys
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path

from . import workers
from .base import read_text_range  # the one reader: training and encoding see the same text
from .pretokenize import iter_blocks, piece_regex, pretokenize, split_specials

__all__ = ["count_pretokens", "count_pretokens_in_text", "chunk_boundaries", "read_text_range", "BLOCK_BYTES",
           "TASK_BYTES", "PARALLEL_MIN_BYTES"]

BLOCK_BYTES = 1 << 18  # a process reads and pre-tokenizes ~256 KB at a time: bounds its temporary lists
TASK_BYTES = 4 << 20  # one task: at most ~4 MB (bounds the Counter it sends back)
PARALLEL_MIN_BYTES = 4 << 20  # below ~4 MB, starting worker processes costs more than it saves
TASKS_PER_PROCESS = 2  # at least this many tasks per process (the first ones go here while the workers start)
SUB_BLOCK_CHARS = 1 << 18  # pieces are found ~256K characters at a time
MAX_PIECES = 15 << 13  # a process turns its rarer pieces into pre-token counts when it holds more (120K)
KEEP_PIECES = MAX_PIECES // 2  # ... and keeps at most this many of the most frequent ones
JOIN_PIECES = 1 << 12  # ... pre-tokenized this many pieces at a time
WIDE_SHARE = 8  # a block is pre-tokenized directly if 1 / WIDE_SHARE of its characters or more are wide
WIDE_SAMPLE = 1 << 15  # ... judged on its first this many characters

_WORKER_MAIN = workers.worker_main("bpe_count")
_PACKAGE_DIR = workers.PACKAGE_DIR


# ---------------------------------------------------------------------------------------------
# Safe boundaries in a file
# ---------------------------------------------------------------------------------------------

def chunk_boundaries(path: str | os.PathLike, n: int, special_tokens: Sequence[str] = (),
                     pattern: str = "gpt2") -> list[int]:
    """Byte offsets [0, b1, ..., size] cutting a file into about n chunks at safe boundaries.

    The same cut points as `BPETokenizer.encode_file` (one implementation: `encode_file.chunk_boundaries`).
    """
    from . import encode_file

    size = os.path.getsize(path)
    return encode_file.chunk_boundaries(path, list(special_tokens), pattern, chunk_bytes=max(1, -(-size // n)))


def _tasks(path: Path, size: int, n_tasks: int, specials: Sequence[str], pattern: str) -> list[list[int]]:
    """Each task's block boundaries: ~BLOCK_BYTES blocks at safe points, grouped into ~size/n_tasks bytes."""
    from . import encode_file

    blocks = encode_file.chunk_boundaries(path, list(specials), pattern, chunk_bytes=BLOCK_BYTES)
    per_task = max(1, -(-size // n_tasks))
    tasks, first = [], 0
    for i in range(1, len(blocks)):
        if blocks[i] - blocks[first] >= per_task or i == len(blocks) - 1:
            tasks.append(blocks[first:i + 1])
            first = i
    return tasks or [[0, 0]]


# ---------------------------------------------------------------------------------------------
# Counting
# ---------------------------------------------------------------------------------------------

class _PieceCounter:
    """Pre-token counts of many texts, pre-tokenizing each distinct *piece* once (exactly the same counts).

    A piece is a run of whitespace and the run of other characters after it (" foo.bar(x)", "\\n    return"):
    for the GPT-2 family a cut before whitespace that follows another character is safe (`pretokenize.py`),
    so a text's pre-tokens are its pieces' pre-tokens. Pieces repeat far more than whole texts, so they are
    counted first; when more than `MAX_PIECES` distinct pieces are held, those seen only a few times are
    joined (every join is again such a cut) and pre-tokenized together, their pre-tokens counted as often
    as the piece occurred. The most frequent pieces (at most `KEEP_PIECES`) stay and go on counting, so a
    common piece is pre-tokenized about once per process, not once per window. Other patterns:
    pre-tokenized directly, and so is a block with many CJK characters (`_mostly_wide`: Chinese lines have
    no spaces, so a piece is a whole line that hardly ever repeats, and counting pieces first would scan
    the text twice: zh 4.3 MB ~12% slower in all). One counter serves all the tasks of a process; `take`
    hands over the counts so far.
    """

    def __init__(self, pattern: str, as_bytes: bool = False, counts: Counter | None = None) -> None:
        self.pattern = pattern
        self.as_bytes = as_bytes
        self.pieces = piece_regex(pattern)
        self.counts: Counter = Counter() if counts is None else counts  # as_bytes: ASCII and latin-1 keys only
        self.own_counts = counts is None  # (else the caller's total, which must be added to in place)
        self.wide: Counter = Counter() if as_bytes else self.counts  # as_bytes: non-ASCII text until re-keyed
        self.piece_counts: Counter = Counter()

    def _into(self, text: str) -> Counter:
        """Where the pre-tokens of `text` are counted: `wide` unless it is ASCII (then no re-keying is needed)."""
        return self.counts if text.isascii() else self.wide

    def add(self, text: str) -> None:
        """Count the pre-tokens of `text` (no special tokens in it), ~SUB_BLOCK_CHARS at a time."""
        long = len(text) > SUB_BLOCK_CHARS
        for block in iter_blocks(text, SUB_BLOCK_CHARS, pattern=self.pattern) if long else (text,):
            if self.pieces is None or _mostly_wide(block):
                self._into(block).update(pretokenize(block, self.pattern))
                continue
            pieces = self.pieces.findall(block)
            # The first piece may start without whitespace, the last may be whitespace only: not joinable.
            self._into(pieces[0]).update(pretokenize(pieces[0], self.pattern))
            if len(pieces) > 1:
                self._into(pieces[-1]).update(pretokenize(pieces[-1], self.pattern))
            if len(pieces) > 2:
                self.piece_counts.update(pieces[1:-1])
            if len(self.piece_counts) > MAX_PIECES:
                self.flush_rare()

    def flush_rare(self) -> None:
        """Pre-tokenize all but the most frequent pieces (at most KEEP_PIECES stay, each seen twice or more)."""
        self._flush(_least_kept(self.piece_counts))

    def _flush(self, least: float = float("inf")) -> None:
        """Add the pre-tokens of the pieces seen fewer than `least` times to the counts; keep the others."""
        by_count, kept = defaultdict(list), {}
        for piece, n in self.piece_counts.items():
            if n < least:
                by_count[n].append(piece)
            else:
                kept[piece] = n  # (a plain dict here and one copy below is faster than setting a Counter's items)
        self.piece_counts = Counter(kept)
        del kept
        for n, pieces in by_count.items():
            if self.wide is not self.counts and not all(map(str.isascii, pieces)):
                pieces.sort(key=str.isascii, reverse=True)  # the ASCII pieces' joins need no re-keying
            for i in range(0, len(pieces), JOIN_PIECES):  # a bounded text at a time
                text = "".join(pieces[i:i + JOIN_PIECES])
                found, into = pretokenize(text, self.pattern), self._into(text)
                if n == 1:
                    into.update(found)
                else:
                    _add_counts(into, {word: k * n for word, k in Counter(found).items()})

    def fold(self) -> None:
        """as_bytes: re-key the non-ASCII text's counts (a small Counter, one task's) and add them to the counts."""
        if self.wide is not self.counts:
            wide, self.wide = _as_bytes_keys(self.wide), Counter()
            if self.own_counts and len(wide) > len(self.counts):  # Chinese: add the few ASCII counts to the many
                wide, self.counts = self.counts, Counter(wide)
            _add_counts(self.counts, wide)

    def take(self) -> Counter:
        """The pre-token counts so far (latin-1 keys if as_bytes), handed over: the counter starts again at zero."""
        self.fold()
        counts, self.counts = self.counts, Counter()
        if not self.as_bytes:
            self.wide = self.counts
        return counts

    def finish(self) -> Counter:
        """All the remaining counts, the kept pieces' included (see `take`)."""
        self._flush()
        return self.take()


def _mostly_wide(block: str) -> bool:
    """Whether at least 1 / WIDE_SHARE of the block's (first) characters are *wide*, mostly of 3 UTF-8 bytes or more
    (CJK; not Latin, Greek or Cyrillic letters, of 2 bytes, whose words repeat as pieces do in English)."""
    block = block[:WIDE_SAMPLE]  # (a sample: only the speed depends on the answer, never the counts)
    if block.isascii():
        return False
    ascii_chars = len(block.encode("ascii", "ignore"))
    wide_chars, wide_bytes = len(block) - ascii_chars, len(block.encode("utf-8")) - ascii_chars
    return wide_chars * WIDE_SHARE >= len(block) and 2 * wide_bytes > 5 * wide_chars  # (> 2.5 bytes each)


def _add_counts(counts: dict, more: dict) -> None:
    """counts += more, key by key, as Counter.update(more) does (the same order of keys); `more` is used up.

    The keys in both are found by one set operation, and the rest goes in by dict.update: both in C, where
    Counter.update loops in Python over every key of `more`.
    """
    for key in more.keys() & counts.keys():
        more[key] += counts[key]
    dict.update(counts, more)


def _as_bytes_keys(counts: dict) -> dict:
    """The same counts, each key the latin-1 str of its UTF-8 bytes (what the merge loop works on; ASCII stays).

    All keys at once: joined by NUL, encoded, decoded and split again (a NUL byte is never part of a longer
    UTF-8 character); one by one only if a key itself holds a NUL.
    """
    joined = "\x00".join(counts)
    if joined.count("\x00") != len(counts) - 1:
        return {w.encode("utf-8").decode("latin-1"): n for w, n in counts.items()}
    return dict(zip(joined.encode("utf-8").decode("latin-1").split("\x00"), counts.values()))


def _least_kept(piece_counts: Counter) -> float:
    """The least count a piece needs to stay in the counter: at most KEEP_PIECES pieces, each seen at least twice."""
    by_count = Counter(piece_counts.values())  # how many pieces were seen n times
    kept, least, room = 0, float("inf"), min(KEEP_PIECES, MAX_PIECES // 2)
    for n in sorted(by_count, reverse=True):
        if n < 2 or kept + by_count[n] > room:
            break
        kept += by_count[n]
        least = n
    return least


def _count_text(text: str, specials: Sequence[str], pattern: str, counts: Counter) -> None:
    """Add the pre-token counts of `text` (special tokens cut out first) to `counts`."""
    for part in split_specials(text, specials)[::2] if specials else (text,):
        if part:
            counts.update(pretokenize(part, pattern))


def _count_task(counter: _PieceCounter, task: tuple) -> int:
    """Count the blocks [b0, b1), [b1, b2), ... of a file into counter; the number of bytes counted."""
    path, bounds, specials, _, _ = task
    for start, end in zip(bounds, bounds[1:]):
        text = read_text_range(path, start, end)
        for part in split_specials(text, specials)[::2] if specials else (text,):
            if part:
                counter.add(part)
        del text
    counter.flush_rare()  # all but the frequent pieces' counts (those come at the end)
    counter.fold()
    return bounds[-1] - bounds[0]


def _serve() -> None:
    """A worker's main loop: pickled tasks from stdin, pickled (ok, result or error) to stdout.

    A task is counted with one counter for the whole run; None asks for the rest of the counts (the
    kept pieces'); EOF ends the worker. Ctrl-C is left to the parent, which stops the workers.
    """
    inp = sys.stdin.buffer
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print cannot corrupt the results
    counter = None
    while True:
        try:
            task = pickle.load(inp)
        except EOFError:
            return
        try:
            if task is None:
                reply = (True, (dict(counter.finish()) if counter else {}, 0))
            else:
                counter = counter or _PieceCounter(task[3], task[4])
                done = _count_task(counter, task)
                reply = (True, (dict(counter.take()), done))  # a plain dict: unpickled without a Counter copy
        except Exception as err:  # sent back and raised in the parent (e.g. the invalid UTF-8 message)
            reply = (False, err)
        try:
            pickle.dump(reply, out, pickle.HIGHEST_PROTOCOL)
            out.flush()
        except BrokenPipeError:  # the parent is gone (killed): nothing to report to, and nothing to print
            os._exit(1)


def _counted_here(tasks: list, counts: Counter) -> Iterator[int]:
    """Count each task into counts, in this process; yields the bytes counted."""
    counter = _PieceCounter(tasks[0][3], tasks[0][4], counts=counts)
    for task in tasks:
        yield _count_task(counter, task)
    counter.finish()


def _in_workers(tasks: list, n: int, counts: Counter) -> Iterator[int]:
    """Count the tasks into counts, here and in n worker processes; yields the bytes counted as tasks finish."""
    todo: queue.SimpleQueue = queue.SimpleQueue()
    for task in tasks:
        todo.put(task)
    done: queue.SimpleQueue = queue.SimpleQueue()
    procs = workers.start_workers(_WORKER_MAIN, n)  # in sessions of their own: Ctrl-C reaches only this process

    def ask(proc: subprocess.Popen, task: tuple | None) -> None:
        pickle.dump(task, proc.stdin, pickle.HIGHEST_PROTOCOL)
        proc.stdin.flush()
        done.put(pickle.load(proc.stdout))

    def feed(proc: subprocess.Popen) -> None:  # one thread per worker: send a task, wait for its result
        try:
            while True:
                try:
                    task = todo.get_nowait()
                except queue.Empty:
                    break
                ask(proc, task)
            ask(proc, None)  # no tasks left: the rest of its counts
        except (OSError, EOFError, pickle.UnpicklingError) as err:
            done.put((False, RuntimeError(f"a pre-token counting worker process died ({err!r}); its error, if any,"
                                          " is printed above; num_processes=1 counts without workers")))
        finally:
            try:
                proc.stdin.close()  # end of input: the worker exits
            except OSError:
                pass

    threads = [threading.Thread(target=feed, args=(p,), daemon=True) for p in procs]
    for t in threads:
        t.start()
    finished = False
    counter = _PieceCounter(tasks[0][3], tasks[0][4], counts=counts)  # this process counts too, into the total
    try:
        remaining = len(tasks) + n  # each worker's tasks, then the rest of its counts
        while remaining:
            # The workers' results first, so that they do not pile up here while this process counts.
            # (Counting outside an `except` block: a Ctrl-C then shows one traceback, not a chained one.)
            reply = _next(done)
            if reply is None:
                task = _next(todo)
                if task is not None:
                    remaining -= 1
                    yield _count_task(counter, task)
                    continue
                reply = done.get()
            remaining -= 1
            ok, value = reply
            del reply
            if not ok:
                raise value
            part, nbytes = value
            del value
            _add_counts(counts, part)  # a worker's counts (str keys)
            del part
            yield nbytes
        counter.finish()
        finished = True
    finally:
        workers.drain(todo)  # after an error or Ctrl-C: no new tasks, and the running ones are stopped
        workers.stop_workers(procs, threads, finished)


def _next(q: queue.SimpleQueue):
    """The next item of a queue, or None if it is empty now."""
    try:
        return q.get_nowait()
    except queue.Empty:
        return None


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _check_processes(num_processes: object) -> int:
    if num_processes is None:
        return _cpu_count()
    if isinstance(num_processes, bool) or not isinstance(num_processes, int) or num_processes < 1:
        raise ValueError(f"num_processes must be a positive int or None (all CPUs), got {num_processes!r}")
    return num_processes


def progress_bar(progress: bool | None, total: int, desc: str, unit: str, **kwargs):
    """A tqdm bar if progress (None: if stderr is a terminal), else a do-nothing stand-in."""
    if progress is None:
        progress = sys.stderr.isatty()
    if progress:
        from tqdm.auto import tqdm
        return tqdm(total=total, desc=desc, unit=unit, **kwargs)

    class _Quiet:
        def update(self, n: int = 1) -> None:
            pass

        def close(self) -> None:
            pass

    return _Quiet()


def count_file(path: Path, specials: Sequence[str], pattern: str, num_processes: int, progress: bool | None,
               as_bytes: bool = False) -> Counter:
    """Pre-token counts of a file (arguments already checked); see the module docstring."""
    size = path.stat().st_size
    workers = 1 if size < PARALLEL_MIN_BYTES else min(num_processes, max(1, size // (PARALLEL_MIN_BYTES // 2)))
    if not sys.executable:  # an embedded interpreter with no `python` to start: count here
        workers = 1
    # Several tasks per worker: the load balances itself and the bar moves; each at most TASK_BYTES.
    n_tasks = max(1 if workers == 1 else TASKS_PER_PROCESS * workers, -(-size // TASK_BYTES))
    tasks = [(path, bounds, tuple(specials), pattern, as_bytes)
             for bounds in _tasks(path, size, n_tasks, specials, pattern)]
    counts: Counter = Counter()
    bar = progress_bar(progress, size, "counting pre-tokens", "B", unit_scale=True)
    helpers = min(workers, len(tasks)) - 1  # worker processes besides this one
    results = _in_workers(tasks, helpers, counts) if helpers else _counted_here(tasks, counts)
    try:
        for done in results:
            bar.update(done)
    finally:
        getattr(results, "close", lambda: None)()  # stops the workers if counting failed
        bar.close()
    return counts


def count_pretokens(path: str | os.PathLike, special_tokens: Sequence[str] | None = None, *, pattern: str = "gpt2",
                    num_processes: int | None = None, progress: bool | None = None) -> Counter:
    """Counts of the distinct pre-tokens of a UTF-8 text file (a path), special tokens cut out first."""
    from .base import check_special_tokens
    from .bpe_train import check_path
    from .pretokenize import check_pattern

    specials = check_special_tokens(special_tokens)
    check_pattern(pattern)
    return count_file(check_path(path), specials, pattern, _check_processes(num_processes), progress)


def count_pretokens_in_text(text: str, special_tokens: Sequence[str] | None = None, *,
                            pattern: str = "gpt2") -> Counter:
    """Counts of the distinct pre-tokens of a string, special tokens cut out first (one process)."""
    from .base import check_special_tokens, check_utf8_text
    from .pretokenize import check_pattern

    specials = check_special_tokens(special_tokens)
    check_pattern(pattern)
    counts: Counter = Counter()
    _count_text(check_utf8_text(text), specials, pattern, counts)
    return counts
