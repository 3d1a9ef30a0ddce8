//! A small client of the Chrome DevTools Protocol over a WebSocket, enough to drive a real
//! headless Chromium from tests: open a page, run JavaScript, wait, take screenshots.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// An iPhone's Safari, as the member's phone says who it is.
#[allow(dead_code)] // Not every test binary drives a phone.
pub const MOBILE_UA: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

pub struct Browser {
    child: Child,
    ws: TcpStream,
    next_id: u64,
    session: String,
    _profile: std::path::PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    /// Starts headless Chromium with a fresh profile and opens one page; `None` when there is
    /// no Chromium and the services are not required (`jifen_testkit::chromium` says so).
    pub fn start() -> Option<Browser> {
        let chromium = jifen_testkit::chromium()?;
        let profile = std::env::temp_dir().join(format!(
            "jifen-chromium-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let mut child = Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
                "--disable-dev-shm-usage",
                "--remote-debugging-port=0",
                &format!("--user-data-dir={}", profile.display()),
                "about:blank",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chromium starts");
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("chromium prints its DevTools address")
                .unwrap();
            if let Some(u) = line.split("DevTools listening on ").nth(1) {
                break u.trim().to_string();
            }
        };
        // Keep draining stderr so that Chromium never blocks on it.
        std::thread::spawn(move || for _ in lines.by_ref() {});
        let ws = connect(&url);
        let mut b = Browser {
            child,
            ws,
            next_id: 0,
            session: String::new(),
            _profile: profile,
        };
        let target = b.call_browser("Target.createTarget", json!({"url": "about:blank"}));
        let id = target["targetId"].as_str().unwrap().to_string();
        let attached = b.call_browser(
            "Target.attachToTarget",
            json!({"targetId": id, "flatten": true}),
        );
        b.session = attached["sessionId"].as_str().unwrap().to_string();
        b.call("Page.enable", json!({}));
        b.call("Runtime.enable", json!({}));
        Some(b)
    }

    fn send(&mut self, msg: Value) -> u64 {
        self.next_id += 1;
        let mut msg = msg;
        msg["id"] = json!(self.next_id);
        write_frame(&mut self.ws, msg.to_string().as_bytes());
        self.next_id
    }

    fn wait_for(&mut self, id: u64) -> Value {
        self.answer(id).unwrap_or_else(|e| panic!("CDP error: {e}"))
    }

    /// The answer to message `id`, or the error Chromium gave.
    fn answer(&mut self, id: u64) -> Result<Value, Value> {
        loop {
            let m: Value =
                serde_json::from_slice(&read_message(&mut self.ws)).expect("CDP sends JSON");
            if m["id"].as_u64() == Some(id) {
                if let Some(e) = m.get("error") {
                    return Err(e.clone());
                }
                return Ok(m["result"].clone());
            }
        }
    }

    /// Evaluates JavaScript, or `None` when the page is between documents (a navigation
    /// destroyed the context the expression ran in) or the script failed.
    fn try_eval(&mut self, js: &str) -> Option<Value> {
        let session = self.session.clone();
        let id = self.send(json!({"method": "Runtime.evaluate", "params": {"expression": js, "returnByValue": true, "awaitPromise": true}, "sessionId": session}));
        let r = self.answer(id).ok()?;
        if r.get("exceptionDetails").is_some() {
            return None;
        }
        Some(r["result"]["value"].clone())
    }

    fn call_browser(&mut self, method: &str, params: Value) -> Value {
        let id = self.send(json!({"method": method, "params": params}));
        self.wait_for(id)
    }

    /// Calls a method on the page.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        let id = self.send(json!({"method": method, "params": params, "sessionId": session}));
        self.wait_for(id)
    }

    /// Evaluates JavaScript in the page and returns its value.
    pub fn eval(&mut self, js: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": js, "returnByValue": true, "awaitPromise": true}),
        );
        if let Some(e) = r.get("exceptionDetails") {
            panic!("page script failed: {e}");
        }
        r["result"]["value"].clone()
    }

    /// A browser at `width` × `height`, signed in to the console at `base` as `login`; none
    /// where Chromium cannot start (see [`Browser::start`]).
    #[allow(dead_code)] // Not every test binary signs in to the console.
    pub fn console(base: &str, login: &str, width: u32, height: u32) -> Option<Browser> {
        let mut b = Browser::start()?;
        b.viewport(width, height);
        b.sign_in(base, login);
        Some(b)
    }

    /// Sets the value of the input with id `id`, as typed.
    #[allow(dead_code)]
    pub fn set_value(&mut self, id: &str, value: &str) {
        self.eval(&format!(
            "document.getElementById('{id}').value = {}; true",
            json!(value)
        ));
    }

    pub fn viewport(&mut self, width: u32, height: u32) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500}),
        );
    }

    /// Waits until `js` is true in the page (30 s at most: CI runs many tests at once).
    pub fn wait_until(&mut self, js: &str) {
        let start = Instant::now();
        loop {
            if self.try_eval(&format!("document.readyState === 'complete' && !!({js})"))
                == Some(json!(true))
            {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "timed out waiting for {js}; page: {}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Runs `js` just after this call returns, so that a click that navigates never interrupts
    /// the evaluation that made it.
    #[allow(dead_code)] // Not every test binary waits across navigations.
    pub fn act(&mut self, js: &str) {
        self.eval(&format!("setTimeout(() => {{ {js} }}, 0); true"));
    }

    /// Waits until `cond` holds in a loaded page, across navigations: an evaluation cut short by
    /// the page navigating is tried again.
    #[allow(dead_code)]
    pub fn settle(&mut self, cond: &str) {
        let js = format!("document.readyState === 'complete' && !!({cond})");
        let start = Instant::now();
        loop {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.eval(&js)));
            if matches!(&r, Ok(v) if *v == json!(true)) {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "timed out waiting for {cond}; page: {}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn goto(&mut self, url: &str) {
        self.call("Page.navigate", json!({"url": url}));
        let u = serde_json::to_string(url).unwrap();
        self.wait_until(&format!(
            "location.href === {u} || location.href.startsWith({u})"
        ));
    }

    /// Signs in to the console at `base` through its form (the test sites' password).
    #[allow(dead_code)] // Not every browser suite signs in to the console.
    pub fn sign_in(&mut self, base: &str, login: &str) {
        self.goto(&format!("{base}/console/login"));
        self.eval(&format!("document.querySelector('#login').value = '{login}'; document.querySelector('#password').value = 'correct horse battery'; document.querySelector('form').submit(); true"));
        self.wait_until("location.pathname === '/console'");
    }

    pub fn text(&mut self) -> String {
        self.eval("document.body ? document.body.innerText : ''")
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    pub fn path(&mut self) -> String {
        self.eval("location.pathname + location.search")
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// Saves a PNG of the page under `target/screenshots/` and returns its path.
    pub fn screenshot(&mut self, name: &str) -> std::path::PathBuf {
        let r = self.call("Page.captureScreenshot", json!({"format": "png"}));
        let png = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            r["data"].as_str().unwrap(),
        )
        .expect("screenshots are base64");
        assert!(png.starts_with(b"\x89PNG"), "a screenshot is a PNG");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }
}

fn connect(url: &str) -> TcpStream {
    let rest = url.strip_prefix("ws://").expect("a ws:// address");
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut s = TcpStream::connect(host).expect("connect to DevTools");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .unwrap();
    // Read the handshake answer up to the blank line.
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut b).unwrap();
        head.push(b[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    s
}

fn write_frame(s: &mut TcpStream, payload: &[u8]) {
    let mut f = vec![0x81u8];
    let n = payload.len();
    if n < 126 {
        f.push(0x80 | n as u8);
    } else if n < 65536 {
        f.push(0x80 | 126);
        f.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        f.push(0x80 | 127);
        f.extend_from_slice(&(n as u64).to_be_bytes());
    }
    let mask = [0x12u8, 0x34, 0x56, 0x78];
    f.extend_from_slice(&mask);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    s.write_all(&f).unwrap();
}

/// Reads one whole message (joining continuation frames; answering pings).
fn read_message(s: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let mut h = [0u8; 2];
        s.read_exact(&mut h).unwrap();
        let (fin, op) = (h[0] & 0x80 != 0, h[0] & 0x0f);
        let mut len = (h[1] & 0x7f) as u64;
        if len == 126 {
            let mut b = [0u8; 2];
            s.read_exact(&mut b).unwrap();
            len = u16::from_be_bytes(b) as u64;
        } else if len == 127 {
            let mut b = [0u8; 8];
            s.read_exact(&mut b).unwrap();
            len = u64::from_be_bytes(b);
        }
        let mut payload = vec![0u8; len as usize];
        s.read_exact(&mut payload).unwrap();
        match op {
            0x9 => continue, // ping: Chromium does not need the pong for a test's lifetime
            0x8 => panic!("DevTools closed the connection"),
            _ => out.extend_from_slice(&payload),
        }
        if fin {
            return out;
        }
    }
}
