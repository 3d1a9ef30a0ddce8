//! `jifen bench`: drives the real HTTP API with many keep-alive connections and reports
//! throughput and latency percentiles. The server runs in this process on a fresh database, on
//! its own runtime; the load generator is a minimal HTTP/1.1 client so that the client's own
//! cost stays small on a two-core machine.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use jifen_app::commands::{self, NewMember};
use jifen_app::{App, SystemClock};
use jifen_ledger::ProgramId;
use jifen_ledger::policy::LedgerPolicy;
use jifen_store::{Backend, Identity, MemberProfile};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// Purchases from members chosen uniformly at random.
    Earn,
    /// Purchases all on one member.
    Hot,
    /// The same purchase again and again: every request after the first is a replay.
    Replay,
    /// Bulk import of purchase events from a CSV file (no HTTP).
    Import,
    /// The periodic tier review over `--members` members who all lose their tier (no HTTP).
    Review,
    /// Console pages over `--members` members with a points history (two purchases and a
    /// spend each; 20 heavy members with about 5,000 history lines each): the member list, a
    /// deep page, searches, member pages and history pages, each timed over HTTP on loopback.
    Console,
    /// A flash sale (秒杀): `--members` members (one attempt each) race for 100 units over
    /// `--connections` connections; reports every answer's latency and checks the outcome.
    Flash,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Store {
    Sqlite,
    Postgres,
}

pub struct Options {
    pub scenario: Scenario,
    pub store: Store,
    pub pg_url: String,
    pub pg_writers: usize,
    pub connections: usize,
    pub seconds: u64,
    pub members: usize,
    pub rows: usize,
    pub rules: usize,
}

fn backend(o: &Options) -> anyhow::Result<Arc<dyn Backend>> {
    Ok(match o.store {
        Store::Sqlite => {
            let path = std::path::Path::new("./data/bench.db");
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            Arc::new(jifen_store_sqlite::SqliteBackend::new(path)?)
        }
        Store::Postgres => {
            let mut b =
                jifen_store_postgres::PgBackend::create_temporary(&o.pg_url, "jifen_bench")?;
            b.set_writers(o.pg_writers);
            Arc::new(b)
        }
    })
}

/// Members of the console scenario with a long history, spread over the member ids.
const HEAVY_MEMBERS: i64 = 20;
/// Rounds of a heavy member's history: four purchases (a points and a growth line each) and a
/// spend (one line) per round, so 556 rounds are about 5,000 history lines.
const HEAVY_ROUNDS: i64 = 556;
/// Purchases of every other member (then one spend): five history lines each.
const TYPICAL_PURCHASES: i64 = 2;
/// Members whose history one write command seeds.
const SEED_CHUNK: i64 = 500;
/// Seeding commands in flight at once, so that the writer groups them and syncs the WAL of one
/// batch while it executes the next.
const SEED_IN_FLIGHT: usize = 4;
/// Requests timed per console page.
const PAGE_SAMPLES: usize = 50;

/// The heavy members' ids among `1..=n` (none when there are too few members).
fn heavy_ids(n: i64) -> Vec<i64> {
    let step = n / HEAVY_MEMBERS;
    if step < 2 {
        return Vec::new();
    }
    (0..HEAVY_MEMBERS).map(|k| k * step + step / 2).collect()
}

fn bench_phone(id: i64) -> String {
    format!("139{id:08}")
}

fn bench_purchase(order_id: String, member_id: i64, amount_minor: i64) -> commands::Purchase {
    commands::Purchase {
        order_id,
        member: commands::MemberRef::Id { member_id },
        amount_minor,
        currency: "CNY".into(),
        lines: vec![],
        occurred_at: None,
        shipping_minor: None,
        channel: None,
        tags: vec![],
    }
}

fn bench_spend(order_ref: String, member_id: i64, amount: i64) -> commands::Spend {
    commands::Spend {
        member: commands::MemberRef::Id { member_id },
        amount,
        reason: Some("bench".into()),
        order_ref: Some(order_ref),
    }
}

/// One chunk of the console scenario's history, as one write command: members
/// `first..=last` get a phone number, two purchases and a spend through the real use cases, and
/// every heavy member gets its rounds `rounds` (four purchases and a spend each). Returns the
/// microseconds spent on the heavy members.
fn seed_history_chunk(
    tx: &mut jifen_store::Tx<'_>,
    ctx: &jifen_app::ProgramCtx,
    now: jifen_ledger::Millis,
    (first, last): (i64, i64),
    heavy: &[i64],
    rounds: std::ops::Range<i64>,
) -> Result<u64, jifen_app::AppError> {
    let program = ctx.program.id;
    for id in first..=last {
        tx.update_member_profile(
            program,
            jifen_ledger::MemberId(id),
            &MemberProfile {
                name: Some(format!("bench {id}")),
                phone: Some(bench_phone(id)),
                ..Default::default()
            },
        )?;
        if heavy.contains(&id) {
            continue;
        }
        for k in 0..TYPICAL_PURCHASES {
            let amount = 1_000 + (id * 7_919 + k * 104_729) % 50_000;
            commands::purchase(
                tx,
                ctx,
                now,
                &bench_purchase(format!("C{id:07}-{k}"), id, amount),
            )?;
        }
        commands::spend(tx, ctx, now, &bench_spend(format!("CS{id:07}"), id, 5))?;
    }
    let started = Instant::now();
    for r in rounds {
        for &h in heavy {
            for j in 0..4 {
                let amount = 10_000 + (r * 31 + j * 17) % 10_000;
                commands::purchase(
                    tx,
                    ctx,
                    now,
                    &bench_purchase(format!("H{h:07}-{r:03}-{j}"), h, amount),
                )?;
            }
            // About half of the four purchases' points (300 of 400-800): the oldest lots are
            // spent, about two lots of points per round stay open.
            commands::spend(
                tx,
                ctx,
                now,
                &bench_spend(format!("HS{h:07}-{r:03}"), h, 300),
            )?;
        }
    }
    Ok(started.elapsed().as_micros() as u64)
}

/// One GET over a fresh loopback connection, which must answer 200: milliseconds and body.
async fn timed_get(
    addr: std::net::SocketAddr,
    path: &str,
    header: &str,
) -> anyhow::Result<(f64, Vec<u8>)> {
    let mut stream = TcpStream::connect(addr).await?;
    let req =
        format!("GET {path} HTTP/1.1\r\nHost: bench\r\n{header}\r\nConnection: close\r\n\r\n");
    let t = Instant::now();
    stream.write_all(req.as_bytes()).await?;
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await?;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(
        buf.starts_with(b"HTTP/1.1 200"),
        "{path}: {}",
        String::from_utf8_lossy(&buf[..buf.len().min(300)])
    );
    let body = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(Vec::new(), |p| buf[p + 4..].to_vec());
    Ok((ms, body))
}

/// Times console pages with `o.members` members who have a points history: every member two
/// purchases and a spend, and `HEAVY_MEMBERS` of them about 5,000 history lines each, all
/// written through the real use cases. Then GET requests over loopback with a signed-in
/// session (and the API's history pages with the programme's key), `PAGE_SAMPLES` of each,
/// reporting the median and the slowest.
fn console(o: &Options) -> anyhow::Result<()> {
    let backend = backend(o)?;
    let described = backend.describe();
    let app = App::start(backend, Arc::new(SystemClock))?;
    let policy = LedgerPolicy {
        pending_days: 0,
        ..LedgerPolicy::default()
    };
    let created = app.create_program("bench", "Bench", "CNY", "Asia/Shanghai", policy)?;
    let n = o.members as i64;
    seed_console_accounts(&app, created.id, n, &described)?;
    let heavy = Arc::new(heavy_ids(n));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;

    // History, through the purchase and spend use cases, many members per command.
    seed_console_history(&app, &rt, created.id, n, &heavy)?;
    time_console_pages(&app, &rt, created.id, &created.api_key, n, &heavy)?;
    let started = Instant::now();
    let drift = app.verify(created.id)?;
    println!(
        "bench: verify: {} drift ({:.1}s)",
        drift.len(),
        started.elapsed().as_secs_f64()
    );
    anyhow::ensure!(
        drift.is_empty(),
        "drift: {:?}",
        &drift[..drift.len().min(5)]
    );
    Ok(())
}

/// The console scenario's members, all at the lowest tier of a ladder, and a staff owner to
/// sign in as.
fn seed_console_accounts(
    app: &App,
    program: ProgramId,
    n: i64,
    described: &str,
) -> anyhow::Result<()> {
    let ladder: jifen_domain::tiers::Ladder = serde_json::from_value(json!({
        "metric": "growth", "window": {"kind": "rolling_months", "months": 12},
        "review": {"every": "month", "grace_days": 0, "downgrade_steps_max": 1},
        "tiers": [
            {"code": "normal", "name_zh": "普通会员", "name_en": "Member", "threshold": 0},
            {"code": "silver", "name_zh": "白银会员", "name_en": "Silver", "threshold": 1000},
            {"code": "gold", "name_zh": "黄金会员", "name_en": "Gold", "threshold": 5000}]
    }))?;
    let started = Instant::now();
    app.write_blocking(program, "bench", None, move |tx, ctx, now| {
        jifen_app::tiers::put_ladder(tx, ctx, now, "system:bench", &ladder)?;
        tx.seed_members_at_tier(ctx.program.id, n, "normal", now)?;
        let s = jifen_app::staff::NewStaff {
            login: "bench".into(),
            name: "Bench".into(),
            role: jifen_app::staff::Role::Owner,
            password: "bench password".into(),
        };
        jifen_app::staff::create(tx, ctx, now, &s, "bench")?;
        Ok(json!(null))
    })?;
    app.invalidate_program(program);
    println!(
        "bench: console on {described}: {n} members seeded in {:.1}s (accounts, no history)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Every member's history, several chunks of members in flight at once; reports how long it
/// took and how much of it the heavy members took.
fn seed_console_history(
    app: &App,
    rt: &tokio::runtime::Runtime,
    program: ProgramId,
    n: i64,
    heavy: &Arc<Vec<i64>>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let heavy_micros = Arc::new(AtomicU64::new(0));
    let chunks = (n + SEED_CHUNK - 1) / SEED_CHUNK;
    rt.block_on(async {
        let mut in_flight = tokio::task::JoinSet::new();
        for c in 0..chunks {
            let span = (c * SEED_CHUNK + 1, ((c + 1) * SEED_CHUNK).min(n));
            let rounds = c * HEAVY_ROUNDS / chunks..(c + 1) * HEAVY_ROUNDS / chunks;
            let (app, heavy, heavy_micros) = (app.clone(), heavy.clone(), heavy_micros.clone());
            in_flight.spawn(async move {
                app.write(program, "bench", None, move |tx, ctx, now| {
                    let us = seed_history_chunk(tx, ctx, now, span, &heavy, rounds.clone())?;
                    heavy_micros.fetch_add(us, Ordering::Relaxed);
                    Ok(json!(null))
                })
                .await
            });
            while in_flight.len() >= SEED_IN_FLIGHT {
                if let Some(done) = in_flight.join_next().await {
                    done??;
                }
            }
            if c % 200 == 199 {
                println!(
                    "bench: console: history of {} members written ({:.0}s)",
                    span.1,
                    started.elapsed().as_secs_f64()
                );
            }
        }
        while let Some(done) = in_flight.join_next().await {
            done??;
        }
        anyhow::Ok(())
    })?;
    let typical = n - heavy.len() as i64;
    let heavy_lines = heavy.len() as i64 * HEAVY_ROUNDS * 9;
    let lines = typical * (2 * TYPICAL_PURCHASES + 1) + heavy_lines;
    let lots = typical * 2 * TYPICAL_PURCHASES + heavy.len() as i64 * HEAVY_ROUNDS * 8;
    let heavy_secs = heavy_micros.load(Ordering::Relaxed) as f64 / 1e6;
    println!(
        "bench: console: history written in {:.1}s: {lines} history lines (transfers), {lots} lots, {} purchases; \
         {} heavy members with {} lines each took {heavy_secs:.1}s of it ({:.0} us per heavy purchase or spend)",
        started.elapsed().as_secs_f64(),
        typical * TYPICAL_PURCHASES + heavy.len() as i64 * HEAVY_ROUNDS * 4,
        heavy.len(),
        HEAVY_ROUNDS * 9,
        heavy_secs * 1e6 / (heavy.len() as i64 * HEAVY_ROUNDS * 5).max(1) as f64,
    );
    Ok(())
}

/// Times each console page (with a signed-in session) and API history page (with the
/// programme's key) `PAGE_SAMPLES` times over loopback; prints the median and the slowest.
fn time_console_pages(
    app: &App,
    rt: &tokio::runtime::Runtime,
    program: ProgramId,
    api_key: &str,
    n: i64,
    heavy: &[i64],
) -> anyhow::Result<()> {
    let token = app.write_blocking(program, "bench", None, |tx, ctx, now| {
        let (token, _) = jifen_app::staff::sign_in(tx, ctx, now, "bench", "bench password")?;
        Ok(json!(token))
    })?;
    let cookie = format!(
        "Cookie: jifen_session={}",
        token.body.as_str().unwrap_or_default()
    );
    let bearer = format!("Authorization: Bearer {api_key}");
    let heavy_member = heavy.get(heavy.len() / 2).copied();
    let app2 = app.clone();
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let web = listener.local_addr()?;
        let router = jifen_web::router(app2.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let api = listener.local_addr()?;
        let router = jifen_api::router(app2.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });

        let middle = n / 2;
        let q = n * 3 / 4;
        let mut pages = vec![
            ("member list, first page", web, "/console/members".to_string()),
            ("member list, a page in the middle", web, format!("/console/members?before={middle}")),
            ("search by phone", web, format!("/console/members?q={}", bench_phone(q))),
            ("search by name", web, format!("/console/members?q=bench%20{q}")),
            ("search by name prefix", web, "/console/members?q=bench%2075".to_string()),
            ("member page, typical member", web, format!("/console/members/{middle}")),
            ("overview (aggregates read on the first load, then kept a minute)", web, "/console".to_string()),
            ("mall orders, first page", web, "/console/orders".to_string()),
        ];
        if let Some(h) = heavy_member {
            // Cursors into the heavy member's history: 2,600 and 4,800 lines back.
            let mut cursors = Vec::new();
            let mut before = None;
            for page in 0..24 {
                let v = app2
                    .read(move |tx| {
                        Ok(tx.history(program, jifen_ledger::MemberId(h), before, 200)?)
                    })
                    .await?;
                before = v.last().map(|l| l.transfer_id.0);
                if page == 12 || page == 23 {
                    cursors.push(before.unwrap_or(i64::MAX));
                }
            }
            pages.push(("member page, heavy member", web, format!("/console/members/{h}")));
            pages.push(("history of the heavy member, first page", api, format!("/api/v1/members/{h}/history?limit=50")));
            pages.push(("history of the heavy member, half way back", api, format!("/api/v1/members/{h}/history?limit=50&before={}", cursors[0])));
            pages.push(("history of the heavy member, near the oldest", api, format!("/api/v1/members/{h}/history?limit=50&before={}", cursors[1])));
        }
        for (what, addr, path) in pages {
            let header = if addr == api { &bearer } else { &cookie };
            let mut times = Vec::new();
            let mut last = Vec::new();
            for _ in 0..PAGE_SAMPLES {
                let (ms, body) = timed_get(addr, &path, header).await?;
                times.push(ms);
                last = body;
            }
            let rows = if addr == api {
                let v: serde_json::Value = serde_json::from_slice(&last).unwrap_or_default();
                v["lines"].as_array().map_or(0, Vec::len)
            } else {
                String::from_utf8_lossy(&last).matches("<tr>").count().saturating_sub(1)
            };
            times.sort_by(|a, b| a.total_cmp(b));
            println!(
                "bench: console: {what} ({path}): {rows} rows, {} bytes, median {:.1} ms, slowest of {PAGE_SAMPLES} {:.1} ms",
                last.len(),
                times[PAGE_SAMPLES / 2],
                times[PAGE_SAMPLES - 1]
            );
        }
        anyhow::Ok(())
    })?;
    Ok(())
}

/// Reviews the tiers of `o.members` members, every one of whom no longer reaches their tier (the
/// worst case: each review writes a tier change), and reports the time `run_jobs` takes.
fn review(o: &Options) -> anyhow::Result<()> {
    let backend = backend(o)?;
    let described = backend.describe();
    let app = App::start(backend, Arc::new(SystemClock))?;
    let created = app.create_program(
        "bench",
        "Bench",
        "CNY",
        "Asia/Shanghai",
        LedgerPolicy::default(),
    )?;
    let ladder: jifen_domain::tiers::Ladder = serde_json::from_value(json!({
        "metric": "growth", "window": {"kind": "rolling_months", "months": 12},
        "review": {"every": "month", "grace_days": 0, "downgrade_steps_max": 1},
        "tiers": [
            {"code": "normal", "name_zh": "普通会员", "name_en": "Member", "threshold": 0},
            {"code": "silver", "name_zh": "白银会员", "name_en": "Silver", "threshold": 1000},
            {"code": "gold", "name_zh": "黄金会员", "name_en": "Gold", "threshold": 5000}]
    }))?;
    let n = o.members as i64;
    let started = Instant::now();
    app.write_blocking(created.id, "bench", None, move |tx, ctx, now| {
        jifen_app::tiers::put_ladder(tx, ctx, now, "system:bench", &ladder)?;
        tx.seed_members_at_tier(ctx.program.id, n, "gold", now)?;
        Ok(json!(null))
    })?;
    app.invalidate_program(created.id);
    println!(
        "bench: review on {described}: {n} gold members seeded in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let report = app.run_jobs(created.id)?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "bench: review: {} members reviewed in {secs:.1}s ({:.0} members/s)",
        report.tiers_reviewed,
        report.tiers_reviewed as f64 / secs.max(1e-9)
    );
    let again = app.run_jobs(created.id)?;
    println!(
        "bench: review again: {} members (the review is done)",
        again.tiers_reviewed
    );
    let drift = app.verify(created.id)?;
    println!("bench: verify: {} drift", drift.len());
    anyhow::ensure!(drift.is_empty(), "drift: {drift:?}");
    Ok(())
}

pub fn run(o: Options) -> anyhow::Result<()> {
    if o.scenario == Scenario::Review {
        return review(&o);
    }
    if o.scenario == Scenario::Console {
        return console(&o);
    }
    let backend = backend(&o)?;
    let described = backend.describe();
    let app = App::start(backend, Arc::new(SystemClock))?;
    let policy = LedgerPolicy {
        pending_days: 0,
        ..LedgerPolicy::default()
    };
    let created = app.create_program("bench", "Bench", "CNY", "Asia/Shanghai", policy)?;
    create_rules(&app, created.id, o.rules)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let members = if matches!(o.scenario, Scenario::Earn | Scenario::Flash) {
        o.members
    } else {
        1
    };
    println!(
        "bench: {:?} on {described}, {} connections, {}s, {members} members, {} active purchase rules",
        o.scenario, o.connections, o.seconds, o.rules
    );
    rt.block_on(async {
        create_members(&app, created.id, members, o.scenario == Scenario::Flash).await?;
        if o.scenario == Scenario::Import {
            return anyhow::Ok(());
        }
        if o.scenario == Scenario::Flash {
            create_flash_item(&app, created.id).await?;
        }
        let seq_flash = Arc::new(AtomicU64::new(0));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let router = jifen_api::router(app.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });

        if o.scenario == Scenario::Flash {
            return flash_sale(
                &app,
                created.id,
                &created.api_key,
                addr,
                o.connections,
                members,
                seq_flash,
            )
            .await;
        }
        purchase_load(addr, &created.api_key, &o, members).await
    })?;
    if o.scenario == Scenario::Import {
        import_csv(&app, created.id, o.rows, members)?;
    }
    print_writer_stats(&app);
    let drift = app.verify(created.id)?;
    println!("bench: verify: {} drift", drift.len());
    if !drift.is_empty() {
        bail!("drift after bench: {:?}", &drift[..drift.len().min(5)]);
    }
    Ok(())
}

/// The `--rules` sample purchase rules, active.
fn create_rules(app: &App, program: ProgramId, rules: usize) -> anyhow::Result<()> {
    for def in jifen_rules::sample::purchase_rules(rules) {
        let input = jifen_app::earn::RuleIn {
            definition: serde_json::from_value(def)?,
            status: Some("active".into()),
            actor: Some("bench".into()),
        };
        app.write_view_blocking(program, "rules", None, move |tx, ctx, now| {
            jifen_app::earn::create_rule(tx, ctx, now, "system:bench", &input)
        })?;
    }
    app.invalidate_program(program);
    Ok(())
}

/// Members `B0`, `B1`, ... in the app channel; for the flash sale, each with 100 points.
async fn create_members(
    app: &App,
    program: ProgramId,
    members: usize,
    flash: bool,
) -> anyhow::Result<()> {
    // Members, created through the same writers, many at a time.
    let started = Instant::now();
    let mut pending = Vec::new();
    for n in 0..members {
        let m = NewMember {
            referrer: None,
            device_id: None,
            ip: None,
            profile: MemberProfile {
                name: Some(format!("bench {n}")),
                ..Default::default()
            },
            identities: vec![Identity {
                channel: "app".into(),
                external_id: format!("B{n}"),
            }],
        };
        let app = app.clone();
        pending.push(tokio::spawn(async move {
            app.write_view(
                program,
                &format!("e:app:B{n}"),
                None,
                move |tx, ctx, now| {
                    let out = commands::create_member(tx, ctx, now, &m)?;
                    if flash {
                        // Enough points for one flash-sale unit.
                        let a = commands::Adjustment {
                            member: commands::MemberRef::Id {
                                member_id: out.member.member_id.0,
                            },
                            delta: 100,
                            point_type: jifen_ledger::PointType::Points,
                            reason: Some("bench".into()),
                            actor: Some("bench".into()),
                        };
                        commands::adjust(tx, ctx, now, &a)?;
                    }
                    Ok(out)
                },
            )
            .await
        }));
        if pending.len() == 2_000 || n + 1 == members {
            for p in pending.drain(..) {
                p.await??;
            }
        }
    }
    println!(
        "bench: {members} members created in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The flash sale's item: 100 units at 50 points, on sale from now.
async fn create_flash_item(app: &App, program: ProgramId) -> anyhow::Result<()> {
    let item: jifen_app::mall::ItemIn = serde_json::from_value(json!({
        "name_zh": "秒杀", "name_en": "Flash", "category": "bench", "kind": {"type": "virtual"},
        "status": "on_sale", "flash_sale": true, "sale_from": jiff::Timestamp::now().as_millisecond(),
        "skus": [{"sku": "FLASH", "points": 50, "stock": 100}]}))?;
    app.write_view(program, "mall", None, move |tx, ctx, now| {
        jifen_app::mall::create_item(tx, ctx, now, "system:bench", &item)
    })
    .await?;
    Ok(())
}

/// The flash sale: every member tries once over `connections` connections; checks that exactly
/// the 100 units were sold.
async fn flash_sale(
    app: &App,
    program: ProgramId,
    key: &str,
    addr: std::net::SocketAddr,
    connections: usize,
    members: usize,
    seq_flash: Arc<AtomicU64>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut clients = Vec::new();
    for _ in 0..connections {
        let key = key.to_string();
        let seq = seq_flash.clone();
        clients.push(tokio::spawn(async move {
            flash_client(addr, key, members, seq).await
        }));
    }
    let (mut latencies, mut won, mut lost, mut other) = (Vec::new(), 0u64, 0u64, 0u64);
    for c in clients {
        let (l, w, s, e) = c.await??;
        latencies.extend(l);
        won += w;
        lost += s;
        other += e;
    }
    let wall = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let n = latencies.len();
    let pct = |p: f64| percentile(&latencies, p);
    println!(
        "bench: flash: {n} attempts in {wall:.2}s: {won} orders, {lost} sold out or limit reached, {other} other; latency ms p50 {:.1} p99 {:.1} max {:.1}",
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
    let sold = app
        .read(move |tx| {
            Ok(tx
                .mall_sku_by_code(program, "FLASH")?
                .map(|s| (s.stock, s.sold)))
        })
        .await?;
    println!("bench: flash: SKU stock left and sold: {sold:?}");
    if won != 100 || other != 0 || sold != Some((0, 100)) {
        bail!("the flash sale sold {won} (stock and sold {sold:?}), {other} unexpected answers");
    }
    Ok(())
}

/// Purchases back to back over `o.connections` connections for `o.seconds` seconds; prints the
/// throughput and latency percentiles.
async fn purchase_load(
    addr: std::net::SocketAddr,
    key: &str,
    o: &Options,
    members: usize,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(o.seconds);
    let seq = Arc::new(AtomicU64::new(0));
    let mut clients = Vec::new();
    for c in 0..o.connections {
        let key = key.to_string();
        let seq = seq.clone();
        let scenario = o.scenario;
        clients.push(tokio::spawn(async move {
            client(addr, key, scenario, c, members, seq, deadline).await
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0u64;
    for c in clients {
        let (l, e) = c.await??;
        latencies.extend(l);
        errors += e;
    }
    latencies.sort_unstable();
    let n = latencies.len();
    let pct = |p: f64| percentile(&latencies, p);
    println!(
        "bench: {n} ok, {errors} errors, {:.0} req/s, latency ms p50 {:.2} p90 {:.2} p99 {:.2} max {:.2}",
        n as f64 / o.seconds as f64,
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(1.0)
    );
    Ok(())
}

/// The value at `p` (0 to 1) of sorted latencies in microseconds, in milliseconds.
fn percentile(latencies: &[u32], p: f64) -> f64 {
    let n = latencies.len();
    latencies
        .get(((n as f64 * p) as usize).min(n.saturating_sub(1)))
        .copied()
        .unwrap_or(0) as f64
        / 1000.0
}

/// Writes `rows` purchases of the members to a CSV file and imports it.
fn import_csv(app: &App, program: ProgramId, rows: usize, members: usize) -> anyhow::Result<()> {
    let path = std::path::Path::new("./data/bench-import.csv");
    let mut w = csv::Writer::from_path(path)?;
    w.write_record([
        "order_id",
        "channel",
        "external_id",
        "member_id",
        "amount_minor",
        "currency",
        "occurred_at",
    ])?;
    for n in 0..rows {
        let member = (n * 7919) % members;
        w.write_record([
            format!("IMP{n}"),
            "app".into(),
            format!("B{member}"),
            String::new(),
            (1000 + n % 90_000).to_string(),
            "CNY".into(),
            String::new(),
        ])?;
    }
    w.flush()?;
    let r = crate::import::purchases(app, program, path, false)?;
    println!(
        "bench: import: {} rows in {:.2}s = {:.0} rows/s ({} imported, {} failed)",
        r.rows,
        r.seconds,
        r.rows as f64 / r.seconds,
        r.imported,
        r.failed
    );
    Ok(())
}

/// How the writers grouped and ran the commands.
fn print_writer_stats(app: &App) {
    let st = app.writer_stats();
    let (b, c) = (
        st.batches.load(Ordering::Relaxed).max(1),
        st.commands.load(Ordering::Relaxed).max(1),
    );
    println!(
        "bench: writers: {b} batches, {:.1} commands per batch, execute {:.1} us per command, commit {:.2} ms per batch",
        c as f64 / b as f64,
        st.execute_micros.load(Ordering::Relaxed) as f64 / c as f64,
        st.commit_micros.load(Ordering::Relaxed) as f64 / b as f64 / 1000.0
    );
}

/// One keep-alive connection sending requests back to back until the deadline.
async fn client(
    addr: std::net::SocketAddr,
    key: String,
    scenario: Scenario,
    conn: usize,
    members: usize,
    seq: Arc<AtomicU64>,
    deadline: Instant,
) -> anyhow::Result<(Vec<u32>, u64)> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let mut latencies = Vec::with_capacity(100_000);
    let mut errors = 0;
    let mut buf = vec![0u8; 16 * 1024];
    let mut rng_state = 0x9E3779B97F4A7C15u64 ^ (conn as u64 + 1);
    while Instant::now() < deadline {
        let n = seq.fetch_add(1, Ordering::Relaxed);
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        let (order, member) = match scenario {
            Scenario::Earn => (format!("O{n}"), (rng_state % members as u64) as usize),
            Scenario::Hot
            | Scenario::Import
            | Scenario::Review
            | Scenario::Flash
            | Scenario::Console => (format!("O{n}"), 0),
            Scenario::Replay => ("REPLAYED".to_string(), 0),
        };
        let body = json!({"order_id": order, "member": {"channel": "app", "external_id": format!("B{member}")},
                          "amount_minor": 1000 + (n % 50_000) as i64, "currency": "CNY"});
        let body = if scenario == Scenario::Replay {
            json!({"order_id": order, "member": {"channel": "app", "external_id": "B0"}, "amount_minor": 12345, "currency": "CNY"})
        } else {
            body
        }
        .to_string();
        let req = format!(
            "POST /api/v1/purchases HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let t = Instant::now();
        stream.write_all(req.as_bytes()).await?;
        let status = read_response(&mut stream, &mut buf)
            .await
            .context("reading a response")?;
        latencies.push(t.elapsed().as_micros().min(u32::MAX as u128) as u32);
        if status != 200 {
            errors += 1;
            latencies.pop();
        }
    }
    Ok((latencies, errors))
}

/// One connection of the flash sale: takes the next member until every member tried once;
/// returns latencies and the counts of orders (201), refusals (409) and anything else.
async fn flash_client(
    addr: std::net::SocketAddr,
    key: String,
    members: usize,
    seq: Arc<AtomicU64>,
) -> anyhow::Result<(Vec<u32>, u64, u64, u64)> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let mut buf = vec![0u8; 16 * 1024];
    let (mut latencies, mut won, mut lost, mut other) = (Vec::new(), 0, 0, 0);
    loop {
        let n = seq.fetch_add(1, Ordering::Relaxed) as usize;
        if n >= members {
            break;
        }
        let body =
            json!({"member": {"channel": "app", "external_id": format!("B{n}")}, "sku": "FLASH",
                          "request_id": format!("F{n}")})
            .to_string();
        let req = format!(
            "POST /api/v1/mall/orders HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let t = Instant::now();
        stream.write_all(req.as_bytes()).await?;
        let status = read_response(&mut stream, &mut buf)
            .await
            .context("reading a response")?;
        latencies.push(t.elapsed().as_micros().min(u32::MAX as u128) as u32);
        match status {
            201 => won += 1,
            409 => lost += 1,
            _ => other += 1,
        }
    }
    Ok((latencies, won, lost, other))
}

/// Reads one HTTP/1.1 response with a Content-Length body; returns its status.
async fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> anyhow::Result<u16> {
    let mut filled = 0;
    loop {
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let n = stream.read(&mut buf[filled..]).await?;
        if n == 0 {
            bail!("connection closed");
        }
        filled += n;
        if let Some(end) = buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..end])?;
            let status: u16 = head.get(9..12).context("status line")?.parse()?;
            let len: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap_or(0))
                })
                .unwrap_or(0);
            let total = end + 4 + len;
            while filled < total {
                if filled == buf.len() {
                    buf.resize(buf.len() * 2, 0);
                }
                let n = stream.read(&mut buf[filled..]).await?;
                if n == 0 {
                    bail!("connection closed mid-body");
                }
                filled += n;
            }
            return Ok(status);
        }
    }
}
