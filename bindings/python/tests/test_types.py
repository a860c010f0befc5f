"""The shipped type stubs match the compiled module, and the package is marked typed."""

import ast
import inspect
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


def stub_params(fn):
    return [a.arg for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs if a.arg != "self"]


def real_params(obj):
    return [p for p in inspect.signature(obj).parameters if p != "self"]


def test_stub_parameters_match_the_module():
    """Parameter names and order of every stubbed function and method, against the compiled
    module's signatures (PyO3 exports them as __text_signature__)."""
    tree = ast.parse((PKG / "_kokyaku.pyi").read_text(encoding="utf-8"))
    wrong = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            if stub_params(node) != real_params(getattr(_kokyaku, node.name)):
                wrong.append((node.name, stub_params(node), real_params(getattr(_kokyaku, node.name))))
        elif isinstance(node, ast.ClassDef):
            cls = getattr(_kokyaku, node.name)
            for m in node.body:
                if not isinstance(m, ast.FunctionDef) or any(getattr(d, "id", None) == "property" for d in m.decorator_list):
                    continue
                got = real_params(getattr(cls, m.name))
                if stub_params(m) != got:
                    wrong.append((f"{node.name}.{m.name}", stub_params(m), got))
    assert not wrong, wrong


def test_py_typed_is_shipped():
    assert (PKG / "py.typed").exists()
