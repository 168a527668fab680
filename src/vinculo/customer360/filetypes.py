"""Which uploaded files we accept, judged by their content as well as their name."""

import mimetypes
import zipfile

# Content types we accept, with the first bytes their content must start with (None: checked otherwise).
_SIGNATURES = {
    "application/pdf": [b"%PDF-"],
    "image/png": [b"\x89PNG\r\n\x1a\n"],
    "image/jpeg": [b"\xff\xd8\xff"],
    "image/gif": [b"GIF87a", b"GIF89a"],
    "image/webp": [b"RIFF"],
    "application/zip": [b"PK\x03\x04"],
    "application/msword": [b"\xd0\xcf\x11\xe0"],
    "application/vnd.ms-excel": [b"\xd0\xcf\x11\xe0"],
    "application/vnd.ms-powerpoint": [b"\xd0\xcf\x11\xe0"],
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": [b"PK\x03\x04"],
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [b"PK\x03\x04"],
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": [b"PK\x03\x04"],
    "application/vnd.oasis.opendocument.text": [b"PK\x03\x04"],
    "application/vnd.oasis.opendocument.spreadsheet": [b"PK\x03\x04"],
    "text/plain": None,
    "text/csv": None,
    "text/vcard": None,
    "text/calendar": None,
    "message/rfc822": None,
}
_TEXT_EXTENSIONS = {".txt": "text/plain", ".csv": "text/csv", ".vcf": "text/vcard", ".ics": "text/calendar",
                    ".eml": "message/rfc822"}


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = head.decode("latin-1")
    # Markup would be rendered by a browser that ignored our headers: refuse it.
    return not text.lstrip().lower().startswith(("<!doctype", "<html", "<script", "<svg", "<?xml"))


def detect_content_type(upload) -> str | None:
    """The accepted content type of `upload`, or None when its name or content is not acceptable."""
    name = (upload.name or "").lower()
    extension = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    content_type = _TEXT_EXTENSIONS.get(extension) or mimetypes.guess_type(name)[0]
    if content_type not in _SIGNATURES:
        return None
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    signatures = _SIGNATURES[content_type]
    if signatures is None:
        return content_type if _looks_like_text(head) else None
    if not any(head.startswith(signature) for signature in signatures):
        return None
    if head.startswith(b"PK\x03\x04") and content_type != "application/zip":
        try:
            with zipfile.ZipFile(upload) as archive:
                archive.namelist()
        except zipfile.BadZipFile:
            return None
        finally:
            upload.seek(0)
    return content_type
