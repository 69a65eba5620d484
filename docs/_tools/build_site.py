"""Assemble the documentation site's sources and configuration, then (with --build) build it.

The site mirrors the repository, so every relative link in the README, ``docs/``, the model
cards, the dataset cards and the benchmark notes works unchanged:

    build/site-src/index.md            the README
    build/site-src/docs/*.md           the user guide (this folder's pages)
    build/site-src/models/<name>/      model cards (and the small files they link to)
    build/site-src/datasets/, benchmarks/, examples/
    build/site-src/api/<name>.md       one API page per public name (mkdocstrings, numpydoc)
    build/site-src/reference/configuration.md   generated from the config dataclasses
    build/site-src/gallery/<example>.md         every example, run now, with its figures

A relative link to a repository file that is not a page (a YAML recipe, a script, a JSON
result) copies that file into the site, so the link resolves. ``mkdocs build --strict``
then fails on any broken link, bad cross-reference or docstring problem.

Run:  python docs/_tools/build_site.py [--build] [--quick-gallery | --no-gallery]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "build" / "site-src"
SITE = ROOT / "build" / "site"
sys.path.insert(0, str(Path(__file__).parent))

from pages import api_pages, config_page, gallery_pages, results_page  # noqa: E402

LINK = re.compile(r"\]\(([^)\s#]+)(#[^)]*)?\)")
GUIDE = [  # (title, file in docs/), in reading order
    ("Getting started", "getting-started.md"),
    ("Install", "install.md"),
    ("Data contract and covariate roles", "data-contract.md"),
    ("Datasets", "datasets.md"),
    ("Energy physics, Korean calendars and KPX", "energy.md"),
    ("Baselines and backtesting", "baselines-and-backtesting.md"),
    ("Neural models; training on CPU, GPUs and nodes", "neural-models.md"),
    ("Presets", "presets.md"),
    ("Ensembles and the gradient-boosted member", "ensembles.md"),
    ("Pretrained models and fine-tuning", "pretrained.md"),
    ("Tuning", "tuning.md"),
    ("Calibration and KPX submissions", "calibration.md"),
    ("Export and edge deployment", "deployment.md"),
    ("Integrity and signing", "integrity.md"),
    ("Troubleshooting by error", "troubleshooting.md"),
    ("Nomenclature", "nomenclature.md"),
    ("Architecture", "architecture.md"),
    ("Roadmap", "roadmap.md"),
]
MODELS = ["load-base", "solar-base", "gb-demand-dlinear", "etth1-dlinear", "etth1-nhits", "gwangju-buildings-tide"]


def _copy_page(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.suffix == ".md":
        dst.write_text(blank_before_lists(src.read_text()))
    else:
        shutil.copyfile(src, dst)


def blank_before_lists(text: str) -> str:
    """A blank line before each list that follows a paragraph line: GitHub renders "text\\n- item"
    as a list, Python-Markdown (mkdocs) as literal "- " text. Code fences are left alone."""
    out: list[str] = []
    fenced = False
    item = re.compile(r"^(\s*)([-*+]|\d+\.)\s")
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and item.match(line) and not item.match(line).group(1) and out:  # type: ignore[union-attr]
            prev = out[-1]
            if prev.strip() and not item.match(prev) and not prev.startswith((" ", "\t", "|", "#", ">")):
                out.append("")
        out.append(line)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def _resolve_links(max_bytes: int = 2_000_000) -> list[str]:
    """Copy into the site every repository file a page links to that is not there yet;
    return the links that point nowhere (left for mkdocs --strict to report)."""
    missing = []
    for page in sorted(SRC.rglob("*.md")):
        rel_page = page.relative_to(SRC)
        repo_page = ROOT / ("README.md" if rel_page == Path("index.md") else rel_page)
        for target, _ in LINK.findall(page.read_text()):
            if "://" in target or target.startswith(("mailto:", "/")):
                continue
            in_site = (page.parent / target).resolve()
            if in_site.exists():
                continue
            in_repo = (repo_page.parent / target).resolve()
            if in_repo.is_file() and in_repo.stat().st_size <= max_bytes and ROOT in in_repo.parents:
                _copy_page(in_repo, SRC / in_repo.relative_to(ROOT))
            elif in_repo.is_dir() and ROOT in in_repo.parents:
                readme = in_repo / "README.md"
                if readme.is_file():
                    _copy_page(readme, SRC / in_repo.relative_to(ROOT) / "README.md")
            else:
                missing.append(f"{rel_page}: {target}")
    return missing


def assemble(gallery: str) -> dict[str, object]:
    """Write the site sources; return the nav."""
    if SRC.exists():
        shutil.rmtree(SRC)
    SRC.mkdir(parents=True)
    _copy_page(ROOT / "README.md", SRC / "index.md")
    for _, name in GUIDE:
        _copy_page(ROOT / "docs" / name, SRC / "docs" / name)
    for name in MODELS:
        _copy_page(ROOT / "models" / name / "MODEL_CARD.md", SRC / "models" / name / "MODEL_CARD.md")
    _copy_page(ROOT / "models" / "README.md", SRC / "models" / "README.md")
    _copy_page(ROOT / "benchmarks" / "README.md", SRC / "benchmarks" / "README.md")
    _copy_page(ROOT / "datasets" / "README.md", SRC / "datasets" / "README.md")
    for extra in ("CHANGELOG.md", "CONTRIBUTING.md"):
        _copy_page(ROOT / extra, SRC / extra)
    api = api_pages(SRC / "api")
    config_page(SRC / "reference" / "configuration.md")
    results_page(SRC / "benchmarks" / "results.md", ROOT / "benchmarks" / "results")
    gallery_nav = gallery_pages(SRC / "gallery", ROOT / "examples", mode=gallery)
    missing = _resolve_links()
    for m in missing:
        print("unresolved link:", m)
    return {
        "Home": "index.md",
        "User guide": [{t: f"docs/{n}"} for t, n in GUIDE],
        "Gallery": gallery_nav,
        "API reference": api,
        "Configuration reference": "reference/configuration.md",
        "Model cards": [{"Model zoo": "models/README.md"}] + [{m: f"models/{m}/MODEL_CARD.md"} for m in MODELS],
        "Benchmarks": [{"Scripts": "benchmarks/README.md"}, {"Results": "benchmarks/results.md"}],
        "Datasets": "datasets/README.md",
        "Changelog": "CHANGELOG.md",
        "Contributing": "CONTRIBUTING.md",
    }


def write_config(nav: dict[str, object]) -> Path:
    """``build/mkdocs.yml``: material theme, mkdocstrings with numpydoc, the nav."""
    import yaml

    config = {
        "site_name": "energyai",
        "site_description": "Energy forecasting: load, solar and wind; PyTorch models exported to one ONNX file",
        "docs_dir": str(SRC), "site_dir": str(SITE), "use_directory_urls": False,
        "theme": {"name": "material", "features": ["navigation.sections", "navigation.top", "search.suggest",
                                                   "content.code.copy"],
                  "palette": {"primary": "teal"}, "font": False},  # no web fonts: the site works offline
        "markdown_extensions": ["tables", "admonition", "attr_list", "toc", "pymdownx.superfences",
                                "pymdownx.details", "pymdownx.highlight"],
        "plugins": ["search", {"mkdocstrings": {"default_handler": "python", "handlers": {"python": {
            "paths": [str(ROOT)],
            "options": {"extensions": [str(Path(__file__).parent / "griffe_roles.py") + ":Roles"],
                        "docstring_style": "numpy", "show_source": False, "show_root_heading": True,
                        "show_signature_annotations": True, "separate_signature": True, "members_order": "source",
                        "filters": ["!^_"], "merge_init_into_class": True, "heading_level": 2,
                        "show_if_no_docstring": False}}}}}],
        "not_in_nav": "/examples/**\n/models/*/*.md\n",
        "validation": {"links": {"not_found": "warn", "anchors": "warn", "unrecognized_links": "warn"}},
        "nav": [{k: v} for k, v in nav.items()],
    }
    path = ROOT / "build" / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", action="store_true", help="then run mkdocs build --strict")
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--quick-gallery", dest="gallery", action="store_const", const="quick", default="quick",
                       help="run every example in its small mode (the default; what CI does)")
    group.add_argument("--full-gallery", dest="gallery", action="store_const", const="full",
                       help="run every example as documented (minutes to tens of minutes)")
    group.add_argument("--no-gallery", dest="gallery", action="store_const", const="none",
                       help="show the examples' committed outputs without running them")
    args = ap.parse_args()
    config = write_config(assemble(args.gallery))
    print("wrote", config)
    if args.build:
        return subprocess.call([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
