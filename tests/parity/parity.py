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
for ext in ("csv", "parquet"):
    log.write_customers(out / f"customers-python.{ext}", as_of=as_of)

# LTV: calibration to 1997-09-30, 39-week holdout to 1998-06-30 (the FHL 2005 split), BG/NBD
# fitted on the summary, predictions, holdout evaluation. (No Gamma-Gamma: CDNOW has $0 orders,
# so some repeat buyers have a zero mean spend, which the spend model rejects.)
s = kokyaku.calibration_summary(log, calibration_end="1997-09-30", holdout_end="1998-06-30", frame="dict")
data = {k: s[k] for k in ("x", "t_x", "T")}
bg = kokyaku.BgNbd().fit(data, progress=False)
pred = bg.predict(data, horizon=39.0, frame="dict")
ev = kokyaku.evaluate_holdout(bg.conditional_expected_purchases(data, horizon=39.0), s["holdout_purchases"])
ltv = {"summary": s, "fit": bg.fit_json, "predict": pred, "evaluate": ev}
(out / "ltv-python.json").write_text(json.dumps(ltv), encoding="utf-8")
