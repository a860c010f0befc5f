"""Python side of the parity test: writes report-python.json and overview-python.json."""

import json
import os
import pathlib

import kokyaku

out = pathlib.Path(os.environ["KOKYAKU_PARITY_OUT"])
log = kokyaku.read_csv(os.environ["KOKYAKU_PARITY_DATA"], delimiter="whitespace")
as_of = os.environ["KOKYAKU_PARITY_AS_OF"]
(out / "report-python.json").write_text(log.report_json(as_of=as_of), encoding="utf-8")
(out / "overview-python.json").write_text(log.overview_json(as_of=as_of), encoding="utf-8")

# LTV: calibration to 1997-09-30, 39-week holdout to 1998-06-30 (the FHL 2005 split), BG/NBD and
# Gamma-Gamma fitted on the summary, predictions with CLV, holdout evaluation.
s = kokyaku.calibration_summary(log, calibration_end="1997-09-30", holdout_end="1998-06-30", frame="dict")
bg = kokyaku.BgNbd().fit(s, progress=False)
gg = kokyaku.GammaGamma().fit(s, progress=False)
pred = bg.predict(s, horizon=39.0, spend=gg, frame="dict")
pred.pop("customer_id")
ev = kokyaku.evaluate_holdout(bg.conditional_expected_purchases(s, horizon=39.0), s["holdout_purchases"])
ltv = {"summary": s, "fit": bg.fit_json, "spend": gg.fit_json, "predict": pred, "evaluate": ev}
(out / "ltv-python.json").write_text(json.dumps(ltv), encoding="utf-8")
