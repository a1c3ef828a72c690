"""PDF (pypdf) and Word .docx (python-docx) files: their text, and the title, author and date their metadata holds."""

from __future__ import annotations

from datetime import datetime

import pytest

from assistant.errors import InputError
from assistant.ingest.load import load_file, load_paths

BODY = [
    "Over 10,000 North Korean troops have reportedly joined Russian forces in Kursk.",
    "The ATACMS has a range of approximately 190 miles.",
]


def make_pdf(path, lines, title=None, created=None):
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    ops = "BT /F1 11 Tf 14 TL 72 720 Td " + " ".join(f"({line}) Tj T*" for line in lines) + " ET"
    content = DecodedStreamObject()
    content.set_data(ops.encode("latin-1"))
    page[NameObject("/Contents")] = writer._add_object(content)
    meta = {}
    if title:
        meta["/Title"] = title
    if created:
        meta["/CreationDate"] = created
    if meta:
        writer.add_metadata(meta)
    with open(path, "wb") as f:
        writer.write(f)
    return path


def make_docx(path, paragraphs, title="", created=None, heading=None):
    import docx

    document = docx.Document()
    if heading:
        document.add_heading(heading, level=1)
    for p in paragraphs:
        document.add_paragraph(p)
    document.core_properties.title = title
    document.core_properties.created = created or datetime(2000, 1, 1)
    document.save(str(path))
    return path


def test_pdf_text_title_and_date(tmp_path):
    (doc,) = load_file(make_pdf(tmp_path / "report.pdf", BODY, title="Troops in Kursk", created="D:20241118093000Z"))
    assert doc.title == "Troops in Kursk" and doc.published_at.startswith("2024-11-18")
    assert "10,000 North Korean troops" in doc.text and "190 miles" in doc.text


def test_pdf_without_metadata_takes_its_first_line_as_title(tmp_path):
    (doc,) = load_file(make_pdf(tmp_path / "bare.pdf", BODY))
    assert doc.title == BODY[0] and doc.published_at == ""


@pytest.mark.parametrize("data, words", [(b"%PDF-1.4 not really", "not a readable PDF"), (None, "no text layer")])
def test_bad_pdf_is_one_line(tmp_path, data, words):
    p = tmp_path / "bad.pdf"
    if data is None:
        make_pdf(p, [])
    else:
        p.write_bytes(data)
    with pytest.raises(InputError) as err:
        load_file(p)
    assert str(p) in str(err.value) and words in str(err.value) and "\n" not in str(err.value)


def test_docx_text_title_and_date(tmp_path):
    p = make_docx(tmp_path / "memo.docx", BODY, title="Kursk memo", created=datetime(2024, 11, 19, 8, 0))
    (doc,) = load_file(p)
    assert doc.title == "Kursk memo" and doc.published_at.startswith("2024-11-19")
    assert doc.text.splitlines() == BODY


def test_docx_heading_is_the_title_when_no_title_property(tmp_path):
    (doc,) = load_file(make_docx(tmp_path / "h.docx", BODY, heading="Troops mass in Kursk"))
    assert doc.title == "Troops mass in Kursk"


def test_bad_docx_is_one_line(tmp_path):
    p = tmp_path / "broken.docx"
    p.write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(InputError) as err:
        load_file(p)
    assert str(p) in str(err.value) and "not a readable Word .docx file" in str(err.value)


def test_pdf_and_docx_in_a_directory_are_loaded(tmp_path):
    make_pdf(tmp_path / "a.pdf", BODY, title="A")
    make_docx(tmp_path / "b.docx", BODY, title="B")
    (tmp_path / "c.odt").write_bytes(b"PK")
    result = load_paths([tmp_path])
    assert sorted(d.title for d in result.documents) == ["A", "B"] and result.errors == []
    assert result.unsupported == [tmp_path / "c.odt"]
