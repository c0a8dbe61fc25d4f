"""`python -m lecture_utils.scaling`: one-line errors, and the README's commands never touch committed files."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import SCALING_FIT, SCALING_QUICK
from lecture_utils import scaling as sc
from lecture_utils.scaling.__main__ import main



def _one_line_error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("python -m lecture_utils.scaling")
    return err


@pytest.mark.parametrize("argv, fix", [
    ([], "required: {sweep,fit}"),
    (["sweep", "--jobs", "0"], "--jobs: must be at least 1"),
    (["sweep", "--jobs", "two"], "expected a whole number"),
    (["sweep", "--seed", "1.5"], "expected a whole number"),
    (["sweep", "--out", "sweep.txt"], "should end in .csv"),
    (["sweep", "--out", "x.csv", "--write-committed"], "give one of them"),
    (["fit", "--n-boot3", "0"], "at least 1"),
    (["fit", "--out", "fit.csv"], "should end in .json"),
    (["frobnicate"], "invalid choice"),
])
def test_usage_mistakes_are_one_line(capsys, argv, fix):
    assert fix in _one_line_error(capsys, argv)


def test_file_mistakes_are_one_line(capsys, tmp_path):
    assert "is a folder" in _one_line_error(capsys, ["sweep", "--out", str(tmp_path)])
    (tmp_path / "file").write_text("x", encoding="utf-8")
    assert "is a file, not a folder" in _one_line_error(capsys, ["sweep", "--out", str(tmp_path / "file" / "a.csv")])
    assert "--csv" in _one_line_error(capsys, ["fit", "--csv", str(tmp_path / "missing.csv"), "--out",
                                               str(tmp_path / "f.json")])
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    assert "is empty" in _one_line_error(capsys, ["fit", "--csv", str(tmp_path / "empty.csv"), "--out",
                                                  str(tmp_path / "f.json")])
    (tmp_path / "other.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    assert "expected" in _one_line_error(capsys, ["fit", "--csv", str(tmp_path / "other.csv"), "--out",
                                                  str(tmp_path / "f.json")])
    assert not (tmp_path / "f.json").exists()


def test_help_exits_zero(capsys):
    assert main(["sweep", "--help"]) == 0
    assert "--write-committed" in capsys.readouterr().out


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lecture_utils.scaling", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=900)


def test_readme_commands_leave_committed_files_alone_and_reproduce_them(scaling_readme_runs):
    """`sweep --quick` and `fit` (bootstrap shortened) write under runs/ and match the committed numbers.

    The two commands run once per session (conftest.scaling_readme_runs); test_readme_commands checks the same runs.
    """
    runs = scaling_readme_runs
    for command in (SCALING_QUICK, SCALING_FIT):
        assert runs.results[command].returncode == 0, (command, runs.results[command].stderr[-2000:])
    assert runs.after == runs.before, "the README's scaling commands changed lecture_utils/results or tracked files"

    rows = sc.read_sweep(runs.folder / "runs" / "scaling" / sc.QUICK_CSV.name)
    committed = sc.read_sweep(sc.QUICK_CSV)
    for col in ("budget", "d_model", "d_ff", "n_params", "steps", "tokens"):
        assert rows[col].tolist() == committed[col].tolist(), col
    # Bit-identical on the machine that wrote the file; the tolerance allows another CPU's BLAS.
    assert np.allclose(rows["eval_loss"], committed["eval_loss"], atol=0.02)

    ours = json.loads((runs.folder / "runs" / "scaling" / sc.FIT_JSON.name).read_text(encoding="utf-8"))
    saved = json.loads(sc.FIT_JSON.read_text(encoding="utf-8"))
    for approach in ("approach2", "approach3"):  # point estimates do not depend on the number of resamples
        for name, (estimate, *_) in saved[approach].items():
            assert ours[approach][name][0] == pytest.approx(estimate, rel=1e-3, abs=1e-3), (approach, name)


def test_sweep_writes_where_out_says(tmp_path, monkeypatch, capsys):
    """`sweep --out NAME.csv` (relative: the working folder) writes there and nowhere else; the runs are stubbed
    with the committed quick rows here, the real training runs once in the test above."""
    committed = sc.read_sweep(sc.QUICK_CSV).to_dict("records")
    monkeypatch.setattr("lecture_utils.scaling.__main__.run_sweep",
                        lambda grid, seed, jobs, progress: committed if grid == sc.QUICK_GRID else pytest.fail("grid"))
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", "--quick", "--out", "full-as-quick.csv"]) == 0
    assert "wrote 6 runs to full-as-quick.csv" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full-as-quick.csv", "full-as-quick.meta.json"]
    assert sc.read_sweep(tmp_path / "full-as-quick.csv").equals(sc.read_sweep(sc.QUICK_CSV))
    meta = json.loads((tmp_path / "full-as-quick.meta.json").read_text(encoding="utf-8"))
    assert meta["command"] == f"python -m lecture_utils.scaling sweep --quick --seed {sc.SWEEP_SEED}"


def test_a_mistake_at_the_real_command_line_has_no_traceback(tmp_path):
    result = _cli("sweep", "--jobs", "0", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
