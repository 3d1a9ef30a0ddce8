//! The overview's figures on both stores: points issued, spent and expired on known days land
//! on those days of the range (in the programme's zone), with members who joined and who were
//! active per day, members per tier and the outstanding points priced at the programme's value
//! of points (set and audited); a range that does not read is refused by field; the figures
//! are cached per range, a bounded number of them.

#[macro_use]
mod common;

use std::sync::Arc;

use common::*;
use jifen_app::AppError;
use jifen_app::overview::{self, OverviewView, PointValue, RangeQuery};
use jifen_ledger::PointType;
use jifen_store::Backend;
use serde_json::{Value, json};

fn block<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

fn view(w: &World, q: RangeQuery) -> Result<OverviewView, AppError> {
    let app = w.app.clone();
    let pid = w.pid;
    let now = w.now();
    block(async move {
        let ctx = app.program_ctx(pid).await?;
        overview::overview(&app, ctx, &q, now).await
    })
}

fn dates(from: &str, to: &str) -> RangeQuery {
    RangeQuery {
        days: None,
        from: Some(from.into()),
        to: Some(to.into()),
    }
}

fn days(n: i64) -> RangeQuery {
    RangeQuery {
        days: Some(n),
        ..RangeQuery::default()
    }
}

fn field(r: Result<impl std::fmt::Debug, AppError>) -> String {
    match r {
        Err(AppError::Invalid { field, .. }) => field,
        other => panic!("expected an invalid field, got {other:?}"),
    }
}

fn put_value(w: &World, v: Option<i64>) -> Result<Value, AppError> {
    let v = PointValue {
        minor_per_100_points: v,
    };
    w.write(move |tx, ctx, now| overview::put_point_value(tx, ctx, now, "staff:owner", &v))
}

fn audited(w: &World) -> Vec<jifen_store::AuditRow> {
    w.read(|tx, ctx| {
        Ok(tx.audit_entries(
            ctx.program.id,
            None,
            Some("point_value.update"),
            i64::MAX,
            10,
        )?)
    })
}

fn give(w: &World, m: i64, points: i64) {
    w.adjust(
        m,
        points,
        PointType::Points,
        Some("活动赠送"),
        Some("staff:ops"),
    )
    .unwrap();
}

fn the_figures_of_a_range_are_what_was_posted_on_its_days(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    // 2026-01-01, 08:00 in Shanghai: two members join and are given points.
    let (a, bee) = (w.member("a"), w.member("b"));
    give(&w, a, 500);
    give(&w, bee, 300);
    // 01-02: a third joins; the first spends.
    w.at_day(1);
    let c = w.member("c");
    w.spend(a, 120).unwrap();
    // 01-03: the third is given points.
    w.at_day(2);
    give(&w, c, 200);
    // 02-01: the points of 01-01 have lived their 30 days and expire.
    w.at_day(31);
    let expired = w.jobs_tuple().1;
    assert_eq!(expired, 380 + 300, "what is left of the first day's points");

    let v = view(&w, dates("2026-01-01", "2026-02-01")).unwrap();
    let f = &v.figures;
    assert_eq!(f.dates.len(), 32);
    assert_eq!(
        (f.dates[0].as_str(), f.dates[31].as_str()),
        ("2026-01-01", "2026-02-01")
    );
    assert_eq!(&f.issued[..4], &[800, 0, 200, 0]);
    assert_eq!(&f.spent[..4], &[0, 120, 0, 0]);
    assert_eq!(f.expired[31], 680);
    assert_eq!(f.expired.iter().sum::<i64>(), 680);
    assert_eq!(
        (f.total_issued, f.total_spent, f.total_expired),
        (1_000, 120, 680)
    );
    assert_eq!(&f.new_members[..3], &[2, 1, 0]);
    assert_eq!(f.total_new_members, 3);
    assert_eq!(&f.active_daily[..4], &[2, 1, 1, 0]);
    assert_eq!(f.active_daily[31], 2, "the two whose points expired");
    assert_eq!(f.members, 3);
    assert_eq!(f.outstanding, 200);
    // The series are one entry per day and the range ends where it says.
    assert!(
        [
            &f.issued,
            &f.spent,
            &f.expired,
            &f.new_members,
            &f.active_daily
        ]
        .iter()
        .all(|s| s.len() == 32)
    );
    assert_eq!(f.to - f.from, 32 * DAY);

    // A range that leaves the first day out leaves its points out.
    let later = view(&w, dates("2026-01-02", "2026-01-03")).unwrap();
    assert_eq!(later.figures.issued, vec![0, 200]);
    assert_eq!(later.figures.spent, vec![120, 0]);
    assert_eq!(later.figures.new_members, vec![1, 0]);
    // The last 14 days by default: 01-19 to 02-01, the expiry on the last.
    let recent = view(&w, RangeQuery::default()).unwrap();
    assert_eq!(recent.figures.dates.first().unwrap(), "2026-01-19");
    assert_eq!(recent.figures.expired[13], 680);
    assert_eq!(recent.figures.total_issued, 0);

    // No value of points yet: the liability says so rather than 0.
    assert_eq!(v.liability.outstanding, 200);
    assert_eq!(v.liability.currency, "CNY");
    assert_eq!(v.liability.value_minor, None);
    w.verify();
}

fn the_value_of_points_prices_the_liability_and_is_audited(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let m = w.member("a");
    give(&w, m, 12_345);
    assert_eq!(w.read(overview::point_value).minor_per_100_points, None);
    // Refused values write nothing, not even the audit.
    for bad in [0, -5, overview::POINT_VALUE_MAX + 1] {
        assert_eq!(field(put_value(&w, Some(bad))), "minor_per_100_points");
    }
    assert!(audited(&w).is_empty());
    // 100 points for 1 yuan: 12,345 points are worth ¥123.45.
    put_value(&w, Some(100)).unwrap();
    let v = view(&w, days(7)).unwrap();
    assert_eq!(v.liability.minor_per_100_points, Some(100));
    assert_eq!(v.liability.value_minor, Some(12_345));
    // Half a fen a point: 61.725 yuan, rounded to ¥61.73. Read fresh, not from the cache.
    put_value(&w, Some(50)).unwrap();
    assert_eq!(
        view(&w, days(7)).unwrap().liability.value_minor,
        Some(6_173)
    );
    let log = audited(&w);
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].actor, "staff:owner");
    let before: Value = serde_json::from_str(log[0].before.as_deref().unwrap()).unwrap();
    let after: Value = serde_json::from_str(log[0].after.as_deref().unwrap()).unwrap();
    assert_eq!(before, json!({"minor_per_100_points": 100}));
    assert_eq!(after, json!({"minor_per_100_points": 50}));
    // Cleared: no value again.
    put_value(&w, None).unwrap();
    assert_eq!(view(&w, days(7)).unwrap().liability.value_minor, None);
    assert_eq!(audited(&w).len(), 3);
}

fn members_are_counted_per_tier(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    let none = view(&w, days(7)).unwrap();
    assert!(none.figures.tiers.is_empty(), "no ladder, no tiers");
    let l: jifen_domain::tiers::Ladder = serde_json::from_value(json!({
        "metric": "growth", "window": {"kind": "rolling_months", "months": 12}, "tiers": [
            {"code": "silver", "name_zh": "银卡", "name_en": "Silver", "threshold": 0},
            {"code": "gold", "name_zh": "金卡", "name_en": "Gold", "threshold": 1000}]}))
    .unwrap();
    w.write(move |tx, ctx, now| jifen_app::tiers::put_ladder(tx, ctx, now, "staff:test", &l))
        .unwrap();
    w.app.invalidate_program(w.pid);
    let ms: Vec<i64> = ["a", "b", "c"].iter().map(|e| w.member(e)).collect();
    let gold = jifen_app::tiers::ManualTier {
        tier: "gold".into(),
        until: START + 30 * DAY,
        reason: "VIP".into(),
        actor: "cs:li".into(),
    };
    let m = ms[2];
    w.write(move |tx, ctx, now| {
        jifen_app::tiers::set_manual(tx, ctx, now, jifen_ledger::MemberId(m), &gold)
    })
    .unwrap();
    // Another range than the one cached above, before the ladder.
    let t = view(&w, days(6)).unwrap().figures.tiers.clone();
    let counts: Vec<(&str, i64)> = t.iter().map(|t| (t.code.as_str(), t.members)).collect();
    assert_eq!(counts, vec![("silver", 2), ("gold", 1)]);
    assert_eq!(t[1].name_zh, "金卡");
    // The tiers page reads the same counts; after the manual tier ends the member is silver.
    w.at_day(31);
    let ctx = w.app.program_ctx_blocking(w.pid).unwrap();
    let now = w.now();
    let later = w
        .app
        .read_blocking(move |tx| overview::tier_distribution(tx, &ctx, now))
        .unwrap();
    assert_eq!(
        later.iter().map(|t| t.members).collect::<Vec<_>>(),
        vec![3, 0]
    );
}

fn a_range_that_does_not_read_is_refused_by_field_and_ranges_are_cached_bounded(
    b: Arc<dyn Backend>,
) {
    let w = World::new(b, policy(0));
    assert_eq!(field(view(&w, days(0))), "days");
    assert_eq!(field(view(&w, days(367))), "days");
    assert_eq!(field(view(&w, dates("2026-02-30", "2026-03-01"))), "from");
    assert_eq!(field(view(&w, dates("2026-03-01", "03/02/2026"))), "to");
    assert_eq!(field(view(&w, dates("2026-03-02", "2026-03-01"))), "to");
    assert_eq!(field(view(&w, dates("2024-01-01", "2025-01-01"))), "from");
    let mixed = RangeQuery {
        days: Some(7),
        ..dates("2026-01-01", "2026-01-02")
    };
    assert_eq!(field(view(&w, mixed)), "days");
    assert!(
        view(&w, dates("2025-01-01", "2025-12-31")).is_ok(),
        "365 days"
    );
    // Within a minute the same range is served from memory; another range is read apart.
    let first = view(&w, days(7)).unwrap();
    let m = w.member("late");
    give(&w, m, 10);
    let again = view(&w, days(7)).unwrap();
    assert!(Arc::ptr_eq(&first.figures, &again.figures));
    assert_eq!(view(&w, days(8)).unwrap().figures.total_issued, 10);
    // However many ranges are asked for, a bounded number is kept.
    for n in 1..=80 {
        view(&w, days(n)).unwrap();
    }
    assert_eq!(w.app.figures().len(), overview::CACHED_RANGES_MAX);
}

on_both_backends!(
    the_figures_of_a_range_are_what_was_posted_on_its_days,
    the_value_of_points_prices_the_liability_and_is_audited,
    members_are_counted_per_tier,
    a_range_that_does_not_read_is_refused_by_field_and_ranges_are_cached_bounded,
);
