//! The store goes away and comes back: after PostgreSQL ends every connection (a restart, a
//! network cut, an idle timeout), reads and writes recover at once instead of failing on dead
//! pooled connections; errors of an unreachable store are told apart from bugs.

#[macro_use]
mod common;

use std::sync::{Arc, Barrier};

use common::*;
use jifen_app::AppError;
use jifen_ledger::PointType;
use jifen_store::StoreError;

/// Ends every other connection to the programme's database, as a server restart would.
fn cut_connections(w: &World) -> i64 {
    let mut c = w.app.backend().connect().unwrap();
    let db = c.query("SELECT current_database()", &[]).unwrap()[0].text(0);
    let rows = c
        .query(
            "SELECT CAST(COUNT(pg_terminate_backend(pid)) AS BIGINT) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[db.into()],
        )
        .unwrap();
    rows[0].int(0)
}

#[test]
fn postgres_reads_and_writes_recover_after_the_connections_are_cut() {
    let w = World::new(postgres(), policy(0));
    let m = w.member("r1");
    w.adjust(m, 500, PointType::Points, Some("开户"), Some("staff:ops"))
        .unwrap();
    // Eight reads at once leave eight idle connections in the read pool.
    let barrier = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (app, b) = (w.app.clone(), barrier.clone());
            std::thread::spawn(move || {
                app.read_blocking(move |tx| {
                    b.wait();
                    Ok(tx.dialect())
                })
                .unwrap()
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert!(
        cut_connections(&w) >= 8,
        "the pooled connections were ended"
    );
    std::thread::sleep(std::time::Duration::from_millis(200));
    // Every read answers: none is given a dead connection.
    for i in 0..32 {
        assert_eq!(w.points(m).available, 500, "read {i} after the cut");
    }
    // Writes recover too.
    w.adjust(m, 1, PointType::Points, Some("补偿"), Some("staff:ops"))
        .unwrap();
    assert_eq!(w.points(m).available, 501);
    w.verify();
}

#[test]
fn an_unreachable_postgres_is_unavailable_not_a_bug() {
    // Nothing listens on port 9 of the loopback: the connection is refused.
    let b = jifen_store_postgres::PgBackend::new("postgres://postgres@127.0.0.1:9/none", 1);
    match jifen_store::Backend::connect(&b) {
        Err(StoreError::Unavailable(_)) => {}
        Err(e) => panic!("expected unavailable, got {e}"),
        Ok(_) => panic!("nothing listens there"),
    }
    let e: AppError = StoreError::Unavailable("x".into()).into();
    assert!(matches!(e, AppError::Store(StoreError::Unavailable(_))));
}

/// A server shutting down drops its pooled connections on an async thread: that is clean, not
/// a panic ("Cannot drop a runtime in a context where blocking is not allowed").
#[test]
fn a_postgres_connection_dropped_on_an_async_thread_shuts_down_cleanly() {
    let b = postgres();
    let mut c = b.connect().unwrap();
    assert!(c.is_usable());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    rt.block_on(async move {
        tokio::spawn(async move { drop(c) }).await.unwrap();
    });
}
