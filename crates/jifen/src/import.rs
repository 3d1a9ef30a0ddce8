//! `jifen import purchases FILE.csv`: bulk import of purchase events (opening histories when
//! migrating, or a day's POS export), through the same use case as the API.
//!
//! Rows are submitted many at a time so that the writers commit them in large groups. Each row
//! is idempotent by its order id: importing the same file again changes nothing (a row whose
//! order id is already recorded counts as already imported, whatever its other columns say). A bad row is
//! reported with its line number and reason and skipped; the rest goes on.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use jifen_app::commands::{self, MemberRef, Purchase};
use jifen_app::{App, AppError};
use jifen_ledger::ProgramId;
use serde::Deserialize;

/// Rows in flight at once: enough to fill several writer batches.
const IN_FLIGHT: usize = 4_096;
/// Bad rows listed in full; beyond this only counted.
const ERRORS_SHOWN_MAX: usize = 50;

/// One CSV row. Columns: `order_id, channel, external_id, member_id, amount_minor, currency,
/// occurred_at`; a member is named by `channel`+`external_id` or by `member_id`; `occurred_at`
/// is RFC 3339 or empty for now.
#[derive(Debug, Deserialize)]
struct Row {
    order_id: String,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    external_id: Option<String>,
    #[serde(default)]
    member_id: Option<i64>,
    amount_minor: i64,
    currency: String,
    #[serde(default)]
    occurred_at: Option<String>,
}

fn parse_row(row: Row) -> Result<Purchase, String> {
    let member = match (row.member_id, row.channel, row.external_id) {
        (Some(member_id), _, _) => MemberRef::Id { member_id },
        (None, Some(channel), Some(external_id)) if !channel.is_empty() => MemberRef::External {
            channel,
            external_id,
        },
        _ => return Err("name the member by member_id, or by channel and external_id".into()),
    };
    let occurred_at = match row.occurred_at.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(t) => Some(
            t.parse::<jiff::Timestamp>()
                .map_err(|e| format!("occurred_at {t:?}: {e}"))?
                .as_millisecond(),
        ),
    };
    let p = Purchase {
        order_id: row.order_id,
        member,
        amount_minor: row.amount_minor,
        currency: row.currency,
        lines: vec![],
        occurred_at,
        channel: None,
        shipping_minor: None,
        tags: vec![],
    };
    p.validate().map_err(|e| e.to_string())?;
    Ok(p)
}

#[derive(Debug, Default)]
pub struct ImportReport {
    pub rows: u64,
    pub imported: u64,
    pub already_imported: u64,
    pub failed: u64,
    pub seconds: f64,
}

pub fn purchases(
    app: &App,
    program: ProgramId,
    file: &Path,
    progress: bool,
) -> anyhow::Result<ImportReport> {
    let total = std::fs::read(file)
        .with_context(|| format!("reading {}", file.display()))?
        .iter()
        .filter(|b| **b == b'\n')
        .count() as u64;
    let bar = if progress {
        indicatif::ProgressBar::new(total.saturating_sub(1))
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows  {per_sec}  eta {eta}")
            .expect("valid template"),
    );
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(file)
        .with_context(|| format!("opening {}", file.display()))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let started = Instant::now();
    let mut report = ImportReport::default();
    let mut errors: Vec<String> = Vec::new();
    rt.block_on(async {
        let mut in_flight = tokio::task::JoinSet::new();
        for (i, record) in reader.deserialize::<Row>().enumerate() {
            let line = i as u64 + 2;
            report.rows += 1;
            let parsed = record.map_err(|e| e.to_string()).and_then(parse_row);
            match parsed {
                Err(e) => {
                    report.failed += 1;
                    errors.push(format!("line {line}: {e}"));
                    bar.inc(1);
                }
                Ok(p) => {
                    let app = app.clone();
                    in_flight.spawn(async move {
                        let partition = p.member.partition();
                        let r = app
                            .write_view(
                                program,
                                &partition,
                                // The order id makes each row idempotent: a row imported before
                                // is refused as `order_exists`, so no idempotency record is kept.
                                None,
                                move |tx, ctx, now| commands::purchase(tx, ctx, now, &p),
                            )
                            .await;
                        (line, r)
                    });
                }
            }
            while in_flight.len() >= IN_FLIGHT {
                if let Some(done) = in_flight.join_next().await {
                    tally(done?, &mut report, &mut errors, &bar);
                }
            }
        }
        while let Some(done) = in_flight.join_next().await {
            tally(done?, &mut report, &mut errors, &bar);
        }
        anyhow::Ok(())
    })?;
    bar.finish_and_clear();
    report.seconds = started.elapsed().as_secs_f64();
    for e in errors.iter().take(ERRORS_SHOWN_MAX) {
        eprintln!("{e}");
    }
    if errors.len() > ERRORS_SHOWN_MAX {
        eprintln!("... and {} more bad rows", errors.len() - ERRORS_SHOWN_MAX);
    }
    Ok(report)
}

fn tally(
    done: (
        u64,
        Result<jifen_app::Written<commands::PurchaseResult>, AppError>,
    ),
    report: &mut ImportReport,
    errors: &mut Vec<String>,
    bar: &indicatif::ProgressBar,
) {
    bar.inc(1);
    match done.1 {
        Ok(_) => report.imported += 1,
        Err(AppError::Conflict {
            code: "order_exists",
            ..
        }) => report.already_imported += 1,
        Err(e) => {
            report.failed += 1;
            errors.push(format!("line {}: {e}", done.0));
        }
    }
}
