//! The background jobs: vesting, expiry, timeouts, birthdays, the tier review, monthly coupons,
//! coupon expiry and the webhook fan-out, for every programme.
//!
//! One failure stops nothing else. Each programme runs on its own; within a programme each step
//! runs on its own; within a step, an item that fails (a member, a lot, an order) is found, logged
//! with its cause, left out for the rest of the run and tried again on the next run, while every
//! other item goes through. A step works on a batch in one transaction; when the batch fails, the
//! step goes on one item per transaction until it meets the failing item, which it puts aside,
//! and then returns to batches.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use jifen_ledger::{Millis, ProgramId};
use jifen_store::Tx;

use crate::{App, AppError, ProgramCtx, coupons, earn, mall, tiers, webhooks};

/// More failing items than this in one step of one run and the step gives up until the next run.
pub const JOB_FAILURES_PER_STEP_MAX: usize = 100;

const NO_ITEM: i64 = i64::MIN;

/// What one job step may work on in one transaction: at most its batch (or one item while a
/// failure is being looked for), never an item put aside in this run. The step names each item
/// as it starts on it ([`JobScope::at`]), so that a failure is put on the right item.
#[derive(Debug)]
pub struct JobScope {
    one_at_a_time: bool,
    skip: BTreeSet<i64>,
    current: AtomicI64,
}

impl JobScope {
    fn new() -> JobScope {
        JobScope {
            one_at_a_time: false,
            skip: BTreeSet::new(),
            current: AtomicI64::new(NO_ITEM),
        }
    }

    /// A scope that puts nothing aside, for running a step by hand (tests, benchmarks).
    pub fn all() -> JobScope {
        JobScope::new()
    }

    /// How many items this transaction works on: the step's batch, or one.
    pub fn limit(&self, batch: i64) -> i64 {
        if self.one_at_a_time { 1 } else { batch }
    }

    /// How many rows to read so that `limit(batch)` remain once the items put aside are left out.
    pub fn fetch(&self, batch: i64) -> i64 {
        self.limit(batch) + self.skip.len() as i64
    }

    /// The items read, less those put aside, cut to `limit(batch)`.
    pub fn keep<T>(&self, items: Vec<T>, batch: i64, key: impl Fn(&T) -> i64) -> Vec<T> {
        items
            .into_iter()
            .filter(|i| !self.skip.contains(&key(i)))
            .take(self.limit(batch) as usize)
            .collect()
    }

    pub fn skips(&self, item: i64) -> bool {
        self.skip.contains(&item)
    }

    /// The step starts on this item.
    pub fn at(&self, item: i64) {
        self.current.store(item, Ordering::Relaxed);
    }

    fn current(&self) -> Option<i64> {
        match self.current.load(Ordering::Relaxed) {
            NO_ITEM => None,
            i => Some(i),
        }
    }
}

/// One item (or step) that failed in a run, and why. It is tried again on the next run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct JobFailure {
    pub step: &'static str,
    /// The member, lot, order, reservation or endpoint; `None` when the step failed before it
    /// reached an item.
    pub item: Option<i64>,
    pub error: String,
}

/// What `run_jobs` did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct JobReport {
    pub vested_points: i64,
    pub expired_points: i64,
    pub reservations_voided: i64,
    /// Members paid birthday or anniversary rules.
    pub birthdays_paid: i64,
    /// Members whose tier was reviewed.
    pub tiers_reviewed: i64,
    /// Members re-checked after a refund's grace.
    pub tiers_rechecked: i64,
    /// Members handled by the month's tier coupons.
    pub monthly_coupon_members: i64,
    pub coupons_expired: i64,
    /// Points + cash mall orders whose payment did not arrive in time.
    pub mall_orders_timed_out: i64,
    /// Transfers sealed into the hash chain.
    pub transfers_sealed: i64,
    /// Outbox events queued for webhook endpoints.
    pub webhooks_queued: i64,
    /// Items put aside in this run, with their causes (also logged).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<JobFailure>,
}

/// One programme's jobs, or why they could not start.
#[derive(Debug)]
pub struct ProgramJobs {
    pub program: ProgramId,
    pub code: String,
    pub report: Result<JobReport, AppError>,
}

type Step = fn(&mut Tx<'_>, &ProgramCtx, Millis, &JobScope) -> Result<Option<i64>, AppError>;

/// Records a step's duration however the step ends.
struct StepTimer(&'static str, std::time::Instant);

impl Drop for StepTimer {
    fn drop(&mut self) {
        metrics::histogram!("jifen_job_duration_seconds", "step" => self.0)
            .record(self.1.elapsed().as_secs_f64());
    }
}

impl App {
    /// Runs every due job of a programme until none is due: vesting first (so points vest before
    /// they could expire), then expiry, mall order and reservation timeouts, birthdays, the tier
    /// review, monthly tier coupons, coupon expiry and the webhook fan-out. Each batch is its own
    /// transaction; running again at the same time finds nothing to do. A failing item or step
    /// is reported in `failures` and logged; the rest still runs.
    pub fn run_jobs(&self, program: ProgramId) -> Result<JobReport, AppError> {
        // A programme that cannot even be loaded fails alone, before any step.
        self.program_ctx_blocking(program)?;
        let mut report = JobReport::default();
        let steps: [(&'static str, Step, fn(&mut JobReport) -> &mut i64); 11] = [
            ("vest", crate::commands::vest_step, |r| &mut r.vested_points),
            ("expire", crate::commands::expire_step, |r| {
                &mut r.expired_points
            }),
            // Mall orders first: their own timeout returns the stock with the points.
            ("mall_timeout", mall::timeout_step, |r| {
                &mut r.mall_orders_timed_out
            }),
            (
                "reservation_timeout",
                crate::commands::reservation_timeout_step,
                |r| &mut r.reservations_voided,
            ),
            ("birthdays", earn::birthday_step, |r| &mut r.birthdays_paid),
            // Refund re-checks before the review, so that the review sees where they ended.
            ("tier_recheck", tiers::refund_recheck_step, |r| {
                &mut r.tiers_rechecked
            }),
            ("tier_review", tiers::review_step, |r| &mut r.tiers_reviewed),
            // After the review, so that a member moved down gets the coupons of the new tier.
            ("monthly_coupons", tiers::monthly_coupons_step, |r| {
                &mut r.monthly_coupon_members
            }),
            ("coupon_expiry", coupons::expire_step, |r| {
                &mut r.coupons_expired
            }),
            // After every step that writes transfers, so that their transfers are sealed now.
            ("chain_seal", crate::chain::seal_step, |r| {
                &mut r.transfers_sealed
            }),
            // Last, so that the events of every step above are queued for the webhooks.
            ("webhook_fanout", webhooks::fanout_step, |r| {
                &mut r.webhooks_queued
            }),
        ];
        for (name, step, field) in steps {
            let started = std::time::Instant::now();
            let _timer = StepTimer(name, started);
            let mut scope = JobScope::new();
            loop {
                let shared = Arc::new(std::mem::replace(&mut scope, JobScope::new()));
                let s = shared.clone();
                let out = self.write_blocking(program, "jobs", None, move |tx, ctx, now| {
                    s.current.store(NO_ITEM, Ordering::Relaxed);
                    Ok(serde_json::json!(step(tx, ctx, now, &s)?))
                });
                scope = Arc::try_unwrap(shared).unwrap_or_else(|a| JobScope {
                    one_at_a_time: a.one_at_a_time,
                    skip: a.skip.clone(),
                    current: AtomicI64::new(a.current.load(Ordering::Relaxed)),
                });
                match out {
                    Ok(out) => match out.body.as_i64() {
                        Some(n) => {
                            *field(&mut report) += n;
                            // A failure was found and put aside: back to batches.
                            if scope.one_at_a_time && !scope.skip.is_empty() {
                                scope.one_at_a_time = false;
                            }
                        }
                        None => break,
                    },
                    // A store that cannot be reached fails every step alike: stop this programme.
                    Err(e @ AppError::Store(jifen_store::StoreError::Unavailable(_))) => {
                        return Err(e);
                    }
                    Err(e) if !scope.one_at_a_time => {
                        // Look for the failing item one item per transaction.
                        tracing::debug!(step = name, program = program.0, error = %e, "job batch failed; retrying one item at a time");
                        scope.one_at_a_time = true;
                    }
                    Err(e) => {
                        let item = scope.current();
                        tracing::error!(
                            step = name,
                            program = program.0,
                            item = ?item,
                            error = %e,
                            "job item failed; skipped in this run and retried in the next"
                        );
                        metrics::counter!("jifen_job_failures_total", "step" => name).increment(1);
                        report.failures.push(JobFailure {
                            step: name,
                            item,
                            error: e.to_string(),
                        });
                        match item {
                            Some(i) if scope.skip.len() < JOB_FAILURES_PER_STEP_MAX => {
                                scope.skip.insert(i);
                            }
                            // Not on an item, or too many: the step waits for the next run.
                            _ => break,
                        }
                    }
                }
            }
        }
        Ok(report)
    }

    /// Runs the jobs of every programme, each on its own: one programme's failure is logged and
    /// reported, and the others run.
    pub fn run_all_jobs(&self) -> Result<Vec<ProgramJobs>, AppError> {
        let programs = self.read_blocking(|tx| Ok(tx.programs()?))?;
        Ok(programs
            .into_iter()
            .map(|p| {
                let report = self.run_jobs(p.id);
                if let Err(e) = &report {
                    tracing::error!(program = p.id.0, code = %p.code, error = %e, "jobs of a programme failed");
                }
                ProgramJobs {
                    program: p.id,
                    code: p.code,
                    report,
                }
            })
            .collect())
    }
}
