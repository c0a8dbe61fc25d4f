"""benchmarks/gpu_check.py on a CPU machine: it skips cleanly, checks its arguments, and its commands are valid."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_check.py"
spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
gpu_check = importlib.util.module_from_spec(spec)
sys.modules["gpu_check"] = gpu_check  # dataclasses look their module up while the script loads
spec.loader.exec_module(gpu_check)


def test_without_cuda_it_says_so_and_exits_zero(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert gpu_check.main([]) == 0
    assert "no CUDA device" in capsys.readouterr().out


def test_the_script_itself_skips_without_cuda():
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}  # hides any GPU, so this stays a skip test everywhere
    result = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "no CUDA device" in result.stdout and "Traceback" not in result.stderr


@pytest.mark.parametrize("argv, message", [
    (["--only", "everything"], "invalid choice"),
    (["--steps", "0"], "--steps must be at least 1"),
    (["--preset-steps", "-5"], "--preset-steps must be at least 1"),
    (["--device", "cpu"], "cuda or cuda:N"),
    (["--batch-size", "many"], "invalid int value"),
])
def test_bad_arguments_are_one_usage_error(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        gpu_check.parse_args(argv)
    assert exc.value.code == 2 and message in capsys.readouterr().err


def test_arguments_and_defaults():
    args = gpu_check.parse_args(["--only", "step", "ddp", "--device", "cuda:1"])
    assert args.only == ["step", "ddp"] and args.device == "cuda:1" and args.preset_steps == 300
    assert gpu_check.parse_args([]).only == list(gpu_check.CHECKS)


@pytest.mark.parametrize("name, tflops", [
    ("NVIDIA H100 80GB HBM3", 989.5), ("NVIDIA H100 PCIe", 756.5), ("NVIDIA H100 NVL", 835.5),
    ("NVIDIA H200", 989.5), ("NVIDIA H200 NVL", 835.5), ("NVIDIA GH200 480GB", 989.0),
    ("NVIDIA A100-SXM4-80GB", 312.0), ("NVIDIA A100 80GB PCIe", 312.0), ("NVIDIA L40S", 362.05),
    ("NVIDIA L4", 121.0), ("NVIDIA A10", 125.0), ("Tesla T4", None), ("NVIDIA GeForce RTX 3090", None),
])
def test_datasheet_peak_by_device_name(name, tflops):
    found = gpu_check.datasheet_peak(name)
    if tflops is None:
        assert found is None  # no guess for GPUs without a bf16 entry
    else:
        assert found[0] == tflops * 1e12 and "datasheet" in found[1]


def test_its_training_commands_are_accepted_by_the_training_cli(tmp_path):
    """The flags and --set keys gpu_check passes exist and make a valid config (checked without training)."""
    from lecture_utils.model import ModelConfig
    from lecture_utils.train import __main__ as cli

    args = gpu_check.parse_args([])
    preset, _ = cli.build_config(cli.parse_args(gpu_check.preset_argv(args, tmp_path / "a")))
    assert preset["data"]["corpus"] == "embedded" and preset["train"]["max_steps"] == 300
    assert ModelConfig.from_dict(preset["model"]) == gpu_check.preset_model()
    assert preset["model"]["d_ff"] == 1344  # CS336's TinyStories shape
    tiny, _ = cli.build_config(cli.parse_args(gpu_check.ddp_argv(tmp_path / "b")))
    assert tiny["train"]["max_steps"] == 40
