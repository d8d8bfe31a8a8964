"""The demo's report.html as a reader's browser shows it: headless Chromium at a laptop and a phone width.

Opt-in (``python -m pytest -m browser``): it needs Debian's ``chromium`` package and builds a demo
report on the small network (about a minute). ``FAIRSHARE_BROWSER_REPORT`` points it at an existing
report (its ``report.html`` or directory) instead; ``FAIRSHARE_SCREENSHOT_DIR`` keeps the full-page
screenshots there (otherwise they go to pytest's temporary directory).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import browser

pytestmark = pytest.mark.browser

WIDTHS = {"laptop": browser.LAPTOP, "phone": browser.PHONE}


@pytest.fixture(scope="module")
def report_html(tmp_path_factory) -> Path:
    if browser.chromium() is None:
        pytest.fail("the browser tests need Chromium: apt-get update && apt-get install -y chromium")
    given = os.environ.get("FAIRSHARE_BROWSER_REPORT")
    if given:
        path = Path(given)
        return path / "report.html" if path.is_dir() else path
    out = tmp_path_factory.mktemp("demo") / "report"
    subprocess.run([sys.executable, "-m", "fairshare", "demo", "--scale", "small", "--out", str(out), "--overwrite",
                    "--quiet"], check=True, timeout=900)
    return out / "report.html"


@pytest.fixture(scope="module")
def layouts(report_html, tmp_path_factory) -> dict:
    shots = Path(os.environ.get("FAIRSHARE_SCREENSHOT_DIR") or tmp_path_factory.mktemp("screenshots"))
    return {name: browser.screenshot(report_html, shots / f"report_{name}_{w}x{h}.png", w, h)
            for name, (w, h) in WIDTHS.items()}


def test_probe_sees_what_it_checks(tmp_path):
    """The layout probe itself: a wide table in a scroll box passes, a bare one and a missing image do not."""
    if browser.chromium() is None:
        pytest.fail("the browser tests need Chromium: apt-get update && apt-get install -y chromium")
    cells = "".join(f"<td>column_{i}_with_a_long_name</td>" for i in range(30))
    page = tmp_path / "page.html"
    page.write_text(f"""<!doctype html><html><head><meta name="viewport" content="width=device-width"></head><body>
<div style="overflow-x:auto"><table id="boxed"><tr>{cells}</tr></table></div>
<table id="bare"><tr>{cells}</tr></table><img src="missing.png" alt="x"></body></html>""", encoding="utf-8")
    layout = browser.probe(page, *browser.PHONE)
    assert layout["viewport_width"] == browser.PHONE[0]
    boxed, bare = layout["tables"]
    assert boxed["in_scroll_box"] and not boxed["fits"]
    assert not bare["in_scroll_box"] and not bare["fits"]
    assert bare["head"].startswith("column_0_with_a_long_name | column_1")
    assert layout["scroll_width"] > layout["viewport_width"] and layout["wide"][0]["element"] == "table#bare"
    assert layout["images"] == [{"src": "missing.png", "loaded": False, "width": layout["images"][0]["width"],
                                 "natural_width": 0}]


@pytest.mark.parametrize("width", list(WIDTHS))
def test_screenshot_is_full_page(layouts, width):
    layout = layouts[width]
    assert layout["viewport_width"] == WIDTHS[width][0]
    assert layout["page_height"] > WIDTHS[width][1]  # the report is longer than one screen


@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_image_loads_and_fits(layouts, width):
    layout = layouts[width]
    assert layout["images"], "the report shows no figure"
    broken = [i["src"] for i in layout["images"] if not i["loaded"]]
    assert not broken, f"images that did not load at the {width} width: {broken}"
    too_wide = [i["src"] for i in layout["images"] if i["width"] > layout["viewport_width"]]
    assert not too_wide, f"images wider than the {width} screen: {too_wide}"


@pytest.mark.parametrize("width", list(WIDTHS))
def test_tables_scroll_in_their_own_box(layouts, width):
    layout = layouts[width]
    spilling = [t for t in layout["tables"] if not (t["fits"] or t["in_scroll_box"])]
    assert not spilling, (f"{len(spilling)} of {len(layout['tables'])} tables widen the page at the {width} width "
                          f"instead of scrolling in their own box: {spilling[:5]}")


@pytest.mark.parametrize("width", list(WIDTHS))
def test_no_horizontal_overflow(layouts, width):
    layout = layouts[width]
    assert layout["scroll_width"] <= layout["viewport_width"] + 1, (
        f"the page scrolls sideways at the {width} width ({layout['scroll_width']} px wide for a "
        f"{layout['viewport_width']} px screen); reaching past the edge: {layout['wide'][:8]}")
