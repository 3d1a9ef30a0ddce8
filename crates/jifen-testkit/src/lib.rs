//! The services some test suites need beyond SQLite: a PostgreSQL server and a headless
//! Chromium. `scripts/test` (the README's test command, which CI runs) installs and starts
//! both and sets `JIFEN_TEST_REQUIRE_SERVICES=1`, so a missing one fails the run. Plain
//! `cargo test` on a machine without them runs every SQLite and pure test, and the tests that
//! need a missing service pass without running, after one line on standard error that says
//! which service is missing, where it was looked for, and how to run them.

use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Set (to anything but `0`) when a missing service must fail the tests rather than skip them.
pub const REQUIRE: &str = "JIFEN_TEST_REQUIRE_SERVICES";

fn required() -> bool {
    std::env::var(REQUIRE).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The PostgreSQL server the tests create their databases on: `JIFEN_TEST_PG_URL`, or the
/// README's `postgres://postgres@127.0.0.1:5432/postgres`.
pub fn pg_admin_url() -> String {
    std::env::var("JIFEN_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// `host:port` of a `postgres://user@host:port/db` URL.
fn pg_address(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    let host_port = rest.split(['/', '?']).next().unwrap_or(rest);
    if host_port.contains(':') && !host_port.ends_with(']') {
        host_port.to_string()
    } else {
        format!("{host_port}:5432")
    }
}

/// Says once per test binary that a service is missing and its tests were not run.
fn skip_note(service: &str, why: &str) {
    static SAID: OnceLock<()> = OnceLock::new();
    SAID.get_or_init(|| {
        let binary = std::env::args()
            .next()
            .and_then(|a| {
                std::path::Path::new(&a)
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
            })
            .unwrap_or_default();
        // Straight to the process's standard error: the test harness captures only the
        // print macros, and this line is for whoever runs the suite.
        let _ = writeln!(
            std::io::stderr(),
            "\nNOT RUN in {binary}: the tests that need {service} ({why}) pass without running. \
             Run `scripts/test` to set it up and run everything."
        );
    });
}

/// The PostgreSQL admin URL when a server answers there; `None` (after the note) when it does
/// not and the services are not required. Panics when they are.
pub fn postgres() -> Option<String> {
    let url = pg_admin_url();
    let addr = pg_address(&url);
    let reachable = addr.to_socket_addrs().ok().is_some_and(|mut addrs| {
        addrs.any(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok())
    });
    if reachable {
        return Some(url);
    }
    let why =
        format!("no PostgreSQL server answers at {addr}; set JIFEN_TEST_PG_URL to use another");
    if required() {
        panic!("{why} ({REQUIRE} is set, so the PostgreSQL tests must run)");
    }
    skip_note("PostgreSQL", &why);
    None
}

/// The Chromium to drive: `JIFEN_CHROMIUM`, or the first of chromium, chromium-browser and
/// google-chrome on the PATH; `None` (after the note) when there is none and the services are
/// not required. Panics when they are.
pub fn chromium() -> Option<String> {
    if let Ok(c) = std::env::var("JIFEN_CHROMIUM")
        && !c.is_empty()
    {
        return Some(c);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for c in ["chromium", "chromium-browser", "google-chrome"] {
        if std::env::split_paths(&path).any(|dir| dir.join(c).is_file()) {
            return Some(c.to_string());
        }
    }
    let why = "no chromium, chromium-browser or google-chrome on the PATH; set JIFEN_CHROMIUM to use another";
    if required() {
        panic!("{why} ({REQUIRE} is set, so the browser tests must run)");
    }
    skip_note("a headless Chromium", why);
    None
}

/// Log lines captured in memory: give `move || buffer.clone()` to a `tracing` subscriber as its
/// writer, then read what was logged with [`LogBuffer::text`].
#[derive(Clone, Default)]
pub struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl LogBuffer {
    /// Captures this thread's `tracing` events (plain text, no colours) until the guard drops.
    pub fn capture() -> (LogBuffer, tracing::subscriber::DefaultGuard) {
        let logs = LogBuffer::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

impl Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The bytes a gzip-encoded answer decodes to; panics when it is no gzip stream.
pub fn gunzip(body: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut out)
        .expect("a gzip stream");
    out
}

#[cfg(test)]
mod tests {
    use super::pg_address;

    #[test]
    fn reads_the_address_of_a_url() {
        assert_eq!(
            pg_address("postgres://postgres@127.0.0.1:5432/postgres"),
            "127.0.0.1:5432"
        );
        assert_eq!(
            pg_address("postgres://u:p@db.example:6543/x?sslmode=disable"),
            "db.example:6543"
        );
        assert_eq!(pg_address("postgres://u@localhost/x"), "localhost:5432");
    }
}
