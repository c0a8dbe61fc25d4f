"""CLI: ``python -m lecture_utils.scaling sweep|fit``; writes under ``runs/scaling/`` unless told otherwise.

    python -m lecture_utils.scaling sweep --quick            # 6 runs, about a minute
    python -m lecture_utils.scaling sweep --jobs 2           # the full grid, 10-15 minutes
    python -m lecture_utils.scaling fit                      # Approaches 2 and 3 on the committed sweep
    python -m lecture_utils.scaling sweep --write-committed  # regenerate lecture_utils/results/ (maintainers)

Every mistake ends in one line naming the fix (exit status 2), never a traceback.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

from ..files import write_text_atomic
from .sweep import (EVAL_TOKENS, FIT_JSON, FULL_GRID, QUICK_CSV, QUICK_GRID, RUNS_DIR, SWEEP_CSV, SWEEP_SEED,
                    fit_sweep, read_sweep, run_sweep, write_sweep_csv)

PROG = "python -m lecture_utils.scaling"


class UsageError(Exception):
    """A mistake on the command line; the message names the fix."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one line (no usage block) with a pointer to --help."""

    def error(self, message: str):
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _positive_int(text: str) -> int:
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The `sweep` and `fit` subcommands and their options."""
    parser = _Parser(prog=PROG, description="Run the CPU scaling sweep and fit Chinchilla's Approaches 2 and 3.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="{sweep,fit}")
    sw = sub.add_parser("sweep", help="train the grid of tiny models and write the CSV")
    sw.add_argument("--quick", action="store_true", help="the reduced grid (2 budgets x 3 sizes, about a minute)")
    sw.add_argument("--out", type=Path, default=None,
                    help=f"CSV path (default: {RUNS_DIR}/scaling_sweep[_quick].csv)")
    sw.add_argument("--seed", type=_int, default=SWEEP_SEED)
    sw.add_argument("--jobs", type=_positive_int, default=1,
                    help="worker processes, at least 1 (one thread each); results do not depend on it")
    sw.add_argument("--write-committed", action="store_true",
                    help="overwrite the committed CSV in lecture_utils/results/ (maintainers)")
    ft = sub.add_parser("fit", help="fit Approaches 2 and 3 (with bootstrap intervals) to a sweep CSV")
    ft.add_argument("--csv", type=Path, default=None, help=f"sweep CSV (default: the committed {SWEEP_CSV.name})")
    ft.add_argument("--out", type=Path, default=None, help=f"JSON path (default: {RUNS_DIR}/{FIT_JSON.name})")
    ft.add_argument("--n-boot2", type=_positive_int, default=1000, help="bootstrap resamples for Approach 2")
    ft.add_argument("--n-boot3", type=_positive_int, default=100, help="bootstrap resamples for Approach 3 (slow)")
    ft.add_argument("--write-committed", action="store_true",
                    help=f"overwrite the committed {FIT_JSON.name} in lecture_utils/results/ (maintainers)")
    return parser


def _output(args, suffix: str, default: Path, committed: Path) -> Path:
    """Where to write: --out, the committed file (--write-committed), or the default under runs/."""
    if args.write_committed and args.out is not None:
        raise UsageError("--out and --write-committed contradict each other; give one of them")
    out = committed if args.write_committed else (args.out or default)
    if out.is_dir():
        raise UsageError(f"--out {out} is a folder; give a file path ending in {suffix}, e.g. {out / default.name}")
    if out.suffix != suffix:
        raise UsageError(f"--out {out} should end in {suffix}")
    if out.parent.exists() and not out.parent.is_dir():
        raise UsageError(f"cannot write {out}: {out.parent} is a file, not a folder; choose another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    return out


def _fit(args) -> None:
    import torch

    csv_path = args.csv or SWEEP_CSV
    out = _output(args, ".json", RUNS_DIR / FIT_JSON.name, FIT_JSON)
    torch.set_num_threads(1)
    result = fit_sweep(read_sweep(csv_path), n_boot2=args.n_boot2, n_boot3=args.n_boot3)
    boots = "" if (args.n_boot2, args.n_boot3) == (1000, 100) else f" --n-boot2 {args.n_boot2} --n-boot3 {args.n_boot3}"
    result["command"] = (f"{PROG} fit" + (f" --csv {csv_path}" if args.csv else "") + boots
                         + (" --write-committed" if args.write_committed else ""))
    write_text_atomic(out, json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"wrote {out}")


def _sweep(args) -> None:
    import torch

    grid = QUICK_GRID if args.quick else FULL_GRID
    default = RUNS_DIR / (QUICK_CSV.name if args.quick else SWEEP_CSV.name)
    out = _output(args, ".csv", default, QUICK_CSV if args.quick else SWEEP_CSV)
    start = time.perf_counter()
    rows = run_sweep(grid, seed=args.seed, jobs=args.jobs, progress=True)
    wall = time.perf_counter() - start
    command = (f"{PROG} sweep" + (" --quick" if args.quick else "") + f" --seed {args.seed}"
               + (" --write-committed" if args.write_committed else ""))
    meta = {
        "command": command, "seed": args.seed,
        "grid": {f"{c:.3g}": [list(s) for s in v] for c, v in sorted(grid.items())},
        "jobs": args.jobs, "threads_per_run": 1, "wall_seconds": round(wall, 1), "torch": torch.__version__,
        "python": platform.python_version(), "machine": platform.machine(),
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "notes": "byte-level tokens of the embedded English+Chinese corpus; eval_loss in nats/byte on "
                 f"{EVAL_TOKENS} fixed validation tokens; C = 6·N·D with N = all parameters",
    }
    write_sweep_csv(rows, out, meta)
    print(f"wrote {len(rows)} runs to {out} in {wall:.0f} s")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status (0 ok, 2 a mistake explained in one line, 130 interrupted)."""
    try:
        args = build_parser().parse_args(argv)
        (_fit if args.command == "fit" else _sweep)(args)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; files already written are complete, the one in progress was not written",
              file=sys.stderr)
        return 130
    except (UsageError, ValueError, OSError) as exc:  # OSError: a file that is missing, unreadable or unwritable
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
