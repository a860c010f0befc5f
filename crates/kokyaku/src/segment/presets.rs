//! Preset rules for the common CRM scenarios (documented in `docs/segments.md`).

use serde::Serialize;

/// A named preset rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Preset {
    /// Name (`--preset NAME`).
    pub name: &'static str,
    /// The rule text.
    pub rule: &'static str,
    /// What it is for.
    pub purpose: &'static str,
}

/// Every preset, by name.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "f2_nurture",
        rule: "orders = 1 and days_since_first_order between 14 and 60",
        purpose: "one-time buyers 14-60 days after their first order: the F2 (second purchase) nurture",
    },
    Preset {
        name: "subscription_upsell",
        rule: "one_off_only and subscription = \"none\" and orders >= 2 and days_since_last_order <= 60",
        purpose: "repeat one-off buyers active in the last 60 days with no subscription: offer the subscription (定期)",
    },
    Preset {
        name: "subscriber_loyalty_cycle_3",
        rule: "subscription = \"active\" and subscription_cycles = 3",
        purpose: "active subscribers in their 3rd cycle: the loyalty message before the usual drop-off (change the number for other cycles)",
    },
    Preset {
        name: "dormant_winback",
        rule: "orders >= 1 and days_since_last_order >= 120",
        purpose: "buyers with no order for 120 days or more (休眠): win-back",
    },
    Preset {
        name: "birthday_month",
        rule: "birthday_month = month(as_of)",
        purpose: "customers whose birthday is in the month of the analysis date",
    },
    Preset {
        name: "at_risk_high_value",
        rule: "rfm.segment in (\"At risk\", \"Cannot lose them\")",
        purpose: "high spenders and frequent buyers who have not bought for a while (default RFM map): save them first",
    },
    Preset {
        name: "never_purchased",
        rule: "orders = 0",
        purpose: "members from the customers file who never ordered (未購入者)",
    },
];

/// A preset by name.
#[must_use]
pub fn preset(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}
