//! Purchases: checking a purchase, deciding the base earn, and crediting it with the rules' awards.

use jifen_ledger::ops::{self, CreditSpec, MemberBook, Refs};
use jifen_ledger::policy::base_rate_points;
use jifen_ledger::*;
use jifen_store::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::earn::PurchaseAwards;
use crate::{AppError, ProgramCtx};

use super::answers::{EarnedLine, PerPointType, PointsAndGrowth, PurchaseResult};
use super::checks::{check_channel, check_id, check_money, points};
use super::resolve::{MemberRef, books, resolve, resolve_locked, survivor};
use super::{LINES_MAX, MONEY_MINOR_MAX, OCCURRED_AHEAD_MAX_MS, OCCURRED_AT_MIN};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineItem {
    pub sku: String,
    #[serde(default)]
    pub category: Option<String>,
    pub quantity: i64,
    /// Price of one unit in minor units.
    pub price_minor: i64,
    /// `item` (the default), `shipping` or `discount`: only items earn category and SKU points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

impl LineItem {
    pub fn is_item(&self) -> bool {
        self.kind.as_deref().is_none_or(|k| k == "item")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purchase {
    pub order_id: String,
    pub member: MemberRef,
    /// What the member paid, in minor units (fen, cents): points are earned on this.
    pub amount_minor: i64,
    pub currency: String,
    #[serde(default)]
    pub lines: Vec<LineItem>,
    /// When the purchase happened; defaults to now. Imports of history pass the original time.
    #[serde(default)]
    pub occurred_at: Option<Millis>,
    /// Shipping included in `amount_minor`: it earns no points. When absent, the sum of the
    /// lines of kind `shipping`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_minor: Option<i64>,
    /// The channel the order came from, for rules; the member reference's channel when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

impl Purchase {
    /// The amount points are earned on: what was paid, less shipping.
    pub fn points_base_minor(&self) -> i64 {
        let shipping = self.shipping_minor.unwrap_or_else(|| {
            self.lines
                .iter()
                .filter(|l| l.kind.as_deref() == Some("shipping"))
                .map(|l| l.price_minor.saturating_mul(l.quantity))
                .sum()
        });
        (self.amount_minor - shipping.clamp(0, self.amount_minor)).max(0)
    }

    pub fn validate(&self) -> Result<(), AppError> {
        check_id("order_id", &self.order_id)?;
        self.member.validate()?;
        check_money("amount_minor", self.amount_minor)?;
        if self.currency.len() != 3 || !self.currency.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(AppError::invalid(
                "currency",
                "must be a three-letter ISO 4217 code such as CNY",
            ));
        }
        if self.lines.len() > LINES_MAX {
            return Err(AppError::invalid(
                "lines",
                format!("at most {LINES_MAX} line items"),
            ));
        }
        for (i, l) in self.lines.iter().enumerate() {
            check_id(&format!("lines[{i}].sku"), &l.sku)?;
            if let Some(c) = &l.category {
                check_id(&format!("lines[{i}].category"), c)?;
            }
            if !(1..=1_000_000).contains(&l.quantity) {
                return Err(AppError::invalid(
                    format!("lines[{i}].quantity"),
                    "must be between 1 and 1000000",
                ));
            }
            if !(0..=MONEY_MINOR_MAX).contains(&l.price_minor) {
                return Err(AppError::invalid(
                    format!("lines[{i}].price_minor"),
                    format!("must be between 0 and {MONEY_MINOR_MAX}"),
                ));
            }
            if let Some(k) = &l.kind
                && !["item", "shipping", "discount"].contains(&k.as_str())
            {
                return Err(AppError::invalid(
                    format!("lines[{i}].kind"),
                    "must be item, shipping or discount",
                ));
            }
        }
        if let Some(s) = self.shipping_minor
            && !(0..=self.amount_minor).contains(&s)
        {
            return Err(AppError::invalid(
                "shipping_minor",
                "must be between 0 and amount_minor",
            ));
        }
        if let Some(c) = &self.channel {
            check_channel(c)?;
        }
        if self.tags.len() > crate::earn::EVENT_TAGS_MAX {
            return Err(AppError::invalid(
                "tags",
                format!("at most {}", crate::earn::EVENT_TAGS_MAX),
            ));
        }
        for t in &self.tags {
            check_id("tags", t)?;
        }
        Ok(())
    }
}

/// What the programme's base rate gives a purchase; earning rules add their awards to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EarnDecision {
    pub points: i64,
    pub growth: i64,
}

/// The programme's base rate: points and growth per currency unit paid, the points multiplied
/// by the member's tier multiplier (a percentage, rounded down). Growth is not multiplied: it is
/// what qualifies for tiers.
pub fn base_earn(ctx: &ProgramCtx, p: &Purchase, multiplier_pct: u32) -> EarnDecision {
    let policy = &ctx.program.policy;
    let base = p.points_base_minor();
    let points = base_rate_points(base, policy.points_per_unit);
    EarnDecision {
        points: (points as i128 * multiplier_pct as i128 / 100) as i64,
        growth: base_rate_points(base, policy.growth_per_unit),
    }
}

pub fn purchase(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    p: &Purchase,
) -> Result<PurchaseResult, AppError> {
    let occurred = check_purchase(ctx, now, p)?;
    lock_inviter_first(tx, ctx, p)?;
    let (member, mut books) = resolve_locked(tx, ctx, &p.member)?;
    // The member's tier at the time of the purchase sets the multiplier and the validity.
    let tier = crate::tiers::tier_code(tx, ctx, member.id, occurred)?;
    let earn = base_earn(
        ctx,
        p,
        crate::tiers::benefits_of(ctx, &tier).earn_multiplier_pct,
    );
    // Everything that can refuse the purchase is decided before its first write.
    let mut posting = Posting::default();
    let earned = credit_base_earn(
        ctx,
        &mut posting,
        &mut books,
        &member,
        &tier,
        p,
        earn,
        occurred,
        now,
    )?;
    let rules = crate::earn::purchase_awards(
        tx,
        ctx,
        &mut posting,
        &mut books,
        &member,
        p,
        occurred,
        now,
        earn,
        &tier,
    )?;
    check_order_total(earn, &rules)?;
    // Recording the order is the command's first write: a taken order id writes nothing.
    record_order(tx, ctx, p, &member, earn, &rules, occurred)?;
    let applied = tx.apply(ctx.program.id, &posting, &ctx.system, now)?;
    let mut out = purchase_answer(
        tx,
        ctx,
        p,
        &member,
        earn,
        &rules,
        earned,
        &applied.transfers,
        occurred,
        now,
    )?;
    // Crossing a tier threshold upgrades the member in this same request.
    if let Some(change) = crate::tiers::check_upgrade(
        tx,
        ctx,
        member.id,
        &mut books,
        now,
        &format!("purchase {}", p.order_id),
    )? {
        out.tier_change = Some(change);
    }
    pay_first_purchase_referral(tx, ctx, p, &member, &mut books, now, &mut out)?;
    Ok(out)
}

/// Checks a purchase against the programme (its currency, a time neither ahead of the clock
/// nor before 2000) and returns when it occurred.
fn check_purchase(ctx: &ProgramCtx, now: Millis, p: &Purchase) -> Result<Millis, AppError> {
    p.validate()?;
    let program = &ctx.program;
    if p.currency != program.currency {
        return Err(AppError::invalid(
            "currency",
            format!(
                "this programme takes {}, got {}",
                program.currency, p.currency
            ),
        ));
    }
    let occurred = p.occurred_at.unwrap_or(now);
    if occurred > now + OCCURRED_AHEAD_MAX_MS {
        return Err(AppError::invalid(
            "occurred_at",
            "must not be in the future",
        ));
    }
    if occurred < OCCURRED_AT_MIN {
        return Err(AppError::invalid(
            "occurred_at",
            "must be on or after 2000-01-01",
        ));
    }
    Ok(occurred)
}

/// Locks the inviter's accounts before the member's when a first purchase under referral
/// rules may pay the inviter with a lower id.
fn lock_inviter_first(tx: &mut Tx<'_>, ctx: &ProgramCtx, p: &Purchase) -> Result<(), AppError> {
    let program = &ctx.program;
    // A first purchase under referral rules also pays (and locks) the inviter: lock the two
    // members in id order, as transfers do, so that no two commands wait on each other.
    if !ctx
        .earn
        .rules
        .for_trigger(&jifen_rules::Trigger::Referral)
        .is_empty()
    {
        let pre = resolve(tx, ctx, &p.member)?;
        if let Some((inviter, None)) = tx.referral_of(program.id, pre.id)?
            && let Some(inviter) = survivor(tx, ctx, inviter)?
            && inviter < pre.id
        {
            self::books(tx, ctx, inviter)?;
        }
    }
    Ok(())
}

/// Credits the base rate's points and growth into the posting; returns per point type the
/// index of its transfer and its line (whose transfer id is filled in once applied).
fn credit_base_earn(
    ctx: &ProgramCtx,
    posting: &mut Posting,
    books: &mut [MemberBook; 2],
    member: &Member,
    tier: &str,
    p: &Purchase,
    earn: EarnDecision,
    occurred: Millis,
    now: Millis,
) -> Result<Vec<(PointType, usize, EarnedLine)>, AppError> {
    let program = &ctx.program;
    let refs = Refs {
        order_ref: Some(p.order_id.clone()),
        ..Default::default()
    };
    let mut earned = Vec::new();
    for (pt, amount) in [
        (PointType::Points, earn.points),
        (PointType::Growth, earn.growth),
    ] {
        if amount <= 0 {
            continue;
        }
        let b = &mut books[pt as usize];
        // Growth value counts toward tiers at once and never expires; points wait out the
        // return window and expire per the programme's validity.
        let (available_at, expires_at) = match pt {
            // A frozen member earns into pending; unfreezing releases them.
            PointType::Points if member.status == "frozen" => (
                crate::members::FROZEN_UNTIL,
                crate::tiers::points_expiry(ctx, tier, occurred),
            ),
            PointType::Points => (
                program.policy.available_at(occurred),
                crate::tiers::points_expiry(ctx, tier, occurred),
            ),
            PointType::Growth => (occurred, None),
        };
        let spec = CreditSpec {
            code: code::PURCHASE,
            source: ctx.system.get(SystemAccount::IssuancePurchase, pt),
            amount: points("amount_minor", amount)?,
            earned_at: occurred,
            available_at,
            expires_at,
        };
        let (t, _) = ops::credit(posting, b, &spec, &refs, now);
        let Ref::New(index) = t else {
            unreachable!("a credit creates a transfer")
        };
        let status = if available_at > now {
            "pending"
        } else {
            "available"
        };
        earned.push((
            pt,
            index,
            EarnedLine {
                amount,
                status: status.to_string(),
                available_at,
                expires_at,
                transfer_id: TransferId(0),
            },
        ));
    }
    Ok(earned)
}

/// Refuses a purchase whose base earn and rule awards together exceed one operation's maximum.
fn check_order_total(earn: EarnDecision, rules: &PurchaseAwards) -> Result<(), AppError> {
    let from_rules = |pt| rules.eval.total(pt);
    // An order's points are reversed as one operation: its total stays within the maximum.
    for pt in PointType::ALL {
        let base = if pt == PointType::Points {
            earn.points
        } else {
            earn.growth
        };
        if base + from_rules(pt) > jifen_ledger::POINTS_PER_OPERATION_MAX {
            return Err(AppError::invalid(
                "amount_minor",
                format!(
                    "this purchase would earn more than {} {} in one order",
                    jifen_ledger::POINTS_PER_OPERATION_MAX,
                    pt.as_str()
                ),
            ));
        }
    }
    Ok(())
}

/// Records the order with what it earned; an order id already taken is a conflict.
fn record_order(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    p: &Purchase,
    member: &Member,
    earn: EarnDecision,
    rules: &PurchaseAwards,
    occurred: Millis,
) -> Result<(), AppError> {
    let program = &ctx.program;
    let from_rules = |pt| rules.eval.total(pt);
    let recorded = tx.insert_order(&Order {
        program: program.id,
        order_id: p.order_id.clone(),
        member: member.id,
        paid_minor: p.amount_minor,
        currency: p.currency.clone(),
        refunded_minor: 0,
        points_earned: earn.points + from_rules(PointType::Points),
        points_reversed: 0,
        points_expiry_covered: 0,
        growth_earned: earn.growth + from_rules(PointType::Growth),
        growth_reversed: 0,
        lines_json: serde_json::to_string(&p.lines).expect("lines serialize"),
        created_at: occurred,
    })?;
    if !recorded {
        let existing = tx.order(program.id, &p.order_id)?.map(|o| o.member);
        return Err(AppError::conflict(
            "order_exists",
            format!("order {} was already recorded", p.order_id),
            json!({"order_id": p.order_id, "member_id": existing}),
        ));
    }
    Ok(())
}

/// Records the purchase event with its rule awards and builds the answer: what the base rate
/// earned and, when the programme has purchase rules, the totals, awards and rules.
fn purchase_answer(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    p: &Purchase,
    member: &Member,
    earn: EarnDecision,
    rules: &PurchaseAwards,
    earned: Vec<(PointType, usize, EarnedLine)>,
    transfers: &[TransferId],
    occurred: Millis,
    now: Millis,
) -> Result<PurchaseResult, AppError> {
    let from_rules = |pt| rules.eval.total(pt);
    let mut views = PerPointType::default();
    for (pt, index, mut v) in earned {
        v.transfer_id = transfers[index];
        views.set(pt, v);
    }
    let mut out = PurchaseResult {
        order_id: p.order_id.clone(),
        member_id: member.id,
        amount_minor: p.amount_minor,
        currency: p.currency.clone(),
        earned: views,
        total: None,
        awards: None,
        rules: None,
        tier_change: None,
        referral_rewards: None,
    };
    let rv = crate::earn::record_purchase(tx, ctx, rules, member.id, p, occurred, transfers, now)?;
    // The answer names the rules when the programme has purchase rules; otherwise it stays
    // the ledger's answer alone.
    if !ctx
        .earn
        .rules
        .for_trigger(&jifen_rules::Trigger::Purchase)
        .is_empty()
    {
        out.total = Some(PointsAndGrowth {
            points: earn.points + from_rules(PointType::Points),
            growth: earn.growth + from_rules(PointType::Growth),
        });
        out.awards = Some(rv.awards);
        out.rules = Some(rv.rules);
    }
    Ok(out)
}

/// On the invitee's first purchase under referral rules, marks the referral and pays both
/// sides the rules of stage first_purchase; the rewards go into the answer.
fn pay_first_purchase_referral(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    p: &Purchase,
    member: &Member,
    books: &mut [MemberBook; 2],
    now: Millis,
    out: &mut PurchaseResult,
) -> Result<(), AppError> {
    let program = &ctx.program;
    if !ctx
        .earn
        .rules
        .for_trigger(&jifen_rules::Trigger::Referral)
        .is_empty()
        && let Some((inviter, None)) = tx.referral_of(program.id, member.id)?
    {
        // The invitee's first purchase: referral rules of stage first_purchase pay both.
        tx.set_referral_first_purchase(program.id, member.id, Some(&p.order_id))?;
        // A merged inviter is rewarded as the member it was merged into.
        if let Some(inviter) = survivor(tx, ctx, inviter)?
            && let Some(inviter) = tx.member(program.id, inviter)?
            && inviter.id != member.id
        {
            let mut inviter_books = self::books(tx, ctx, inviter.id)?;
            let rewards = crate::earn::referral_rewards(
                tx,
                ctx,
                (member, books),
                (&inviter, &mut inviter_books),
                "first_purchase",
                Some(&p.order_id),
                None,
                now,
            )?;
            out.referral_rewards = Some(rewards);
        }
    }
    Ok(())
}
