"""Figure generation (lecture_utils.figures): the `make images` command writes every PNG."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from lecture_utils import figures  # noqa: E402


def test_command_writes_every_figure(tmp_path, capsys):
    figures.main([str(tmp_path / "images")])
    written = sorted(p.name for p in (tmp_path / "images").iterdir())
    assert written == sorted(figures.FIGURES) == ["design-decisions.png", "landscape-timeline.png",
                                                 "roller-flops.png", "wei-emergence-plot.png"]
    for name in written:
        data = (tmp_path / "images" / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and 10_000 < len(data) < 300_000, name
    assert capsys.readouterr().out.count("wrote ") == 4


def test_regenerating_gives_identical_bytes(tmp_path):
    one = ["design-decisions.png"]  # one fast figure is enough to show there is no timestamp
    first = figures.write_all(tmp_path / "a", one)[0].read_bytes()
    assert first == figures.write_all(tmp_path / "b", one)[0].read_bytes()


def test_unknown_figure_is_refused(tmp_path):
    import pytest

    with pytest.raises(ValueError, match="choose from"):
        figures.write_all(tmp_path, ["nope.png"])


def test_roller_figure_has_both_accountings():
    import matplotlib.pyplot as plt

    fig = figures.roller_flops_figure()
    try:
        titles = [ax.get_title() for ax in fig.axes]
        assert any("Roller 记账" in t for t in titles) and any("矩阵乘记账" in t for t in titles)
        assert len(fig.axes[0].patches) == 8 * 4  # eight OPT sizes × four parts
    finally:
        plt.close(fig)
