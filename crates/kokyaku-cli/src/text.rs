//! Readable text rendering of reports.

use std::io::{Result, Write};

use kokyaku::cohort::RetentionMatrix;
use kokyaku::repeat::{Rate, RepeatReport};
use kokyaku::report::Report;

fn pct(r: &Rate) -> String {
    r.rate.map_or_else(
        || "n/a".to_owned(),
        |x| format!("{:.2}% ({}/{})", x * 100.0, r.numerator, r.denominator),
    )
}

fn days(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.1}"))
}

/// The `report` command's text.
pub fn report(w: &mut impl Write, r: &Report, source: &str) -> Result<()> {
    let t = &r.totals;
    writeln!(w, "kokyaku report: {source}")?;
    writeln!(w, "as of {} (inclusive)", r.as_of)?;
    if let Some(i) = &r.ingestion {
        write!(
            w,
            "rows read {}, accepted {}, rejected {}",
            i.rows_read, i.rows_accepted, i.rows_rejected
        )?;
        if !i.rejections.is_empty() {
            let v: Vec<String> = i
                .rejections
                .iter()
                .map(|(k, n)| format!("{k}: {n}"))
                .collect();
            write!(w, " ({})", v.join(", "))?;
        }
        writeln!(w)?;
    }
    let cur = t.currency.as_deref().unwrap_or("");
    writeln!(w)?;
    writeln!(w, "customers        {:>12}", t.customers)?;
    writeln!(w, "buyers           {:>12}", t.buyers)?;
    writeln!(w, "orders           {:>12}", t.orders)?;
    writeln!(
        w,
        "net revenue      {:>12} {cur}  (gross {}, refunds {})",
        t.net, t.gross, t.refunds
    )?;
    writeln!(w, "dormant buyers   {:>12}", t.dormant)?;
    repeat(w, &r.repeat)?;
    writeln!(w)?;
    writeln!(w, "RFM segments (recency × frequency)")?;
    writeln!(
        w,
        "  {:<22} {:>9} {:>7} {:>10} {:>8} {:>12}",
        "segment", "customers", "share", "recency_d", "orders", "mean_spend"
    )?;
    for s in &r.rfm_segments {
        writeln!(
            w,
            "  {:<22} {:>9} {:>6.1}% {:>10.1} {:>8.2} {:>12.0}",
            s.segment,
            s.customers,
            s.share * 100.0,
            s.mean_recency_days,
            s.mean_frequency,
            s.mean_monetary
        )?;
    }
    writeln!(w)?;
    writeln!(w, "CPM classes (顧客ポートフォリオ)")?;
    writeln!(
        w,
        "  {:<22} {:<22} {:>9} {:>7} {:>12}",
        "class", "name", "customers", "share", "mean_spend"
    )?;
    for c in &r.cpm {
        writeln!(
            w,
            "  {:<22} {:<22} {:>9} {:>6.1}% {:>12.0}",
            c.class,
            c.name,
            c.customers,
            c.share * 100.0,
            c.mean_spend
        )?;
    }
    writeln!(w)?;
    retention(w, &r.retention)
}

/// Repeat metrics.
pub fn repeat(w: &mut impl Write, r: &RepeatReport) -> Result<()> {
    writeln!(w)?;
    writeln!(
        w,
        "repeat rate      by orders {}   by purchase days {}",
        pct(&r.repeat_rate.by_orders),
        pct(&r.repeat_rate.by_days)
    )?;
    writeln!(
        w,
        "F2 within {} d   by orders {}   by purchase days {}",
        r.window_days,
        pct(&r.f2.by_orders),
        pct(&r.f2.by_days)
    )?;
    for s in r.fn_steps.iter().skip(1) {
        writeln!(
            w,
            "F{} within {} d   by orders {}",
            s.n,
            r.window_days,
            pct(&s.conversion.by_orders)
        )?;
    }
    let g = &r.time_between_orders;
    writeln!(
        w,
        "days between orders  median {}  p25 {}  p75 {}  p90 {}  mean {}  (n = {})",
        days(g.median_days),
        days(g.p25_days),
        days(g.p75_days),
        days(g.p90_days),
        days(g.mean_days),
        g.count
    )?;
    writeln!(
        w,
        "first to second order  median {} days",
        days(r.first_to_second.median_days)
    )
}

/// A retention matrix ("." marks unknown cells after the data ends).
pub fn retention(w: &mut impl Write, m: &RetentionMatrix) -> Result<()> {
    writeln!(
        w,
        "cohort retention ({:?}; '.' = not yet observed)",
        m.period
    )?;
    let cols = (m.periods as usize).min(13);
    write!(w, "  {:<9} {:>6}", "cohort", "size")?;
    for k in 0..cols {
        write!(w, " {:>5}", format!("+{k}"))?;
    }
    writeln!(w)?;
    for row in &m.cohorts {
        write!(w, "  {:<9} {:>6}", row.cohort, row.size)?;
        for k in 0..cols {
            match row.retention.get(k).copied().flatten() {
                Some(x) => write!(w, " {:>4.0}%", x * 100.0)?,
                None => write!(w, " {:>5}", ".")?,
            }
        }
        writeln!(w)?;
    }
    Ok(())
}
