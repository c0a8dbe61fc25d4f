"""Tokenizers built from scratch: character, byte, word, the lecture's toy BPE and a real BPE.

Names are imported lazily from their submodules, so `import lecture_utils.tokenizers` stays cheap.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    # base.py: the contract and the simple tokenizers
    "Tokenizer": "base", "compression_ratio": "base", "CharacterTokenizer": "base",
    "ByteTokenizer": "base", "WordTokenizer": "base",
    "SIMPLE_WORD_PATTERN": "base", "GPT2_SPLIT_PATTERN": "base",
    # toy_bpe.py: the lecture's teaching version
    "merge": "toy_bpe", "train_toy_bpe": "toy_bpe", "ToyBPETokenizer": "toy_bpe",
    # bpe_train.py / bpe.py: the real trainer and tokenizer
    "train_bpe": "bpe_train", "BPETokenizer": "bpe",
    # view.py: coloured token spans for notebooks
    "render_tokens": "view",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    """Import `name` from its submodule on first use (PEP 562)."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
