//! `kokyaku ltv` end to end: saved fits (`fit -o`, `predict --params`), holdout evaluation on
//! the CDNOW sample (`ltv evaluate`), and covariates from summary columns.

mod common;

use std::fmt::Write;
use std::path::PathBuf;

use common::{json_ok as json, kokyaku, stdout_ok as ok};
use kokyaku::ltv::{BgNbd, CalibrationOptions, PurchaseModel, TimeUnit, calibration_from_log};
use kokyaku::simulate::{SimOptions, end_date, simulate_log};

fn shared(rel: &str) -> String {
    format!(
        "{}/../../../shared/data/cdnow/{rel}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn tmp(name: &str) -> PathBuf {
    common::scratch("ltv-cli", name)
}

/// Exit 2, one line `kokyaku: error [code]: ...` on stderr.
fn fails_with(args: &[&str], code: &str) -> String {
    let o = kokyaku(args);
    assert_eq!(o.status.code(), Some(2), "{args:?}");
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains(&format!("[{code}]")), "{args:?}: {err}");
    err
}

/// A CSV as a header and rows of cells.
fn csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = text.lines();
    let h = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    (
        h,
        lines
            .map(|l| l.split(',').map(str::to_owned).collect())
            .collect(),
    )
}

fn num(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn fit_saves_json_and_predict_params_reproduces_the_refit() {
    let summary = shared("cdnow_customers_summary_with_transactions.csv");
    let saved = tmp("bg.json");
    let printed = json(&kokyaku(&[
        "ltv",
        "fit",
        "--model",
        "bg-nbd",
        "--summary",
        &summary,
        "--format",
        "json",
        "-o",
        saved.to_str().unwrap(),
    ]));
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    // The file is what --format json prints (up to the timing).
    for key in [
        "model",
        "params",
        "std_errors",
        "log_likelihood",
        "time_unit",
    ] {
        assert_eq!(file[key], printed[key], "{key}");
    }
    // Spend from a saved Gamma-Gamma fit too.
    let gg = tmp("gg.json");
    ok(&kokyaku(&[
        "ltv",
        "fit",
        "--model",
        "gamma-gamma",
        "--summary",
        &summary,
        "-o",
        gg.to_str().unwrap(),
    ]));
    let refit = ok(&kokyaku(&["ltv", "predict", "--summary", &summary]));
    let from_file = ok(&kokyaku(&[
        "ltv",
        "predict",
        "--params",
        saved.to_str().unwrap(),
        "--spend-params",
        gg.to_str().unwrap(),
        "--summary",
        &summary,
    ]));
    let (h1, r1) = csv(&refit);
    let (h2, r2) = csv(&from_file);
    assert_eq!(h1, h2);
    assert!(h1.iter().any(|c| c.starts_with("clv_")), "{h1:?}");
    assert_eq!(r1.len(), 2357);
    for (a, b) in r1.iter().zip(&r2) {
        for ((x, y), col) in a.iter().zip(b).zip(&h1) {
            match (x.parse::<f64>(), y.parse::<f64>()) {
                (Ok(u), Ok(v)) => assert!(
                    (u - v).abs() <= 1e-12 * u.abs().max(1.0),
                    "{col}: {u} vs {v}"
                ),
                _ => assert_eq!(x, y, "{col}"),
            }
        }
    }
    // --model agreeing with the file is fine.
    ok(&kokyaku(&[
        "ltv",
        "predict",
        "--model",
        "bg-nbd",
        "--params",
        saved.to_str().unwrap(),
        "--summary",
        &summary,
    ]));
}

#[test]
fn predict_params_errors_are_typed() {
    let summary = shared("cdnow_customers_summary.csv");
    let saved = tmp("bg-errors.json");
    ok(&kokyaku(&[
        "ltv",
        "fit",
        "--model",
        "bg-nbd",
        "--summary",
        &summary,
        "-o",
        saved.to_str().unwrap(),
    ]));
    let s = saved.to_str().unwrap();
    let predict = |extra: &[&str]| -> Vec<String> {
        ["ltv", "predict", "--summary", summary.as_str()]
            .iter()
            .chain(extra)
            .map(|v| (*v).to_owned())
            .collect()
    };
    let run = |args: Vec<String>, code: &str| {
        fails_with(&args.iter().map(String::as_str).collect::<Vec<_>>(), code)
    };
    let e = run(
        predict(&["--params", s, "--model", "pareto-nbd"]),
        "invalid_option",
    );
    assert!(e.contains("bg-nbd fit"), "{e}");
    let e = run(
        predict(&["--params", s, "--time-unit", "days"]),
        "invalid_option",
    );
    assert!(e.contains("weeks"), "{e}");
    let write = |name: &str, text: &str| {
        let p = tmp(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let missing = write(
        "missing.json",
        r#"{"model": "bg-nbd", "params": {"r": 0.24}}"#,
    );
    let e = run(predict(&["--params", &missing]), "invalid_option");
    assert!(e.contains("bg-nbd.alpha"), "{e}");
    let negative = write(
        "negative.json",
        r#"{"model": "pareto-nbd", "params": {"r": 0.5, "alpha": 10, "s": -1, "beta": 11}}"#,
    );
    run(predict(&["--params", &negative]), "invalid_option");
    let null = write(
        "null.json",
        r#"{"model": "bg-nbd", "params": {"r": null, "alpha": 4, "a": 0.8, "b": 2.4}}"#,
    );
    run(predict(&["--params", &null]), "invalid_option");
    let spend = write(
        "spend.json",
        r#"{"model": "gamma-gamma", "params": {"p": 6, "q": 3.7, "gamma": 15}}"#,
    );
    run(predict(&["--params", &spend]), "invalid_option");
    run(
        predict(&["--params", s, "--spend-params", s]),
        "invalid_option",
    );
    let unknown = write("unknown.json", r#"{"model": "nbd", "params": {}}"#);
    run(predict(&["--params", &unknown]), "invalid_option");
    let not_json = write("not.json", "r = 0.24");
    run(predict(&["--params", &not_json]), "malformed_input");
    let no_model = write("nomodel.json", r#"{"params": {"r": 0.24}}"#);
    run(predict(&["--params", &no_model]), "malformed_input");
    run(predict(&["--params", "/no/such/fit.json"]), "io_error");
}

/// The CDNOW 1/10 sample order file (Fader, Hardie & Lee 2005a, "Counting your customers the
/// easy way", Marketing Science 24(2)): 2,357 customers, calibration 1997-01-01..1997-09-30
/// (39 weeks), holdout to 1998-06-30 (weeks 40-78).
fn sample_args() -> Vec<String> {
    [
        &shared("CDNOW_sample.txt"),
        "--delimiter",
        "whitespace",
        "--no-header",
        "--customer-col",
        "2",
        "--time-col",
        "3",
        "--amount-col",
        "5",
        "--time-format",
        "%Y%m%d",
        "--currency",
        "USD",
        "--calibration-end",
        "1997-09-30",
        "--holdout-end",
        "1998-06-30",
        "-q",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

#[test]
fn evaluate_on_the_cdnow_sample_holdout() {
    let table = tmp("holdout.csv");
    let mut args: Vec<String> = vec!["ltv".into(), "evaluate".into()];
    args.extend(sample_args());
    args.extend(
        ["--format", "json", "-o", table.to_str().unwrap()]
            .iter()
            .map(|s| (*s).to_owned()),
    );
    let j = json(&kokyaku(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    assert_eq!(j["n_customers"], 2357);
    assert!((num(&j["holdout_length"]) - 39.0).abs() < 1e-12);
    // FHL 2005a, section 4 / table 1: the BG/NBD MLE on the calibration period is r = 0.243,
    // alpha = 4.414, a = 0.793, b = 2.426 (LL -9582.4); fitted here from the raw orders.
    let p = &j["fit"]["params"];
    for (name, published) in [("r", 0.243), ("alpha", 4.414), ("a", 0.793), ("b", 2.426)] {
        assert!(
            (num(&p[name]) - published).abs() <= 5e-4 * published.max(1.0),
            "{name} {} vs {published}",
            p[name]
        );
    }
    assert!((num(&j["fit"]["log_likelihood"]) + 9582.4).abs() < 0.05);
    // The calibration repeat purchases are those of the published summary (sum of x = 2,457).
    assert!((num(&j["calibration_repeat_purchases"]) - 2457.0).abs() < 1e-9);

    // Holdout actuals, counted here independently from the raw file: distinct (customer, day)
    // pairs after 1997-09-30 (same-day orders are one purchase, as in the papers).
    let raw = std::fs::read_to_string(shared("CDNOW_sample.txt")).unwrap();
    let mut pairs: Vec<(String, String)> = raw
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() == 5 && f[2] > "19970930").then(|| (f[1].to_owned(), f[2].to_owned()))
        })
        .collect();
    pairs.sort();
    pairs.dedup();
    let actual = pairs.len() as f64;
    let h = &j["holdout"];
    assert!((num(&h["total_actual"]) - actual).abs() < 1e-9, "{h}");

    // The predicted total is the sum over customers of FHL eq. 10, E[Y(39) | x, t_x, T]. At the
    // paper's printed parameters (computed here with the library, not read from our output) it
    // must agree with the command's total within 0.5%: the only difference is the rounding of
    // the printed parameters to 3 decimals.
    let log_summary = {
        let mut a: Vec<String> = vec!["ltv".into(), "summary".into()];
        a.extend(sample_args());
        ok(&kokyaku(&a.iter().map(String::as_str).collect::<Vec<_>>()))
    };
    let (hd, rows) = csv(&log_summary);
    let col = |n: &str| hd.iter().position(|c| c == n).unwrap();
    let (ix, itx, it) = (col("frequency"), col("recency"), col("T"));
    let paper = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let at_paper: f64 = rows
        .iter()
        .map(|r| {
            let v = |i: usize| r[i].parse::<f64>().unwrap();
            paper.conditional_expected_purchases(39.0, v(ix), v(itx), v(it))
        })
        .sum();
    let predicted = num(&h["total_predicted"]);
    assert!(
        (predicted - at_paper).abs() < 5e-3 * at_paper,
        "{predicted} vs {at_paper} at the published parameters"
    );
    // FHL 2005a (fig. 1, fig. 4) show the BG/NBD under-forecasting the CDNOW holdout a little,
    // graphically only; the paper prints no holdout total we can assert exactly. What the data
    // give: 1,882 repeat purchase days (1,959 order lines) in weeks 40-78, predicted 1,653 (-12%).
    // A regression guard with a band around that, loose enough for refits at other tolerances.
    let rel = (predicted - actual) / actual;
    assert!((-0.15..=-0.09).contains(&rel), "relative error {rel}");
    for k in ["mae", "rmse", "correlation"] {
        assert!(num(&h[k]).is_finite(), "{k}: {h}");
    }
    assert!(num(&h["correlation"]) > 0.5, "{h}");

    // Tracking: 39 weekly periods; cumulative actuals end at the holdout total, are
    // non-decreasing; the conditional prediction ends at the predicted total; the unconditional
    // cumulative curve (FHL fig. 1) starts above the calibration expectation.
    let t = j["tracking"].as_array().unwrap();
    assert_eq!(t.len(), 39);
    assert_eq!(t[0]["end_date"], "1997-10-07");
    assert_eq!(t[38]["end_date"], "1998-06-30");
    let last = &t[38];
    assert!((num(&last["actual"]) - actual).abs() < 1e-9);
    assert!((num(&last["actual_cumulative"]) - (2457.0 + actual)).abs() < 1e-9);
    assert!((num(&last["conditional_expected"]) - predicted).abs() < 1e-6 * predicted);
    for w in t.windows(2) {
        assert!(num(&w[1]["actual"]) >= num(&w[0]["actual"]));
        assert!(num(&w[1]["conditional_expected"]) > num(&w[0]["conditional_expected"]));
        assert!(num(&w[1]["expected_cumulative"]) > num(&w[0]["expected_cumulative"]));
    }
    assert!(num(&t[0]["expected_cumulative"]) > num(&j["expected_calibration_repeat_purchases"]));

    // The per-customer table: one row per customer, error = predicted - actual.
    let (th, trows) = csv(&std::fs::read_to_string(&table).unwrap());
    assert_eq!(
        th,
        [
            "customer_id",
            "x",
            "t_x_weeks",
            "t_weeks",
            "predicted",
            "actual",
            "error"
        ]
    );
    assert_eq!(trows.len(), 2357);
    let total: f64 = trows.iter().map(|r| r[5].parse::<f64>().unwrap()).sum();
    assert!((total - actual).abs() < 1e-9);
    for r in &trows {
        let v = |i: usize| r[i].parse::<f64>().unwrap();
        assert!((v(4) - v(5) - v(6)).abs() < 1e-9, "{r:?}");
    }

    // Text output and a saved fit.
    let mut a: Vec<String> = vec!["ltv".into(), "evaluate".into()];
    a.extend(sample_args());
    let text = ok(&kokyaku(&a.iter().map(String::as_str).collect::<Vec<_>>()));
    for part in ["holdout repeat purchases", "MAE", "1998-06-30", "exp. cum."] {
        assert!(text.contains(part), "{part} in\n{text}");
    }
    let saved = tmp("paper.json");
    std::fs::write(
        &saved,
        r#"{"model": "bg-nbd", "params": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, "time_unit": "weeks"}"#,
    )
    .unwrap();
    a.extend(
        ["--params", saved.to_str().unwrap(), "--format", "json"]
            .iter()
            .map(|s| (*s).to_owned()),
    );
    let j2 = json(&kokyaku(&a.iter().map(String::as_str).collect::<Vec<_>>()));
    assert!(j2["fit"].is_null());
    assert!((num(&j2["holdout"]["total_predicted"]) - at_paper).abs() < 1e-6 * at_paper);
}

/// Write a summary CSV with extra covariate columns.
fn write_summary(name: &str, rows: &[(f64, f64, f64, Vec<f64>)], cov_names: &[&str]) -> String {
    let mut s = format!("customer_id,frequency,recency,T,{}\n", cov_names.join(","));
    for (i, (x, tx, t, z)) in rows.iter().enumerate() {
        let z: Vec<String> = z.iter().map(ToString::to_string).collect();
        writeln!(s, "{i},{x},{tx},{t},{}", z.join(",")).unwrap();
    }
    let p = tmp(name);
    std::fs::write(&p, s).unwrap();
    p.to_str().unwrap().to_owned()
}

fn fit_json(model: &str, summary: &str, extra: &[&str]) -> serde_json::Value {
    let mut a = vec![
        "ltv",
        "fit",
        "--model",
        model,
        "--summary",
        summary,
        "--format",
        "json",
    ];
    a.extend(extra);
    json(&kokyaku(&a))
}

#[test]
fn a_constant_zero_covariate_reproduces_the_plain_fit() {
    // Fader & Hardie (2007b): with z = 0 every customer has the baseline parameters, so the
    // likelihood is the plain model's and the optimum is the plain optimum.
    let text = std::fs::read_to_string(shared("cdnow_customers_summary.csv")).unwrap();
    let (h, rows) = csv(&text);
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let rows: Vec<(f64, f64, f64, Vec<f64>)> = rows
        .iter()
        .map(|r| {
            let v = |n: &str| r[col(n)].parse::<f64>().unwrap();
            (v("frequency"), v("recency"), v("T"), vec![0.0])
        })
        .collect();
    let summary = write_summary("zero.csv", &rows, &["zero"]);
    for (model, dropout_name) in [
        ("bg-nbd", "dropout_a[zero]"),
        ("pareto-nbd", "dropout[zero]"),
    ] {
        let plain = fit_json(model, &summary, &[]);
        let with = fit_json(
            model,
            &summary,
            &[
                "--purchase-covariates",
                "zero",
                "--dropout-covariates",
                "zero",
            ],
        );
        let (a, b) = (num(&plain["log_likelihood"]), num(&with["log_likelihood"]));
        assert!((a - b).abs() < 1e-6, "{model}: {a} vs {b}");
        let p = &with["params"];
        assert!(num(&p["purchase[zero]"]).abs() < 1e-12, "{p}");
        assert!(num(&p[dropout_name]).abs() < 1e-12, "{p}");
        for (k, v) in plain["params"].as_object().unwrap() {
            let (u, w) = (num(v), num(&p[k]));
            assert!((u - w).abs() < 1e-4 * u, "{model} {k}: {u} vs {w}");
        }
    }
}

#[test]
fn covariates_recover_a_simulated_purchase_rate_effect_and_predict() {
    // Two groups simulated from the BG/NBD (FHL 2005a) at the CDNOW parameters, group B buying
    // 3x less often: alpha_B = 3 alpha_A, i.e. purchase coefficient -ln 3 on an indicator.
    let alpha_a = 4.414 * 7.0;
    let mut rows = Vec::new();
    for (group, alpha, seed) in [(0.0, alpha_a, 5), (1.0, 3.0 * alpha_a, 6)] {
        let opts = SimOptions {
            customers: 6000,
            seed,
            alpha,
            subscription_share: 0.0,
            cancel_share: 0.0,
            ..SimOptions::default()
        };
        let log = simulate_log(&opts).unwrap();
        let s = calibration_from_log(
            &log,
            &CalibrationOptions {
                calibration_end: end_date(&opts),
                holdout_end: None,
                time_unit: TimeUnit::Days,
            },
        )
        .unwrap();
        for i in 0..s.data.len() {
            // A second, irrelevant covariate: alternating 0/1 within each group.
            let noise = (i % 2) as f64;
            rows.push((s.data.x[i], s.data.t_x[i], s.data.t[i], vec![group, noise]));
        }
    }
    let summary = write_summary("groups.csv", &rows, &["group_b", "noise"]);
    let saved = tmp("groups.json");
    let j = fit_json(
        "bg-nbd",
        &summary,
        &[
            "--purchase-covariates",
            "group_b,noise",
            "--time-unit",
            "days",
            "-o",
            saved.to_str().unwrap(),
        ],
    );
    assert_eq!(j["converged"], true, "{j}");
    let (g, se) = (
        num(&j["params"]["purchase[group_b]"]),
        num(&j["std_errors"]["purchase[group_b]"]),
    );
    let truth = -(3f64.ln());
    assert!(
        se > 0.0 && (g - truth).abs() < 4.0 * se,
        "{g} ± {se}, true {truth}"
    );
    let (gn, sen) = (
        num(&j["params"]["purchase[noise]"]),
        num(&j["std_errors"]["purchase[noise]"]),
    );
    assert!(sen > 0.0 && gn.abs() < 4.0 * sen, "noise {gn} ± {sen}");
    // The text output names the coefficients after the columns too.
    let text = ok(&kokyaku(&[
        "ltv",
        "fit",
        "--model",
        "bg-nbd",
        "--summary",
        &summary,
        "--purchase-covariates",
        "group_b,noise",
        "--time-unit",
        "days",
    ]));
    assert!(text.contains("purchase[group_b]"), "{text}");

    // Predictions from the saved covariate fit equal a refit's, and two customers with the same
    // history differ by group as the coefficient says.
    let predict = |extra: &[&str]| {
        let mut a = vec![
            "ltv",
            "predict",
            "--summary",
            summary.as_str(),
            "--time-unit",
            "days",
            "--horizon",
            "90",
        ];
        a.extend(extra);
        csv(&ok(&kokyaku(&a)))
    };
    let (h1, from_file) = predict(&["--params", saved.to_str().unwrap()]);
    let (_, refit) = predict(&[
        "--model",
        "bg-nbd",
        "--purchase-covariates",
        "group_b,noise",
    ]);
    let e = h1
        .iter()
        .position(|c| c == "expected_purchases_90_days")
        .unwrap();
    for (a, b) in from_file.iter().zip(&refit) {
        let (u, v) = (a[e].parse::<f64>().unwrap(), b[e].parse::<f64>().unwrap());
        assert!((u - v).abs() <= 1e-9 * u.max(1.0), "{u} vs {v}");
    }
    let two = write_summary(
        "two.csv",
        &[
            (2.0, 300.0, 300.0, vec![0.0, 0.0]),
            (2.0, 300.0, 300.0, vec![1.0, 0.0]),
        ],
        &["group_b", "noise"],
    );
    let (h2, pair) = csv(&ok(&kokyaku(&[
        "ltv",
        "predict",
        "--summary",
        &two,
        "--time-unit",
        "days",
        "--horizon",
        "90",
        "--params",
        saved.to_str().unwrap(),
    ])));
    let e2 = h2
        .iter()
        .position(|c| c == "expected_purchases_90_days")
        .unwrap();
    let (ea, eb) = (
        pair[0][e2].parse::<f64>().unwrap(),
        pair[1][e2].parse::<f64>().unwrap(),
    );
    assert!(eb < ea, "group B {eb} should buy less than group A {ea}");
    // The covariate flags must match the saved fit's coefficients.
    fails_with(
        &[
            "ltv",
            "predict",
            "--summary",
            &summary,
            "--time-unit",
            "days",
            "--params",
            saved.to_str().unwrap(),
            "--purchase-covariates",
            "group_b",
        ],
        "invalid_option",
    );
    // Covariates need a summary column that exists, and a model that takes them.
    fails_with(
        &[
            "ltv",
            "fit",
            "--model",
            "pareto-nbd",
            "--summary",
            &summary,
            "--purchase-covariates",
            "age",
        ],
        "missing_column",
    );
    fails_with(
        &[
            "ltv",
            "fit",
            "--model",
            "mbg-nbd",
            "--summary",
            &summary,
            "--purchase-covariates",
            "group_b",
        ],
        "invalid_option",
    );
}

#[test]
fn covariates_from_a_parquet_summary_fit_as_from_csv() {
    // The same summary and covariate column, once as CSV and once as Parquet (Float64 and Int64
    // columns): the fits must be identical.
    let rows: Vec<(f64, f64, f64, Vec<f64>)> = (0..400)
        .map(|i| {
            let x = f64::from(i % 5);
            let t = 30.0 + f64::from(i % 7);
            let tx = if x > 0.0 { t - f64::from(i % 11) } else { 0.0 };
            (x, tx, t, vec![f64::from(i % 2)])
        })
        .collect();
    let csv_path = write_summary("cov_pq.csv", &rows, &["group"]);
    let table = kokyaku::table::Table {
        names: ["customer_id", "frequency", "recency", "T", "group"]
            .map(String::from)
            .to_vec(),
        columns: vec![
            kokyaku::table::Column::Str((0..rows.len()).map(|i| Some(i.to_string())).collect()),
            kokyaku::table::Column::Float(rows.iter().map(|r| Some(r.0)).collect()),
            kokyaku::table::Column::Float(rows.iter().map(|r| Some(r.1)).collect()),
            kokyaku::table::Column::Float(rows.iter().map(|r| Some(r.2)).collect()),
            kokyaku::table::Column::Int(rows.iter().map(|r| Some(r.3[0] as i64)).collect()),
        ],
    };
    let pq_path = tmp("cov_pq.parquet");
    kokyaku::io::write_table_parquet(&table, std::fs::File::create(&pq_path).unwrap()).unwrap();
    let flags = [
        "--purchase-covariates",
        "group",
        "--dropout-covariates",
        "group",
    ];
    let a = fit_json("bg-nbd", &csv_path, &flags);
    let b = fit_json("bg-nbd", pq_path.to_str().unwrap(), &flags);
    assert_eq!(a["params"], b["params"]);
    assert_eq!(a["log_likelihood"], b["log_likelihood"]);
    // A missing covariate column is named.
    let o = kokyaku(&[
        "ltv",
        "fit",
        "--model",
        "bg-nbd",
        "--summary",
        pq_path.to_str().unwrap(),
        "--purchase-covariates",
        "nope",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("missing_column") && err.contains("nope"),
        "{err}"
    );
}

#[test]
fn predict_from_an_order_log_gives_the_expected_next_order_date() {
    // From an order log the calibration ends on a date (1997-09-30 here): the expected wait to
    // the next purchase (weeks) becomes a date, that many days after it, rounded to the day.
    let out = tmp("next_dates.csv");
    let mut args: Vec<String> = vec!["ltv".into(), "predict".into()];
    args.extend(
        sample_args()
            .into_iter()
            .take_while(|a| a != "--holdout-end"),
    );
    args.extend(["-q", "-o", out.to_str().unwrap()].map(str::to_owned));
    ok(&kokyaku(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    let (h, rows) = csv(&std::fs::read_to_string(&out).unwrap());
    let col = |n: &str| {
        h.iter()
            .position(|c| c == n)
            .unwrap_or_else(|| panic!("{n} in {h:?}"))
    };
    let (wait, date) = (
        col("expected_weeks_to_next_purchase_if_alive"),
        col("expected_next_order_date"),
    );
    let end = chrono::NaiveDate::from_ymd_opt(1997, 9, 30).unwrap();
    let mut checked = 0;
    for r in &rows {
        if r[wait].is_empty() {
            assert!(r[date].is_empty(), "{r:?}");
            continue;
        }
        let w: f64 = r[wait].parse().unwrap();
        let want = end + chrono::Duration::days((w * 7.0).round() as i64);
        assert_eq!(r[date], want.to_string(), "{r:?}");
        assert!(want > end);
        checked += 1;
    }
    // The wait is finite where r + x > 1, i.e. (r = 0.243) for the 946 repeat buyers of the
    // CDNOW sample (FHL 2005a; the Gamma-Gamma papers' 946).
    assert_eq!(checked, 946);
    // A summary file has no dates: no date column.
    let out2 = tmp("next_dates_summary.csv");
    ok(&kokyaku(&[
        "ltv",
        "predict",
        "--summary",
        &shared("cdnow_customers_summary.csv"),
        "-o",
        out2.to_str().unwrap(),
    ]));
    let (h2, _) = csv(&std::fs::read_to_string(&out2).unwrap());
    assert!(h2.iter().any(|c| c == "p_alive"));
    assert!(
        !h2.iter().any(|c| c == "expected_next_order_date"),
        "{h2:?}"
    );
}
