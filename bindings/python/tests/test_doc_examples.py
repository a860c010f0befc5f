"""Every public function and class of the package carries a runnable example in its docstring,
and every module's examples run (doctest), so ``help()`` shows code that works. The stubs of
the compiled module are checked in test_types.py."""

import doctest
import importlib
import inspect

import pytest

import kokyaku

MODULES = [
    "kokyaku",
    "kokyaku._log",
    "kokyaku._ltv",
    "kokyaku._book",
    "kokyaku._campaign",
    "kokyaku._segment",
    "kokyaku._loyalty",
    "kokyaku.exceptions",
    "kokyaku.plot",
]


def public():
    import kokyaku.plot

    for mod in (kokyaku, kokyaku.plot):
        for name in mod.__all__:
            obj = getattr(mod, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                yield f"{mod.__name__}.{name}", obj


def test_every_public_function_and_class_has_an_example():
    names = list(public())
    assert len(names) > 50
    missing = [n for n, obj in names if ">>>" not in (obj.__doc__ or "")]
    assert not missing, f"no example in the docstring of {missing}"


@pytest.mark.parametrize("name", MODULES)
def test_module_examples_run(name):
    if name == "kokyaku.plot":
        pytest.importorskip("matplotlib", reason="matplotlib (the kokyaku[plot] extra) is not installed")
    pytest.importorskip("pandas", reason="some examples build a pandas frame")
    r = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert r.failed == 0, f"{r.failed} of {r.attempted} examples failed in {name}"
    if name != "kokyaku":
        assert r.attempted > 0, f"no examples in {name}"
