"""Counting pre-tokens of a file of any size, on all cores, in bounded memory (step 1 of BPE training).

    >>> sorted(count_pretokens_in_text("the cat, the hat, the end").items())
    [(' cat', 1), (' end', 1), (' hat', 1), (' the', 2), (',', 2), ('the', 1)]

How a file is read (the same way `BPETokenizer.encode_file` reads it, so training and encoding see the
same text): raw bytes, decoded as UTF-8, no newline translation (a CRLF stays "\\r\\n").

1. **Chunks.** The file is cut into byte ranges, one per task, like CS336's `find_chunk_boundaries`:
   each boundary is moved forward to the next *safe* point, the start of a special token or a safe
   cut of the pre-tokenization pattern (`pretokenize.find_cut_forward`, never inside a special token),
   so cutting never changes a single pre-token. These are exactly `encode_file`'s cut points (the
   same code), so training and encoding cut a file alike.
2. **Counting.** Worker processes read their range in blocks of about `BLOCK_BYTES` (again cut at safe
   points), cut out the special tokens (`pretokenize.split_specials`), pre-tokenize and count. Each
   worker sends back one Counter of *distinct* pre-tokens; the parent adds them up. Memory therefore
   grows with the number of distinct pre-tokens, not with the file (plus one block per worker).
3. A tqdm bar shows the bytes counted (on when stderr is a terminal, or with progress=True).

Deliberate simplification: a stretch of text with no safe cut at all (a pattern of your own without
special tokens, or megabytes of letters with no space) is read whole, so memory is then bounded by
that stretch, not by the block size.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from . import encode_file
from .pretokenize import pretokenize, split_specials

__all__ = ["count_pretokens", "count_pretokens_in_text", "chunk_boundaries", "read_text_range", "BLOCK_BYTES",
           "TASK_BYTES", "PARALLEL_MIN_BYTES"]

BLOCK_BYTES = 1 << 20  # a worker pre-tokenizes ~1 MB at a time: bounds its temporary lists
TASK_BYTES = 64 << 20  # one task for a worker: at most ~64 MB (fewer, larger Counters to add up)
PARALLEL_MIN_BYTES = 4 << 20  # below ~4 MB, starting worker processes costs more than it saves


# ---------------------------------------------------------------------------------------------
# Safe boundaries in a file
# ---------------------------------------------------------------------------------------------

def chunk_boundaries(path: str | os.PathLike, n: int, special_tokens: Sequence[str] = (),
                     pattern: str = "gpt2") -> list[int]:
    """Byte offsets [0, b1, ..., size] cutting a file into about n chunks at safe boundaries.

    The same cut points as `BPETokenizer.encode_file` (one implementation: `encode_file.chunk_boundaries`).
    """
    size = os.path.getsize(path)
    return encode_file.chunk_boundaries(path, list(special_tokens), pattern, chunk_bytes=max(1, -(-size // n)))


read_text_range = encode_file.read_text_range  # one reader for training and encoding: same bytes, same errors


# ---------------------------------------------------------------------------------------------
# Counting
# ---------------------------------------------------------------------------------------------

def _count_text(text: str, specials: Sequence[str], pattern: str, counts: Counter) -> None:
    """Add the pre-token counts of `text` (special tokens cut out first) to `counts`."""
    for part in split_specials(text, specials)[::2] if specials else (text,):
        if part:
            counts.update(pretokenize(part, pattern))


def _count_range(task: tuple) -> tuple[Counter, int]:
    """Worker: count bytes [start, end) of a file block by block; (Counter, bytes counted)."""
    path, start, end, specials, pattern, as_bytes = task
    counts: Counter = Counter()
    with open(path, "rb") as f:
        pos = start
        while pos < end:
            cut = end
            if end - pos > 2 * BLOCK_BYTES:  # the first safe point after ~BLOCK_BYTES (end itself is safe)
                cut = min(end, encode_file._next_boundary(f, end, pos + BLOCK_BYTES, list(specials), pattern))
            _count_text(read_text_range(path, pos, cut), specials, pattern, counts)
            pos = cut
    if as_bytes:  # keys as latin-1 str of the UTF-8 bytes: what the merge loop works on
        counts = Counter({w.encode("utf-8").decode("latin-1"): c for w, c in counts.items()})
    return counts, end - start


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _check_processes(num_processes: object) -> int:
    if num_processes is None:
        return _cpu_count()
    if isinstance(num_processes, bool) or not isinstance(num_processes, int) or num_processes < 1:
        raise ValueError(f"num_processes must be a positive int or None (all CPUs), got {num_processes!r}")
    return num_processes


def mp_context():
    """'fork' where it is safe and available (fast start), else the platform's default start method."""
    if "fork" in multiprocessing.get_all_start_methods() and sys.platform.startswith("linux"):
        try:
            single_threaded = len(os.listdir("/proc/self/task")) == 1
        except OSError:
            single_threaded = False
        if single_threaded:  # forking a multi-threaded process (a Jupyter kernel) can deadlock the child
            return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


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
    # Several tasks per worker: the load balances itself and the bar moves; each at most TASK_BYTES.
    n_tasks = 1 if workers == 1 else max(4 * workers, -(-size // TASK_BYTES))
    bounds = chunk_boundaries(path, n_tasks, specials, pattern)
    tasks = [(path, a, b, tuple(specials), pattern, as_bytes) for a, b in zip(bounds, bounds[1:])]
    counts: Counter = Counter()
    bar = progress_bar(progress, size, "counting pre-tokens", "B", unit_scale=True)
    if workers == 1 or len(tasks) == 1:
        for task in tasks:
            part, done = _count_range(task)
            counts.update(part)
            bar.update(done)
    else:
        with mp_context().Pool(min(workers, len(tasks))) as pool:
            for part, done in pool.imap_unordered(_count_range, tasks):
                if counts:
                    counts.update(part)
                else:
                    counts = part
                bar.update(done)
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
