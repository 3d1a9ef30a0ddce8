//! Events the system raises itself: sign-up, referral, birthday and anniversary.

use std::collections::BTreeMap;

use jifen_ledger::ops::{MemberBook, Refs};
use jifen_ledger::*;
use jifen_rules::Value;
use jifen_rules::signin::BirthdayOn;
use jifen_rules::*;
use jifen_store::*;
use jiff::ToSpan;

use crate::commands::{
    self, MemberRef, PointsAndGrowth, ReferralReversed, ReferralTaken, RuleLine, SystemEventResult,
};
use crate::{AppError, ProgramCtx};

use super::counters::evaluate_locked;
use super::credit::{credit_awards, record, tier_of};
use super::holds::open_hold;
use super::refunds::withdraw_event_awards;
use super::vars::{fill_common, local_date, start_of};

/// Pays the rules of an event the system raises itself (sign-up, referral, birthday...) to a
/// member whose accounts are locked. Returns the event's answer part.
pub fn system_event(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: &Member,
    books: &mut [MemberBook; 2],
    t: &Trigger,
    event_id: &str,
    vars_extra: &[(&str, Value)],
    hold: Option<&str>,
    order_ref: Option<&str>,
    now: Millis,
) -> Result<SystemEventResult, AppError> {
    let mut vars = Vars::default();
    fill_common(
        tx,
        &mut vars,
        ctx,
        member,
        now,
        "",
        &[],
        &BTreeMap::new(),
        None,
    )?;
    for (k, v) in vars_extra {
        vars.set(k, v.clone());
    }
    let set = ctx.earn.rules.clone();
    let eval = evaluate_locked(tx, ctx, &set, member.id, t, now, &vars)?;
    let mut posting = Posting::default();
    let hold = hold.filter(|_| !eval.awards.is_empty());
    let credited = credit_awards(
        &mut posting,
        books,
        ctx,
        &eval.awards,
        t,
        now,
        now,
        order_ref,
        hold.is_some(),
        member.status == "frozen",
        tier_of(&vars),
    )?;
    let applied = tx.apply(ctx.program.id, &posting, &ctx.system, now)?;
    let awards = record(
        tx,
        ctx,
        event_id,
        t,
        member.id,
        now,
        &vars,
        &eval,
        &credited,
        &applied.transfers,
        None,
        &[],
        now,
    )?;
    let risk_hold = match hold {
        Some(reason) => Some(open_hold(tx, ctx, member.id, event_id, reason, &eval, now)?),
        None => None,
    };
    Ok(SystemEventResult {
        trigger: t.as_string(),
        member_id: member.id,
        awarded: PointsAndGrowth {
            points: eval.total(PointType::Points),
            growth: eval.total(PointType::Growth),
        },
        awards,
        rules: eval.explain.iter().map(RuleLine::from).collect(),
        risk_hold,
        role: None,
        stage: None,
    })
}

/// Pays referral rules to both sides of a referral at one stage (`sign_up` or
/// `first_purchase`); both members' accounts are locked.
pub fn referral_rewards(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    invitee: (&Member, &mut [MemberBook; 2]),
    inviter: (&Member, &mut [MemberBook; 2]),
    stage: &str,
    order: Option<&str>,
    hold: Option<&str>,
    now: Millis,
) -> Result<Vec<SystemEventResult>, AppError> {
    let t = Trigger::Referral;
    // First-purchase rewards are tied to the order (their lots carry `referral:<order>`), so
    // that a full refund of that order takes them back from both sides.
    let order_ref = order.map(|o| format!("referral:{o}"));
    let mut out = Vec::new();
    for (m, books, role) in [
        (invitee.0, invitee.1, "invitee"),
        (inviter.0, inviter.1, "inviter"),
    ] {
        let id = match order {
            Some(o) => format!("referral:{}:{stage}:{o}:{role}", invitee.0.id),
            None => format!("referral:{}:{stage}:{role}", invitee.0.id),
        };
        let extra = [
            ("referral.role", Value::Str(role.into())),
            ("referral.stage", Value::Str(stage.into())),
        ];
        let mut v = system_event(
            tx,
            ctx,
            m,
            books,
            &t,
            &id,
            &extra,
            hold,
            order_ref.as_deref(),
            now,
        )?;
        v.role = Some(role.to_string());
        v.stage = Some(stage.to_string());
        out.push(v);
    }
    Ok(out)
}

/// When a refund leaves the order that was an invitee's first purchase fully refunded, the
/// referral rewards of that purchase go back, from the invitee and from the inviter (whose
/// accounts this locks), and the invitee's next purchase counts as the first again.
/// `invitee_books` are the invitee's locked books.
pub fn withdraw_referral(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    order: &Order,
    invitee_books: &mut [MemberBook; 2],
    now: Millis,
) -> Result<Option<ReferralReversed>, AppError> {
    let program = ctx.program.id;
    let Some((inviter, Some(first))) = tx.referral_of(program, order.member)? else {
        return Ok(None);
    };
    if first != order.order_id {
        return Ok(None);
    }
    // The inviter's referral lots moved with it if it was merged since.
    let Some(inviter) = commands::survivor(tx, ctx, inviter)? else {
        return Ok(None);
    };
    if inviter == order.member {
        return Ok(None);
    }
    let mut inviter_books = commands::books(tx, ctx, inviter)?;
    let order_ref = format!("referral:{}", order.order_id);
    let refs = Refs {
        order_ref: Some(order_ref.clone()),
        reason: Some(format!(
            "referral reward of order {} withdrawn: the order was refunded",
            order.order_id
        )),
        actor: None,
    };
    let mut taken = Vec::with_capacity(2);
    for (member, books, role) in [
        (order.member, invitee_books, "invitee"),
        (inviter, &mut inviter_books, "inviter"),
    ] {
        let event_id = format!(
            "referral:{}:first_purchase:{}:{role}",
            order.member, order.order_id
        );
        let amounts = withdraw_event_awards(tx, ctx, &event_id)?;
        let mut posting = Posting::default();
        for pt in PointType::ALL {
            let amount = amounts[pt as usize];
            if amount > 0 {
                let b = &mut books[pt as usize];
                commands::reverse_ref(
                    tx,
                    ctx,
                    &mut posting,
                    b,
                    member,
                    &order_ref,
                    amount,
                    0,
                    &refs,
                    now,
                )?;
            }
        }
        tx.apply(program, &posting, &ctx.system, now)?;
        taken.push(ReferralTaken {
            member_id: member,
            points: amounts[0],
            growth: amounts[1],
        });
    }
    tx.set_referral_first_purchase(program, order.member, None)?;
    Ok(Some(ReferralReversed {
        invitee: taken[0],
        inviter: taken[1],
    }))
}

/// Members one birthday or anniversary job step handles.
pub const JOB_STEP_MEMBERS: i64 = 200;

/// Pays birthday and anniversary rules to the members whose day is today in the programme's
/// time zone, once per member per year (the event id carries the year). Returns how many
/// members were handled, or `None` when none were due.
pub fn birthday_step(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    scope: &crate::JobScope,
) -> Result<Option<i64>, AppError> {
    let set = ctx.earn.rules.clone();
    let today = local_date(now, &ctx.tz);
    let year = today.year();
    let mut handled = 0;
    let tier_gifts = ctx
        .earn
        .ladder
        .as_ref()
        .is_some_and(|l| l.tiers.iter().any(|t| t.benefits.birthday_gift.is_some()));
    if !set.for_trigger(&Trigger::Birthday).is_empty() || tier_gifts {
        let md = |m: i8, d: i8| format!("{m:02}-{d:02}");
        let days: Vec<(String, String)> = match ctx.earn.settings.birthday_on {
            BirthdayOn::Day => {
                let today_md = md(today.month(), today.day());
                let mut days = vec![(today_md.clone(), today_md)];
                // Members born on 29 February celebrate on the 28th in other years.
                if today.month() == 2 && today.day() == 28 && !today.in_leap_year() {
                    days.push((md(2, 29), md(2, 29)));
                }
                days
            }
            // The whole month is due from its first day: a job that missed the 1st still pays.
            BirthdayOn::Month => vec![(md(today.month(), 1), md(today.month(), 31))],
        };
        let due = tx.members_born_on_without_event(
            ctx.program.id,
            &days,
            "birthday:",
            &format!(":{year}"),
            scope.fetch(JOB_STEP_MEMBERS),
        )?;
        for m in scope.keep(due, JOB_STEP_MEMBERS, |m| m.0) {
            scope.at(m.0);
            handled += pay_system_event(
                tx,
                ctx,
                m,
                &Trigger::Birthday,
                &format!("birthday:{m}:{year}"),
                &[],
                now,
            )?;
        }
    }
    if handled == 0 && !set.for_trigger(&Trigger::Anniversary).is_empty() {
        // Members who joined on this calendar day in an earlier year, most recent years first.
        // Members who joined on 29 February have theirs on the 28th in other years.
        let leap_day_too = today.month() == 2 && today.day() == 28 && !today.in_leap_year();
        let days: Vec<(i16, i8, i8)> = (1..=30i16)
            .flat_map(|y| {
                let mut v = vec![(y, today.month(), today.day())];
                if leap_day_too {
                    v.push((y, 2, 29));
                }
                v
            })
            .collect();
        for (years, month, day) in days {
            let Ok(then) = jiff::civil::Date::new(year - years, month, day) else {
                continue;
            };
            let from = start_of(then, &ctx.tz);
            let to = start_of(then.checked_add(1.day()).unwrap_or(then), &ctx.tz);
            let due = tx.members_joined_between_without_event(
                ctx.program.id,
                from,
                to,
                "anniversary:",
                &format!(":{year}"),
                scope.fetch(JOB_STEP_MEMBERS - handled),
            )?;
            for m in scope.keep(due, JOB_STEP_MEMBERS - handled, |m| m.0) {
                scope.at(m.0);
                let extra = [(
                    "event.ints",
                    Value::Map([("years".to_string(), years as i64)].into_iter().collect()),
                )];
                handled += pay_system_event(
                    tx,
                    ctx,
                    m,
                    &Trigger::Anniversary,
                    &format!("anniversary:{m}:{year}"),
                    &extra,
                    now,
                )?;
            }
            if handled >= scope.limit(JOB_STEP_MEMBERS) {
                break;
            }
        }
    }
    Ok((handled > 0).then_some(handled))
}

fn pay_system_event(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    t: &Trigger,
    event_id: &str,
    extra: &[(&str, Value)],
    now: Millis,
) -> Result<i64, AppError> {
    let (m, mut books) = commands::resolve_locked(
        tx,
        ctx,
        &MemberRef::Id {
            member_id: member.0,
        },
    )?;
    if m.id != member || tx.event(ctx.program.id, event_id)?.is_some() {
        return Ok(0);
    }
    system_event(tx, ctx, &m, &mut books, t, event_id, extra, None, None, now)?;
    if *t == Trigger::Birthday {
        // The tier's birthday gift, paid with the birthday event (once a year by its id).
        let tier = crate::tiers::tier_code(tx, ctx, m.id, now)?;
        if let Some(g) = crate::tiers::benefits_of(ctx, &tier).birthday_gift {
            // The line's code says it is a tier's gift; its reason names the tier.
            let label = ctx
                .earn
                .ladder
                .as_ref()
                .and_then(|l| l.tiers.iter().find(|t| t.code == tier))
                .map_or_else(|| tier.clone(), |t| t.name_zh.clone());
            crate::tiers::grant_gift(
                tx,
                ctx,
                m.id,
                &mut books,
                &g,
                &format!("{event_id}:gift"),
                &label,
                &tier,
                now,
            )?;
        }
    }
    Ok(1)
}
