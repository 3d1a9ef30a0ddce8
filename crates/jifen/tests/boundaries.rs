//! The pure crates stay pure: no async runtime, database, network or HTTP crate may enter their
//! (normal, transitive) dependency tree. Checked on `cargo metadata`, so it holds for the build.

use std::collections::{HashMap, HashSet};
use std::process::Command;

const PURE: &[&str] = &["jifen-ledger", "jifen-rules", "jifen-domain"];
const IO_CRATES: &[&str] = &[
    "tokio",
    "mio",
    "sqlx",
    "rusqlite",
    "libsqlite3-sys",
    "postgres",
    "tokio-postgres",
    "axum",
    "hyper",
    "reqwest",
    "socket2",
];

fn metadata() -> serde_json::Value {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--manifest-path",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml"),
        ])
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("metadata is JSON")
}

/// Names of every package `root` depends on through normal (not dev or build) dependencies.
fn normal_closure(meta: &serde_json::Value, root: &str) -> HashSet<String> {
    let names: HashMap<&str, &str> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let nodes: HashMap<&str, &serde_json::Value> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    let root_id = names
        .iter()
        .find(|(_, n)| **n == root)
        .map(|(id, _)| *id)
        .expect("root package exists");
    let mut seen = HashSet::new();
    let mut stack = vec![root_id];
    while let Some(id) = stack.pop() {
        for dep in nodes[id]["deps"].as_array().unwrap() {
            let normal = dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].is_null());
            let pkg = dep["pkg"].as_str().unwrap();
            if normal && seen.insert(names[pkg].to_string()) {
                stack.push(pkg);
            }
        }
    }
    seen
}

#[test]
fn pure_crates_depend_on_no_io_crates() {
    let meta = metadata();
    for krate in PURE {
        let deps = normal_closure(&meta, krate);
        assert!(
            deps.contains("serde"),
            "the closure of {krate} was computed (it uses serde)"
        );
        let bad: Vec<_> = IO_CRATES.iter().filter(|c| deps.contains(**c)).collect();
        assert!(
            bad.is_empty(),
            "{krate} must do no IO but depends on {bad:?}"
        );
    }
}

#[test]
fn only_store_crates_contain_sql() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    for entry in std::fs::read_dir(root).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("jifen-store") {
            continue;
        }
        let mut stack = vec![dir.join("src")];
        while let Some(d) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in rd {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    let text = std::fs::read_to_string(&p).unwrap();
                    for kw in ["SELECT ", "INSERT INTO", "UPDATE accounts", "CREATE TABLE"] {
                        assert!(
                            !text.contains(kw),
                            "{} contains SQL ({kw:?}); SQL belongs in the store crates",
                            p.display()
                        );
                    }
                }
            }
        }
    }
}

/// Names of the packages `root` depends on directly through normal dependencies.
fn direct_deps(meta: &serde_json::Value, root: &str) -> HashSet<String> {
    let package = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == root)
        .expect("the package exists");
    package["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"].is_null())
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect()
}

/// Every `.rs` file below `dir`, with its text.
fn sources(dir: &std::path::Path) -> Vec<(std::path::PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                out.push((p, text));
            }
        }
    }
    out
}

/// The pages reach the store only through the application layer: the web crate does not
/// depend on `jifen-store`, names none of it, and calls nothing on the transaction a use case
/// runs in (it only passes it on to use cases).
#[test]
fn the_web_reaches_the_store_only_through_the_application() {
    let meta = metadata();
    let deps = direct_deps(&meta, "jifen-web");
    assert!(
        deps.contains("jifen-app"),
        "the dependencies were read: {deps:?}"
    );
    assert!(
        !deps.contains("jifen-store"),
        "jifen-web must not depend on jifen-store"
    );
    let src = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../jifen-web/src"));
    let files = sources(src);
    assert!(files.len() > 5, "the web sources were read");
    for (path, text) in files {
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            assert!(
                !code.contains("jifen_store"),
                "{}:{} names the store: {line}",
                path.display(),
                n + 1
            );
            let calls_tx = code.match_indices("tx.").any(|(i, _)| {
                let before = code[..i].chars().next_back();
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            });
            assert!(
                !calls_tx,
                "{}:{} calls the store's transaction directly: {line}",
                path.display(),
                n + 1
            );
        }
    }
}
