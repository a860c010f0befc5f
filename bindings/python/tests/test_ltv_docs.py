"""The Python examples of the LTV docs run (docs/ltv-bindings.md, docs/python-from-lifetimes.md)."""

import os
import re

import pytest

from conftest import REPO

DOCS = ["ltv-bindings.md", "python-from-lifetimes.md"]


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
