"""Python side of the parity test: writes report-python.json and overview-python.json."""

import os
import pathlib

import kokyaku

out = pathlib.Path(os.environ["KOKYAKU_PARITY_OUT"])
log = kokyaku.read_csv(os.environ["KOKYAKU_PARITY_DATA"], delimiter="whitespace")
as_of = os.environ["KOKYAKU_PARITY_AS_OF"]
(out / "report-python.json").write_text(log.report_json(as_of=as_of), encoding="utf-8")
(out / "overview-python.json").write_text(log.overview_json(as_of=as_of), encoding="utf-8")
