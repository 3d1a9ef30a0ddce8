//! Rule variables: local dates and month bounds, the variables every event shares, and
//! the stored form of an event's variables.

use std::collections::BTreeMap;

use jifen_ledger::*;
use jifen_rules::Value;
use jifen_rules::*;
use jifen_store::*;
use jiff::ToSpan;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde_json::json;

use crate::{AppError, ProgramCtx};

pub(crate) fn local_date(at: Millis, tz: &TimeZone) -> Date {
    jiff::Timestamp::from_millisecond(at)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(tz.clone())
        .date()
}

pub(crate) fn start_of(d: Date, tz: &TimeZone) -> Millis {
    d.at(0, 0, 0, 0)
        .to_zoned(tz.clone())
        .map(|z| z.timestamp().as_millisecond())
        .unwrap_or(0)
}

/// The first instants of the calendar month containing `at` and of the next month.
pub(super) fn month_bounds(at: Millis, tz: &TimeZone) -> (Millis, Millis) {
    let d = local_date(at, tz).first_of_month();
    let next = d.checked_add(1.month()).unwrap_or(d);
    (start_of(d, tz), start_of(next, tz))
}

/// Variables every event has: the member, the channel, the caller's tags and attributes,
/// and the local time. `tier` is the member's tier at `at` when the caller has read it already
/// (a purchase reads it for its multiplier); otherwise it is read here.
pub(super) fn fill_common(
    tx: &mut Tx<'_>,
    v: &mut Vars,
    ctx: &ProgramCtx,
    member: &Member,
    at: Millis,
    channel: &str,
    tags: &[String],
    ints: &BTreeMap<String, i64>,
    tier: Option<&str>,
) -> Result<(), AppError> {
    let tier = match tier {
        Some(t) => t.to_string(),
        None => crate::tiers::tier_code(tx, ctx, member.id, at)?,
    };
    let today = local_date(at, &ctx.tz);
    let joined = local_date(member.created_at, &ctx.tz);
    let days = (today - joined).get_days().max(0) as i64;
    let z = jiff::Timestamp::from_millisecond(at)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(ctx.tz.clone());
    v.set("event.channel", Value::Str(channel.to_string()))
        .set("event.tags", Value::List(tags.to_vec()))
        .set("event.ints", Value::Map(ints.clone()))
        // Segments arrive with their own issue; until then every member is in none.
        .int(
            "member.tier_multiplier",
            crate::tiers::benefits_of(ctx, &tier).earn_multiplier_pct as i64,
        )
        .set("member.tier", Value::Str(tier))
        .int("member.days_since_joined", days)
        .int("now.hour", z.hour() as i64)
        .int("now.weekday", z.weekday().to_monday_one_offset() as i64)
        .int("now.day", z.day() as i64)
        .int("now.month", z.month() as i64);
    Ok(())
}

/// Variables read from other rows (order counts, month totals), computed for an event only
/// when a rule reads them. The event row names those it has (`$has`), so that a backtest
/// computes the missing ones rather than reading a zero.
pub const LAZY_VARS: [&str; 3] = ["member.order_count", "month.orders", "month.spend"];

/// The non-zero variables as a JSON object: what an event row keeps for refunds and backtests.
pub fn vars_json(v: &Vars, computed: &[&str]) -> String {
    let mut m = serde_json::Map::new();
    if !computed.is_empty() {
        m.insert("$has".into(), json!(computed));
    }
    for (i, var) in jifen_rules::vars::VARS.iter().enumerate() {
        if v.0[i] != Value::zero(var.ty) {
            m.insert(
                var.name.into(),
                serde_json::to_value(&v.0[i]).expect("value serializes"),
            );
        }
    }
    serde_json::Value::Object(m).to_string()
}

/// Which lazy variables an event row has.
pub fn vars_computed(s: &str) -> Vec<String> {
    serde_json::from_str::<serde_json::Value>(s)
        .ok()
        .and_then(|v| serde_json::from_value(v["$has"].clone()).ok())
        .unwrap_or_default()
}

/// Variables back from an event row; names no longer known are skipped.
pub fn vars_parse(s: &str) -> Vars {
    let mut v = Vars::default();
    if let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(s) {
        for (k, val) in m {
            let Some(i) = jifen_rules::vars::VARS.iter().position(|x| x.name == k) else {
                continue;
            };
            let want = jifen_rules::vars::VARS[i].ty;
            // Untagged parsing reads `{}` and `[]` by shape; a type that does not match is skipped.
            if let Ok(parsed) = serde_json::from_value::<Value>(val)
                && parsed.ty() == want
            {
                v.0[i] = parsed;
            }
        }
    }
    v
}
