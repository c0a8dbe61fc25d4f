"""`python -m lecture_utils.data`: check the embedded corpus files and say where they come from."""
import sys

from .corpus import LANGS, embedded_corpus, embedded_corpus_path

try:
    for lang in LANGS:
        text = embedded_corpus(lang)  # sha256-checked
        print(f"{embedded_corpus_path(lang).name}: {len(text.encode('utf-8')):,} bytes, sha256 ok")
except (OSError, ValueError) as exc:
    print(f"python -m lecture_utils.data: error: {exc}", file=sys.stderr)
    sys.exit(1)
print("The story grammar that wrote them is a repository tool: `python -m tools.storygen` "
      "(from a clone) regenerates them byte for byte.")
