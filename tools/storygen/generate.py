"""Generate the embedded corpus: seeded English and Chinese stories, joined and interleaved.

The committed files and their sha256 live in `lecture_utils/data/` (`lecture_utils.data.corpus`);
this module only writes them. Each language has its own random stream, so changing one grammar
never changes the other's text.
"""
from __future__ import annotations

import hashlib
import random
from pathlib import Path

from lecture_utils.data.corpus import DATA_DIR, join_documents
from lecture_utils.files import write_bytes_atomic

from . import en as en_grammar
from . import zh as zh_grammar

__all__ = ["SEED", "TARGET_BYTES", "generate_stories", "generate_corpus", "write_corpus"]

SEED = 336
# Stop generating a language once its stories (with separators) reach this many UTF-8 bytes.
TARGET_BYTES = {"en": 960_000, "zh": 640_000}


def generate_stories(lang: str, seed: int = SEED, target_bytes: int | None = None) -> list[str]:
    """Generate stories for "en" or "zh" until their corpus-format size reaches target_bytes."""
    if lang not in ("en", "zh"):
        raise ValueError(f"generate_stories needs lang 'en' or 'zh', got {lang!r}")
    story = en_grammar.story if lang == "en" else zh_grammar.story
    # Each language has its own stream, so changing one grammar never changes the other's text.
    rng = random.Random(seed if lang == "en" else seed + 1)
    target = TARGET_BYTES[lang] if target_bytes is None else target_bytes
    stories, size, sep_size = [], 0, len(join_documents([""]).encode("utf-8"))  # the separator after each story
    while size < target:
        s = story(rng)
        stories.append(s)
        size += len(s.encode("utf-8")) + sep_size
    return stories


def _interleave(en: list[str], zh: list[str]) -> list[str]:
    """Merge two story lists so each language's share of bytes so far tracks its share of the total."""
    size_en = [len(s.encode("utf-8")) for s in en]
    size_zh = [len(s.encode("utf-8")) for s in zh]
    total_en, total_zh = sum(size_en), sum(size_zh)
    out, i, j, done_en, done_zh = [], 0, 0, 0, 0
    while i < len(en) or j < len(zh):
        # Take English when its done fraction is not ahead: done_en/total_en <= done_zh/total_zh.
        if j == len(zh) or (i < len(en) and done_en * total_zh <= done_zh * total_en):
            out.append(en[i]); done_en += size_en[i]; i += 1
        else:
            out.append(zh[j]); done_zh += size_zh[j]; j += 1
    return out


def generate_corpus(seed: int = SEED) -> dict[str, str]:
    """Generate the three corpus texts {"en", "zh", "all"} from scratch (about one second)."""
    en, zh = generate_stories("en", seed), generate_stories("zh", seed)
    return {"en": join_documents(en), "zh": join_documents(zh), "all": join_documents(_interleave(en, zh))}


def write_corpus(directory: Path = DATA_DIR, seed: int = SEED) -> dict[str, str]:
    """Regenerate the corpus files in directory (atomically) and return their sha256 digests."""
    digests = {}
    for lang, text in generate_corpus(seed).items():
        data = text.encode("utf-8")
        target = Path(directory) / f"corpus_{lang}.txt"
        write_bytes_atomic(target, data)  # bytes: no newline translation on any OS
        digests[lang] = hashlib.sha256(data).hexdigest()
    return digests
