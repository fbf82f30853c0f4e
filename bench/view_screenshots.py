"""Screenshots of a ``codereason view`` page for the README, at desktop and phone widths.

    .venv/bin/python bench/view_screenshots.py

The page is made from the team-written toy rollouts of ``tests/view_fixtures.py``
(two steps, two benchmarks, 32 responses; no third-party text), so the pictures
can be published. Writes ``bench/figures/view_*.png``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from codereason.track import TrackOptions  # noqa: E402
from codereason.view import write_view  # noqa: E402
from tests.view_fixtures import write_toy_rollouts  # noqa: E402

FIGURES = REPO / "bench" / "figures"


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        inputs = write_toy_rollouts(Path(folder))
        page_path = Path(folder) / "view.html"
        write_view(inputs, page_path, TrackOptions(cache=Path(folder) / "cache"), n_boot=200,
                   title="Toy rollouts: code reasoning vs accuracy (classifier: ast)")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
            desktop(browser, page_path.resolve().as_uri())
            narrow(browser, page_path.resolve().as_uri())
            browser.close()
    for path in sorted(FIGURES.glob("view_*.png")):
        print(f"wrote {path.relative_to(REPO)}")


def open_page(browser, url: str, width: int, height: int):
    page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=1)
    page.goto(url)
    page.wait_for_selector("body[data-ready]")
    return page


def desktop(browser, url: str) -> None:
    page = open_page(browser, url, 1280, 860)
    page.screenshot(path=FIGURES / "view_overview.png")
    page.select_option("#f-move", "Lang→Code")
    page.locator("#responses").scroll_into_view_if_needed()
    page.evaluate("document.getElementById('responses').scrollIntoView()")
    page.screenshot(path=FIGURES / "view_list.png")
    page.click("#list .problem-button >> nth=0")
    page.screenshot(path=FIGURES / "view_problem.png")
    page.close()


def narrow(browser, url: str) -> None:
    page = open_page(browser, url, 390, 844)
    page.select_option("#f-ast", "1")
    page.evaluate("document.getElementById('responses').scrollIntoView()")
    page.screenshot(path=FIGURES / "view_narrow.png")
    page.close()


if __name__ == "__main__":
    main()
