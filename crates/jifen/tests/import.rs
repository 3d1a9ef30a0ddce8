//! `jifen import purchases`: good rows land once, bad rows are named by line and skipped, and a
//! second run of the same file changes nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_jifen");

fn jifen(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .current_dir(dir)
        .args(["--database", "sqlite:./data/jifen.db"])
        .args(args)
        .output()
        .expect("jifen runs")
}

#[test]
fn import_reports_bad_rows_and_is_idempotent() {
    let dir: PathBuf = std::env::temp_dir().join(format!(
        "jifen-import-{}-{}",
        std::process::id(),
        jiff::Timestamp::now().as_nanosecond()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    assert!(
        jifen(&dir, &["demo", "--members", "3", "--no-serve"])
            .status
            .success()
    );
    let csv = "order_id,channel,external_id,member_id,amount_minor,currency,occurred_at\n\
               IMP-1,app,U100001,,10000,CNY,2026-01-05T10:00:00Z\n\
               IMP-2,app,U100002,,2550,CNY,\n\
               IMP-3,,,3,990,CNY,\n\
               IMP-4,app,U100001,,-5,CNY,\n\
               IMP-5,app,NOBODY,,100,CNY,\n\
               IMP-6,app,U100001,,100,USD,\n";
    std::fs::write(dir.join("p.csv"), csv).unwrap();

    let first = jifen(&dir, &["import", "purchases", "p.csv", "--program", "demo"]);
    let out = String::from_utf8_lossy(&first.stdout);
    let err = String::from_utf8_lossy(&first.stderr);
    assert!(
        !first.status.success(),
        "bad rows make the import fail: {out}"
    );
    assert!(
        out.contains("6 rows") && out.contains("3 imported") && out.contains("3 failed"),
        "{out}"
    );
    assert!(
        err.contains("line 5") && err.contains("amount_minor"),
        "{err}"
    );
    assert!(err.contains("line 6") && err.contains("member"), "{err}");
    assert!(err.contains("line 7") && err.contains("currency"), "{err}");

    let again = jifen(&dir, &["import", "purchases", "p.csv", "--program", "demo"]);
    let out = String::from_utf8_lossy(&again.stdout);
    assert!(
        out.contains("0 imported") && out.contains("3 already imported"),
        "{out}"
    );

    let verify = jifen(&dir, &["verify"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
