"""Encoding speed: our BPETokenizer against tiktoken, one process, cold cache, ratios of throughput.

Texts (UTF-8 MB = 1e6 bytes):
- code: Python standard-library source (not repeated), `--code-mb` MB;
- prose: English stories from the corpus generator (`tools.storygen`, other seeds than the packaged corpus), `--prose-mb` MB;
- zh-mix: Chinese stories interleaved with standard-library source, about 58% of the bytes CJK, `--zh-mb` MB.

Each repeat times ours (piece cache emptied first: the cold path, as for a new text) and then tiktoken's
single-threaded `encode` on the same text, and checks that the ids are identical. The table shows the
median and the worst ratio (ours / tiktoken throughput, higher is better) over the repeats.

Run:  .venv/bin/python benchmarks/bench_encode.py [--repeat 3] [--encoding gpt2]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def texts(code_mb: float, prose_mb: float, zh_mb: float) -> dict[str, str]:
    """The three benchmark texts."""
    from lecture_utils.data import stdlib_source
    from lecture_utils.data.corpus import join_documents
    from tools.storygen.generate import generate_stories  # the corpus generator (in the clone, not the package)

    code = stdlib_source(int(code_mb * 1e6))
    prose = join_documents(generate_stories("en", seed=7, target_bytes=int(prose_mb * 1e6)))
    zh_stories = generate_stories("zh", seed=11, target_bytes=int(zh_mb * 1e6 * 0.6))
    source = stdlib_source(int(zh_mb * 1e6 * 0.4) + 1_000_000)[1_000_000:]  # other files than `code`'s start
    step = max(1, len(source) // len(zh_stories))
    mix = []
    for i, story in enumerate(zh_stories):
        mix += [story, "\n", source[i * step:(i + 1) * step]]
    return {"code": code, "prose": prose, "zh-mix": "".join(mix)}


def cjk_share(text: str) -> float:
    """Fraction of the UTF-8 bytes that belong to CJK characters and punctuation."""
    import re

    cjk = sum(len(m.group().encode("utf-8")) for m in re.finditer(r"[\u3000-\u9fff\uff00-\uffef]+", text))
    return cjk / len(text.encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--encoding", default="gpt2")
    parser.add_argument("--code-mb", type=float, default=10)
    parser.add_argument("--prose-mb", type=float, default=10)
    parser.add_argument("--zh-mb", type=float, default=4.3)
    parser.add_argument("--only", nargs="*", help="text kinds to run (default: all)")
    args = parser.parse_args(argv)

    from lecture_utils.encodings import get_encoding
    from lecture_utils.tokenizers import BPETokenizer

    enc = get_encoding(args.encoding)
    tok = BPETokenizer.from_tiktoken(enc)
    print(f"encoding {args.encoding}, {args.repeat} interleaved pairs per text, cold cache")
    print(f"{'text':8} {'MB':>5} {'ours MB/s':>10} {'tiktoken':>9} {'ratio med':>9} {'worst':>6}  ids")
    for kind, text in texts(args.code_mb, args.prose_mb, args.zh_mb).items():
        if args.only and kind not in args.only:
            continue
        mb = len(text.encode("utf-8")) / 1e6
        ours, peer, same = [], [], True
        for _ in range(args.repeat):
            tok._cache.clear()
            tok._danger.clear()
            start = time.perf_counter()
            mine = tok.encode(text)
            ours.append(mb / (time.perf_counter() - start))
            start = time.perf_counter()
            theirs = enc.encode(text, allowed_special="all")
            peer.append(mb / (time.perf_counter() - start))
            same = same and mine == theirs
            del mine, theirs
        ratios = [a / b for a, b in zip(ours, peer)]
        note = f" ({cjk_share(text):.0%} CJK bytes)" if kind == "zh-mix" else ""
        print(f"{kind:8} {mb:5.1f} {statistics.median(ours):10.2f} {statistics.median(peer):9.2f}"
              f" {statistics.median(ratios):9.2f} {min(ratios):6.2f}  {'identical' if same else 'DIFFER'}{note}",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
