"""What a run writes and shows: its output folder (lock, config.json, log.jsonl, checkpoint.pt) and its progress.

One run at a time uses a folder: `RunFolder.open` creates ``.lock`` (the process id and host) and
refuses a folder another live process holds; a lock left by a killed run (its process is gone) is
taken over. Temporary files of writes cut short by a kill (``.checkpoint.pt.*.tmp`` and the like)
are removed at the same moment. Only the writing process (rank 0) locks and writes.
"""
from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path

from ..files import write_text_atomic
from .components import read_checkpoint, save_checkpoint

__all__ = ["RunFolder", "RunFolderBusy", "Reporter", "format_record", "config_changes"]

CHECKPOINT_NAME = "checkpoint.pt"
LOG_NAME = "log.jsonl"
CONFIG_NAME = "config.json"
LOCK_NAME = ".lock"
OUTPUT_NAMES = (CHECKPOINT_NAME, LOG_NAME, CONFIG_NAME, "result.json", "sample.txt")


class RunFolderBusy(RuntimeError):
    """Another live run holds the output folder."""


def _pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine (assumed so where it cannot be checked)."""
    if pid <= 0:  # no process recorded (os.kill(-1, 0) would ask about every process)
        return False
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate it there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, belongs to someone else
        return True
    return True


class RunFolder:
    """The output folder of one run; `writer` is False on the processes that only read (ranks > 0)."""

    def __init__(self, path: str | os.PathLike, writer: bool = True) -> None:
        self.path = Path(path)
        self.writer = writer
        self.checkpoint = self.path / CHECKPOINT_NAME
        self.log = self.path / LOG_NAME
        self.config = self.path / CONFIG_NAME
        self.lock = self.path / LOCK_NAME
        self._locked = False

    @classmethod
    def open(cls, path: str | os.PathLike, writer: bool = True) -> "RunFolder":
        """The folder, created and locked by the writer (stale temporary files removed)."""
        folder = cls(path, writer)
        if folder.path.exists() and not folder.path.is_dir():
            raise ValueError(f"output folder {folder.path} is a file; choose a folder (--out) that is new or a run's folder")
        if writer:
            folder.path.mkdir(parents=True, exist_ok=True)
            folder._take_lock()
            folder._remove_stale_temp_files()
        return folder

    def _take_lock(self) -> None:
        me = {"pid": os.getpid(), "host": socket.gethostname()}
        for _ in range(3):
            try:
                fd = os.open(self.lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                owner = self._lock_owner()
                if owner is None and not self.lock.exists():  # released meanwhile: try again
                    continue
                if owner is not None and owner.get("host") == me["host"] and not _pid_alive(int(owner.get("pid", -1))):
                    self.lock.unlink(missing_ok=True)  # stale: its process is gone
                    continue
                who = "an unknown process" if owner is None else f"process {owner.get('pid')} on {owner.get('host')}"
                raise RunFolderBusy(f"output folder {self.path} is in use by another run ({who}); wait for it to finish or "
                                    f"choose another --out (if no run uses it, delete {self.lock})") from None
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(me, f)
            self._locked = True
            return
        raise RunFolderBusy(f"could not lock {self.path}: other runs keep taking it; choose another --out")

    def _lock_owner(self) -> dict | None:
        try:
            owner = json.loads(self.lock.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):  # being written this instant, or half written by a process killed then
            owner = None
        if not isinstance(owner, dict):
            try:
                fresh = time.time() - self.lock.stat().st_mtime < 10
            except FileNotFoundError:
                return None
            return None if fresh else {"pid": -1, "host": socket.gethostname()}
        return owner

    def _remove_stale_temp_files(self) -> None:
        """Delete temporary files (".<name>.*.tmp") that killed writes of this folder's outputs left behind."""
        for name in OUTPUT_NAMES:
            for stale in self.path.glob(f".{name}.*.tmp"):
                stale.unlink(missing_ok=True)

    def close(self) -> None:
        """Release the lock (the writer's)."""
        if self._locked:
            self.lock.unlink(missing_ok=True)
            self._locked = False

    def read_checkpoint(self, map_location) -> dict:
        """The run's checkpoint (checksum-verified)."""
        return read_checkpoint(self.checkpoint, map_location=map_location)

    def save_checkpoint(self, model, optimizer, step: int, **extra) -> None:
        """Write the checkpoint (writer only)."""
        if self.writer:
            save_checkpoint(model, optimizer, step, self.checkpoint, **extra)

    def write_config(self, config: dict) -> None:
        """config.json, the run's settings (writer only)."""
        if self.writer:
            write_text_atomic(self.config, json.dumps(config, indent=2, ensure_ascii=False) + "\n")

    def write_log(self, records: list[dict]) -> None:
        """log.jsonl rewritten to exactly `records` (writer only)."""
        if self.writer:
            write_text_atomic(self.log, "".join(json.dumps(r) + "\n" for r in records))

    def append_log(self, record: dict) -> None:
        """One more line of log.jsonl (writer only)."""
        if self.writer:
            with open(self.log, "a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")


def _flatten(config: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in config.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def config_changes(old: dict, new: dict, ignore: tuple[str, ...] = ()) -> dict[str, list]:
    """{"train.lr": [old, new], ...} for every setting that differs (missing = None), except `ignore`."""
    a, b = _flatten(old), _flatten(new)
    return {k: [a.get(k), b.get(k)] for k in sorted(set(a) | set(b)) if k not in ignore and a.get(k) != b.get(k)}


def format_record(r: dict) -> str:
    """One log record as a line of text."""
    parts = [f"step {r['step']:6d}", f"tokens {r['tokens']:>10,d}"]
    if "train_loss" in r:
        parts += [f"train {r['train_loss']:.4f}", f"lr {r['lr']:.2e}", f"{r['tokens_per_s']:,.0f} tok/s"]
    if "val_loss" in r:
        parts.append(f"val {r['val_loss']:.4f}")
    if "event" in r:
        parts.append(f"{r['event']}: {r.get('changes', '')}")
    return " | ".join(parts)


class Reporter:
    """Where records go besides the history: log.jsonl, a callback, printed lines, a progress bar (rank 0 only)."""

    def __init__(self, folder: RunFolder | None, rank: int, progress: bool, verbose: bool, log, step: int, total: int):
        self.folder = folder if rank == 0 else None
        self.callback = log if rank == 0 else None
        self.verbose = verbose and rank == 0
        self.bar = None
        if progress and rank == 0:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, initial=step, desc="training", unit="step")

    def record(self, record: dict) -> None:
        """Log one record everywhere it goes."""
        if self.folder is not None:
            self.folder.append_log(record)
        if self.callback is not None:
            self.callback(record)
        if self.verbose:
            print(format_record(record), flush=True)
        if self.bar is not None:
            self.bar.set_postfix({k: f"{record[k]:.3f}" for k in ("train_loss", "val_loss") if k in record})

    def step(self) -> None:
        """One optimizer step done."""
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        """Close the progress bar."""
        if self.bar is not None:
            self.bar.close()
