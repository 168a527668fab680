"""Small real files for the demo accounts, made in memory: a one-page PDF, a CSV and a plain-text file."""


def _pdf_text(text: str) -> bytes:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return escaped.encode("cp1252", errors="replace")


def pdf(title: str, lines: list[str]) -> bytes:
    """A valid one-page PDF (about 1 KB) with a title and a few lines of text."""
    content = b"BT /F1 16 Tf 56 780 Td (" + _pdf_text(title) + b") Tj /F1 11 Tf"
    for line in lines:
        content += b" 0 -20 Td (" + _pdf_text(line) + b") Tj"
    content += b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    document = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(document))
        document += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(document)
    document += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    document += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    document += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return document


def csv(rows: list[list[str]]) -> bytes:
    # Semicolons: what a spreadsheet set to Spanish expects.
    return "\r\n".join(";".join(cell.replace(";", ",") for cell in row) for row in rows).encode() + b"\r\n"


def text(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()
