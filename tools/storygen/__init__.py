"""The story grammar behind the embedded corpus (`lecture_utils/data/corpus_*.txt`): a repository tool.

`en` and `zh` are seeded TinyStories-style grammars sharing the plot in `plot`; `generate` draws the
stories, interleaves the two languages and writes the three files. Run ``python -m tools.storygen``
from the repository root to regenerate them; with the committed grammar and seed the bytes are
identical to the committed files (``tests/test_data.py`` checks their sha256).
"""
from __future__ import annotations

from .generate import SEED, TARGET_BYTES, generate_corpus, generate_stories, write_corpus

__all__ = ["SEED", "TARGET_BYTES", "generate_stories", "generate_corpus", "write_corpus"]
