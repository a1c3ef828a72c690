"""The README's Python API example runs as written (in a scratch folder with a copy of seeds/; extractive backend)."""

from __future__ import annotations

import re
import shutil

from conftest import ROOT, SEEDS


def python_examples() -> list[str]:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    return [b for b in blocks if "from assistant import" in b]


def test_readme_python_api_example_runs(tmp_path, monkeypatch, capsys):
    (example,) = python_examples()
    shutil.copytree(SEEDS, tmp_path / "seeds")
    monkeypatch.chdir(tmp_path)
    exec(compile(example, "README.md", "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out.splitlines()
    added = out[0]
    assert re.fullmatch(r"\['[0-9a-f]{16}'\] \d+ \[\]", added)
    doc_id = added.split("'")[1]
    # the answer cites (passages are numbered in document order: the fact's passage need not be [1]), and its
    # citation is the seed article
    assert doc_id in out[1] and re.search(r"\[\d+\]", out[1])
    assert out[-1].startswith(f"['{doc_id}', '{doc_id}'] President Joe Biden")
    assert (tmp_path / "news-index" / "chroma").is_dir()
