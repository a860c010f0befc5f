"""The Python examples of the docs run (docs/spark.md's runs in test_spark.py, under Spark)."""

import os
import re

import pytest

from conftest import REPO

DOCS = [
    "ltv-bindings.md",
    "python-from-lifetimes.md",
    "book.md",
    "campaigns.md",
    "segments.md",
]


def blocks(name):
    text = (REPO / "docs" / name).read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


@pytest.mark.parametrize("name", DOCS)
def test_doc_python_examples_run(name, monkeypatch, capsys):
    found = blocks(name)
    assert found, f"no python examples in docs/{name}"
    monkeypatch.chdir(REPO)
    for i, code in enumerate(found):
        exec(compile(code, f"docs/{name}[{i}]", "exec"), {"__name__": f"doc_{i}"})


def test_every_doc_with_python_examples_is_run():
    with_python = {p.name for p in (REPO / "docs").glob("*.md") if "```python" in p.read_text(encoding="utf-8")}
    assert with_python - {"spark.md"} <= set(DOCS), sorted(with_python - set(DOCS) - {"spark.md"})
    assert "```python" not in (REPO / "README.md").read_text(encoding="utf-8"), "run the README's Python too"
