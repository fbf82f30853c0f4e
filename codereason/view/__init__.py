"""``codereason view``: one self-contained HTML page to read the responses behind ``track``'s numbers.

:func:`write_view` tags and grades the inputs exactly as ``codereason track``
does (:func:`codereason.track.collect`), builds the per-step table, the
transition table and the tracking figure from *all* responses, keeps at most
``max_responses`` of them for the page (sampled per step, benchmark and label,
the page says how many of how many), and writes the page. The page filters,
searches and pages through the responses in the browser with plain
JavaScript; it loads nothing from anywhere.

Importing this package is light (the command line reads its defaults at start-up);
``write_view`` and ``ViewSummary`` load :mod:`codereason.view.build`, and with it
pandas, on first use.
"""

from __future__ import annotations

# Most responses on a page; above it, a sample per (step, benchmark, label).
DEFAULT_MAX_RESPONSES = 20_000

__all__ = ["DEFAULT_MAX_RESPONSES", "ViewSummary", "write_view"]


def __getattr__(name: str):
    if name in ("write_view", "ViewSummary"):
        from codereason.view import build

        return getattr(build, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
