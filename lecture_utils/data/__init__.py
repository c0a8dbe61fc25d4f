"""Corpora for the notebooks, tests and benchmarks.

- The embedded default corpus (`embedded_corpus`): seeded English and Chinese children's stories
  written by this project's grammar, shipped in the package, identical everywhere (sha256-checked).
  Documents are separated by `ENDOFTEXT`; `split_documents` and `train_val_split` work on that format.
- Real text from disk: `load_text` (a file or a folder) and `stdlib_source` (the Python standard
  library's own source, present offline on every machine).
- TinyStories (`tinystories`): downloaded on request into a per-user cache, checked, never in the repo.
- Training data (`prepare_corpus`): a corpus tokenized once with this project's BPE into a cache folder.

``python -m lecture_utils.data`` checks the embedded corpus; the story grammar that wrote it is a
repository tool (``python -m tools.storygen`` regenerates the files byte for byte).
"""
from __future__ import annotations

from .corpus import (
    ENDOFTEXT,
    LANGS,
    embedded_corpus,
    embedded_corpus_path,
    join_documents,
    split_documents,
    train_val_split,
)
from .loaders import load_text, stdlib_source
from .download import DEFAULT_URL, tinystories
from .prepare import prepare_corpus

__all__ = [
    "ENDOFTEXT", "LANGS", "embedded_corpus", "embedded_corpus_path", "split_documents", "join_documents",
    "train_val_split", "load_text", "stdlib_source", "tinystories", "DEFAULT_URL", "prepare_corpus",
]
