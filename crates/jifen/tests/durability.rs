//! Durability and the binary end to end: a server under load is killed with SIGKILL; afterwards
//! `jifen verify` finds no drift and every purchase the server acknowledged is there (a replay
//! of it is answered from the stored record).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_jifen");

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "jifen-{name}-{}-{}",
        std::process::id(),
        jiff::Timestamp::now().as_nanosecond()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn jifen(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .current_dir(dir)
        .args(["--database", "sqlite:./data/jifen.db"])
        .args(args)
        .output()
        .expect("jifen runs")
}

/// Starts `jifen serve` on a free port and returns the child and its address.
fn serve(dir: &Path) -> (Child, String) {
    let mut child = Command::new(BIN)
        .current_dir(dir)
        .args([
            "--database",
            "sqlite:./data/jifen.db",
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("server starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    (child, format!("http://{addr}"))
}

fn api_key(out: &std::process::Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("API key: "))
        .unwrap_or_else(|| panic!("no key in {text}"))
        .trim()
        .to_string()
}

#[test]
fn acknowledged_purchases_survive_kill_9_and_verify_finds_no_drift() {
    let dir = temp_dir("kill9");
    let created = jifen(
        &dir,
        &[
            "program",
            "create",
            "--code",
            "shop",
            "--name",
            "Shop",
            "--pending-days",
            "0",
        ],
    );
    assert!(created.status.success(), "{created:?}");
    let key = api_key(&created);
    let (mut server, base) = serve(&dir);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let acknowledged: Arc<Mutex<Vec<(String, serde_json::Value)>>> = Arc::default();
    rt.block_on(async {
        let client = reqwest::Client::new();
        for n in 0..20 {
            let r = client
                .post(format!("{base}/api/v1/members"))
                .bearer_auth(&key)
                .json(&serde_json::json!({"name": format!("m{n}"), "identities": [{"channel": "app", "external_id": format!("u{n}")}]}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
        }
        let until = Instant::now() + Duration::from_millis(1500);
        let mut tasks = Vec::new();
        for c in 0..16 {
            let (client, base, key, acknowledged) = (client.clone(), base.clone(), key.clone(), acknowledged.clone());
            tasks.push(tokio::spawn(async move {
                let mut i = 0;
                loop {
                    i += 1;
                    let body = serde_json::json!({"order_id": format!("c{c}-{i}"), "member": {"channel": "app", "external_id": format!("u{}", i % 20)},
                                                  "amount_minor": 1000 + i, "currency": "CNY"});
                    match client.post(format!("{base}/api/v1/purchases")).bearer_auth(&key).json(&body).send().await {
                        Ok(r) if r.status() == 200 => acknowledged.lock().unwrap().push((format!("c{c}-{i}"), body)),
                        Ok(r) => panic!("unexpected status {}", r.status()),
                        // The server was killed: stop.
                        Err(_) => break,
                    }
                    if Instant::now() > until + Duration::from_secs(5) {
                        break;
                    }
                }
            }));
        }
        tokio::time::sleep_until(until.into()).await;
        server.kill().unwrap(); // SIGKILL
        server.wait().unwrap();
        for t in tasks {
            t.await.unwrap();
        }
    });
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 100,
        "the server acknowledged only {} purchases under load",
        acknowledged.len()
    );

    let verify = jifen(&dir, &["verify"]);
    assert!(
        verify.status.success(),
        "verify after kill -9: {}",
        String::from_utf8_lossy(&verify.stdout)
    );
    assert!(String::from_utf8_lossy(&verify.stdout).contains("no drift"));

    // Every acknowledged purchase is stored: repeating it replays the stored answer.
    let (mut server, base) = serve(&dir);
    rt.block_on(async {
        let client = reqwest::Client::new();
        for (order, body) in &acknowledged {
            let r = client
                .post(format!("{base}/api/v1/purchases"))
                .bearer_auth(&key)
                .json(body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "order {order}");
            assert_eq!(
                r.headers()
                    .get("idempotent-replayed")
                    .map(|v| v.to_str().unwrap()),
                Some("true"),
                "acknowledged order {order} was lost"
            );
        }
    });
    server.kill().unwrap();
    server.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// GET with the API key, the answer as JSON.
async fn get_json(client: &reqwest::Client, url: &str, key: &str) -> serde_json::Value {
    client
        .get(url)
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[test]
fn demo_seeds_a_programme_with_history_and_serves_it() {
    let dir = temp_dir("demo");
    let out = jifen(&dir, &["demo", "--members", "15", "--no-serve"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = api_key(&out);
    let verify = jifen(&dir, &["verify"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let (mut server, base) = serve(&dir);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = reqwest::Client::new();
        let mut codes = std::collections::HashSet::new();
        for m in 1..=15 {
            let h: serde_json::Value = get_json(&client, &format!("{base}/api/v1/members/{m}/history?limit=200"), &key).await;
            for line in h["lines"].as_array().unwrap() {
                codes.insert(line["code"].as_str().unwrap().to_string());
            }
        }
        // A year of a real shop: purchases that vest, redemptions, refunds and expiry, and
        // what the earning rules paid: sign-ins, reviews, purchase bonuses, sign-up packs.
        for code in ["purchase", "vest", "redemption", "expiry", "sign_in", "review", "purchase_bonus", "sign_up"] {
            assert!(
                codes.contains(code),
                "no {code} in the demo histories: {codes:?}"
            );
        }
        let rules: serde_json::Value = get_json(&client, &format!("{base}/api/v1/rules?status=active"), &key).await;
        assert!(rules["rules"].as_array().unwrap().len() >= 10, "{rules}");
        // The four-tier ladder: members spread over tiers, each with a progress message.
        let mut tiers = std::collections::HashSet::new();
        for m in 1..=15 {
            let t: serde_json::Value = get_json(&client, &format!("{base}/api/v1/members/{m}/tier?locale=en"), &key).await;
            assert!(!t["message"].as_str().unwrap().is_empty(), "{t}");
            tiers.insert(t["tier"].as_str().unwrap().to_string());
        }
        assert!(tiers.len() >= 2, "members of the demo sit in one tier: {tiers:?}");
        // Tier benefits: tier changes reached the outbox, with tier-up gifts and coupons.
        let changes: serde_json::Value =
            get_json(&client, &format!("{base}/api/v1/outbox?topic=tier.changed&limit=1000"), &key).await;
        assert!(changes["items"].as_array().unwrap().len() >= 5, "{changes}");
        let templates: serde_json::Value = get_json(&client, &format!("{base}/api/v1/coupon-templates"), &key).await;
        let issued: i64 = templates["items"].as_array().unwrap().iter().map(|t| t["issued"].as_i64().unwrap()).sum();
        assert!(issued > 0, "{templates}");
        let issued_to: serde_json::Value =
            get_json(&client, &format!("{base}/api/v1/outbox?topic=coupon.issued&limit=1000"), &key).await;
        let mut holders: Vec<i64> = issued_to["items"].as_array().unwrap().iter().map(|e| e["member_id"].as_i64().unwrap()).collect();
        holders.sort();
        holders.dedup();
        let mut with_coupons = 0;
        for m in holders {
            let b: serde_json::Value = get_json(&client, &format!("{base}/api/v1/members/{m}/benefits"), &key).await;
            assert!(b["member_price_pct"].as_i64().is_some_and(|p| p <= 100), "{b}");
            with_coupons += (!b["coupons"].as_array().unwrap().is_empty()) as i32;
        }
        assert!(with_coupons > 0, "no demo member holds a benefit coupon");
        // The mall: 30+ items across kinds, a flash sale on, and a year of orders in every state.
        let items: serde_json::Value = get_json(&client, &format!("{base}/api/v1/mall/items?status=on_sale&limit=200"), &key).await;
        let items = items["items"].as_array().unwrap().clone();
        assert!(items.len() >= 30, "{}", items.len());
        let kinds: std::collections::HashSet<String> = items.iter().map(|i| i["kind"]["type"].as_str().unwrap().to_string()).collect();
        assert_eq!(kinds.len(), 5, "{kinds:?}");
        assert!(items.iter().any(|i| i["flash_sale"] == true));
        let orders: serde_json::Value = get_json(&client, &format!("{base}/api/v1/mall/orders?limit=200"), &key).await;
        let states: std::collections::HashSet<String> =
            orders["items"].as_array().unwrap().iter().map(|o| o["state"].as_str().unwrap().to_string()).collect();
        assert!(states.contains("delivered") && states.len() >= 2, "{states:?}");
        // Every item has an image the binary serves; a presale, a lucky wheel with draws, checkout.
        let cover = items[0]["images"][0].as_i64().expect("items have images");
        let img = client.get(format!("{base}/media/{cover}")).send().await.unwrap();
        assert_eq!(img.headers()["content-type"], "image/svg+xml");
        assert!(items.iter().any(|i| i["presale"] == true));
        let draws: serde_json::Value = get_json(&client, &format!("{base}/api/v1/lotteries/lucky_wheel/draws?limit=1000"), &key).await;
        let draws = draws["items"].as_array().unwrap().clone();
        assert!(draws.len() > 10 && draws.iter().all(|d| d["recomputes"] == true), "{}", draws.len());
        let checkout: serde_json::Value = get_json(&client, &format!("{base}/api/v1/checkout/settings"), &key).await;
        assert_eq!(checkout["points_per_unit"], 100);
        // The console opens with the owner login the demo printed.
        let password = String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.split("password ").nth(1).map(|p| p.trim().to_string()))
            .expect("the demo prints a console login");
        let web = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let page = web.get(format!("{base}/console/login")).send().await.unwrap();
        let csrf_cookie = page
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("jifen_login_csrf=").map(|r| r.split(';').next().unwrap().to_string()))
            .unwrap();
        let signed = web
            .post(format!("{base}/console/login"))
            .header("cookie", format!("jifen_login_csrf={csrf_cookie}"))
            .form(&[("program", "demo"), ("login", "owner"), ("password", password.as_str()), ("csrf", csrf_cookie.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(signed.status(), 303);
        let session = signed
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("jifen_session=").map(|r| r.split(';').next().unwrap().to_string()))
            .unwrap();
        let overview = web.get(format!("{base}/console")).header("cookie", format!("jifen_session={session}")).send().await.unwrap();
        assert_eq!(overview.status(), 200);
        assert!(overview.text().await.unwrap().contains("会员总数"));
        // And the member centre link it printed opens the member's page.
        let centre = String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.split("valid 24 h): http://").nth(1).and_then(|r| r.find('/').map(|i| r[i..].trim().to_string())))
            .expect("the demo prints a member centre link");
        let page = web.get(format!("{base}{centre}")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("可用积分"));
        // Backtest a double-points weekend over the demo's year: it costs points, to some
        // members, and says so rule by rule.
        let now = jiff::Timestamp::now().as_millisecond();
        let started: serde_json::Value = client
            .post(format!("{base}/api/v1/backtests"))
            .bearer_auth(&key)
            .json(&serde_json::json!({"from": now - 366 * 86_400_000i64, "to": now + 60_000,
                "rules": [{"name": "weekend double", "trigger": "purchase", "points": "base_points", "schedule": {"days_of_week": [6, 7]}}]}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = started["backtest_id"].as_str().unwrap().to_string();
        let mut done = serde_json::Value::Null;
        for _ in 0..600 {
            let b: serde_json::Value = get_json(&client, &format!("{base}/api/v1/backtests/{id}"), &key).await;
            if b["status"] != "running" {
                done = b;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(done["status"], "done", "{done}");
        let r = &done["result"];
        let weekend = r["by_rule"].as_array().unwrap().iter().find(|x| x["rule_id"] == -1).cloned().unwrap();
        assert!(weekend["points"].as_i64().unwrap() > 0 && weekend["members"].as_i64().unwrap() > 0, "{r}");
        assert!(r["change"]["points"].as_i64().unwrap() > 0, "{r}");
        assert!(r["events"].as_i64().unwrap() > 100, "{r}");
    });
    server.kill().unwrap();
    server.wait().unwrap();
    // Seeding again keeps the programme and only prints a new key.
    let again = jifen(&dir, &["demo", "--members", "15", "--no-serve"]);
    assert!(again.status.success());
    assert_ne!(api_key(&again), key);
    let _ = std::fs::remove_dir_all(&dir);
}
