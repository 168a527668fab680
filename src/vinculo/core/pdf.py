"""What every generated PDF shares (reportlab): the fonts, the text escaping and the colours."""

from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import registerFontFamily
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
INK = colors.HexColor("#1f2937")
MUTED = colors.HexColor("#6b7280")
RULE = colors.HexColor("#d1d5db")
SHADE = colors.HexColor("#f3f4f6")
ACCENT = colors.HexColor("#1d4ed8")


def fonts() -> tuple[str, str]:
    """The regular and bold font names: DejaVu where installed (accents, "ñ", "€" and "—" render),
    Helvetica otherwise."""
    regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
    if not (regular.exists() and bold.exists()):
        return "Helvetica", "Helvetica-Bold"
    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
        # So that <b> in a paragraph picks the bold face.
        registerFontFamily("DejaVuSans", normal="DejaVuSans", bold="DejaVuSans-Bold", italic="DejaVuSans",
                           boldItalic="DejaVuSans-Bold")
    return "DejaVuSans", "DejaVuSans-Bold"


def paragraph_text(value) -> str:
    """Plain text for a Paragraph: markup escaped, line breaks kept."""
    return escape(str(value or "")).replace("\n", "<br/>")
