"""How fast the ``codereason view`` page is on all 8,220 responses of spurious-1p5b-gt-steps.

    CODEREASON_REALDATA=../shared/realdata .venv/bin/python bench/bench_view.py [--cache DIR]

Writes the page for the five checkpoints (grading through the grade cache: the
first run grades, later ones reuse), then opens it in headless chromium and
reports: file size; time from navigation to a usable page (the list rendered);
the page's own time for each filter (``data-filter-ms``: filtering the 8,220
responses and rendering the first page of results); and the time to open a
problem view. Numbers go into the README section on ``codereason view``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from codereason.track import TrackOptions
from codereason.view import write_view

CHECKPOINTS = ("base", "step50", "step200", "step400", "step1000")
FILTERS = [  # (what, playwright action on the page)
    ("benchmark = MATH-500", lambda p: p.select_option("#f-bench", label="MATH-500")),
    ("step = 400", lambda p: p.select_option("#f-step", "400")),
    ("ast = code", lambda p: p.select_option("#f-ast", "1")),
    ("paper = lang", lambda p: p.select_option("#f-paper", "0")),
    ("ast ≠ paper", lambda p: p.check("#f-disagree")),
    ("grade = incorrect", lambda p: p.select_option("#f-grade", "incorrect")),
    ("transition 0→1000 Lang→Code", lambda p: p.select_option("#f-move", "Lang→Code")),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", default=None, help="grade cache directory (default: $CODEREASON_CACHE)")
    args = parser.parse_args()
    results = Path(os.environ["CODEREASON_REALDATA"]) / "spurious-1p5b-gt-steps" / "results"
    with tempfile.TemporaryDirectory() as folder:
        page_path = Path(folder) / "view.html"
        start = time.perf_counter()
        summary = write_view([results / c for c in CHECKPOINTS], page_path,
                             TrackOptions(n_jobs=2, cache=args.cache or True), n_boot=200)
        print(f"write_view: {time.perf_counter() - start:.1f} s for {summary.n_responses} responses "
              f"({summary.n_shown} on the page, {summary.size_bytes / 2**20:.1f} MiB)")
        measure_page(page_path)


def measure_page(path: Path) -> None:
    """Load the page in chromium; print load, filter, search and problem-view times."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        start = time.perf_counter()
        page.goto(path.resolve().as_uri())
        page.wait_for_selector("body[data-ready]", timeout=120_000)
        wall = time.perf_counter() - start
        print(f"page usable: {wall:.2f} s wall (the page's own clock: {page.get_attribute('body', 'data-ready-ms')} ms)")
        for what, action in FILTERS:
            page.click("#f-reset")
            action(page)
            print(f"filter {what}: {page.get_attribute('body', 'data-filter-ms')} ms -> {page.inner_text('#count')} responses")
        page.click("#f-reset")
        page.fill("#f-search", "sympy")
        page.wait_for_timeout(500)
        print(f"search 'sympy': {page.get_attribute('body', 'data-filter-ms')} ms "
              f"-> {page.inner_text('#count')} responses")
        page.fill("#f-search", "output")
        page.wait_for_timeout(500)
        print(f"search 'output': {page.get_attribute('body', 'data-filter-ms')} ms -> {page.inner_text('#count')} responses")
        start = time.perf_counter()
        page.click("#list .problem-button >> nth=0")
        page.wait_for_selector("#problem-view:not([hidden])")
        print(f"problem view: {page.get_attribute('body', 'data-problem-ms')} ms in the page, "
              f"{1000 * (time.perf_counter() - start):.0f} ms wall with Playwright's click, "
              f"{page.locator('.pv-card').count()} responses in {page.locator('.pv-column').count()} columns")
        browser.close()


if __name__ == "__main__":
    main()
