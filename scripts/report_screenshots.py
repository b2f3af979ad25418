"""Screenshots of the demo report's cover and capacity plan at 390 and 1366 px, for review.

    python scripts/report_screenshots.py docs/screenshots

Renders sample_outputs/demo/report.html in Debian's Chromium (chromium, chromium-driver)
through Selenium; nothing is downloaded.
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

PAGE = Path(__file__).resolve().parents[1] / "sample_outputs" / "demo" / "report.html"
SHOTS = {"cover": "#top", "capacity": "#capacity"}
WIDTHS = (390, 1366)
HEIGHT = 1100


def main(out: Path) -> None:
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    out.mkdir(parents=True, exist_ok=True)
    try:
        for width in WIDTHS:
            metrics = {"width": width, "height": HEIGHT, "deviceScaleFactor": 1}
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride", {**metrics, "mobile": width < 600}
            )
            for name, anchor in SHOTS.items():
                driver.get(PAGE.as_uri() + anchor)
                shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
                (out / f"{name}-{width}.png").write_bytes(base64.b64decode(shot["data"]))
    finally:
        driver.quit()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
