"""Knobs are safe to turn: re-execute a notebook with some UPPER_CASE constants changed, every cell runs.

`run_with_knobs(path, {"VOCAB_SIZE": "3000"}, timeout)` reads the notebook, replaces the one line
`VOCAB_SIZE = ...` in the code cell that defines it, executes the copy in memory with the kernel of
this interpreter (working folder: the notebook's own, as `run_notebooks` does) and fails if a cell
raised or wrote to stderr. The notebook file itself is never written.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def set_knobs(nb, knobs: dict[str, str]) -> None:
    """Replace the line `NAME = ...` of each knob in `nb` (in place); each must be defined exactly once."""
    for name, literal in knobs.items():
        try:
            ast.literal_eval(literal)
        except (ValueError, SyntaxError) as err:
            raise ValueError(f"knob {name}: {literal!r} is not a Python literal ({err})") from None
        line = re.compile(rf"^{re.escape(name)}\s*=(?!=).*$", re.M)
        hits = [(i, m) for i, c in enumerate(nb.cells) if c.cell_type == "code" for m in line.finditer(c.source)]
        if len(hits) != 1:
            where = ", ".join(f"cell {i}" for i, _ in hits) or "no cell"
            raise LookupError(f"knob {name} must be defined exactly once as a line `{name} = ...`;"
                              f" found {len(hits)} ({where})")
        i, m = hits[0]
        src = nb.cells[i].source
        nb.cells[i].source = src[:m.start()] + f"{name} = {literal}  # knob test" + src[m.end():]


def cell_problems(nb) -> list[str]:
    """Errors and stderr output of executed cells, each as 'cell N: ...' (cells meant to raise excepted)."""
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        may_raise = "NBVAL_RAISES_EXCEPTION" in cell.source or "raises-exception" in cell.metadata.get("tags", [])
        for out in cell.get("outputs", []):
            if out.output_type == "error" and not may_raise:
                problems.append(f"cell {i}: {out.ename}: {out.evalue}")
            elif out.output_type == "stream" and out.name == "stderr":
                problems.append(f"cell {i} wrote to stderr: {out.text[:300]}")
    return problems


def run_with_knobs(notebook_path: str | Path, knobs: dict[str, str], timeout: int = 600):
    """Execute a copy of the notebook with `knobs` (name -> Python literal) set; return the executed copy."""
    from nbclient import NotebookClient

    path = Path(notebook_path)
    nb = nbformat.read(path, as_version=4)
    set_knobs(nb, knobs)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True, record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    problems = cell_problems(nb)
    assert not problems, f"{path.name} with {knobs}:\n" + "\n".join(problems)
    return nb


# --- the helper itself -------------------------------------------------------------------------

def _nb(*sources: str):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    return nb


def test_set_knobs_replaces_the_one_defining_line():
    nb = _nb("import math\nVOCAB_SIZE = 2000  # 1000–5000\nprint(VOCAB_SIZE)", "assert VOCAB_SIZE == 2000")
    set_knobs(nb, {"VOCAB_SIZE": "3000"})
    assert nb.cells[0].source == "import math\nVOCAB_SIZE = 3000  # knob test\nprint(VOCAB_SIZE)"
    assert nb.cells[1].source == "assert VOCAB_SIZE == 2000"  # `==` is not a definition


@pytest.mark.parametrize("sources, message", [
    (("X = 1",), "found 0"),
    (("VOCAB_SIZE = 1", "VOCAB_SIZE = 2"), "found 2 (cell 0, cell 1)"),
    (("  VOCAB_SIZE = 1",), "found 0"),  # indented: not a top-level knob
])
def test_set_knobs_fails_clearly_unless_defined_once(sources, message):
    with pytest.raises(LookupError, match=re.escape(message)):
        set_knobs(_nb(*sources), {"VOCAB_SIZE": "3000"})


def test_set_knobs_refuses_a_non_literal():
    with pytest.raises(ValueError, match="not a Python literal"):
        set_knobs(_nb("VOCAB_SIZE = 1"), {"VOCAB_SIZE": "os.system('x')"})


def test_cell_problems_reports_errors_and_stderr():
    nb = _nb("1/0", "import sys; sys.stderr.write('oops')", "# NBVAL_RAISES_EXCEPTION\n1/0", "2")
    nb.cells[0].outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero")]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stderr", text="oops")]
    nb.cells[2].outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero")]
    assert cell_problems(nb) == ["cell 0: ZeroDivisionError: division by zero", "cell 1 wrote to stderr: oops"]


# --- the notebooks, knobs turned -----------------------------------------------------------------

def test_07_with_a_larger_vocabulary_and_more_toy_merges():
    """07: vocabulary 3000 for the corpus tokenizer, 5 merges in the toy walk-through, other curve points."""
    run_with_knobs(NOTEBOOKS / "07_bpe_tokenizer.ipynb",
                   {"VOCAB_SIZE": "3000", "NUM_MERGES": "5", "VOCAB_SIZES": "[300, 1000, 3000, 6000]"}, timeout=600)


def test_08_with_a_smaller_model_and_the_shortest_training():
    """08: 2 layers of d_model 96 (instead of 4 of 128), trained 40 steps of batch 8 (instead of 80 of 16), the
    low ends of the stated ranges: every narration assert still holds (the loss still drops by more than 1 nat)."""
    knobs = {"D_MODEL": "96", "NUM_LAYERS": "2", "BATCH_SIZE": "8", "MAX_STEPS": "40"}
    nb = run_with_knobs(NOTEBOOKS / "08_model.ipynb", knobs, timeout=600)
    shown = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "2 层、d_model = 96" in shown and "每步 8 条" in shown and "共 40 步" in shown  # the prose follows the knobs
