"""A real browser for tests: Debian's headless Chromium renders a page to a PNG, and says how
it laid the page out (its width and height, and its text as a reader sees it).

Vocabulary: the *frame* is an iframe of exactly ``width`` CSS pixels holding the page (as
``srcdoc``), because headless Chromium lays out no window narrower than 500 px: a phone's
390 px needs a frame that narrow. ``layout(html, width)`` returns the frame document's
``scrollWidth`` (wider than ``width``: the reader must scroll sideways), ``scrollHeight`` and
``innerText``; ``screenshot(html, width, path)`` writes a PNG of the frame, as tall as the
page. ``dark=True`` asks for ``prefers-color-scheme: dark``, as a phone in dark mode does.
Each run gets its own profile folder, deleted afterwards; no network, no extensions.
"""

from __future__ import annotations

import html as html_lib
import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--mute-audio", "--virtual-time-budget=5000",
)  # fmt: skip
DARK = ("--force-dark-mode", "--blink-settings=preferredColorScheme=0")
_RESULT = re.compile(r'<pre id="layout">(.*?)</pre>', re.S)


@dataclass(frozen=True)
class Layout:
    width: int  # the frame document's scrollWidth
    height: int  # its scrollHeight
    text: str  # its innerText


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _host(page: str, width: int, height: int) -> str:
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<style>html,body{{margin:0;padding:0;background:#888}}iframe{{border:0;display:block}}</style>
</head><body><iframe id="frame" width="{width}" height="{height}"
srcdoc="{html_lib.escape(page, quote=True)}"></iframe><pre id="layout"></pre>
<script>
var frame = document.getElementById("frame");
frame.addEventListener("load", function () {{
  var doc = frame.contentDocument, root = doc.documentElement;
  document.getElementById("layout").textContent = JSON.stringify({{
    width: root.scrollWidth, height: root.scrollHeight, text: doc.body.innerText}});
}});
</script></body></html>"""


def _run(args: list[str], host: str, timeout: float) -> str:
    binary = chromium()
    if binary is None:
        raise RuntimeError("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="ia-chromium-") as tmp:
        page = Path(tmp) / "host.html"
        page.write_text(host, encoding="utf-8")
        done = subprocess.run(
            [binary, *FLAGS, f"--user-data-dir={tmp}/profile", *args, page.as_uri()],
            capture_output=True, text=True, timeout=timeout, cwd=tmp,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"chromium exited {done.returncode}: {done.stderr[-2000:]}")
        return done.stdout


def layout(page: str, width: int, *, dark: bool = False, timeout: float = 60) -> Layout:
    args = [*(DARK if dark else ()), "--window-size=1000,1000", "--dump-dom"]
    out = _run(args, _host(page, width, 1000), timeout)
    found = _RESULT.search(out)
    if found is None or not found.group(1).strip():
        raise RuntimeError("chromium did not lay the page out (no result in its DOM)")
    data = json.loads(html_lib.unescape(found.group(1)))
    return Layout(int(data["width"]), int(data["height"]), str(data["text"]))


def screenshot(
    page: str, width: int, path: Path, *, dark: bool = False, timeout: float = 60
) -> Layout:
    """A PNG of the page in a frame ``width`` wide, as tall as the page; and its layout."""
    measured = layout(page, width, dark=dark, timeout=timeout)
    height = max(200, measured.height)
    args = [*(DARK if dark else ()), f"--window-size={width},{height}", f"--screenshot={path}"]
    _run(args, _host(page, width, height), timeout)
    return measured
