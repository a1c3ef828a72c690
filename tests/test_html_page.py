"""Saved HTML pages: the readable article text, its title, and the metadata its <meta> tags give."""

from __future__ import annotations

import pytest

from assistant.errors import InputError
from assistant.ingest.load import load_file


def one(path):
    (doc,) = load_file(path)
    return doc


HTML = """<!doctype html>
<html><head><title>Kursk &amp; beyond: Biden&#039;s call</title>
<style>.headline { color: red }</style>
<script>var tracker = "SCRIPT_SECRET";</script></head>
<body><nav>Home | World | NAVLINK</nav>
<article><h1>Missiles approved</h1>
<p>Ukraine may use <b>ATACMS</b> with a range of about 190 miles.</p>
<p>North Korean troops joined Russian forces.</p>
<script>document.write("INLINE_SCRIPT")</script></article>
<footer>Copyright FOOTERTEXT</footer></body></html>
"""


def test_html_markup_stripped_title_kept_script_gone(tmp_path):
    p = tmp_path / "page.html"
    p.write_text(HTML)
    doc = one(p)
    assert doc.title == "Kursk & beyond: Biden's call"
    assert "Ukraine may use ATACMS with a range of about 190 miles." in doc.text
    assert "North Korean troops joined Russian forces." in doc.text
    for gone in ("SCRIPT_SECRET", "INLINE_SCRIPT", "color: red", "<p>", "<b>", "NAVLINK", "FOOTERTEXT"):
        assert gone not in doc.text


def test_html_without_title_uses_h1_or_file_name(tmp_path):
    p = tmp_path / "plain.htm"
    p.write_text("<html><body><h1>Only a heading</h1><p>And a paragraph of text.</p></body></html>")
    assert one(p).title == "Only a heading"
    q = tmp_path / "bare-page.html"
    q.write_text("<html><body><div>Just some text in a div.</div></body></html>")
    doc = one(q)
    assert doc.title == "bare-page"
    assert doc.text == "Just some text in a div."


def test_html_with_no_readable_text_is_an_input_error(tmp_path):
    p = tmp_path / "empty.html"
    p.write_text("<html><head><script>var x = 1;</script></head><body></body></html>")
    with pytest.raises(InputError) as err:
        load_file(p)
    assert str(p) in str(err.value) and "\n" not in str(err.value)


SAVED_PAGE = """<!doctype html><html><head>
<meta charset="utf-8"><title>Troops mass in Kursk | The Daily Wire Service</title>
<meta property="og:title" content="Troops mass in Kursk">
<meta property="og:site_name" content="The Daily Wire Service">
<meta property="article:published_time" content="2024-11-18T09:30:00Z">
<meta name="author" content="A. Reporter">
<link rel="canonical" href="https://example.com/kursk">
<script>var tracking = "Do not index this script text";</script><style>p {color: red}</style>
</head><body><nav><a href="/">Home</a> | <a href="/world">World</a></nav>
<article><h1>Troops mass in Kursk</h1><p>Over 10,000 North Korean troops have reportedly joined Russian forces in
Kursk.</p><p>Nearly 50,000 Russian troops have massed in the area.</p></article>
<footer>Copyright The Daily Wire Service</footer></body></html>"""


def test_a_saved_html_page_keeps_the_article_and_its_metadata(tmp_path):
    p = tmp_path / "Troops mass in Kursk.html"
    p.write_text(SAVED_PAGE, encoding="utf-8")
    (doc,) = load_file(p)
    assert doc.title == "Troops mass in Kursk"
    assert (doc.source, doc.published_at, doc.author, doc.url) == (
        "The Daily Wire Service",
        "2024-11-18T09:30:00Z",
        "A. Reporter",
        "https://example.com/kursk",
    )
    assert "50,000 Russian troops" in doc.text
    assert "tracking" not in doc.text and "Home" not in doc.text and "Copyright" not in doc.text


def test_html_time_element_gives_the_date(tmp_path):
    p = tmp_path / "t.html"
    p.write_text('<title>T</title><article><time datetime="2024-03-02">2 March</time><p>Body text here.</p></article>')
    assert load_file(p)[0].published_at == "2024-03-02"
