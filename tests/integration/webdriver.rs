//! What the browser walk needs besides `idp serve`: a minimal W3C WebDriver client
//! (JSON over HTTP/1.1 to Debian's `chromedriver`, driving Debian's `chromium`
//! headless), and an authenticating proxy on 127.0.0.1 that signs every request in as
//! one user, as oauth2-proxy does in front of internal tools.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::serve::parse;

/// Where Debian puts the browser and its driver (`apt-get install chromium chromium-driver`).
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The W3C element key in a WebDriver answer.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Whether the browser can run here: in CI (`CI=1`) it must; elsewhere a missing one
/// skips the walk loudly.
pub(crate) fn browser_available() -> bool {
    let present = Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    if !present {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI=1 but {CHROMIUM} or {CHROMEDRIVER} is missing: .ci/run installs chromium and chromium-driver"
        );
        eprintln!(
            "SKIPPED: the portal's browser walk needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)"
        );
    }
    present
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// One HTTP/1.1 exchange with `Connection: close`.
fn exchange(addr: &str, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let payload = body.map(Value::to_string).unwrap_or_default();
    let mut stream = TcpStream::connect(addr).expect("connect to chromedriver");
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .expect("timeout");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        payload.len()
    );
    stream.write_all(head.as_bytes()).expect("send");
    stream.write_all(payload.as_bytes()).expect("send");
    let answer = parse(&read_answer(&mut stream));
    let doc = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
    (answer.status, doc)
}

/// One HTTP answer, read to its end as its headers say (chromedriver keeps the
/// connection open whatever `Connection: close` asks).
fn read_answer(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut chunk = [0u8; 16384];
    loop {
        if let Some(split) = out.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&out[..split]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            match length {
                Some(n) if out.len() >= split + 4 + n => return out,
                None if head.contains("chunked") && out.ends_with(b"0\r\n\r\n") => return out,
                _ => {}
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return out,
            Ok(n) => out.extend_from_slice(&chunk[..n]),
        }
    }
}

/// `chromedriver` on a free port, stopped when dropped.
pub(crate) struct Driver {
    child: Child,
    addr: String,
}

impl Driver {
    pub(crate) fn start() -> Driver {
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let addr = format!("127.0.0.1:{port}");
        let started = Instant::now();
        while TcpStream::connect(&addr).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "chromedriver did not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver { child, addr }
    }

    /// A headless browser with its own empty profile. The flags keep Chromium from
    /// calling out to Google's services, which this closed network refuses.
    pub(crate) fn session(&self, profile: &Path) -> Browser {
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,1000",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        }}});
        let (status, doc) = exchange(&self.addr, "POST", "/session", Some(&caps));
        assert_eq!(status, 200, "no browser session: {doc}");
        let id = doc["value"]["sessionId"]
            .as_str()
            .expect("session id")
            .to_owned();
        Browser {
            addr: self.addr.clone(),
            id,
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// One browser session.
pub(crate) struct Browser {
    addr: String,
    id: String,
}

/// An element of the page, by its WebDriver reference.
pub(crate) struct Element(String);

impl Browser {
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let full = format!("/session/{}{path}", self.id);
        let (status, doc) = exchange(&self.addr, method, &full, body);
        assert_eq!(status, 200, "{method} {path}: {doc}");
        doc["value"].clone()
    }

    pub(crate) fn go(&self, url: &str) {
        self.call("POST", "/url", Some(&json!({ "url": url })));
    }

    pub(crate) fn url(&self) -> String {
        self.call("GET", "/url", None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    fn try_find(&self, css: &str) -> Option<Element> {
        let full = format!("/session/{}/element", self.id);
        let body = json!({ "using": "css selector", "value": css });
        let (status, doc) = exchange(&self.addr, "POST", &full, Some(&body));
        (status == 200)
            .then(|| {
                doc["value"][ELEMENT]
                    .as_str()
                    .map(|s| Element(s.to_owned()))
            })
            .flatten()
    }

    /// The element `css` selects, waiting up to 20 s for it to appear.
    pub(crate) fn find(&self, css: &str) -> Element {
        let started = Instant::now();
        loop {
            if let Some(e) = self.try_find(css) {
                return e;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no `{css}` on {}: {}",
                self.url(),
                self.source()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The text of `css` as the page shows it (waiting for it to appear; found again
    /// when the live preview replaced it between finding and reading).
    pub(crate) fn text(&self, css: &str) -> String {
        self.wait_text(css, |_| true)
    }

    /// The text of `css` now, `None` when it is not there or was just replaced.
    fn read_text(&self, css: &str) -> Option<String> {
        let e = self.try_find(css)?;
        let (status, doc) = exchange(
            &self.addr,
            "GET",
            &format!("/session/{}/element/{}/text", self.id, e.0),
            None,
        );
        (status == 200).then(|| doc["value"].as_str().unwrap_or_default().to_owned())
    }

    /// Waits up to 20 s for the text of `css` to satisfy `want`; returns it.
    pub(crate) fn wait_text(&self, css: &str, want: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            if let Some(t) = self.read_text(css).filter(|t| want(t)) {
                return t;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "`{css}` never showed what was awaited; the page: {}",
                self.page_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The page's HTML as the browser holds it.
    pub(crate) fn source(&self) -> String {
        self.call("GET", "/source", None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The page's text now (empty while the browser is between pages).
    pub(crate) fn page_text(&self) -> String {
        self.read_text("body").unwrap_or_default()
    }

    /// Clears a field and types into it, as a person would (key events, so the page's
    /// script sees `input` events).
    pub(crate) fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.call("POST", &format!("/element/{}/clear", e.0), Some(&json!({})));
        self.call(
            "POST",
            &format!("/element/{}/value", e.0),
            Some(&json!({ "text": text })),
        );
    }

    pub(crate) fn click(&self, css: &str) {
        let e = self.find(css);
        self.call("POST", &format!("/element/{}/click", e.0), Some(&json!({})));
    }

    /// Chooses the option of a `<select>` whose value is `value`.
    pub(crate) fn choose(&self, select: &str, value: &str) {
        self.click(&format!("{select} option[value=\"{value}\"]"));
    }

    /// Scrolls the page back to its top (for a screenshot of the whole form's head).
    pub(crate) fn scroll_top(&self) {
        let script = json!({ "script": "window.scrollTo(0, 0);", "args": [] });
        self.call("POST", "/execute/sync", Some(&script));
    }

    /// Writes a PNG of the viewport to `path`.
    pub(crate) fn screenshot(&self, path: &Path) {
        let b64 = self.call("GET", "/screenshot", None);
        let bytes = base64_decode(b64.as_str().unwrap_or_default());
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot dir");
        }
        std::fs::write(path, bytes).expect("screenshot written");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        exchange(&self.addr, "DELETE", &format!("/session/{}", self.id), None);
    }
}

/// Standard base64 (the screenshot), without a crate for it.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    };
    let digits: Vec<u32> = text.bytes().filter_map(value).collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let mut n = 0u32;
        for (i, d) in chunk.iter().enumerate() {
            n |= d << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len().saturating_sub(1)]);
    }
    out
}

/// Where the walk's screenshots go: `target/portal-screenshots/`.
pub(crate) fn screenshots() -> PathBuf {
    crate::harness::repo()
        .join("target")
        .join("portal-screenshots")
}

/// An authenticating proxy on 127.0.0.1 that signs every request in as `user` in
/// `groups` (identity headers a client sends are dropped first), forwards it to
/// `upstream` and streams the answer back. One request per connection.
pub(crate) struct Proxy {
    pub(crate) addr: String,
}

impl Proxy {
    pub(crate) fn start(upstream: &str, user: &str, groups: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy binds");
        let addr = listener.local_addr().expect("addr").to_string();
        let (upstream, user, groups) = (upstream.to_owned(), user.to_owned(), groups.to_owned());
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                let (upstream, user, groups) = (upstream.clone(), user.clone(), groups.clone());
                std::thread::spawn(move || relay(client, &upstream, &user, &groups));
            }
        });
        Proxy { addr }
    }
}

fn relay(mut client: TcpStream, upstream: &str, user: &str, groups: &str) {
    client.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let mut buffered = Vec::new();
    let mut chunk = [0u8; 8192];
    let split = loop {
        if let Some(p) = buffered.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        match client.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buffered.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buffered[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let mut out = format!("{}\r\n", lines.next().unwrap_or_default());
    let mut length = 0usize;
    for line in lines {
        let name = line
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if name == "content-length" {
            length = line[15..].trim().parse().unwrap_or(0);
        }
        if matches!(
            name.as_str(),
            "connection" | "keep-alive" | "x-forwarded-email" | "x-forwarded-groups"
        ) {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str(&format!(
        "X-Forwarded-Email: {user}\r\nX-Forwarded-Groups: {groups}\r\nConnection: close\r\n\r\n"
    ));
    let mut body = buffered[split + 4..].to_vec();
    while body.len() < length {
        match client.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    let Ok(mut server) = TcpStream::connect(upstream) else {
        return;
    };
    server.write_all(out.as_bytes()).ok();
    server.write_all(&body).ok();
    std::io::copy(&mut server, &mut client).ok();
}
