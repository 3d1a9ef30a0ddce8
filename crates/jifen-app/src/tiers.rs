//! Member tiers in use: the ladder, each member's tier (fed to rules as `member.tier`), upgrades
//! in the same request that crossed a threshold, and the progress a member sees.
//!
//! Upgrades happen at once. A refund that takes a member below their tier moves them down at
//! once (or after the ladder's refund grace, through the jobs), and takes back the tier-up
//! gifts that the refunded order paid; otherwise members move down only at the review.

use jifen_domain::tiers::{Benefits, Gift, Ladder, Metric, progress};
use jifen_ledger::ops::{self, CreditSpec, MemberBook, Refs};
use jifen_ledger::policy::Validity;
use jifen_ledger::{AccountId, MemberId, Millis, PointType, Points, Posting, SystemAccount, code};
use jifen_store::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::coupons::CouponView;
use crate::{AppError, ProgramCtx};

mod answers;

pub use answers::{
    CouponKept, CouponSkipped, GiftPaid, GiftTakenBack, MonthlyCoupon, TierAfterRefund,
    TierDowngrade, TierRecheck, TierUpgrade,
};

/// The member's tier code as rules see it at `now`: a manual tier while it lasts, else the
/// earned one (the ladder's first tier when none was recorded); empty without a ladder (every
/// rule audience on tiers then matches nobody).
pub fn tier_code(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    now: Millis,
) -> Result<String, AppError> {
    let Some(ladder) = &ctx.earn.ladder else {
        return Ok(String::new());
    };
    let row = tx.tier_row(ctx.program.id, member)?;
    if let Some((t, until, _, _)) = row.as_ref().and_then(|r| r.manual.clone())
        && until > now
        && ladder.index_of(&t).is_some()
    {
        return Ok(t);
    }
    Ok(earned(ladder, row.as_ref()).1)
}

/// Staff setting a member's tier by hand: shown as such, with a reason and an end date, after
/// which the member is at the tier they earned (a manual tier is never a floor).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManualTier {
    pub tier: String,
    /// Unix milliseconds; at most two years ahead.
    pub until: Millis,
    pub reason: String,
    pub actor: String,
}

/// The longest a manual tier may last.
pub const MANUAL_TIER_MS_MAX: Millis = 2 * 366 * 86_400_000;

pub fn set_manual(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    member: MemberId,
    m: &ManualTier,
) -> Result<TierProgress, AppError> {
    let Some(ladder) = &ctx.earn.ladder else {
        return Err(AppError::NotFound {
            what: "tier ladder",
            id: ctx.program.code.clone(),
        });
    };
    if ladder.index_of(&m.tier).is_none() {
        return Err(AppError::invalid(
            "tier",
            format!("{:?} is not a tier of the ladder", m.tier),
        ));
    }
    if m.until <= now || m.until > now + MANUAL_TIER_MS_MAX {
        return Err(AppError::invalid(
            "until",
            "must be in the future and at most two years ahead",
        ));
    }
    if m.reason.trim().is_empty() || m.reason.chars().count() > crate::commands::REASON_LEN_MAX {
        return Err(AppError::invalid(
            "reason",
            "is required, at most 500 characters",
        ));
    }
    crate::commands::check_id("actor", &m.actor)?;
    let member = crate::commands::resolve(
        tx,
        ctx,
        &crate::commands::MemberRef::Id {
            member_id: member.0,
        },
    )?;
    let (_, earned) = current(tx, ctx, ladder, member.id)?;
    tx.set_manual_tier(
        ctx.program.id,
        member.id,
        &earned,
        &m.tier,
        m.until,
        &m.reason,
        &m.actor,
        now,
    )?;
    tx.outbox_push(
        ctx.program.id,
        "tier.manual_set",
        Some(member.id),
        &json!({"member_id": member.id, "tier": m.tier, "earned_tier": earned, "until": m.until,
                "reason": m.reason, "by": m.actor, "at": now})
        .to_string(),
        now,
    )?;
    member_progress(tx, ctx, member.id, now, "zh")
}

/// The member's earned tier as (index in the ladder, code). A recorded tier that the ladder no
/// longer has, or none, counts as the first tier.
fn earned(ladder: &Ladder, row: Option<&TierRow>) -> (usize, String) {
    let i = row.and_then(|r| ladder.index_of(&r.tier)).unwrap_or(0);
    (i, ladder.tiers[i].code.clone())
}

/// The member's earned tier, read from its row.
fn current(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    ladder: &Ladder,
    member: MemberId,
) -> Result<(usize, String), AppError> {
    Ok(earned(
        ladder,
        tx.tier_row(ctx.program.id, member)?.as_ref(),
    ))
}

/// The member's metric over the ladder's window ending at `now`.
fn metric_value(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    ladder: &Ladder,
    member: MemberId,
    growth_account: AccountId,
    from: Millis,
    now: Millis,
) -> Result<i64, AppError> {
    Ok(match ladder.metric {
        Metric::Growth => tx.growth_since(growth_account, from)?,
        Metric::Spend => {
            tx.member_orders_between(ctx.program.id, member, from, now)?
                .1
        }
        Metric::Orders => {
            tx.member_orders_between(ctx.program.id, member, from, now)?
                .0
        }
    })
}

/// A tier's benefits; the defaults (no multiplier, nothing extra) without a ladder or for a
/// code the ladder does not have.
pub fn benefits_of(ctx: &ProgramCtx, tier: &str) -> Benefits {
    ctx.earn
        .ladder
        .as_ref()
        .and_then(|l| l.tiers.iter().find(|t| t.code == tier))
        .map(|t| t.benefits.clone())
        .unwrap_or_default()
}

/// The instant points earned at `at` by a member at `tier` expire: the tier's validity if it
/// gives one, else the programme's.
pub fn points_expiry(ctx: &ProgramCtx, tier: &str, at: Millis) -> Option<Millis> {
    match benefits_of(ctx, tier).points_validity_days {
        Some(days) => Validity::Days { days }.expires_at(at, &ctx.tz),
        None => ctx.program.policy.validity.expires_at(at, &ctx.tz),
    }
}

/// Records a tier change with its cause and writes it to the outbox, in one transaction.
fn record_change(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    from: &str,
    to: &str,
    cause: &str,
    value: i64,
    now: Millis,
) -> Result<(), AppError> {
    tx.set_member_tier(ctx.program.id, member, Some(from), to, cause, value, now)?;
    let direction = match ctx.earn.ladder.as_ref() {
        Some(l) if l.index_of(to) > l.index_of(from) => "up",
        _ => "down",
    };
    tx.outbox_push(
        ctx.program.id,
        "tier.changed",
        Some(member),
        &json!({"member_id": member, "from": from, "to": to, "direction": direction,
                "cause": cause, "metric_value": value, "at": now})
        .to_string(),
        now,
    )?;
    Ok(())
}

/// Where a member stands now: their earned tier (index and code), the metric over the
/// window ending now, and the tier that metric reaches.
fn standing(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    ladder: &Ladder,
    member: MemberId,
    growth: AccountId,
    now: Millis,
) -> Result<(usize, String, i64, usize), AppError> {
    let (i, code) = current(tx, ctx, ladder, member)?;
    let from = ladder.window_start(now, &ctx.tz);
    let value = metric_value(tx, ctx, ladder, member, growth, from, now)?;
    Ok((i, code, value, ladder.qualify(value)))
}

/// Moves the member up when the metric now reaches a higher tier, recording the change with
/// its cause, and pays the new tier's tier-up gift (once per member and tier) and this month's
/// coupons of the new tier. Returns the change, or `None` when the tier stays.
pub fn check_upgrade(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    books: &mut [MemberBook; 2],
    now: Millis,
    cause: &str,
) -> Result<Option<TierUpgrade>, AppError> {
    let Some(ladder) = &ctx.earn.ladder else {
        return Ok(None);
    };
    let (i, code, value, q) = standing(tx, ctx, ladder, member, books[1].balance, now)?;
    if q <= i {
        return Ok(None);
    }
    let to = &ladder.tiers[q];
    record_change(tx, ctx, member, &code, &to.code, cause, value, now)?;
    let mut change = TierUpgrade {
        from: code,
        to: to.code.clone(),
        metric_value: value,
        cause: cause.to_string(),
        gift: None,
        monthly_coupons: Vec::new(),
    };
    if let Some(g) = &to.benefits.tier_up_gift {
        // The line's code says it is a tier's gift; its reason names the tier.
        let label = to.name_zh.clone();
        change.gift = grant_gift(
            tx,
            ctx,
            member,
            books,
            g,
            &format!("tier_up:{member}:{}", to.code),
            &label,
            &to.code,
            now,
        )?;
    }
    if !to.benefits.monthly_coupons.is_empty() {
        change.monthly_coupons = grant_monthly(tx, ctx, member, &to.code, now)?;
    }
    Ok(Some(change))
}

/// After a refund: when the member's metric no longer reaches their earned tier, they move down
/// now to the tier it reaches (the tier-up gifts that a refunded order paid for the tiers they
/// leave are taken back), or, with the ladder's refund grace, the jobs re-check them when the
/// grace ends. Returns what happened, or `None` when the tier holds.
pub fn check_after_refund(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    books: &mut [MemberBook; 2],
    now: Millis,
    order_id: &str,
) -> Result<Option<TierAfterRefund>, AppError> {
    let Some(ladder) = &ctx.earn.ladder else {
        return Ok(None);
    };
    let (i, code, value, q) = standing(tx, ctx, ladder, member, books[1].balance, now)?;
    if q >= i {
        return Ok(None);
    }
    if ladder.refund_grace_days > 0 {
        let at = now + ladder.refund_grace_days as i64 * 86_400_000;
        tx.set_tier_recheck(ctx.program.id, member, Some(at))?;
        return Ok(Some(TierAfterRefund::Recheck(TierRecheck {
            tier: code,
            metric_value: value,
            recheck_at: at,
        })));
    }
    move_down(
        tx,
        ctx,
        ladder,
        member,
        books,
        (i, q),
        value,
        &format!("refund {order_id}"),
        now,
    )
    .map(|d| Some(TierAfterRefund::Down(d)))
}

/// Moves a member down from tier `i` to `q` with its cause, and takes back the tier-up gift of
/// each tier left whose move up a since refunded order caused: its points through the ledger
/// (the gift's own lot first, then the member's other points, then debt or write-off, as for
/// any refund) and its coupon if still unused. The grant is forgotten, so a member who earns
/// the tier again is given the gift again.
fn move_down(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    ladder: &Ladder,
    member: MemberId,
    books: &mut [MemberBook; 2],
    (i, q): (usize, usize),
    value: i64,
    cause: &str,
    now: Millis,
) -> Result<TierDowngrade, AppError> {
    let program = ctx.program.id;
    record_change(
        tx,
        ctx,
        member,
        &ladder.tiers[i].code,
        &ladder.tiers[q].code,
        cause,
        value,
        now,
    )?;
    tx.set_tier_recheck(program, member, None)?;
    let mut taken = Vec::new();
    for t in &ladder.tiers[q + 1..=i] {
        let key = format!("tier_up:{member}:{}", t.code);
        let Some((points, _)) = tx.benefit_grant(program, &key)? else {
            continue;
        };
        let refunded_order = match tx.tier_reached_cause(program, member, &t.code)? {
            Some(c) => match c.strip_prefix("purchase ") {
                Some(o) => tx.order(program, o)?.is_some_and(|o| o.refunded_minor > 0),
                None => false,
            },
            None => false,
        };
        if !refunded_order {
            continue;
        }
        let mut back = GiftTakenBack {
            tier: t.code.clone(),
            points,
            reversed: None,
            coupon_voided: None,
            coupon_kept: None,
        };
        if points > 0 {
            let mut posting = Posting::default();
            let refs = Refs {
                order_ref: Some(key.clone()),
                reason: Some(t.name_zh.clone()),
                actor: None,
            };
            let out = crate::commands::reverse_ref(
                tx,
                ctx,
                &mut posting,
                &mut books[0],
                member,
                &key,
                points,
                0,
                &refs,
                now,
            )?;
            tx.apply(program, &posting, &ctx.system, now)?;
            back.reversed = Some(out.into());
        }
        if let Some(c) = tx.coupon_by_source(program, &key)? {
            if c.status == "issued" {
                tx.void_coupon(program, c.id)?;
                back.coupon_voided = Some(c.code);
            } else {
                back.coupon_kept = Some(CouponKept {
                    code: c.code,
                    status: c.status,
                });
            }
        }
        tx.delete_benefit_grant(program, &key)?;
        taken.push(back);
    }
    Ok(TierDowngrade {
        from: ladder.tiers[i].code.clone(),
        to: ladder.tiers[q].code.clone(),
        metric_value: value,
        cause: cause.to_string(),
        gifts_taken_back: taken,
    })
}

/// Refund re-checks one job step handles.
pub const RECHECK_STEP_MEMBERS: i64 = 200;

/// Re-checks the members whose refund grace ended: those still below their tier move down.
pub fn refund_recheck_step(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    scope: &crate::JobScope,
) -> Result<Option<i64>, AppError> {
    let Some(ladder) = &ctx.earn.ladder else {
        return Ok(None);
    };
    let due = tx.tier_rechecks_due(ctx.program.id, now, scope.fetch(RECHECK_STEP_MEMBERS))?;
    let due = scope.keep(due, RECHECK_STEP_MEMBERS, |m| m.0);
    if due.is_empty() {
        return Ok(None);
    }
    let mut n = 0;
    for member in due {
        scope.at(member.0);
        let mut books = crate::commands::books(tx, ctx, member)?;
        let (i, _, value, q) = standing(tx, ctx, ladder, member, books[1].balance, now)?;
        if q < i {
            move_down(
                tx,
                ctx,
                ladder,
                member,
                &mut books,
                (i, q),
                value,
                "refund re-check",
                now,
            )?;
        } else {
            tx.set_tier_recheck(ctx.program.id, member, None)?;
        }
        n += 1;
    }
    Ok(Some(n))
}

/// Pays a gift once per `key`: its points as their own lot (valid per the member's tier), its
/// coupon if the template can still issue one (a gift never fails the request that earned it;
/// a coupon that cannot be issued is reported as skipped). Returns what was paid, or `None`
/// when the key was paid before.
pub fn grant_gift(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    books: &mut [MemberBook; 2],
    gift: &Gift,
    key: &str,
    label: &str,
    tier: &str,
    now: Millis,
) -> Result<Option<GiftPaid>, AppError> {
    if !tx.insert_benefit_grant(
        ctx.program.id,
        key,
        member,
        gift.points,
        gift.coupon.is_some() as i64,
        now,
    )? {
        return Ok(None);
    }
    let mut out = GiftPaid {
        key: key.to_string(),
        points: gift.points,
        transfer_id: None,
        coupon: None,
        coupon_skipped: None,
    };
    if gift.points > 0 {
        let mut posting = Posting::default();
        let spec = CreditSpec {
            code: code::TIER_GIFT,
            source: ctx
                .system
                .get(SystemAccount::IssuanceBehaviour, PointType::Points),
            amount: Points::positive(gift.points).map_err(|e| AppError::Internal(e.to_string()))?,
            earned_at: now,
            available_at: now,
            expires_at: points_expiry(ctx, tier, now),
        };
        let refs = Refs {
            order_ref: None,
            reason: Some(label.to_string()),
            actor: None,
        };
        // The gift's lot carries its key, so that a take-back finds it first.
        let refs = Refs {
            order_ref: Some(key.to_string()),
            ..refs
        };
        ops::credit(&mut posting, &mut books[0], &spec, &refs, now);
        let applied = tx.apply(ctx.program.id, &posting, &ctx.system, now)?;
        out.transfer_id = Some(applied.transfers[0]);
    }
    if let Some(c) = &gift.coupon {
        match crate::coupons::issue(tx, ctx, now, member, c, label, key) {
            Ok(v) => out.coupon = Some(v),
            Err(e) if crate::coupons::is_refusal(&e) => {
                out.coupon_skipped = Some(CouponSkipped {
                    template: c.clone(),
                    reason: e.to_string(),
                })
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Some(out))
}

/// Issues the month's coupons of `tier` to a member (once per member, tier and month); returns
/// the coupons issued now.
pub fn grant_monthly(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    tier: &str,
    now: Millis,
) -> Result<Vec<MonthlyCoupon>, AppError> {
    let b = benefits_of(ctx, tier);
    if b.monthly_coupons.is_empty() {
        return Ok(Vec::new());
    }
    let month = jifen_rules::eval::period_key(jifen_rules::Period::Month, now, &ctx.tz);
    let key = format!("monthly:{member}:{month}:{tier}");
    let n: u32 = b.monthly_coupons.iter().map(|c| c.count).sum();
    if !tx.insert_benefit_grant(ctx.program.id, &key, member, 0, n as i64, now)? {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for g in &b.monthly_coupons {
        for k in 0..g.count {
            let source = format!("{month} {tier} monthly coupons / 会员月度券");
            match crate::coupons::issue(
                tx,
                ctx,
                now,
                member,
                &g.coupon,
                &source,
                &format!("{key}:{}:{k}", g.coupon),
            ) {
                Ok(v) => out.push(MonthlyCoupon::Issued(Box::new(v))),
                Err(e) if crate::coupons::is_refusal(&e) => out.push(MonthlyCoupon::Skipped {
                    template: g.coupon.clone(),
                    skipped: e.to_string(),
                }),
                Err(e) => return Err(e),
            }
        }
    }
    Ok(out)
}

/// Members one monthly-coupon step handles.
pub const COUPON_STEP_MEMBERS: i64 = 500;

/// Issues each member the monthly coupons of their tier in effect (a manual tier counts while it
/// lasts), once per month: the step keeps its place by member id, like the review, and a month
/// finished is not scanned again. Returns the members handled, or `None` when none were due.
pub fn monthly_coupons_step(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    scope: &crate::JobScope,
) -> Result<Option<i64>, AppError> {
    let Some(ladder) = &ctx.earn.ladder else {
        return Ok(None);
    };
    if ladder
        .tiers
        .iter()
        .all(|t| t.benefits.monthly_coupons.is_empty())
    {
        return Ok(None);
    }
    let month = jifen_rules::eval::period_key(jifen_rules::Period::Month, now, &ctx.tz);
    let key = format!("coupons {month}");
    let after = match tx.tier_review(ctx.program.id, &key)? {
        Some((_, true)) => return Ok(None),
        Some((after, false)) => after,
        None => 0,
    };
    let page = tx.member_ids_after(ctx.program.id, after, scope.limit(COUPON_STEP_MEMBERS))?;
    let Some(last) = page.last().map(|m| m.0) else {
        tx.advance_tier_review(ctx.program.id, &key, after, 0, Some(now))?;
        return Ok(None);
    };
    let mut n = 0;
    for member in page {
        if scope.skips(member.0) {
            continue;
        }
        scope.at(member.0);
        let tier = tier_code(tx, ctx, member, now)?;
        if !benefits_of(ctx, &tier).monthly_coupons.is_empty() {
            crate::commands::books(tx, ctx, member)?;
            grant_monthly(tx, ctx, member, &tier, now)?;
        }
        n += 1;
    }
    tx.advance_tier_review(ctx.program.id, &key, last, n, None)?;
    Ok(Some(n))
}

/// What a member's tier gives them now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MemberBenefits {
    /// The member (the survivor of a merge).
    pub member_id: i64,
    /// The tier in effect.
    pub tier: String,
    /// Everything the tier gives.
    pub benefits: Benefits,
    /// Base purchase points are multiplied by this percentage (150 = 1.5×).
    pub earn_multiplier_pct: u32,
    /// The percentage of the list price the member pays.
    pub member_price_pct: u32,
    /// Whether the member may transfer points.
    pub transfer_allowed: bool,
    /// Points per currency unit at checkout; null means the programme's ratio.
    pub checkout_points_per_unit: Option<i64>,
    /// Served first by customer service.
    pub priority_service: bool,
    /// The member's usable coupons, newest first.
    pub coupons: Vec<CouponView>,
}

/// What a member's tier gives them now, for the merchant's checkout and service desk: member
/// price, transfer permission, checkout ratio, priority flag, and the coupons benefits issued.
pub fn member_benefits(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    now: Millis,
) -> Result<MemberBenefits, AppError> {
    let m = crate::commands::resolve(
        tx,
        ctx,
        &crate::commands::MemberRef::Id {
            member_id: member.0,
        },
    )?;
    let tier = tier_code(tx, ctx, m.id, now)?;
    let b = benefits_of(ctx, &tier);
    let coupons = crate::coupons::member_coupons(tx, ctx, m.id, Some("issued"), now)?;
    Ok(MemberBenefits {
        member_id: m.id.0,
        tier,
        earn_multiplier_pct: b.earn_multiplier_pct,
        member_price_pct: b.member_price_pct,
        transfer_allowed: b.transfer_allowed,
        checkout_points_per_unit: b.checkout_points_per_unit,
        priority_service: b.priority_service,
        benefits: b,
        coupons: coupons.items,
    })
}

/// Members one review step handles in one transaction.
pub const REVIEW_STEP_MEMBERS: i64 = 500;

/// Reviews tiers (保级) when the ladder's review is due: each member above the first tier whose
/// metric, measured at the review, no longer reaches their tier moves down (at most the allowed
/// steps). Each member is reviewed once per period (recorded on its row), so running again finds
/// nothing; the review keeps its place (the last member id) so that each step reads the next
/// page through the primary key, and a finished review is not looked at again. Returns the
/// members reviewed in this step, or `None` when none were due.
pub fn review_step(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    scope: &crate::JobScope,
) -> Result<Option<i64>, AppError> {
    let Some(ladder) = &ctx.earn.ladder else {
        return Ok(None);
    };
    let Some(review) = ladder.review else {
        return Ok(None);
    };
    let Some((key, at)) = review.due(now, &ctx.tz) else {
        return Ok(None);
    };
    let after = match tx.tier_review(ctx.program.id, &key)? {
        Some((_, true)) => return Ok(None),
        Some((after, false)) => after,
        None => 0,
    };
    let due = tx.members_due_review(
        ctx.program.id,
        &key,
        &ladder.tiers[0].code,
        after,
        scope.limit(REVIEW_STEP_MEMBERS),
    )?;
    let Some(last) = due.last().map(|(m, _)| m.0) else {
        tx.advance_tier_review(ctx.program.id, &key, after, 0, Some(now))?;
        return Ok(None);
    };
    let mut n = 0;
    for (member, tier) in due {
        // A member put aside in this run is passed over by the cursor; it is logged.
        if scope.skips(member.0) {
            continue;
        }
        scope.at(member.0);
        // The member's accounts are locked so that a purchase upgrading it cannot interleave.
        let [_, growth] = crate::commands::books(tx, ctx, member)?;
        let current = ladder.index_of(&tier).unwrap_or(0);
        // The period the review closes: a calendar year is last year's, not the new one's.
        let from = ladder.review_window_start(at, &ctx.tz);
        let value = metric_value(tx, ctx, ladder, member, growth.balance, from, at)?;
        let to = jifen_domain::tiers::reviewed(ladder, &review, current, value);
        if to < current {
            record_change(
                tx,
                ctx,
                member,
                &tier,
                &ladder.tiers[to].code,
                &format!("review {key}"),
                value,
                now,
            )?;
        }
        tx.mark_reviewed(ctx.program.id, member, &key)?;
        n += 1;
    }
    tx.advance_tier_review(ctx.program.id, &key, last, n, None)?;
    Ok(Some(n))
}

/// Replaces the programme's ladder. Members keep their recorded tiers; those the ladder no
/// longer has count as its first tier until their next upgrade.
/// Replaces the tier ladder in `actor`'s name (audited as `tiers.put`, with the ladder before
/// and after).
pub fn put_ladder(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    ladder: &Ladder,
) -> Result<Ladder, AppError> {
    ladder
        .validate()
        .map_err(|e| AppError::invalid(e.field, e.message))?;
    // Coupons the benefits give must exist, so that a gift never names nothing.
    for (i, t) in ladder.tiers.iter().enumerate() {
        for code in t.benefits.coupon_codes() {
            if tx.coupon_template(ctx.program.id, code)?.is_none() {
                return Err(AppError::invalid(
                    format!("tiers[{i}].benefits"),
                    format!("coupon template {code:?} does not exist"),
                ));
            }
        }
    }
    let def = serde_json::to_string(ladder).expect("ladder serializes");
    let before = tx.tier_ladder(ctx.program.id)?;
    tx.put_tier_ladder(ctx.program.id, &def, now)?;
    let before = before.as_deref();
    tx.audit(
        ctx.program.id,
        actor,
        "tiers.put",
        "tiers",
        before,
        Some(&def),
        now,
    )?;
    Ok(ladder.clone())
}

/// A tier set by hand, while it lasts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ManualTierView {
    pub tier: String,
    pub until: Millis,
    pub reason: Option<String>,
    pub by: Option<String>,
}

/// One change of a member's tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TierChange {
    pub from: Option<String>,
    pub to: String,
    pub cause: String,
    pub metric_value: i64,
    pub at: Millis,
}

/// Where a member stands on the ladder, worded for a locale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TierProgress {
    pub member_id: i64,
    /// The tier in effect: a manual one while it lasts, else the earned one.
    pub tier: String,
    pub tier_name: String,
    pub earned_tier: String,
    pub manual: Option<ManualTierView>,
    pub since: Option<Millis>,
    pub metric: Metric,
    pub metric_value: i64,
    pub window_from: Millis,
    /// With a review: what keeps the earned tier at it.
    pub keep_needed: Option<i64>,
    /// With a review: when it next measures.
    pub next_review_at: Option<Millis>,
    pub next_tier: Option<String>,
    pub next_tier_name: Option<String>,
    /// How much more of the metric the next tier needs.
    pub needed: Option<i64>,
    pub message: String,
    /// The latest changes, newest first.
    pub changes: Vec<TierChange>,
}

impl TierProgress {
    /// How far the member is toward the next tier, 0 to 100 (100 at the top).
    pub fn percent(&self) -> i64 {
        match self.needed {
            Some(n) if n + self.metric_value > 0 => {
                (self.metric_value * 100 / (self.metric_value + n)).clamp(0, 100)
            }
            _ => 100,
        }
    }
}

/// Where a member stands: tier, metric, what the next tier needs (worded for `locale`), and the
/// recent changes.
pub fn member_progress(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    now: Millis,
    locale: &str,
) -> Result<TierProgress, AppError> {
    let Some(ladder) = &ctx.earn.ladder else {
        return Err(AppError::NotFound {
            what: "tier ladder",
            id: ctx.program.code.clone(),
        });
    };
    let [(_, _), (growth, _)] = tx.member_books(ctx.program.id, member, false)?;
    let row = tx.tier_row(ctx.program.id, member)?;
    let (i, _) = earned(ladder, row.as_ref());
    let from = ladder.window_start(now, &ctx.tz);
    let value = metric_value(tx, ctx, ladder, member, growth.balance, from, now)?;
    let p = progress(ladder, i, value, locale);
    let since = row.as_ref().map(|r| r.since);
    let manual = row
        .and_then(|r| r.manual)
        .filter(|(_, until, _, _)| *until > now)
        .map(|(tier, until, reason, by)| ManualTierView {
            tier,
            until,
            reason,
            by,
        });
    let changes: Vec<TierChange> = tx
        .tier_changes(ctx.program.id, member, 20)?
        .into_iter()
        .map(|(from, to, cause, metric_value, at)| TierChange {
            from,
            to,
            cause,
            metric_value,
            at,
        })
        .collect();
    // The tier in effect: a manual one while it lasts (shown as manual), else the earned one.
    let effective = manual
        .as_ref()
        .map(|m| m.tier.clone())
        .unwrap_or_else(|| p.tier.clone());
    let effective_name = ladder
        .tiers
        .iter()
        .find(|t| t.code == effective)
        .map(|t| {
            if locale.starts_with("en") {
                t.name_en.clone()
            } else {
                t.name_zh.clone()
            }
        })
        .unwrap_or_else(|| p.tier_name.clone());
    Ok(TierProgress {
        member_id: member.0,
        tier: effective,
        tier_name: effective_name,
        earned_tier: p.tier,
        manual,
        since,
        metric: p.metric,
        metric_value: p.value,
        window_from: ladder.window_start(now, &ctx.tz),
        keep_needed: ladder
            .review
            .map(|_| (ladder.tiers[i].threshold - value).max(0)),
        next_review_at: ladder.review.and_then(|r| r.next_after(now, &ctx.tz)),
        next_tier: p.next_tier,
        next_tier_name: p.next_tier_name,
        needed: p.needed,
        message: p.message,
        changes,
    })
}
