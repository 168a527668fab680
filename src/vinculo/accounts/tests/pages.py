"""The account page as its reader sees it once scrolled: the sections loaded on demand fetched from their
fragment URLs, as htmx does, by the same signed-in client."""

import html
import re

# A placeholder (accounts/_section_placeholder.html): a section whose fragment loads when it scrolls into view.
PLACEHOLDER = re.compile(
    r'<section class="card c360-section c360-lazy" id="(?P<key>[\w-]+)"[^>]*? hx-get="(?P<url>[^"]+)"[^>]*>.*?</section>',
    re.S,
)


def placeholders(page: str) -> dict[str, str]:
    """The sections of `page` loaded on demand: {key: fragment URL}."""
    return {match["key"]: html.unescape(match["url"]) for match in PLACEHOLDER.finditer(page)}


def load_sections(client, page: str) -> str:
    """`page` with every placeholder replaced by its fragment (htmx swaps the placeholder's outer HTML)."""

    def load(match):
        response = client.get(html.unescape(match["url"]), headers={"HX-Request": "true"})
        assert response.status_code == 200, (match["url"], response.status_code)
        fragment = response.content.decode()
        assert f'id="{match["key"]}"' in fragment
        return fragment

    return PLACEHOLDER.sub(load, page)


def scroll_sections_in(page, limit: int = 60) -> None:
    """In the browser (Playwright): scroll each section still loading on demand into view, as a reader
    does, and wait until htmx has swapped it for its fragment. A section that others, swapped in above it,
    pushed out of view before it loaded is scrolled to again; one swapped meanwhile is skipped."""
    from playwright.sync_api import Error as PlaywrightError

    for _ in range(limit):
        pending = page.locator("section.c360-lazy")
        if pending.count() == 0:
            return
        try:
            handle = pending.first.element_handle(timeout=2000)
            handle.scroll_into_view_if_needed()
            handle.wait_for_element_state("hidden", timeout=2000)  # detached once swapped
        except PlaywrightError:  # swapped meanwhile (not attached), or pushed out of view (timeout)
            continue
    raise AssertionError("sections still loading after scrolling to each")
