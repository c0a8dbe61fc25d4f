"""The embedded default corpus: seeded English and Chinese children's stories shipped in the package.

File format (plain UTF-8, ``\\n`` line ends, no BOM): every story is followed by ``"\\n<|endoftext|>\\n"``,
so a file reads ``story\\n<|endoftext|>\\nstory\\n<|endoftext|>\\n``. Stories contain no ``<|endoftext|>``
and never start or end with whitespace; paragraphs inside a story are separated by a blank line.

Three committed files: ``corpus_en.txt``, ``corpus_zh.txt`` and ``corpus_all.txt`` (the two interleaved
story by story in proportion to their sizes, so any prefix of it holds both languages). Each file's
sha256 is stored below and checked on first load. The story grammar that wrote them is a repository
tool, not part of this package: ``python -m tools.storygen`` (from a clone) regenerates the files and
prints their hashes, and the tests check that regeneration gives the committed bytes.

Size (seed 336): English 960,684 bytes in 1,126 stories, Chinese 640,274 bytes in 704 stories (40 % of
the bytes), so "all" is 1,600,958 bytes, 1,830 stories; about 880 distinct English words and 700
distinct Chinese characters. Use `train_val_split` for a held-out part (every 10th story by default).

Deliberate simplifications: the stories come from a template grammar (`tools/storygen/`), so
they are far more repetitive than real text; that is the point (BPE finds real words quickly and a
small Transformer learns them in minutes), but do not draw conclusions about natural language from it.
"""
from __future__ import annotations

import hashlib
from fractions import Fraction
from pathlib import Path

__all__ = [
    "ENDOFTEXT", "LANGS", "SHA256", "DATA_DIR",
    "embedded_corpus", "embedded_corpus_path", "split_documents", "join_documents", "train_val_split",
]

ENDOFTEXT = "<|endoftext|>"
LANGS = ("en", "zh", "all")
SHA256 = {
    "en": "1862efe7016c5645cdf19d12eb71d32dd6b070c570b45d6ec4e64d3896abaee3",
    "zh": "db2af46d3d1ab9881361cfa84dbf0712d1e919a9935acd177a1ac7adde300ab9",
    "all": "8e3ff17be0fbaf2f1a8934265378a92634963eb125a2339de54b2e7de276837c",
}
DATA_DIR = Path(__file__).resolve().parent
_SEP = f"\n{ENDOFTEXT}\n"
_cache: dict[str, str] = {}


def _check_lang(lang: str) -> str:
    """Raise a clear ValueError unless lang is one of LANGS."""
    if lang not in LANGS:
        raise ValueError(f"unknown corpus language {lang!r}; choose one of {', '.join(map(repr, LANGS))}")
    return lang


def embedded_corpus_path(lang: str = "all") -> Path:
    """Path of the committed corpus file for lang ("en", "zh" or "all")."""
    return DATA_DIR / f"corpus_{_check_lang(lang)}.txt"


def embedded_corpus(lang: str = "all") -> str:
    """The embedded corpus text for lang ("en", "zh" or "all"), sha256-checked once and cached."""
    if lang in _cache:
        return _cache[lang]
    path = embedded_corpus_path(lang)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(
            f"embedded corpus file {path} is missing; reinstall lecture_utils or regenerate it with "
            "`python -m tools.storygen` in a clone of the repository") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256[lang]:
        raise ValueError(
            f"embedded corpus file {path} has sha256 {digest}, expected {SHA256[lang]}: it was changed or "
            "damaged (e.g. line ends converted to CRLF by git). Regenerate it with "
            "`python -m tools.storygen` or restore it from git.")
    _cache[lang] = data.decode("utf-8")
    return _cache[lang]


def split_documents(text: str) -> list[str]:
    """Split text on <|endoftext|>, strip each piece, drop empty ones: "a\\n<|endoftext|>\\nb" -> ["a", "b"]."""
    return [doc for doc in (piece.strip() for piece in text.split(ENDOFTEXT)) if doc]


def join_documents(docs: list[str]) -> str:
    """The corpus file format: each document followed by "\\n<|endoftext|>\\n"."""
    return "".join(doc + _SEP for doc in docs)


def train_val_split(text: str, val_fraction: float = 0.1) -> tuple[str, str]:
    """Split on document boundaries: evenly spaced documents (every 10th for 0.1) go to validation.

    Deterministic (integer arithmetic, no randomness), and the validation part samples the whole text,
    so for the interleaved "all" corpus both languages land in it. Both parts use the corpus format.
    """
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be strictly between 0 and 1, got {val_fraction!r}")
    docs = split_documents(text)
    frac = Fraction(val_fraction).limit_denominator(1_000_000)
    p, q = frac.numerator, frac.denominator
    # Document i goes to validation when floor((i+1)*f) steps up: exactly floor(n*f) of n documents.
    is_val = [(i + 1) * p // q > i * p // q for i in range(len(docs))]
    val = [d for d, v in zip(docs, is_val) if v]
    train = [d for d, v in zip(docs, is_val) if not v]
    if not val or not train:
        raise ValueError(
            f"cannot split {len(docs)} document(s) with val_fraction={val_fraction}: one side would be empty; "
            f"separate documents with {ENDOFTEXT!r} or change val_fraction")
    return join_documents(train), join_documents(val)
