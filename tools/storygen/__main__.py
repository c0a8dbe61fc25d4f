"""``python -m tools.storygen [--check] [--out DIR]``: regenerate the embedded corpus and compare its sha256.

Without options it rewrites ``lecture_utils/data/corpus_{en,zh,all}.txt`` (atomically); with the committed
grammar the bytes are identical, so git sees no change. ``--check`` only compares, ``--out`` writes elsewhere.
Exit status 1 when a digest differs from `lecture_utils.data.corpus.SHA256` (update it after a grammar change).
"""
from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

from lecture_utils.data.corpus import DATA_DIR, SHA256

from .generate import generate_corpus, write_corpus


def main(argv: list[str] | None = None) -> int:
    """Regenerate (or check) the corpus files; print one line per file; 0 when every sha256 matches."""
    parser = argparse.ArgumentParser(prog="python -m tools.storygen", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="generate in memory and compare; write nothing")
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="folder to write into (default: the package's)")
    args = parser.parse_args(argv)
    if args.out.exists() and not args.out.is_dir():
        print(f"python -m tools.storygen: error: --out {args.out} is a file; give a folder", file=sys.stderr)
        return 2
    if args.check:
        digests = {lang: hashlib.sha256(text.encode("utf-8")).hexdigest() for lang, text in generate_corpus().items()}
    else:
        args.out.mkdir(parents=True, exist_ok=True)
        digests = write_corpus(args.out)
    for lang, digest in digests.items():
        verdict = "matches" if digest == SHA256[lang] else f"DIFFERS from SHA256[{lang!r}] = {SHA256[lang]}"
        print(f"corpus_{lang}.txt  sha256 {digest}  {verdict}")
    if digests != SHA256:
        print("update SHA256 in lecture_utils/data/corpus.py to the new digests if the grammar change was intended",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
