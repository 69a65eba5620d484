"""Open the built documentation site in headless Chromium and fail on a broken page.

Serves ``build/site`` on localhost and loads the home page, one user-guide page, one API
page, the benchmark results and every gallery page. A page fails when it does not answer 200, when an image on it
does not load (``naturalWidth == 0``), when it logs a console error or raises an uncaught
exception, or when it lacks its expected content (the API page must show a "Parameters"
section, a gallery page at least one figure).

Needs Playwright's Python package and a Chromium: ``/usr/bin/chromium`` (Debian's
``chromium`` package) by default, or ``--chromium PATH``. Playwright's own browser
download is not used.

Run:  python docs/_tools/check_site.py [--site build/site] [--screenshots build/site-shots]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pages(site: Path) -> list[tuple[str, str]]:
    """(path, what must be on it) for the pages checked."""
    out = [("index.html", "energyai"), ("docs/calibration.html", "Calibrated quantiles"),
           ("api/energyai.Forecaster.html", "Parameters"), ("benchmarks/results.html", "<img")]
    gallery = sorted((site / "gallery").glob("*.html"))
    if not gallery:
        raise SystemExit(f"no gallery pages under {site / 'gallery'}")
    out += [(str(p.relative_to(site)), "<img") for p in gallery]
    return out


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def check(site: Path, chromium: str, shots: Path | None) -> list[str]:
    """Every problem found, as text; empty when the site is whole."""
    from playwright.sync_api import sync_playwright

    server, base = serve(site)
    problems: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=FLAGS)
            for path, must in pages(site):
                page = browser.new_page()
                errors: list[str] = []
                page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda exc, e=errors: e.append(str(exc)))
                response = page.goto(base + path, wait_until="load")
                status = response.status if response else 0
                if status != 200:
                    problems.append(f"{path}: HTTP {status}")
                    continue
                broken = page.evaluate("Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
                                       ".map(i => i.getAttribute('src'))")
                problems += [f"{path}: image does not load: {src}" for src in broken]
                problems += [f"{path}: console error: {e}" for e in errors]
                if must not in page.content():
                    problems.append(f"{path}: expected {must!r} on the page")
                if shots is not None:
                    shots.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(shots / (path.replace("/", "_") + ".png")), full_page=False)
                print(f"ok  {path}" if not any(x.startswith(path + ":") for x in problems) else f"BAD {path}")
                page.close()
            browser.close()
    finally:
        server.shutdown()
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--site", default=str(ROOT / "build" / "site"))
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--screenshots", default=None, help="write a PNG of each page here")
    args = ap.parse_args()
    site = Path(args.site)
    if not (site / "index.html").is_file():
        raise SystemExit(f"no built site at {site}; run python docs/_tools/build_site.py --build first")
    if not Path(args.chromium).is_file():
        raise SystemExit(f"browser check not run: no Chromium at {args.chromium}. Install Debian's chromium "
                         "(apt-get install chromium) or give --chromium PATH; Playwright's own browser download "
                         "is not used")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise SystemExit("browser check not run: the playwright package is missing (pip install -e '.[docs]')") from None
    problems = check(site, args.chromium, Path(args.screenshots) if args.screenshots else None)
    for p in problems:
        print(p, file=sys.stderr)
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
