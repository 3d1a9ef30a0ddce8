//! The binary as an operator runs it: JSON logs carrying the request id, and a stop on SIGTERM
//! that lets the requests in flight finish and the writers commit what they were given.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_jifen");

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "jifen-operate-{}-{}",
        std::process::id(),
        jiff::Timestamp::now().as_nanosecond()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn json_logs_carry_the_request_id_and_sigterm_stops_cleanly() {
    let dir = temp_dir();
    let db = ["--database", "sqlite:./data/jifen.db"];
    let created = Command::new(BIN)
        .current_dir(&dir)
        .args(db)
        .args(["program", "create", "--code", "shop", "--name", "Shop"])
        .output()
        .unwrap();
    assert!(created.status.success(), "{created:?}");
    let key = String::from_utf8_lossy(&created.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("API key: ").map(|k| k.trim().to_string()))
        .expect("an API key");
    let mut child = Command::new(BIN)
        .current_dir(&dir)
        .args(db)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("JIFEN_LOG_FORMAT", "json")
        .env("JIFEN_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let base = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .map(|a| format!("http://{a}"))
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    let mut stderr = child.stderr.take().unwrap();
    let logs = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).unwrap();
        text
    });

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = reqwest::Client::new();
        let r = client
            .post(format!("{base}/api/v1/members"))
            .bearer_auth(&key)
            .header("X-Request-Id", "op-test-1")
            .json(&serde_json::json!({"identities": [{"channel": "app", "external_id": "u1"}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        assert_eq!(r.headers()["x-request-id"], "op-test-1");
    });

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "a clean stop exits 0: {status:?}");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("shutting down"), "{rest}");

    let text = logs.join().unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let answered = lines
        .iter()
        .find(|l| l["fields"]["message"] == "answered" && l["span"]["rid"] == "op-test-1")
        .unwrap_or_else(|| panic!("no log of the request op-test-1 in\n{text}"));
    assert_eq!(answered["level"], "DEBUG");
    assert_eq!(answered["fields"]["status"], 201);
    assert_eq!(answered["span"]["route"], "/api/v1/members");
    assert_eq!(answered["span"]["method"], "POST");
    let _ = std::fs::remove_dir_all(&dir);
}
