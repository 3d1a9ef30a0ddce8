//! The points mall (积分商城): items with SKUs, who may buy them and when, and the order state
//! machine. Prices are points plus optional cash in minor units.

use serde::{Deserialize, Serialize};

/// What an item is, which decides how it is fulfilled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ItemKind {
    /// Shipped to an address, with a carrier and tracking number.
    Physical,
    /// A coupon of a template, issued to the member when the order is paid.
    Coupon { template: String },
    /// A service or right (免邮券, 专属客服, 新品试用) the merchant's system delivers.
    Virtual,
    /// A ticket for an experience (a tasting, a class), fulfilled like a virtual item.
    Experience,
    /// An item a partner fulfils.
    Partner { partner: String },
}

impl ItemKind {
    pub fn ships(&self) -> bool {
        matches!(self, ItemKind::Physical)
    }
}

/// Who may buy an item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemAudience {
    /// Tier codes; empty means every tier.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<String>,
    /// Only members who joined at most this many days ago (new-member items).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub joined_within_days: Option<u32>,
}

/// How many of an item one member may buy.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ItemLimits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_day: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sku {
    /// The merchant's SKU code, unique in the programme.
    pub sku: String,
    /// The variant's name (颜色/尺码), empty for a single-SKU item.
    #[serde(default)]
    pub name: String,
    pub points: i64,
    /// Cash on top of the points (points + cash), in minor units.
    #[serde(default)]
    pub cash_minor: i64,
    /// What it costs elsewhere, to show the saving.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_price_minor: Option<i64>,
    /// Units in stock when the item is created; later changes go through restocking.
    pub stock: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemDef {
    pub name_zh: String,
    pub name_en: String,
    #[serde(default)]
    pub description_zh: String,
    #[serde(default)]
    pub description_en: String,
    pub category: String,
    pub kind: ItemKind,
    pub skus: Vec<Sku>,
    #[serde(default)]
    pub audience: ItemAudience,
    #[serde(default)]
    pub limits: ItemLimits,
    /// When it may be bought (Unix ms); open on either side when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sale_from: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sale_until: Option<i64>,
    /// A flash sale (秒杀): `sale_from` is its start, and each member may buy one.
    #[serde(default)]
    pub flash_sale: bool,
    /// A presale (预售): the SKUs' stock is the quota that may be ordered ahead; orders are paid
    /// now and wait for the stock to arrive, which releases them in order.
    #[serde(default)]
    pub presale: bool,
    /// Image ids (uploaded through the API), the first is the cover.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<i64>,
}

/// An item problem, with the field to show it next to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{field}: {message}")]
pub struct MallError {
    pub field: String,
    pub message: String,
}

fn bad(field: impl Into<String>, message: impl Into<String>) -> MallError {
    MallError {
        field: field.into(),
        message: message.into(),
    }
}

pub const SKUS_MAX: usize = 50;
pub const PRICE_POINTS_MAX: i64 = 100_000_000;
pub const CASH_MINOR_MAX: i64 = 100_000_000;
pub const STOCK_MAX: i64 = 100_000_000;
pub const QUANTITY_MAX: i64 = 99;

/// The longest category code.
pub const CATEGORY_CODE_MAX: usize = 32;

/// Whether `s` may be a category's code (an item's `category`, a category the merchant names):
/// 1 to [`CATEGORY_CODE_MAX`] letters, digits, `_`, `-` or `.`.
pub fn category_code_ok(s: &str) -> bool {
    code_ok(s, CATEGORY_CODE_MAX)
}

fn code_ok(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn text(field: &str, v: &str, min: usize, max: usize) -> Result<(), MallError> {
    let n = v.trim().chars().count();
    if n < min || v.chars().count() > max {
        return Err(bad(field, format!("must be {min} to {max} characters")));
    }
    Ok(())
}

impl ItemDef {
    pub fn validate(&self) -> Result<(), MallError> {
        text("name_zh", &self.name_zh, 1, 80)?;
        text("name_en", &self.name_en, 1, 80)?;
        text("description_zh", &self.description_zh, 0, 4000)?;
        text("description_en", &self.description_en, 0, 4000)?;
        if !category_code_ok(&self.category) {
            return Err(bad(
                "category",
                "must be 1 to 32 characters of a-z, 0-9, _ - .",
            ));
        }
        match &self.kind {
            ItemKind::Coupon { template } if template.is_empty() => {
                return Err(bad("kind.template", "names the coupon template to issue"));
            }
            ItemKind::Partner { partner } if partner.trim().is_empty() => {
                return Err(bad("kind.partner", "names the partner"));
            }
            _ => {}
        }
        if self.skus.is_empty() || self.skus.len() > SKUS_MAX {
            return Err(bad("skus", format!("an item has 1 to {SKUS_MAX} SKUs")));
        }
        for (i, s) in self.skus.iter().enumerate() {
            let f = |n: &str| format!("skus[{i}].{n}");
            if !code_ok(&s.sku, 64) {
                return Err(bad(
                    f("sku"),
                    "must be 1 to 64 characters of A-Z, a-z, 0-9, _ - .",
                ));
            }
            if self.skus[..i].iter().any(|o| o.sku == s.sku) {
                return Err(bad(f("sku"), format!("{} is used twice", s.sku)));
            }
            text(&f("name"), &s.name, 0, 40)?;
            if !(0..=PRICE_POINTS_MAX).contains(&s.points) {
                return Err(bad(
                    f("points"),
                    format!("must be between 0 and {PRICE_POINTS_MAX}"),
                ));
            }
            if !(0..=CASH_MINOR_MAX).contains(&s.cash_minor) {
                return Err(bad(
                    f("cash_minor"),
                    format!("must be between 0 and {CASH_MINOR_MAX}"),
                ));
            }
            if s.points == 0 && s.cash_minor == 0 {
                return Err(bad(f("points"), "an item costs points, cash or both"));
            }
            if let Some(m) = s.market_price_minor
                && !(1..=CASH_MINOR_MAX).contains(&m)
            {
                return Err(bad(
                    f("market_price_minor"),
                    format!("must be between 1 and {CASH_MINOR_MAX}"),
                ));
            }
            if !(0..=STOCK_MAX).contains(&s.stock) {
                return Err(bad(
                    f("stock"),
                    format!("must be between 0 and {STOCK_MAX}"),
                ));
            }
        }
        for (name, v) in [
            ("limits.per_day", self.limits.per_day),
            ("limits.lifetime", self.limits.lifetime),
        ] {
            if v == Some(0) {
                return Err(bad(name, "must be at least 1 (leave it out for no limit)"));
            }
        }
        if let (Some(a), Some(b)) = (self.sale_from, self.sale_until)
            && b <= a
        {
            return Err(bad("sale_until", "must be after sale_from"));
        }
        if self.flash_sale && self.sale_from.is_none() {
            return Err(bad("sale_from", "a flash sale needs its start time"));
        }
        if self.flash_sale && self.presale {
            return Err(bad(
                "presale",
                "an item is a flash sale or a presale, not both",
            ));
        }
        if self.images.len() > 10 {
            return Err(bad("images", "at most 10 images"));
        }
        Ok(())
    }

    /// At most this many per member in all: a flash sale allows one unless the item sets its
    /// own lifetime limit.
    pub fn lifetime_limit(&self) -> Option<u32> {
        if self.flash_sale {
            Some(self.limits.lifetime.unwrap_or(1))
        } else {
            self.limits.lifetime
        }
    }

    /// Why the item cannot be bought at `now`, if it cannot.
    pub fn window_refusal(&self, now: i64) -> Option<&'static str> {
        if self.sale_from.is_some_and(|f| now < f) {
            return Some("not_on_sale_yet");
        }
        if self.sale_until.is_some_and(|u| now >= u) {
            return Some("sale_ended");
        }
        None
    }
}

/// An order's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// Points (and stock) reserved; waiting for the merchant to confirm the cash payment.
    PendingPayment,
    /// Paid in full; waiting for fulfilment.
    Paid,
    /// A presale order paid in full, waiting for its stock to arrive.
    AwaitingStock,
    Shipped,
    /// Delivered, or fulfilled (a coupon issued, a virtual item delivered).
    Delivered,
    /// Cancelled before fulfilment: points and stock returned.
    Cancelled,
    /// The payment did not arrive in time: points and stock returned.
    TimedOut,
    /// Refunded in full after sale.
    Refunded,
}

impl OrderState {
    pub fn as_str(&self) -> &'static str {
        match self {
            OrderState::PendingPayment => "pending_payment",
            OrderState::Paid => "paid",
            OrderState::AwaitingStock => "awaiting_stock",
            OrderState::Shipped => "shipped",
            OrderState::Delivered => "delivered",
            OrderState::Cancelled => "cancelled",
            OrderState::TimedOut => "timed_out",
            OrderState::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<OrderState> {
        [
            OrderState::PendingPayment,
            OrderState::Paid,
            OrderState::AwaitingStock,
            OrderState::Shipped,
            OrderState::Delivered,
            OrderState::Cancelled,
            OrderState::TimedOut,
            OrderState::Refunded,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    /// Whether the order still holds its stock (it counts toward per-member limits too).
    pub fn holds_stock(&self) -> bool {
        !matches!(self, OrderState::Cancelled | OrderState::TimedOut)
    }
}

/// What can be done to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderAction {
    Pay,
    Cancel,
    Timeout,
    Ship,
    Deliver,
    Refund,
}

/// The state an action moves an order to, or `None` when the action is not allowed there.
pub fn transition(from: OrderState, action: OrderAction, ships: bool) -> Option<OrderState> {
    use OrderAction as A;
    use OrderState as S;
    Some(match (from, action) {
        (S::PendingPayment, A::Pay) => S::Paid,
        (S::PendingPayment | S::Paid | S::AwaitingStock, A::Cancel) => S::Cancelled,
        (S::PendingPayment, A::Timeout) => S::TimedOut,
        (S::Paid, A::Ship) if ships => S::Shipped,
        (S::Paid, A::Deliver) if !ships => S::Delivered,
        (S::Shipped, A::Deliver) => S::Delivered,
        (S::Paid | S::Shipped | S::Delivered, A::Refund) => S::Refunded,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderAction as A;
    use OrderState as S;

    #[test]
    fn orders_move_only_along_the_allowed_paths() {
        assert_eq!(transition(S::PendingPayment, A::Pay, true), Some(S::Paid));
        assert_eq!(transition(S::Paid, A::Ship, true), Some(S::Shipped));
        assert_eq!(
            transition(S::Paid, A::Ship, false),
            None,
            "a coupon is not shipped"
        );
        assert_eq!(
            transition(S::Paid, A::Deliver, true),
            None,
            "goods ship first"
        );
        assert_eq!(
            transition(S::Shipped, A::Cancel, true),
            None,
            "too late to cancel"
        );
        assert_eq!(transition(S::Paid, A::Timeout, true), None);
        assert_eq!(transition(S::Delivered, A::Refund, true), Some(S::Refunded));
        assert_eq!(transition(S::Cancelled, A::Refund, true), None);
        assert_eq!(transition(S::Refunded, A::Refund, true), None);
        for s in [
            "pending_payment",
            "paid",
            "shipped",
            "delivered",
            "cancelled",
            "timed_out",
            "refunded",
        ] {
            assert_eq!(OrderState::parse(s).unwrap().as_str(), s);
        }
    }

    fn item() -> ItemDef {
        ItemDef {
            name_zh: "保温杯".into(),
            name_en: "Tumbler".into(),
            description_zh: String::new(),
            description_en: String::new(),
            category: "drinkware".into(),
            kind: ItemKind::Physical,
            skus: vec![Sku {
                sku: "CUP-1".into(),
                name: String::new(),
                points: 1000,
                cash_minor: 990,
                market_price_minor: Some(3500),
                stock: 10,
            }],
            audience: ItemAudience::default(),
            limits: ItemLimits::default(),
            sale_from: None,
            sale_until: None,
            flash_sale: false,
            presale: false,
            images: vec![],
        }
    }

    #[test]
    fn items_are_validated_with_the_field() {
        assert!(item().validate().is_ok());
        let field = |f: &dyn Fn(&mut ItemDef)| {
            let mut i = item();
            f(&mut i);
            i.validate().unwrap_err().field
        };
        assert_eq!(field(&|i| i.skus.clear()), "skus");
        assert_eq!(field(&|i| i.skus[0].points = -1), "skus[0].points");
        assert_eq!(
            field(&|i| {
                i.skus[0].points = 0;
                i.skus[0].cash_minor = 0
            }),
            "skus[0].points"
        );
        assert_eq!(field(&|i| i.skus[0].stock = -5), "skus[0].stock");
        assert_eq!(field(&|i| i.skus.push(i.skus[0].clone())), "skus[1].sku");
        assert_eq!(field(&|i| i.flash_sale = true), "sale_from");
        assert_eq!(
            field(&|i| {
                i.sale_from = Some(10);
                i.sale_until = Some(5)
            }),
            "sale_until"
        );
        assert_eq!(field(&|i| i.limits.per_day = Some(0)), "limits.per_day");
        assert_eq!(field(&|i| i.category = "饮品 cups".into()), "category");
        assert_eq!(field(&|i| i.name_zh = " ".into()), "name_zh");
    }

    #[test]
    fn a_flash_sale_allows_one_per_member_and_opens_at_its_start() {
        let mut i = item();
        i.flash_sale = true;
        i.sale_from = Some(1_000);
        assert_eq!(i.lifetime_limit(), Some(1));
        // The item may allow more per member in a flash sale.
        let mut three = i.clone();
        three.limits.lifetime = Some(3);
        assert_eq!(three.lifetime_limit(), Some(3));
        assert_eq!(i.window_refusal(999), Some("not_on_sale_yet"));
        assert_eq!(i.window_refusal(1_000), None);
        i.sale_until = Some(2_000);
        assert_eq!(i.window_refusal(2_000), Some("sale_ended"));
    }
}
