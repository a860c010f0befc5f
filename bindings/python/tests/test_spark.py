"""docs/spark.md's example runs in Spark local mode and gives the single-process numbers.

`make test` installs a JRE and pyspark (ci/install-tools.sh, ci/requirements-dev.txt), so it runs
there. It skips, saying why, only where Java is absent, or in a venv without pyspark (outside
`make test`: `pip install pyspark pyarrow pandas` and the kokyaku wheel)."""

import re
import shutil

import pytest

from conftest import REPO

if shutil.which("java") is None:
    pytest.skip("Java is absent: Spark local mode needs a JVM; the Spark example did not run", allow_module_level=True)
pytest.importorskip("pyspark", reason="pyspark is not installed in this venv (make test installs it; see docs/spark.md); the Spark example did not run")


def test_spark_example_matches_one_process():
    text = (REPO / "docs" / "spark.md").read_text(encoding="utf-8")
    (code,) = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    ns = {"__name__": "spark_doc"}
    try:
        exec(compile(code, "docs/spark.md", "exec"), ns)
        a, b = ns["spark_scores"], ns["local"]
        assert list(a["customer_id"]) == list(b["customer_id"]) and len(a) > 250
        for k, v in ns["one_fit"].params.items():
            assert abs(ns["bg"].params[k] - v) <= 1e-9 * abs(v), (k, ns["bg"].params, ns["one_fit"].params)
        for col in ("p_alive", "expected_purchases"):
            assert max(abs(x - y) for x, y in zip(a[col], b[col])) < 1e-9, col
    finally:
        if "spark" in ns:
            ns["spark"].stop()
