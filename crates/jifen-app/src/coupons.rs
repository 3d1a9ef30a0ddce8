//! Coupons in use: templates staff manage, coupons issued to members (by the API, tier benefits
//! and later the mall), validated and redeemed from the merchant's checkout, released when the
//! order is cancelled, expired by the daily job.

use jifen_domain::coupons::{
    Cart, CouponKind, CouponTemplate, CouponValidity, Refusal, discount, usable,
};
use jifen_ledger::{MemberId, Millis};
use jifen_store::*;
use rand::Rng;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::commands::{MemberRef, check_id, resolve};
use crate::{AppError, ProgramCtx};

fn parse(t: &TemplateRow) -> Result<CouponTemplate, AppError> {
    serde_json::from_str(&t.definition)
        .map_err(|e| StoreError::Corrupt(format!("coupon template {}: {e}", t.code)).into())
}

/// A coupon template as staff and the API see it: its definition with its id, status, how
/// many coupons it issued and when it was created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CouponTemplateView {
    /// The template's id.
    pub id: i64,
    /// The short code it is issued by.
    pub code: String,
    /// The name in Chinese.
    pub name_zh: String,
    /// The name in English.
    pub name_en: String,
    /// What a coupon of it does.
    pub kind: CouponKind,
    /// The goods amount from which its coupons apply, in minor units.
    pub threshold_minor: i64,
    /// When an issued coupon may be used.
    pub validity: CouponValidity,
    /// How many coupons of it one member may hold in total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_member_limit: Option<u32>,
    /// How many may be issued in total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stock: Option<i64>,
    /// `active` (issues coupons) or `archived` (no longer does).
    pub status: String,
    /// How many coupons it issued.
    pub issued: i64,
    /// When it was created.
    pub created_at: Millis,
}

impl CouponTemplateView {
    /// The definition the template was created from.
    pub fn definition(&self) -> CouponTemplate {
        CouponTemplate {
            code: self.code.clone(),
            name_zh: self.name_zh.clone(),
            name_en: self.name_en.clone(),
            kind: self.kind.clone(),
            threshold_minor: self.threshold_minor,
            validity: self.validity,
            per_member_limit: self.per_member_limit,
            stock: self.stock,
        }
    }

    /// The name in English when `english` and there is one, else in Chinese.
    pub fn name(&self, english: bool) -> &str {
        jifen_domain::name_in(&self.name_zh, &self.name_en, english)
    }
}

/// The coupon templates of a programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CouponTemplateList {
    /// Every template, with how many coupons each issued.
    pub items: Vec<CouponTemplateView>,
}

fn template_view(t: &TemplateRow) -> Result<CouponTemplateView, AppError> {
    let def = parse(t)?;
    Ok(CouponTemplateView {
        id: t.id,
        code: def.code,
        name_zh: def.name_zh,
        name_en: def.name_en,
        kind: def.kind,
        threshold_minor: def.threshold_minor,
        validity: def.validity,
        per_member_limit: def.per_member_limit,
        stock: def.stock,
        status: t.status.clone(),
        issued: t.issued,
        created_at: t.created_at,
    })
}

/// Creates a coupon template in `actor`'s name (audited as `coupon_template.create`).
pub fn create_template(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    t: &CouponTemplate,
) -> Result<CouponTemplateView, AppError> {
    t.validate()
        .map_err(|e| AppError::invalid(e.field, e.message))?;
    let def = serde_json::to_string(t).expect("template serializes");
    let Some(_) = tx.insert_coupon_template(ctx.program.id, &t.code, &def, now)? else {
        return Err(AppError::conflict(
            "coupon_template_exists",
            format!("coupon template {} exists", t.code),
            json!({"code": t.code}),
        ));
    };
    let row = tx
        .coupon_template(ctx.program.id, &t.code)?
        .ok_or_else(|| AppError::Internal("a template just stored is missing".into()))?;
    let (create, target) = (
        "coupon_template.create",
        format!("coupon_template:{}", t.code),
    );
    tx.audit(
        ctx.program.id,
        actor,
        create,
        &target,
        None,
        Some(&def),
        now,
    )?;
    template_view(&row)
}

/// A template's status: `active` templates issue coupons, `archived` ones no longer do (coupons
/// already issued stay usable). Set in `actor`'s name, audited as `coupon_template.active` or
/// `coupon_template.archived`.
pub fn set_template_status(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    code: &str,
    status: &str,
) -> Result<CouponTemplateView, AppError> {
    if !matches!(status, "active" | "archived") {
        return Err(AppError::invalid("status", "must be active or archived"));
    }
    let row = template(tx, ctx, code)?;
    tx.update_coupon_template(ctx.program.id, row.id, None, Some(status), now)?;
    let (verb, target) = (
        format!("coupon_template.{status}"),
        format!("coupon_template:{code}"),
    );
    let before = Some(row.status.as_str());
    tx.audit(
        ctx.program.id,
        actor,
        &verb,
        &target,
        before,
        Some(status),
        now,
    )?;
    template_view(&template(tx, ctx, code)?)
}

pub fn templates(tx: &mut Tx<'_>, ctx: &ProgramCtx) -> Result<CouponTemplateList, AppError> {
    let rows = tx.coupon_templates(ctx.program.id)?;
    let items = rows
        .iter()
        .map(template_view)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CouponTemplateList { items })
}

fn template(tx: &mut Tx<'_>, ctx: &ProgramCtx, code: &str) -> Result<TemplateRow, AppError> {
    tx.coupon_template(ctx.program.id, code)?
        .ok_or_else(|| AppError::NotFound {
            what: "coupon template",
            id: code.to_string(),
        })
}

/// Coupon codes: 12 characters without look-alikes (no 0/O, 1/I/L), about 60 bits.
fn new_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    (0..12)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Why issuing stopped, for callers (tier gifts) that go on without the coupon.
pub fn is_refusal(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Invalid { .. } | AppError::Conflict { .. } | AppError::NotFound { .. }
    )
}

/// Issues one coupon of template `code` to a (locked) member, once per `source_key`: issuing
/// again with the same key returns the coupon issued the first time. Refuses an archived
/// template, a used-up stock and a member at the per-member limit, before any write.
pub fn issue(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    member: MemberId,
    code: &str,
    source: &str,
    source_key: &str,
) -> Result<CouponView, AppError> {
    if let Some(c) = tx.coupon_by_source(ctx.program.id, source_key)? {
        return coupon_view(tx, ctx, &c, now);
    }
    let row = template(tx, ctx, code)?;
    let t = parse(&row)?;
    if row.status != "active" {
        return Err(AppError::conflict(
            "coupon_template_archived",
            format!("coupon template {code} no longer issues coupons"),
            json!({"template": code}),
        ));
    }
    if let Some(stock) = t.stock
        && row.issued >= stock
    {
        return Err(AppError::conflict(
            "coupon_out_of_stock",
            format!("coupon template {code} has no coupons left"),
            json!({"template": code, "stock": stock}),
        ));
    }
    if let Some(limit) = t.per_member_limit {
        let held = tx.coupons_of_member_and_template(ctx.program.id, member, row.id)?;
        if held >= limit as i64 {
            return Err(AppError::conflict(
                "coupon_limit_reached",
                format!("the member already has {held} of coupon {code}, the most one member may"),
                json!({"template": code, "limit": limit}),
            ));
        }
    }
    let (valid_from, valid_until) = t.window(now);
    if valid_until <= now {
        return Err(AppError::conflict(
            "coupon_window_over",
            format!("coupons of {code} are valid only until {valid_until}"),
            json!({"template": code}),
        ));
    }
    // The conditional count keeps concurrent nodes within the stock.
    if !tx.take_coupon_stock(ctx.program.id, row.id, t.stock)? {
        return Err(AppError::conflict(
            "coupon_out_of_stock",
            format!("coupon template {code} has no coupons left"),
            json!({"template": code}),
        ));
    }
    let coupon_code = new_code();
    tx.insert_coupon(
        ctx.program.id,
        &NewCoupon {
            template_id: row.id,
            member,
            code: &coupon_code,
            valid_from,
            valid_until,
            source,
            source_key,
        },
        now,
    )?
    .ok_or_else(|| {
        AppError::Internal("a coupon source key was taken in this transaction".into())
    })?;
    let c = tx
        .coupon_by_code(ctx.program.id, &coupon_code)?
        .ok_or_else(|| AppError::Internal("a coupon just issued is missing".into()))?;
    tx.outbox_push(
        ctx.program.id,
        "coupon.issued",
        Some(member),
        &json!({"member_id": member, "coupon": coupon_code, "template": code, "source": source,
                "valid_until": valid_until})
        .to_string(),
        now,
    )?;
    coupon_view(tx, ctx, &c, now)
}

/// A coupon as members and checkouts see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CouponView {
    pub code: String,
    pub member_id: i64,
    /// The template's code.
    pub template: String,
    pub name_zh: String,
    pub name_en: String,
    pub kind: CouponKind,
    /// The least the goods must cost for the coupon to apply, in minor units.
    pub threshold_minor: i64,
    /// One of `jifen_domain::words::COUPON_STATUSES`; an issued coupon past its window reads
    /// `expired` even before the daily job marks it.
    pub status: String,
    pub valid_from: Millis,
    pub valid_until: Millis,
    /// What issued it: `api`, a tier benefit, a mall order, a lottery...
    pub source: String,
    pub issued_at: Millis,
    pub redeemed_at: Option<Millis>,
    /// The merchant's order it was redeemed on.
    pub order_id: Option<String>,
    pub goods_off_minor: Option<i64>,
    pub shipping_off_minor: Option<i64>,
}

impl CouponView {
    /// The name in English when `english` and there is one, else in Chinese.
    pub fn name(&self, english: bool) -> &str {
        jifen_domain::name_in(&self.name_zh, &self.name_en, english)
    }
}

/// A member's coupons, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CouponList {
    pub member_id: i64,
    pub items: Vec<CouponView>,
}

/// A coupon as members and checkouts see it. An issued coupon past its window shows as
/// expired even before the daily job marks it.
fn coupon_view(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    c: &CouponRow,
    now: Millis,
) -> Result<CouponView, AppError> {
    let t = tx
        .coupon_template_by_id(ctx.program.id, c.template_id)?
        .ok_or_else(|| StoreError::Corrupt(format!("coupon {} has no template", c.code)))?;
    let def = parse(&t)?;
    let status = if c.status == "issued" && now >= c.valid_until {
        "expired"
    } else {
        c.status.as_str()
    };
    Ok(CouponView {
        code: c.code.clone(),
        member_id: c.member.0,
        template: t.code,
        name_zh: def.name_zh,
        name_en: def.name_en,
        kind: def.kind,
        threshold_minor: def.threshold_minor,
        status: status.to_string(),
        valid_from: c.valid_from,
        valid_until: c.valid_until,
        source: c.source.clone(),
        issued_at: c.issued_at,
        redeemed_at: c.redeemed_at,
        order_id: c.order_ref.clone(),
        goods_off_minor: c.goods_off_minor,
        shipping_off_minor: c.shipping_off_minor,
    })
}

/// Staff or the merchant's system issuing a coupon; `idempotency_key` makes a retry return the
/// same coupon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueCoupon {
    pub template: String,
    pub idempotency_key: String,
}

pub fn issue_by_api(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    member: MemberId,
    r: &IssueCoupon,
) -> Result<CouponView, AppError> {
    check_id("idempotency_key", &r.idempotency_key)?;
    let (m, _) = crate::commands::resolve_locked(
        tx,
        ctx,
        &MemberRef::Id {
            member_id: member.0,
        },
    )?;
    issue(
        tx,
        ctx,
        now,
        m.id,
        &r.template,
        "api",
        &format!("api:{}", r.idempotency_key),
    )
}

/// Coupons listed at most per request.
pub const COUPONS_LIST_MAX: i64 = 200;

/// Whether `s` is a member coupon's status (the codes of `jifen_domain::words::COUPON_STATUSES`).
pub fn is_status(s: &str) -> bool {
    jifen_domain::words::find(jifen_domain::words::COUPON_STATUSES, s).is_some()
}

pub fn member_coupons(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    status: Option<&str>,
    now: Millis,
) -> Result<CouponList, AppError> {
    if let Some(s) = status
        && !is_status(s)
    {
        return Err(AppError::invalid(
            "status",
            "must be issued, redeemed, expired or void",
        ));
    }
    let m = resolve(
        tx,
        ctx,
        &MemberRef::Id {
            member_id: member.0,
        },
    )?;
    let mut items = Vec::new();
    // `issued` coupons past their window are expired to the member: listed under expired.
    let stored = match status {
        Some("expired") => None,
        s => s,
    };
    for c in tx.member_coupons(ctx.program.id, m.id, stored, COUPONS_LIST_MAX)? {
        let v = coupon_view(tx, ctx, &c, now)?;
        if status.is_none_or(|s| v.status == s) {
            items.push(v);
        }
    }
    Ok(CouponList {
        member_id: m.id.0,
        items,
    })
}

/// A checkout asking what a coupon takes off a cart, or redeeming it with an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CouponUse {
    pub code: String,
    pub member_id: i64,
    pub cart: Cart,
    /// Required to redeem: the merchant's order the coupon is used on.
    #[serde(default)]
    pub order_id: Option<String>,
}

fn check_cart(c: &Cart) -> Result<(), AppError> {
    let max = crate::commands::MONEY_MINOR_MAX;
    if !(0..=max).contains(&c.goods_minor) {
        return Err(AppError::invalid(
            "cart.goods_minor",
            format!("must be between 0 and {max}"),
        ));
    }
    if !(0..=max).contains(&c.shipping_minor) {
        return Err(AppError::invalid(
            "cart.shipping_minor",
            format!("must be between 0 and {max}"),
        ));
    }
    Ok(())
}

/// The coupon, its template and what it takes off, or why it cannot be used.
fn check_use(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    u: &CouponUse,
    now: Millis,
) -> Result<(CouponRow, CouponTemplate, (i64, i64)), AppError> {
    check_cart(&u.cart)?;
    let not_found = || AppError::NotFound {
        what: "coupon",
        id: u.code.clone(),
    };
    let c = tx
        .coupon_by_code(ctx.program.id, &u.code.to_ascii_uppercase())?
        .ok_or_else(not_found)?;
    let holder = crate::commands::survivor(tx, ctx, MemberId(u.member_id))?;
    // Another member's coupon is reported as unknown: codes are not to be probed.
    if holder != Some(c.member) {
        return Err(not_found());
    }
    let t = tx
        .coupon_template_by_id(ctx.program.id, c.template_id)?
        .ok_or_else(|| StoreError::Corrupt(format!("coupon {} has no template", c.code)))?;
    let t = parse(&t)?;
    let refused = |r: Refusal| {
        AppError::conflict(
            refusal_code(r),
            r.message(&t),
            json!({"coupon": c.code, "reason": r}),
        )
    };
    usable(&c.status, c.valid_from, c.valid_until, now).map_err(refused)?;
    let off = discount(&t, &u.cart).map_err(refused)?;
    Ok((c.clone(), t.clone(), off))
}

fn refusal_code(r: Refusal) -> &'static str {
    match r {
        Refusal::NotYetValid => "coupon_not_yet_valid",
        Refusal::Expired => "coupon_expired",
        Refusal::BelowThreshold => "coupon_below_threshold",
        Refusal::AlreadyRedeemed => "coupon_already_redeemed",
        Refusal::Void => "coupon_void",
    }
}

/// What a coupon takes off a cart: the answer to validating it, and (with its status and
/// order) to redeeming it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CouponUseView {
    /// The coupon's code.
    pub code: String,
    /// The template's name in Chinese.
    pub name_zh: String,
    /// The template's name in English.
    pub name_en: String,
    /// What the coupon does.
    pub kind: CouponKind,
    /// Taken off the goods, in minor units.
    pub goods_off_minor: i64,
    /// Taken off the shipping, in minor units.
    pub shipping_off_minor: i64,
    /// What the cart costs with the coupon, in minor units.
    pub to_pay_minor: i64,
    /// `redeemed` once redeemed; absent when only validated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The merchant's order it was redeemed on; absent when only validated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
}

fn use_view(c: &CouponRow, t: &CouponTemplate, off: (i64, i64), cart: &Cart) -> CouponUseView {
    CouponUseView {
        code: c.code.clone(),
        name_zh: t.name_zh.clone(),
        name_en: t.name_en.clone(),
        kind: t.kind.clone(),
        goods_off_minor: off.0,
        shipping_off_minor: off.1,
        to_pay_minor: cart.goods_minor - off.0 + cart.shipping_minor - off.1,
        status: None,
        order_id: None,
    }
}

/// [`use_view`] of a coupon redeemed on `order`.
fn redeemed_view(
    c: &CouponRow,
    t: &CouponTemplate,
    off: (i64, i64),
    cart: &Cart,
    order: &str,
) -> CouponUseView {
    CouponUseView {
        status: Some("redeemed".into()),
        order_id: Some(order.into()),
        ..use_view(c, t, off, cart)
    }
}

/// What a coupon would take off a cart; writes nothing.
pub fn validate(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    u: &CouponUse,
) -> Result<CouponUseView, AppError> {
    let (c, t, off) = check_use(tx, ctx, u, now)?;
    Ok(use_view(&c, &t, off, &u.cart))
}

/// Redeems a coupon on an order. Redeeming again for the same order returns the first answer;
/// concurrent redemptions of one coupon see exactly one success.
pub fn redeem(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    u: &CouponUse,
) -> Result<CouponUseView, AppError> {
    let Some(order) = u.order_id.as_deref() else {
        return Err(AppError::invalid("order_id", "is required to redeem"));
    };
    check_id("order_id", order)?;
    if let Some(c) = tx.coupon_by_code(ctx.program.id, &u.code.to_ascii_uppercase())?
        && c.status == "redeemed"
        && c.order_ref.as_deref() == Some(order)
        && crate::commands::survivor(tx, ctx, MemberId(u.member_id))? == Some(c.member)
    {
        let t = tx
            .coupon_template_by_id(ctx.program.id, c.template_id)?
            .ok_or_else(|| StoreError::Corrupt(format!("coupon {} has no template", c.code)))?;
        let off = (
            c.goods_off_minor.unwrap_or(0),
            c.shipping_off_minor.unwrap_or(0),
        );
        return Ok(redeemed_view(&c, &parse(&t)?, off, &u.cart, order));
    }
    let (c, t, off) = check_use(tx, ctx, u, now)?;
    if !tx.redeem_coupon(ctx.program.id, c.id, order, off.0, off.1, now)? {
        return Err(AppError::conflict(
            "coupon_already_redeemed",
            "the coupon was already used",
            json!({"coupon": c.code}),
        ));
    }
    tx.outbox_push(
        ctx.program.id,
        "coupon.redeemed",
        Some(c.member),
        &json!({"member_id": c.member, "coupon": c.code, "order_id": order,
                "goods_off_minor": off.0, "shipping_off_minor": off.1})
        .to_string(),
        now,
    )?;
    Ok(redeemed_view(&c, &t, off, &u.cart, order))
}

/// The order a coupon was redeemed on was cancelled or refunded in full: the coupon is usable
/// again (within its window). Releasing a coupon that is not redeemed on that order refuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CouponRelease {
    pub order_id: String,
}

pub fn release(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    code: &str,
    r: &CouponRelease,
) -> Result<CouponView, AppError> {
    let c = tx
        .coupon_by_code(ctx.program.id, &code.to_ascii_uppercase())?
        .ok_or_else(|| AppError::NotFound {
            what: "coupon",
            id: code.to_string(),
        })?;
    if c.status != "redeemed" || c.order_ref.as_deref() != Some(r.order_id.as_str()) {
        return Err(AppError::conflict(
            "coupon_not_redeemed_on_order",
            format!("coupon {} is not redeemed on order {}", c.code, r.order_id),
            json!({"coupon": c.code, "status": c.status, "order_id": c.order_ref}),
        ));
    }
    tx.release_coupon(ctx.program.id, c.id)?;
    tx.outbox_push(
        ctx.program.id,
        "coupon.released",
        Some(c.member),
        &json!({"member_id": c.member, "coupon": c.code, "order_id": r.order_id}).to_string(),
        now,
    )?;
    let c = tx
        .coupon_by_code(ctx.program.id, &c.code)?
        .ok_or_else(|| AppError::Internal("a coupon just released is missing".into()))?;
    coupon_view(tx, ctx, &c, now)
}

/// Coupons one expiry step marks.
pub const EXPIRE_STEP_COUPONS: i64 = 1_000;

/// Marks issued coupons past their window as expired. Returns how many, or `None` when none.
pub fn expire_step(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    _scope: &crate::JobScope,
) -> Result<Option<i64>, AppError> {
    let n = tx.expire_coupons(ctx.program.id, now, EXPIRE_STEP_COUPONS)? as i64;
    Ok((n > 0).then_some(n))
}
