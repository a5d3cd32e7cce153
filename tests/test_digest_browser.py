"""The digest and the monthly review as a reader sees them: rendered by a real browser
(Debian's headless Chromium) at a desktop's width and a phone's (390 px), in light and in dark
mode. Checked: the PNG is not blank and shows the bars, the page never needs scrolling
sideways, and the key sections and records are there. Not pixel-exact on purpose."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from inbox_agent.config import Settings
from inbox_agent.report.daily import digest
from inbox_agent.report.monthly import review
from inbox_agent.rules import renderer
from tests import reportdata as rd
from tests.harness import chromium

pytestmark = pytest.mark.skipif(
    chromium.chromium() is None and not os.environ.get("CI"),
    reason="needs Debian's chromium (apt-get install chromium); CI installs it",
)
BAR = (0x3B, 0x82, 0xF6)  # the bars' blue in _page.html.j2
SECTIONS = (
    "New inquiries", "Speed to lead", "Information within 72 h", "Follow-ups",
    "Revive calls", "Waiting for someone", "Stage moves", "Quotes and sales by source",
    "By agent", "Needs a person",
)  # fmt: skip


def pages(settings: Settings) -> dict[str, str]:
    r = renderer(settings)
    _, day = r.page("digest", digest(rd.facts(), rd.DAY, rd.NOW, rd.RULES))
    _, month = r.page("report", review(rd.facts(), date(2026, 12, 1), rd.NOW, rd.RULES))
    assert day is not None and month is not None
    return {"digest": day, "report": month}


def read(layout: chromium.Layout) -> str:
    """The page's text as a reader sees it: a no-break space is a space."""
    return layout.text.replace("\u00a0", " ")


def looked_at(png: Path, width: int) -> tuple[int, float, int]:
    """(distinct colours, share of pixels that are not the page background, bar pixels)."""
    image = Image.open(png).convert("RGB")
    assert image.width == width and image.height > 1000
    counts = image.getcolors(image.width * image.height) or []
    total = image.width * image.height
    background = max(n for n, _ in counts)
    bars = 0
    for n, rgb in counts:
        assert isinstance(rgb, tuple)  # an RGB image's colours are (r, g, b)
        if all(abs(a - b) < 12 for a, b in zip(rgb, BAR, strict=True)):
            bars += n
    return len(counts), 1 - background / total, bars


@pytest.mark.parametrize("width", [1000, 390])
def test_the_digest_reads_well_at_desktop_and_phone_width(
    settings: Settings, tmp_path: Path, width: int
) -> None:
    png = tmp_path / f"digest-{width}.png"
    shown = chromium.screenshot(pages(settings)["digest"], width, png)
    colours, inked, bars = looked_at(png, width)
    assert colours > 20 and inked > 0.05 and bars > 300, (colours, inked, bars)
    assert shown.width <= width, f"{shown.width} px wide in a {width} px window: sideways scroll"
    for words in (*SECTIONS, "Daily digest for Thursday 3 December 2026", "#13 Pat13 Lee",
                  "+27821234567", "#18 Pat18 Lee", "5 of 6 (83%)"):  # fmt: skip
        assert words in read(shown), words


def test_the_digest_in_dark_mode_keeps_its_contrast(settings: Settings, tmp_path: Path) -> None:
    png = tmp_path / "dark.png"
    shown = chromium.screenshot(pages(settings)["digest"], 390, png, dark=True)
    grey = Image.open(png).convert("L").histogram()  # pixels per brightness 0-255
    total = sum(grey)
    dark_share, light_share = sum(grey[:80]) / total, sum(grey[171:]) / total  # light: the text
    assert dark_share > 0.7 and light_share > 0.01, (dark_share, light_share)
    assert looked_at(png, 390)[2] > 300 and "Needs a person" in read(shown)


@pytest.mark.parametrize("width", [1000, 390])
def test_the_monthly_review_reads_well_too(settings: Settings, tmp_path: Path, width: int) -> None:
    png = tmp_path / f"report-{width}.png"
    shown = chromium.screenshot(pages(settings)["report"], width, png)
    colours, inked, _ = looked_at(png, width)
    assert colours > 20 and inked > 0.05
    assert shown.width <= width
    for words in ("Conversion by source", "December 2026", "November 2026", "By agent"):
        assert words in read(shown)
