"""Load PDF (pypdf) and Word .docx (python-docx) files: their text, and the title, author and date that the file's own
metadata holds (a PDF's document info, a .docx file's core properties). Registered by suffix in ``readers.READERS``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ..errors import InputError
from ..text.dates import dateline_date
from .documents import make_document
from ..types import Document


def _iso(value) -> str:
    return value.isoformat() if isinstance(value, datetime) else ""


def _title_from(text: str, fallback: str) -> str:
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), fallback)
    return first if len(first) <= 200 else first[:120].rsplit(" ", 1)[0] + "…"


def pdf_documents(path: Path, max_unzipped_mb: float = 0) -> list[Document]:
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings ("EOF marker not found") are not ours to print
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise InputError(f"{path}: the PDF is encrypted; save an unencrypted copy and ingest that")
        text = "\n".join((page.extract_text() or "").strip() for page in reader.pages).strip()
        info = reader.metadata
    except InputError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as err:
        raise InputError(
            f"{path}: not a readable PDF ({str(err).splitlines()[0] if str(err) else type(err).__name__});"
            " check the file opens in a PDF viewer"
        ) from None
    if not text:
        raise InputError(f"{path}: the PDF has no text layer (a scan?); run OCR on it or ingest the text instead")
    title = (info.title or "").strip() if info else ""
    try:
        created = _iso(info.creation_date) if info else ""
    except (ValueError, TypeError):  # a malformed /CreationDate is no reason to refuse the text
        created = ""
    record = {"published_at": created or dateline_date(text), "author": (info.author or "") if info else ""}
    return [make_document(path, title or _title_from(text, path.stem), text, record)]


def check_unzipped_size(path: Path, max_unzipped_mb: float) -> None:
    """Refuse a zip-based file (.docx) whose parts would unzip to more than ``max_unzipped_mb`` (a "zip bomb": a few
    hundred KB that unzip to gigabytes), before its library unzips anything. The sizes its directory declares bound
    what Python's zipfile gives (it stops at the declared size and fails the CRC past it)."""
    import zipfile

    if not max_unzipped_mb:
        return
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        raise InputError(
            f"{path}: not a readable Word .docx file ({type(err).__name__}); re-save it as .docx (Word 2007 or later)"
        ) from None
    if total > max_unzipped_mb * 1024 * 1024:
        raise InputError(
            f"{path}: unzips to {total / 1024 / 1024:,.0f} MB, over the {max_unzipped_mb:g} MB limit (a zip bomb?); "
            "save the text on its own, or raise the limit (ASSISTANT_MAX_UNZIPPED_MB)"
        )


def docx_documents(path: Path, max_unzipped_mb: float = 0) -> list[Document]:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import LxmlError

    check_unzipped_size(path, max_unzipped_mb)
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError, LxmlError, zipfile.BadZipFile, EOFError) as err:
        detail = type(err).__name__ + (": malformed XML" if isinstance(err, LxmlError) else "")
        raise InputError(
            f"{path}: not a readable Word .docx file ({detail}); re-save it as .docx (Word 2007 or later)"
        ) from None
    paragraphs = [p for p in document.paragraphs if p.text.strip()]
    text = "\n".join(p.text.strip() for p in paragraphs)
    if not text:
        raise InputError(f"{path}: the document has no text; add text or remove it from the input")
    props = document.core_properties
    heading = next(
        (
            p.text.strip()
            for p in paragraphs
            if (p.style is not None and p.style.name or "").startswith(("Title", "Heading"))
        ),
        "",
    )
    title = (props.title or "").strip() or heading or _title_from(text, path.stem)
    record = {
        "published_at": _iso(props.created) or dateline_date(text),
        "author": props.author or "",
        "category": props.category or "",
    }
    return [make_document(path, title, text, record)]
