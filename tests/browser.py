"""A tiny headless-Chromium helper for the render test: full-page screenshots and a layout probe.

Chromium is Debian's ``chromium`` package (``apt-get install -y chromium``). Every call starts a
fresh browser with a fresh profile directory and no network services, so runs do not depend on
each other or on the machine's browser state.

:func:`probe` loads a copy of the page that points at the original's directory through
``<base href>`` (so images and links resolve as they do for a reader), inside an iframe exactly
the viewport's width (headless Chromium makes no window narrower than 500 px, so a phone width
needs the frame). A small script measures the layout after load and hands it as JSON to the host
page, which ``--dump-dom`` prints. :func:`screenshot` frames the page at its full probed height
and crops the PNG to the frame.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["chromium", "probe", "screenshot", "FLAGS", "LAPTOP", "PHONE"]

#: Laptop and phone viewports, CSS pixels.
LAPTOP = (1366, 900)
PHONE = (390, 844)

#: Flags of every run: headless, no sandbox (containers), no GPU, no network services, a fresh profile.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
         "--force-device-scale-factor=1", "--virtual-time-budget=10000")

#: Longest full-page screenshot, pixels (a taller page is cut there; the probe still measures all of it).
MAX_HEIGHT = 40_000

_PROBE = r"""
<script>
window.addEventListener("load", function () {
  var vw = window.innerWidth, doc = document.documentElement;
  function scrolls(el) {
    for (var p = el.parentElement; p; p = p.parentElement) {
      var o = getComputedStyle(p).overflowX;
      if ((o === "auto" || o === "scroll") && p.getBoundingClientRect().right <= vw + 1) return true;
    }
    return false;
  }
  function name(el) {
    return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
      (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "");
  }
  var past = new Set(), wide = [];
  document.querySelectorAll("body *").forEach(function (el) {
    var r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > vw + 1 && !scrolls(el)) past.add(el);
  });
  past.forEach(function (el) {  // the outermost offenders only (a wide table, not each of its cells)
    if (!past.has(el.parentElement)) wide.push({element: name(el), right: Math.round(el.getBoundingClientRect().right),
                                                text: (el.textContent || "").trim().slice(0, 60)});
  });
  var images = Array.prototype.map.call(document.images, function (img) {
    return {src: (img.getAttribute("src") || "").slice(0, 80), loaded: img.complete && img.naturalWidth > 0,
            width: Math.round(img.getBoundingClientRect().width), natural_width: img.naturalWidth};
  });
  var tables = Array.prototype.map.call(document.querySelectorAll("table"), function (t) {
    var r = t.getBoundingClientRect();
    var first = t.querySelector("tr");
    return {width: Math.round(r.width), fits: r.right <= vw + 1, in_scroll_box: scrolls(t),
            head: first ? Array.prototype.map.call(first.cells, function (c) { return c.textContent.trim(); })
              .join(" | ").slice(0, 80) : ""};
  });
  parent.postMessage(JSON.stringify({viewport_width: vw, scroll_width: doc.scrollWidth,
    page_height: Math.max(doc.scrollHeight, document.body ? document.body.scrollHeight : 0),
    wide: wide.slice(0, 50), wide_count: wide.length, images: images, tables: tables}), "*");
});
</script>
"""


_HOST = """<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:0;background:#fff">
<iframe src="{src}" style="border:0;display:block;width:{width}px;height:{height}px"></iframe>
<pre id="fairshare-probe"></pre>
<script>window.addEventListener("message", function (e) {{
  document.getElementById("fairshare-probe").textContent = e.data; }});</script></body></html>"""

#: Narrowest window headless Chromium makes, CSS pixels.
_MIN_WINDOW = 500


def chromium() -> str | None:
    """Path of the Chromium binary, or None when it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess:
    binary = chromium()
    if binary is None:
        raise RuntimeError("Chromium is not installed: apt-get install -y chromium (Debian's package).")
    with tempfile.TemporaryDirectory(prefix="fairshare-chromium-") as profile:
        return subprocess.run([binary, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                              timeout=timeout, check=True)


def _framed(html: Path, tmp: Path, width: int, height: int) -> Path:
    """Write the probed copy of ``html`` and a host page framing it at ``width`` x ``height`` into ``tmp``."""
    html = Path(html).resolve()
    text = html.read_text(encoding="utf-8")
    base = f'<base href="{html.parent.as_uri()}/">'
    text = re.sub(r"(<head[^>]*>)", lambda m: m.group(1) + base, text, count=1, flags=re.I)
    text = re.sub(r"(</body>)", lambda m: _PROBE + m.group(1), text, count=1, flags=re.I)
    (tmp / "page.html").write_text(text, encoding="utf-8")
    host = tmp / "host.html"
    host.write_text(_HOST.format(src="page.html", width=width, height=height), encoding="utf-8")
    return host


def probe(html: Path, width: int, height: int, timeout: float = 120.0) -> dict:
    """Layout of ``html`` in a ``width`` x ``height`` viewport, measured after load.

    Returns a dict: ``viewport_width``, ``scroll_width`` (wider than the viewport: the page scrolls
    sideways), ``page_height``, ``wide`` (the outermost elements reaching past the right edge outside
    any scroll box, up to 50, with their first words) and ``wide_count``, ``images`` (``src``,
    ``loaded``, rendered and natural width) and ``tables`` (``width``, ``fits`` in the viewport,
    ``in_scroll_box``, ``head``: the first row's words).
    """
    with tempfile.TemporaryDirectory(prefix="fairshare-probe-") as tmp:
        host = _framed(html, Path(tmp), width, height)
        done = _run([f"--window-size={max(width, _MIN_WINDOW)},{height}", "--dump-dom", host.as_uri()], timeout)
    found = re.search(r'<pre id="fairshare-probe">(.*?)</pre>', done.stdout, flags=re.S)
    if found is None or not found.group(1).strip():
        raise RuntimeError(f"the layout probe did not run in {html}; Chromium said: {done.stderr[-2000:]}")
    return json.loads(found.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")
                      .replace("&amp;", "&"))


def screenshot(html: Path, png: Path, width: int, height: int, timeout: float = 120.0) -> dict:
    """Full-page PNG of ``html`` in a viewport ``width`` wide (as tall as the page, at least ``height``).

    Returns the :func:`probe` of the page at that width (what the screenshot shows).
    """
    from PIL import Image

    layout = probe(html, width, height, timeout)
    full = int(min(max(layout["page_height"], height), MAX_HEIGHT))
    png = Path(png).resolve()
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fairshare-shot-") as tmp:
        host = _framed(html, Path(tmp), width, full)
        _run([f"--window-size={max(width, _MIN_WINDOW)},{full}", f"--screenshot={png}", host.as_uri()], timeout)
    if not png.is_file() or png.stat().st_size == 0:
        raise RuntimeError(f"Chromium wrote no screenshot to {png}.")
    with Image.open(png) as image:
        cropped = image.crop((0, 0, min(width, image.width), image.height))
    cropped.save(png)
    return layout
