//! The `jifen` binary: one executable for the server, the demo, migrations, jobs and `verify`.

mod bench;
mod demo;
mod import;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use jifen_app::{App, Clock, ManualClock, SystemClock};
use jifen_ledger::policy::LedgerPolicy;

/// mimalloc instead of the system allocator: the writer threads build answers that the HTTP
/// threads free, and glibc's arenas serialize those cross-thread frees (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How often the server runs due jobs (vesting, expiry, reservation timeouts).
const JOBS_INTERVAL: Duration = Duration::from_secs(60);
const WEBHOOKS_INTERVAL: Duration = Duration::from_secs(2);

#[derive(Parser)]
#[command(
    name = "jifen",
    version,
    about = "Jifen (积分): a loyalty-points platform"
)]
struct Cli {
    /// Where the data lives: a SQLite path (`sqlite:./data/jifen.db`) or a `postgres://` URL.
    #[arg(
        long,
        global = true,
        env = "JIFEN_DATABASE",
        default_value = "sqlite:./data/jifen.db"
    )]
    database: String,
    /// Writer connections for PostgreSQL (SQLite always has one writer).
    #[arg(long, global = true, env = "JIFEN_PG_WRITERS", default_value_t = 4)]
    pg_writers: usize,
    /// A PEM file of certificate authorities webhook deliveries trust beside the built-in
    /// roots (a company's own CA for its internal HTTPS receivers).
    #[arg(long, global = true, env = "JIFEN_WEBHOOK_CA")]
    webhook_ca: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API.
    Serve {
        #[arg(long, env = "JIFEN_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
    },
    /// Create the demo programme (members with a year of purchases, refunds, spends and expiries)
    /// if it does not exist, print an API key for it, and serve.
    Demo {
        #[arg(long, env = "JIFEN_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Members to create.
        #[arg(long, default_value_t = 120)]
        members: usize,
        /// Seed the data and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Bring the database schema up to date.
    Migrate,
    /// Recheck every ledger invariant over the whole database; exits 1 on any drift.
    Verify,
    /// Copy the live SQLite database to FILE while it serves (a consistent snapshot). For
    /// PostgreSQL use pg_dump (see the README).
    Backup { file: std::path::PathBuf },
    /// Replace the SQLite database with the backup FILE (stop the server first), then check it.
    Restore { file: std::path::PathBuf },
    /// Background jobs.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Bulk imports.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Measure the HTTP API under load on a fresh database (see BENCHMARKS.md).
    Bench {
        #[arg(long, value_enum, default_value = "earn")]
        scenario: bench::Scenario,
        #[arg(long, value_enum, default_value = "sqlite")]
        store: bench::Store,
        /// Server for `--store postgres`; a database `jifen_bench` is created on it and dropped.
        #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
        pg_url: String,
        #[arg(long, default_value_t = 64)]
        connections: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value_t = 10_000)]
        members: usize,
        /// Rows for `--scenario import`.
        #[arg(long, default_value_t = 200_000)]
        rows: usize,
        /// Active purchase rules to evaluate on every purchase (a realistic mix).
        #[arg(long, default_value_t = 0)]
        rules: usize,
    },
    /// Programmes.
    Program {
        #[command(subcommand)]
        command: ProgramCommand,
    },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Run every due job once, for every programme.
    Run {
        /// Run as if it were this time (RFC 3339, e.g. 2027-01-01T00:00:00Z), for testing.
        #[arg(long)]
        now: Option<String>,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import purchase events from a CSV file with the header
    /// `order_id,channel,external_id,member_id,amount_minor,currency,occurred_at`.
    Purchases {
        file: std::path::PathBuf,
        /// The programme's code.
        #[arg(long)]
        program: String,
    },
}

#[derive(Subcommand)]
enum ProgramCommand {
    /// Create a programme and print its first API key.
    Create {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "CNY")]
        currency: String,
        #[arg(long, default_value = "Asia/Shanghai")]
        timezone: String,
        /// Days purchase points stay pending (the return window).
        #[arg(long, default_value_t = 7)]
        pending_days: u32,
    },
    /// Print a new API key for an existing programme.
    Key {
        #[arg(long)]
        code: String,
        /// The key may adjust points above the programme's approval threshold at once (without
        /// it, such adjustments wait for a staff member's approval).
        #[arg(long)]
        adjust_without_approval: bool,
    },
    /// List programmes.
    List,
}

fn start(cli: &Cli, clock: Arc<dyn Clock>) -> anyhow::Result<App> {
    let backend = jifen_app::open_backend(&cli.database, cli.pg_writers)?;
    let app = App::start(backend, clock).with_context(|| format!("opening {}", cli.database))?;
    if let Some(path) = &cli.webhook_ca {
        let pem = std::fs::read(path)
            .with_context(|| format!("reading the webhook CA file {}", path.display()))?;
        let n = app
            .add_webhook_roots(&pem)
            .with_context(|| format!("the webhook CA file {}", path.display()))?;
        tracing::info!(certificates = n, file = %path.display(), "webhooks trust extra roots");
    }
    Ok(app)
}

/// Logs go to standard error: `JIFEN_LOG` sets the level (error, warn, info, debug, trace;
/// info by default); `JIFEN_LOG_FORMAT=json` writes one JSON object per line, with the
/// request's or batch's span fields (request id, route), for a log collector.
fn init_logs() {
    let level = std::env::var("JIFEN_LOG")
        .ok()
        .and_then(|v| v.parse::<tracing_subscriber::filter::LevelFilter>().ok())
        .unwrap_or(tracing_subscriber::filter::LevelFilter::INFO);
    let json = std::env::var("JIFEN_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(false);
    let _ = if json {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .try_init()
    } else {
        builder.try_init()
    };
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logs();
    match &cli.command {
        Command::Serve { listen } => {
            let app = start(&cli, Arc::new(SystemClock))?;
            serve(app, *listen)
        }
        Command::Demo {
            listen,
            members,
            no_serve,
        } => serve_demo(&cli, *listen, *members, *no_serve),
        Command::Migrate => migrate(&cli),
        Command::Verify => verify(&cli),
        Command::Backup { file } => backup(&cli, file),
        Command::Restore { file } => restore(&cli, file),
        Command::Jobs {
            command: JobsCommand::Run { now },
        } => run_jobs(&cli, now.as_deref()),
        Command::Import {
            command: ImportCommand::Purchases { file, program },
        } => import_purchases(&cli, file, program),
        Command::Bench {
            scenario,
            store,
            pg_url,
            connections,
            seconds,
            members,
            rows,
            rules,
        } => bench::run(bench::Options {
            rows: *rows,
            rules: *rules,
            scenario: *scenario,
            store: *store,
            pg_url: pg_url.clone(),
            pg_writers: cli.pg_writers,
            connections: *connections,
            seconds: *seconds,
            members: *members,
        }),
        Command::Program { command } => manage_program(&cli, command),
    }
}

/// `jifen demo`: seeds the demo programme unless it exists, prints how to reach it, and serves.
fn serve_demo(cli: &Cli, listen: SocketAddr, members: usize, no_serve: bool) -> anyhow::Result<()> {
    demo::seed(&cli.database, cli.pg_writers, members)?;
    let app = start(cli, Arc::new(SystemClock))?;
    let program = app
        .read_blocking(|tx| Ok(tx.program_by_code(demo::DEMO_CODE)?))?
        .context("demo programme missing")?;
    let key = app.create_api_key(program.id, "demo", true)?;
    println!(
        "Jifen demo programme \"{}\" (id {})",
        program.name, program.id
    );
    println!("API key: {key}");
    // A first owner login for the console, with a fresh password each start.
    let password = jifen_app::staff::generate_password();
    let pw = password.clone();
    app.write_blocking(program.id, "staff", None, move |tx, ctx, now| {
        jifen_app::staff::ensure_owner(tx, ctx, now, "owner", "演示店长", &pw)?;
        Ok(serde_json::json!(null))
    })?;
    println!(
        "Console: http://{listen}/console  programme {}  login owner  password {password}",
        demo::DEMO_CODE
    );
    // A member points centre link, as the merchant's app would open it.
    let link = app.write_view_blocking(program.id, "centre", None, |tx, ctx, now| {
        jifen_app::centre::link(tx, ctx, now, jifen_ledger::MemberId(1))
    })?;
    println!(
        "Member centre (member 1, valid 24 h): http://{listen}{}",
        link.view.path
    );
    if no_serve {
        return Ok(());
    }
    println!("Try:  curl -H 'Authorization: Bearer {key}' http://{listen}/api/v1/members/1");
    serve(app, listen)
}

/// `jifen migrate`.
fn migrate(cli: &Cli) -> anyhow::Result<()> {
    let backend = jifen_app::open_backend(&cli.database, cli.pg_writers)?;
    backend.migrate()?;
    println!("{}: schema is up to date", backend.describe());
    Ok(())
}

/// `jifen verify`: every programme's invariants, with its counts; fails on any drift.
fn verify(cli: &Cli) -> anyhow::Result<()> {
    let app = start(cli, Arc::new(SystemClock))?;
    let programs = app.read_blocking(|tx| Ok(tx.programs()?))?;
    let mut drift_total = 0;
    for p in &programs {
        let drift = app.verify(p.id)?;
        let counts = app.read_blocking({
            let id = p.id;
            move |tx| {
                Ok((
                    tx.count_members(id)?,
                    tx.all_transfers(id)?.len(),
                    tx.all_lots(id)?.len(),
                ))
            }
        })?;
        println!(
            "programme {} ({}): {} members, {} transfers, {} lots: {} drift",
            p.code,
            p.id,
            counts.0,
            counts.1,
            counts.2,
            if drift.is_empty() {
                "no".to_string()
            } else {
                drift.len().to_string()
            }
        );
        for d in &drift {
            println!("  DRIFT {}: {}", d.invariant, d.detail);
        }
        drift_total += drift.len();
    }
    if drift_total > 0 {
        bail!("{drift_total} invariant violations");
    }
    Ok(())
}

/// `jifen backup FILE`.
fn backup(cli: &Cli, file: &Path) -> anyhow::Result<()> {
    let backend = jifen_app::open_backend(&cli.database, cli.pg_writers)?;
    backend
        .backup_to(file)
        .with_context(|| format!("backing up {} to {}", backend.describe(), file.display()))?;
    println!("backed up {} to {}", backend.describe(), file.display());
    Ok(())
}

/// `jifen restore FILE`, then the restored database is checked.
fn restore(cli: &Cli, file: &Path) -> anyhow::Result<()> {
    let backend = jifen_app::open_backend(&cli.database, cli.pg_writers)?;
    backend
        .restore_from(file)
        .with_context(|| format!("restoring {} into {}", file.display(), backend.describe()))?;
    println!("restored {} into {}", file.display(), backend.describe());
    // The restored database is brought to this version and checked.
    let app = start(cli, Arc::new(SystemClock))?;
    let mut drift_total = 0;
    for p in app.read_blocking(|tx| Ok(tx.programs()?))? {
        drift_total += app.verify(p.id)?.len();
    }
    if drift_total > 0 {
        bail!(
            "the restored database has {drift_total} invariant violations (jifen verify names them)"
        );
    }
    println!("verify: clean");
    Ok(())
}

/// `jifen jobs run [--now TIME]`.
fn run_jobs(cli: &Cli, now: Option<&str>) -> anyhow::Result<()> {
    let clock: Arc<dyn Clock> = match now {
        Some(t) => {
            let ts: jiff::Timestamp = t
                .parse()
                .with_context(|| format!("--now {t:?} is not an RFC 3339 time"))?;
            Arc::new(ManualClock::new(ts.as_millisecond()))
        }
        None => Arc::new(SystemClock),
    };
    let app = start(cli, clock)?;
    // Every programme runs, whatever another's jobs meet; failures are printed (and
    // logged) with their causes and tried again on the next run.
    let mut failed = 0;
    for p in app.run_all_jobs()? {
        let report = match p.report {
            Ok(r) => r,
            Err(e) => {
                failed += 1;
                eprintln!("programme {}: jobs failed: {e}", p.code);
                continue;
            }
        };
        failed += report.failures.len();
        let webhooks = match app.webhooks_round(p.program) {
            Ok(w) => serde_json::to_string(&w)?,
            Err(e) => {
                failed += 1;
                format!("failed: {e}")
            }
        };
        println!(
            "programme {}: {} webhooks {}",
            p.code,
            serde_json::to_string(&report)?,
            webhooks
        );
    }
    if failed > 0 {
        eprintln!("{failed} job items failed; the rest ran; they are tried again on the next run");
    }
    Ok(())
}

/// `jifen import purchases FILE --program CODE`.
fn import_purchases(cli: &Cli, file: &Path, program: &str) -> anyhow::Result<()> {
    let app = start(cli, Arc::new(SystemClock))?;
    let code = program.to_string();
    let p = app
        .read_blocking(move |tx| Ok(tx.program_by_code(&code)?))?
        .with_context(|| format!("no programme {program}"))?;
    let r = import::purchases(&app, p.id, file, true)?;
    println!(
        "{} rows in {:.1}s ({:.0} rows/s): {} imported, {} already imported, {} failed",
        r.rows,
        r.seconds,
        r.rows as f64 / r.seconds.max(1e-9),
        r.imported,
        r.already_imported,
        r.failed
    );
    if r.failed > 0 {
        bail!("{} rows failed", r.failed);
    }
    Ok(())
}

/// `jifen program create|key|list`.
fn manage_program(cli: &Cli, command: &ProgramCommand) -> anyhow::Result<()> {
    let app = start(cli, Arc::new(SystemClock))?;
    match command {
        ProgramCommand::Create {
            code,
            name,
            currency,
            timezone,
            pending_days,
        } => {
            let policy = LedgerPolicy {
                pending_days: *pending_days,
                ..LedgerPolicy::default()
            };
            let created = app.create_program(code, name, currency, timezone, policy)?;
            println!("programme {code} created (id {})", created.id);
            println!("API key: {}", created.api_key);
        }
        ProgramCommand::Key {
            code,
            adjust_without_approval,
        } => {
            let c = code.clone();
            let p = app
                .read_blocking(move |tx| Ok(tx.program_by_code(&c)?))?
                .with_context(|| format!("no programme {code}"))?;
            println!(
                "API key: {}",
                app.create_api_key(p.id, "cli", *adjust_without_approval)?
            );
        }
        ProgramCommand::List => {
            for p in app.read_blocking(|tx| Ok(tx.programs()?))? {
                println!("{}\t{}\t{}\t{}", p.id, p.code, p.name, p.currency);
            }
        }
    }
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM: the server then stops accepting, finishes the requests in
/// flight (their commands commit as usual) and exits.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    println!("Jifen is shutting down");
}

fn serve(app: App, listen: SocketAddr) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let addr = listener.local_addr()?;
        println!(
            "Jifen is serving {} on http://{addr}  (API: /api/v1, OpenAPI: /api/openapi.json)",
            app.backend().describe()
        );
        // Each programme, step and item fails alone and is logged where it fails; a round
        // that panics is logged and the next one runs.
        let jobs_app = app.clone();
        let jobs = tokio::spawn(jifen_app::background::every(
            "jobs",
            JOBS_INTERVAL,
            move || jobs_app.run_all_jobs().map(|_| ()),
        ));
        // Webhooks go out within seconds of their event, apart from the minute's jobs. One
        // programme's webhooks failing does not hold back the others'.
        let hooks_app = app.clone();
        let hooks = tokio::spawn(jifen_app::background::every(
            "webhooks",
            WEBHOOKS_INTERVAL,
            move || -> Result<(), jifen_app::AppError> {
                for p in hooks_app.read_blocking(|tx| Ok(tx.programs()?))? {
                    if let Err(e) = hooks_app.webhooks_round(p.id) {
                        tracing::error!(program = p.id.0, error = %e, "webhooks failed");
                    }
                }
                Ok(())
            },
        ));
        let app_for_shutdown = app.clone();
        let router = jifen_api::router(app.clone()).merge(jifen_web::router(app));
        jifen_api::serve(listener, router, shutdown_signal()).await;
        jobs.abort();
        hooks.abort();
        // The requests have drained; the writers commit what is queued before the process ends.
        let writers = app_for_shutdown.clone();
        tokio::task::spawn_blocking(move || writers.shutdown()).await?;
        Ok::<_, anyhow::Error>(())
    })
}
