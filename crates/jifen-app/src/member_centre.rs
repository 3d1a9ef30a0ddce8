//! What the member centre reads beyond the other use cases. The home page, in one transaction:
//! the balance, the tier, recent history, items within reach, the sign-in card (the last seven
//! days, the streak, what the next sign-in pays) and the tasks (the active behaviour rules with
//! the member's progress toward their caps), the streak and the caps read the way the earning
//! engine reads them, so the card and the next event agree. Then what the mall pages and the
//! lottery wheel need: units bought, an order by its form's key, a wheel with the member's
//! draws.

use std::collections::BTreeSet;
use std::sync::Arc;

use jifen_domain::mall::ItemDef;
use jifen_ledger::{MemberId, Millis, PointType};
use jifen_rules::eval::{CounterKind, PeriodKey, period_of};
use jifen_rules::signin::{STREAK_DAYS_MAX, streak_on};
use jifen_rules::{CompiledRule, CounterKey, Period, Stacking, Trigger};
use jifen_store::{AppealRow, Member, Tx};

use jiff::ToSpan;
use jiff::civil::Date;

use crate::commands::MemberRef;
use crate::views::Balance;
use crate::{AppError, ProgramCtx};

/// Lines of recent history on the home page.
pub const HISTORY_LINES: i64 = 15;
/// Appeals listed on the home page.
pub const APPEALS: i64 = 10;

/// Everything the home page shows.
pub struct HomeView {
    pub member: Member,
    pub balance: Balance,
    /// The tier progress view, when the programme has tiers.
    pub tier: Option<crate::tiers::TierProgress>,
    /// The latest points lines, one per business event.
    pub history: crate::activity::ActivityPage,
    pub mall: crate::mall::MemberCatalog,
    pub checkin: Checkin,
    pub tasks: Vec<Task>,
    pub programme_name: String,
    pub referral_url: Option<String>,
    pub appeals: Vec<AppealRow>,
}

/// Reads the home page of `member` (`loc`: `zh` or `en`, for names).
pub fn home(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    now: Millis,
    loc: &str,
) -> Result<HomeView, AppError> {
    let m = crate::commands::resolve(
        tx,
        ctx,
        &MemberRef::Id {
            member_id: member.0,
        },
    )?;
    Ok(HomeView {
        balance: crate::views::balance(tx, ctx, m.id, PointType::Points, now, 30)?,
        tier: crate::tiers::member_progress(tx, ctx, m.id, now, loc).ok(),
        history: crate::activity::activity(
            tx,
            ctx,
            m.id,
            &crate::activity::ActivityQuery::points(HISTORY_LINES),
        )?,
        mall: crate::mall::member_catalog(tx, ctx, m.id, None, loc, now)?,
        appeals: tx.member_appeals(ctx.program.id, m.id, APPEALS)?,
        checkin: checkin_of(tx, ctx, &m, now)?,
        tasks: tasks_of(tx, ctx, &m, now)?,
        referral_url: tx.referral_url(ctx.program.id)?,
        programme_name: ctx.program.name.clone(),
        member: m,
    })
}

// ---- daily sign-in -------------------------------------------------------------------------

/// The sign-in card's facts: the signed days of the last seven, the streak, and what the next
/// sign-in pays when the active sign-in rules make that plain.
pub struct Checkin {
    pub today: Date,
    pub signed_today: bool,
    /// The last seven local days, today last, with whether each was signed.
    pub week: Vec<(Date, bool)>,
    /// The current streak: through today when signed today, else through yesterday (still
    /// alive until today ends).
    pub streak: i64,
    /// Points the next sign-in pays: today's when not signed yet, else tomorrow's.
    pub next_points: Option<i64>,
    /// When the programme allows make-up sign-ins (补签): the missed days of the week the
    /// member may still sign in for, and what each costs.
    pub makeup: Option<Makeup>,
}

/// The make-up sign-ins open to the member on the sign-in card.
pub struct Makeup {
    /// Points a make-up sign-in costs (0 for free).
    pub cost_points: i64,
    /// Missed days of the week, before today, within the programme's reach back and not before
    /// the member joined: the days `earn::record_event` accepts as `makeup_date`.
    pub days: BTreeSet<Date>,
}

/// The week's missed days a make-up sign-in may still reach, by the checks `record_event` makes.
fn makeup_of(ctx: &ProgramCtx, m: &Member, today: Date, week: &[(Date, bool)]) -> Option<Makeup> {
    let s = &ctx.earn.settings.sign_in;
    if !s.makeup_allowed {
        return None;
    }
    let joined = local_date(m.created_at, &ctx.tz);
    let days = week
        .iter()
        .filter(|(d, on)| {
            let back = (today - *d).get_days() as i64;
            !on && back > 0 && back <= s.makeup_days_max as i64 && *d >= joined
        })
        .map(|(d, _)| *d)
        .collect();
    Some(Makeup {
        cost_points: s.makeup_cost_points,
        days,
    })
}

/// The local calendar day of an instant in the programme's zone.
pub fn local_date(at: Millis, tz: &jiff::tz::TimeZone) -> Date {
    jiff::Timestamp::from_millisecond(at)
        .map(|t| t.to_zoned(tz.clone()).date())
        .unwrap_or_default()
}

/// Reads the member's sign-in days the way `earn::record_event` does (`sign_ins`, the last
/// `STREAK_DAYS_MAX` days, one indexed range read) and computes the streak with the same
/// `streak_on`, so the card and the next sign-in's `streak.day` agree. `streak.total` costs a
/// count, read only when a sign-in rule reads it.
pub fn checkin_of(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    m: &Member,
    now: Millis,
) -> Result<Checkin, AppError> {
    let today = local_date(now, &ctx.tz);
    let from = today.checked_sub(STREAK_DAYS_MAX.days()).unwrap_or(today);
    let mut days: BTreeSet<Date> = tx
        .sign_in_days(ctx.program.id, m.id, &from.to_string())?
        .iter()
        .filter_map(|d| d.parse().ok())
        .collect();
    let reset = ctx.earn.settings.sign_in.reset;
    let signed_today = days.contains(&today);
    let yesterday = today.yesterday().unwrap_or(today);
    let streak = streak_on(&days, if signed_today { today } else { yesterday }, reset);
    let week: Vec<(Date, bool)> = (0..7i64)
        .rev()
        .filter_map(|back| today.checked_sub(back.days()).ok())
        .map(|d| (d, days.contains(&d)))
        .collect();
    let makeup = makeup_of(ctx, m, today, &week);
    let next_day = if signed_today {
        today.tomorrow().unwrap_or(today)
    } else {
        today
    };
    days.insert(next_day);
    let total = if ctx.earn.rules.reads(&Trigger::SignIn, "streak.total") {
        tx.count_sign_ins(ctx.program.id, m.id)? + 1
    } else {
        0
    };
    let next_points = sign_in_points(&ctx.earn, streak_on(&days, next_day, reset), total);
    Ok(Checkin {
        today,
        signed_today,
        week,
        streak,
        next_points,
        makeup,
    })
}

/// What a sign-in with this streak day pays in points, when that is plain: every active
/// sign-in rule reads nothing but the streak (no audience, schedule, caps, budget, stacking
/// other than `stack`, no programme cap on sign-ins). Otherwise `None`, and the card makes no
/// promise it cannot keep.
pub fn sign_in_points(earn: &crate::earn::EarnCtx, streak_day: i64, total: i64) -> Option<i64> {
    if earn
        .settings
        .trigger_caps
        .iter()
        .any(|c| c.trigger == "sign_in")
    {
        return None;
    }
    let rules = earn.rules.for_trigger(&Trigger::SignIn);
    if rules.is_empty() {
        return None;
    }
    let allowed = [
        jifen_rules::vars::slot("streak.day"),
        jifen_rules::vars::slot("streak.total"),
        jifen_rules::vars::slot("sign_in.makeup"),
    ];
    let mut vars = jifen_rules::Vars::default();
    vars.int("streak.day", streak_day)
        .int("streak.total", total);
    let mut sum = 0i64;
    for r in rules {
        let d = &r.def;
        let a = &d.audience;
        let reads_only_streak = r.points.vars().iter().all(|v| allowed.contains(v))
            && r.condition
                .as_ref()
                .is_none_or(|c| c.vars().iter().all(|v| allowed.contains(v)));
        if !a.tiers.is_empty()
            || !a.channels.is_empty()
            || !a.segments.is_empty()
            || a.joined_within_days.is_some()
            || r.schedule.is_some()
            || !d.caps.is_empty()
            || d.budget_points.is_some()
            || d.stacking != Stacking::Stack
            || !reads_only_streak
        {
            return None;
        }
        if d.point_type != PointType::Points {
            continue;
        }
        if let Some(c) = &r.condition
            && !c.eval_bool(&vars.0).ok()?
        {
            continue;
        }
        let p = r
            .points
            .eval_int(&vars.0)
            .ok()?
            .clamp(0, jifen_rules::rule::AWARD_POINTS_MAX);
        sum = sum.saturating_add(p);
    }
    Some(sum)
}

// ---- tasks (任务卡) -------------------------------------------------------------------------

/// One active behaviour rule as a task, with the member's progress toward its cap this period.
pub struct Task {
    pub rule: Arc<CompiledRule>,
    pub progress: Option<Progress>,
}

/// Progress toward a rule's per-member cap in its current period.
pub struct Progress {
    pub period: Period,
    /// Awards (or points, when the cap counts points) so far.
    pub done: i64,
    pub max: i64,
    pub counts_points: bool,
}

impl Progress {
    pub fn reached(&self) -> bool {
        self.done >= self.max
    }
}

/// Event types the merchant's app reports for what a member does. Purchases have the mall and
/// the history, sign-ins their own card; birthdays and anniversaries are not something to do.
pub fn is_task(t: &Trigger) -> bool {
    !matches!(
        t,
        Trigger::Purchase | Trigger::SignIn | Trigger::Birthday | Trigger::Anniversary
    )
}

/// The active rules that are tasks for this member now: the window has begun and not ended,
/// and the audience may include the member (segments are not assigned yet, so a rule for
/// segments pays nobody; channels depend on the event and are not checked). The tasks' caps
/// are read in one query of `rule_counters`, the same rows the evaluation reads; a counter
/// whose slot holds another period reads zero, as in `earn::load_counters`.
pub fn tasks_of(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    m: &Member,
    now: Millis,
) -> Result<Vec<Task>, AppError> {
    let joined_days = (local_date(now, &ctx.tz) - local_date(m.created_at, &ctx.tz))
        .get_days()
        .max(0) as i64;
    let mut rules: Vec<Arc<CompiledRule>> = ctx
        .earn
        .rules
        .rules()
        .filter(|r| is_task(&r.trigger))
        .filter(|r| {
            r.schedule.as_ref().is_none_or(|s| {
                s.starts_at.is_none_or(|a| a <= now) && s.ends_at.is_none_or(|e| e > now)
            })
        })
        .filter(|r| {
            let a = &r.def.audience;
            a.segments.is_empty() && a.joined_within_days.is_none_or(|d| joined_days <= d as i64)
        })
        .cloned()
        .collect();
    if rules.iter().any(|r| !r.def.audience.tiers.is_empty()) {
        let tier = crate::tiers::tier_code(tx, ctx, m.id, now)?;
        rules.retain(|r| r.def.audience.tiers.is_empty() || r.def.audience.tiers.contains(&tier));
    }
    let mut names: Vec<String> = rules
        .iter()
        .filter(|r| !r.def.caps.is_empty())
        .map(|r| {
            CounterKey {
                kind: CounterKind::Rule(r.id),
                period: PeriodKey::All,
            }
            .name()
        })
        .collect();
    names.sort();
    names.dedup();
    let rows = tx.counters(ctx.program.id, m.id.0, &names)?;
    let mut tasks: Vec<Task> = rules
        .into_iter()
        .map(|r| {
            // The cap shown: a count cap if the rule has one (多少次), else a points cap.
            let cap = r
                .def
                .caps
                .iter()
                .find(|c| c.max_count.is_some())
                .or_else(|| r.def.caps.iter().find(|c| c.max_points.is_some()));
            let progress = cap.map(|c| {
                let name = CounterKey {
                    kind: CounterKind::Rule(r.id),
                    period: PeriodKey::All,
                }
                .name();
                // Slots in column order (`jifen_store::COUNTER_SLOTS`).
                let slot = match c.period {
                    Period::Day => 0,
                    Period::Week => 1,
                    Period::Month => 2,
                    Period::Year => 3,
                    Period::Lifetime => 4,
                };
                let key = period_of(c.period, now, &ctx.tz).to_string();
                let row = rows
                    .iter()
                    .find(|row| row.counter == name && row.periods[slot].as_deref() == Some(&key));
                let counts_points = c.max_count.is_none();
                Progress {
                    period: c.period,
                    done: row.map_or(0, |row| {
                        if counts_points {
                            row.points[slot]
                        } else {
                            row.count[slot]
                        }
                    }),
                    max: c.max_count.or(c.max_points).unwrap_or(0),
                    counts_points,
                }
            });
            Task { rule: r, progress }
        })
        .collect();
    // What is still to do first; the rule set's order (trigger, priority) otherwise.
    tasks.sort_by_key(task_done);
    Ok(tasks)
}

/// A task the member has done as often as it pays this period; signing up is done by anyone
/// who has a points centre.
pub fn task_done(t: &Task) -> bool {
    t.rule.trigger == Trigger::SignUp || t.progress.as_ref().is_some_and(Progress::reached)
}

/// The points a rule pays when its formula is a plain integer.
pub fn plain_points(r: &CompiledRule) -> Option<i64> {
    r.def.points.trim().parse::<i64>().ok().filter(|p| *p > 0)
}

// ---- the mall and the wheel -----------------------------------------------------------------

/// Units of `item` the member bought in all and since the start of today.
pub fn units_bought(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    item: i64,
    now: Millis,
) -> Result<(i64, i64), AppError> {
    let all = tx.mall_units_bought(ctx.program.id, member, item, 0)?;
    let today =
        tx.mall_units_bought(ctx.program.id, member, item, crate::day_start(now, &ctx.tz))?;
    Ok((all, today))
}

/// The id of the member's order placed with the form key `request_id`, if any.
pub fn order_of_request(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    request_id: &str,
) -> Result<Option<i64>, AppError> {
    Ok(tx
        .mall_order_by_request(ctx.program.id, member, request_id)?
        .map(|o| o.id))
}

/// A mall item's pictures (the `images` of its definition, the cover first), none for an
/// unknown item.
pub fn item_images(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    item: i64,
) -> Result<Option<Vec<i64>>, AppError> {
    Ok(tx
        .mall_item(ctx.program.id, item)?
        .and_then(|r| serde_json::from_str::<ItemDef>(&r.definition).ok())
        .map(|d| d.images))
}

/// A lottery and what the member has of it.
pub struct WheelView {
    pub def: crate::lottery::LotteryView,
    /// Free draws left.
    pub left: i64,
    pub draws_today: i64,
    pub draws_all: i64,
    pub balance: i64,
    /// The draw made with the request key asked for, if any.
    pub drawn: Option<crate::lottery::DrawView>,
}

/// The lottery `code` as the member sees it; `drawn_request` names a draw just made.
pub fn wheel(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    code: &str,
    drawn_request: Option<&str>,
    now: Millis,
) -> Result<Option<WheelView>, AppError> {
    let Some(row) = tx.lottery(ctx.program.id, code)? else {
        return Ok(None);
    };
    let def = crate::lottery::get(tx, ctx, code)?;
    let (granted, used) = tx.lottery_chances(ctx.program.id, row.id, member)?;
    let draws_today = tx.draws_since(
        ctx.program.id,
        row.id,
        member,
        crate::day_start(now, &ctx.tz),
    )?;
    let draws_all = tx.draws_since(ctx.program.id, row.id, member, 0)?;
    let balance = crate::views::balance(tx, ctx, member, PointType::Points, now, 0)?.available;
    let drawn = match drawn_request {
        Some(k) => crate::lottery::draw_by_request(tx, ctx, code, member, k)?,
        None => None,
    };
    Ok(Some(WheelView {
        def,
        left: (granted - used).max(0),
        draws_today,
        draws_all,
        balance,
        drawn,
    }))
}
