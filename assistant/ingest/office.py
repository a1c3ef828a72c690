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


def pdf_documents(path: Path) -> list[Document]:
    from pypdf import PdfReader
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


def docx_documents(path: Path) -> list[Document]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as err:
        raise InputError(
            f"{path}: not a readable Word .docx file ({type(err).__name__}); re-save it as .docx (Word 2007 or later)"
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
