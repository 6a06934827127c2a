"""Screenshots of a built site from file://, in headless Chromium, at 1400 and 390 px.

usage: python benchmarks/screenshots.py SITE_FOLDER OUTPUT_FOLDER

Builds nothing. For each width it opens the home page, the JEPA concept page and the
graph page, saves a screenshot of each (the JEPA page at its full height, the others as
the first screen) as OUTPUT/<page>-<width>.png, and prints each page's height in CSS px.
Needs selenium, chromium and chromedriver (Debian: apt-get install chromium chromium-driver).
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from selenium import webdriver

PAGES = {  # name -> (path in the site, full height)
    "home": ("index.html", False),
    "jepa": ("concepts/jepa.html", True),
    "graph": ("graph.html", False),
}
WIDTHS = (1400, 390)
SCREEN_HEIGHT = {1400: 1000, 390: 844}
MAX_HEIGHT = 30_000  # Chromium refuses larger captures


def browser() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser") or ""
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"):
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(120)
    return driver


def viewport(driver: webdriver.Chrome, width: int, height: int) -> None:
    """The CSS viewport exactly (a window's size includes its frame); phones are 'mobile'."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def page_height(driver: webdriver.Chrome) -> int:
    return int(
        driver.execute_script(
            "return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)"
        )
    )


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    site, out = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    driver = browser()
    try:
        for width in WIDTHS:
            for name, (path, full) in PAGES.items():
                if not (site / path).is_file():
                    print(f"{name} {width}px: {path} missing in {site}")
                    continue
                viewport(driver, width, SCREEN_HEIGHT[width])
                driver.get((site / path).as_uri())
                time.sleep(1.0)  # the graph lays itself out after load
                height = page_height(driver)
                if full:
                    viewport(driver, width, min(height, MAX_HEIGHT))
                    time.sleep(0.5)
                    height = page_height(driver)
                target = out / f"{name}-{width}.png"
                driver.save_screenshot(str(target))
                print(f"{name} {width}px: height {height} px -> {target}")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
