#!/usr/bin/env python3
"""BG/NBD and Gamma-Gamma fits: kokyaku vs lifetimes, in one run on the same summaries.

For each size (simulated order logs of 1e5 and 1e6 orders by `kokyaku simulate`, seed 42, no
subscribers), the script

1. writes the log and its calibration summary with `kokyaku ltv summary` (weeks, calibration to
   the last order day);
2. fits BG/NBD and Gamma-Gamma with kokyaku (`kokyaku ltv fit --summary FILE --format json`;
   the fit itself, with standard errors, is timed in-process and reported as `fit_seconds`, best
   of `--repeat` fits in one process (`kokyaku ltv fit --repeat N`), as lifetimes is timed; the
   whole command by wall clock including process start and reading the CSV) and with lifetimes
   (`BetaGeoFitter().fit`, `GammaGammaFitter().fit`, default settings, timed around the call);
   each side's best of `--repeat` runs is kept;
3. checks that both reach the same log-likelihood (each evaluated with the paper's formula in
   numpy at the returned parameters; kokyaku may be higher when lifetimes stops early, never
   lower by more than 1e-6 per customer) and prints the speed ratios.

P(alive) + CLV over 10M customers is timed by the criterion bench `cargo bench -p
kokyaku-benches --bench ltv` (`ltv/p_alive_plus_clv_10m_customers`).

Setup (once):
    python3 -m venv $HOME/.cache/kokyaku-bench-venv
    $HOME/.cache/kokyaku-bench-venv/bin/pip install 'setuptools<70' numpy==1.26.* scipy==1.11.* \
        pandas==2.2.* lifetimes
Run:
    $HOME/.cache/kokyaku-bench-venv/bin/python benches/ltv_vs_lifetimes.py [--sizes 1e5,1e6]
Environment: KOKYAKU_BIN = path of the `kokyaku` binary (default: build target/release/kokyaku).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import gammaln

ROOT = Path(__file__).resolve().parent.parent


def kokyaku_bin() -> str:
    b = os.environ.get("KOKYAKU_BIN")
    if b:
        return b
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "kokyaku-cli"], cwd=ROOT, check=True)
    return str(ROOT / "target" / "release" / "kokyaku")


def run(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return p.stdout, time.perf_counter() - t0


def simulate(binary, customers, path):
    out, _ = run([binary, "simulate", "--customers", str(customers), "--seed", "42", "--subscription-share", "0",
                  "-o", str(path), "--format", "json"])
    return json.loads(out)["orders"]


def bgnbd_ll(r, alpha, a, b, x, tx, T):
    """Total BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6) in log space."""
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx), -np.inf)
    return float(np.sum(a1 + a2 + np.logaddexp(a3, a4)))


def gg_ll(p, q, g, x, m):
    """Total Gamma-Gamma log-likelihood of the mean repeat value (Fader & Hardie 2013)."""
    px = p * x
    return float(np.sum(gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(g) + (px - 1) * np.log(m)
                        + px * np.log(x) - (px + q) * np.log(g + m * x)))


def kokyaku_fit(binary, model, summary, repeat):
    """In-process fit seconds (best of `repeat` fits in one process, `--repeat`, as lifetimes'
    best of `repeat` calls in this process) and whole-command wall seconds (best of `repeat`
    separate runs, each a cold process reading the CSV)."""
    cmd = [binary, "ltv", "fit", "--model", model, "--summary", str(summary), "--format", "json"]
    out, _ = run(cmd + ["--repeat", str(repeat)])
    best = json.loads(out)
    best_wall = min(run(cmd)[1] for _ in range(repeat))
    return best, best_wall


def best_of(repeat, fn):
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return result, best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1e5,1e6", help="target order counts, comma-separated")
    ap.add_argument("--repeat", type=int, default=3, help="runs per fit; the best time of each side is kept")
    ap.add_argument("--workdir", help="keep the simulated logs and summaries here (default: a temporary directory)")
    args = ap.parse_args()
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    binary = kokyaku_bin()
    rows = []
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(args.workdir or tmp)
        tmp.mkdir(parents=True, exist_ok=True)
        # Orders per customer of the simulator's defaults, from a pilot run.
        pilot = simulate(binary, 20_000, tmp / "pilot.csv") / 20_000
        for size in [float(s) for s in args.sizes.split(",")]:
            customers = max(100, int(round(size / pilot)))
            log = tmp / f"log_{int(size)}.csv"
            orders = simulate(binary, customers, log)
            summary = tmp / f"summary_{int(size)}.csv"
            run([binary, "ltv", "summary", str(log), "--time-unit", "weeks", "-o", str(summary)])
            df = pd.read_csv(summary)
            x, tx, T, m = (df[c].to_numpy(float) for c in ("frequency", "recency", "T", "monetary_value"))
            label = f"{orders:,} orders / {len(df):,} customers"

            # BG/NBD
            k, k_wall = kokyaku_fit(binary, "bg-nbd", summary, args.repeat)
            kp = k["params"]
            k_ll = bgnbd_ll(kp["r"], kp["alpha"], kp["a"], kp["b"], x, tx, T)
            bgf, l_secs = best_of(args.repeat, lambda: BetaGeoFitter(penalizer_coef=0.0).fit(df["frequency"], df["recency"], df["T"]))
            lp = bgf.params_
            l_ll = bgnbd_ll(lp["r"], lp["alpha"], lp["a"], lp["b"], x, tx, T)
            rows.append(("BG/NBD", label, k["fit_seconds"], k_wall, l_secs, k_ll, l_ll))

            # Gamma-Gamma on repeat buyers
            k, k_wall = kokyaku_fit(binary, "gamma-gamma", summary, args.repeat)
            kp = k["params"]
            rep = x > 0
            k_ll = gg_ll(kp["p"], kp["q"], kp["gamma"], x[rep], m[rep])
            ggf, l_secs = best_of(args.repeat, lambda: GammaGammaFitter(penalizer_coef=0.0).fit(df["frequency"][rep], df["monetary_value"][rep]))
            lp = ggf.params_
            l_ll = gg_ll(lp["p"], lp["q"], lp["v"], x[rep], m[rep])
            rows.append(("Gamma-Gamma", label, k["fit_seconds"], k_wall, l_secs, k_ll, l_ll))

    print(f"{'model':<12} {'data':<36} {'kokyaku fit s':>13} {'kokyaku cmd s':>13} {'lifetimes s':>11} "
          f"{'ratio fit':>9} {'ratio cmd':>9} {'LL kokyaku':>15} {'LL lifetimes':>15}")
    for name, label, kf, kw, ls, kll, lll in rows:
        print(f"{name:<12} {label:<36} {kf:>13.4f} {kw:>13.3f} {ls:>11.3f} {ls / kf:>8.0f}x {ls / kw:>8.1f}x "
              f"{kll:>15.4f} {lll:>15.4f}")
        n = float(label.split("/")[1].split()[0].replace(",", ""))
        if kll < lll - 1e-6 * n:
            print(f"  !! kokyaku's log-likelihood is below lifetimes' by {lll - kll:.6f}")
            ok = False
        elif abs(kll - lll) > 1e-3:
            print(f"  note: log-likelihoods differ by {kll - lll:+.6f} (kokyaku higher: lifetimes stopped early)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
