"""Uploaded files judged by their bytes, not only by their names.

A file's extension decides how it is stored, served and later opened (by office programs,
previewers, the roster reader); this module checks that the content really is of that kind:

* ``.pdf`` starts with ``%PDF``; ``.png`` and ``.jpg`` are PNG and JPEG images;
* ``.docx``, ``.xlsx``, ``.pptx`` and ``.zip`` are ZIP containers;
* ``.doc``, ``.xls``, ``.ppt`` and WPS's ``.wps``, ``.et``, ``.dps`` are OLE2 compound files
  (``D0 CF 11 E0 A1 B1 1A E1``);
* ``.txt``, ``.csv`` and ``.toml`` are text: UTF-8 or GB18030, no NUL byte, and not HTML, SVG
  or XML markup at the start (what a browser would sniff as a page).

Signatures are read by ``puremagic`` (pure Python, no libmagic). An extension configured in
the allow-list but not named here is accepted when ``puremagic`` finds a signature of that
extension at the start of the file, and refused otherwise.
"""

from __future__ import annotations

import codecs
import os
import re

import puremagic
from django.utils.translation import gettext_lazy as _

from .errors import DomainError

# puremagic's names for the signatures each extension may start with.
_ZIP = frozenset({".zip"})
_OLE2 = frozenset({".doc", ".xls", ".ppt"})  # every D0 CF 11 E0 file is reported under these names
SIGNATURES: dict[str, frozenset[str]] = {
    ".pdf": frozenset({".pdf"}),
    ".png": frozenset({".png"}),
    ".jpg": frozenset({".jpg"}),
    ".jpeg": frozenset({".jpg"}),
    ".zip": _ZIP,
    ".docx": _ZIP,
    ".xlsx": _ZIP,
    ".pptx": _ZIP,
    ".doc": _OLE2,
    ".xls": _OLE2,
    ".ppt": _OLE2,
    ".wps": _OLE2,
    ".et": _OLE2,
    ".dps": _OLE2,
}
TEXT_EXTENSIONS = frozenset({".txt", ".csv", ".toml"})

# Enough for every signature puremagic knows that sits at the start of a file.
HEAD_BYTES = 64 * 1024
# The markup a browser sniffs as HTML (WHATWG MIME Sniffing, "identifying a resource with an
# unknown MIME type"), plus SVG and XML, after a byte order mark and white space.
_MARKUP = re.compile(
    r"\s*<(?:!doctype\s+html|html|head|body|script|iframe|h1|div|font|table|a|style|title|b|br|p"
    r"|svg|img|object|embed|meta|link|math|\?xml|!--)(?:[\s/>]|$)",
    re.IGNORECASE,
)
_TEXT_ENCODINGS = ("utf-8-sig", "gb18030")

ERR_CONTENT = _("The content of “%(name)s” does not match its extension %(ext)s; it cannot be uploaded.")


def extension_of(name: str) -> str:
    return os.path.splitext(name or "")[1].lower()


def _chunks(upload):
    if hasattr(upload, "seek"):
        upload.seek(0)
    if hasattr(upload, "chunks"):
        yield from upload.chunks()
    else:
        while chunk := upload.read(HEAD_BYTES):
            yield chunk
    if hasattr(upload, "seek"):
        upload.seek(0)


def _head(upload) -> bytes:
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    return head


def _signatures(head: bytes) -> set[str]:
    """puremagic's names for the signatures found at the start of ``head``."""
    if not head:
        return set()
    try:
        matches = puremagic.magic_string(head)
    except puremagic.PureError:
        return set()
    # Only signatures at the start: a trailing one (a ZIP directory appended to a page) does
    # not make the file what its name says.
    return {m.extension.lower() for m in matches if m.offset >= 0}


def is_text(upload) -> bool:
    """UTF-8 or GB18030 text without NUL bytes that does not start as markup."""
    decoders = {name: codecs.getincrementaldecoder(name)() for name in _TEXT_ENCODINGS}
    start = {name: "" for name in _TEXT_ENCODINGS}
    for chunk in _chunks(upload):
        if b"\x00" in chunk:
            return False
        for name in list(decoders):
            try:
                text = decoders[name].decode(chunk)
            except UnicodeDecodeError:
                del decoders[name]
                continue
            if len(start[name]) < 1024:
                start[name] += text[:1024]
        if not decoders:
            return False
    for name, decoder in list(decoders.items()):
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            del decoders[name]
    if not decoders:
        return False
    # UTF-8 is tried first: it is what the file is when both decodings succeed.
    return not _MARKUP.match(start[next(iter(decoders))])


def content_matches(upload, ext: str) -> bool:
    """Whether the bytes of ``upload`` are of the kind its extension ``ext`` (".pdf") names."""
    ext = ext.lower()
    if ext in TEXT_EXTENSIONS:
        return is_text(upload)
    found = _signatures(_head(upload))
    return bool(found & SIGNATURES.get(ext, frozenset({ext})))


def check_content(upload, *, name: str, field: str = "file") -> None:
    """Refuse ``upload`` (DomainError ``file_content`` on ``field``) when its bytes are not
    of the kind its name's extension says."""
    ext = extension_of(name)
    if not content_matches(upload, ext):
        raise DomainError(ERR_CONTENT, code="file_content", field=field, params={"name": name, "ext": ext})
