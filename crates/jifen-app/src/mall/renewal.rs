//! A catalog that renews itself: alternatives to sold-out items, slow items, and candidate
//! items members vote for.

use jifen_ledger::Millis;
use jifen_store::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::commands::{self, MemberRef};
use crate::{AppError, ProgramCtx};

use super::items::{ITEMS_PAGE_MAX, item, parse_item};
use super::orders::refuse;

/// A SKU offered instead of one that is sold out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AlternativeItem {
    pub item_id: i64,
    /// The SKU's code, to order.
    pub sku: String,
    pub name_zh: String,
    pub name_en: String,
    pub points: i64,
    /// Cash on top of the points, in minor units.
    pub cash_minor: i64,
    /// Units in stock now.
    pub stock: i64,
}

/// What to offer instead of an item: up to three SKUs, nearest in price first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ItemAlternatives {
    pub item_id: i64,
    pub alternatives: Vec<AlternativeItem>,
}

/// Up to three items to offer instead of one that is sold out: on sale and in stock, of the same
/// category, nearest in points price (within half either way).
pub fn alternatives(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    item_id: i64,
    points: i64,
) -> Result<Vec<AlternativeItem>, AppError> {
    let row = item(tx, ctx, item_id)?;
    let mut found: Vec<(i64, AlternativeItem)> = Vec::new();
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
                        AlternativeItem {
                            item_id: r.id,
                            sku: s.sku,
                            name_zh: def.name_zh,
                            name_en: def.name_en,
                            points: s.points,
                            cash_minor: s.cash_minor,
                            stock: s.stock,
                        },
                    ));
                }
            }
        }
        match rows.last() {
            Some(r) if rows.len() as i64 == ITEMS_PAGE_MAX => after = r.id,
            _ => break,
        }
    }
    found.sort_by_key(|(d, v)| (*d, v.item_id));
    Ok(found.into_iter().take(3).map(|(_, v)| v).collect())
}

/// What to offer instead of an item, priced as its first SKU.
pub fn item_alternatives(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    item_id: i64,
) -> Result<ItemAlternatives, AppError> {
    let skus = tx.mall_skus_of(ctx.program.id, item_id)?;
    let points = skus.first().map_or(0, |s| s.points);
    Ok(ItemAlternatives {
        item_id,
        alternatives: alternatives(tx, ctx, item_id, points)?,
    })
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

/// The slow items found, and whether they were taken off sale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SlowItemsReport {
    pub months: u32,
    pub threshold_pct: u32,
    /// Whether the items listed were taken off sale (`apply`).
    pub taken_off_sale: bool,
    pub items: Vec<SlowItem>,
}

/// An item that redeemed slowly over the months looked at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SlowItem {
    pub item_id: i64,
    pub name_zh: String,
    pub name_en: String,
    /// Units sold over the months.
    pub sold: i64,
    /// Units in stock now, over all SKUs.
    pub stock: i64,
    /// Units sold in percent of units sold plus units in stock.
    pub rate_pct: f64,
}

pub fn slow_items(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    r: &SlowItems,
) -> Result<SlowItemsReport, AppError> {
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
                slow.push(SlowItem {
                    item_id: row.id,
                    name_zh: def.name_zh,
                    name_en: def.name_en,
                    sold,
                    stock,
                    rate_pct: sold as f64 * 100.0 / offered as f64,
                });
            }
        }
        match rows.last() {
            Some(r) if rows.len() as i64 == ITEMS_PAGE_MAX => after = r.id,
            _ => break,
        }
    }
    if r.apply {
        for v in &slow {
            tx.update_mall_item(ctx.program.id, v.item_id, None, None, Some("off_sale"), now)?;
        }
    }
    Ok(SlowItemsReport {
        months: r.months,
        threshold_pct: r.threshold_pct,
        taken_off_sale: r.apply,
        items: slow,
    })
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

/// A candidate item added or closed: its id and whether voting is `open` or `closed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CandidateStatus {
    pub candidate_id: i64,
    /// `open` or `closed`.
    pub status: String,
}

/// A candidate item with its votes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CandidateView {
    pub candidate_id: i64,
    pub name_zh: String,
    pub name_en: String,
    pub description: String,
    /// `open` or `closed`.
    pub status: String,
    pub votes: i64,
}

/// The candidate items, most votes first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CandidateList {
    pub items: Vec<CandidateView>,
}

/// A vote counted: the candidate's votes with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct VoteResult {
    pub candidate_id: i64,
    pub member_id: i64,
    pub votes: i64,
}

pub fn add_candidate(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    c: &Candidate,
) -> Result<CandidateStatus, AppError> {
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
    Ok(CandidateStatus {
        candidate_id: id,
        status: "open".into(),
    })
}

pub fn close_candidate(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    _now: Millis,
    id: i64,
) -> Result<CandidateStatus, AppError> {
    if !tx.set_mall_candidate_status(ctx.program.id, id, "closed")? {
        return Err(AppError::NotFound {
            what: "candidate",
            id: id.to_string(),
        });
    }
    Ok(CandidateStatus {
        candidate_id: id,
        status: "closed".into(),
    })
}

pub fn candidates(tx: &mut Tx<'_>, ctx: &ProgramCtx) -> Result<CandidateList, AppError> {
    let items = tx
        .mall_candidates(ctx.program.id)?
        .into_iter()
        .map(
            |(candidate_id, name_zh, name_en, description, status, votes)| CandidateView {
                candidate_id,
                name_zh,
                name_en,
                description,
                status,
                votes,
            },
        )
        .collect();
    Ok(CandidateList { items })
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
) -> Result<VoteResult, AppError> {
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
    Ok(VoteResult {
        candidate_id: id,
        member_id: m.id.0,
        votes: c.5 + 1,
    })
}
