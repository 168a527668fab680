"""The English phrases of the Spanish catalog: what a Spanish document shows if a string escaped translation."""

import re
from pathlib import Path

import polib
from django.conf import settings

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")


def english_phrases() -> set[str]:
    """The English text of every catalog entry whose Spanish differs, cut at its placeholders."""
    path = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.po"
    phrases = set()
    for entry in polib.pofile(str(path)):
        if entry.msgstr == entry.msgid or entry.obsolete:
            continue
        for piece in PLACEHOLDER.split(entry.msgid):
            piece = piece.strip(" :·,.%()")
            if len(piece) >= 3 and piece.lower() not in entry.msgstr.lower():
                phrases.add(piece)
    return phrases


def english_found_in(text: str) -> list[str]:
    """The English catalog phrases that appear in `text` as whole words."""
    return sorted(phrase for phrase in english_phrases() if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text))
