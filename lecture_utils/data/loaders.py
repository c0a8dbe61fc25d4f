"""Real text from disk: any file or folder (`load_text`) and the Python standard library's source.

`stdlib_source()` is the benchmark and equivalence-test corpus: real, multi-megabyte, and present offline
on every machine that runs Python. Its exact bytes depend on the Python version (3.11.7 here: about
13.3 MB of .py files outside test folders, about 31.5 MB with them), so tests should compare two
tokenizers on the same text, never hard-code counts from it. Benchmarks that need more bytes than
exist pass ``repeat=True`` (the text is repeated whole, then cut): say so when reporting, because a
repeated text has the same pair statistics as one copy, only scaled.

Deliberate simplifications: files are concatenated in sorted order with nothing between them except a
newline where a file lacks a final one; no per-file headers; `max_bytes` cuts at a character boundary.
"""
from __future__ import annotations

import os
import sysconfig
from pathlib import Path

__all__ = ["load_text", "stdlib_source", "stdlib_root", "cut_utf8"]

# Folder names never read by stdlib_source: installed packages and caches; the test suites unless asked.
_ALWAYS_SKIP = {"site-packages", "dist-packages", "__pycache__"}
_TEST_DIRS = {"test", "tests", "idle_test"}


def cut_utf8(data: bytes, max_bytes: int | None) -> bytes:
    """The longest prefix of data with at most max_bytes bytes that does not split a UTF-8 character."""
    if max_bytes is None or len(data) <= max_bytes:
        return data
    if max_bytes < 0:
        raise ValueError(f"max_bytes must be >= 0 or None, got {max_bytes}")
    end = max_bytes
    # Step back over continuation bytes (0b10xxxxxx) to the start of the character that was cut.
    while end > 0 and (data[end] & 0xC0) == 0x80:
        end -= 1
    return data[:end]


def _decode(data: bytes, path: Path) -> str:
    """Decode UTF-8 strictly; the error names the file, the byte offset and how to fix it."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(
            f"{path} is not valid UTF-8 (bad byte {data[err.start:err.start + 1]!r} at offset {err.start}). "
            "Convert it first, e.g. `iconv -f GBK -t UTF-8 in.txt > out.txt`, or remove it from the folder."
        ) from None


def _is_binary(path: Path) -> bool:
    """A file counts as binary (skipped in folders) when its first 8 KiB contain a NUL byte."""
    with open(path, "rb") as fh:
        return b"\0" in fh.read(8192)


def _files_under(root: Path, skip_dirs: set[str], suffix: str | None) -> list[Path]:
    """Regular files under root, hidden ones and skip_dirs excluded, sorted by their POSIX relative path."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):  # does not follow symlinked folders
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in skip_dirs]
        for name in filenames:
            if name.startswith(".") or (suffix is not None and not name.endswith(suffix)):
                continue
            path = Path(dirpath) / name
            if path.is_file():
                found.append(path)
    # Sort on the relative POSIX path so the order is the same on every OS and file system.
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def _concat(paths: list[Path], max_bytes: int | None, skip_undecodable: bool = False) -> str:
    """Read files in order, each ending in a newline, stopping once max_bytes is reached."""
    parts: list[bytes] = []
    total = 0
    for path in paths:
        if max_bytes is not None and total >= max_bytes:
            break
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            data += b"\n"
        try:
            _decode(data, path)
        except ValueError:
            if skip_undecodable:
                continue
            raise
        parts.append(data)
        total += len(data)
    return cut_utf8(b"".join(parts), max_bytes).decode("utf-8")


def load_text(path: str | os.PathLike, max_bytes: int | None = None) -> str:
    """Text of a UTF-8 file, or of every text file under a folder (sorted, hidden and binary files skipped).

    Example: ``load_text("notes.txt", max_bytes=1000)`` gives at most 1000 UTF-8 bytes, never half a
    character; ``load_text("my_texts/")`` gives every file under the folder, in sorted path order.
    """
    if max_bytes is not None and max_bytes < 0:  # before reading anything
        raise ValueError(f"max_bytes must be >= 0 or None, got {max_bytes}")
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such file or folder: {p} (pass a text file or a folder of text files)")
    if p.is_dir():
        files = [f for f in _files_under(p, set(), None) if not _is_binary(f)]
        if not files:
            raise ValueError(f"folder {p} contains no text files")
        return _concat(files, max_bytes)
    with open(p, "rb") as fh:  # read only what is needed (+3 bytes to finish a cut character)
        data = fh.read() if max_bytes is None else fh.read(max_bytes + 3)
    return _decode(cut_utf8(data, max_bytes), p)


def stdlib_root() -> Path:
    """The folder of the running interpreter's standard library (sysconfig's "stdlib" path)."""
    return Path(sysconfig.get_paths()["stdlib"])


def stdlib_source(max_bytes: int | None = None, include_tests: bool = False, repeat: bool = False) -> str:
    """The standard library's own .py source, files in sorted path order, concatenated.

    site-packages and __pycache__ are always skipped; test folders (test, tests, idle_test) unless
    include_tests (they add about 18 MB but hold a few deliberately non-UTF-8 files, which are skipped).
    With repeat=True and max_bytes larger than the source, the source is repeated to reach max_bytes.
    """
    skip = set(_ALWAYS_SKIP) if include_tests else _ALWAYS_SKIP | _TEST_DIRS
    files = _files_under(stdlib_root(), skip, ".py")
    if not files:
        raise FileNotFoundError(f"no .py files under {stdlib_root()}; is the standard library source installed?")
    text = _concat(files, max_bytes, skip_undecodable=include_tests)
    if repeat and max_bytes is not None:
        data = text.encode("utf-8")
        if 0 < len(data) < max_bytes:
            copies = -(-max_bytes // len(data))  # ceiling division
            text = cut_utf8(data * copies, max_bytes).decode("utf-8")
    return text
