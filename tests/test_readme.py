"""The README's Python blocks run as written, in order, in one namespace (a new user's first contact)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def python_blocks(text: str) -> list[str]:
    """The fenced ```python blocks of a Markdown text, in order."""
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_block_finder_hand_worked() -> None:
    text = "a\n```python\nx = 1\n```\n```bash\nls\n```\n```python\ny = x + 1\n```\n"
    assert python_blocks(text) == ["x = 1\n", "y = x + 1\n"]


@pytest.mark.slow
def test_readme_python_blocks_run(tmp_path: Path) -> None:
    import importlib.util
    import re as _re

    install = _re.search(r'pip install "\.\[([a-z,]+)\]"', (ROOT / "README.md").read_text())
    assert install, "the README lost its install command"
    # every extra the README installs is here, so a block that needs one fails instead of skipping
    needs = {"data": "polars", "baselines": "statsmodels", "plot": "matplotlib", "train": "lightning",
             "calendar": "holidays", "boost": "lightgbm"}
    extras = install.group(1).split(",")
    assert {"calendar", "boost"} <= set(extras), f"the preset block needs holidays and lightgbm; README installs {extras}"
    missing = [needs[e] for e in extras if e in needs and importlib.util.find_spec(needs[e]) is None]
    assert not missing, f"the README installs {extras}, but {missing} is not importable here"
    blocks = python_blocks((ROOT / "README.md").read_text())
    assert len(blocks) >= 4, "the README lost its Python examples"
    (tmp_path / "models").symlink_to(ROOT / "models")  # blocks read shipped files by relative path
    here = os.getcwd()
    os.chdir(tmp_path)
    namespace: dict = {"__name__": "__readme__"}
    try:
        for i, block in enumerate(blocks):
            try:
                exec(compile(block, f"README.md python block {i + 1}", "exec"), namespace)
            except Exception as exc:  # name the block that failed
                raise AssertionError(f"README python block {i + 1} failed: {type(exc).__name__}: {exc}\n{block}") \
                    from exc
    finally:
        os.chdir(here)
    assert (tmp_path / "runs" / "day-ahead-load.onnx").is_file()
    assert namespace["forecast"].height == namespace["model"].horizon
    # the preset calibrates itself: its 10-90% band covers 70-90% of the test days (issue 28)
    coverage = float(namespace["scores"].metrics["coverage_80"][0])
    assert 0.70 <= coverage <= 0.90, coverage
