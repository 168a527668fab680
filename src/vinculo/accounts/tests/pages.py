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
