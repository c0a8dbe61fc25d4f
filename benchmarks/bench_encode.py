"""Encoding speed: our BPETokenizer against tiktoken, one process, cold cache, ratios of throughput.

Texts (UTF-8 MB = 1e6 bytes):
- code: Python standard-library source (not repeated), `--code-mb` MB;
- prose: English stories from the corpus generator (`tools.storygen`, other seeds than the packaged corpus), `--prose-mb` MB;
- zh-mix: Chinese stories interleaved with standard-library source, about 58% of the bytes CJK, `--zh-mb` MB.

Each repeat times ours (piece cache emptied first: the cold path, as for a new text) and then tiktoken's
single-threaded `encode` on the same text, and checks that the ids are identical. The table shows the
median and the worst ratio (ours / tiktoken throughput, higher is better) over the repeats: 7 by
default (the pairs take ~1.5 minutes in all, and on a shared machine one pair can be off by a third).

Run:  .venv/bin/python benchmarks/bench_encode.py [--repeat 7] [--encoding gpt2]

`--file PATH` instead measures `encode_file` on a big file (all cores, or `--processes N`) against
single-threaded tiktoken, each in a fresh process: wall time, our peak memory (PSS of the process tree,
sampled from /proc every 0.25 s: reading smaps costs ~5 ms of CPU per 200 MB process, so sampling every
10 ms would take a third of a core from encode_file's processes, and less from tiktoken's one thread),
and the ids compared. tiktoken encodes the file in 64 MB segments cut at safe
points (`encode_file.chunk_boundaries`: the same ids as one call, without holding ~10 GB of Python ints
for a 1 GB file); its time is the sum of its `encode` calls. E.g. the 1 GB generated corpus:
  .venv/bin/python benchmarks/textgen.py ... (see bench_tokenizers.py: textgen.generate(path, 1000, "mixed", seed=2))
  .venv/bin/python benchmarks/bench_encode.py --file /tmp/lecture_bench/mixed_1000mb.txt --repeat 1
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


OURS_FILE = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from lecture_utils.tokenizers import BPETokenizer
encoding, path, npy, processes, out = sys.argv[1:6]
tok = BPETokenizer.from_tiktoken(encoding)
def children():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
start, cpu, child = time.perf_counter(), time.process_time(), children()
tok.encode_file(path, npy, num_processes=int(processes) or None, progress=False)
seconds = time.perf_counter() - start
cpu, child = time.process_time() - cpu, children() - child  # this process, and its (waited-for) workers
with open(out, "w", encoding="utf-8") as f:
    json.dump({{"seconds": seconds, "cpu": cpu + child, "cpu_main": cpu}}, f)
"""

TIKTOKEN_SEGMENTS = """
import json, sys, time
import numpy as np
sys.path.insert(0, {root!r})
from lecture_utils.encodings import get_encoding
from lecture_utils.tokenizers.base import read_text_range
from lecture_utils.tokenizers.encode_file import chunk_boundaries
from lecture_utils.tokenizers.pretokenize import pattern_name
encoding, path, npy, out = sys.argv[1:5]
enc = get_encoding(encoding)
name = pattern_name(enc._pat_str)
ours = np.load(npy, mmap_mode="r")
seconds, cpu, done, same = 0.0, 0.0, 0, True
bounds = chunk_boundaries(path, sorted(enc.special_tokens_set), name, 64 << 20)
for a, b in zip(bounds, bounds[1:]):
    text = read_text_range(path, a, b)
    start, start_cpu = time.perf_counter(), time.process_time()
    ids = enc.encode(text, allowed_special="all")  # single-threaded
    seconds += time.perf_counter() - start
    cpu += time.process_time() - start_cpu
    same = same and bool((np.asarray(ids, dtype=ours.dtype) == ours[done:done + len(ids)]).all())
    done += len(ids)
    del text, ids
with open(out, "w", encoding="utf-8") as f:
    json.dump({{"seconds": seconds, "cpu": cpu, "identical": same and done == len(ours), "tokens": done}}, f)
"""


def bench_file(path: Path, encoding: str, repeat: int, processes: int) -> dict:
    """encode_file on `path` vs single-threaded tiktoken, fresh processes, interleaved; prints one row per repeat.

    Returns {"mb", "ours_s", "theirs_s", "peak_mb" (lists, one per round), "identical", "tokens"}.
    """
    import os

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_tokenizers import run_measured  # the training benchmark's runner and PSS sampler

    root = str(Path(__file__).resolve().parent.parent)
    mb = path.stat().st_size / 1e6
    npy = path.with_name(path.stem + f".{encoding}.npy")
    print(f"encode_file {path.name} ({mb:.0f} MB, {encoding}, {processes or 'all'} processes) vs tiktoken 1 thread")
    ratios, result = [], {"mb": mb, "ours_s": [], "theirs_s": [], "peak_mb": [], "identical": True}
    for r in range(repeat):
        load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
        ours_s, peak, ours = run_measured(OURS_FILE.format(root=root), [encoding, str(path), str(npy), str(processes)],
                                          interval=0.25)
        theirs_s, _, theirs = run_measured(TIKTOKEN_SEGMENTS.format(root=root), [encoding, str(path), str(npy)],
                                           interval=0.25)
        ratios.append(theirs_s / ours_s)
        for key, value in (("ours_s", ours_s), ("theirs_s", theirs_s), ("peak_mb", peak)):
            result[key].append(value)
        result["identical"] = result["identical"] and theirs["identical"]
        result["tokens"] = theirs["tokens"]
        print(f"  round {r + 1}: ours {mb / ours_s:.2f} MB/s ({ours_s:.1f} s wall, {ours['cpu']:.1f} s CPU of which {ours['cpu_main']:.1f} s in the main process), peak"
              f" {peak:.0f} MB; tiktoken {mb / theirs_s:.2f} MB/s ({theirs_s:.1f} s, {theirs['cpu']:.1f} s CPU); ratio {theirs_s / ours_s:.2f};"
              f" ids {'identical' if theirs['identical'] else 'DIFFER'} ({theirs['tokens']:,} tokens); load {load}",
              flush=True)
    npy.unlink(missing_ok=True)
    print(f"ratio median {statistics.median(ratios):.2f}, worst {min(ratios):.2f}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, help="pairs per text (default 7) or --file rounds (default 3)")
    parser.add_argument("--encoding", default="gpt2")
    parser.add_argument("--code-mb", type=float, default=10)
    parser.add_argument("--prose-mb", type=float, default=10)
    parser.add_argument("--zh-mb", type=float, default=4.3)
    parser.add_argument("--only", nargs="*", help="text kinds to run (default: all)")
    parser.add_argument("--file", type=Path, help="measure encode_file on this file instead (see above)")
    parser.add_argument("--processes", type=int, default=0, help="encode_file processes (0: all cores)")
    args = parser.parse_args(argv)
    if args.file is not None:
        if not args.file.is_file():
            parser.error(f"--file {args.file}: no such file")
        bench_file(args.file, args.encoding, args.repeat or 3, args.processes)
        return 0

    from lecture_utils.encodings import get_encoding
    from lecture_utils.tokenizers import BPETokenizer

    repeat = args.repeat or 7
    enc = get_encoding(args.encoding)
    tok = BPETokenizer.from_tiktoken(enc)
    print(f"encoding {args.encoding}, {repeat} interleaved pairs per text, cold cache")
    print(f"{'text':8} {'MB':>5} {'ours MB/s':>10} {'tiktoken':>9} {'ratio med':>9} {'worst':>6}  ids")
    for kind, text in texts(args.code_mb, args.prose_mb, args.zh_mb).items():
        if args.only and kind not in args.only:
            continue
        mb = len(text.encode("utf-8")) / 1e6
        ours, peer, same = [], [], True
        for _ in range(repeat):
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
