//! The catalog staff manage: items and their SKUs, status changes, restocking and listing.

use jifen_domain::mall::{ItemDef, ItemKind};
use jifen_ledger::Millis;
use jifen_store::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{AppError, ProgramCtx};

use super::item_views::{ItemView, ItemsPage, SkuView};

const ITEM_STATUSES: [&str; 3] = ["draft", "on_sale", "off_sale"];

pub(super) fn parse_item(r: &ItemRow) -> Result<ItemDef, AppError> {
    serde_json::from_str(&r.definition)
        .map_err(|e| StoreError::Corrupt(format!("mall item {}: {e}", r.id)).into())
}

pub(super) fn item_view(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    r: &ItemRow,
) -> Result<ItemView, AppError> {
    let mut def = parse_item(r)?;
    let rows = tx.mall_skus_of(ctx.program.id, r.id)?;
    let skus = std::mem::take(&mut def.skus)
        .into_iter()
        .map(|s| {
            let row = rows.iter().find(|row| row.sku == s.sku);
            SkuView {
                stock: row.map_or(s.stock, |row| row.stock),
                sold: row.map_or(0, |row| row.sold),
                sku: s.sku,
                name: s.name,
                points: s.points,
                cash_minor: s.cash_minor,
                market_price_minor: s.market_price_minor,
            }
        })
        .collect();
    let in_stock = rows.iter().any(|s| s.stock > 0);
    Ok(ItemView::of(def, skus, r, in_stock))
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

/// Creates an item in `actor`'s name (audited as `mall_item.create`).
pub fn create_item(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    i: &ItemIn,
) -> Result<ItemView, AppError> {
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
    let target = format!("mall_item:{id}");
    tx.audit(
        ctx.program.id,
        actor,
        "mall_item.create",
        &target,
        None,
        Some(&text),
        now,
    )?;
    let row = item(tx, ctx, id)?;
    item_view(tx, ctx, &row)
}

/// Replaces an item's definition. SKUs are matched by code: prices change at once (orders
/// placed keep theirs), new SKUs are added with their stock; a SKU cannot be removed (set it
/// out of stock instead), and stock of existing SKUs changes through restocking. Made in
/// `actor`'s name, audited as `mall_item.update` with the definition before and after.
pub fn update_item(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    id: i64,
    def: &ItemDef,
) -> Result<ItemView, AppError> {
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
    let (target, before) = (format!("mall_item:{id}"), Some(row.definition.as_str()));
    tx.audit(
        ctx.program.id,
        actor,
        "mall_item.update",
        &target,
        before,
        Some(&text),
        now,
    )?;
    let row = item(tx, ctx, id)?;
    item_view(tx, ctx, &row)
}

/// Puts an item on sale, off sale or back to draft in `actor`'s name (audited as
/// `mall_item.<status>`).
pub fn set_item_status(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    id: i64,
    status: &str,
) -> Result<ItemView, AppError> {
    if !ITEM_STATUSES.contains(&status) {
        return Err(AppError::invalid(
            "status",
            "must be draft, on_sale or off_sale",
        ));
    }
    let before = item(tx, ctx, id)?.status;
    tx.update_mall_item(ctx.program.id, id, None, None, Some(status), now)?;
    let (verb, target) = (format!("mall_item.{status}"), format!("mall_item:{id}"));
    tx.audit(
        ctx.program.id,
        actor,
        &verb,
        &target,
        Some(&before),
        Some(status),
        now,
    )?;
    let row = item(tx, ctx, id)?;
    item_view(tx, ctx, &row)
}

/// Adds (or, negative, removes) units of a SKU: a delivery from the supplier, a count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Restock {
    pub delta: i64,
}

/// A SKU's stock after restocking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RestockResult {
    pub sku: String,
    /// Units in stock now.
    pub stock: i64,
    /// Units sold.
    pub sold: i64,
}

/// Restocks a SKU in `actor`'s name (audited as `mall_sku.stock`, with the change).
pub fn restock(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    sku: &str,
    r: &Restock,
) -> Result<RestockResult, AppError> {
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
    let (target, delta) = (format!("sku:{sku}"), r.delta.to_string());
    tx.audit(
        ctx.program.id,
        actor,
        "mall_sku.stock",
        &target,
        None,
        Some(&delta),
        now,
    )?;
    let s = tx.mall_sku(ctx.program.id, s.id)?.expect("sku exists");
    Ok(RestockResult {
        sku: s.sku,
        stock: s.stock,
        sold: s.sold,
    })
}

pub(super) fn item(tx: &mut Tx<'_>, ctx: &ProgramCtx, id: i64) -> Result<ItemRow, AppError> {
    tx.mall_item(ctx.program.id, id)?
        .ok_or_else(|| AppError::NotFound {
            what: "mall item",
            id: id.to_string(),
        })
}

pub fn get_item(tx: &mut Tx<'_>, ctx: &ProgramCtx, id: i64) -> Result<ItemView, AppError> {
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
) -> Result<ItemsPage, AppError> {
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
    Ok(ItemsPage {
        items,
        next_after: next.flatten(),
    })
}
