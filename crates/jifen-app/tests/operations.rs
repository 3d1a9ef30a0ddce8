//! What an operator relies on: background loops that survive a panicking round and say so in
//! the logs, and writers that finish what they were given when the server stops.

#[macro_use]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use jifen_app::AppError;
use jifen_app::commands::{self, MemberRef};
use jifen_store::Backend;

#[test]
fn a_round_that_panics_is_logged_with_its_message_and_the_loop_goes_on() {
    let (logs, _guard) = jifen_testkit::LogBuffer::capture();
    let rounds = Arc::new(AtomicUsize::new(0));
    let seen = rounds.clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let task = tokio::spawn(jifen_app::background::every(
            "jobs",
            Duration::from_millis(5),
            move || -> Result<(), String> {
                match seen.fetch_add(1, Ordering::SeqCst) {
                    0 => panic!("the expiry step met a lot it cannot read"),
                    1 => Err("the store is away".into()),
                    _ => Ok(()),
                }
            },
        ));
        for _ in 0..400 {
            if rounds.load(Ordering::SeqCst) >= 4 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        task.abort();
        assert!(
            rounds.load(Ordering::SeqCst) >= 4,
            "the loop went on after the panic"
        );
    });
    let text = logs.text();
    let panic_line = text
        .lines()
        .find(|l| l.contains("the round panicked"))
        .unwrap_or_else(|| panic!("no log of the panic in:\n{text}"));
    assert!(panic_line.contains("ERROR"), "{panic_line}");
    assert!(
        panic_line.contains("the expiry step met a lot it cannot read"),
        "the panic's message is in its log line: {panic_line}"
    );
    assert!(panic_line.contains("task=\"jobs\""), "{panic_line}");
    let failed_line = text
        .lines()
        .find(|l| l.contains("the round failed"))
        .unwrap_or_else(|| panic!("no log of the failed round in:\n{text}"));
    assert!(failed_line.contains("the store is away"), "{failed_line}");
}

/// Shutdown lets every command queued before it commit and be answered; what comes after is
/// refused as unavailable, and nothing answered as done is missing from the books.
fn shutdown_finishes_the_queued_commands(backend: Arc<dyn Backend>) {
    let w = World::new(backend, policy(0));
    let members: Vec<i64> = (0..8).map(|i| w.member(&format!("S{i}"))).collect();
    let app = w.app.clone();
    let pid = w.pid;
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let app = app.clone();
            let member = members[t];
            std::thread::spawn(move || {
                (0..40)
                    .map(|i| {
                        let p = World::purchase_input(
                            &format!("SD-{t}-{i}"),
                            MemberRef::Id { member_id: member },
                            10_000,
                        );
                        let r = app.write_view_blocking(
                            pid,
                            &format!("m{member}"),
                            None,
                            move |tx, ctx, now| commands::purchase(tx, ctx, now, &p),
                        );
                        (format!("SD-{t}-{i}"), r.map(|_| ()))
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(20));
    app.shutdown();
    let mut done = Vec::new();
    let mut refused = 0;
    for t in threads {
        for (order, r) in t.join().unwrap() {
            match r {
                Ok(()) => done.push(order),
                Err(AppError::Unavailable) => refused += 1,
                Err(e) => panic!("{order}: only `unavailable` may refuse at shutdown, got {e}"),
            }
        }
    }
    assert_eq!(done.len() + refused, 320);
    assert!(
        !done.is_empty(),
        "the commands queued before the stop were done"
    );
    // Every purchase answered as done is in the books, and nothing else; reads still work
    // after the stop.
    let mut recorded: Vec<String> = Vec::new();
    for m in &members {
        let m = jifen_ledger::MemberId(*m);
        let rows = w.read(move |tx, ctx| Ok(tx.member_purchase_orders(ctx.program.id, m)?));
        recorded.extend(rows.iter().map(|r| r.text(0)));
    }
    recorded.sort();
    done.sort();
    assert_eq!(
        recorded, done,
        "every purchase answered as done was committed"
    );
    assert!(matches!(
        w.purchase("after-the-stop", members[0], 100),
        Err(AppError::Unavailable)
    ));
}

on_both_backends!(shutdown_finishes_the_queued_commands);
