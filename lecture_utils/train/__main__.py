"""`python -m lecture_utils.train`: tokenize a corpus (cached), train a TransformerLM, write checkpoints and a loss log.

Every mistake ends in one line naming the fix (no traceback), raised before any slow work. The config
is a preset or a JSON file; `--corpus`, `--max-steps` and `--set` change it, in that order. Runs
write to ``runs/<config name>`` unless `--out` says otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

import torch

from ..data import ENDOFTEXT
from ..data.prepare import prepare_corpus
from ..files import write_text_atomic
from ..model import count_parameters
from . import distributed
from .components import NonFiniteError
from .config import ConfigError, apply_overrides, list_presets, load_preset, parse_config, use_corpus
from .loop import TrainResult, train_model
from .outputs import CHECKPOINT_NAME, RunFolder, RunFolderBusy

PREPARE_TIMEOUT_S = 6 * 3600.0  # tokenizing the full TinyStories with the pure-Python BPE takes hours


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors raised as one-line ConfigErrors."""

    def error(self, message: str):
        raise ConfigError(f"{message} (see python -m lecture_utils.train --help)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line, checked."""
    parser = _Parser(
        prog="python -m lecture_utils.train",
        description="Tokenize a corpus with this project's BPE, train a TransformerLM, write checkpoints and a loss "
        "log. Launch with torchrun --nproc_per_node=N (and --nnodes) for data-parallel training.",
    )
    parser.add_argument("--config", default="tiny", help=f"preset name ({', '.join(list_presets())}) or a JSON file")
    parser.add_argument("--corpus", help="'embedded', 'embedded:en', 'embedded:zh', 'tinystories', "
                        "'tinystories-valid' or a text file or folder (replaces the preset's corpus)")
    parser.add_argument("--out", help="output folder (default runs/<config name>)")
    parser.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda, cuda:N or mps")
    parser.add_argument("--max-steps", type=int, help="override train.max_steps; with --resume, train a run longer "
                        "(the cosine keeps its length, the extra steps run at min_lr)")
    parser.add_argument("--set", nargs="*", default=[], metavar="SECTION.KEY=VALUE", help="override any config value")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint.pt")
    parser.add_argument("--allow-config-change", action="store_true",
                        help="with --resume: accept settings that differ from the checkpoint's (recorded in log.jsonl)")
    parser.add_argument("--cache-dir", help="where tokenized corpora are cached (default: the user cache folder)")
    parser.add_argument("--download-url", help="base URL of a TinyStories mirror (default: Hugging Face)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar; print log lines instead")
    parser.add_argument("--sample-tokens", type=int, default=64, help="tokens to sample after training (0: none)")
    parser.add_argument("--dist-timeout", type=float, default=distributed.DEFAULT_TIMEOUT_S,
                        help="seconds a process waits for the others in a collective before giving up (torchrun)")
    parser.add_argument("--prepare-timeout", type=float, default=PREPARE_TIMEOUT_S,
                        help="seconds the processes of a torchrun wait for the corpus to be tokenized")
    parser.add_argument("--list", action="store_true", help="list the presets and exit")
    args = parser.parse_args(argv)
    if args.sample_tokens < 0:
        raise ConfigError(f"--sample-tokens must be >= 0 (0: no sample), got {args.sample_tokens}")
    for name in ("dist_timeout", "prepare_timeout"):
        value = getattr(args, name)
        if not 0 < value < float("inf"):
            raise ConfigError(f"--{name.replace('_', '-')} must be a finite number of seconds > 0, got {value}")
    return args


def build_config(args: argparse.Namespace) -> tuple[dict, list[str]]:
    """The run's config: the preset, then --corpus, --max-steps and --set; returns (config, notes to print)."""
    config = load_preset(args.config)
    notes = []
    if args.corpus is not None:
        config, note = use_corpus(config, args.corpus)
        notes += [note] if note else []
    overrides = ([f"train.max_steps={args.max_steps}"] if args.max_steps is not None else []) + list(args.set)
    config = apply_overrides(config, overrides)
    parse_config(config, where=f"config {config['name']!r} with your changes")
    return config, notes


def default_out(config: dict) -> Path:
    """runs/<config name>, relative to the working folder (runs/ is ignored by git in this repository)."""
    return Path("runs") / config["name"]


def check_out(out: Path, resume: bool) -> None:
    """Refuse, before any slow work, an --out that cannot be used as asked."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file; choose a folder (new, or a run's folder with --resume)")
    has_checkpoint = (out / CHECKPOINT_NAME).exists()
    if resume and not has_checkpoint:
        raise ConfigError(f"--resume: no checkpoint in {out} to continue from; drop --resume to start a new run there")
    if not resume and has_checkpoint:
        raise ConfigError(f"{out} already holds a run (checkpoint.pt): add --resume to continue it, or choose another --out")
    if out.is_dir() and os.environ.get("RANK", "0") == "0":  # peek at the lock (train() takes it for real)
        RunFolder.open(out).close()


def main(argv: list[str] | None = None) -> TrainResult | None:
    """Run the command; user mistakes raise exceptions whose message is the one line to show."""
    args = parse_args(argv)
    if args.list:
        for name in list_presets():
            print(f"{name:16s} {load_preset(name).get('description', '')}")
        return None
    config, notes = build_config(args)
    mcfg, tcfg, data = parse_config(config)
    out = Path(args.out) if args.out else default_out(config)
    check_out(out, args.resume)
    device = distributed.start(args.device, args.dist_timeout)
    try:
        rank, world = distributed.rank_and_world()
        for note in notes if rank == 0 else []:
            print(note, flush=True)

        def prepare():
            return prepare_corpus(data.corpus, mcfg.vocab_size, val_fraction=data.val_fraction, max_chars=data.max_chars,
                                  cache_dir=args.cache_dir, base_url=args.download_url, verbose=rank == 0)

        # Each machine's first process tokenizes into its own cache; all processes keep in touch meanwhile.
        here = distributed.local_rank() == 0
        folder = distributed.run_while_in_touch(prepare, here, device, "preparing the corpus", args.prepare_timeout)
        folder = folder if here else prepare()  # the others find the finished cache
        if rank == 0:
            print(f"config {config['name']}: {count_parameters(mcfg):,} parameters, {world} process(es) on "
                  f"{device.type}, output {out}", flush=True)
        result = train_model(
            mcfg, tcfg, folder / "train.npy", folder / "val.npy", device=device, out_dir=out, resume=args.resume,
            allow_config_change=args.allow_config_change, progress=not args.no_progress, verbose=args.no_progress,
            extra_config={"data": data.to_dict(), "tokenizer": str(folder / "tokenizer.bpe")},
        )
        if rank == 0:
            finish(result, folder, out, args.sample_tokens)
        return result
    finally:
        distributed.stop()


def finish(result: TrainResult, folder: Path, out: Path, sample_tokens: int) -> None:
    """Report the run; write result.json and a short sample (not again for a run that was already finished)."""
    from ..tokenizers import BPETokenizer

    if result.steps_run == 0:
        print(f"the run in {out} is already finished ({result.steps} of {result.steps} steps, final val loss "
              f"{result.final_val_loss:.4f}); nothing to do. To train longer: --resume --max-steps N with N > "
              f"{result.steps}", flush=True)
        return
    write_text_atomic(out / "result.json", json.dumps(result.to_dict(), indent=2) + "\n")
    print(f"done: {result.steps} steps, {result.tokens_seen:,} tokens, final train loss {result.final_train_loss:.4f}, "
          f"val loss {result.final_val_loss:.4f}, {result.tokens_per_s:,.0f} tokens/s", flush=True)
    if sample_tokens > 0:
        tokenizer = BPETokenizer.load(folder / "tokenizer.bpe")
        prompt = tokenizer.encode(ENDOFTEXT)  # one special token: "start a new story"
        ids = result.model.generate(prompt, sample_tokens, temperature=0.8, top_k=50,
                                    stop_token=prompt[0], generator=torch.Generator().manual_seed(0),
                                    token_bytes=tokenizer.vocab)  # whole characters only (no stray U+FFFD)
        text = tokenizer.decode(ids)
        write_text_atomic(out / "sample.txt", text + "\n")
        print("sample:", text, flush=True)


def one_line(err: BaseException) -> str:
    """An exception's message on one line (its type name when it has none)."""
    return " ".join(line.strip() for line in str(err).splitlines() if line.strip()) or type(err).__name__


def peer_failure(err: BaseException) -> str:
    """The gist of a collective's error: gloo's "[file:line] Read error ...: Connection reset by peer. This is..."."""
    message = re.sub(r"^\[[^\]]*\]\s*", "", one_line(err))  # drop the source location
    return message.split(". ")[0]


USER_ERRORS = (ValueError, OSError, RunFolderBusy, distributed.DistributedError)


def run(argv: list[str] | None = None) -> int:
    """`main` for the command line: a mistake or failure prints "error: <one line>" and returns 1."""
    try:
        main(argv)
    except KeyboardInterrupt:
        print("interrupted; continue later with the same command and --resume", file=sys.stderr)
        return 130
    except NonFiniteError as err:
        print(f"error: {one_line(err)}", file=sys.stderr)
        return 1
    except USER_ERRORS as err:  # includes ConfigError, FileNotFoundError, ConnectionError, FileExistsError
        print(f"error: {one_line(err)}", file=sys.stderr)
        return 1
    except RuntimeError as err:
        if distributed.launched_world() == 1:
            raise  # a bug, not a user's mistake: keep the traceback
        print(f"error: another process of this run stopped or failed ({peer_failure(err)}); see its output above",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(run())
