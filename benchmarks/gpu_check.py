"""GPU readiness check for a maintainer with one NVIDIA GPU: five checks in under five minutes.

    .venv/bin/python benchmarks/gpu_check.py              # all checks; exit status 1 if any fails
    .venv/bin/python benchmarks/gpu_check.py --only step compile --steps 20

Checks, in order (each prints one PASS/FAIL line; tokens/s and MFU where they mean something):

1. ``step``: training steps of the tinystories-17m model shape in bf16 autocast (our AdamW, cross-entropy,
   gradient clipping); the loss must be finite and fall on a repeated batch.
2. ``compile``: the same under ``torch.compile``; its first loss must match eager's (bf16 tolerance).
3. ``bench``: ``benchmarks/bench_model.py --device cuda --precision bf16`` (ours vs transformers' Llama;
   needs ``pip install -r benchmarks/requirements.txt``; skipped with a note when transformers is missing).
4. ``preset``: ``python -m lecture_utils.train --config tinystories-17m`` for a few hundred steps on the
   embedded corpus (no download), in a temporary folder; the validation loss must be finite and below ln V.
5. ``ddp``: ``torchrun --nproc_per_node=1`` of the tiny preset on cuda, i.e. one nccl process group.

MFU = tokens/s x training FLOPs per token (`lecture_utils.flops`, standard accounting) / the GPU's
datasheet dense bf16 Tensor Core peak, looked up by device name in `DATASHEET_BF16_TFLOPS` (NVIDIA
datasheets print the 2:4-sparse figure; dense is half of it). Unknown GPUs get no MFU, not a guess.
Without CUDA the script says so and exits 0, so it can sit in any test run.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CHECKS = ("step", "compile", "bench", "preset", "ddp")

# Dense bf16 Tensor Core peak (TFLOP/s) by device-name pattern, most specific first. NVIDIA's datasheets
# list bf16 "with sparsity"; the dense figure used for MFU is half of it.
DATASHEET_BF16_TFLOPS: tuple[tuple[str, float, str], ...] = (
    (r"GH200", 989.0, "NVIDIA GH200 Grace Hopper Superchip datasheet: BF16 1,979 TFLOPS with sparsity (H100 compute)"),
    (r"H200 NVL", 835.5, "NVIDIA H200 datasheet (nvidia.com/en-us/data-center/h200): H200 NVL BF16 1,671 TFLOPS with sparsity"),
    (r"H200", 989.5, "NVIDIA H200 datasheet (nvidia.com/en-us/data-center/h200): H200 SXM BF16 1,979 TFLOPS with sparsity"),
    (r"H100 NVL", 835.5, "NVIDIA H100 datasheet (nvidia.com/en-us/data-center/h100): H100 NVL BF16 1,671 TFLOPS with sparsity"),
    (r"H100 PCIe", 756.5, "NVIDIA H100 datasheet (nvidia.com/en-us/data-center/h100): H100 PCIe BF16 1,513 TFLOPS with sparsity"),
    (r"H100", 989.5, "NVIDIA H100 datasheet (nvidia.com/en-us/data-center/h100): H100 SXM BF16 1,979 TFLOPS with sparsity"),
    (r"A100", 312.0, "NVIDIA A100 datasheet (nvidia.com/en-us/data-center/a100): BF16 Tensor Core 312 TFLOPS (624 with sparsity)"),
    (r"L40S", 362.05, "NVIDIA L40S datasheet (nvidia.com/en-us/data-center/l40s): BF16 Tensor Core 362.05 TFLOPS (733 with sparsity)"),
    (r"\bL4\b", 121.0, "NVIDIA L4 datasheet (nvidia.com/en-us/data-center/l4): BF16 Tensor Core 242 TFLOPS with sparsity"),
    (r"\bA10\b", 125.0, "NVIDIA A10 datasheet (nvidia.com/en-us/data-center/products/a10-gpu): BF16 Tensor Core 125 TFLOPS (250 with sparsity)"),
)


def datasheet_peak(device_name: str) -> tuple[float, str] | None:
    """(dense bf16 FLOP/s, source) for a CUDA device name such as "NVIDIA H100 80GB HBM3"; None if unknown."""
    for pattern, tflops, source in DATASHEET_BF16_TFLOPS:
        if re.search(pattern, device_name):
            return tflops * 1e12, source
    return None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Options: which checks, how many steps; mistakes end in argparse's one-line error."""
    parser = argparse.ArgumentParser(prog="benchmarks/gpu_check.py", description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=CHECKS, default=list(CHECKS), help="run only these checks")
    parser.add_argument("--steps", type=int, default=30, help="timed training steps in the step/compile checks")
    parser.add_argument("--preset-steps", type=int, default=300, help="steps of the tinystories-17m preset run")
    parser.add_argument("--batch-size", type=int, default=64, help="batch size of the step/compile checks")
    parser.add_argument("--device", default="cuda", help="cuda or cuda:N")
    args = parser.parse_args(argv)
    for name in ("steps", "preset_steps", "batch_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    if not re.fullmatch(r"cuda(:\d+)?", args.device):
        parser.error(f"--device must be cuda or cuda:N, got {args.device!r}")
    return args


@dataclass
class Outcome:
    """One check's verdict and its numbers."""

    name: str
    ok: bool
    detail: str
    tokens_per_s: float | None = None
    mfu: float | None = None


def _mfu(tokens_per_s: float, flops_per_token: float, peak: float | None) -> float | None:
    return tokens_per_s * flops_per_token / peak if peak else None


def preset_model(name: str = "tinystories-17m"):
    """The ModelConfig of a preset (its shape only; no corpus involved)."""
    from lecture_utils.model import ModelConfig
    from lecture_utils.train import load_preset

    return ModelConfig.from_dict(load_preset(name)["model"])


def _train_steps(model, batch, steps: int, device) -> tuple[list[float], float]:
    """Run bf16-autocast training steps on one repeated batch; return (losses, seconds of the last `steps`)."""
    import torch

    from lecture_utils.train import AdamW, cross_entropy, gradient_clipping

    x, y = batch
    opt = AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1)
    params = [p for p in model.parameters()]
    losses = []

    def step():
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits = model(x)  # (B, T, V)
        loss = cross_entropy(logits.float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gradient_clipping(params, 1.0)
        opt.step()
        losses.append(float(loss))  # a sync per step: fine for a check

    for _ in range(3):  # warm-up (and compilation)
        step()
    torch.cuda.synchronize(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    torch.cuda.synchronize(device)
    return losses, time.perf_counter() - t0


def check_step(args, device, peak, compiled: bool = False) -> Outcome:
    """Checks 1 and 2: eager (or compiled) bf16 training steps of the tinystories-17m shape."""
    import torch

    from lecture_utils.flops import training_flops_per_token
    from lecture_utils.model import TransformerLM, transformer_shape

    cfg = preset_model()
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(0, cfg.vocab_size, (args.batch_size, cfg.context_length + 1), generator=gen).to(device)
    batch = (ids[:, :-1], ids[:, 1:])
    model = TransformerLM.from_config(cfg, device=device)
    eager_first = None
    if compiled:
        reference = TransformerLM.from_config(cfg, device=device)
        reference.load_state_dict(model.state_dict())
        with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16):
            eager_first = float(torch.nn.functional.cross_entropy(reference(batch[0]).float().flatten(0, 1),
                                                                  batch[1].flatten()))
        del reference
        model = torch.compile(model)
    losses, seconds = _train_steps(model, batch, args.steps, device)
    tokens_per_s = args.steps * args.batch_size * cfg.context_length / seconds
    mfu = _mfu(tokens_per_s, training_flops_per_token(transformer_shape(cfg))["total"], peak)
    name = "compile" if compiled else "step"
    if not all(math.isfinite(v) for v in losses):
        return Outcome(name, False, f"non-finite loss in {losses}")
    if not losses[-1] < losses[0]:
        return Outcome(name, False, f"loss did not fall on a repeated batch: {losses[0]:.3f} -> {losses[-1]:.3f}")
    if compiled and abs(losses[0] - eager_first) > 0.05:
        return Outcome(name, False, f"compiled first loss {losses[0]:.4f} differs from eager {eager_first:.4f}")
    return Outcome(name, True, f"loss {losses[0]:.3f} -> {losses[-1]:.3f} over {len(losses)} steps", tokens_per_s, mfu)


def _run(cmd: list[str], timeout: float, env: dict | None = None) -> subprocess.CompletedProcess:
    print("   $", " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout,
                          env=None if env is None else {**os.environ, **env})


def _tail(result: subprocess.CompletedProcess, lines: int = 6) -> str:
    text = (result.stderr or "") + (result.stdout or "")
    return " | ".join(line for line in text.strip().splitlines()[-lines:])


def check_bench(args) -> Outcome:
    """Check 3: bench_model.py on cuda in bf16 (its own logit check and ours/HF table)."""
    try:
        import transformers  # noqa: F401
    except ImportError:
        return Outcome("bench", True, "skipped: transformers is not installed (pip install -r benchmarks/requirements.txt)")
    result = _run([sys.executable, str(REPO / "benchmarks" / "bench_model.py"), "--device", args.device,
                   "--precision", "bf16", "--batch-size", "64", "--steps", "5", "--repeats", "3"], timeout=240)
    if result.returncode:
        return Outcome("bench", False, f"exit {result.returncode}: {_tail(result)}")
    table = [line for line in result.stdout.splitlines() if line.startswith("|") or "peak" in line]
    print("\n".join("   " + line for line in table))
    return Outcome("bench", True, "bench_model.py finished (table above)")


def _log_records(out: Path) -> list[dict]:
    path = out / "log.jsonl"
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _train_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "lecture_utils.train", *args]


def preset_argv(args, out: Path) -> list[str]:
    """`python -m lecture_utils.train` arguments of the preset check: tinystories-17m on the embedded corpus."""
    return ["--config", "tinystories-17m", "--device", args.device, "--max-steps", str(args.preset_steps),
            "--out", str(out), "--set", "data.corpus=embedded", "train.eval_tokens=16384",
            f"train.eval_interval={max(1, args.preset_steps // 3)}", "train.log_interval=25", "train.warmup_steps=30"]


def ddp_argv(out: Path) -> list[str]:
    """`python -m lecture_utils.train` arguments of the ddp check (torchrun gives the process cuda:0)."""
    return ["--config", "tiny", "--device", "cuda", "--max-steps", "40", "--out", str(out)]


def check_preset(args, workdir: Path, peak) -> Outcome:
    """Check 4: the tinystories-17m preset for a few hundred steps on the embedded corpus."""
    from lecture_utils.flops import training_flops_per_token
    from lecture_utils.model import transformer_shape

    out = workdir / "tinystories-17m"
    result = _run(_train_command(*preset_argv(args, out)), timeout=420)
    records = _log_records(out)
    if result.returncode:
        return Outcome("preset", False, f"exit {result.returncode}: {_tail(result)}")
    speeds = [r["tokens_per_s"] for r in records if "tokens_per_s" in r][1:]  # the first interval includes warm-up
    vals = [r["val_loss"] for r in records if "val_loss" in r]
    if not vals or not all(math.isfinite(v) for v in vals) or not vals[-1] < math.log(10000):
        return Outcome("preset", False, f"validation losses {vals} (want finite and below ln 10000 = 9.21)")
    tokens_per_s = statistics.median(speeds) if speeds else None
    mfu = _mfu(tokens_per_s, training_flops_per_token(transformer_shape(preset_model()))["total"], peak) \
        if tokens_per_s else None
    return Outcome("preset", True, f"val loss {vals[0]:.3f} -> {vals[-1]:.3f}", tokens_per_s, mfu)


def check_ddp(args, workdir: Path) -> Outcome:
    """Check 5: a one-process torchrun on cuda (nccl process group) of the tiny preset."""
    out = workdir / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=1",
           "-m", "lecture_utils.train", *ddp_argv(out)]
    index = args.device.partition(":")[2]  # torchrun gives its one process cuda:0: show it the chosen GPU as 0
    result = _run(cmd, timeout=240, env={"CUDA_VISIBLE_DEVICES": index} if index else None)
    if result.returncode:
        return Outcome("ddp", False, f"exit {result.returncode}: {_tail(result)}")
    losses = [r["train_loss"] for r in _log_records(out) if "train_loss" in r]
    if not losses or not all(math.isfinite(v) for v in losses):
        return Outcome("ddp", False, f"train losses {losses} in {out / 'log.jsonl'}")
    return Outcome("ddp", True, f"nccl, 1 process: train loss {losses[0]:.3f} -> {losses[-1]:.3f}")


def main(argv: list[str] | None = None) -> int:
    """Run the chosen checks; 0 when all pass (or without CUDA), 1 when any fails."""
    args = parse_args(argv)
    import torch

    if not torch.cuda.is_available():
        print("gpu_check: no CUDA device here (torch.cuda.is_available() is False); nothing to check, exiting 0")
        return 0
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device)
    found = datasheet_peak(name)
    peak = found[0] if found else None
    print(f"gpu_check: {name}, torch {torch.__version__}, CUDA {torch.version.cuda}")
    print(f"  datasheet dense bf16 peak: {peak / 1e12:,.1f} TFLOP/s ({found[1]})" if found else
          "  datasheet bf16 peak: unknown for this device name; MFU is not reported (add it to DATASHEET_BF16_TFLOPS)")
    start = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="gpu_check_"))
    outcomes = []
    try:
        for check in args.only:
            print(f"-- {check}", flush=True)
            t0 = time.perf_counter()
            try:
                if check in ("step", "compile"):
                    outcome = check_step(args, device, peak, compiled=check == "compile")
                elif check == "bench":
                    outcome = check_bench(args)
                elif check == "preset":
                    outcome = check_preset(args, workdir, peak)
                else:
                    outcome = check_ddp(args, workdir)
            except subprocess.TimeoutExpired as exc:
                outcome = Outcome(check, False, f"timed out after {exc.timeout:.0f} s")
            except Exception as exc:  # a check that crashes is a failed check, reported on one line
                outcome = Outcome(check, False, f"{type(exc).__name__}: {exc}")
            outcomes.append(outcome)
            numbers = ""
            if outcome.tokens_per_s:
                numbers = f"; {outcome.tokens_per_s:,.0f} tokens/s"
                numbers += f", MFU {100 * outcome.mfu:.1f}% of the datasheet peak" if outcome.mfu is not None else ""
            print(f"   {'PASS' if outcome.ok else 'FAIL'} {check} ({time.perf_counter() - t0:.0f} s): "
                  f"{outcome.detail}{numbers}", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    failed = [o.name for o in outcomes if not o.ok]
    print(f"gpu_check: {len(outcomes) - len(failed)}/{len(outcomes)} checks passed in {time.perf_counter() - start:.0f} s"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
