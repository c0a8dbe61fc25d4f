"""Distributed runs finish or fail fast: a process that dies ends the others, on another node, with a message."""
from __future__ import annotations

import signal
import time

import pytest

from test_train import COMMAND, _two_nodes

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")


def _children(pid: int) -> list[int]:
    """Process ids whose parent is pid (Linux /proc)."""
    from pathlib import Path

    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


@pytest.mark.skipif(not __import__("pathlib").Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_dead_rank_on_one_node_stops_the_other_node_with_a_message(tmp_path):
    assert "train.max_steps=6" in COMMAND
    node0, node1 = _two_nodes(tmp_path, ["train.max_steps=100000", "train.eval_interval=0"], "long")
    log = tmp_path / "long0" / "log.jsonl"
    deadline = time.monotonic() + 240
    while not (log.exists() and log.read_text(encoding="utf-8").count("\n") >= 2) and time.monotonic() < deadline:
        assert node0.poll() is None and node1.poll() is None, "a node stopped before training began"
        time.sleep(0.2)
    workers = _children(node1.pid)
    assert workers, "node 1's worker process"
    for pid in workers:
        __import__("os").kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    output, _ = node0.communicate(timeout=120)
    node1.communicate(timeout=120)
    assert time.monotonic() - killed < 60, "the surviving node must stop within a minute"
    assert node0.returncode != 0
    assert "error: another process of this run stopped or failed (" in output, output[-3000:]


def _heartbeat_worker(rank: int, port: int, out: str) -> None:
    """One of two gloo processes: preparation that fails, that takes too long, and a preparer that dies."""
    import json
    import os
    from datetime import timedelta

    import torch
    import torch.distributed as dist

    from lecture_utils.train.distributed import run_while_in_touch

    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2,
                            timeout=timedelta(seconds=30))
    seen = []

    def boom():
        time.sleep(0.3)
        raise ValueError("the corpus file is not UTF-8")

    def slow():
        time.sleep(3)

    def die():
        time.sleep(0.3)
        os._exit(3)

    for work, timeout in ((boom, None), (slow, 1.0), (die, None)):
        began = time.monotonic()
        try:
            run_while_in_touch(work, rank == 0, torch.device("cpu"), "preparing the corpus", timeout, poll_s=0.1)
            seen.append(["ok", ""])
        except Exception as err:  # what each process would report
            seen.append([type(err).__name__, str(err), round(time.monotonic() - began, 1)])
        with open(f"{out}.{rank}", "w", encoding="utf-8") as f:
            json.dump(seen, f)


def test_preparation_failures_reach_every_process(tmp_path):
    import json
    import multiprocessing

    from test_train import _free_port

    port = _free_port()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_heartbeat_worker, args=(rank, port, str(tmp_path / "seen"))) for rank in (0, 1)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    rank0 = json.loads((tmp_path / "seen.0").read_text(encoding="utf-8"))
    rank1 = json.loads((tmp_path / "seen.1").read_text(encoding="utf-8"))
    assert rank0[0][:2] == ["ValueError", "the corpus file is not UTF-8"]  # its own error
    assert rank1[0][:2] == ["DistributedError", "preparing the corpus failed in 1 other process(es); see their error above"]
    for seen in (rank0, rank1):  # too slow: everyone stops, together
        assert seen[1][0] == "DistributedError" and "took longer than 1 s; raise the limit (--prepare-timeout)" in seen[1][1]
    assert procs[0].exitcode == 3 and len(rank0) == 2  # the preparer died ...
    assert rank1[2][0] in ("RuntimeError", "DistBackendError") and rank1[2][2] < 30  # ... and the other noticed
    assert procs[1].exitcode == 0
