//! Behaviour events from the merchant's systems: checking them, turning them into rule
//! variables and recording what they earn.

use std::collections::{BTreeMap, BTreeSet};

use jifen_ledger::ops::{self, MemberBook, Refs};
use jifen_ledger::*;
use jifen_rules::Value;
use jifen_rules::signin::{STREAK_DAYS_MAX, streak_on};
use jifen_rules::*;
use jifen_store::*;
use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::commands::{
    self, AwardLine, EventResult, MemberRef, PointsAndGrowth, RuleLine, SignInDay,
};
use crate::{AppError, ProgramCtx};

use super::counters::evaluate_locked;
use super::credit::{credit_awards, record, tier_of};
use super::holds::{assess, note_traces, open_hold, traces};
use super::vars::{fill_common, local_date};
use super::views::HoldOpened;
use super::{ATTRIBUTE_ABS_MAX, EVENT_ATTRIBUTES_MAX, EVENT_TAGS_MAX};

/// A behaviour event from the merchant's systems.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventIn {
    /// The caller's id of the event: the same id is applied once. Optional for sign-ins,
    /// which are once per member per day by nature.
    #[serde(default)]
    pub event_id: Option<String>,
    #[serde(rename = "type")]
    pub trigger: String,
    pub member: MemberRef,
    #[serde(default)]
    pub occurred_at: Option<Millis>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Integer attributes: `text_length` and `photos` for reviews, anything for custom events.
    #[serde(default)]
    pub attributes: BTreeMap<String, i64>,
    /// For a make-up sign-in (补签): the missed day, `YYYY-MM-DD`.
    #[serde(default)]
    pub makeup_date: Option<String>,
    /// The device the event came from, for anti-fraud limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// The client's IP address, for anti-fraud limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
}

impl EventIn {
    pub fn validate(&self) -> Result<Trigger, AppError> {
        let t = Trigger::parse(&self.trigger).map_err(|m| AppError::invalid("type", m))?;
        match t {
            Trigger::Purchase => {
                return Err(AppError::invalid(
                    "type",
                    "purchases are recorded with POST /api/v1/purchases",
                ));
            }
            Trigger::Birthday | Trigger::Anniversary => {
                return Err(AppError::invalid(
                    "type",
                    "birthday and anniversary points are awarded by the daily job",
                ));
            }
            Trigger::Referral => {
                return Err(AppError::invalid(
                    "type",
                    "referrals are recorded by creating the invitee with a referrer (POST /api/v1/members)",
                ));
            }
            _ => {}
        }
        match &self.event_id {
            Some(id) => commands::check_id("event_id", id)?,
            None if t == Trigger::SignIn || t == Trigger::SignUp => {}
            None => {
                return Err(AppError::invalid(
                    "event_id",
                    "is required for this event type",
                ));
            }
        }
        self.member.validate()?;
        if let Some(c) = &self.channel {
            commands::check_channel(c)?;
        }
        if self.tags.len() > EVENT_TAGS_MAX {
            return Err(AppError::invalid(
                "tags",
                format!("at most {EVENT_TAGS_MAX}"),
            ));
        }
        for t in &self.tags {
            commands::check_id("tags", t)?;
        }
        if self.attributes.len() > EVENT_ATTRIBUTES_MAX {
            return Err(AppError::invalid(
                "attributes",
                format!("at most {EVENT_ATTRIBUTES_MAX}"),
            ));
        }
        for (k, v) in &self.attributes {
            commands::check_id("attributes", k)?;
            if v.unsigned_abs() > ATTRIBUTE_ABS_MAX as u64 {
                return Err(AppError::invalid(
                    format!("attributes.{k}"),
                    format!("must be within ±{ATTRIBUTE_ABS_MAX}"),
                ));
            }
        }
        for (f, v) in [("device_id", &self.device_id), ("ip", &self.ip)] {
            if let Some(v) = v {
                commands::check_id(f, v)?;
            }
        }
        if self.makeup_date.is_some() && t != Trigger::SignIn {
            return Err(AppError::invalid(
                "makeup_date",
                "only sign-ins have a make-up date",
            ));
        }
        if let Some(d) = &self.makeup_date
            && d.parse::<Date>().is_err()
        {
            return Err(AppError::invalid(
                "makeup_date",
                "must be a date YYYY-MM-DD",
            ));
        }
        Ok(t)
    }

    /// The channel rules see: the one given, else the channel of the member reference.
    fn channel(&self) -> String {
        self.channel.clone().unwrap_or_else(|| match &self.member {
            MemberRef::External { channel, .. } => channel.clone(),
            MemberRef::Id { .. } => String::new(),
        })
    }
}

fn check_occurred(occurred: Millis, now: Millis) -> Result<(), AppError> {
    if occurred > now + commands::OCCURRED_AHEAD_MAX_MS {
        return Err(AppError::invalid(
            "occurred_at",
            "must not be in the future",
        ));
    }
    if occurred < commands::OCCURRED_AT_MIN {
        return Err(AppError::invalid(
            "occurred_at",
            "must be on or after 2000-01-01",
        ));
    }
    Ok(())
}

/// A behaviour event's variables, and for a sign-in its day and whether it is a make-up.
pub(super) struct EventVars {
    pub vars: Vars,
    pub day: Option<(Date, bool)>,
    /// The member has already signed in on the sign-in's day: recording it is refused, a dry
    /// run evaluates it as that day's sign-in (the streak and total as that sign-in saw them).
    pub already_signed_in: bool,
}

/// The refusal of a second sign-in on a day.
fn already_signed_in(member: MemberId, d: Date) -> AppError {
    AppError::conflict(
        "already_signed_in",
        format!("member {member} already signed in on {d}"),
        json!({"member_id": member, "day": d.to_string()}),
    )
}

/// The variables of a behaviour event for a locked member, and for a sign-in its day.
pub(super) fn event_vars(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: &Member,
    e: &EventIn,
    t: &Trigger,
    occurred: Millis,
) -> Result<EventVars, AppError> {
    let mut v = Vars::default();
    fill_common(
        tx,
        &mut v,
        ctx,
        member,
        occurred,
        &e.channel(),
        &e.tags,
        &e.attributes,
        None,
    )?;
    let attr = |k: &str| e.attributes.get(k).copied().unwrap_or(0);
    if ctx.earn.rules.reads(t, "member.order_count") {
        v.int(
            "member.order_count",
            tx.member_order_count(ctx.program.id, member.id, occurred + 1)?,
        );
    }
    let mut day = None;
    let mut taken = false;
    match t {
        Trigger::Review => {
            v.int("review.text_length", attr("text_length"))
                .int("review.photos", attr("photos"));
        }
        Trigger::SignIn => {
            let today = local_date(occurred, &ctx.tz);
            let s = &ctx.earn.settings.sign_in;
            let (d, makeup) = match &e.makeup_date {
                None => (today, false),
                Some(m) => {
                    let d: Date = m.parse().expect("validated");
                    if !s.makeup_allowed {
                        return Err(AppError::conflict(
                            "makeup_not_allowed",
                            "this programme has no make-up sign-ins",
                            json!({}),
                        ));
                    }
                    let back = (today - d).get_days() as i64;
                    if back <= 0 {
                        return Err(AppError::invalid(
                            "makeup_date",
                            "must be a day before today",
                        ));
                    }
                    if back > s.makeup_days_max as i64 {
                        return Err(AppError::conflict(
                            "makeup_too_old",
                            format!(
                                "a make-up sign-in reaches at most {} days back",
                                s.makeup_days_max
                            ),
                            json!({"makeup_days_max": s.makeup_days_max}),
                        ));
                    }
                    if d < local_date(member.created_at, &ctx.tz) {
                        return Err(AppError::invalid(
                            "makeup_date",
                            "is before the member joined",
                        ));
                    }
                    (d, true)
                }
            };
            let from = d.checked_sub(STREAK_DAYS_MAX.days()).unwrap_or(d);
            let mut days: BTreeSet<Date> = tx
                .sign_in_days(ctx.program.id, member.id, &from.to_string())?
                .iter()
                .filter_map(|s| s.parse().ok())
                .collect();
            // A day already signed is counted once, as its sign-in saw it.
            taken = !days.insert(d);
            let total = tx.count_sign_ins(ctx.program.id, member.id)? + i64::from(!taken);
            v.int("streak.day", streak_on(&days, d, s.reset))
                .int("streak.total", total)
                .set("sign_in.makeup", Value::Bool(makeup));
            day = Some((d, makeup));
        }
        _ => {}
    }
    Ok(EventVars {
        vars: v,
        day,
        already_signed_in: taken,
    })
}

/// Records a behaviour event and pays what its rules give.
pub fn record_event(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    e: &EventIn,
) -> Result<EventResult, AppError> {
    let t = e.validate()?;
    let occurred = event_time(ctx, e, &t, now)?;
    let (member, mut books) = commands::resolve_locked(tx, ctx, &e.member)?;
    let event_id = match (&t, &e.event_id) {
        (Trigger::SignUp, _) => format!("sign_up:{}", member.id),
        (Trigger::SignIn, _) => String::new(), // named by its day below
        (_, Some(id)) => format!("ev:{id}"),
        (_, None) => unreachable!("validated"),
    };
    let EventVars {
        vars,
        day,
        already_signed_in: taken,
    } = event_vars(tx, ctx, &member, e, &t, occurred)?;
    if let (true, Some((d, _))) = (taken, day) {
        return Err(already_signed_in(member.id, d));
    }
    let event_id = match day {
        Some((d, _)) => format!("sign_in:{}:{d}", member.id),
        None => event_id,
    };
    if tx.event(ctx.program.id, &event_id)?.is_some() {
        return Err(AppError::conflict(
            "event_exists",
            format!("event {event_id} was already recorded"),
            json!({"event_id": event_id}),
        ));
    }
    let mut posting = Posting::default();
    let makeup_cost = spend_makeup_cost(tx, ctx, &books, &mut posting, day, now)?;
    let set = ctx.earn.rules.clone();
    let eval = evaluate_locked(tx, ctx, &set, member.id, &t, occurred, &vars)?;
    let traces = traces(e.device_id.as_deref(), e.ip.as_deref());
    let hold =
        assess(tx, ctx, member.id, &t, &traces, occurred)?.filter(|_| !eval.awards.is_empty());
    let credited = credit_awards(
        &mut posting,
        &mut books,
        ctx,
        &eval.awards,
        &t,
        occurred,
        now,
        None,
        hold.is_some(),
        member.status == "frozen",
        tier_of(&vars),
    )?;
    // First write: the sign-in day (refused above if taken, and unique in the store).
    if let Some((d, makeup)) = day
        && !tx.insert_sign_in(ctx.program.id, member.id, &d.to_string(), makeup, now)?
    {
        return Err(already_signed_in(member.id, d));
    }
    let applied = tx.apply(ctx.program.id, &posting, &ctx.system, now)?;
    let awards = record(
        tx,
        ctx,
        &event_id,
        &t,
        member.id,
        occurred,
        &vars,
        &eval,
        &credited,
        &applied.transfers,
        None,
        &[],
        now,
    )?;
    note_traces(tx, ctx, member.id, &traces, occurred)?;
    let risk_hold = match &hold {
        Some(reason) => Some(open_hold(
            tx, ctx, member.id, &event_id, reason, &eval, now,
        )?),
        None => None,
    };
    event_answer(
        tx,
        ctx,
        e,
        &t,
        member.id,
        &mut books,
        occurred,
        &event_id,
        &eval,
        awards,
        risk_hold,
        day,
        makeup_cost,
        &vars,
        now,
    )
}

/// When the event occurred: not in the future, not before 2000, and for a sign-in, today.
fn event_time(ctx: &ProgramCtx, e: &EventIn, t: &Trigger, now: Millis) -> Result<Millis, AppError> {
    let occurred = e.occurred_at.unwrap_or(now);
    check_occurred(occurred, now)?;
    // A sign-in is for today; a missed day goes through the make-up rules (cost, window).
    if *t == Trigger::SignIn && local_date(occurred, &ctx.tz) != local_date(now, &ctx.tz) {
        return Err(AppError::invalid(
            "occurred_at",
            "a sign-in is for today; sign in for a missed day with makeup_date",
        ));
    }
    Ok(occurred)
}

/// Spends what a make-up sign-in costs into the posting; returns the cost (0 for other
/// events).
fn spend_makeup_cost(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    books: &[MemberBook; 2],
    posting: &mut Posting,
    day: Option<(Date, bool)>,
    now: Millis,
) -> Result<i64, AppError> {
    // A make-up sign-in may cost points: spent before anything is written, so that a member
    // who cannot pay is refused with nothing changed.
    let mut makeup_cost = 0;
    if let Some((d, true)) = day {
        makeup_cost = ctx.earn.settings.sign_in.makeup_cost_points;
        if makeup_cost > 0 {
            let b = books[0].clone();
            let lots = tx.spendable_lots(b.balance, now)?;
            let refs = Refs {
                order_ref: None,
                reason: Some(format!("补签 make-up sign-in for {d}")),
                actor: None,
            };
            ops::spend(
                posting,
                &lots,
                &b,
                ctx.system.get(SystemAccount::Redemption, PointType::Points),
                Points::positive(makeup_cost).map_err(|e| AppError::Internal(e.to_string()))?,
                "makeup_sign_in",
                Phase::Posted,
                &refs,
                now,
            )?;
        }
    }
    Ok(makeup_cost)
}

/// The answer to a recorded event, after the tier upgrade and lottery draws it may bring.
fn event_answer(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    e: &EventIn,
    t: &Trigger,
    member: MemberId,
    books: &mut [MemberBook; 2],
    occurred: Millis,
    event_id: &str,
    eval: &Evaluation,
    awards: Vec<AwardLine>,
    risk_hold: Option<HoldOpened>,
    day: Option<(Date, bool)>,
    makeup_cost: i64,
    vars: &Vars,
    now: Millis,
) -> Result<EventResult, AppError> {
    let mut out = EventResult {
        event_id: e.event_id.clone(),
        trigger: t.as_string(),
        member_id: member,
        occurred_at: occurred,
        awarded: PointsAndGrowth {
            points: eval.total(PointType::Points),
            growth: eval.total(PointType::Growth),
        },
        awards,
        rules: eval.explain.iter().map(RuleLine::from).collect(),
        risk_hold,
        tier_change: None,
        lottery_draws_granted: Vec::new(),
        sign_in: None,
    };
    if eval.total(PointType::Growth) > 0 {
        out.tier_change =
            crate::tiers::check_upgrade(tx, ctx, member, books, now, &format!("event {event_id}"))?;
    }
    // Lotteries may grant a free draw for this kind of event (not while it is held for review).
    if out.risk_hold.is_none() {
        out.lottery_draws_granted =
            crate::lottery::grant_for_event(tx, ctx, member, &t.as_string(), now)?;
    }
    if let Some((d, makeup)) = day {
        let int = |name| match vars.get(name) {
            Value::Int(n) => *n,
            _ => 0,
        };
        out.sign_in = Some(SignInDay {
            day: d.to_string(),
            makeup,
            makeup_cost_points: makeup_cost,
            streak_day: int("streak.day"),
            total: int("streak.total"),
        });
    }
    Ok(out)
}
