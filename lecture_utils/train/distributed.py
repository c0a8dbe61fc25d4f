"""Processes and devices: which device a process trains on, and the process group of a torchrun launch.

`torchrun --nproc_per_node=N [--nnodes=M --node_rank=K ...] -m lecture_utils.train` starts one process
per device and sets RANK, LOCAL_RANK and WORLD_SIZE. `start` joins the process group (gloo on CPU,
nccl on CUDA) with a timeout: a collective that waits longer, or a peer that dies, ends every process
with an error instead of a hang. `run_while_in_touch` runs slow one-off work (tokenizing the corpus)
on some processes while all of them keep exchanging a heartbeat, so a failure anywhere stops all.
"""
from __future__ import annotations

import os
import threading
import time
from datetime import timedelta

import torch
import torch.distributed as dist

__all__ = ["resolve_device", "rank_and_world", "local_rank", "start", "stop", "all_mean", "run_while_in_touch",
           "DistributedError"]

DEFAULT_TIMEOUT_S = 50.0  # a dead or stuck process ends the others within a minute


class DistributedError(RuntimeError):
    """Another process of the run failed or stopped answering."""


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """'auto'/None -> cuda if available, else mps, else cpu; otherwise check the named device exists."""
    if device is None or device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"unknown device {device!r}; use 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {device!r} requested but CUDA is not available here; use 'cpu' or 'auto'")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"device {device!r} does not exist: {torch.cuda.device_count()} CUDA device(s) found")
    elif dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError("device 'mps' requested but Apple's MPS backend is not available here; use 'auto'")
    elif dev.type != "cpu":
        raise ValueError(f"unsupported device {device!r}; use 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'")
    return dev


def rank_and_world() -> tuple[int, int]:
    """(rank, world size) of the joined process group; (0, 1) outside one."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def local_rank() -> int:
    """This process's index on its own machine (torchrun's LOCAL_RANK; 0 without torchrun)."""
    return int(os.environ.get("LOCAL_RANK", "0"))


def launched_world() -> int:
    """How many processes torchrun started (WORLD_SIZE; 1 without torchrun)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def start(device: str | torch.device | None, timeout_s: float = DEFAULT_TIMEOUT_S) -> torch.device:
    """This process's device; under torchrun also join the process group (collectives time out after timeout_s)."""
    dev = resolve_device(device)
    if launched_world() == 1:
        return dev
    if dev.type == "mps":
        raise ValueError("multi-process training needs cpu (gloo) or cuda (nccl) devices, not mps")
    if dev.type == "cuda":
        dev = torch.device("cuda", local_rank())
        torch.cuda.set_device(dev)
    dist.init_process_group(backend="nccl" if dev.type == "cuda" else "gloo", timeout=timedelta(seconds=timeout_s))
    return dev


def stop() -> None:
    """Leave the process group, if joined."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def all_mean(value: torch.Tensor) -> torch.Tensor:
    """The mean of a tensor over all processes (the tensor itself in a single process)."""
    _, world = rank_and_world()
    if world == 1:
        return value
    total = value.clone()
    dist.all_reduce(total)
    return total / world


def run_while_in_touch(work, here: bool, device: torch.device, what: str, timeout_s: float | None = None,
                       poll_s: float = 0.5):
    """Run `work()` where `here` is true (in a thread), while every process exchanges a heartbeat each poll_s.

    Returns work's result (None where `here` is false). If the work fails on any process, or takes
    longer than timeout_s, every process raises; a process that dies breaks the heartbeat of the others.
    """
    _, world = rank_and_world()
    if world == 1:
        return work() if here else None
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["result"] = work()
        except BaseException as err:  # reported to every process through the heartbeat
            outcome["error"] = err

    thread = threading.Thread(target=target, name=what, daemon=True)
    if here:
        thread.start()
    began = time.monotonic()
    while True:
        late = timeout_s is not None and time.monotonic() - began > timeout_s
        flags = torch.tensor([thread.is_alive(), "error" in outcome, late], dtype=torch.float32, device=device)
        dist.all_reduce(flags)  # (busy, failed, late) summed over processes
        busy, failed, late = (int(v) for v in flags.tolist())
        if "error" in outcome:
            raise outcome["error"]
        if failed:
            raise DistributedError(f"{what} failed in {failed} other process(es); see their error above")
        if late:
            raise DistributedError(f"{what} took longer than {timeout_s:.0f} s; raise the limit (--prepare-timeout) "
                                   "or prepare the corpus once beforehand (python -m lecture_utils.train ... on one process)")
        if not busy:
            return outcome.get("result")
        time.sleep(poll_s)
