"""The documentation: every public name documented with its parameters, an API page for
each, and the getting-started page's Python running as written."""

from __future__ import annotations

import importlib.util
import inspect
import os
import sys
from pathlib import Path

import pytest

import energyai
import energyai.runtime as runtime
from tests.test_readme import python_blocks

ROOT = Path(__file__).resolve().parents[1]


def _public() -> list[tuple[str, object]]:
    out = [(f"energyai.{n}", getattr(energyai, n)) for n in energyai.__all__ if not n.startswith("__")]
    return out + [(f"energyai.runtime.{n}", getattr(runtime, n)) for n in runtime.__all__]


def _takes_parameters(obj: object) -> bool:
    try:
        sig = inspect.signature(obj)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return any(p not in ("self", "args", "kwargs") for p in sig.parameters)


@pytest.mark.parametrize("name, obj", _public(), ids=[n for n, _ in _public()])
def test_every_public_name_has_a_docstring_with_its_parameters(name, obj):
    doc = inspect.getdoc(obj) or ""
    assert doc.strip(), f"{name} has no docstring"
    if inspect.ismodule(obj) or not _takes_parameters(obj):
        return
    assert "Parameters\n----------" in doc or (inspect.isclass(obj) and "Attributes\n----------" in doc), \
        f"{name} takes parameters but its docstring has no numpydoc Parameters section"


def _site_tools():
    spec = importlib.util.spec_from_file_location("site_pages", ROOT / "docs" / "_tools" / "pages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_site_has_an_api_page_for_every_public_name(tmp_path):
    pages = _site_tools()
    nav = pages.api_pages(tmp_path / "api")
    made = {p.stem for p in (tmp_path / "api").glob("*.md")}
    assert {n for n, _ in _public()} <= made
    for name, _obj in _public():  # each page points mkdocstrings at the object's real home
        text = (tmp_path / "api" / f"{name}.md").read_text()
        assert text.startswith(f"# {name}\n") and "::: energyai." in text
    assert [next(iter(g)) for g in nav] == ["energyai", "energyai.runtime", "Modules"]


def test_every_example_has_a_gallery_entry():
    pages = _site_tools()
    scripts = {p.name for p in (ROOT / "examples").glob("*.py")}
    assert scripts == set(pages.QUICK), "add the new example to QUICK in docs/_tools/pages.py"


@pytest.mark.slow
def test_getting_started_runs_as_written(tmp_path, monkeypatch):
    pytest.importorskip("lightning")
    pytest.importorskip("onnxscript")
    blocks = python_blocks((ROOT / "docs" / "getting-started.md").read_text())
    assert blocks, "the getting-started page lost its Python"
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__getting_started__"}
    for i, block in enumerate(blocks):
        exec(compile(block, f"getting-started.md python block {i + 1}", "exec"), namespace)
    assert (tmp_path / "next_day.csv").is_file() and (tmp_path / "my_load.onnx").is_file()
    assert os.path.getsize(tmp_path / "my_load.onnx") > 0 and sys.modules.get("energyai")
