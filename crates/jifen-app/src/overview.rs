//! The programme at a glance, as the console's overview shows it and the API serves it: the
//! figures over a range of days (points issued, spent and expired per day, members who joined
//! and members active per day), the state now (members, outstanding points and their worth,
//! members per tier, active members over the last 30 days, the items ordered most), cached per
//! programme and range because they cost as much as the range holds, and what staff act on
//! (recent orders, open risk holds and appeals), read fresh.
//!
//! Days are whole days of the programme's calendar counted from the first day's midnight in
//! 24-hour steps (exact in zones without summer time, such as China's).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jifen_domain::words::{self, Flow};
use jifen_ledger::{Millis, ProgramId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{App, AppError, ProgramCtx};

mod range;
mod value;
pub use range::{
    DayRange, RANGE_DAYS_DEFAULT, RANGE_DAYS_MAX, RANGE_PRESETS, RangeProblem, RangeQuery,
    parse_date,
};
pub use value::{Liability, POINT_VALUE_MAX, PointValue, point_value, put_point_value, worth};

/// How long the figures are served before they are read again.
pub const FIGURES_TTL: Duration = Duration::from_secs(60);
/// Days the daily series covers by default, today included.
pub const DAYS: usize = RANGE_DAYS_DEFAULT as usize;
/// The window of "active members" and the top items, in days.
pub const ACTIVE_DAYS: i64 = 30;
/// Items in the top list.
pub const TOP_ITEMS: i64 = 5;
/// Recent orders shown.
pub const RECENT_ORDERS: i64 = 8;
/// Open appeals counted at most.
pub const OPEN_APPEALS_MAX: i64 = 200;
/// Ranges whose figures are kept in memory at once, over all programmes; the oldest goes first.
pub const CACHED_RANGES_MAX: usize = 64;

const DAY_MS: i64 = 86_400_000;

/// The figures over a range of days, and the programme's state when they were read.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Figures {
    /// When they were read, in the programme's clock.
    pub as_of: Millis,
    /// The first instant of the first day (midnight in the programme's zone).
    pub from: Millis,
    /// The first instant after the last day.
    pub to: Millis,
    /// Each day of the range, `YYYY-MM-DD`, oldest first; every series has one entry per day.
    pub dates: Vec<String>,
    /// Members now (merged ones included).
    pub members: i64,
    /// Points members hold now, pending ones included.
    pub outstanding: i64,
    /// Members with any posted points line in the last [`ACTIVE_DAYS`] days.
    pub active: i64,
    /// Points issued per day: earning, bonuses, gifts, prizes and adjustments (see
    /// `jifen_domain::words::LEDGER_CODES` for what counts where).
    pub issued: Vec<i64>,
    /// Points spent per day (redemptions, lottery draws).
    pub spent: Vec<i64>,
    /// Points expired per day.
    pub expired: Vec<i64>,
    pub total_issued: i64,
    pub total_spent: i64,
    pub total_expired: i64,
    /// Members who joined per day.
    pub new_members: Vec<i64>,
    pub total_new_members: i64,
    /// Members active per day: those with at least one posted points line (earned, spent,
    /// expired, adjusted…) that day, each counted once a day.
    pub active_daily: Vec<i64>,
    /// Members per tier of the ladder now, in the ladder's order (empty without a ladder).
    pub tiers: Vec<TierCount>,
    /// The items ordered most in the last [`ACTIVE_DAYS`] days.
    pub top_items: Vec<TopItem>,
}

/// The members at one tier now: a manual tier while it lasts, else the tier earned (the
/// ladder's first for a member who has none recorded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TierCount {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub members: i64,
}

/// An item among those ordered most.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct TopItem {
    pub item_id: i64,
    pub name_zh: String,
    pub name_en: String,
    pub orders: i64,
    pub units: i64,
    pub points: i64,
}

/// The overview: the cached figures, what the points are worth, and what staff act on.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Overview")]
pub struct OverviewView {
    pub figures: Arc<Figures>,
    /// The outstanding points and their worth at the programme's value of points (read fresh).
    pub liability: Liability,
    /// The latest orders, as the order view of the mall.
    pub recent_orders: Vec<crate::mall::OrderView>,
    pub open_holds: usize,
    pub open_appeals: usize,
}

/// The points moved per day by ledger code, summed by where each code counts, over `days` days.
pub fn daily_series(days: usize, daily: &[(i64, String, i64)]) -> (Vec<i64>, Vec<i64>, Vec<i64>) {
    let mut issued = vec![0i64; days];
    let mut spent = vec![0i64; days];
    let mut expired = vec![0i64; days];
    for (day, code, pts) in daily {
        let Some(d) = usize::try_from(*day).ok().filter(|d| *d < days) else {
            continue;
        };
        match words::ledger_flow(code) {
            Flow::Issued => issued[d] += pts,
            Flow::Spent => spent[d] += pts,
            Flow::Expired => expired[d] += pts,
            Flow::Internal => {}
        }
    }
    (issued, spent, expired)
}

/// A count per day over `days` days from (day index, count) rows.
fn per_day(days: usize, rows: &[(i64, i64)]) -> Vec<i64> {
    let mut out = vec![0i64; days];
    for (day, n) in rows {
        if let Some(d) = usize::try_from(*day).ok().filter(|d| *d < days) {
            out[d] += n;
        }
    }
    out
}

/// Members per tier of `ladder` from the store's (manual tier, earned tier, members) groups,
/// each member where `tiers::tier_code` puts them.
fn tier_counts(
    ladder: &jifen_domain::tiers::Ladder,
    groups: &[(String, String, i64)],
) -> Vec<TierCount> {
    let mut n = vec![0i64; ladder.tiers.len()];
    for (manual, earned, members) in groups {
        let i = ladder
            .index_of(manual)
            .or_else(|| ladder.index_of(earned))
            .unwrap_or(0);
        n[i] += members;
    }
    ladder
        .tiers
        .iter()
        .zip(n)
        .map(|(t, members)| TierCount {
            code: t.code.clone(),
            name_zh: t.name_zh.clone(),
            name_en: t.name_en.clone(),
            members,
        })
        .collect()
}

/// Members per tier now, for the tiers page (empty without a ladder).
pub fn tier_distribution(
    tx: &mut jifen_store::Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
) -> Result<Vec<TierCount>, AppError> {
    let Some(ladder) = &ctx.earn.ladder else {
        return Ok(Vec::new());
    };
    Ok(tier_counts(ladder, &tx.tier_counts(ctx.program.id, now)?))
}

fn top_items(
    tx: &mut jifen_store::Tx<'_>,
    p: ProgramId,
    since: Millis,
) -> Result<Vec<TopItem>, AppError> {
    let mut top = Vec::new();
    for (item, orders, units, points) in tx.top_items(p, since, TOP_ITEMS)? {
        let def = tx
            .mall_item(p, item)?
            .and_then(|r| serde_json::from_str::<Value>(&r.definition).ok())
            .unwrap_or_default();
        let name = |k: &str| def[k].as_str().unwrap_or("").to_string();
        top.push(TopItem {
            item_id: item,
            name_zh: name("name_zh"),
            name_en: name("name_en"),
            orders,
            units,
            points,
        });
    }
    Ok(top)
}

/// Reads the figures over `range` now, from the store: one grouped query per series.
pub async fn read_figures(
    app: &App,
    program: ProgramId,
    range: DayRange,
    now: Millis,
) -> Result<Figures, AppError> {
    let ctx = app.program_ctx(program).await?;
    let (from, to) = (range.start(&ctx.tz), range.end(&ctx.tz));
    let days = range.days();
    let since = now - ACTIVE_DAYS * DAY_MS;
    app.read(move |tx| {
        let p = ctx.program.id;
        let (issued, spent, expired) = daily_series(days, &tx.daily_points(p, from, to)?);
        let new_members = per_day(days, &tx.daily_new_members(p, from, to)?);
        let active_daily = per_day(days, &tx.daily_active_members(p, from, to)?);
        Ok(Figures {
            as_of: now,
            from,
            to,
            dates: range.dates(),
            members: tx.count_members(p)?,
            outstanding: tx.points_outstanding(p)?,
            active: tx.active_members(p, since)?,
            total_issued: issued.iter().sum(),
            total_spent: spent.iter().sum(),
            total_expired: expired.iter().sum(),
            issued,
            spent,
            expired,
            total_new_members: new_members.iter().sum(),
            new_members,
            active_daily,
            tiers: tier_distribution(tx, &ctx, now)?,
            top_items: top_items(tx, p, since)?,
        })
    })
    .await
}

/// Which figures: a programme's over a range of days.
type Key = (ProgramId, DayRange);

/// The figures per programme and range, served from memory for [`FIGURES_TTL`]; once stale,
/// still served while one background read replaces them, so only the first read waits on the
/// store. At most [`CACHED_RANGES_MAX`] ranges are kept; the one stored longest ago goes first.
#[derive(Clone, Default)]
pub struct FiguresCache {
    cached: Arc<Mutex<Cached>>,
    refreshing: Arc<Mutex<HashSet<Key>>>,
}

#[derive(Default)]
struct Cached {
    figures: HashMap<Key, (Instant, Arc<Figures>)>,
    /// The keys in the order they were first stored.
    order: VecDeque<Key>,
}

impl Cached {
    fn insert(&mut self, key: Key, f: Arc<Figures>) {
        if self.figures.insert(key, (Instant::now(), f)).is_none() {
            self.order.push_back(key);
        }
        while self.order.len() > CACHED_RANGES_MAX {
            if let Some(old) = self.order.pop_front() {
                self.figures.remove(&old);
            }
        }
    }
}

impl FiguresCache {
    pub async fn get(
        &self,
        app: &App,
        program: ProgramId,
        range: DayRange,
        now: Millis,
    ) -> Result<Arc<Figures>, AppError> {
        let key = (program, range);
        let cached = self
            .cached
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .figures
            .get(&key)
            .cloned();
        match cached {
            Some((at, f)) if at.elapsed() < FIGURES_TTL => Ok(f),
            Some((_, f)) => {
                let first = self
                    .refreshing
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key);
                if first {
                    let (cache, app) = (self.clone(), app.clone());
                    tokio::spawn(async move {
                        let now = app.now();
                        if let Err(e) = cache.refresh(&app, key, now).await {
                            tracing::warn!(program = program.0, error = %e, "the overview's figures could not be read again");
                        }
                        cache
                            .refreshing
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .remove(&key);
                    });
                }
                Ok(f)
            }
            None => self.refresh(app, key, now).await,
        }
    }

    async fn refresh(&self, app: &App, key: Key, now: Millis) -> Result<Arc<Figures>, AppError> {
        let f = Arc::new(read_figures(app, key.0, key.1, now).await?);
        self.cached
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, f.clone());
        Ok(f)
    }

    /// How many ranges are kept now (a check for tests).
    pub fn len(&self) -> usize {
        self.cached
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .figures
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The overview of the programme of `ctx` over the days `q` asks for: the figures (from the
/// application's cache), the worth of the outstanding points and what staff act on. A range
/// that does not read is refused as invalid input on its field.
pub async fn overview(
    app: &App,
    ctx: Arc<ProgramCtx>,
    q: &RangeQuery,
    now: Millis,
) -> Result<OverviewView, AppError> {
    let range = DayRange::resolve(q, &ctx.tz, now)
        .map_err(|p| AppError::invalid(p.field(), p.text(true)))?;
    let figures = app.figures().get(app, ctx.program.id, range, now).await?;
    let (recent_orders, open_holds, open_appeals, value) = app
        .read(move |tx| {
            let p = ctx.program.id;
            let orders = tx.mall_orders(p, None, None, i64::MAX, RECENT_ORDERS)?;
            let mut recent = Vec::new();
            for o in &orders {
                recent.push(crate::mall::order_view(tx, &ctx, o)?);
            }
            let holds = crate::earn::list_holds(
                tx,
                &ctx,
                Some("open"),
                None,
                Some(crate::earn::HOLDS_PAGE_MAX),
            )?;
            let appeals = tx.appeals_by_status(p, "open", OPEN_APPEALS_MAX)?.len();
            let value = point_value(tx, &ctx)?;
            Ok((
                recent,
                holds.holds.len(),
                appeals,
                (value, ctx.program.currency.clone()),
            ))
        })
        .await?;
    let (value, currency) = value;
    Ok(OverviewView {
        liability: Liability::new(figures.outstanding, &currency, &value),
        figures,
        recent_orders,
        open_holds,
        open_appeals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_series_sums_each_code_where_it_counts_and_drops_days_outside() {
        let daily = vec![
            (0, "purchase".to_string(), 100),
            (0, "sign_in".to_string(), 5),
            (0, "custom:quiz".to_string(), 7),
            (1, "redemption".to_string(), 40),
            (1, "lottery_draw".to_string(), 10),
            (1, "reservation".to_string(), -999),
            (2, "expiry".to_string(), 3),
            (2, "vest".to_string(), 50),
            (DAYS as i64, "purchase".to_string(), 1_000),
            (-1, "purchase".to_string(), 1_000),
        ];
        let (issued, spent, expired) = daily_series(DAYS, &daily);
        assert_eq!(issued[0], 112);
        assert_eq!(spent[1], 50);
        assert_eq!(expired[2], 3);
        assert_eq!(issued.iter().sum::<i64>(), 112);
        assert_eq!(spent.iter().sum::<i64>(), 50);
        assert_eq!(issued.len(), DAYS);
        assert_eq!(
            per_day(3, &[(0, 2), (2, 5), (3, 9), (-1, 9)]),
            vec![2, 0, 5]
        );
    }

    #[test]
    fn members_count_at_their_manual_tier_while_it_lasts_else_the_one_earned() {
        let ladder: jifen_domain::tiers::Ladder = serde_json::from_value(serde_json::json!({
            "metric": "growth", "window": {"kind": "calendar_year"},
            "tiers": [
                {"code": "silver", "name_zh": "银卡", "name_en": "Silver", "threshold": 0},
                {"code": "gold", "name_zh": "金卡", "name_en": "Gold", "threshold": 1000}
            ]
        }))
        .unwrap();
        let groups = vec![
            (String::new(), String::new(), 5),
            (String::new(), "gold".to_string(), 2),
            ("gold".to_string(), "silver".to_string(), 1),
            ("platinum".to_string(), "gold".to_string(), 1),
            (String::new(), "retired".to_string(), 3),
        ];
        let t = tier_counts(&ladder, &groups);
        assert_eq!(t.iter().map(|t| t.members).collect::<Vec<_>>(), vec![8, 4]);
        assert_eq!(t[1].name_zh, "金卡");
    }
}
