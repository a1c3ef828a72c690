"""The package as a user gets it: build the wheel from a copy of the sources, install it into a fresh venv, and run
`ingest` + `ask --llm extractive` from a folder outside the checkout. Nothing is downloaded: the wheel is built without
build isolation (setuptools is a dev dependency) and installed with --no-deps; the fresh venv sees this venv's
dependencies through a .pth line (which does not run this venv's own .pth files, so the checkout stays invisible).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from _servers import clean_env
from conftest import ROOT, SEED_FILE

pytestmark = pytest.mark.package

RANGE_Q = "What is the range of the ATACMS?"


def run(cmd, cwd, env=None, timeout=300):
    r = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"{cmd}\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
    return r


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("package")
    src = tmp / "src"  # a copy: building writes build/ and *.egg-info beside the sources
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    for name in ("assistant", "prompts", "evals"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env = clean_env()
    env.pop("PYTHONPATH", None)
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            tmp / "dist",
            src,
        ],
        cwd=tmp,
        env=env,
    )
    (wheel,) = (tmp / "dist").glob("*.whl")
    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp, env=env)
    python = venv / "bin" / "python"
    run(
        [sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel],
        cwd=tmp,
        env=env,
    )
    site = Path(
        run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp, env).stdout.strip()
    )
    (site / "_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return wheel, venv, site, env


def test_wheel_holds_the_package_data_and_metadata(installed):
    wheel = installed[0]
    assert wheel.name.startswith("newsqa_assistant-0.1.0-py3-none-any")
    names = set(zipfile.ZipFile(wheel).namelist())
    for prompt in (ROOT / "prompts").iterdir():
        assert f"assistant/_data/prompts/{prompt.name}" in names
    assert "assistant/_data/evals/claims.jsonl" in names and "assistant/_data/evals/seed.jsonl" not in names
    # every module of the source tree (setuptools is given the packages by name: a new folder must be listed)
    modules = {str(p.relative_to(ROOT)) for p in (ROOT / "assistant").rglob("*.py")}
    assert modules - names == set() and "assistant/interfaces/server/app.py" in names
    meta = zipfile.ZipFile(wheel).read("newsqa_assistant-0.1.0.dist-info/METADATA").decode()
    assert "Name: newsqa-assistant" in meta and "License-Expression: Apache-2.0" in meta
    assert (
        "Provides-Extra: local" in meta and 'Requires-Dist: llama-cpp-python[server]==0.3.36; extra == "local"' in meta
    )
    assert "newsqa_assistant-0.1.0.dist-info/licenses/LICENSE" in names


def test_installed_wheel_ingests_and_answers_from_any_folder(installed, tmp_path):
    _, venv, site, env = installed
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(SEED_FILE, elsewhere / "article.txt")
    env = dict(
        env,
        ASSISTANT_DATA_DIR=str(tmp_path / "data"),
        ASSISTANT_CACHE_DIR=str(tmp_path / "cache"),
        ASSISTANT_CONFIG=str(tmp_path / "absent.toml"),
    )
    where = run(
        [
            venv / "bin" / "python",
            "-c",
            "import assistant, assistant.resources as r; "
            "print(assistant.__file__); print(r.prompts_dir()); print(r.claims_file())",
        ],
        elsewhere,
        env,
    )
    module, prompts, claims = where.stdout.split()
    assert all(Path(p).is_relative_to(site) for p in (module, prompts, claims))
    assert (Path(prompts) / "REFUSAL.txt").read_text().strip() == "Insufficient information."

    r = run([venv / "bin" / "assistant", "ingest", "article.txt"], elsewhere, env)
    assert r.stdout.startswith("1 added")
    r = run([venv / "bin" / "assistant", "ask", RANGE_Q, "--llm", "extractive", "--json"], elsewhere, env)
    answer = json.loads(r.stdout)
    assert "190 miles" in answer["answer"] and answer["citations"] and answer["model"] == "extractive"
    r = run([venv / "bin" / "python", "-m", "assistant", "--help"], elsewhere, env)
    assert "serve" in r.stdout and "mcp" in r.stdout
