"""Encode a text file of any size to a memory-mappable .npy of token ids, on all cores.

    >>> tok.encode_file("data/TinyStories-valid.txt", "data/valid.npy")   # doctest: +SKIP
    >>> ids = numpy.load("data/valid.npy", mmap_mode="r")                  # doctest: +SKIP

How it stays exact and bounded:

1. The file is cut into chunks of about `chunk_bytes` bytes, only at points where encoding provably does
   not change: the start of a special token, or a safe cut of the tokenizer's pattern
   (`pretokenize.find_cut_forward`, e.g. between a letter and a space; see `pretokenize.py` for why no
   pre-token can cross it), never inside a special token. Each chunk is then encoded on its own, and the
   concatenation equals `tokenizer.encode` of the whole text. A stretch with no cut point at all stays
   one chunk (memory then grows with that stretch, as it must).
2. Text is read exactly as `train_bpe` reads it: raw bytes decoded as UTF-8, no newline translation
   (CRLF stays CRLF). Invalid UTF-8 is an error that names the byte offset.
3. Workers are fresh `python` processes (never a fork: safe from a Jupyter kernel, which has threads)
   that import only the tokenizer modules (not numpy) and get the tokenizer's state over a pipe. This
   process encodes too. Each reads and encodes one chunk at a time straight to packed uint16/uint32
   bytes (`BPETokenizer._encode_packed`: no list of ints); this process writes them in order after a
   fixed-size .npy header, so memory is a few chunks per process whatever the file size. The header's
   length field is written last. Each worker has `AHEAD` tasks sent and a result pipe that holds a whole
   result, so it never waits for this process (whose threads must share one interpreter lock with its
   own encoding: a worker that waited for every hand-over sat idle a quarter of the time). This process
   takes its own tasks outside the workers' budget of unwritten results (else, while a worker computed the
   next result to write, this process used the budget up and the worker was left with nothing to do).
4. The result appears atomically (`lecture_utils.files.atomic_path`): a crash leaves no half file.

dtype: uint16 when every id fits (vocab below 65,536 ids, e.g. GPT-2), else uint32.
"""
from __future__ import annotations

import collections
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from . import workers
from .base import check_special_tokens, read_text_range
from .pretokenize import find_cut_forward, inside_special

__all__ = ["encode_file", "chunk_boundaries", "NPY_HEADER_BYTES"]

CHUNK_BYTES = 1 << 19  # about 512 KiB of text per task (its text and packed ids, ~1 MB per MiB, are the transient)
WINDOW_BYTES = 1 << 16  # bytes read around a target offset to look for a cut point (doubled when needed)
PARALLEL_MIN_BYTES = 4 << 20  # with num_processes=None, smaller files are encoded here (a worker takes ~1 s to start)
AHEAD = 2  # tasks sent to a worker before its first result is read: it never waits for this process
PIPE_BYTES = 1 << 20  # a worker's result pipe holds this much (Linux), so it writes one without waiting to be read
NPY_HEADER_BYTES = 128  # our .npy header: magic, version 1.0, and a padded dict, 128 bytes in all
_DESCR = {"H": "<u2", "I": "<u4"}  # array typecode -> .npy dtype (the ids are written little-endian)
_ITEMSIZE = {"H": 2, "I": 4}

_WORKER_MAIN = workers.worker_main("encode_file")


def _npy_header(typecode: str, length: int) -> bytes:
    """A version 1.0 .npy header of exactly NPY_HEADER_BYTES bytes for a 1-D array of `length` items."""
    text = f"{{'descr': '{_DESCR[typecode]}', 'fortran_order': False, 'shape': ({length},), }}"
    body = text.ljust(NPY_HEADER_BYTES - 10 - 1) + "\n"
    return b"\x93NUMPY\x01\x00" + len(body).to_bytes(2, "little") + body.encode("latin-1")


def _window_cut(text: str, begin: int, specials: list[str], pattern: str, at_eof: bool) -> int:
    """The first index >= begin in `text` where the file may be cut, or -1 (see the module docstring)."""
    margin = max(map(len, specials), default=1)
    limit = len(text) if at_eof else len(text) - margin  # leave room to see a whole special token
    candidates = []
    pos = begin
    while True:  # the first pattern cut that is not inside a special token
        cut = find_cut_forward(text, pos, pattern)
        if cut < 0 or cut >= limit:
            break
        if not inside_special(text, cut, specials):
            candidates.append(cut)
            break
        pos = cut + 1
    for s in specials:  # or the start of a special token, if that comes first
        at = text.find(s, begin)
        while 0 <= at < limit:
            if not inside_special(text, at, specials):
                candidates.append(at)
                break
            at = text.find(s, at + 1)
    return min(candidates, default=-1)


def _trim_partial(data: bytes) -> bytes:
    """`data` without a UTF-8 character cut off at its end (a window may end inside one)."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 != 0x80:  # the start of the last character
            need = 1 if byte < 0x80 else 2 if byte >> 5 == 0b110 else 3 if byte >> 4 == 0b1110 else 4
            return data if need <= back else data[:-back]
    return data


def _next_boundary(f, size: int, target: int, specials: list[str], pattern: str) -> int:
    """The first safe byte offset >= target (and < size), or size if the rest cannot be cut."""
    lookback = 4 * max(map(len, specials), default=1) + 4  # to see a special token spanning the target
    window = WINDOW_BYTES
    while True:
        start = max(0, target - lookback)
        f.seek(start)
        data = f.read(target + window - start)
        at_eof = start + len(data) >= size
        while start < target and data and (data[0] & 0xC0) == 0x80:  # begin at a character start
            data, start = data[1:], start + 1
        if not at_eof:
            data = _trim_partial(data)
        # surrogateescape: one str character per undecodable byte, so offsets map back (the worker reports it)
        text = data.decode("utf-8", "surrogateescape")
        begin = len(data[:target - start].decode("utf-8", "surrogateescape"))
        cut = _window_cut(text, begin, specials, pattern, at_eof)
        if cut >= 0:
            offset = start + len(text[:cut].encode("utf-8", "surrogateescape"))
            return offset if offset < size else size
        if at_eof:
            return size
        window *= 2


def chunk_boundaries(path: str | os.PathLike, specials: list[str], pattern: str,
                     chunk_bytes: int = CHUNK_BYTES) -> list[int]:
    """Byte offsets [0, ..., size] cutting the file into chunks that encode independently."""
    size = os.path.getsize(path)
    bounds = [0]
    with open(path, "rb") as f:
        while size - bounds[-1] > chunk_bytes:
            nxt = _next_boundary(f, size, bounds[-1] + chunk_bytes, specials, pattern)
            if nxt >= size:
                break
            bounds.append(nxt)
    bounds.append(size)
    return bounds


def _serve() -> None:
    """A worker's main loop: the tokenizer's state, then tasks from stdin; packed ids (or the error) to stdout."""
    from .bpe import BPETokenizer

    inp = sys.stdin.buffer
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print cannot corrupt the results
    state, typecode = pickle.load(inp)
    tokenizer = BPETokenizer.__new__(BPETokenizer)
    tokenizer.__setstate__(state)
    while True:
        try:
            path, start, end = pickle.load(inp)
        except EOFError:
            return
        try:
            reply = (True, _encode_range(tokenizer, typecode, path, start, end))
        except Exception as err:  # sent back and raised in the parent (e.g. the invalid UTF-8 message)
            reply = (False, err)
        try:
            pickle.dump(reply, out, pickle.HIGHEST_PROTOCOL)
            out.flush()
        except BrokenPipeError:  # the parent is gone (killed): nothing to report to, and nothing to print
            os._exit(1)


def _encode_range(tokenizer, typecode: str, path: str, start: int, end: int) -> bytes:
    """The ids of bytes start..end of the file, packed little-endian as array `typecode` ("H" or "I")."""
    return tokenizer._encode_packed(read_text_range(path, start, end), typecode)


def _widen_pipe(pipe) -> None:
    """Let `pipe` hold PIPE_BYTES (Linux; elsewhere, or if not allowed, it keeps its size)."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass


def _in_workers(tokenizer, typecode: str, tasks: list[tuple[str, int, int]], n: int) -> Iterator[bytes]:
    """The packed ids of each task, in order: computed here and in `n` fresh worker processes."""
    from .bpe import BPETokenizer

    todo: queue.SimpleQueue = queue.SimpleQueue()
    for k in range(len(tasks)):
        todo.put(k)
    done: queue.SimpleQueue = queue.SimpleQueue()
    slots = threading.Semaphore(2 * (AHEAD * n + 1))  # workers' tasks taken but not yet written: bounds the memory
    # the workers rebuild a plain BPETokenizer from this (a subclass's own `encode` is not used there)
    state = pickle.dumps((BPETokenizer.__getstate__(tokenizer), typecode), pickle.HIGHEST_PROTOCOL)
    procs = workers.start_workers(_WORKER_MAIN, n)  # in sessions of their own: Ctrl-C reaches only this process
    stop = threading.Event()

    def feed(proc: subprocess.Popen) -> None:  # one thread per worker: keep AHEAD tasks sent, collect the results
        sent: collections.deque = collections.deque()
        more = True  # tasks may be left in `todo`
        try:
            _widen_pipe(proc.stdout)
            proc.stdin.write(state)
            while True:
                # Top up (waiting for a slot only when the worker has nothing to do: else its results would
                # wait unread while this process waits for one of them).
                while more and len(sent) < AHEAD and not stop.is_set() and slots.acquire(blocking=not sent):
                    try:
                        k = todo.get_nowait()
                    except queue.Empty:
                        slots.release()
                        more = False
                        break
                    pickle.dump(tasks[k], proc.stdin, pickle.HIGHEST_PROTOCOL)
                    proc.stdin.flush()
                    sent.append(k)
                if not sent:
                    break
                k = sent.popleft()
                done.put((k, *pickle.load(proc.stdout)))
        except (OSError, EOFError, pickle.UnpicklingError) as err:
            done.put((-1, False, RuntimeError(f"an encoding worker process died ({err!r}); its error, if any, is"
                                              " printed above; num_processes=1 encodes without workers")))
        finally:
            try:
                proc.stdin.close()  # end of input: the worker exits
            except OSError:
                pass

    threads = [threading.Thread(target=feed, args=(p,), daemon=True) for p in procs]
    for t in threads:
        t.start()
    finished = False
    ready: dict[int, bytes] = {}  # results not yet written, by task number
    own: set[int] = set()  # ... those computed here (they hold no slot)
    try:
        for k in range(len(tasks)):
            while k not in ready:
                # This process encodes too, while few results wait to be written. (Not with the workers' slots:
                # taking those while a worker computes task k left it with nothing sent, idle a fifth of the time.)
                if len(ready) <= AHEAD * n:
                    try:
                        mine = todo.get_nowait()
                    except queue.Empty:
                        pass
                    else:
                        ready[mine] = _encode_range(tokenizer, typecode, *tasks[mine])
                        own.add(mine)
                        continue
                got, ok, value = done.get()  # (k was taken, as tasks are taken in order: a worker is on it)
                if not ok:
                    raise value
                ready[got] = value
            yield ready.pop(k)
            if k in own:
                own.discard(k)
            else:
                slots.release()
        finished = True
    finally:
        stop.set()
        workers.drain(todo)  # after an error or Ctrl-C: no new tasks, and the running ones are stopped
        for _ in threads:
            slots.release()  # a feeder waiting for a slot sees the empty queue and ends
        workers.stop_workers(procs, threads, finished)


def _check_args(path, out_path, num_processes, chunk_bytes) -> tuple[Path, Path, int]:
    """The paths and process count, or a clear error naming the fix."""
    for name, value in (("path", path), ("out_path", out_path)):
        if not isinstance(value, (str, os.PathLike)):
            raise TypeError(f"encode_file: {name} must be a file path (str or os.PathLike), got {type(value).__name__}")
    path, out_path = Path(path), Path(out_path)
    if not path.is_file():
        raise FileNotFoundError(f"encode_file: no such file {path}" + (" (it is a folder)" if path.is_dir() else ""))
    if out_path.suffix != ".npy":
        raise ValueError(f"encode_file writes a .npy file; name the output like {out_path.with_suffix('.npy')}")
    if out_path.resolve() == path.resolve():
        raise ValueError("encode_file: out_path is the input file; choose another name")
    if num_processes is None:
        num_processes = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if isinstance(num_processes, bool) or not isinstance(num_processes, int) or num_processes < 1:
        raise ValueError(f"num_processes must be None (all cores) or an int >= 1, got {num_processes!r}")
    if isinstance(chunk_bytes, bool) or not isinstance(chunk_bytes, int) or chunk_bytes < 1:
        raise ValueError(f"chunk_bytes must be an int >= 1, got {chunk_bytes!r}")
    return path, out_path, num_processes


def _progress(enabled: bool | None, total: int, desc: str):
    """A tqdm bar over bytes (off when stderr is not a terminal, unless asked for), or a no-op stand-in."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if enabled:
        from tqdm.auto import tqdm

        return tqdm(total=total, unit="B", unit_scale=True, desc=desc)

    class _Quiet:
        def update(self, n: int) -> None:
            pass

        def close(self) -> None:
            pass

    return _Quiet()


def encode_file(tokenizer, path: str | os.PathLike, out_path: str | os.PathLike, num_processes: int | None = None,
                *, progress: bool | None = None, chunk_bytes: int = CHUNK_BYTES) -> Path:
    """Encode the UTF-8 text file `path` to `out_path` (.npy, uint16 or uint32) on `num_processes` cores.

    num_processes=None: all cores, or only this process for a file under PARALLEL_MIN_BYTES.

    The ids equal `tokenizer.encode(text)` of the whole file's text; returns out_path. Load the result
    with `numpy.load(out_path, mmap_mode="r")`.
    """
    from ..files import atomic_path

    auto = num_processes is None
    path, out_path, num_processes = _check_args(path, out_path, num_processes, chunk_bytes)
    typecode = "H" if max(tokenizer.vocab) < 1 << 16 else "I"
    specials = check_special_tokens(list(tokenizer.special_tokens))
    bounds = chunk_boundaries(path, specials, tokenizer.pattern, chunk_bytes)
    tasks = [(str(path), a, b) for a, b in zip(bounds, bounds[1:]) if b > a]
    if num_processes == 1 or len(tasks) <= 1 or (auto and bounds[-1] < PARALLEL_MIN_BYTES):
        results = (_encode_range(tokenizer, typecode, *task) for task in tasks)
    else:
        results = _in_workers(tokenizer, typecode, tasks, min(num_processes, len(tasks)) - 1)
    bar = _progress(progress, bounds[-1], f"encode {path.name}")
    count = 0
    try:
        with atomic_path(out_path) as tmp, open(tmp, "wb") as out:
            out.write(_npy_header(typecode, 0))
            try:
                for (_, start, end), packed in zip(tasks, results):
                    out.write(packed)
                    count += len(packed) // _ITEMSIZE[typecode]
                    bar.update(end - start)
            finally:
                results.close()  # stops the workers after an error
            out.seek(0)
            out.write(_npy_header(typecode, count))
    finally:
        bar.close()
    return out_path
