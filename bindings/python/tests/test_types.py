"""The shipped type stubs match the compiled module, and the package is marked typed."""

import ast
import pathlib

import kokyaku
from kokyaku import _kokyaku

PKG = pathlib.Path(kokyaku.__file__).resolve().parent


def stub_names():
    tree = ast.parse((PKG / "_kokyaku.pyi").read_text(encoding="utf-8"))
    top, classes = set(), {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            top.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            top.add(node.target.id)
        elif isinstance(node, ast.ClassDef):
            top.add(node.name)
            classes[node.name] = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
    return top, classes


def test_stubs_match_the_module():
    top, classes = stub_names()
    public = {n for n in dir(_kokyaku) if not n.startswith("__") or n == "__version__"}
    assert top == public
    for cls, methods in classes.items():
        real = {n for n in dir(getattr(_kokyaku, cls)) if not n.startswith("_") or n == "__arrow_c_stream__"}
        assert methods == real, cls


def test_py_typed_is_shipped():
    assert (PKG / "py.typed").exists()
