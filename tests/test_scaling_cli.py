"""`python -m lecture_utils.scaling`: one-line errors, and the README's commands never touch committed files."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lecture_utils import scaling as sc
from lecture_utils.scaling.__main__ import main

REPO = Path(sc.__file__).resolve().parents[2]


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


def _committed_state() -> tuple[str, dict[str, str]]:
    """git's view of lecture_utils/results plus the hash of every file there."""
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all", "--", "lecture_utils/results"],
                            cwd=REPO, capture_output=True, text=True, check=True).stdout
    hashes = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(sc.RESULTS_DIR.iterdir())}
    return status, hashes


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lecture_utils.scaling", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=900)


def test_readme_commands_leave_committed_files_alone_and_reproduce_them(tmp_path):
    """`sweep --quick` and `fit` (bootstrap shortened) write under runs/ and match the committed numbers."""
    before = _committed_state()
    quick = _cli("sweep", "--quick", cwd=tmp_path)
    assert quick.returncode == 0, quick.stderr
    fit = _cli("fit", "--n-boot2", "20", "--n-boot3", "2", cwd=tmp_path)
    assert fit.returncode == 0, fit.stderr
    assert _committed_state() == before

    rows = sc.read_sweep(tmp_path / "runs" / "scaling" / sc.QUICK_CSV.name)
    committed = sc.read_sweep(sc.QUICK_CSV)
    for col in ("budget", "d_model", "d_ff", "n_params", "steps", "tokens"):
        assert rows[col].tolist() == committed[col].tolist(), col
    # Bit-identical on the machine that wrote the file; the tolerance allows another CPU's BLAS.
    assert np.allclose(rows["eval_loss"], committed["eval_loss"], atol=0.02)

    ours = json.loads((tmp_path / "runs" / "scaling" / sc.FIT_JSON.name).read_text(encoding="utf-8"))
    saved = json.loads(sc.FIT_JSON.read_text(encoding="utf-8"))
    for approach in ("approach2", "approach3"):  # point estimates do not depend on the number of resamples
        for name, (estimate, *_) in saved[approach].items():
            assert ours[approach][name][0] == pytest.approx(estimate, rel=1e-3, abs=1e-3), (approach, name)


def test_a_mistake_at_the_real_command_line_has_no_traceback(tmp_path):
    result = _cli("sweep", "--jobs", "0", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
