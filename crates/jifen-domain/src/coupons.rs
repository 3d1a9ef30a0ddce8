//! Coupons (优惠券): templates, what a coupon takes off a cart, and why one cannot be used.
//! Coupons are issued by staff, by the API, by tier benefits and later by the mall; the
//! merchant's checkout validates and redeems them.

use serde::{Deserialize, Serialize};

/// What a coupon does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum CouponKind {
    /// A fixed amount off the goods (满减 with a threshold).
    AmountOff { amount_minor: i64 },
    /// A percentage off the goods (`percent` = 10 takes 10% off), optionally capped.
    PercentOff {
        percent: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_off_minor: Option<i64>,
    },
    /// Shipping paid by the merchant, optionally up to an amount.
    FreeShipping {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_minor: Option<i64>,
    },
    /// A gift handed over with the order (a sample, a drink); takes nothing off.
    Gift { gift: String },
}

/// When an issued coupon may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum CouponValidity {
    /// For a number of days from issue.
    Days { days: u32 },
    /// Within a fixed window (Unix milliseconds), whenever issued.
    Window { from: i64, until: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CouponTemplate {
    /// A short code to issue it by: `free_ship`, `off_10_100`.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// `{"type": "amount_off", "amount_minor": 1000}`, `percent_off`, `free_shipping`, `gift`.
    pub kind: CouponKind,
    /// The goods amount from which the coupon applies (满100 = 10000), in minor units.
    #[serde(default)]
    pub threshold_minor: i64,
    pub validity: CouponValidity,
    /// How many coupons of this template one member may hold in total (issued ever).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_member_limit: Option<u32>,
    /// How many may be issued in total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stock: Option<i64>,
}

/// A template problem, with the field to show it next to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{field}: {message}")]
pub struct CouponError {
    pub field: String,
    pub message: String,
}

fn bad(field: &str, message: impl Into<String>) -> CouponError {
    CouponError {
        field: field.into(),
        message: message.into(),
    }
}

/// The largest amount a coupon may concern: ten million currency units.
pub const AMOUNT_MAX: i64 = 1_000_000_000;
pub const VALIDITY_DAYS_MAX: u32 = 3_660;
pub const STOCK_MAX: i64 = 1_000_000_000;

impl CouponTemplate {
    pub fn validate(&self) -> Result<(), CouponError> {
        crate::check::code(&self.code)
            .and_then(|_| crate::check::names(&self.name_zh, &self.name_en))
            .map_err(|(f, m)| bad(f, m))?;
        let amount = |field: &str, v: i64| {
            if (1..=AMOUNT_MAX).contains(&v) {
                Ok(())
            } else {
                Err(bad(field, format!("must be between 1 and {AMOUNT_MAX}")))
            }
        };
        match &self.kind {
            CouponKind::AmountOff { amount_minor } => amount("amount_minor", *amount_minor)?,
            CouponKind::PercentOff {
                percent,
                max_off_minor,
            } => {
                if !(1..=99).contains(percent) {
                    return Err(bad("percent", "must be between 1 and 99"));
                }
                if let Some(m) = max_off_minor {
                    amount("max_off_minor", *m)?;
                }
            }
            CouponKind::FreeShipping { max_minor } => {
                if let Some(m) = max_minor {
                    amount("max_minor", *m)?;
                }
            }
            CouponKind::Gift { gift } => {
                if gift.trim().is_empty() || gift.chars().count() > 200 {
                    return Err(bad("gift", "must be 1 to 200 characters"));
                }
            }
        }
        if !(0..=AMOUNT_MAX).contains(&self.threshold_minor) {
            return Err(bad(
                "threshold_minor",
                format!("must be between 0 and {AMOUNT_MAX}"),
            ));
        }
        if let CouponKind::AmountOff { amount_minor } = self.kind
            && self.threshold_minor > 0
            && amount_minor > self.threshold_minor
        {
            return Err(bad(
                "amount_minor",
                "must not be more than the threshold it applies from",
            ));
        }
        match self.validity {
            CouponValidity::Days { days } => {
                if !(1..=VALIDITY_DAYS_MAX).contains(&days) {
                    return Err(bad(
                        "validity.days",
                        format!("must be between 1 and {VALIDITY_DAYS_MAX}"),
                    ));
                }
            }
            CouponValidity::Window { from, until } => {
                if from < 946_684_800_000 || until <= from {
                    return Err(bad(
                        "validity.until",
                        "the window must start after 2000-01-01 and end after it starts",
                    ));
                }
                if until - from > VALIDITY_DAYS_MAX as i64 * 86_400_000 {
                    return Err(bad("validity.until", "a window is at most ten years"));
                }
            }
        }
        if let Some(l) = self.per_member_limit
            && l == 0
        {
            return Err(bad("per_member_limit", "must be at least 1"));
        }
        if let Some(s) = self.stock
            && !(0..=STOCK_MAX).contains(&s)
        {
            return Err(bad("stock", format!("must be between 0 and {STOCK_MAX}")));
        }
        Ok(())
    }

    /// The window a coupon issued at `at` is valid in, as (from, until).
    pub fn window(&self, at: i64) -> (i64, i64) {
        match self.validity {
            CouponValidity::Days { days } => (at, at.saturating_add(days as i64 * 86_400_000)),
            CouponValidity::Window { from, until } => (from, until),
        }
    }
}

/// A cart a coupon is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cart {
    /// The goods, in minor units.
    pub goods_minor: i64,
    #[serde(default)]
    pub shipping_minor: i64,
}

/// Why a coupon cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    NotYetValid,
    Expired,
    BelowThreshold,
    AlreadyRedeemed,
    Void,
}

impl Refusal {
    pub fn message(&self, t: &CouponTemplate) -> String {
        match self {
            Refusal::NotYetValid => "the coupon is not valid yet".into(),
            Refusal::Expired => "the coupon has expired".into(),
            Refusal::BelowThreshold => format!(
                "the goods must come to at least {} (minor units) for this coupon",
                t.threshold_minor
            ),
            Refusal::AlreadyRedeemed => "the coupon was already used".into(),
            Refusal::Void => "the coupon was withdrawn".into(),
        }
    }
}

/// What a coupon takes off: (off the goods, off the shipping).
pub fn discount(t: &CouponTemplate, cart: &Cart) -> Result<(i64, i64), Refusal> {
    if cart.goods_minor < t.threshold_minor {
        return Err(Refusal::BelowThreshold);
    }
    let goods = cart.goods_minor.max(0);
    Ok(match &t.kind {
        CouponKind::AmountOff { amount_minor } => ((*amount_minor).min(goods), 0),
        CouponKind::PercentOff {
            percent,
            max_off_minor,
        } => {
            // Rounded down: a coupon never takes off more than it says.
            let off = (goods as i128 * *percent as i128 / 100) as i64;
            (max_off_minor.map_or(off, |m| off.min(m)), 0)
        }
        CouponKind::FreeShipping { max_minor } => {
            let s = cart.shipping_minor.max(0);
            (0, max_minor.map_or(s, |m| s.min(m)))
        }
        CouponKind::Gift { .. } => (0, 0),
    })
}

/// Whether a coupon in `status` with window `[from, until)` may be used at `now`.
pub fn usable(status: &str, from: i64, until: i64, now: i64) -> Result<(), Refusal> {
    match status {
        "redeemed" => Err(Refusal::AlreadyRedeemed),
        "void" => Err(Refusal::Void),
        _ if now < from => Err(Refusal::NotYetValid),
        _ if now >= until => Err(Refusal::Expired),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(kind: CouponKind, threshold: i64) -> CouponTemplate {
        CouponTemplate {
            code: "c".into(),
            name_zh: "券".into(),
            name_en: "Coupon".into(),
            kind,
            threshold_minor: threshold,
            validity: CouponValidity::Days { days: 30 },
            per_member_limit: None,
            stock: None,
        }
    }

    #[test]
    fn amount_off_applies_from_its_threshold() {
        let c = t(
            CouponKind::AmountOff {
                amount_minor: 1_000,
            },
            10_000,
        );
        let cart = |g| Cart {
            goods_minor: g,
            shipping_minor: 800,
        };
        assert_eq!(discount(&c, &cart(9_999)), Err(Refusal::BelowThreshold));
        assert_eq!(discount(&c, &cart(10_000)), Ok((1_000, 0)));
        let no_threshold = t(
            CouponKind::AmountOff {
                amount_minor: 1_000,
            },
            0,
        );
        assert_eq!(discount(&no_threshold, &cart(600)), Ok((600, 0)));
    }

    #[test]
    fn percent_off_rounds_down_and_caps() {
        let c = t(
            CouponKind::PercentOff {
                percent: 15,
                max_off_minor: Some(2_000),
            },
            0,
        );
        let cart = |g| Cart {
            goods_minor: g,
            shipping_minor: 0,
        };
        assert_eq!(discount(&c, &cart(999)), Ok((149, 0)));
        assert_eq!(discount(&c, &cart(100_000)), Ok((2_000, 0)));
    }

    #[test]
    fn free_shipping_takes_shipping_only() {
        let c = t(
            CouponKind::FreeShipping {
                max_minor: Some(1_000),
            },
            0,
        );
        let cart = Cart {
            goods_minor: 5_000,
            shipping_minor: 1_200,
        };
        assert_eq!(discount(&c, &cart), Ok((0, 1_000)));
    }

    #[test]
    fn windows_and_states() {
        assert_eq!(usable("issued", 10, 20, 9), Err(Refusal::NotYetValid));
        assert_eq!(usable("issued", 10, 20, 10), Ok(()));
        assert_eq!(usable("issued", 10, 20, 20), Err(Refusal::Expired));
        assert_eq!(
            usable("redeemed", 10, 20, 15),
            Err(Refusal::AlreadyRedeemed)
        );
        assert_eq!(usable("void", 10, 20, 15), Err(Refusal::Void));
    }

    #[test]
    fn templates_read_from_json_and_refuse_unknown_fields() {
        let c: CouponTemplate = serde_json::from_str(
            r#"{"code":"off10","name_zh":"满100减10","name_en":"10 off 100",
                "kind":{"type":"amount_off","amount_minor":1000},"threshold_minor":10000,
                "validity":{"kind":"days","days":30}}"#,
        )
        .unwrap();
        assert_eq!(
            c.kind,
            CouponKind::AmountOff {
                amount_minor: 1_000
            }
        );
        assert!(c.validate().is_ok());
        let e = serde_json::from_str::<CouponTemplate>(
            r#"{"code":"x","name_zh":"a","name_en":"a","kind":{"type":"amount_off","amount_minor":1,"extra":1},
                "validity":{"kind":"days","days":3}}"#,
        );
        assert!(e.is_err());
    }

    #[test]
    fn invalid_templates_name_the_field() {
        let field = |c: CouponTemplate| c.validate().unwrap_err().field;
        assert_eq!(
            field(t(CouponKind::AmountOff { amount_minor: 0 }, 0)),
            "amount_minor"
        );
        assert_eq!(
            field(t(
                CouponKind::AmountOff {
                    amount_minor: 2_000
                },
                1_000
            )),
            "amount_minor"
        );
        assert_eq!(
            field(t(
                CouponKind::PercentOff {
                    percent: 100,
                    max_off_minor: None
                },
                0
            )),
            "percent"
        );
        let mut c = t(CouponKind::FreeShipping { max_minor: None }, 0);
        c.validity = CouponValidity::Window {
            from: 1_800_000_000_000,
            until: 1_700_000_000_000,
        };
        assert_eq!(field(c.clone()), "validity.until");
        c.validity = CouponValidity::Days { days: 0 };
        assert_eq!(field(c.clone()), "validity.days");
        c.validity = CouponValidity::Days { days: 30 };
        c.code = "Free Ship".into();
        assert_eq!(field(c), "code");
    }
}
