//! The storage conformance stories: every story runs on SQLite and on PostgreSQL (the server at
//! `JIFEN_TEST_PG_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`; see `jifen_testkit::postgres`
//! for what happens when it is unreachable). Each story checks exact numbers and ends
//! with `verify` finding no drift.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use jifen_app::commands::{
    self, Adjustment, MemberRef, MemberTransfer, Merge, NewMember, Purchase, RedemptionRefund,
    Refund, Reserve, Spend,
};
use jifen_app::views::{self, Balance};
use jifen_app::{App, AppError, ManualClock, Outcome, ProgramCtx};
use jifen_ledger::policy::{LedgerPolicy, ShortfallPolicy, Validity};
use jifen_ledger::{LedgerError, PointType, ProgramId};
use jifen_store::{Backend, Identity, MemberProfile};
use serde_json::Value;

const DAY: i64 = 86_400_000;
/// 2026-01-01T00:00:00Z
const START: i64 = 1_767_225_600_000;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

fn sqlite() -> Arc<dyn Backend> {
    let path = std::env::temp_dir().join(format!("{}.db", unique("jifen_story")));
    Arc::new(jifen_store_sqlite::SqliteBackend::new(path).unwrap())
}

fn postgres() -> Option<Arc<dyn Backend>> {
    let admin = jifen_testkit::postgres()?;
    let b = jifen_store_postgres::PgBackend::create_temporary(&admin, &unique("jifen_story"))
        .unwrap_or_else(|e| panic!("PostgreSQL at {admin} is required for these tests: {e}"));
    Some(Arc::new(b))
}

fn policy() -> LedgerPolicy {
    LedgerPolicy {
        validity: Validity::Days { days: 30 },
        pending_days: 7,
        points_per_unit: 1,
        growth_per_unit: 1,
        shortfall: ShortfallPolicy::Debt,
        clawback_pending_first: false,
    }
}

struct World {
    app: App,
    clock: Arc<ManualClock>,
    pid: ProgramId,
    ctx: Arc<ProgramCtx>,
}

impl World {
    fn new(backend: Arc<dyn Backend>, policy: LedgerPolicy) -> World {
        let clock = Arc::new(ManualClock::new(START));
        let app = App::start(backend, Arc::new(clock.clone())).unwrap();
        let pid = app
            .create_program("shop", "Shop", "CNY", "Asia/Shanghai", policy)
            .unwrap()
            .id;
        let ctx = app.program_ctx_blocking(pid).unwrap();
        World {
            app,
            clock,
            pid,
            ctx,
        }
    }

    /// Runs a command; its answer as the JSON the API serves.
    fn write<T: serde::Serialize>(
        &self,
        idem: Option<(&str, &str)>,
        mut f: impl FnMut(&mut jifen_store::Tx<'_>, &ProgramCtx, i64) -> Result<T, AppError>
        + Send
        + 'static,
    ) -> Result<Outcome, AppError> {
        self.app.write_blocking(
            self.pid,
            "story",
            idem.map(|(k, h)| (k.to_string(), h.to_string())),
            move |tx, ctx, now| {
                serde_json::to_value(f(tx, ctx, now)?)
                    .map_err(|e| AppError::Internal(e.to_string()))
            },
        )
    }

    fn member(&self, ext: &str) -> i64 {
        let m = NewMember {
            referrer: None,
            device_id: None,
            ip: None,
            profile: MemberProfile {
                name: Some(ext.into()),
                ..Default::default()
            },
            identities: vec![Identity {
                channel: "app".into(),
                external_id: ext.into(),
            }],
        };
        self.write(None, move |tx, ctx, now| {
            commands::create_member(tx, ctx, now, &m)
        })
        .unwrap()
        .body["member_id"]
            .as_i64()
            .unwrap()
    }

    fn purchase(&self, order: &str, member: i64, amount_minor: i64) -> Result<Value, AppError> {
        let p = Purchase {
            order_id: order.into(),
            member: MemberRef::Id { member_id: member },
            amount_minor,
            currency: "CNY".into(),
            lines: vec![],
            occurred_at: None,
            channel: None,
            shipping_minor: None,
            tags: vec![],
        };
        self.write(None, move |tx, ctx, now| {
            commands::purchase(tx, ctx, now, &p)
        })
        .map(|o| o.body)
    }

    fn refund(&self, order: &str, amount_minor: Option<i64>) -> Result<Value, AppError> {
        let r = Refund {
            order_id: order.into(),
            amount_minor,
            reason: None,
        };
        self.write(None, move |tx, ctx, now| commands::refund(tx, ctx, now, &r))
            .map(|o| o.body)
    }

    fn spend(&self, member: i64, amount: i64) -> Result<Value, AppError> {
        let s = Spend {
            member: MemberRef::Id { member_id: member },
            amount,
            reason: Some("gift".into()),
            order_ref: None,
        };
        self.write(None, move |tx, ctx, now| commands::spend(tx, ctx, now, &s))
            .map(|o| o.body)
    }

    fn balance(&self, member: i64) -> Balance {
        self.balance_of(member, PointType::Points)
    }

    fn balance_of(&self, member: i64, pt: PointType) -> Balance {
        let (ctx, now) = (self.ctx.clone(), self.clock_now());
        self.app
            .read_blocking(move |tx| {
                views::balance(tx, &ctx, jifen_ledger::MemberId(member), pt, now, 30)
            })
            .unwrap()
    }

    fn clock_now(&self) -> i64 {
        use jifen_app::Clock;
        self.clock.now()
    }

    fn advance(&self, days: i64) {
        self.clock.advance_days(days);
        self.app.run_jobs(self.pid).unwrap();
    }

    fn verify(&self) {
        let drift = self.app.verify(self.pid).unwrap();
        assert!(drift.is_empty(), "drift: {drift:#?}");
    }
}

// ---- stories ---------------------------------------------------------------------------------

fn purchase_vests_after_the_return_window_then_spends(b: Arc<dyn Backend>) {
    let w = World::new(b, policy());
    let m = w.member("u1");
    let out = w.purchase("o1", m, 123_456).unwrap();
    assert_eq!(out["earned"]["points"]["amount"], 1234);
    assert_eq!(out["earned"]["points"]["status"], "pending");
    assert_eq!(out["earned"]["growth"]["status"], "available");
    let bal = w.balance(m);
    assert_eq!((bal.available, bal.pending), (0, 1234));
    assert_eq!(w.balance_of(m, PointType::Growth).available, 1234);
    assert!(matches!(
        w.spend(m, 1),
        Err(AppError::Ledger(LedgerError::InsufficientPoints {
            available: 0,
            requested: 1
        }))
    ));
    w.advance(7);
    let bal = w.balance(m);
    assert_eq!((bal.available, bal.pending), (1234, 0));
    w.spend(m, 234).unwrap();
    let bal = w.balance(m);
    assert_eq!(
        (bal.available, bal.lifetime.earned, bal.lifetime.spent),
        (1000, 1234, 234)
    );
    // Running the jobs again at the same time changes nothing.
    let again = w.app.run_jobs(w.pid).unwrap();
    assert_eq!((again.vested_points, again.expired_points), (0, 0));
    w.verify();
}

fn refused_commands_change_nothing(b: Arc<dyn Backend>) {
    let w = World::new(
        b,
        LedgerPolicy {
            pending_days: 0,
            ..policy()
        },
    );
    let m = w.member("u1");
    w.purchase("o1", m, 50_000).unwrap();
    let before = w.balance(m);
    match w.spend(m, 501) {
        Err(AppError::Ledger(LedgerError::InsufficientPoints {
            available: 500,
            requested: 501,
        })) => {}
        other => panic!("expected insufficient points, got {other:?}"),
    }
    assert!(matches!(
        w.spend(9_999, 1),
        Err(AppError::NotFound { what: "member", .. })
    ));
    assert!(matches!(w.spend(m, 0), Err(AppError::Invalid { .. })));
    assert!(matches!(
        w.purchase("o1", m, 10),
        Err(AppError::Conflict {
            code: "order_exists",
            ..
        })
    ));
    assert!(matches!(
        w.purchase("o2", m, -5),
        Err(AppError::Invalid { .. })
    ));
    match w.refund("o1", Some(50_001)) {
        Err(AppError::Conflict {
            code: "refund_exceeds_order",
            details,
            ..
        }) => assert_eq!(details["refundable_minor"], 50_000),
        other => panic!("expected refund_exceeds_order, got {other:?}"),
    }
    assert!(matches!(
        w.refund("nope", None),
        Err(AppError::NotFound { what: "order", .. })
    ));
    let after = w.balance(m);
    assert_eq!(
        (before.available, before.lifetime.spent),
        (after.available, after.lifetime.spent)
    );
    w.verify();
}

fn partial_refund_after_partial_spend_takes_other_points_then_debt(b: Arc<dyn Backend>) {
    let w = World::new(
        b,
        LedgerPolicy {
            pending_days: 0,
            ..policy()
        },
    );
    let m = w.member("u1");
    w.purchase("big", m, 100_000).unwrap(); // 1000 points
    w.purchase("small", m, 20_000).unwrap(); // 200 points
    w.spend(m, 1_100).unwrap(); // FEFO: same expiry, older first: 1000 from "big", 100 from "small"
    assert_eq!(w.balance(m).available, 100);
    // Half of "big" refunded: 500 to take back; "big" has nothing left, "small" has 100, 400 become debt.
    let out = w.refund("big", Some(50_000)).unwrap();
    let p = &out["reversed"]["points"];
    assert_eq!(
        (
            p["from_order_available"].as_i64(),
            p["from_other_available"].as_i64(),
            p["to_debt"].as_i64()
        ),
        (Some(0), Some(100), Some(400))
    );
    let bal = w.balance(m);
    assert_eq!((bal.available, bal.debt), (0, 400));
    // The next purchase repays the debt first.
    w.purchase("next", m, 50_000).unwrap();
    let bal = w.balance(m);
    assert_eq!((bal.available, bal.debt), (100, 0));
    // The rest of "big" refunded: exactly the other 500, never more.
    let out = w.refund("big", None).unwrap();
    assert_eq!(out["reversed"]["points"]["requested"], 500);
    assert_eq!(w.balance(m).debt, 400);
    w.verify();
}

fn shortfall_is_written_off_when_the_programme_carries_no_debt(b: Arc<dyn Backend>) {
    let w = World::new(
        b,
        LedgerPolicy {
            pending_days: 0,
            shortfall: ShortfallPolicy::WriteOff,
            ..policy()
        },
    );
    let m = w.member("u1");
    w.purchase("o1", m, 100_000).unwrap();
    w.spend(m, 900).unwrap();
    let out = w.refund("o1", None).unwrap();
    let p = &out["reversed"]["points"];
    assert_eq!(
        (
            p["from_order_available"].as_i64(),
            p["written_off"].as_i64(),
            p["to_debt"].as_i64()
        ),
        (Some(100), Some(900), Some(0))
    );
    let bal = w.balance(m);
    assert_eq!((bal.available, bal.debt), (0, 0));
    w.verify();
}

fn refund_after_the_earned_points_expired_takes_nothing_else(b: Arc<dyn Backend>) {
    let w = World::new(
        b,
        LedgerPolicy {
            pending_days: 0,
            ..policy()
        },
    );
    let m = w.member("u1");
    w.purchase("old", m, 30_000).unwrap(); // 300 points, expire in 30 days
    w.advance(20);
    w.purchase("new", m, 10_000).unwrap(); // 100 points
    w.advance(11); // "old" expired
    let bal = w.balance(m);
    assert_eq!((bal.available, bal.lifetime.expired), (100, 300));
    let out = w.refund("old", Some(15_000)).unwrap();
    assert_eq!(out["reversed"]["points"]["covered_by_expiry"], 150);
    assert_eq!(out["reversed"]["points"]["from_other_available"], 0);
    let out = w.refund("old", None).unwrap();
    assert_eq!(out["reversed"]["points"]["covered_by_expiry"], 150);
    let bal = w.balance(m);
    assert_eq!((bal.available, bal.debt), (100, 0));
    w.verify();
}

fn refund_of_a_redemption_restores_lots_and_expires_what_expired_meanwhile(b: Arc<dyn Backend>) {
    let w = World::new(
        b,
        LedgerPolicy {
            pending_days: 0,
            ..policy()
        },
    );
    let m = w.member("u1");
    w.purchase("a", m, 10_000).unwrap(); // 100, expires day 30
    w.advance(10);
    w.purchase("b", m, 10_000).unwrap(); // 100, expires day 40
    let spend = w.spend(m, 150).unwrap(); // 100 from a, 50 from b
    let spend_id = spend["transfer_id"].as_i64().unwrap();
    w.advance(25); // day 35: "a" has expired, "b" has not
    let rr = RedemptionRefund {
        transfer_id: spend_id,
        amount: Some(120),
        reason: None,
    };
    let out = w
        .write(None, move |tx, ctx, now| {
            commands::refund_redemption(tx, ctx, now, &rr)
        })
        .unwrap()
        .body;
    // Latest-expiring first: 50 back to "b" (still valid), 70 back to "a" (expired, so expired again).
    assert_eq!(
        (
            out["restored"].as_i64(),
            out["restored_expired"].as_i64(),
            out["still_refundable"].as_i64()
        ),
        (Some(120), Some(70), Some(30))
    );
    assert_eq!(w.balance(m).available, 100);
    let rr = RedemptionRefund {
        transfer_id: spend_id,
        amount: Some(31),
        reason: None,
    };
    let err = w
        .write(None, move |tx, ctx, now| {
            commands::refund_redemption(tx, ctx, now, &rr)
        })
        .unwrap_err();
    assert!(
        matches!(
            err,
            AppError::Ledger(LedgerError::RestoreExceedsSpend {
                restorable: 30,
                requested: 31
            })
        ),
        "{err:?}"
    );
    w.verify();
}

fn double_refunds_are_refused_and_retries_replay(b: Arc<dyn Backend>) {
    let w = World::new(
        b,
        LedgerPolicy {
            pending_days: 0,
            ..policy()
        },
    );
    let m = w.member("u1");
    w.purchase("o1", m, 10_000).unwrap();
    let r = Refund {
        order_id: "o1".into(),
        amount_minor: None,
        reason: None,
    };
    let r2 = r.clone();
    let first = w
        .write(Some(("refund:o1:r1", "h1")), move |tx, ctx, now| {
            commands::refund(tx, ctx, now, &r)
        })
        .unwrap();
    let replay = w
        .write(Some(("refund:o1:r1", "h1")), move |tx, ctx, now| {
            commands::refund(tx, ctx, now, &r2)
        })
        .unwrap();
    assert!(!first.replayed && replay.replayed);
    assert_eq!(first.body, replay.body);
    assert!(matches!(
        w.refund("o1", None),
        Err(AppError::Conflict {
            code: "order_fully_refunded",
            ..
        })
    ));
    let r3 = Refund {
        order_id: "o1".into(),
        amount_minor: Some(1),
        reason: None,
    };
    let other = w.write(Some(("refund:o1:r1", "h2")), move |tx, ctx, now| {
        commands::refund(tx, ctx, now, &r3)
    });
    assert!(matches!(other, Err(AppError::IdempotencyMismatch)));
    let bal = w.balance(m);
    assert_eq!((bal.available, bal.lifetime.reversed), (0, 100));
    w.verify();
}

fn transfer_keeps_expiry_and_the_senders_refund_is_clawed_back(b: Arc<dyn Backend>) {
    let w = World::new(
        b,
        LedgerPolicy {
            pending_days: 0,
            ..policy()
        },
    );
    let (a, c) = (w.member("a"), w.member("c"));
    w.purchase("o1", a, 50_000).unwrap();
    let t = MemberTransfer {
        from: MemberRef::Id { member_id: a },
        to: MemberRef::External {
            channel: "app".into(),
            external_id: "c".into(),
        },
        amount: 300,
        reason: None,
        device_id: None,
        ip: None,
    };
    w.write(None, move |tx, ctx, now| {
        commands::transfer(tx, ctx, now, "staff:test", &t)
    })
    .unwrap();
    assert_eq!((w.balance(a).available, w.balance(c).available), (200, 300));
    let ctx = w.ctx.clone();
    let lots = w
        .app
        .read_blocking(move |tx| {
            views::lots(
                tx,
                &ctx,
                jifen_ledger::MemberId(c),
                PointType::Points,
                false,
                START,
            )
        })
        .unwrap();
    assert_eq!(lots.len(), 1);
    assert_eq!(lots[0].expires_at, Some(START + 30 * DAY));
    let out = w.refund("o1", None).unwrap();
    assert_eq!(out["reversed"]["points"]["from_order_available"], 200);
    assert_eq!(out["reversed"]["points"]["to_debt"], 300);
    assert_eq!(w.balance(c).available, 300);
    w.verify();
}

fn reservations_post_void_and_time_out(b: Arc<dyn Backend>) {
    let w = World::new(
        b,
        LedgerPolicy {
            pending_days: 0,
            ..policy()
        },
    );
    let m = w.member("u1");
    w.purchase("o1", m, 100_000).unwrap();
    let reserve = |amount, ttl| {
        let r = Reserve {
            member: MemberRef::Id { member_id: m },
            amount,
            reason: None,
            order_ref: None,
            ttl_seconds: Some(ttl),
            owner: None,
        };
        w.write(None, move |tx, ctx, now| {
            commands::reserve(tx, ctx, now, &r)
        })
        .unwrap()
        .body["reservation_id"]
            .as_i64()
            .unwrap()
    };
    let r1 = reserve(300, 600);
    let bal = w.balance(m);
    assert_eq!((bal.available, bal.reserved), (700, 300));
    w.write(None, move |tx, ctx, now| {
        commands::post_reservation(tx, ctx, now, r1)
    })
    .unwrap();
    let r2 = reserve(200, 600);
    w.write(None, move |tx, ctx, now| {
        commands::void_reservation(tx, ctx, now, r2, None)
    })
    .unwrap();
    match w.write(None, move |tx, ctx, now| {
        commands::post_reservation(tx, ctx, now, r2)
    }) {
        Err(AppError::Conflict {
            code: "reservation_not_open",
            ..
        }) => {}
        other => panic!("posting a voided reservation: {other:?}"),
    }
    let r3 = reserve(100, 60);
    assert_eq!(w.balance(m).reserved, 100);
    w.clock.set(START + 61_000);
    assert_eq!(w.app.run_jobs(w.pid).unwrap().reservations_voided, 1);
    let bal = w.balance(m);
    assert_eq!(
        (bal.available, bal.reserved, bal.lifetime.spent),
        (700, 0, 300)
    );
    assert!(
        w.write(None, move |tx, ctx, now| commands::post_reservation(
            tx, ctx, now, r3
        ))
        .is_err()
    );
    w.verify();
}

fn adjustments_need_reason_and_actor(b: Arc<dyn Backend>) {
    let w = World::new(b, policy());
    let m = w.member("u1");
    let adj = |delta: i64, reason: Option<&str>, actor: Option<&str>| {
        let a = Adjustment {
            member: MemberRef::Id { member_id: m },
            delta,
            point_type: PointType::Points,
            reason: reason.map(Into::into),
            actor: actor.map(Into::into),
        };
        w.write(None, move |tx, ctx, now| commands::adjust(tx, ctx, now, &a))
    };
    assert!(matches!(
        adj(100, None, Some("staff:1")),
        Err(AppError::Invalid { .. })
    ));
    assert!(matches!(
        adj(100, Some("goodwill"), None),
        Err(AppError::Invalid { .. })
    ));
    adj(100, Some("goodwill"), Some("staff:1")).unwrap();
    assert_eq!(w.balance(m).available, 100);
    assert!(matches!(
        adj(-101, Some("fix"), Some("staff:1")),
        Err(AppError::Ledger(LedgerError::InsufficientPoints { .. }))
    ));
    adj(-40, Some("fix"), Some("staff:1")).unwrap();
    assert_eq!(w.balance(m).available, 60);
    let (ctx, id) = (w.ctx.clone(), jifen_ledger::MemberId(m));
    let h = w
        .app
        .read_blocking(move |tx| views::history(tx, &ctx, id, None, 10))
        .unwrap();
    assert_eq!(h.lines[0].amount, -40);
    assert_eq!(h.lines[0].actor.as_deref(), Some("staff:1"));
    assert_eq!(h.lines[0].reason.as_deref(), Some("fix"));
    w.verify();
}

fn merging_moves_lots_identities_and_orders(b: Arc<dyn Backend>) {
    let w = World::new(b, policy());
    let (a, c) = (w.member("a"), w.member("c"));
    w.purchase("pa", a, 10_000).unwrap(); // pending 100
    w.advance(7);
    w.purchase("pa2", a, 5_000).unwrap(); // pending 50
    let m = Merge {
        from: MemberRef::Id { member_id: a },
        into: MemberRef::Id { member_id: c },
        reason: Some("same person".into()),
        actor: Some("staff:2".into()),
    };
    w.write(None, move |tx, ctx, now| {
        commands::merge(tx, ctx, now, "staff:test", &m)
    })
    .unwrap();
    let bal = w.balance(c);
    assert_eq!((bal.available, bal.pending), (100, 50));
    // The old external id now finds the surviving member, and a refund of the merged member's order works.
    let ctx = w.ctx.clone();
    let found = w
        .app
        .read_blocking(move |tx| {
            Ok(commands::resolve(
                tx,
                &ctx,
                &MemberRef::External {
                    channel: "app".into(),
                    external_id: "a".into(),
                },
            )?
            .id
            .0)
        })
        .unwrap();
    assert_eq!(found, c);
    w.refund("pa2", None).unwrap();
    assert_eq!(w.balance(c).pending, 0);
    w.verify();
}

fn concurrent_spends_on_one_member_never_overspend(b: Arc<dyn Backend>) {
    let w = Arc::new(World::new(
        b,
        LedgerPolicy {
            pending_days: 0,
            ..policy()
        },
    ));
    let m = w.member("hot");
    w.purchase("o1", m, 100_000).unwrap(); // 1000 points
    let threads: Vec<_> = (0..200)
        .map(|i| {
            let w = w.clone();
            std::thread::spawn(move || {
                let s = Spend {
                    member: MemberRef::Id { member_id: m },
                    amount: 10,
                    reason: None,
                    order_ref: None,
                };
                let key = format!("spend-{i}");
                w.write(Some((&key, "h")), move |tx, ctx, now| {
                    commands::spend(tx, ctx, now, &s)
                })
            })
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let refused = results
        .iter()
        .filter(|r| {
            matches!(
                r,
                Err(AppError::Ledger(LedgerError::InsufficientPoints { .. }))
            )
        })
        .count();
    assert_eq!((ok, refused), (100, 100));
    assert_eq!(w.balance(m).available, 0);
    w.verify();
}

fn concurrent_earns_and_spends_keep_every_invariant(b: Arc<dyn Backend>) {
    let w = Arc::new(World::new(
        b,
        LedgerPolicy {
            pending_days: 0,
            ..policy()
        },
    ));
    let members: Vec<i64> = (0..20).map(|i| w.member(&format!("m{i}"))).collect();
    let members = Arc::new(members);
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let (w, members) = (w.clone(), members.clone());
            std::thread::spawn(move || {
                let (mut earned, mut spent) = (0i64, 0i64);
                for i in 0..40 {
                    let m = members[(t * 7 + i * 3) % members.len()];
                    if i % 3 == 2 {
                        if w.spend(m, 7).is_ok() {
                            spent += 7;
                        }
                    } else {
                        w.purchase(&format!("t{t}-{i}"), m, 1_000 + (i as i64) * 100)
                            .unwrap();
                        earned += 10 + i as i64;
                    }
                }
                (earned, spent)
            })
        })
        .collect();
    let (mut earned, mut spent) = (0, 0);
    for t in threads {
        let (e, s) = t.join().unwrap();
        earned += e;
        spent += s;
    }
    let total: i64 = members.iter().map(|m| w.balance(*m).available).sum();
    assert_eq!(total, earned - spent);
    w.verify();
}

fn a_command_that_writes_then_refuses_leaves_nothing(b: Arc<dyn Backend>) {
    let w = World::new(b, policy());
    let before = w.app.read_blocking({
        let pid = w.pid;
        move |tx| Ok(tx.count_members(pid)?)
    });
    // A command that breaks the decide-before-write rule: the writer must still roll it back,
    // and the commands batched with it must still land.
    let others: Vec<_> = (0..5)
        .map(|i| {
            let app = w.app.clone();
            let pid = w.pid;
            std::thread::spawn(move || {
                let m = NewMember {
                    referrer: None,
                    device_id: None,
                    ip: None,
                    identities: vec![Identity {
                        channel: "app".into(),
                        external_id: format!("ok{i}"),
                    }],
                    ..Default::default()
                };
                app.write_view_blocking(pid, "story", None, move |tx, ctx, now| {
                    commands::create_member(tx, ctx, now, &m)
                })
            })
        })
        .collect();
    let bad = w.write(None, |tx, ctx, now| {
        commands::create_member(tx, ctx, now, &NewMember::default())?;
        Err::<Value, _>(AppError::invalid("test", "refused after writing"))
    });
    assert!(matches!(bad, Err(AppError::Invalid { .. })), "{bad:?}");
    for t in others {
        t.join().unwrap().unwrap();
    }
    let after = w.app.read_blocking({
        let pid = w.pid;
        move |tx| Ok(tx.count_members(pid)?)
    });
    assert_eq!(after.unwrap(), before.unwrap() + 5);
    w.verify();
}

macro_rules! on_both_stores {
    ($($story:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $story() { super::$story(super::sqlite()) } )*
        }
        mod postgres {
            $( #[test] fn $story() {
                if let Some(b) = super::postgres() { super::$story(b) }
            } )*
        }
    };
}

on_both_stores!(
    purchase_vests_after_the_return_window_then_spends,
    refused_commands_change_nothing,
    partial_refund_after_partial_spend_takes_other_points_then_debt,
    shortfall_is_written_off_when_the_programme_carries_no_debt,
    refund_after_the_earned_points_expired_takes_nothing_else,
    refund_of_a_redemption_restores_lots_and_expires_what_expired_meanwhile,
    double_refunds_are_refused_and_retries_replay,
    transfer_keeps_expiry_and_the_senders_refund_is_clawed_back,
    reservations_post_void_and_time_out,
    adjustments_need_reason_and_actor,
    merging_moves_lots_identities_and_orders,
    concurrent_spends_on_one_member_never_overspend,
    concurrent_earns_and_spends_keep_every_invariant,
    a_command_that_writes_then_refuses_leaves_nothing,
);
