"""Every notebook's 练习 are tagged `exercise`, each followed by a hidden `solution` that nbval runs."""
import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NUMBERED = re.compile(r"^\s*(?:#+\s*)?(?:练习\s*)?\d+\s*[.．、]\s*\*\*", re.M)


def cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_exercise_has_a_hidden_solution_that_runs(path):
    nb = cells(path)
    exercises = [i for i, c in enumerate(nb) if "exercise" in tags(c)]
    assert exercises, f"{path.name}: no cell is tagged 'exercise'"
    for n, start in enumerate(exercises):
        end = exercises[n + 1] if n + 1 < len(exercises) else len(nb)
        solutions = [nb[i] for i in range(start + 1, end) if "solution" in tags(nb[i])]
        posed = "".join(nb[start]["source"])[:60]
        assert solutions, f"{path.name} cell {start} ({posed!r}): exercise without a 'solution' cell"
        for sol in solutions:
            assert sol.get("metadata", {}).get("jupyter", {}).get("source_hidden") is True, \
                f"{path.name}: a solution of {posed!r} is not collapsed (metadata.jupyter.source_hidden)"
        code = [s for s in solutions if s["cell_type"] == "code"]
        assert all(s.get("execution_count") for s in code), f"{path.name}: solution of {posed!r} never ran"
        assert all(s["metadata"]["jupyter"].get("outputs_hidden") is True for s in code), \
            f"{path.name}: the output of a solution of {posed!r} shows the answer (metadata.jupyter.outputs_hidden)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_untagged_exercise(path):
    """A cell after the 练习 heading that poses a numbered exercise carries the tag."""
    nb = cells(path)
    start = next((i for i, c in enumerate(nb) if c["cell_type"] == "markdown"
                  and re.search(r"^#+\s*练习", "".join(c["source"]), re.M)), None)
    assert start is not None, f"{path.name}: no '## 练习' heading"
    for i in range(start, len(nb)):
        c = nb[i]
        if c["cell_type"] == "markdown" and "solution" not in tags(c) and NUMBERED.search("".join(c["source"])):
            assert "exercise" in tags(c), f"{path.name} cell {i} poses an exercise but is not tagged 'exercise'"
