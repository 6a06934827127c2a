"""Height of built pages in headless Chromium at 1400 and 390 px, every fold closed and open.

usage: python benchmarks/bench_page_height.py SITE_FOLDER [PAGE ...]
       (default page: concepts/jepa.html; build the site first with `wiki build --out DIR`)

Needs selenium with Debian's chromium and chromedriver (`apt-get install -y chromium
chromium-driver`). Besides the heights it reports the smallest text of the page's plots
as shown at each width (see `wiki.plots.smallest_text_px`), so a plot drawn too wide for
a phone shows up here.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from selenium import webdriver

from wiki.plots import smallest_text_px

WIDTHS = (1400, 390)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("pages", nargs="*", default=["concepts/jepa.html"])
    args = parser.parse_args()
    site = args.site.resolve()
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    profile = tempfile.mkdtemp(prefix="page-height-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        for page in args.pages:
            for width in WIDTHS:
                driver.set_window_size(width, 1000)
                driver.get((site / page).as_uri())
                time.sleep(1.0)  # deferred scripts (local graph) take their room
                closed = _height(driver, opened=False)
                opened = _height(driver, opened=True)
                shown = driver.execute_script(
                    "return [...document.querySelectorAll('img.wiki-plot-image')]"
                    ".map(img => [img.getAttribute('src'), img.clientWidth]);"
                )
                smallest = [
                    smallest_text_px((site / page).parent.joinpath(src).read_text(), shown_px)
                    for src, shown_px in shown
                    if shown_px
                ]
                print(
                    json.dumps(
                        {
                            "page": page,
                            "width_px": width,
                            "height_folds_closed_px": closed,
                            "height_folds_open_px": opened,
                            "plots": len(shown),
                            "smallest_plot_text_px": round(min(smallest), 1) if smallest else None,
                        }
                    )
                )
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _height(driver: webdriver.Chrome, opened: bool) -> int:
    state = "true" if opened else "false"
    driver.execute_script(f"document.querySelectorAll('details').forEach(d => d.open = {state})")
    if opened:  # lazy plots load once visible: scroll through, then wait for them
        driver.execute_script(
            "document.querySelectorAll('img').forEach(img => img.loading = 'eager')"
        )
        time.sleep(1.5)
    return int(driver.execute_script("return document.documentElement.scrollHeight"))


if __name__ == "__main__":
    main()
