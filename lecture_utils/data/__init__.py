"""Corpora for the notebooks, tests and benchmarks.

- The embedded default corpus (`embedded_corpus`): seeded English and Chinese children's stories
  written by this project's grammar, shipped in the package, identical everywhere (sha256-checked).
- Real text from disk: `load_text` (a file or a folder) and `stdlib_source` (the Python standard
  library's own source, present offline on every machine).
- TinyStories (`tinystories`): downloaded on request into a per-user cache, checked, never in the repo.
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

__all__ = [
    "ENDOFTEXT", "LANGS", "embedded_corpus", "embedded_corpus_path", "split_documents", "join_documents",
    "train_val_split",
]
