//! Campaign results, sale-period comparison and acquisition economics for the wrappers
//! (mirrors `kokyaku::campaign` and `kokyaku::acquisition`), over serde data.
//!
//! Options arrive as one flat object per call (camelCase or `snake_case` keys):
//! - deliveries: `timezone`, `time_format`, `delimiter`, `has_header`, `strict`, and the
//!   columns as `customer_col`, `campaign_col`, `channel_col`, `time_col`, `holdout_col`,
//!   `segment_col` (or a `columns` object);
//! - campaign results: `window_days`, `confidence`, `as_of`, and `segment_rules` (an object of
//!   segment name -> rule text or rule JSON: segments from the rules at send time);
//! - period comparison: `sale_start`, `sale_end`, `reference_start`, `reference_end`;
//! - acquisition: `by`, `as_of`, `max_months`, `cpa` (a number or decimal string, or an object
//!   of split value → CPA; its keys are kept as given), `predict`, `model`, `horizon_months`,
//!   `min_customers_to_fit`.

use kokyaku::acquisition::{self, AcquisitionOptions, AcquisitionReport, Cpa};
use kokyaku::campaign::{
    self, CampaignOptions, CampaignResults, DeliveriesRead, DeliveryReadOptions, PeriodComparison,
    PeriodOptions,
};
use kokyaku::model::OrderLog;
use kokyaku::segment::{self, RuleSource};
use kokyaku::table::{Column, Table};
use serde_json::{Map, Value};

use crate::BindingError;

use crate::api::TextFormat;
use crate::options::normalize;
pub use kokyaku::campaign::DeliveriesRead as Deliveries;

/// The flat delivery column options and the role each fills.
pub const DELIVERY_COLUMN_OPTIONS: &[(&str, &str)] = &[
    ("customer_col", "customer"),
    ("campaign_col", "campaign"),
    ("channel_col", "channel"),
    ("time_col", "time"),
    ("holdout_col", "holdout"),
    ("segment_col", "segment"),
];

/// Delivery read options from a flat options object.
pub fn delivery_options(value: Value) -> Result<DeliveryReadOptions, BindingError> {
    crate::options::reader_options(value, DELIVERY_COLUMN_OPTIONS)
}

/// Reads deliveries from CSV or JSON Lines bytes (UTF-8).
pub fn read_deliveries(
    format: TextFormat,
    bytes: &[u8],
    options: Value,
) -> Result<DeliveriesRead, BindingError> {
    let o = delivery_options(options)?;
    Ok(match format {
        TextFormat::Csv => campaign::read_deliveries_csv(bytes, &o)?,
        TextFormat::Jsonl => campaign::read_deliveries_jsonl(bytes, &o)?,
    })
}

/// Reads deliveries from a file (by extension: `.jsonl`/`.ndjson`/`.json`, else CSV).
pub fn read_deliveries_file(path: &str, options: Value) -> Result<DeliveriesRead, BindingError> {
    let o = delivery_options(options)?;
    Ok(campaign::read_deliveries_path(
        std::path::Path::new(path),
        &o,
    )?)
}

/// Reads deliveries from records (objects of column name → value), like JSON Lines.
pub fn read_delivery_records(
    records: &[Value],
    options: Value,
) -> Result<DeliveriesRead, BindingError> {
    if records.is_empty() {
        return Err(kokyaku::Error::EmptyInput("no delivery records".into()).into());
    }
    let mut text = String::new();
    for (i, r) in records.iter().enumerate() {
        if !r.is_object() {
            return Err(BindingError::new(
                "malformed_input",
                format!(
                    "malformed input at row {}: expected an object (column name → value), got {r}",
                    i + 1
                ),
            ));
        }
        text.push_str(&r.to_string());
        text.push('\n');
    }
    read_deliveries(TextFormat::Jsonl, text.as_bytes(), options)
}

/// Campaign results of `deliveries` against `log`. With `segment_rules` (an object of name →
/// rule text or rule JSON, applied in name order), segments come from the rules evaluated at
/// send time instead of the deliveries' segment column.
pub fn campaign_results(
    log: &OrderLog,
    deliveries: &DeliveriesRead,
    options: Value,
) -> Result<CampaignResults, BindingError> {
    let mut raw = match options {
        Value::Null => Map::new(),
        Value::Object(m) => m,
        other => {
            return Err(BindingError::option(
                "options",
                format!("expected an object, got {other}"),
            ));
        }
    };
    // Rule names and rule JSON keep their spelling: taken out before keys are normalised.
    let rules = raw
        .remove("segment_rules")
        .or_else(|| raw.remove("segmentRules"));
    let o: CampaignOptions = crate::options::from_value(Value::Object(raw))?;
    let Some(rules) = rules.filter(|r| !r.is_null()) else {
        return Ok(campaign::campaign_results(log, &deliveries.deliveries, &o)?);
    };
    let Value::Object(rules) = rules else {
        return Err(BindingError::option(
            "segment_rules",
            "expected an object of segment name -> rule text or rule JSON",
        ));
    };
    let named = rules
        .into_iter()
        .map(|(name, v)| {
            Ok((
                name,
                match v {
                    Value::String(t) => RuleSource::Text(t),
                    other => RuleSource::Json(segment::from_json(&other.to_string())?),
                },
            ))
        })
        .collect::<Result<Vec<_>, kokyaku::Error>>()?;
    let d = campaign::segments_from_rules(
        log,
        &deliveries.deliveries,
        &named,
        &segment::SegmentOptions::default(),
    )?;
    Ok(campaign::campaign_results(log, &d, &o)?)
}

/// A sale period against a reference period (the CVR needs deliveries).
pub fn compare_periods(
    log: &OrderLog,
    deliveries: Option<&DeliveriesRead>,
    options: Value,
) -> Result<PeriodComparison, BindingError> {
    let m = normalize(options)?;
    let o: PeriodOptions =
        serde_json::from_value(Value::Object(m)).map_err(|e| BindingError::option("options", e))?;
    Ok(campaign::compare_periods(
        log,
        deliveries.map(|d| &d.deliveries),
        &o,
    )?)
}

/// Acquisition economics (the `cpa` object's keys are split values, kept as given).
pub fn acquisition(log: &OrderLog, options: Value) -> Result<AcquisitionReport, BindingError> {
    let mut raw = match options {
        Value::Null => Map::new(),
        Value::Object(m) => m,
        other => {
            return Err(BindingError::option(
                "options",
                format!("expected an object, got {other}"),
            ));
        }
    };
    let cpa = raw.remove("cpa");
    let mut o: AcquisitionOptions = crate::options::from_value(Value::Object(raw))?;
    o.cpa = match cpa {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(Cpa::Single(
            n.to_string()
                .parse()
                .map_err(|e| BindingError::option("cpa", e))?,
        )),
        Some(v) => Some(serde_json::from_value(v).map_err(|e| {
            BindingError::option(
                "cpa",
                format!("expected an amount or an object of split value -> amount: {e}"),
            )
        })?),
    };
    Ok(acquisition::acquisition(log, &o)?)
}

fn f(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite())
}

/// Campaign results as one flat table (one row per result row), for frames.
#[must_use]
pub fn campaign_table(r: &CampaignResults) -> Table {
    let rows = &r.rows;
    let mut t = Table::default();
    let s = |v: Vec<Option<String>>| Column::Str(v);
    let i = |v: Vec<u64>| Column::Int(v.into_iter().map(|x| Some(x as i64)).collect());
    t.push(
        "campaign",
        s(rows.iter().map(|r| Some(r.campaign.clone())).collect()),
    );
    t.push(
        "channel",
        s(rows.iter().map(|r| r.channel.clone()).collect()),
    );
    t.push(
        "segment",
        s(rows.iter().map(|r| r.segment.clone()).collect()),
    );
    t.push(
        "customers",
        s(rows
            .iter()
            .map(|r| Some(r.customers.as_str().to_owned()))
            .collect()),
    );
    for (name, pick) in [("recipients", true), ("holdout", false)] {
        let g = |r: &kokyaku::campaign::CampaignRow| {
            if pick {
                r.recipients.clone()
            } else {
                r.holdout.clone()
            }
        };
        t.push(
            &format!("{name}_customers"),
            i(rows.iter().map(|r| g(r).customers).collect()),
        );
        t.push(
            &format!("{name}_conversions"),
            i(rows.iter().map(|r| g(r).conversions).collect()),
        );
        t.push(
            &format!("{name}_cvr"),
            Column::Float(rows.iter().map(|r| f(g(r).cvr)).collect()),
        );
        t.push(
            &format!("{name}_orders"),
            i(rows.iter().map(|r| g(r).orders).collect()),
        );
        t.push(
            &format!("{name}_revenue"),
            s(rows
                .iter()
                .map(|r| Some(g(r).revenue.to_string()))
                .collect()),
        );
        t.push(
            &format!("{name}_net_revenue"),
            s(rows
                .iter()
                .map(|r| Some(g(r).net_revenue.to_string()))
                .collect()),
        );
        t.push(
            &format!("{name}_net_revenue_per_customer"),
            s(rows
                .iter()
                .map(|r| g(r).net_revenue_per_customer.map(|d| d.to_string()))
                .collect()),
        );
    }
    let u = |pick: fn(&kokyaku::campaign::Uplift) -> Option<f64>| {
        Column::Float(
            rows.iter()
                .map(|r| f(r.uplift.as_ref().and_then(pick)))
                .collect(),
        )
    };
    t.push("cvr_difference", u(|u| Some(u.cvr_difference)));
    t.push(
        "cvr_difference_low",
        u(|u| Some(u.cvr_difference_interval.low)),
    );
    t.push(
        "cvr_difference_high",
        u(|u| Some(u.cvr_difference_interval.high)),
    );
    t.push(
        "revenue_per_customer_difference",
        u(|u| Some(u.revenue_per_customer_difference)),
    );
    t.push(
        "revenue_per_customer_low",
        u(|u| u.revenue_per_customer_interval.map(|i| i.low)),
    );
    t.push(
        "revenue_per_customer_high",
        u(|u| u.revenue_per_customer_interval.map(|i| i.high)),
    );
    t.push(
        "net_revenue_per_customer_difference",
        u(|u| Some(u.net_revenue_per_customer_difference)),
    );
    t.push(
        "net_revenue_per_customer_low",
        u(|u| u.net_revenue_per_customer_interval.map(|i| i.low)),
    );
    t.push(
        "net_revenue_per_customer_high",
        u(|u| u.net_revenue_per_customer_interval.map(|i| i.high)),
    );
    t.push(
        "incremental_conversions",
        u(|u| Some(u.incremental_conversions)),
    );
    t.push(
        "incremental_net_revenue",
        u(|u| Some(u.incremental_net_revenue)),
    );
    t
}

/// The LTV curves as one long table: one row per split and month.
#[must_use]
pub fn acquisition_table(r: &AcquisitionReport) -> Table {
    let mut split = Vec::new();
    let mut month = Vec::new();
    let mut customers = Vec::new();
    let mut cum = Vec::new();
    let mut per = Vec::new();
    let mut cpa = Vec::new();
    let mut paid = Vec::new();
    for row in &r.rows {
        for p in &row.curve {
            split.push(Some(row.split.clone()));
            month.push(Some(i64::from(p.month)));
            customers.push(Some(p.customers as i64));
            cum.push(Some(p.cumulative_net_revenue.to_string()));
            per.push(p.cumulative_net_revenue_per_customer.map(|d| d.to_string()));
            cpa.push(row.cpa.map(|d| d.to_string()));
            paid.push(Some(row.payback_month.is_some_and(|m| m <= p.month)));
        }
    }
    let mut t = Table::default();
    t.push("split", Column::Str(split));
    t.push("month", Column::Int(month));
    t.push("customers", Column::Int(customers));
    t.push("cumulative_net_revenue", Column::Str(cum));
    t.push("cumulative_net_revenue_per_customer", Column::Str(per));
    t.push("cpa", Column::Str(cpa));
    t.push("paid_back", Column::Bool(paid));
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ORDERS: &str = "customer_id,order_id,placed_at,amount\na,1,2024-03-02,100\nb,2,2024-03-03,50\nc,3,2024-01-01,10\n";
    const DELIVERIES: &str = "member_id,campaign_name,sent_at,is_control\na,x,2024-03-01,0\nb,x,2024-03-01,1\nc,x,2024-03-01,0\nd,x,2024-03-01,0\n";

    #[test]
    fn flat_options_results_and_tables() {
        let log = crate::api::read_text(TextFormat::Csv, ORDERS, Value::Null).unwrap();
        let d = read_deliveries(
            TextFormat::Csv,
            DELIVERIES.as_bytes(),
            json!({"holdoutCol": "is_control"}),
        )
        .unwrap();
        assert_eq!(d.report.rows_read, 4);
        let r = campaign_results(&log.log, &d, json!({"windowDays": 3})).unwrap();
        assert_eq!(r.rows[0].recipients.customers, 3);
        assert_eq!(r.rows[0].recipients.conversions, 1);
        let t = campaign_table(&r);
        assert_eq!(t.n_rows(), r.rows.len());
        let e = campaign_results(&log.log, &d, json!({"window": 3})).unwrap_err();
        assert_eq!(e.code, "invalid_option");
        let e = read_deliveries(TextFormat::Csv, b"a,b\n1,2\n", Value::Null).unwrap_err();
        assert_eq!(e.code, "missing_column");
        let p = compare_periods(
            &log.log,
            Some(&d),
            json!({"saleStart": "2024-03-01", "saleEnd": "2024-03-03"}),
        )
        .unwrap();
        assert_eq!(p.sale.orders, 2);
        assert_eq!(p.sale.reached, Some(3));
    }

    #[test]
    fn acquisition_cpa_keys_are_kept() {
        let recs = json!({"timezone": "UTC",
            "customers": [{"id": "a", "attributes": {"channel": "GoogleAds"}}],
            "orders": [{"order_id": "1", "customer_id": "a", "placed_at": "2024-01-05T00:00:00Z", "amount": "100", "currency": "JPY"}]});
        let log = crate::api::read_record_set(recs).unwrap();
        let r = acquisition(&log.log, json!({"by": "channel", "asOf": "2024-03-10", "cpa": {"GoogleAds": 50}, "predict": false})).unwrap();
        assert_eq!(r.rows[0].payback_month, Some(0));
        let r = acquisition(
            &log.log,
            json!({"by": "channel", "asOf": "2024-03-10", "cpa": 150, "predict": false}),
        )
        .unwrap();
        assert_eq!(r.rows[0].payback_month, None);
        assert_eq!(acquisition_table(&r).n_rows(), 2);
        let e = acquisition(&log.log, json!({"by": "first_product"})).unwrap_err();
        assert_eq!(e.code, "invalid_option");
        assert!(e.message.contains("lines"), "{}", e.message);
    }
}
