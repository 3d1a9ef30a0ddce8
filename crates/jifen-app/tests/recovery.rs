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
    let Some(b) = postgres() else { return };
    let w = World::new(b, policy(0));
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
    let Some(b) = postgres() else { return };
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

/// Steady writes with readers alongside: the SQLite write-ahead log stays bounded (it is
/// restarted and truncated past its limit) instead of growing with every write.
#[test]
fn sqlite_write_ahead_log_stays_bounded_under_steady_load() {
    const LIMIT: u64 = 2 << 20;
    // Writers fill the log much faster than this between two checkpoints; the bound leaves
    // room for that, and is far below what an unchecked log reaches.
    const BOUND: u64 = 8 << 20;
    let path = std::env::temp_dir().join(format!("{}.db", unique("jifen_wal")));
    let backend = jifen_store_sqlite::SqliteBackend::new(&path)
        .unwrap()
        .with_wal_limit(LIMIT);
    let wal = backend.wal_path();
    let w = World::new(Arc::new(backend), policy(0));
    let members: Vec<i64> = (0..16).map(|i| w.member(&format!("w{i}"))).collect();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut threads = Vec::new();
    for t in 0..4 {
        let (app, pid, stop, members) = (w.app.clone(), w.pid, stop.clone(), members.clone());
        threads.push(std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let m = members[(n as usize + t) % members.len()];
                let p = World::purchase_input(
                    &format!("o-{t}-{n}"),
                    jifen_app::commands::MemberRef::Id { member_id: m },
                    12_800,
                );
                app.write_view_blocking(pid, &format!("m{m}"), None, move |tx, ctx, now| {
                    jifen_app::commands::purchase(tx, ctx, now, &p)
                })
                .unwrap();
                // A read between writes, as the member centre would.
                app.read_blocking(move |tx| Ok(tx.dialect())).unwrap();
                n += 1;
            }
            n
        }));
    }
    let mut largest = 0;
    let mut seen_over_limit = false;
    for _ in 0..100 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        let size = std::fs::metadata(&wal).map_or(0, |m| m.len());
        seen_over_limit |= size > LIMIT;
        largest = largest.max(size);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let writes: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    eprintln!("{writes} purchases; the log reached {largest} bytes at most");
    assert!(seen_over_limit, "the load filled the log past its limit");
    assert!(largest < BOUND, "the log reached {largest} bytes");
    w.verify();
    drop(w);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// A small filesystem of its own (tmpfs, mounted as root, as the tests run here and in CI),
/// unmounted when dropped.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn new(mib: u32) -> SmallDisk {
        let dir = std::env::temp_dir().join(unique("jifen_disk"));
        std::fs::create_dir_all(&dir).unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(&dir)
            .output()
            .expect("mount runs");
        assert!(
            out.status.success(),
            "the full-disk test mounts a small tmpfs and needs root: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        SmallDisk(dir)
    }

    /// Writes a file until the disk is full; returns its path.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.0.join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 64 << 10];
        while f.write_all(&chunk).is_ok() {}
        let _ = f.sync_all();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// The disk fills: writes are refused as `Full` (507 over HTTP), nothing acknowledged is lost,
/// and once space is freed writes resume by themselves, with no restart.
#[test]
fn sqlite_writes_resume_by_themselves_after_a_full_disk() {
    let disk = SmallDisk::new(16);
    let backend = jifen_store_sqlite::SqliteBackend::new(disk.0.join("jifen.db"))
        .unwrap()
        .with_wal_limit(1 << 20);
    let w = World::new(Arc::new(backend), policy(0));
    let m = w.member("full");
    w.adjust(m, 100, PointType::Points, Some("开户"), Some("staff:ops"))
        .unwrap();
    let filler = disk.fill();
    let mut refused = 0;
    for i in 0..200 {
        match w.purchase(&format!("full-{i}"), m, 10_000) {
            Ok(_) => {}
            Err(AppError::Store(StoreError::Full(_))) => {
                refused += 1;
                if refused >= 3 {
                    break;
                }
            }
            Err(e) => panic!("a full disk answers Full, got {e}"),
        }
    }
    assert!(refused >= 3, "the disk filled and writes were refused");
    let acknowledged = w.points(m);
    std::fs::remove_file(&filler).unwrap();
    // Writes resume within seconds, by themselves.
    let mut resumed = false;
    for i in 0..50 {
        if w.purchase(&format!("after-{i}"), m, 10_000).is_ok() {
            resumed = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(resumed, "writes resume once space is freed");
    let after = w.points(m);
    assert_eq!(
        after.available,
        acknowledged.available + 100,
        "nothing acknowledged was lost"
    );
    w.verify();
}

/// A backup taken while writes go on holds every write acknowledged before it began; restored
/// into a new database, it opens and verifies clean.
#[test]
fn sqlite_backup_under_load_keeps_every_acknowledged_write_and_restores_clean() {
    let w = World::new(sqlite(), policy(0));
    let members: Vec<i64> = (0..8).map(|i| w.member(&format!("b{i}"))).collect();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let acked = Arc::new(std::sync::Mutex::new(
        Vec::<(String, std::time::Instant)>::new(),
    ));
    let threads: Vec<_> = (0..3)
        .map(|t| {
            let (app, pid, stop, acked, members) = (
                w.app.clone(),
                w.pid,
                stop.clone(),
                acked.clone(),
                members.clone(),
            );
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let m = members[(n + t) % members.len()];
                    let order = format!("bk-{t}-{n}");
                    let p = World::purchase_input(
                        &order,
                        jifen_app::commands::MemberRef::Id { member_id: m },
                        9_900,
                    );
                    app.write_view_blocking(pid, &format!("m{m}"), None, move |tx, ctx, now| {
                        jifen_app::commands::purchase(tx, ctx, now, &p)
                    })
                    .unwrap();
                    acked
                        .lock()
                        .unwrap()
                        .push((order, std::time::Instant::now()));
                    n += 1;
                }
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let file = std::env::temp_dir().join(format!("{}.backup.db", unique("jifen_backup")));
    let started = std::time::Instant::now();
    w.app.backend().backup_to(&file).unwrap();
    // Writes go on after the backup too; then they stop.
    std::thread::sleep(std::time::Duration::from_millis(200));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let before: Vec<String> = acked
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, at)| *at < started)
        .map(|(o, _)| o.clone())
        .collect();
    assert!(before.len() > 10, "the backup ran under load");
    // A backup never overwrites a file.
    assert!(w.app.backend().backup_to(&file).is_err());
    // Restored into a new database: every write acknowledged before the backup is there.
    let restored_path = std::env::temp_dir().join(format!("{}.db", unique("jifen_restored")));
    let restored = jifen_store_sqlite::SqliteBackend::new(&restored_path).unwrap();
    jifen_store::Backend::restore_from(&restored, &file).unwrap();
    let app = jifen_app::App::start(Arc::new(restored), Arc::new(w.clock.clone())).unwrap();
    let pid = w.pid;
    let missing = app
        .read_blocking(move |tx| {
            let mut missing = Vec::new();
            for o in &before {
                if tx.order(pid, o)?.is_none() {
                    missing.push(o.clone());
                }
            }
            Ok(missing)
        })
        .unwrap();
    assert!(missing.is_empty(), "lost in the backup: {missing:?}");
    assert!(app.verify(pid).unwrap().is_empty());
    drop(app);
    for f in [file.clone(), restored_path.clone()] {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", f.display()));
        }
    }
}
