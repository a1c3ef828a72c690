"""Plain text and Markdown files: the first line (or the first ``# heading``) is the title, and the date of a
dateline opening the text is the article's."""

from __future__ import annotations

from assistant.ingest.load import load_file


def one(path):
    (doc,) = load_file(path)
    return doc


def test_plain_text_title_is_first_line_and_stays_in_body(tmp_path):
    p = tmp_path / "story.txt"
    p.write_text("Floods close mountain pass\n\nHeavy rain closed the Brenner pass for six hours on Monday.\n")
    doc = one(p)
    assert doc.title == "Floods close mountain pass"
    assert doc.text.startswith("Floods close mountain pass")
    assert "closed the Brenner pass for six hours" in doc.text
    assert doc.path == str(p)


def test_long_first_line_gives_a_shortened_title(seed_file, seed_text):
    doc = one(seed_file)
    first_line = seed_text.splitlines()[0]
    assert len(first_line) > 200  # the seed opens with a long paragraph, not a headline
    assert len(doc.title) < 200
    assert first_line.startswith(doc.title.rstrip("…"))
    assert "190 miles" in doc.text and "50,000 Russian troops" in doc.text


def test_markdown_heading_is_title_and_leaves_body(tmp_path):
    p = tmp_path / "note.md"
    p.write_text("# Council approves budget\n\nThe council approved a 4.2 million budget.\n\nIt passed 7 to 2.\n")
    doc = one(p)
    assert doc.title == "Council approves budget"
    assert "# Council approves budget" not in doc.text
    assert "approved a 4.2 million budget" in doc.text and "passed 7 to 2" in doc.text


def test_markdown_heading_after_a_first_line(tmp_path):
    p = tmp_path / "note.markdown"
    p.write_text("Posted Tuesday\n# Wind farm opens offshore\nThe turbines deliver 600 megawatts.\n")
    doc = one(p)
    assert doc.title == "Wind farm opens offshore"
    assert "600 megawatts" in doc.text


def test_utf8_bom_is_not_part_of_the_title(tmp_path):
    p = tmp_path / "bom.txt"
    p.write_bytes("\ufeffBOM headline\nBody text about the river.\n".encode("utf-8"))
    assert one(p).title == "BOM headline"


def test_a_text_file_with_a_dateline_gets_its_date(tmp_path):
    p = tmp_path / "wire.txt"
    p.write_text("Troops mass in Kursk\nKYIV, 18 November 2024 — Over 10,000 North Korean troops joined.\n")
    # the first line is the title; the dateline is the body's first line after it
    assert load_file(p)[0].published_at == "2024-11-18"
