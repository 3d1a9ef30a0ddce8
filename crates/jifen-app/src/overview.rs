//! The programme at a glance, as the console's overview shows it and the API serves it: the
//! figures over recent history (members, outstanding points, points issued, spent and expired
//! per day, active members, the items ordered most), cached because they cost as much as the
//! window holds, and what staff act on (recent orders, open risk holds and appeals), read fresh.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jifen_domain::words::{self, Flow};
use jifen_ledger::{Millis, ProgramId};
use serde::Serialize;
use serde_json::Value;

use crate::{App, AppError, ProgramCtx};

/// How long the figures are served before they are read again.
pub const FIGURES_TTL: Duration = Duration::from_secs(60);
/// Days the daily series covers, today included.
pub const DAYS: usize = 14;
/// The window of "active members" and the top items, in days.
pub const ACTIVE_DAYS: i64 = 30;
/// Items in the top list.
pub const TOP_ITEMS: i64 = 5;
/// Recent orders shown.
pub const RECENT_ORDERS: i64 = 8;
/// Open appeals counted at most.
pub const OPEN_APPEALS_MAX: i64 = 200;

const DAY_MS: i64 = 86_400_000;

/// The figures over the programme's recent history.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    /// When they were read, in the programme's clock.
    pub as_of: Millis,
    /// The first instant of the first day of the series (midnight in the programme's zone).
    pub from: Millis,
    pub members: i64,
    /// Points members hold, pending ones included.
    pub outstanding: i64,
    /// Members with any points movement in the last [`ACTIVE_DAYS`] days.
    pub active: i64,
    /// Points issued per day, oldest first ([`DAYS`] entries): earning, bonuses, gifts, prizes
    /// and adjustments (see `jifen_domain::words::LEDGER_CODES` for what counts where).
    pub issued: Vec<i64>,
    /// Points spent per day (redemptions, lottery draws).
    pub spent: Vec<i64>,
    /// Points expired per day.
    pub expired: Vec<i64>,
    pub total_issued: i64,
    pub total_spent: i64,
    /// The items ordered most in the last [`ACTIVE_DAYS`] days.
    pub top_items: Vec<TopItem>,
}

/// An item among those ordered most.
#[derive(Debug, Clone, Serialize)]
pub struct TopItem {
    pub item_id: i64,
    pub name_zh: String,
    pub name_en: String,
    pub orders: i64,
    pub units: i64,
    pub points: i64,
}

/// The overview: the cached figures and what staff act on.
#[derive(Debug, Clone, Serialize)]
pub struct OverviewView {
    pub figures: Arc<Figures>,
    /// The latest orders, as the order view of the mall.
    pub recent_orders: Vec<crate::mall::OrderView>,
    pub open_holds: usize,
    pub open_appeals: usize,
}

/// The points moved per day by ledger code, summed by where each code counts.
pub fn daily_series(daily: &[(i64, String, i64)]) -> (Vec<i64>, Vec<i64>, Vec<i64>) {
    let mut issued = vec![0i64; DAYS];
    let mut spent = vec![0i64; DAYS];
    let mut expired = vec![0i64; DAYS];
    for (day, code, pts) in daily {
        let Some(d) = usize::try_from(*day).ok().filter(|d| *d < DAYS) else {
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

/// Reads the figures now, from the store.
pub async fn read_figures(app: &App, program: ProgramId, now: Millis) -> Result<Figures, AppError> {
    let ctx = app.program_ctx(program).await?;
    let from = crate::day_start(now, &ctx.tz) - (DAYS as i64 - 1) * DAY_MS;
    let since = now - ACTIVE_DAYS * DAY_MS;
    app.read(move |tx| {
        let p = ctx.program.id;
        let mut top_items = Vec::new();
        for (item, orders, units, points) in tx.top_items(p, since, TOP_ITEMS)? {
            let def = tx
                .mall_item(p, item)?
                .and_then(|r| serde_json::from_str::<Value>(&r.definition).ok())
                .unwrap_or_default();
            let name = |k: &str| def[k].as_str().unwrap_or("").to_string();
            top_items.push(TopItem {
                item_id: item,
                name_zh: name("name_zh"),
                name_en: name("name_en"),
                orders,
                units,
                points,
            });
        }
        let (issued, spent, expired) = daily_series(&tx.daily_points(p, from)?);
        Ok(Figures {
            as_of: now,
            from,
            members: tx.count_members(p)?,
            outstanding: tx.points_outstanding(p)?,
            active: tx.active_members(p, since)?,
            total_issued: issued.iter().sum(),
            total_spent: spent.iter().sum(),
            issued,
            spent,
            expired,
            top_items,
        })
    })
    .await
}

/// The figures per programme, served from memory for [`FIGURES_TTL`]; once stale, still served
/// while one background read replaces them, so only the first read waits on the store.
#[derive(Clone, Default)]
pub struct FiguresCache {
    cached: Arc<Mutex<HashMap<ProgramId, (Instant, Arc<Figures>)>>>,
    refreshing: Arc<Mutex<HashSet<ProgramId>>>,
}

impl FiguresCache {
    pub async fn get(
        &self,
        app: &App,
        program: ProgramId,
        now: Millis,
    ) -> Result<Arc<Figures>, AppError> {
        let cached = self
            .cached
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&program)
            .cloned();
        match cached {
            Some((at, f)) if at.elapsed() < FIGURES_TTL => Ok(f),
            Some((_, f)) => {
                let first = self
                    .refreshing
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(program);
                if first {
                    let (cache, app) = (self.clone(), app.clone());
                    tokio::spawn(async move {
                        let now = app.now();
                        if let Err(e) = cache.refresh(&app, program, now).await {
                            tracing::warn!(program = program.0, error = %e, "the overview's figures could not be read again");
                        }
                        cache
                            .refreshing
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .remove(&program);
                    });
                }
                Ok(f)
            }
            None => self.refresh(app, program, now).await,
        }
    }

    async fn refresh(
        &self,
        app: &App,
        program: ProgramId,
        now: Millis,
    ) -> Result<Arc<Figures>, AppError> {
        let f = Arc::new(read_figures(app, program, now).await?);
        self.cached
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(program, (Instant::now(), f.clone()));
        Ok(f)
    }
}

/// The overview of the programme of `ctx`: the figures (from `cache`) and what staff act on.
pub async fn overview(
    app: &App,
    cache: &FiguresCache,
    ctx: Arc<ProgramCtx>,
    now: Millis,
) -> Result<OverviewView, AppError> {
    let figures = cache.get(app, ctx.program.id, now).await?;
    let (recent_orders, open_holds, open_appeals) = app
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
            Ok((recent, holds.holds.len(), appeals))
        })
        .await?;
    Ok(OverviewView {
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
        let (issued, spent, expired) = daily_series(&daily);
        assert_eq!(issued[0], 112);
        assert_eq!(spent[1], 50);
        assert_eq!(expired[2], 3);
        assert_eq!(issued.iter().sum::<i64>(), 112);
        assert_eq!(spent.iter().sum::<i64>(), 50);
        assert_eq!(issued.len(), DAYS);
    }
}
