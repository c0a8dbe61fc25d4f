"""Training speed of lecture_utils.model.TransformerLM against Hugging Face `transformers`' LlamaForCausalLM.

Both models get the same configuration (d_model, layers, heads, d_ff, vocabulary, context, untied
output head, RoPE theta, no biases, RMSNorm eps) and are first checked to compute the same logits
from the same weights (our interleaved RoPE pairs become Llama's half-split pairs by permuting the
rows of W_Q and W_K). Then each runs full training steps (forward, cross-entropy, backward, gradient
clipping, AdamW) on the same batches, interleaved repeat by repeat so that a noisy, shared machine
hurts both equally. Reported: tokens/s (median over repeats, with min-max spread), the ratio ours/HF
(median over repeats of the ratio within each adjacent pair, so slow drifts in the machine's load cancel),
the same paired ratio in process CPU time (less sensitive to other processes taking the cores; with
several threads it also counts threads waiting for each other), and MFU = tokens/s x training FLOPs per token (lecture_utils.flops, standard accounting) / the matmul
peak of this machine measured in the same process: the best of many warm runs of large square float32
(or bf16) matmuls, probed before the models and again between their repeats, so a busy moment cannot
lower the peak (which would overstate MFU); the median probe is printed beside it.

    .venv/bin/pip install -r benchmarks/requirements.txt
    .venv/bin/python benchmarks/bench_model.py                       # CPU, three configs
    .venv/bin/python benchmarks/bench_model.py --device cuda --precision bf16 --batch-size 64
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lecture_utils.flops import training_flops_per_token  # noqa: E402
from lecture_utils.model import ModelConfig, TransformerLM, count_parameters, transformer_shape  # noqa: E402
from lecture_utils.train import AdamW, cross_entropy, gradient_clipping, resolve_device  # noqa: E402

CONFIGS = {
    "2M": ModelConfig(vocab_size=4096, context_length=128, d_model=128, num_layers=4, num_heads=4, d_ff=384),
    "8M": ModelConfig(vocab_size=10000, context_length=256, d_model=256, num_layers=4, num_heads=8, d_ff=704),
    "18M": ModelConfig(vocab_size=10000, context_length=256, d_model=384, num_layers=6, num_heads=6, d_ff=1024),
}


def hf_model(cfg: ModelConfig, device: torch.device):
    """LlamaForCausalLM with exactly the shape of `cfg` (fp32 weights, SDPA attention)."""
    from transformers import LlamaConfig, LlamaForCausalLM

    hc = LlamaConfig(
        vocab_size=cfg.vocab_size, hidden_size=cfg.d_model, intermediate_size=cfg.d_ff,
        num_hidden_layers=cfg.num_layers, num_attention_heads=cfg.num_heads, num_key_value_heads=cfg.num_heads,
        max_position_embeddings=cfg.context_length, rope_theta=cfg.rope_theta, rms_norm_eps=cfg.norm_eps,
        tie_word_embeddings=False, attention_bias=False, mlp_bias=False, hidden_act="silu",
        attn_implementation="sdpa",
    )
    return LlamaForCausalLM(hc).to(device)


def copy_weights_to_hf(ours: TransformerLM, hf) -> None:
    """Load our weights into the Llama model so both compute the same function."""
    cfg = ours.config
    d_k = cfg.head_dim
    # Our RoPE rotates pairs (2i, 2i+1); Llama's rotates (i, i + d_k/2): list even rows, then odd rows.
    perm = torch.cat([torch.arange(0, d_k, 2), torch.arange(1, d_k, 2)])
    rows = torch.cat([h * d_k + perm for h in range(cfg.num_heads)])
    with torch.no_grad():
        hf.model.embed_tokens.weight.copy_(ours.token_embeddings.weight)
        for mine, theirs in zip(ours.layers, hf.model.layers):
            theirs.self_attn.q_proj.weight.copy_(mine.attn.q_proj.weight[rows])
            theirs.self_attn.k_proj.weight.copy_(mine.attn.k_proj.weight[rows])
            theirs.self_attn.v_proj.weight.copy_(mine.attn.v_proj.weight)
            theirs.self_attn.o_proj.weight.copy_(mine.attn.output_proj.weight)
            theirs.mlp.gate_proj.weight.copy_(mine.ffn.w1.weight)
            theirs.mlp.up_proj.weight.copy_(mine.ffn.w3.weight)
            theirs.mlp.down_proj.weight.copy_(mine.ffn.w2.weight)
            theirs.input_layernorm.weight.copy_(mine.ln1.weight)
            theirs.post_attention_layernorm.weight.copy_(mine.ln2.weight)
        hf.model.norm.weight.copy_(ours.ln_final.weight)
        hf.lm_head.weight.copy_(ours.lm_head.weight)


def peak_sizes(device: torch.device) -> tuple[int, ...]:
    """Square matmul sizes for the peak: large enough to be compute-bound on this kind of device."""
    return (4096, 8192) if device.type == "cuda" else (2048, 3072)


def matmul_probe(device: torch.device, dtype: torch.dtype, sizes: tuple[int, ...], runs: int = 3) -> list[float]:
    """FLOP/s of `runs` timed n x n x n matmuls per size (2 n^3 FLOPs each), after one untimed warm-up each."""
    per_call = 8 if device.type == "cuda" else 1  # GPU matmuls are short: time several per measurement
    out = []
    for n in sizes:
        a = torch.randn(n, n, device=device, dtype=dtype)
        b = torch.randn(n, n, device=device, dtype=dtype)
        a @ b  # warm-up: allocator, kernel selection, caches
        for _ in range(runs):
            sync(device)
            t0 = time.perf_counter()
            for _ in range(per_call):
                a @ b
            sync(device)
            out.append(2 * n**3 * per_call / (time.perf_counter() - t0))
    return out


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@dataclass
class Runner:
    name: str
    step: callable


def make_runner(name: str, model, optimizer, loss_fn, clip, batches, device, precision: str) -> Runner:
    params = [p for p in model.parameters()]

    def step(i: int) -> None:
        x, y = batches[i % len(batches)]
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
            logits = model(x)
        if not isinstance(logits, torch.Tensor):
            logits = logits.logits  # HF returns a ModelOutput
        loss = loss_fn(logits, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        clip(params, 1.0)
        optimizer.step()

    return Runner(name, step)


def hf_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.float().flatten(0, 1), y.flatten())


def bench_config(label: str, cfg: ModelConfig, args, device: torch.device, probes: list[float]) -> list[dict]:
    """Time both models on `cfg`, interleaved; append a matmul probe to `probes` after every repeat."""
    dtype = torch.bfloat16 if args.precision == "bf16" else torch.float32
    torch.manual_seed(0)
    ours = TransformerLM.from_config(cfg, device=device)
    hf = hf_model(cfg, device)
    copy_weights_to_hf(ours, hf)
    probe = torch.randint(0, cfg.vocab_size, (2, cfg.context_length), device=device)
    with torch.no_grad():
        diff = (ours(probe) - hf(probe).logits).abs().max().item()
    tol = 1e-3 if device.type == "cpu" else 5e-2  # GPU fp32 matmuls may use TF32 paths
    if diff > tol:
        raise SystemExit(f"{label}: our logits differ from Llama's by {diff:.2e}: configurations do not match")
    if args.compile:
        ours, hf = torch.compile(ours), torch.compile(hf)
    gen = torch.Generator().manual_seed(1)
    batches = []
    for _ in range(4):
        ids = torch.randint(0, cfg.vocab_size, (args.batch_size, cfg.context_length + 1), generator=gen).to(device)
        batches.append((ids[:, :-1], ids[:, 1:]))
    kw = dict(lr=1e-3, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
    runners = [
        make_runner("ours", ours, AdamW(ours.parameters(), **kw), cross_entropy, gradient_clipping, batches, device,
                    args.precision),
        make_runner("transformers", hf, torch.optim.AdamW(hf.parameters(), **kw), hf_loss,
                    torch.nn.utils.clip_grad_norm_, batches, device, args.precision),
    ]
    for r in runners:  # warm-up: allocator, kernels, compilation
        for i in range(args.warmup):
            r.step(i)
    sync(device)
    tokens_per_step = args.batch_size * cfg.context_length
    speeds: dict[str, list[float]] = {r.name: [] for r in runners}
    cpu_speeds: dict[str, list[float]] = {r.name: [] for r in runners}  # tokens per CPU-second of this process
    for rep in range(args.repeats):
        for r in runners if rep % 2 == 0 else runners[::-1]:  # alternate the order between repeats
            sync(device)
            t0, c0 = time.perf_counter(), time.process_time()
            for i in range(args.steps):
                r.step(i)
            sync(device)
            speeds[r.name].append(tokens_per_step * args.steps / (time.perf_counter() - t0))
            cpu_speeds[r.name].append(tokens_per_step * args.steps / (time.process_time() - c0))
        probes += matmul_probe(device, dtype, peak_sizes(device)[-1:], runs=2)  # the peak, under the same load
    rows = []
    for name, values in speeds.items():
        rows.append(dict(config=label, model=name, params=count_parameters(cfg), tokens_per_s=statistics.median(values),
                         spread=(min(values), max(values)), logit_diff=diff))
    ours, theirs = (r.name for r in runners)
    rows[0]["ratio"] = statistics.median(a / b for a, b in zip(speeds[ours], speeds[theirs]))  # paired, per repeat
    rows[0]["cpu_ratio"] = statistics.median(a / b for a, b in zip(cpu_speeds[ours], cpu_speeds[theirs]))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N, mps or auto")
    parser.add_argument("--precision", default="fp32", choices=["fp32", "bf16"], help="bf16 = autocast (GPUs)")
    parser.add_argument("--configs", nargs="*", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--compile", action="store_true", help="torch.compile both models")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    if args.precision == "bf16" and device.type == "cpu":
        raise SystemExit("--precision bf16 is meant for GPUs: most CPUs emulate bf16 matmuls and run them far slower")
    dtype = torch.bfloat16 if args.precision == "bf16" else torch.float32
    probes = matmul_probe(device, dtype, peak_sizes(device), runs=3)  # warm, before any model runs
    rows = []
    for label in args.configs:
        rows += bench_config(label, CONFIGS[label], args, device, probes)
    peak = max(probes)
    for row in rows:  # MFU against the best matmul seen during the whole run
        row["mfu"] = row["tokens_per_s"] * training_flops_per_token(transformer_shape(CONFIGS[row["config"]]))["total"] / peak
    import transformers

    print(f"device {device.type} ({torch.get_num_threads()} threads), {args.precision}, torch {torch.__version__}, "
          f"transformers {transformers.__version__}, batch {args.batch_size}, {args.steps} steps x {args.repeats} repeats")
    print(f"measured {args.precision} matmul peak: {peak / 1e9:,.1f} GFLOP/s (best of {len(probes)} warm square "
          f"matmuls of sizes {', '.join(map(str, peak_sizes(device)))}; median {statistics.median(probes) / 1e9:,.1f}, "
          f"min {min(probes) / 1e9:,.1f})\n")
    print("ours / HF: median over repeats of the paired tokens/s ratio (wall clock); CPU: the same in process CPU time\n")
    print("| config | params | context | model | tokens/s (median) | min-max | ours / HF | ours / HF (CPU) | MFU |")
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|")
    for row in rows:
        cfg = CONFIGS[row["config"]]
        ratio = f"{row['ratio']:.2f}" if "ratio" in row else ""
        cpu_ratio = f"{row['cpu_ratio']:.2f}" if "cpu_ratio" in row else ""
        print(f"| {row['config']} (d={cfg.d_model}, L={cfg.num_layers}) | {row['params'] / 1e6:.1f}M | {cfg.context_length} "
              f"| {row['model']} | {row['tokens_per_s']:,.0f} | {row['spread'][0]:,.0f}-{row['spread'][1]:,.0f} "
              f"| {ratio} | {cpu_ratio} | {100 * row['mfu']:.0f}% |")


if __name__ == "__main__":
    main()
