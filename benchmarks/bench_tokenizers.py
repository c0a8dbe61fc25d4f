"""Benchmark: our pure-Python BPE against the Rust peers, on the same text, in one run.

1. Training, vocab 10,000, special token <|endoftext|>, on 10 MB and 50 MB of Python standard-library
   source: ours (`train_bpe`) against Hugging Face `tokenizers` (BpeTrainer, ByteLevel pre-tokenizer
   with GPT-2's regex, the same special token, every byte in the initial alphabet, no minimum
   frequency). Both read the same UTF-8 file. Each training run happens in a fresh subprocess; wall time
   is measured around the training call inside it; peak memory is the largest total PSS (proportional
   set size: shared pages split between the processes that share them) of that subprocess *and all its
   descendants*, sampled every 10 ms from /proc. HF uses threads and we use worker processes, so a
   per-process number (ru_maxrss) would flatter us; summing PSS counts every worker's memory once.
   Both use all CPUs this machine gives them (HF: rayon threads; ours: `num_processes=None`).
2. Encoding 10 MB with our `BPETokenizer.from_tiktoken(gpt2)` and tiktoken's gpt2, single thread, same
   process: MB/s (UTF-8 MB = 1e6 bytes) on the cold path (our piece cache emptied first: the fair
   number) and warm (cache filled by the previous run), and a check that the ids are identical.

Every measurement is repeated `--repeat` times, interleaving ours and the peer; the table shows the
median and, in brackets, the min-max spread. Ratios are ours / peer (time and memory: lower is better
for us; throughput: higher is better).

Caveats printed with the table: the 50 MB text is the standard library *with its tests*, repeated to
reach 50 MB (3.11's has about 31.5 MB), so it holds no more distinct words than one copy; HF's trainer
reads a file line by line, so runs of whitespace that span lines are split there; pre-tokens are not
identical, vocabularies are similar, not equal (the overlap is printed).

Run:  .venv/bin/python benchmarks/bench_tokenizers.py [--sizes 10 50] [--repeat 3]
Needs the peers: .venv/bin/pip install -r benchmarks/requirements.txt
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

SPECIAL = "<|endoftext|>"

OURS_TRAIN = """
import json, sys, time
from pathlib import Path
from lecture_utils.tokenizers import train_bpe
path, vocab_size, out = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
start = time.perf_counter()
vocab, merges = train_bpe(path, vocab_size, [{special!r}])
seconds = time.perf_counter() - start
with open(out, "w", encoding="utf-8") as f:
    json.dump({{"seconds": seconds, "tokens": [vocab[i].hex() for i in sorted(vocab)]}}, f)
""".format(special=SPECIAL)

HF_TRAIN = """
import json, sys, time
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
path, vocab_size, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
tok = Tokenizer(models.BPE())
# ByteLevel with use_regex=True splits with GPT-2's pattern, then maps bytes to printable characters.
tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[{special!r}], min_frequency=0,
                              initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
start = time.perf_counter()
tok.train([path], trainer)
seconds = time.perf_counter() - start
with open(out, "w", encoding="utf-8") as f:
    json.dump({{"seconds": seconds, "vocab": list(tok.get_vocab())}}, f)
""".format(special=SPECIAL)


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


def run_measured(code: str, args: list[str]) -> tuple[float, float, dict]:
    """Run `python -c code args` in a fresh process; (seconds it reports, peak tree PSS in MB, its JSON)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        proc = subprocess.Popen([sys.executable, "-c", code, *args, str(out)])
        peak = 0
        stop = threading.Event()

        def sample():
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, _tree_pss_kib(proc.pid))
                time.sleep(0.01)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        returncode = proc.wait()
        stop.set()
        sampler.join()
        if returncode != 0:
            raise RuntimeError(f"benchmark subprocess failed with exit code {returncode}")
        result = json.loads(out.read_text(encoding="utf-8"))
    return result["seconds"], peak / 1024, result


# ---------------------------------------------------------------------------------------------
# The measurements
# ---------------------------------------------------------------------------------------------

def _hf_token_bytes(vocab: list[str]) -> set[bytes]:
    from lecture_utils.tokenizers.bpe import gpt2_bytes_to_unicode

    byte_of = {ch: b for b, ch in gpt2_bytes_to_unicode().items()}
    return {bytes(byte_of[c] for c in t) for t in vocab if t != SPECIAL}


def bench_training(text_path: Path, vocab_size: int, repeat: int) -> dict:
    ours_t, ours_m, hf_t, hf_m = [], [], [], []
    overlap = None
    for _ in range(repeat):
        seconds, mem, ours = run_measured(OURS_TRAIN, [str(text_path), str(vocab_size)])
        ours_t.append(seconds)
        ours_m.append(mem)
        seconds, mem, hf = run_measured(HF_TRAIN, [str(text_path), str(vocab_size)])
        hf_t.append(seconds)
        hf_m.append(mem)
        ours_tokens = {bytes.fromhex(t) for t in ours["tokens"]} - {SPECIAL.encode()}
        overlap = len(ours_tokens & _hf_token_bytes(hf["vocab"])) / len(ours_tokens)
    return {"ours_s": ours_t, "hf_s": hf_t, "ours_mb": ours_m, "hf_mb": hf_m, "overlap": overlap}


def bench_encoding(text: str, repeat: int) -> dict:
    from lecture_utils.encodings import get_encoding
    from lecture_utils.tokenizers import BPETokenizer

    enc = get_encoding("gpt2")
    tok = BPETokenizer.from_tiktoken(enc)
    megabytes = len(text.encode("utf-8")) / 1e6
    cold, warm, peer = [], [], []
    identical = True
    for _ in range(repeat):
        tok._cache.clear()  # cold: every distinct pre-token is BPE'd once, as for a new text
        start = time.perf_counter()
        ours = tok.encode(text)
        cold.append(megabytes / (time.perf_counter() - start))
        start = time.perf_counter()
        tok.encode(text)
        warm.append(megabytes / (time.perf_counter() - start))
        start = time.perf_counter()
        theirs = enc.encode(text, allowed_special="all")  # tiktoken's single-threaded encode
        peer.append(megabytes / (time.perf_counter() - start))
        identical = identical and ours == theirs
        del ours, theirs
    return {"cold": cold, "warm": warm, "tiktoken": peer, "identical": identical, "tokens": len(tok.encode(text))}


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------

def _fmt(values: list[float], unit: str, digits: int = 1) -> str:
    med = statistics.median(values)
    if len(values) == 1:
        return f"{med:.{digits}f} {unit}"
    return f"{med:.{digits}f} {unit} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def _ratio(ours: list[float], peer: list[float]) -> str:
    ratios = [a / b for a, b in zip(ours, peer)]
    med = statistics.median(ratios)
    return f"{med:.2f}" if len(ratios) == 1 else f"{med:.2f} ({min(ratios):.2f}-{max(ratios):.2f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50], help="training text sizes in MB")
    parser.add_argument("--encode-mb", type=int, default=10, help="encoding text size in MB")
    parser.add_argument("--vocab-size", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    try:
        import tokenizers  # noqa: F401
    except ImportError:
        print("Hugging Face `tokenizers` is missing: .venv/bin/pip install -r benchmarks/requirements.txt")
        return 1
    from lecture_utils.data import stdlib_source

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    rows = []
    notes = []
    with tempfile.TemporaryDirectory() as tmp:
        for mb in args.sizes:
            text = stdlib_source(mb * 1_000_000, include_tests=mb > 13, repeat=True)
            path = Path(tmp) / f"stdlib_{mb}mb.txt"
            path.write_text(text, encoding="utf-8", newline="")
            del text
            print(f"training on {mb} MB ...", file=sys.stderr, flush=True)
            r = bench_training(path, args.vocab_size, args.repeat)
            rows.append((f"train {mb} MB, vocab {args.vocab_size:,}: wall time", _fmt(r["ours_s"], "s"),
                         _fmt(r["hf_s"], "s"), _ratio(r["ours_s"], r["hf_s"]), "≤ 1.0"))
            rows.append((f"train {mb} MB: peak memory (PSS, all processes)", _fmt(r["ours_mb"], "MB", 0),
                         _fmt(r["hf_mb"], "MB", 0), _ratio(r["ours_mb"], r["hf_mb"]), "≤ 2.0"))
            notes.append(f"{mb} MB: {100 * r['overlap']:.1f}% of our learned vocabulary is also in HF's")
        text = stdlib_source(args.encode_mb * 1_000_000)
        print(f"encoding {args.encode_mb} MB ...", file=sys.stderr, flush=True)
        e = bench_encoding(text, args.repeat)
    rows.append((f"encode {args.encode_mb} MB with gpt2, cold cache: throughput", _fmt(e["cold"], "MB/s", 2),
                 _fmt(e["tiktoken"], "MB/s", 2), _ratio(e["cold"], e["tiktoken"]), "≥ 0.5"))
    rows.append((f"encode {args.encode_mb} MB with gpt2, warm cache: throughput", _fmt(e["warm"], "MB/s", 2),
                 _fmt(e["tiktoken"], "MB/s", 2), _ratio(e["warm"], e["tiktoken"]), "–"))

    print(f"\nBPE benchmark: {cpus} CPU(s), Python {sys.version.split()[0]}, {args.repeat} run(s) each,"
          " median (min-max)\n")
    print("| measurement | ours (pure Python) | peer (HF tokenizers / tiktoken) | ratio ours/peer | target |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    print(f"- encoding: ids identical to tiktoken's on all {e['tokens']:,} tokens: {e['identical']}")
    for note in notes:
        print(f"- training vocabularies: {note}")
    print("- 50 MB text = stdlib source with its tests, repeated to reach the size (same distinct words as one"
          " copy); HF reads files line by line, so its pre-tokens differ slightly at line ends")
    return 0 if e["identical"] else 2


if __name__ == "__main__":
    sys.exit(main())
