"""Corpus preparation for training: train a BPE tokenizer on a corpus and tokenize it, once, into a cache.

`prepare_corpus("embedded", 2000)` returns a cache folder holding ``train.npy`` and ``val.npy`` (uint16
token ids when the vocabulary fits, else uint32), ``tokenizer.bpe`` and ``meta.json`` (written last:
its presence means "complete"). The folder is keyed by the corpus content (or name), the split and the
vocabulary size, so a second call returns at once. Text files are read exactly as `train_bpe` reads
them: bytes decoded as UTF-8, no newline translation (a "\\r\\n" stays two characters).

Corpora: 'embedded' ('embedded:en', 'embedded:zh'), 'tinystories-valid' (the 22 MB validation file,
split into train/val by documents), 'tinystories' (the 2.2 GB train file and the valid file, streamed
from disk) or the path of a UTF-8 text file or folder. Cache: ``tokens/`` in the per-user cache
(`lecture_utils.cache`; ``$LECTURE_UTILS_CACHE`` moves it), never the repository.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np

from ..files import atomic_path, write_text_atomic
from .corpus import ENDOFTEXT, embedded_corpus, train_val_split
from .download import default_cache_dir, tinystories
from .loaders import load_text

__all__ = ["prepare_corpus", "corpus_sources", "corpus_cache_folder", "encode_file_to_npy", "read_text_file"]

CACHE_VERSION = "bpe-v1"


def read_text_file(path: str | os.PathLike, max_chars: int | None = None) -> str:
    """A UTF-8 file's text as `train_bpe` reads it (no newline translation), optionally its first max_chars."""
    with open(path, encoding="utf-8", newline="") as f:
        return f.read() if max_chars is None else f.read(max_chars)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def corpus_sources(corpus: str, val_fraction: float = 0.1, max_chars: int | None = None,
                   base_url: str | None = None, progress: bool = False) -> tuple[str | Path, str | Path, str]:
    """(train source, val source, identity for the cache key); a source is the text itself or a file `Path`."""
    if not isinstance(corpus, str) or not corpus:
        raise ValueError(f"corpus must be a non-empty string, got {corpus!r}")
    if max_chars is not None and (not isinstance(max_chars, int) or isinstance(max_chars, bool) or max_chars < 1):
        raise ValueError(f"max_chars must be an integer >= 1 or None, got {max_chars!r}")
    download = {} if base_url is None else {"base_url": base_url}
    if corpus == "embedded" or corpus.startswith("embedded:"):
        text = embedded_corpus(corpus.partition(":")[2] or "all")[:max_chars]
        return (*train_val_split(text, val_fraction=val_fraction), _sha256(text))
    if corpus == "tinystories-valid":
        text = read_text_file(tinystories("valid", progress=progress, **download), max_chars)
        return (*train_val_split(text, val_fraction=val_fraction), f"tinystories-valid:{max_chars}:{val_fraction}")
    if corpus == "tinystories":
        if max_chars is not None:
            raise ValueError("max_chars cannot cut the full TinyStories corpus; use 'tinystories-valid' with max_chars")
        train = tinystories("train", progress=progress, **download)
        return train, tinystories("valid", progress=progress, **download), "tinystories-v2-gpt4"
    path = Path(corpus).expanduser()
    if not path.exists():
        raise ValueError(f"corpus {corpus!r}: not 'embedded', 'embedded:en', 'embedded:zh', 'tinystories', "
                         "'tinystories-valid' or an existing file or folder")
    text = (read_text_file(path, max_chars) if path.is_file() else load_text(path)[:max_chars])
    return (*train_val_split(text, val_fraction=val_fraction), _sha256(text))


def corpus_cache_folder(identity: str, vocab_size: int, val_fraction: float,
                        cache_dir: str | os.PathLike | None = None) -> Path:
    """Cache folder of a (corpus, split, vocabulary size, tokenizer version) combination."""
    base = Path(cache_dir) if cache_dir is not None else default_cache_dir() / "tokens"
    key = json.dumps([identity, vocab_size, ENDOFTEXT, val_fraction, CACHE_VERSION])
    return base / hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def encode_file_to_npy(tokenizer, path: Path, out: Path) -> None:
    """Token ids of a UTF-8 file (streamed on all cores, no newline translation) written atomically to the .npy `out`."""
    tokenizer.encode_file(path, out)


def _save_npy(out: Path, ids: np.ndarray) -> None:
    with atomic_path(out) as tmp, open(tmp, "wb") as f:
        np.save(f, ids)  # a file object: np.save would append ".npy" to a temporary name


def _encode_to_npy(tokenizer, source: str | Path, out: Path) -> None:
    """Token ids of a text or a file, saved as a compact unsigned .npy."""
    if isinstance(source, Path):
        encode_file_to_npy(tokenizer, source, out)
        return
    dtype = np.uint16 if tokenizer.vocab_size <= 2**16 else np.uint32
    _save_npy(out, np.asarray(tokenizer.encode(source), dtype=dtype))


def _train_tokenizer(source: str | Path, vocab_size: int):
    """A BPE tokenizer of `vocab_size` trained on the source (a file is streamed by `train_bpe`)."""
    from ..tokenizers import BPETokenizer, train_bpe, train_bpe_from_text

    train = train_bpe if isinstance(source, Path) else train_bpe_from_text
    vocab, merges = train(source, vocab_size, special_tokens=[ENDOFTEXT])
    return BPETokenizer(vocab, merges, special_tokens=[ENDOFTEXT])


@contextlib.contextmanager
def _folder_lock(folder: Path, verbose: bool):
    """Only one process prepares a cache folder at a time (an OS file lock, released if the process dies)."""
    try:
        import fcntl
    except ImportError:  # Windows: no fcntl; concurrent preparations still end in a complete folder (atomic writes)
        yield
        return
    with open(folder / ".lock", "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if verbose:
                print(f"waiting for another process preparing {folder} ...", flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prepare_corpus(corpus: str, vocab_size: int, *, val_fraction: float = 0.1, max_chars: int | None = None,
                   cache_dir: str | os.PathLike | None = None, base_url: str | None = None,
                   verbose: bool = False) -> Path:
    """Train a BPE tokenizer of `vocab_size` on the corpus and tokenize it, once; returns the cache folder."""
    train_src, val_src, identity = corpus_sources(corpus, val_fraction, max_chars, base_url, progress=verbose)
    folder = corpus_cache_folder(identity, vocab_size, val_fraction, cache_dir)
    if (folder / "meta.json").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    with _folder_lock(folder, verbose):
        if (folder / "meta.json").exists():  # another process finished it while we waited
            return folder
        t0 = time.perf_counter()
        if verbose:
            print(f"training a BPE tokenizer (vocab {vocab_size}) and tokenizing into {folder} ...", flush=True)
        tokenizer = _train_tokenizer(train_src, vocab_size)
        tokenizer.save(folder / "tokenizer.bpe")
        for split, src in (("train", train_src), ("val", val_src)):
            _encode_to_npy(tokenizer, src, folder / f"{split}.npy")
        meta = {"corpus": corpus, "vocab_size": vocab_size, "identity": identity,
                "seconds": round(time.perf_counter() - t0, 3),
                "train_tokens": int(np.load(folder / "train.npy", mmap_mode="r").shape[0]),
                "val_tokens": int(np.load(folder / "val.npy", mmap_mode="r").shape[0])}
        write_text_atomic(folder / "meta.json", json.dumps(meta, indent=2) + "\n")  # last: "complete"
    if verbose:
        print(f"tokenized {meta['train_tokens']:,} + {meta['val_tokens']:,} tokens in {meta['seconds']:.1f} s", flush=True)
    return folder
