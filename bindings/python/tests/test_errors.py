import pytest

import kokyaku
from kokyaku import exceptions


def test_version():
    assert kokyaku.__version__.count(".") == 2


def test_panic_is_an_exception():
    with pytest.raises(kokyaku.PanicError) as info:
        kokyaku._debug_panic("boom")
    assert info.value.code == "panic"
    assert "boom" in str(info.value)
    assert isinstance(info.value, RuntimeError)
    # The interpreter survives and the module keeps working.
    assert kokyaku.__version__


def test_error_table_matches_classes_and_docs(repo_root):
    doc = (repo_root / "docs" / "errors.md").read_text(encoding="utf-8")
    for code, cls_name in kokyaku._kokyaku._error_table():
        cls = getattr(exceptions, cls_name)
        assert issubclass(cls, kokyaku.KokyakuError)
        assert f"`{code}`" in doc, code
        assert f"`{cls_name}`" in doc, cls_name


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (kokyaku.InvalidInputError, ValueError),
        (kokyaku.InvalidOptionError, ValueError),
        (kokyaku.KokyakuIOError, OSError),
        (kokyaku.UnsupportedError, NotImplementedError),
        (kokyaku.FitFailedError, RuntimeError),
        (kokyaku.PanicError, RuntimeError),
    ],
)
def test_leaves_inherit_builtins(cls, builtin):
    e = cls("message", "some_code")
    assert isinstance(e, builtin)
    assert isinstance(e, kokyaku.KokyakuError)
    assert e.code == "some_code"
    assert str(e) == "message"
