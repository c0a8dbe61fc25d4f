"""Corpus preparation (lecture_utils.data.prepare): text read exactly as train_bpe reads it, cached once."""
from __future__ import annotations

import numpy as np

from lecture_utils.data import ENDOFTEXT, train_val_split
from lecture_utils.data import prepare as P
from lecture_utils.tokenizers import BPETokenizer

DOCS = [f"Line one of story {i}.\r\nLine two, with a tab\there.\r\n\r\nThe end {i}." for i in range(40)]
CRLF_TEXT = "".join(f"{doc}\n{ENDOFTEXT}\n" for doc in DOCS)


def test_crlf_file_keeps_its_carriage_returns(tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes(CRLF_TEXT.encode("utf-8"))
    assert P.read_text_file(path) == CRLF_TEXT  # no newline translation
    folder = P.prepare_corpus(str(path), 300, val_fraction=0.25, cache_dir=tmp_path / "cache")
    tokenizer = BPETokenizer.load(folder / "tokenizer.bpe")
    train_text, val_text = train_val_split(CRLF_TEXT, val_fraction=0.25)
    assert "\r\n" in train_text
    for split, text in (("train", train_text), ("val", val_text)):
        ids = np.load(folder / f"{split}.npy")
        assert ids.dtype == np.uint16
        assert ids.tolist() == tokenizer.encode(text)
        assert tokenizer.decode(ids.tolist()) == text


def test_file_encoding_and_training_read_like_train_bpe(tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes(CRLF_TEXT.encode("utf-8"))
    from_file = P._train_tokenizer(path, 300)  # train_bpe(path), streamed
    from_text = P._train_tokenizer(CRLF_TEXT, 300)  # train_bpe_from_text
    assert from_file.merges == from_text.merges and any(b"\r" in token for token in from_file.vocab.values())
    P.encode_file_to_npy(from_file, path, tmp_path / "ids.npy")
    assert np.load(tmp_path / "ids.npy").tolist() == from_file.encode(CRLF_TEXT)


def test_prepared_corpus_is_cached_and_keyed(tmp_path):
    cache = tmp_path / "cache"
    first = P.prepare_corpus("embedded:en", 300, max_chars=20000, cache_dir=cache)
    stamp = (first / "meta.json").stat().st_mtime_ns
    assert P.prepare_corpus("embedded:en", 300, max_chars=20000, cache_dir=cache) == first
    assert (first / "meta.json").stat().st_mtime_ns == stamp  # not prepared twice
    assert P.prepare_corpus("embedded:en", 300, max_chars=10000, cache_dir=cache) != first  # another corpus
    assert sorted(p.name for p in first.iterdir()) == [".lock", "meta.json", "tokenizer.bpe", "train.npy", "val.npy"]
