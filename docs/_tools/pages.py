"""Generated pages of the documentation site: the API reference, the configuration
reference and the gallery (used by ``build_site.py``)."""

from __future__ import annotations

import dataclasses
import inspect
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

#: Modules with their own API page beyond ``energyai.__all__`` and ``energyai.runtime``:
#: where a user reaches for calibration, KPX, vintages, export and the corpora.
MODULES = [
    "energyai.calibration", "energyai.quantile_map", "energyai.market.kpx", "energyai.market.submission",
    "energyai.market.portfolio", "energyai.evaluation.probabilistic", "energyai.evaluation.scoring",
    "energyai.data.vintages", "energyai.export", "energyai.baselines.solar", "energyai.localize",
    "energyai.pretrained", "energyai.config", "energyai.recipe", "energyai.calendar",
]


def _page(path: Path, title: str, target: str, intro: str = "", skip: tuple[str, ...] = ()) -> None:
    """A page rendering ``target``; ``skip``: members documented on their own page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    options = ""
    if skip:
        filters = ", ".join(['"!^_"', *(f'"!^{name}$"' for name in skip)])
        options = f"    options:\n      filters: [{filters}]\n"
    path.write_text(f"# {title}\n\n{intro}::: {target}\n{options}")


def _defined_at(obj: Any) -> str:
    """Where a public object is defined (``energyai`` exports some lazily, which a static
    reader cannot follow)."""
    if inspect.ismodule(obj):
        return obj.__name__
    return f"{obj.__module__}.{obj.__qualname__}"


def api_pages(folder: Path) -> list[dict[str, Any]]:
    """One page per public name of ``energyai`` and ``energyai.runtime``, and per module
    of :data:`MODULES`; returns their nav."""
    import energyai
    import energyai.runtime as runtime

    top, own = [], set()
    for name in sorted(n for n in energyai.__all__ if not n.startswith("__")):
        obj = getattr(energyai, name)
        own.add(_defined_at(obj))
        _page(folder / f"energyai.{name}.md", f"energyai.{name}", _defined_at(obj))
        top.append({name: f"api/energyai.{name}.md"})
    own |= {_defined_at(getattr(runtime, n)) for n in runtime.__all__}
    for name in sorted(n for n in energyai.__all__ if inspect.ismodule(getattr(energyai, n, None))):
        module = getattr(energyai, name).__name__  # a module page leaves out what has its own page
        skip = tuple(o.rsplit(".", 1)[1] for o in own if o.rsplit(".", 1)[0] == module)
        if skip:
            _page(folder / f"energyai.{name}.md", f"energyai.{name}", module, skip=skip)
    rt = []
    intro = ("The device runtime: numpy and onnxruntime only (`pip install energyai[runtime]`); it never imports "
             "torch, Lightning or polars.\n\n")
    for name in sorted(runtime.__all__):
        _page(folder / f"energyai.runtime.{name}.md", f"energyai.runtime.{name}",
              _defined_at(getattr(runtime, name)), intro)
        rt.append({name: f"api/energyai.runtime.{name}.md"})
    more = []
    for mod in MODULES:
        _page(folder / f"{mod}.md", mod, mod)
        more.append({mod.removeprefix("energyai."): f"api/{mod}.md"})
    return [{"energyai": top}, {"energyai.runtime": rt}, {"Modules": more}]


def _rule(f: dataclasses.Field[Any]) -> str:
    rule = f.metadata.get("rule", {})
    parts = []
    if rule.get("choices"):
        parts.append("one of " + ", ".join(f"`{c!r}`" for c in rule["choices"]))
    lo, hi = rule.get("low"), rule.get("high")
    if lo is not None or hi is not None:
        left = "(" if rule.get("open_low") else "["
        right = ")" if rule.get("open_high") else "]"
        parts.append(f"in {left}{'-∞' if lo is None else lo}, {'∞' if hi is None else hi}{right}")
    if rule.get("none"):
        parts.append("or null")
    if rule.get("search"):
        s = rule["search"]
        span = ", ".join(repr(c) for c in s.choices) if s.kind == "categorical" else f"{s.low} .. {s.high}"
        parts.append(f"tuned over {span}{' (log)' if s.log else ''}")
    return "; ".join(parts)


def _attribute_docs(cls: type) -> dict[str, str]:
    """``name -> text`` from a numpydoc ``Attributes`` section (names may be grouped)."""
    doc = inspect.getdoc(cls) or ""
    out: dict[str, str] = {}
    lines = doc.split("Attributes\n----------\n", 1)[-1].splitlines()
    names: list[str] = []
    for line in lines:
        if line and not line.startswith(" "):
            names = [n.strip() for n in line.split(":")[0].split(",")]
            for n in names:
                out[n] = ""
        elif names:
            for n in names:
                out[n] = (out[n] + " " + line.strip()).strip()
    return out


def config_page(path: Path) -> None:
    """The configuration reference: the recipe's sections, then every ``trainer:`` option
    from :class:`energyai.config.TrainConfig` with its default, its rule and its meaning."""
    import energyai.recipe as recipe
    from energyai.config import TrainConfig

    intro = (Path(__file__).parent / "configuration_intro.md").read_text()
    docs = _attribute_docs(TrainConfig)
    rows = ["| option | default | allowed | meaning |", "|---|---|---|---|"]
    for f in dataclasses.fields(TrainConfig):
        default = f.default if f.default is not dataclasses.MISSING else "(required)"
        meaning = docs.get(f.name, "").replace("|", "\\|")
        rows.append(f"| `{f.name}` | `{default!r}` | {_rule(f)} | {meaning} |")
    keys = (f"Keys of `data:` {sorted(recipe.DATA_KEYS)}; of `model:` {sorted(recipe.MODEL_KEYS)}; sections "
            f"{sorted(recipe.SECTIONS)}.\n\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(intro + keys + "## `trainer:` options\n\nGenerated from `energyai.config.TrainConfig`; "
                    "the same names are `Forecaster` keyword arguments.\n\n" + "\n".join(rows) + "\n")


def results_page(path: Path, results: Path) -> None:
    """Every committed benchmark result: each figure shown, each JSON named with the protocol
    or command it records (the numbers themselves are cited on the pages that discuss them)."""
    import json

    (path.parent / "results").mkdir(parents=True, exist_ok=True)
    figures = sorted(results.glob("*.png"))
    lines = ["# Benchmark results", "",
             "The committed outputs of `benchmarks/` (see [the scripts](README.md)); every number on these pages "
             "was measured by one of them, with the command recorded beside it.", "", "## Figures", ""]
    for fig in figures:
        shutil.copyfile(fig, path.parent / "results" / fig.name)
        lines += [f"### {fig.stem}", "", f"![{fig.stem}](results/{fig.name})", ""]
    lines += ["## Result files", "", "| file | what it records |", "|---|---|"]
    for f in sorted(results.glob("*.json")):
        try:
            data = json.loads(f.read_text())
        except (OSError, ValueError):
            continue
        what = ""
        if isinstance(data, dict):
            what = str(data.get("protocol") or data.get("command") or data.get("task") or "")
        what = " ".join(what.split())[:300].replace("|", "\\|")
        lines.append(f"| [`{f.name}`](results/{f.name}) | {what} |")
    path.write_text("\n".join(lines) + "\n")


def _example_doc(script: Path) -> tuple[str, str]:
    """Title (first docstring line) and the rest of a script's docstring."""
    import ast

    doc = ast.get_docstring(ast.parse(script.read_text())) or script.stem
    first, _, rest = doc.partition("\n")
    lines = []
    for line in rest.strip().splitlines():
        if line.startswith("Run:"):  # the usage line as code, so its brackets are not Markdown links
            line = f"Run: `{line[4:].strip()}`"
        elif line.startswith("- ") and lines and lines[-1].strip():
            lines.append("")  # Markdown starts a list only after a blank line
        lines.append(line)
    return first.strip().rstrip("."), "\n".join(lines)


#: How each example runs in the docs build: small real data, few steps.
QUICK = {
    "backtest_baselines.py": [],
    "korean_load_holidays.py": ["--steps", "50"],
    "solar_kpx.py": ["--steps", "50"],
    "wind_vintages.py": ["--steps", "50"],
}


def gallery_pages(folder: Path, examples: Path, mode: str) -> list[dict[str, str]]:
    """Run every example (``mode``: "quick", "full" or "none"), and write one page per
    example with its description, its code, what it printed and its figures."""
    nav = []
    scripts = sorted(examples.glob("*.py"))
    missing = [s.name for s in scripts if s.name not in QUICK]
    if missing:
        raise SystemExit(f"examples without a gallery entry in docs/_tools/pages.py QUICK: {missing}")
    for script in scripts:
        out = folder / script.stem
        out.mkdir(parents=True, exist_ok=True)
        printed, seconds = "(not run in this build)", 0.0
        if mode != "none":
            args = [] if mode == "full" else QUICK[script.name]
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, str(script), *args, *(["--out", str(out)] if _takes_out(script)
                                                                         else [])],
                                  cwd=examples.parent, capture_output=True, text=True,
                                  env={**os.environ, "MPLBACKEND": "Agg"})
            seconds = time.perf_counter() - t0
            if proc.returncode != 0 and "DatasetError" not in proc.stderr:
                raise SystemExit(f"gallery: {script.name} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
            printed = _no_paths(proc.stdout.strip()[-6000:] or "(no output)", out, examples.parent)
            if proc.returncode != 0:  # its dataset is not on this machine (ENERGYAI_DATA): show the committed run
                print(f"gallery: {script.name} not run, its dataset is missing; showing its committed outputs")
                printed, seconds = "(not run in this build: its dataset is not on the build machine)", -1.0
                _committed(examples / "output" / script.stem, out)
        else:
            _committed(examples / "output" / script.stem, out)
        title, body = _example_doc(script)
        figures = "\n\n".join(f"![{p.stem}]({script.stem}/{p.name})" for p in sorted(out.glob("*.png")))
        how = "as documented" if mode == "full" else f"in its small mode (`{' '.join(QUICK[script.name])}`)"
        ran = f"Run {how} while this site was built, in {seconds:.0f} s on the build machine." \
            if mode != "none" and seconds >= 0 else "Figures from the committed outputs (`examples/output/`)."
        page = (f"# {title}\n\n{body}\n\n{ran}\n\n{figures}\n\n## Output\n\n```text\n{printed}\n```\n\n"
                f"## Code\n\n`examples/{script.name}`\n\n```python\n{script.read_text()}\n```\n")
        (folder / f"{script.stem}.md").write_text(page)
        nav.append({title: f"gallery/{script.stem}.md"})
    return nav


def _no_paths(text: str, out: Path, root: Path) -> str:
    """What an example printed, without the build machine's folders: its output folder becomes
    ``OUT/``, the checkout ``./``, other absolute paths under the home or temporary folders ``.../``."""
    import re

    text = text.replace(str(out.resolve()), "OUT").replace(str(out), "OUT")
    text = text.replace(str(root.resolve()) + os.sep, "./").replace(str(root.resolve()), ".")
    return re.sub(r"(?<![\w.])/(?:tmp|root|home|work|private|var)/[^\s'\"),]*/", ".../", text)


def _committed(folder: Path, out: Path) -> None:
    """Copy an example's committed outputs (``examples/output/<name>/``) into its gallery folder."""
    if folder.is_dir():
        for f in folder.iterdir():
            shutil.copyfile(f, out / f.name)


def _takes_out(script: Path) -> bool:
    return '"--out"' in script.read_text()
