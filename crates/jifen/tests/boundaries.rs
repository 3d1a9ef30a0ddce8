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
        // The code without line comments, lines kept, so a call split over lines is seen.
        let code: String = text
            .lines()
            .map(|l| l.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        let line_of = |i: usize| code[..i].matches('\n').count() + 1;
        if let Some(i) = code.find("jifen_store") {
            panic!("{}:{} names the store", path.display(), line_of(i));
        }
        for (i, _) in code.match_indices("tx") {
            let before = code[..i].chars().next_back();
            let after = code[i + 2..].trim_start().chars().next();
            let ident = |c: char| c.is_alphanumeric() || c == '_';
            assert!(
                before.is_some_and(ident)
                    || code[i + 2..].chars().next().is_some_and(ident)
                    || after != Some('.'),
                "{}:{} calls the store's transaction directly",
                path.display(),
                line_of(i)
            );
        }
    }
}

/// The longest a source file may grow before it is split by concern.
const FILE_LINES_MAX: usize = 1_000;
/// The longest a function may grow before it is split into named steps.
const FN_LINES_MAX: usize = 120;

/// The functions of a Rust source longer than `max` lines: (first line, name, lines). A
/// function runs from its `fn` line to the brace that closes its body; braces inside strings,
/// characters and comments are not counted.
fn long_functions(text: &str, max: usize) -> Vec<(usize, String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        let rest = [
            "pub ",
            "pub(crate) ",
            "pub(super) ",
            "const ",
            "async ",
            "unsafe ",
        ]
        .iter()
        .fold(t, |s, p| s.strip_prefix(p).unwrap_or(s));
        let rest = ["const ", "async ", "unsafe "]
            .iter()
            .fold(rest, |s, p| s.strip_prefix(p).unwrap_or(s));
        let Some(sig) = rest.strip_prefix("fn ") else {
            continue;
        };
        let name: String = sig
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let (mut depth, mut opened) = (0i64, false);
        let mut end = None;
        'scan: for (j, l) in lines.iter().enumerate().skip(i) {
            let mut chars = l.chars().peekable();
            let mut in_str = false;
            while let Some(c) = chars.next() {
                match c {
                    '\\' if in_str => {
                        chars.next();
                    }
                    '"' => in_str = !in_str,
                    '/' if !in_str && chars.peek() == Some(&'/') => break,
                    '\'' if !in_str => {
                        // A character literal ('{', '\'') or a lifetime ('a): skip a literal.
                        let mut ahead = chars.clone();
                        let first = ahead.next();
                        let second = ahead.next();
                        if first == Some('\\') || second == Some('\'') {
                            while let Some(x) = chars.next() {
                                if x == '\\' {
                                    chars.next();
                                } else if x == '\'' {
                                    break;
                                }
                            }
                        }
                    }
                    '{' if !in_str => {
                        depth += 1;
                        opened = true;
                    }
                    '}' if !in_str => depth -= 1,
                    ';' if !in_str && !opened => break 'scan,
                    _ => {}
                }
            }
            if opened && depth <= 0 {
                end = Some(j);
                break;
            }
        }
        if let Some(end) = end
            && end - i + 1 > max
        {
            out.push((i + 1, name, end - i + 1));
        }
    }
    out
}

#[test]
fn the_length_check_finds_long_functions_and_ignores_braces_in_strings() {
    let body = "    let x = \"{\";\n".repeat(5);
    let text = format!("fn short() {{\n{body}}}\nfn other() {{ '{{'; }}\n");
    assert!(long_functions(&text, 10).is_empty());
    let found = long_functions(&text, 3);
    assert_eq!(found, vec![(1, "short".to_string(), 7)]);
}

/// Source files stay under [`FILE_LINES_MAX`] lines and functions under [`FN_LINES_MAX`], so
/// each concern has a file and each step a name. Test suites (stories read top to bottom) are
/// not held to it.
#[test]
fn source_files_and_functions_stay_small() {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let mut problems = Vec::new();
    let mut files = 0;
    for entry in std::fs::read_dir(root).unwrap() {
        let src = entry.unwrap().path().join("src");
        if !src.is_dir() {
            continue;
        }
        for (path, text) in sources(&src) {
            files += 1;
            let n = text.lines().count();
            if n > FILE_LINES_MAX {
                problems.push(format!("{}: {n} lines", path.display()));
            }
            for (line, name, len) in long_functions(&text, FN_LINES_MAX) {
                problems.push(format!(
                    "{}:{line}: fn {name} is {len} lines",
                    path.display()
                ));
            }
        }
    }
    assert!(files > 50, "the sources were read ({files} files)");
    assert!(problems.is_empty(), "split these:\n{}", problems.join("\n"));
}
