"""`lecture_utils.setup()`: reproducible seeds, a CJK font when one exists, and never a warning."""
import logging
import random
import warnings

import matplotlib
import numpy as np
import pytest
import torch

import lecture_utils
from lecture_utils import plotting


def _draw_chinese(tmp_path):
    """Draw and save a figure with Chinese labels (this is where missing glyphs would warn)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [-1, 0, 1])
    ax.set_title("压缩率与词表大小 (vocabulary size)")
    ax.set_xlabel("词元数 −1")
    fig.savefig(tmp_path / "zh.png")
    plt.close(fig)


def _setup_emits_nothing(caplog, capsys, **kwargs):
    """Run configure_matplotlib with warnings as errors; assert no log records and no output."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with caplog.at_level(logging.DEBUG, logger="matplotlib"):
            font = plotting.configure_matplotlib(**kwargs)
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert capsys.readouterr() == ("", "")
    return font


def test_setup_seeds_everything():
    lecture_utils.setup(seed=7)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    lecture_utils.setup(seed=7)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first


def test_setup_is_silent_and_chinese_renders(caplog, capsys, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lecture_utils.setup()
        _draw_chinese(tmp_path)  # a missing glyph would raise here ("Glyph ... missing from font")
    assert capsys.readouterr() == ("", "")
    assert matplotlib.rcParams["font.family"][0] == plotting.LATIN_FONT
    assert plotting.packaged_cjk_font_path() is not None  # the pip package from requirements.txt


def test_packaged_font_is_used_on_linux(caplog, capsys):
    font = _setup_emits_nothing(caplog, capsys, platform="linux")
    assert font == "Noto Sans SC"


def test_without_any_cjk_font_nothing_warns(caplog, capsys, monkeypatch):
    monkeypatch.setattr(plotting, "SYSTEM_CJK_FONTS", {"win32": [], "darwin": [], "linux": []})
    font = _setup_emits_nothing(caplog, capsys, platform="linux", packaged=None)
    assert font is None
    assert matplotlib.rcParams["font.family"] == [plotting.LATIN_FONT]


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_system_font_preferred_on_windows_and_macos(caplog, capsys, monkeypatch, platform):
    # Pretend the packaged font is the platform's system font: the system name must win, unchanged.
    monkeypatch.setattr(plotting, "SYSTEM_CJK_FONTS", {**plotting.SYSTEM_CJK_FONTS, platform: ["DejaVu Sans Mono"]})
    assert _setup_emits_nothing(caplog, capsys, platform=platform) == "DejaVu Sans Mono"


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_missing_system_font_falls_back_to_the_package(caplog, capsys, monkeypatch, platform):
    monkeypatch.setattr(plotting, "SYSTEM_CJK_FONTS", {**plotting.SYSTEM_CJK_FONTS, platform: ["No Such Font"]})
    assert _setup_emits_nothing(caplog, capsys, platform=platform) == "Noto Sans SC"


def test_show_source_prints_outside_ipython(capsys):
    lecture_utils.show_source(lecture_utils.setup)
    assert "def setup(" in capsys.readouterr().out
