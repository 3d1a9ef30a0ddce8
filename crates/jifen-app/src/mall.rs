//! The points mall in use: the catalog staff manage, what a member sees (can afford, or how
//! many points short), and orders: points reserved on the ledger and stock taken in one
//! transaction, cash confirmed by the merchant's payment system or timed out, then fulfilment
//! (shipping, coupons issued), cancellation and after-sale refunds that return points to the
//! lots they came from.

use jifen_domain::mall::{ItemDef, ItemKind, OrderAction, OrderState, transition};
use jifen_domain::thousands;
use jifen_ledger::{MemberId, Millis, PointType, TransferId};
use jifen_store::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::commands::{self, MemberRef, check_id};
use crate::{AppError, ProgramCtx};

const ITEM_STATUSES: [&str; 3] = ["draft", "on_sale", "off_sale"];

fn parse_item(r: &ItemRow) -> Result<ItemDef, AppError> {
    serde_json::from_str(&r.definition)
        .map_err(|e| StoreError::Corrupt(format!("mall item {}: {e}", r.id)).into())
}

fn item_view(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    r: &ItemRow,
) -> Result<serde_json::Value, AppError> {
    let def = parse_item(r)?;
    let skus = tx.mall_skus_of(ctx.program.id, r.id)?;
    let mut v = serde_json::to_value(&def).expect("item serializes");
    let by_code: std::collections::HashMap<&str, &SkuRow> =
        skus.iter().map(|s| (s.sku.as_str(), s)).collect();
    if let Some(list) = v["skus"].as_array_mut() {
        for s in list {
            if let Some(row) = s["sku"].as_str().and_then(|c| by_code.get(c)) {
                s["stock"] = json!(row.stock);
                s["sold"] = json!(row.sold);
            }
        }
    }
    v["id"] = json!(r.id);
    v["status"] = json!(r.status);
    v["in_stock"] = json!(skus.iter().any(|s| s.stock > 0));
    v["created_at"] = json!(r.created_at);
    v["updated_at"] = json!(r.updated_at);
    Ok(v)
}

fn invalid(e: jifen_domain::mall::MallError) -> AppError {
    AppError::invalid(e.field, e.message)
}

/// An item to create: its definition and the status to start in (`draft` by default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemIn {
    #[serde(flatten)]
    pub definition: ItemDef,
    #[serde(default)]
    pub status: Option<String>,
}

fn check_refs(tx: &mut Tx<'_>, ctx: &ProgramCtx, def: &ItemDef) -> Result<(), AppError> {
    for (i, id) in def.images.iter().enumerate() {
        if !tx.mall_image_exists(ctx.program.id, *id)? {
            return Err(AppError::invalid(
                format!("images[{i}]"),
                format!("image {id} was not uploaded"),
            ));
        }
    }
    if let ItemKind::Coupon { template } = &def.kind
        && tx.coupon_template(ctx.program.id, template)?.is_none()
    {
        return Err(AppError::invalid(
            "kind.template",
            format!("coupon template {template:?} does not exist"),
        ));
    }
    if let Some(l) = &ctx.earn.ladder {
        for t in &def.audience.tiers {
            if l.index_of(t).is_none() {
                return Err(AppError::invalid(
                    "audience.tiers",
                    format!("{t:?} is not a tier of the ladder"),
                ));
            }
        }
    }
    Ok(())
}

/// Refuses SKU codes that another item (than `item`, when updating it) already has.
fn skus_free(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    def: &ItemDef,
    item: Option<i64>,
) -> Result<(), AppError> {
    for (k, s) in def.skus.iter().enumerate() {
        if let Some(other) = tx.mall_sku_by_code(ctx.program.id, &s.sku)?
            && Some(other.item_id) != item
        {
            return Err(AppError::invalid(
                format!("skus[{k}].sku"),
                format!("SKU {} belongs to another item", s.sku),
            ));
        }
    }
    Ok(())
}

pub fn create_item(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    i: &ItemIn,
) -> Result<serde_json::Value, AppError> {
    let def = &i.definition;
    def.validate().map_err(invalid)?;
    let status = i.status.as_deref().unwrap_or("draft");
    if !ITEM_STATUSES.contains(&status) {
        return Err(AppError::invalid(
            "status",
            "must be draft, on_sale or off_sale",
        ));
    }
    check_refs(tx, ctx, def)?;
    skus_free(tx, ctx, def, None)?;
    let text = serde_json::to_string(def).expect("item serializes");
    let id = tx.insert_mall_item(ctx.program.id, &text, &def.category, status, now)?;
    for s in &def.skus {
        tx.insert_mall_sku(ctx.program.id, id, &s.sku, s.points, s.cash_minor, s.stock)?;
    }
    let row = item(tx, ctx, id)?;
    item_view(tx, ctx, &row)
}

/// Replaces an item's definition. SKUs are matched by code: prices change at once (orders
/// placed keep theirs), new SKUs are added with their stock; a SKU cannot be removed (set it
/// out of stock instead), and stock of existing SKUs changes through restocking.
pub fn update_item(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    id: i64,
    def: &ItemDef,
) -> Result<serde_json::Value, AppError> {
    def.validate().map_err(invalid)?;
    check_refs(tx, ctx, def)?;
    let row = item(tx, ctx, id)?;
    let existing = tx.mall_skus_of(ctx.program.id, id)?;
    for e in &existing {
        if !def.skus.iter().any(|s| s.sku == e.sku) {
            return Err(AppError::invalid(
                "skus",
                format!(
                    "SKU {} cannot be removed; set it out of stock instead",
                    e.sku
                ),
            ));
        }
    }
    skus_free(tx, ctx, def, Some(id))?;
    let text = serde_json::to_string(def).expect("item serializes");
    tx.update_mall_item(
        ctx.program.id,
        row.id,
        Some(&text),
        Some(&def.category),
        None,
        now,
    )?;
    for s in &def.skus {
        match existing.iter().find(|e| e.sku == s.sku) {
            Some(e) => tx.update_mall_sku_price(ctx.program.id, e.id, s.points, s.cash_minor)?,
            None => {
                tx.insert_mall_sku(ctx.program.id, id, &s.sku, s.points, s.cash_minor, s.stock)?;
            }
        }
    }
    let row = item(tx, ctx, id)?;
    item_view(tx, ctx, &row)
}

pub fn set_item_status(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    id: i64,
    status: &str,
) -> Result<serde_json::Value, AppError> {
    if !ITEM_STATUSES.contains(&status) {
        return Err(AppError::invalid(
            "status",
            "must be draft, on_sale or off_sale",
        ));
    }
    item(tx, ctx, id)?;
    tx.update_mall_item(ctx.program.id, id, None, None, Some(status), now)?;
    let row = item(tx, ctx, id)?;
    item_view(tx, ctx, &row)
}

/// Adds (or, negative, removes) units of a SKU: a delivery from the supplier, a count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Restock {
    pub delta: i64,
}

pub fn restock(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    _now: Millis,
    sku: &str,
    r: &Restock,
) -> Result<serde_json::Value, AppError> {
    let max = jifen_domain::mall::STOCK_MAX;
    if r.delta == 0 || r.delta.abs() > max {
        return Err(AppError::invalid(
            "delta",
            format!("must be non-zero, at most {max} either way"),
        ));
    }
    let s = tx
        .mall_sku_by_code(ctx.program.id, sku)?
        .ok_or_else(|| AppError::NotFound {
            what: "sku",
            id: sku.to_string(),
        })?;
    if s.stock + r.delta < 0 {
        return Err(AppError::conflict(
            "stock_below_zero",
            format!(
                "SKU {sku} has {} in stock; cannot remove {}",
                s.stock, -r.delta
            ),
            json!({"sku": sku, "stock": s.stock}),
        ));
    }
    if s.stock + r.delta > max {
        return Err(AppError::invalid(
            "delta",
            format!("stock may not pass {max}"),
        ));
    }
    tx.return_mall_stock(ctx.program.id, s.id, r.delta, false)?;
    let s = tx.mall_sku(ctx.program.id, s.id)?.expect("sku exists");
    Ok(json!({"sku": s.sku, "stock": s.stock, "sold": s.sold}))
}

fn item(tx: &mut Tx<'_>, ctx: &ProgramCtx, id: i64) -> Result<ItemRow, AppError> {
    tx.mall_item(ctx.program.id, id)?
        .ok_or_else(|| AppError::NotFound {
            what: "mall item",
            id: id.to_string(),
        })
}

pub fn get_item(tx: &mut Tx<'_>, ctx: &ProgramCtx, id: i64) -> Result<serde_json::Value, AppError> {
    let row = item(tx, ctx, id)?;
    item_view(tx, ctx, &row)
}

/// Items listed at most per page.
pub const ITEMS_PAGE_MAX: i64 = 200;

pub fn list_items(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    status: Option<&str>,
    category: Option<&str>,
    after: i64,
    limit: i64,
) -> Result<serde_json::Value, AppError> {
    if let Some(s) = status
        && !ITEM_STATUSES.contains(&s)
    {
        return Err(AppError::invalid(
            "status",
            "must be draft, on_sale or off_sale",
        ));
    }
    if !(1..=ITEMS_PAGE_MAX).contains(&limit) {
        return Err(AppError::invalid(
            "limit",
            format!("must be between 1 and {ITEMS_PAGE_MAX}"),
        ));
    }
    let rows = tx.mall_items(ctx.program.id, status, category, after, limit)?;
    let mut items = Vec::new();
    for r in &rows {
        items.push(item_view(tx, ctx, r)?);
    }
    let next = (rows.len() as i64 == limit).then(|| rows.last().map(|r| r.id));
    Ok(json!({"items": items, "next_after": next.flatten()}))
}

/// Why a member may not buy an item now (audience and window), if they may not.
fn audience_refusal(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    def: &ItemDef,
    member: &Member,
    now: Millis,
) -> Result<Option<(&'static str, String)>, AppError> {
    if let Some(r) = def.window_refusal(now) {
        let msg = match r {
            "not_on_sale_yet" => format!("the sale starts at {}", def.sale_from.unwrap_or(0)),
            _ => "the sale has ended".to_string(),
        };
        return Ok(Some((r, msg)));
    }
    if !def.audience.tiers.is_empty() {
        let tier = crate::tiers::tier_code(tx, ctx, member.id, now)?;
        if !def.audience.tiers.contains(&tier) {
            return Ok(Some((
                "not_in_audience",
                format!("this item is for tiers {}", def.audience.tiers.join(", ")),
            )));
        }
    }
    if let Some(days) = def.audience.joined_within_days
        && now - member.created_at > days as i64 * 86_400_000
    {
        return Ok(Some((
            "not_in_audience",
            format!("this item is for members who joined in the last {days} days"),
        )));
    }
    Ok(None)
}

/// The least purchase (minor units) that earns `points` at the base rate (`per_unit` points per
/// currency unit) with a tier multiplier in percent; `None` when purchases earn nothing.
pub fn spend_to_earn(points: i64, per_unit: i64, multiplier_pct: u32) -> Option<i64> {
    if points <= 0 {
        return Some(0);
    }
    if per_unit <= 0 || multiplier_pct == 0 {
        return None;
    }
    let m = multiplier_pct as i128;
    // Base points whose multiplied (rounded down) value reaches `points`, then the amount whose
    // base points (rounded down) reach those.
    let up = |a: i128, b: i128| (a + b - 1) / b;
    let base = up(points as i128 * 100, m);
    let minor = up(base * 100, per_unit as i128);
    i64::try_from(minor).ok()
}

#[cfg(test)]
mod spend_tests {
    use super::*;

    #[test]
    fn the_spend_that_earns_the_points_short_is_the_least_that_does() {
        for per_unit in [1, 2, 3, 7, 100] {
            for mult in [100u32, 110, 150, 200, 333] {
                for short in [1, 29, 30, 101, 13_655] {
                    let spend = spend_to_earn(short, per_unit, mult).unwrap();
                    let earns = |minor: i64| {
                        jifen_ledger::policy::base_rate_points(minor, per_unit) * mult as i64 / 100
                    };
                    assert!(earns(spend) >= short, "{short} {per_unit} {mult}: {spend}");
                    assert!(
                        earns(spend - 1) < short,
                        "{short} {per_unit} {mult}: {spend} is not the least"
                    );
                }
            }
        }
        assert_eq!(spend_to_earn(30, 1, 100), Some(3_000));
        assert_eq!(spend_to_earn(0, 1, 100), Some(0));
        assert_eq!(spend_to_earn(5, 0, 100), None);
        assert_eq!(money_text("CNY", 3_000), "¥30.00");
        assert_eq!(money_text("USD", 123_456), "$1,234.56");
        assert_eq!(money_text("CHF", 1_200), "12.00 CHF");
    }
}

/// An amount for people: `¥30.00`, `$5.00`, or the currency code after the number when it has no
/// common symbol (`12.00 CHF`).
pub fn money_text(currency: &str, minor: i64) -> String {
    let sym = match currency {
        "CNY" | "RMB" => "¥",
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" => "JP¥",
        "HKD" => "HK$",
        _ => "",
    };
    let body = format!(
        "{}.{:02}",
        jifen_domain::thousands(minor / 100),
        (minor % 100).abs()
    );
    if sym.is_empty() {
        format!("{body} {currency}")
    } else {
        format!("{sym}{body}")
    }
}

/// The catalog as one member sees it: items on sale for them, each SKU with whether the member
/// can afford it now or how many points short they are ("再赚200积分即可兑换").
/// A member's price of a list price at their tier's member price (会员价, a percentage),
/// rounded up to a whole point or fen, so that a discount is never more than the tier gives.
pub fn member_price(pct: u32, list: i64) -> i64 {
    if pct >= 100 {
        list
    } else {
        (list * pct as i64 + 99) / 100
    }
}

pub fn member_catalog(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    category: Option<&str>,
    locale: &str,
    now: Millis,
) -> Result<serde_json::Value, AppError> {
    let m = commands::resolve(
        tx,
        ctx,
        &MemberRef::Id {
            member_id: member.0,
        },
    )?;
    let balance = crate::views::balance(tx, ctx, m.id, PointType::Points, now, 0)?.available;
    let en = locale.starts_with("en");
    // What the member would have to spend at the base rate, with their tier's multiplier, to
    // earn the points they are short ("再消费200元即可兑换").
    let (multiplier, price_pct) = {
        let tier = crate::tiers::tier_code(tx, ctx, m.id, now)?;
        let b = crate::tiers::benefits_of(ctx, &tier);
        (b.earn_multiplier_pct, b.member_price_pct)
    };
    let per_unit = ctx.program.policy.points_per_unit;
    let currency = ctx.program.currency.clone();
    let mut items = Vec::new();
    let mut after = 0;
    loop {
        let rows = tx.mall_items(
            ctx.program.id,
            Some("on_sale"),
            category,
            after,
            ITEMS_PAGE_MAX,
        )?;
        for r in &rows {
            let def = parse_item(r)?;
            if audience_refusal(tx, ctx, &def, &m, now)?
                .is_some_and(|(code, _)| code == "not_in_audience")
            {
                continue;
            }
            let mut v = item_view(tx, ctx, r)?;
            if let Some(skus) = v["skus"].as_array_mut() {
                for s in skus {
                    // The member sees and pays their tier's member price; the list price stays
                    // beside it.
                    if price_pct < 100 {
                        for (field, list) in
                            [("points", "list_points"), ("cash_minor", "list_cash_minor")]
                        {
                            let l = s[field].as_i64().unwrap_or(0);
                            s[list] = json!(l);
                            s[field] = json!(member_price(price_pct, l));
                        }
                        s["member_price_pct"] = json!(price_pct);
                    }
                    let price = s["points"].as_i64().unwrap_or(0);
                    let short = (price - balance).max(0);
                    s["affordable"] = json!(short == 0);
                    s["points_short"] = json!(short);
                    if let Some(spend) = spend_to_earn(short, per_unit, multiplier)
                        && short > 0
                    {
                        let amount = money_text(&currency, spend);
                        s["spend_more_minor"] = json!(spend);
                        s["spend_message"] = json!(if en {
                            format!("Spend {amount} more to redeem")
                        } else {
                            format!("再消费{amount}即可兑换")
                        });
                    }
                    s["message"] = json!(match (short, en) {
                        (0, false) => "积分充足，可立即兑换".to_string(),
                        (0, true) => "You have enough points".to_string(),
                        (k, false) => format!("再赚{}积分即可兑换", thousands(k)),
                        (k, true) => format!("Earn {} more points to redeem", thousands(k)),
                    });
                }
            }
            v["window"] = json!(def.window_refusal(now));
            items.push(v);
        }
        match rows.last() {
            Some(r) if rows.len() as i64 == ITEMS_PAGE_MAX => after = r.id,
            _ => break,
        }
    }
    Ok(json!({"member_id": m.id, "available_points": balance, "items": items}))
}

// ---- orders --------------------------------------------------------------------------------

/// How long a points + cash order waits for its payment by default, and at most.
pub const PAY_WINDOW_DEFAULT_SECONDS: i64 = 15 * 60;
pub const PAY_WINDOW_MAX_SECONDS: i64 = 24 * 3600;

/// A member ordering a SKU. `request_id` makes a retry return the first order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceOrder {
    pub member: MemberRef,
    pub sku: String,
    #[serde(default = "one")]
    pub quantity: i64,
    pub request_id: String,
    /// Required for physical goods.
    #[serde(default)]
    pub address: Option<Address>,
    /// Seconds the cash payment may take (points + cash orders).
    #[serde(default)]
    pub pay_within_seconds: Option<i64>,
}

fn one() -> i64 {
    1
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub name: String,
    pub phone: String,
    pub line: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub postcode: String,
}

impl Address {
    fn validate(&self) -> Result<(), AppError> {
        for (f, v, max) in [
            ("address.name", &self.name, 40),
            ("address.phone", &self.phone, 20),
            ("address.line", &self.line, 200),
        ] {
            if v.trim().is_empty() || v.chars().count() > max {
                return Err(AppError::invalid(
                    f,
                    format!("is required, at most {max} characters"),
                ));
            }
        }
        if !self
            .phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' '))
        {
            return Err(AppError::invalid(
                "address.phone",
                "digits, +, - and spaces only",
            ));
        }
        for (f, v) in [
            ("address.city", &self.city),
            ("address.postcode", &self.postcode),
        ] {
            if v.chars().count() > 40 {
                return Err(AppError::invalid(f, "at most 40 characters"));
            }
        }
        Ok(())
    }
}

fn refuse(code: &'static str, message: impl Into<String>, details: serde_json::Value) -> AppError {
    AppError::conflict(code, message, details)
}

pub fn place_order(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    o: &PlaceOrder,
) -> Result<serde_json::Value, AppError> {
    o.member.validate()?;
    check_id("request_id", &o.request_id)?;
    check_id("sku", &o.sku)?;
    if !(1..=jifen_domain::mall::QUANTITY_MAX).contains(&o.quantity) {
        return Err(AppError::invalid(
            "quantity",
            format!("must be between 1 and {}", jifen_domain::mall::QUANTITY_MAX),
        ));
    }
    let window = o.pay_within_seconds.unwrap_or(PAY_WINDOW_DEFAULT_SECONDS);
    if !(60..=PAY_WINDOW_MAX_SECONDS).contains(&window) {
        return Err(AppError::invalid(
            "pay_within_seconds",
            format!("must be between 60 and {PAY_WINDOW_MAX_SECONDS}"),
        ));
    }
    // The member is locked first: their orders are decided one at a time (limits, balance).
    let (member, _) = commands::resolve_locked(tx, ctx, &o.member)?;
    if let Some(existing) = tx.mall_order_by_request(ctx.program.id, member.id, &o.request_id)? {
        return order_view(tx, ctx, &existing);
    }
    let sku = tx
        .mall_sku_by_code(ctx.program.id, &o.sku)?
        .ok_or_else(|| AppError::NotFound {
            what: "sku",
            id: o.sku.clone(),
        })?;
    let row = item(tx, ctx, sku.item_id)?;
    let def = parse_item(&row)?;
    if row.status != "on_sale" {
        return Err(refuse(
            "not_on_sale",
            "this item is not on sale",
            json!({"item_id": row.id}),
        ));
    }
    if let Some((code, msg)) = audience_refusal(tx, ctx, &def, &member, now)? {
        return Err(refuse(code, msg, json!({"item_id": row.id})));
    }
    if def.kind.ships() {
        match &o.address {
            Some(a) => a.validate()?,
            None => {
                return Err(AppError::invalid(
                    "address",
                    "is required for goods that ship",
                ));
            }
        }
    }
    // Limits per member: a flash sale allows one in all.
    if let Some(l) = def.lifetime_limit() {
        let had = tx.mall_units_bought(ctx.program.id, member.id, row.id, 0)?;
        if had + o.quantity > l as i64 {
            return Err(refuse(
                "limit_reached",
                format!("one member may have {l} of this item; you have {had}"),
                json!({"item_id": row.id, "limit": l, "bought": had}),
            ));
        }
    }
    if let Some(l) = def.limits.per_day {
        let had = tx.mall_units_bought(
            ctx.program.id,
            member.id,
            row.id,
            crate::day_start(now, &ctx.tz),
        )?;
        if had + o.quantity > l as i64 {
            return Err(refuse(
                "limit_reached",
                format!("one member may have {l} of this item a day; you have {had} today"),
                json!({"item_id": row.id, "per_day": l, "bought_today": had}),
            ));
        }
    }
    if sku.stock < o.quantity {
        // Flash sales answer at once; other items suggest what to take instead.
        let alternatives = if def.flash_sale {
            Vec::new()
        } else {
            alternatives(tx, ctx, row.id, sku.points)?
        };
        return Err(refuse(
            "sold_out",
            if sku.stock == 0 {
                "sold out".to_string()
            } else {
                format!("only {} left", sku.stock)
            },
            json!({"sku": sku.sku, "stock": sku.stock, "alternatives": alternatives}),
        ));
    }
    // The member pays their tier's member price (会员价), as the catalog showed it.
    let price_pct = {
        let tier = crate::tiers::tier_code(tx, ctx, member.id, now)?;
        crate::tiers::benefits_of(ctx, &tier).member_price_pct
    };
    let points = member_price(price_pct, sku.points) * o.quantity;
    let cash = member_price(price_pct, sku.cash_minor) * o.quantity;
    // Too few points is refused by the ledger's reservation, before it writes anything.
    // The writes: the points reserved (held until the payment or its deadline), the stock.
    let deadline = now + window * 1000;
    let reservation = if points > 0 {
        let r = commands::reserve(
            tx,
            ctx,
            now,
            &commands::Reserve {
                member: MemberRef::Id {
                    member_id: member.id.0,
                },
                amount: points,
                reason: Some(format!(
                    "积分商城兑换 mall order: {} ×{}",
                    def.name_zh, o.quantity
                )),
                order_ref: Some(format!("mall:{}:{}", member.id, o.request_id)),
                // Longer than the payment window: the mall's own timeout releases it first.
                ttl_seconds: Some(window + 3600),
                // Given to the order once it is numbered, below.
                owner: None,
            },
        )?;
        Some(r["reservation_id"].as_i64().expect("reservation id"))
    } else {
        None
    };
    if !tx.take_mall_stock(ctx.program.id, sku.id, o.quantity)? {
        return Err(refuse("sold_out", "sold out", json!({"sku": sku.sku})));
    }
    let state = if cash > 0 {
        OrderState::PendingPayment
    } else {
        OrderState::Paid
    };
    let address = o
        .address
        .as_ref()
        .map(|a| serde_json::to_string(a).expect("address serializes"));
    let id = tx.insert_mall_order(
        ctx.program.id,
        &NewMallOrder {
            member: member.id,
            request_id: &o.request_id,
            item_id: row.id,
            sku_id: sku.id,
            quantity: o.quantity,
            points,
            cash_minor: cash,
            state: OrderState::PendingPayment.as_str(),
            reservation_id: reservation,
            pay_deadline: (cash > 0).then_some(deadline),
            address: address.as_deref(),
        },
        now,
    )?;
    if let Some(r) = reservation {
        // The order's points move only through the order from now on.
        tx.set_reservation_owner(ctx.program.id, TransferId(r), &owner(id))?;
    }
    tx.mall_order_event(
        ctx.program.id,
        id,
        OrderState::PendingPayment.as_str(),
        None,
        None,
        now,
    )?;
    if state == OrderState::Paid {
        settle_payment(tx, ctx, now, id, None, None)?;
    }
    event(tx, ctx, id, "mall.order.placed", now)?;
    let o = order_row(tx, ctx, id)?;
    order_view(tx, ctx, &o)
}

/// The owner an order's reservation carries.
fn owner(order_id: i64) -> ReservationOwner {
    ReservationOwner::MallOrder { order_id }
}

fn order_row(tx: &mut Tx<'_>, ctx: &ProgramCtx, id: i64) -> Result<MallOrderRow, AppError> {
    tx.mall_order(ctx.program.id, id)?
        .ok_or_else(|| AppError::NotFound {
            what: "mall order",
            id: id.to_string(),
        })
}

fn event(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    id: i64,
    topic: &str,
    now: Millis,
) -> Result<(), AppError> {
    let o = order_row(tx, ctx, id)?;
    tx.outbox_push(
        ctx.program.id,
        topic,
        Some(o.member),
        &json!({"order_id": o.id, "member_id": o.member, "state": o.state, "points": o.points,
                "cash_minor": o.cash_minor, "refunded_points": o.refunded_points,
                "refunded_cash_minor": o.refunded_cash_minor})
        .to_string(),
        now,
    )?;
    Ok(())
}

/// The payment arrived (or nothing was owed): points posted, the order paid, and items that
/// need no hands fulfilled at once (a coupon is issued and the order delivered).
fn settle_payment(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    id: i64,
    payment_ref: Option<&str>,
    actor: Option<&str>,
) -> Result<(), AppError> {
    let o = order_row(tx, ctx, id)?;
    if let Some(r) = o.reservation_id {
        commands::post_reservation_by(tx, ctx, now, r, Some(&owner(o.id)))?;
    }
    let row = item(tx, ctx, o.item_id)?;
    let def = parse_item(&row)?;
    // A presale order, paid, waits for its stock.
    let to = if def.presale {
        "awaiting_stock"
    } else {
        "paid"
    };
    tx.move_mall_order(
        ctx.program.id,
        id,
        "pending_payment",
        to,
        actor,
        payment_ref,
        now,
    )?;
    if payment_ref.is_some() {
        tx.set_mall_order_details(ctx.program.id, id, payment_ref, None, None, None, now)?;
    }
    if def.presale {
        return Ok(());
    }
    fulfil_at_once(tx, ctx, now, &o, &def)
}

/// Items that need no hands are fulfilled when paid: a coupon is issued, the order delivered.
fn fulfil_at_once(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    o: &MallOrderRow,
    def: &ItemDef,
) -> Result<(), AppError> {
    let id = o.id;
    if matches!(
        def.kind,
        ItemKind::Virtual | ItemKind::Experience | ItemKind::Partner { .. }
    ) {
        // The merchant's system delivers it: announced for the webhooks, acknowledged by a 2xx.
        let sku = tx.mall_sku(ctx.program.id, o.sku_id)?.map(|s| s.sku);
        tx.outbox_push(
            ctx.program.id,
            "mall.order.fulfil",
            Some(o.member),
            &json!({"order_id": id, "member_id": o.member, "item_id": o.item_id, "sku": sku,
                    "quantity": o.quantity, "kind": def.kind, "name_zh": def.name_zh, "name_en": def.name_en})
            .to_string(),
            now,
        )?;
        return Ok(());
    }
    if let ItemKind::Coupon { template } = def.kind.clone() {
        let mut codes = Vec::new();
        for k in 0..o.quantity {
            let c = crate::coupons::issue(
                tx,
                ctx,
                now,
                o.member,
                &template,
                &format!("mall order {id}"),
                &format!("mall:{id}:{k}"),
            )?;
            codes.push(c["code"].as_str().unwrap_or_default().to_string());
        }
        tx.set_mall_order_details(
            ctx.program.id,
            id,
            None,
            None,
            None,
            Some(&codes.join(",")),
            now,
        )?;
        tx.move_mall_order(
            ctx.program.id,
            id,
            "paid",
            "delivered",
            None,
            Some("coupon issued"),
            now,
        )?;
    }
    Ok(())
}

/// The merchant's system acknowledged a fulfilment webhook: a paid order is delivered, with the
/// answer recorded in its history. An order that moved on meanwhile (cancelled) is left alone.
pub fn fulfilled_by_webhook(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    id: i64,
    code: i64,
) -> Result<(), AppError> {
    if tx.move_mall_order(
        ctx.program.id,
        id,
        "paid",
        "delivered",
        Some("system:webhook"),
        Some(&format!("fulfilled: webhook answered HTTP {code}")),
        now,
    )? {
        event(tx, ctx, id, "mall.order.delivered", now)?;
    }
    Ok(())
}

/// Stock of a presale SKU arrived: orders waiting for it are released oldest first (each moves
/// to paid, ready to ship) while the units last; units left over are added to the stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arrival {
    pub quantity: i64,
}

/// Waiting orders read per page by an arrival.
const ARRIVAL_PAGE: i64 = 500;

pub fn arrival(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    sku: &str,
    a: &Arrival,
) -> Result<serde_json::Value, AppError> {
    let max = jifen_domain::mall::STOCK_MAX;
    if !(1..=max).contains(&a.quantity) {
        return Err(AppError::invalid(
            "quantity",
            format!("must be between 1 and {max}"),
        ));
    }
    let s = tx
        .mall_sku_by_code(ctx.program.id, sku)?
        .ok_or_else(|| AppError::NotFound {
            what: "sku",
            id: sku.to_string(),
        })?;
    let mut left = a.quantity;
    let mut released = Vec::new();
    // Oldest first, a page at a time while units last (released orders leave the page).
    'pages: loop {
        let waiting =
            tx.mall_orders_of_sku(ctx.program.id, s.id, "awaiting_stock", ARRIVAL_PAGE)?;
        if waiting.is_empty() {
            break;
        }
        for o in waiting {
            if o.quantity > left {
                break 'pages;
            }
            tx.move_mall_order(
                ctx.program.id,
                o.id,
                "awaiting_stock",
                "paid",
                Some("system:arrival"),
                Some("stock arrived"),
                now,
            )?;
            event(tx, ctx, o.id, "mall.order.released", now)?;
            left -= o.quantity;
            released.push(o.id);
        }
    }
    if left > 0 {
        tx.return_mall_stock(ctx.program.id, s.id, left, false)?;
    }
    let s = tx.mall_sku(ctx.program.id, s.id)?.expect("sku exists");
    Ok(json!({"sku": s.sku, "released_orders": released, "added_to_stock": left, "stock": s.stock}))
}

/// An action on an order by the merchant's systems or staff.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderUpdate {
    /// Who acts: a staff account, the payment system.
    #[serde(default)]
    pub actor: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    /// Pay: the payment system's reference.
    #[serde(default)]
    pub payment_ref: Option<String>,
    /// Ship: the carrier and tracking number.
    #[serde(default)]
    pub carrier: Option<String>,
    #[serde(default)]
    pub tracking_no: Option<String>,
    /// Refund: points to give back (all that is left when absent) and cash the merchant
    /// refunds (reported; paid back by the merchant's payment system).
    #[serde(default)]
    pub points: Option<i64>,
    #[serde(default)]
    pub cash_minor: Option<i64>,
    /// Refund: whether the goods came back into stock.
    #[serde(default)]
    pub restock: bool,
}

fn not_allowed(o: &MallOrderRow, action: OrderAction) -> AppError {
    refuse(
        "order_state",
        format!(
            "order {} is {}; it cannot be {action:?}-ed now",
            o.id, o.state
        )
        .to_lowercase(),
        json!({"order_id": o.id, "state": o.state, "action": action}),
    )
}

pub fn act(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    id: i64,
    action: OrderAction,
    u: &OrderUpdate,
) -> Result<serde_json::Value, AppError> {
    if let Some(a) = &u.actor {
        check_id("actor", a)?;
    }
    commands::check_reason_pub("reason", &u.reason, false)?;
    let first = order_row(tx, ctx, id)?;
    // Lock the member, then read the order again for the decision.
    commands::books(tx, ctx, first.member)?;
    let o = order_row(tx, ctx, id)?;
    let from = OrderState::parse(&o.state)
        .ok_or_else(|| StoreError::Corrupt(format!("mall order {id} state {}", o.state)))?;
    let row = item(tx, ctx, o.item_id)?;
    let def = parse_item(&row)?;
    let ships = def.kind.ships();
    let to = transition(from, action, ships);
    let actor = u.actor.as_deref();
    match (action, to) {
        (OrderAction::Refund, _)
            if matches!(
                from,
                OrderState::Paid | OrderState::Shipped | OrderState::Delivered
            ) =>
        {
            return refund(tx, ctx, now, &o, from, u);
        }
        (_, None) => return Err(not_allowed(&o, action)),
        (OrderAction::Pay, Some(_)) => {
            if let Some(p) = &u.payment_ref {
                check_id("payment_ref", p)?;
            }
            if o.pay_deadline.is_some_and(|d| now >= d) {
                return Err(refuse(
                    "payment_too_late",
                    "the payment window has passed; the order is being released",
                    json!({"order_id": id, "pay_deadline": o.pay_deadline}),
                ));
            }
            settle_payment(tx, ctx, now, id, u.payment_ref.as_deref(), actor)?;
            event(tx, ctx, id, "mall.order.paid", now)?;
        }
        (OrderAction::Cancel | OrderAction::Timeout, Some(to)) => {
            release(tx, ctx, now, &o, from, u.reason.clone())?;
            tx.move_mall_order(
                ctx.program.id,
                id,
                from.as_str(),
                to.as_str(),
                actor,
                u.reason.as_deref(),
                now,
            )?;
            event(tx, ctx, id, &format!("mall.order.{}", to.as_str()), now)?;
        }
        (OrderAction::Ship, Some(to)) => {
            let (Some(carrier), Some(tracking)) = (&u.carrier, &u.tracking_no) else {
                return Err(AppError::invalid(
                    "tracking_no",
                    "shipping needs a carrier and a tracking number",
                ));
            };
            check_id("carrier", carrier)?;
            check_id("tracking_no", tracking)?;
            tx.set_mall_order_details(
                ctx.program.id,
                id,
                None,
                Some(carrier),
                Some(tracking),
                None,
                now,
            )?;
            tx.move_mall_order(
                ctx.program.id,
                id,
                from.as_str(),
                to.as_str(),
                actor,
                Some(&format!("{carrier} {tracking}")),
                now,
            )?;
            event(tx, ctx, id, "mall.order.shipped", now)?;
        }
        (OrderAction::Deliver, Some(to)) => {
            tx.move_mall_order(
                ctx.program.id,
                id,
                from.as_str(),
                to.as_str(),
                actor,
                u.reason.as_deref(),
                now,
            )?;
            event(tx, ctx, id, "mall.order.delivered", now)?;
        }
        (OrderAction::Refund, Some(_)) => return Err(not_allowed(&o, action)),
    }
    let o = order_row(tx, ctx, id)?;
    order_view(tx, ctx, &o)
}

/// Returns an order's points and stock: a reservation still open is voided; points already
/// posted go back to the lots they came from.
fn release(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    o: &MallOrderRow,
    from: OrderState,
    reason: Option<String>,
) -> Result<(), AppError> {
    if let Some(r) = o.reservation_id {
        if from == OrderState::PendingPayment {
            commands::void_reservation_by(tx, ctx, now, r, reason.clone(), Some(&owner(o.id)))?;
        } else {
            commands::refund_redemption_by(
                tx,
                ctx,
                now,
                &commands::RedemptionRefund {
                    transfer_id: r,
                    amount: None,
                    reason,
                },
                Some(&owner(o.id)),
            )?;
        }
    }
    tx.return_mall_stock(ctx.program.id, o.sku_id, o.quantity, true)?;
    Ok(())
}

/// An after-sale refund, whole or partial: points back to their original lots, the cash to
/// refund recorded for the merchant. The order is refunded once nothing is left to give back.
fn refund(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    o: &MallOrderRow,
    from: OrderState,
    u: &OrderUpdate,
) -> Result<serde_json::Value, AppError> {
    let points_left = o.points - o.refunded_points;
    let cash_left = o.cash_minor - o.refunded_cash_minor;
    let points = u.points.unwrap_or(points_left);
    let cash = u
        .cash_minor
        .unwrap_or(if u.points.is_none() { cash_left } else { 0 });
    if !(0..=points_left).contains(&points) {
        return Err(AppError::invalid(
            "points",
            format!("must be between 0 and {points_left} (what is left to refund)"),
        ));
    }
    if !(0..=cash_left).contains(&cash) {
        return Err(AppError::invalid(
            "cash_minor",
            format!("must be between 0 and {cash_left} (what is left to refund)"),
        ));
    }
    if points == 0 && cash == 0 {
        return Err(AppError::invalid(
            "points",
            "a refund gives back points, cash or both",
        ));
    }
    // A coupon the order issued is withdrawn when the whole order is refunded, and only if unused.
    let full = points == points_left && cash == cash_left;
    let mut coupons = Vec::new();
    if full && let Some(codes) = &o.coupon_code {
        for c in codes.split(',').filter(|c| !c.is_empty()) {
            let row = tx.coupon_by_code(ctx.program.id, c)?;
            match row {
                Some(r) if r.status == "issued" => coupons.push(r.id),
                Some(r) => {
                    return Err(refuse(
                        "coupon_used",
                        format!(
                            "coupon {c} of this order is {}; refund points without it",
                            r.status
                        ),
                        json!({"coupon": c, "status": r.status}),
                    ));
                }
                None => {}
            }
        }
    }
    if points > 0
        && let Some(r) = o.reservation_id
    {
        commands::refund_redemption_by(
            tx,
            ctx,
            now,
            &commands::RedemptionRefund {
                transfer_id: r,
                amount: Some(points),
                reason: u.reason.clone(),
            },
            Some(&owner(o.id)),
        )?;
    }
    for c in coupons {
        tx.void_coupon(ctx.program.id, c)?;
    }
    tx.add_mall_order_refund(ctx.program.id, o.id, points, cash, now)?;
    if full && u.restock {
        tx.return_mall_stock(ctx.program.id, o.sku_id, o.quantity, true)?;
    }
    let note = format!(
        "refund {points} points, {cash} cash{}",
        u.reason
            .as_deref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default()
    );
    if full {
        tx.move_mall_order(
            ctx.program.id,
            o.id,
            from.as_str(),
            "refunded",
            u.actor.as_deref(),
            Some(&note),
            now,
        )?;
    } else {
        tx.mall_order_event(
            ctx.program.id,
            o.id,
            from.as_str(),
            u.actor.as_deref(),
            Some(&note),
            now,
        )?;
    }
    tx.outbox_push(
        ctx.program.id,
        "mall.order.refunded",
        Some(o.member),
        &json!({"order_id": o.id, "member_id": o.member, "points": points, "cash_minor_to_refund": cash, "full": full})
            .to_string(),
        now,
    )?;
    let o = order_row(tx, ctx, o.id)?;
    order_view(tx, ctx, &o)
}

/// Orders one timeout step releases.
pub const TIMEOUT_STEP_ORDERS: i64 = 200;

/// Releases points + cash orders whose payment did not arrive in time: points and stock back,
/// the order timed out. Runs before the ledger's own reservation timeouts.
pub fn timeout_step(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    scope: &crate::JobScope,
) -> Result<Option<i64>, AppError> {
    let due =
        tx.mall_orders_past_deadline(ctx.program.id, now, scope.fetch(TIMEOUT_STEP_ORDERS))?;
    let due = scope.keep(due, TIMEOUT_STEP_ORDERS, |id| *id);
    if due.is_empty() {
        return Ok(None);
    }
    let mut n = 0;
    for id in due {
        scope.at(id);
        let u = OrderUpdate {
            actor: Some("system:timeout".into()),
            reason: Some("payment not received in time".into()),
            ..Default::default()
        };
        act(tx, ctx, now, id, OrderAction::Timeout, &u)?;
        n += 1;
    }
    Ok(Some(n))
}

pub fn order_view(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    o: &MallOrderRow,
) -> Result<serde_json::Value, AppError> {
    let sku = tx.mall_sku(ctx.program.id, o.sku_id)?;
    let row = tx.mall_item(ctx.program.id, o.item_id)?;
    let def = row.as_ref().map(parse_item).transpose()?;
    let history: Vec<serde_json::Value> = tx
        .mall_order_events(ctx.program.id, o.id)?
        .into_iter()
        .map(|(state, actor, note, at)| json!({"state": state, "actor": actor, "note": note, "at": at}))
        .collect();
    Ok(json!({
        "order_id": o.id,
        "request_id": o.request_id,
        "member_id": o.member,
        "item_id": o.item_id,
        "item_name_zh": def.as_ref().map(|d| d.name_zh.clone()),
        "item_name_en": def.as_ref().map(|d| d.name_en.clone()),
        "kind": def.as_ref().map(|d| d.kind.clone()),
        "sku": sku.map(|s| s.sku),
        "quantity": o.quantity,
        "points": o.points,
        "cash_minor": o.cash_minor,
        "state": o.state,
        "reservation_id": o.reservation_id,
        "pay_deadline": o.pay_deadline,
        "payment_ref": o.payment_ref,
        "address": o.address.as_deref().and_then(|a| serde_json::from_str::<serde_json::Value>(a).ok()),
        "carrier": o.carrier,
        "tracking_no": o.tracking_no,
        "coupons": o.coupon_code.as_deref().map(|c| c.split(',').collect::<Vec<_>>()),
        "refunded_points": o.refunded_points,
        "refunded_cash_minor": o.refunded_cash_minor,
        "created_at": o.created_at,
        "updated_at": o.updated_at,
        "history": history,
    }))
}

pub fn get_order(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    id: i64,
) -> Result<serde_json::Value, AppError> {
    let o = order_row(tx, ctx, id)?;
    order_view(tx, ctx, &o)
}

pub const ORDERS_PAGE_MAX: i64 = 200;

pub fn list_orders(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: Option<MemberId>,
    state: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> Result<serde_json::Value, AppError> {
    if let Some(s) = state
        && OrderState::parse(s).is_none()
    {
        return Err(AppError::invalid("state", "is not an order state"));
    }
    if !(1..=ORDERS_PAGE_MAX).contains(&limit) {
        return Err(AppError::invalid(
            "limit",
            format!("must be between 1 and {ORDERS_PAGE_MAX}"),
        ));
    }
    let rows = tx.mall_orders(
        ctx.program.id,
        member,
        state,
        before.unwrap_or(i64::MAX),
        limit,
    )?;
    let mut items = Vec::new();
    for r in &rows {
        items.push(order_view(tx, ctx, r)?);
    }
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    Ok(json!({"items": items, "next_before": next}))
}

// ---- a catalog that renews itself ----------------------------------------------------------

/// Up to three items to offer instead of one that is sold out: on sale and in stock, of the same
/// category, nearest in points price (within half either way).
pub fn alternatives(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    item_id: i64,
    points: i64,
) -> Result<Vec<serde_json::Value>, AppError> {
    let row = item(tx, ctx, item_id)?;
    let mut found: Vec<(i64, serde_json::Value)> = Vec::new();
    let mut after = 0;
    loop {
        let rows = tx.mall_items(
            ctx.program.id,
            Some("on_sale"),
            Some(&row.category),
            after,
            ITEMS_PAGE_MAX,
        )?;
        for r in &rows {
            if r.id == item_id {
                continue;
            }
            for s in tx.mall_skus_of(ctx.program.id, r.id)? {
                if s.stock > 0 && (s.points - points).abs() * 2 <= points.max(1) {
                    let def = parse_item(r)?;
                    found.push((
                        (s.points - points).abs(),
                        json!({"item_id": r.id, "sku": s.sku, "name_zh": def.name_zh, "name_en": def.name_en,
                               "points": s.points, "cash_minor": s.cash_minor, "stock": s.stock}),
                    ));
                }
            }
        }
        match rows.last() {
            Some(r) if rows.len() as i64 == ITEMS_PAGE_MAX => after = r.id,
            _ => break,
        }
    }
    found.sort_by_key(|(d, v)| (*d, v["item_id"].as_i64()));
    Ok(found.into_iter().take(3).map(|(_, v)| v).collect())
}

/// Items on sale for at least `months` whose redemption rate over those months (units sold over
/// units sold plus units in stock) stayed under `threshold_pct`; with `apply`, they are taken off
/// sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlowItems {
    #[serde(default = "three")]
    pub months: u32,
    #[serde(default = "five")]
    pub threshold_pct: u32,
    #[serde(default)]
    pub apply: bool,
}

fn three() -> u32 {
    3
}

fn five() -> u32 {
    5
}

pub fn slow_items(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    r: &SlowItems,
) -> Result<serde_json::Value, AppError> {
    if !(1..=24).contains(&r.months) {
        return Err(AppError::invalid("months", "must be between 1 and 24"));
    }
    if !(1..=100).contains(&r.threshold_pct) {
        return Err(AppError::invalid(
            "threshold_pct",
            "must be between 1 and 100",
        ));
    }
    let since = now - r.months as i64 * 30 * 86_400_000;
    let mut slow = Vec::new();
    let mut after = 0;
    loop {
        let rows = tx.mall_items(ctx.program.id, Some("on_sale"), None, after, ITEMS_PAGE_MAX)?;
        for row in &rows {
            if row.created_at > since {
                continue;
            }
            let sold = tx.mall_units_sold_since(ctx.program.id, row.id, since)?;
            let stock: i64 = tx
                .mall_skus_of(ctx.program.id, row.id)?
                .iter()
                .map(|s| s.stock)
                .sum();
            let offered = sold + stock;
            // Rate in basis points, compared without rounding.
            if offered > 0 && sold * 100 < offered * r.threshold_pct as i64 {
                let def = parse_item(row)?;
                slow.push(json!({"item_id": row.id, "name_zh": def.name_zh, "name_en": def.name_en,
                                 "sold": sold, "stock": stock, "rate_pct": sold as f64 * 100.0 / offered as f64}));
            }
        }
        match rows.last() {
            Some(r) if rows.len() as i64 == ITEMS_PAGE_MAX => after = r.id,
            _ => break,
        }
    }
    if r.apply {
        for v in &slow {
            let id = v["item_id"].as_i64().unwrap_or(0);
            tx.update_mall_item(ctx.program.id, id, None, None, Some("off_sale"), now)?;
        }
    }
    Ok(
        json!({"months": r.months, "threshold_pct": r.threshold_pct, "taken_off_sale": r.apply, "items": slow}),
    )
}

/// An item members may vote for (积分商品投票).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Candidate {
    pub name_zh: String,
    pub name_en: String,
    #[serde(default)]
    pub description: String,
}

pub fn add_candidate(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    c: &Candidate,
) -> Result<serde_json::Value, AppError> {
    for (f, v, min, max) in [
        ("name_zh", &c.name_zh, 1, 80),
        ("name_en", &c.name_en, 1, 80),
        ("description", &c.description, 0, 1000),
    ] {
        let n = v.trim().chars().count();
        if n < min || v.chars().count() > max {
            return Err(AppError::invalid(
                f,
                format!("must be {min} to {max} characters"),
            ));
        }
    }
    let id =
        tx.insert_mall_candidate(ctx.program.id, &c.name_zh, &c.name_en, &c.description, now)?;
    Ok(json!({"candidate_id": id, "status": "open"}))
}

pub fn close_candidate(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    _now: Millis,
    id: i64,
) -> Result<serde_json::Value, AppError> {
    if !tx.set_mall_candidate_status(ctx.program.id, id, "closed")? {
        return Err(AppError::NotFound {
            what: "candidate",
            id: id.to_string(),
        });
    }
    Ok(json!({"candidate_id": id, "status": "closed"}))
}

pub fn candidates(tx: &mut Tx<'_>, ctx: &ProgramCtx) -> Result<serde_json::Value, AppError> {
    let items: Vec<serde_json::Value> = tx
        .mall_candidates(ctx.program.id)?
        .into_iter()
        .map(|(id, zh, en, d, status, votes)| {
            json!({"candidate_id": id, "name_zh": zh, "name_en": en, "description": d, "status": status, "votes": votes})
        })
        .collect();
    Ok(json!({"items": items}))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vote {
    pub member_id: i64,
}

/// One vote per member per candidate, while voting is open.
pub fn vote(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    id: i64,
    v: &Vote,
) -> Result<serde_json::Value, AppError> {
    let m = commands::resolve(
        tx,
        ctx,
        &MemberRef::Id {
            member_id: v.member_id,
        },
    )?;
    let Some(c) = tx
        .mall_candidates(ctx.program.id)?
        .into_iter()
        .find(|c| c.0 == id)
    else {
        return Err(AppError::NotFound {
            what: "candidate",
            id: id.to_string(),
        });
    };
    if c.4 != "open" {
        return Err(refuse(
            "voting_closed",
            "voting on this item has closed",
            json!({"candidate_id": id}),
        ));
    }
    if !tx.insert_mall_vote(ctx.program.id, id, m.id, now)? {
        return Err(refuse(
            "already_voted",
            "you already voted for this item",
            json!({"candidate_id": id}),
        ));
    }
    Ok(json!({"candidate_id": id, "member_id": m.id, "votes": c.5 + 1}))
}

// Images live in `images.rs`; their names stay reachable here.
pub use crate::images::{IMAGE_BYTES_MAX, IMAGE_SIDE_MAX, THUMB_SIDE, upload_image};
