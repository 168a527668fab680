"""Take the README's phone screenshots (docs/phone-*.png) from a running Vínculo with the small demo loaded.

    make run   # in another terminal
    .venv/bin/python tools/phone_screenshots.py http://127.0.0.1:8000

Signs in as vendedor.norte and shoots five pages at 390 × 844 in Debian's chromium.
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

DOCS = Path(__file__).resolve().parent.parent / "docs"


def main(base_url: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(base_url=base_url, viewport={"width": 390, "height": 844}, locale="es-CL")
        page.goto("/login/")
        page.fill("#id_username", "vendedor.norte")
        page.fill("#id_password", "demo")
        page.click(".login-form button[type=submit]")
        page.wait_for_url(f"{base_url}/")

        def shoot(name: str) -> None:
            page.wait_for_load_state("networkidle")
            page.screenshot(path=DOCS / f"phone-{name}.png")
            print(DOCS / f"phone-{name}.png")

        shoot("home")
        page.click(".nav-drawer summary")
        shoot("menu")
        page.goto("/accounts/")
        shoot("accounts")
        page.goto("/search/?q=Minera+Atacama+SpA")
        page.click("main a[href^='/accounts/']")
        shoot("account")
        page.click("#opportunities .primary-cell a")
        shoot("deal")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
