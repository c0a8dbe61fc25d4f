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
