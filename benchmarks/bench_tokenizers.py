"""Benchmark: our pure-Python BPE trainer against Hugging Face `tokenizers` and `rustbpe`, in one run.

Training runs, each in a fresh subprocess, interleaved (ours, HF, rustbpe, ours, HF, ...), `--repeat`
rounds; the table shows the median, the worst repeat and the ratio ours / peer per round:

1. **Code, 150 MB -> vocab 10,000**: text from `textgen.py` (a Zipf-Heaps model fitted to the standard
   library's source: new words keep appearing, nothing is a repeated file), special token <|endoftext|>.
   **Real code, 150 MB -> 10,000**: the same on this machine's own Python source (standard library,
   then site-packages, each file once: `textgen.real_code`), a check that the generator does not
   flatter us (its pieces repeat more than real code's).
2. **Chinese-heavy mix, 4.3 MB -> 10,000**: this machine's Chinese gettext catalogs (real UI text) with
   part of their English originals, ~58% CJK bytes (`textgen.chinese_mix`).
3. **encode_file**, `--encode-mb` MB (default 1000) of generated prose + code with GPT-2's vocabulary on
   all cores, against tiktoken's single-threaded `encode` of the same text (`bench_encode.bench_file`:
   tiktoken in 64 MB segments cut at safe points, so its ids stay bounded); the ids are compared.
4. **Scaling, generated prose + code -> 32,000** at `--scale-mb` sizes (ours only, once each): wall time
   of counting and of merging, peak memory. From them: projections for TinyStories (2.2 GB -> 10K) and
   OpenWebText (11.9 GB -> 32K): counting scales with bytes (the larger run's rate), merging and
   memory with a power law through the two runs (merging to 10K: the time at which the same runs
   had made their first 9,743 merges, the same work as a 10K run's). Real TinyStories has far fewer distinct words than
   this generated text, so its projection errs on the slow side.

Peers: HF `tokenizers` (BpeTrainer with the ByteLevel pre-tokenizer = GPT-2's regex, every byte in
the initial alphabet, min_frequency 0; it reads the file line by line) and `rustbpe` (nanochat's
trainer, GPT-2's pattern given explicitly; fed the documents between special tokens, 64 at a time).
Ours: `train_bpe(path, ...)` with all CPUs. Wall time is measured around the training call inside the
subprocess; peak memory is the largest total PSS of the subprocess and all its children (sampled every
50 ms), so worker processes and threads are counted alike. Encoding rows: `bench_encode.py`.

Run:  .venv/bin/python benchmarks/bench_tokenizers.py [--code-mb 150] [--real-code-mb 150] [--repeat 3] [--scale-mb 100 1000]
Needs the peers: .venv/bin/pip install -r benchmarks/requirements.txt
"""
from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

SPECIAL = "<|endoftext|>"

OURS = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from lecture_utils.tokenizers import bpe_count, bpe_merge, bpe_train
path, vocab_size, out = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
start = time.perf_counter()
# = train_bpe(path, vocab_size, [SPECIAL]), with the two phases timed apart
counts = bpe_count.count_file(path, [{special!r}], "gpt2", bpe_count._cpu_count(), False, as_bytes=True)
words = [w for w in counts if len(w) >= 2]
weights = [counts[w] for w in words]
distinct = len(counts)
del counts
marks = {{}}  # merges done -> seconds since counting ended, for the first {mark:,} merges (vocab 10K)


class Marking:  # the merge loop's progress bar: notes when merge {mark:,} is done (one call per merge)
    n = 0

    def update(self, k=1):
        self.n += k
        if self.n == {mark}:
            marks[self.n] = time.perf_counter() - counted

    def close(self):
        pass


bpe_merge.progress_bar = lambda *args, **kwargs: Marking()
counted = time.perf_counter()
vocab, merges = bpe_train._merge_loop(words, weights, vocab_size, ({special!r},), False)
end = time.perf_counter()
with open(out, "w", encoding="utf-8") as f:
    json.dump({{"seconds": end - start, "count_s": counted - start, "merge_s": end - counted, "distinct": distinct,
               "merge_10k_s": marks.get({mark}), "tokens": [vocab[i].hex() for i in sorted(vocab)]}}, f)
""".format(root=str(ROOT), special=SPECIAL, mark=10_000 - 257)

HF = """
import json, sys, time
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
path, vocab_size, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
tok = Tokenizer(models.BPE())
tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[{special!r}], min_frequency=0,
                              initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
start = time.perf_counter()
tok.train([path], trainer)
seconds = time.perf_counter() - start
with open(out, "w", encoding="utf-8") as f:
    json.dump({{"seconds": seconds, "vocab": list(tok.get_vocab())}}, f)
""".format(special=SPECIAL)

RUST = """
import json, sys, time
import rustbpe
sys.path.insert(0, {root!r})
from lecture_utils.tokenizers.pretokenize import PATTERNS
path, vocab_size, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def documents():
    # The documents between special tokens, read 1 MB at a time (never the whole file at once).
    rest = ""
    with open(path, encoding="utf-8", newline="") as f:
        while True:
            block = f.read(1 << 20)
            if not block:
                break
            parts = (rest + block).split({special!r})
            rest = parts.pop()
            yield from (p for p in parts if p)
    if rest:
        yield rest

tok = rustbpe.Tokenizer()
start = time.perf_counter()
tok.train_from_iterator(documents(), vocab_size - 1, buffer_size=64, pattern=PATTERNS["gpt2"])  # -1: no special
seconds = time.perf_counter() - start
ranks = tok.get_mergeable_ranks()
with open(out, "w", encoding="utf-8") as f:
    json.dump({{"seconds": seconds, "tokens": [bytes(t).hex() for t, _ in ranks]}}, f)
""".format(root=str(ROOT), special=SPECIAL)

PEERS = {"ours": OURS, "hf": HF, "rustbpe": RUST}

# ---------------------------------------------------------------------------------------------
# Memory: total PSS of a process tree, sampled from /proc
# ---------------------------------------------------------------------------------------------

def _children(pid: int) -> list[int]:
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children", encoding="utf-8") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="utf-8") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree_pss_kib(root: int) -> int:
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _pss_kib(pid)
        stack += _children(pid)
    return total


def run_measured(code: str, args: list[str], interval: float = 0.05) -> tuple[float, float, dict]:
    """Run `python -c code args` in a fresh process; (seconds it reports, peak tree PSS in MB, its JSON).

    PSS is sampled every `interval` seconds: reading /proc/PID/smaps_rollup costs ~5 ms of CPU per
    200 MB process, so sampling much more often would take CPU from the process being measured.
    """
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        proc = subprocess.Popen([sys.executable, "-c", code, *args, str(out)])
        peak = 0
        stop = threading.Event()

        def sample():
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, _tree_pss_kib(proc.pid))
                time.sleep(interval)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        returncode = proc.wait()
        stop.set()
        sampler.join()
        if returncode != 0:
            raise RuntimeError(f"benchmark subprocess failed with exit code {returncode}")
        result = json.loads(out.read_text(encoding="utf-8"))
    return result["seconds"], peak / 1024, result


def _loadavg() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


# ---------------------------------------------------------------------------------------------
# The measurements
# ---------------------------------------------------------------------------------------------

def _token_sets(results: dict) -> dict[str, set[bytes]]:
    from lecture_utils.tokenizers.bpe import gpt2_bytes_to_unicode

    byte_of = {ch: b for b, ch in gpt2_bytes_to_unicode().items()}
    sets = {}
    for name, r in results.items():
        if name == "hf":
            sets[name] = {bytes(byte_of[c] for c in t) for t in r["vocab"] if t != SPECIAL}
        else:
            sets[name] = {bytes.fromhex(t) for t in r["tokens"]} - {SPECIAL.encode()}
    return sets


def bench_training(path: Path, vocab_size: int, repeat: int, peers: list[str]) -> dict:
    """Interleaved rounds of every peer on one file: {peer: {"s": [...], "mb": [...]}, "overlap": {...}}."""
    out = {p: {"s": [], "mb": []} for p in peers}
    last = {}
    for r in range(repeat):
        for p in peers:
            print(f"  round {r + 1}/{repeat}: {p} (load {_loadavg()})", file=sys.stderr, flush=True)
            seconds, mem, result = run_measured(PEERS[p], [str(path), str(vocab_size)])
            out[p]["s"].append(seconds)
            out[p]["mb"].append(mem)
            if p == "ours":
                out[p].setdefault("count_s", []).append(result["count_s"])
                out[p].setdefault("merge_s", []).append(result["merge_s"])
                out[p]["distinct"] = result["distinct"]
            last[p] = result
    sets = _token_sets(last)
    out["overlap"] = {p: len(sets["ours"] & sets[p]) / len(sets["ours"]) for p in peers if p != "ours"}
    return out


def _fmt(values: list[float], unit: str, digits: int = 1, worse=max) -> str:
    med = statistics.median(values)
    if len(values) == 1:
        return f"{med:.{digits}f} {unit}"
    return f"{med:.{digits}f} {unit} (worst {worse(values):.{digits}f})"


def _ratio(ours: list[float], peer: list[float], worse=max) -> tuple[float, str]:
    ratios = [a / b for a, b in zip(ours, peer)]
    med = statistics.median(ratios)
    return med, (f"{med:.2f}" if len(ratios) == 1 else f"{med:.2f} (worst {worse(ratios):.2f})")


def _power_fit(x1: float, y1: float, x2: float, y2: float):
    """y = a * x^b through two points."""
    b = math.log(y2 / y1) / math.log(x2 / x1)
    return lambda x: y1 * (x / x1) ** b, b


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--code-mb", type=float, default=150, help="generated code size (0 to skip)")
    parser.add_argument("--real-code-mb", type=float, default=150, help="real Python source size (0 to skip)")
    parser.add_argument("--zh-mb", type=float, default=4.3, help="Chinese-heavy text size (0 to skip)")
    parser.add_argument("--scale-mb", type=float, nargs="*", default=[100, 1000],
                        help="generated prose+code sizes for the 32K scaling runs (two sizes to project; none to skip)")
    parser.add_argument("--vocab-size", type=int, default=10_000)
    parser.add_argument("--scale-vocab", type=int, default=32_000)
    parser.add_argument("--encode-mb", type=float, default=1000,
                        help="generated prose+code size for encode_file vs single-thread tiktoken (0 to skip)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "lecture_bench"),
                        help="where the generated corpora are kept between runs")
    args = parser.parse_args(argv)

    try:
        import rustbpe  # noqa: F401
        import tokenizers  # noqa: F401
    except ImportError as err:
        print(f"a peer is missing ({err.name}): .venv/bin/pip install -r benchmarks/requirements.txt")
        return 1
    import textgen

    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)

    def corpus(name: str, make) -> Path:
        path = work / name
        if not path.exists():
            print(f"generating {name} ...", file=sys.stderr, flush=True)
            tmp = path.with_suffix(".part")
            make(tmp)
            os.replace(tmp, path)
        return path

    trainings = []
    if args.code_mb:
        trainings.append((f"train {args.code_mb:g} MB code -> {args.vocab_size:,}",
                          corpus(f"code_{args.code_mb:g}mb.txt", lambda p: textgen.generate(p, args.code_mb, "code", seed=1))))
    if args.real_code_mb:
        trainings.append((f"train {args.real_code_mb:g} MB real Python source -> {args.vocab_size:,}",
                          corpus(f"realcode_{args.real_code_mb:g}mb.txt",
                                 lambda p: textgen.real_code(p, args.real_code_mb))))
    zh_share = 0.0
    if args.zh_mb:
        zh_text, zh_share = textgen.chinese_mix(int(args.zh_mb * 1e6))
        trainings.append((f"train Chinese-heavy {args.zh_mb:g} MB ({100 * zh_share:.0f}% CJK bytes) -> {args.vocab_size:,}",
                          corpus(f"zh_{args.zh_mb:g}mb.txt", lambda p: p.write_bytes(zh_text.encode("utf-8")))))
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_start = _loadavg()

    peers = ["ours", "hf", "rustbpe"]
    rows, notes = [], []
    for label, path in trainings:
        print(f"{label} ...", file=sys.stderr, flush=True)
        r = bench_training(path, args.vocab_size, args.repeat, peers)
        o = r["ours"]
        for p, name in (("hf", "HF"), ("rustbpe", "rustbpe")):
            _, text = _ratio(o["s"], r[p]["s"])
            rows.append((f"{label}: wall vs {name}", _fmt(o["s"], "s"), _fmt(r[p]["s"], "s"), text))
        for p, name in (("hf", "HF"), ("rustbpe", "rustbpe")):
            _, text = _ratio(o["mb"], r[p]["mb"])
            rows.append((f"{label}: peak memory vs {name}", _fmt(o["mb"], "MB", 0), _fmt(r[p]["mb"], "MB", 0), text))
        notes.append(f"{label}: ours = counting {statistics.median(o['count_s']):.1f} s + merging"
                     f" {statistics.median(o['merge_s']):.1f} s, {o['distinct']:,} distinct pre-tokens; learned"
                     f" vocabulary shared with HF {100 * r['overlap']['hf']:.1f}%, with rustbpe"
                     f" {100 * r['overlap']['rustbpe']:.1f}%")

    scale = []
    for mb in args.scale_mb:
        path = corpus(f"mixed_{mb:g}mb.txt", lambda p, mb=mb: textgen.generate(p, mb, "mixed", seed=2))
        print(f"scaling: {mb:g} MB -> {args.scale_vocab:,} (load {_loadavg()})", file=sys.stderr, flush=True)
        seconds, mem, result = run_measured(OURS, [str(path), str(args.scale_vocab)])
        scale.append((path.stat().st_size / 1e6, seconds, mem, result))
        rows.append((f"train {mb:g} MB generated prose+code -> {args.scale_vocab:,} (once)",
                     f"{seconds:.1f} s, {mem:.0f} MB", "–", "–"))
        notes.append(f"{mb:g} MB -> {args.scale_vocab:,}: counting {result['count_s']:.1f} s"
                     f" ({path.stat().st_size / 1e6 / result['count_s']:.1f} MB/s on {cpus} CPUs), merging"
                     f" {result['merge_s']:.1f} s (to 10K: {result['merge_10k_s']:.1f} s), {result['distinct']:,}"
                     f" distinct pre-tokens, peak {mem:.0f} MB")
    encode_rate = None
    if args.encode_mb:
        import bench_encode

        path = corpus(f"mixed_{args.encode_mb:g}mb.txt", lambda p: textgen.generate(p, args.encode_mb, "mixed", seed=2))
        print(f"encode_file {args.encode_mb:g} MB (load {_loadavg()})", file=sys.stderr, flush=True)
        e = bench_encode.bench_file(path, "gpt2", args.repeat, 0)  # interleaved with tiktoken, fresh processes
        mb = e["mb"]
        _, text = _ratio(e["theirs_s"], e["ours_s"], min)  # throughput ratio ours/tiktoken = their time / ours
        rows.append((f"encode_file {mb:.0f} MB (gpt2, all cores) vs tiktoken 1 thread: throughput",
                     _fmt([mb / t for t in e["ours_s"]], "MB/s", 2, min),
                     _fmt([mb / t for t in e["theirs_s"]], "MB/s", 2, min), text))
        rows.append((f"encode_file {mb:.0f} MB: peak memory", _fmt(e["peak_mb"], "MB", 0), "–", "–"))
        encode_rate = mb / statistics.median(e["ours_s"])
        notes.append(f"encode_file: ids identical to tiktoken's on all {e['tokens']:,} tokens: {e['identical']}")
    projections = []
    if len(scale) >= 2:
        (m1, _, mem1, r1), (m2, _, mem2, r2) = scale[0], scale[-1]
        rate = m2 / r2["count_s"]
        merge_at = {32_000: _power_fit(m1, r1["merge_s"], m2, r2["merge_s"]),  # vocab -> (fit, exponent)
                    10_000: _power_fit(m1, r1["merge_10k_s"], m2, r2["merge_10k_s"])}
        mem_at, mem_exp = _power_fit(m1, mem1, m2, mem2)
        for name, mb, vocab in (("TinyStories train", 2200, 10_000), ("OpenWebText train", 11900, 32_000)):
            seconds = mb / rate + merge_at[vocab][0](mb)
            projections.append((name, mb, vocab, seconds, mem_at(mb)))
            rows.append((f"projected: {name} {mb / 1000:g} GB -> {vocab // 1000}K", f"{seconds / 60:.1f} min,"
                         f" {mem_at(mb) / 1000:.1f} GB", "–", "–"))
        if encode_rate:
            seconds = 2200 / rate + merge_at[10_000][0](2200) + 2222 / encode_rate
            rows.append(("projected CS336 pipeline: TinyStories tokenizer 10K + encode train and valid (2.2 GB)",
                         f"{seconds / 60:.1f} min", "–", "–"))
            projections.append(("TinyStories pipeline", 2222, 10_000, seconds, None))
        notes.append(f"projection: counting at {rate:.1f} MB/s (the {m2:g} MB run), merging to 32K ~"
                     f" size^{merge_at[32_000][1]:.2f} and to 10K ~ size^{merge_at[10_000][1]:.2f} (the time at merge"
                     f" 9,743 of the same runs), memory ~ size^{mem_exp:.2f} (power laws through the two runs)")

    print(f"\nBPE training benchmark, {started}: {cpus} CPU(s), Python {sys.version.split()[0]}, {args.repeat}"
          f" interleaved round(s), median (worst); load average at start {load_start}, at end {_loadavg()}\n")
    print("| measurement | ours (pure Python) | peer | ratio ours/peer |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    for note in notes:
        print(f"- {note}")
    if args.zh_mb:
        print(f"- Chinese-heavy text: {'gettext catalogs' if zh_share > 0.5 else 'generated stories'}")
    print("- code and prose+code: benchmarks/textgen.py (run `python benchmarks/textgen.py --check` for its Heaps fit);"
          " real Python source: textgen.real_code (this machine's standard library and site-packages)")
    json_out = work / f"bench_tokenizers_{time.strftime('%H%M%S')}.json"
    with open(json_out, "w", encoding="utf-8") as f:
        json.dump({"rows": rows, "notes": notes, "projections": projections, "started": started}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
