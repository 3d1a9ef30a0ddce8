//! The catalog a member sees: who may buy what, member prices, and what the member can afford
//! or how many points short.

use jifen_domain::mall::ItemDef;
use jifen_domain::thousands;
use jifen_ledger::{MemberId, Millis, PointType};
use jifen_store::*;

use crate::commands::{self, MemberRef};
use crate::{AppError, ProgramCtx};

use super::item_views::{ItemView, MemberCatalog, MemberItem, MemberSku, SkuView};
use super::items::{ITEMS_PAGE_MAX, item_view, parse_item};

/// Why a member may not buy an item now (audience and window), if they may not.
pub(super) fn audience_refusal(
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
) -> Result<MemberCatalog, AppError> {
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
    let earning = Earning {
        per_unit: ctx.program.policy.points_per_unit,
        multiplier,
        currency: ctx.program.currency.clone(),
    };
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
            let v = item_view(tx, ctx, r)?;
            let window = def.window_refusal(now).map(str::to_string);
            let skus = v
                .skus
                .into_iter()
                .map(|s| sku_for_member(s, price_pct, balance, &earning, en))
                .collect();
            let item = ItemView::of(def, skus, r, v.in_stock);
            items.push(MemberItem { item, window });
        }
        match rows.last() {
            Some(r) if rows.len() as i64 == ITEMS_PAGE_MAX => after = r.id,
            _ => break,
        }
    }
    let categories = super::item_views::used_categories(super::categories(tx, ctx)?, &items);
    Ok(MemberCatalog {
        member_id: m.id.0,
        available_points: balance,
        items,
        categories,
    })
}

/// How a member earns points by spending: the base rate, their tier's multiplier, the currency.
struct Earning {
    per_unit: i64,
    multiplier: u32,
    currency: String,
}

/// A SKU at the member's price (their tier's member price, the list price beside it) with
/// whether they can afford one, or how many points (and how much spending) they are short.
fn sku_for_member(
    mut sku: SkuView,
    price_pct: u32,
    balance: i64,
    earning: &Earning,
    en: bool,
) -> MemberSku {
    let (mut list_points, mut list_cash_minor, mut member_price_pct) = (None, None, None);
    if price_pct < 100 {
        list_points = Some(sku.points);
        list_cash_minor = Some(sku.cash_minor);
        member_price_pct = Some(price_pct);
        sku.points = member_price(price_pct, sku.points);
        sku.cash_minor = member_price(price_pct, sku.cash_minor);
    }
    let short = (sku.points - balance).max(0);
    let spend = spend_to_earn(short, earning.per_unit, earning.multiplier).filter(|_| short > 0);
    let spend_message = spend.map(|spend| {
        let amount = money_text(&earning.currency, spend);
        if en {
            format!("Spend {amount} more to redeem")
        } else {
            format!("再消费{amount}即可兑换")
        }
    });
    let message = match (short, en) {
        (0, false) => "积分充足，可立即兑换".to_string(),
        (0, true) => "You have enough points".to_string(),
        (k, false) => format!("再赚{}积分即可兑换", thousands(k)),
        (k, true) => format!("Earn {} more points to redeem", thousands(k)),
    };
    MemberSku {
        sku,
        list_points,
        list_cash_minor,
        member_price_pct,
        affordable: short == 0,
        points_short: short,
        spend_more_minor: spend,
        spend_message,
        message,
    }
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
