//! `cargo bench --bench serve`: the bounded load test of `idp serve`. It starts the real
//! release binary on 127.0.0.1 (`--config examples/idp.kdl`, 7 policies), warms it up,
//! then posts `examples/orders-preview.kdl` to `POST /api/v1/plan` at a fixed arrival
//! rate, open loop: a dispatcher hands each request to a pool of client threads, each
//! with its own keep-alive connection, at its scheduled time whatever the latency of the
//! others, and latency runs from that scheduled time (no coordinated omission: a request
//! that waited for a free client counts its wait).
//!
//! Default 50 requests/s for 30 s (`IDP_BENCH_RATE`, `IDP_BENCH_SECONDS`). Target on the
//! 2-core reference machine (issue 15): plan p99 ≤ 50 ms on a warm server, no errors;
//! and a plan records nothing (`GET /api/v1/environments` stays empty). It prints a
//! report and writes it to `target/idp-bench/serve.md`.

mod proc;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SPEC: &str = "examples/orders-preview.kdl";
const CONFIG: &str = "examples/idp.kdl";
const DEFAULT_RATE: f64 = 50.0;
const DEFAULT_SECONDS: u64 = 30;
/// Sequential plans before the load: the first compiles every component.
const WARM_UP: usize = 20;
/// Client threads (and connections): enough that a slow answer never holds a send back.
const CLIENTS: usize = 32;
const P99_TARGET: Duration = Duration::from_millis(50);
/// A request later than this waits no more: it is an I/O error.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A running `idp serve`, killed when dropped.
struct Server {
    child: Child,
    addr: String,
    /// Its stderr: the `listening on` line, then one line per request.
    logged: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(root: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_idp"))
            .args(["serve", "--listen", "127.0.0.1:0", "--config", CONFIG])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("IDP_STATE_DIR", root.join("state"))
            .env("IDP_CACHE_DIR", root.join("cache"))
            .env("XDG_DATA_HOME", root.join("data"))
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("idp serve starts");
        let stderr = child.stderr.take().expect("stderr");
        let logged = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let lines = logged.clone();
        // Drained to the end: a full pipe would stall the server's request log.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("listening on http://") {
                    let addr = rest.split_whitespace().next().unwrap_or_default();
                    tx.send(addr.to_owned()).ok();
                }
                lines.lock().expect("log").push(line);
            }
        });
        let Ok(addr) = rx.recv_timeout(Duration::from_secs(120)) else {
            child.kill().ok();
            panic!("no `listening on` line: {:?}", logged.lock().expect("log"));
        };
        Server {
            child,
            addr,
            logged,
        }
    }

    /// User + system CPU time of the server so far, from `/proc/PID/stat` (fields
    /// `utime` and `stime`, clock ticks of 1/100 s on Linux).
    fn cpu(&self) -> Duration {
        proc::stat_cpu(&format!("/proc/{}/stat", self.child.id()), 14)
    }

    /// Peak resident memory of the server, MB (`VmHWM` in `/proc/PID/status`).
    fn peak_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }

    /// The milliseconds the server's request log gives each plan it answered 200, in
    /// order (`POST /api/v1/plan 200 12ms`).
    fn plan_ms(&self) -> Vec<u64> {
        let log = self.logged.lock().expect("log");
        log.iter()
            .filter_map(|l| l.strip_prefix("POST /api/v1/plan 200 "))
            .filter_map(|ms| ms.strip_suffix("ms")?.parse().ok())
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// One keep-alive HTTP/1.1 connection, opened again after an error or a close.
struct Client {
    addr: String,
    conn: Option<BufReader<TcpStream>>,
}

impl Client {
    fn new(addr: &str) -> Client {
        Client {
            addr: addr.to_owned(),
            conn: None,
        }
    }

    /// Sends `request` and reads the answer: its status and body. A kept-alive
    /// connection closed or reset before the answer's headers (the server's idle
    /// timeout) is opened again and the request sent once more: a plan is read-only.
    fn exchange(&mut self, request: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
        let reused = self.conn.is_some();
        let mut answer = self.try_exchange(request);
        if reused && answer.as_ref().is_err_and(closed_while_idle) {
            self.conn = None;
            answer = self.try_exchange(request);
        }
        if !matches!(answer, Ok((_, _, true))) {
            self.conn = None;
        }
        answer.map(|(status, body, _)| (status, body))
    }

    /// The status, the body and whether the connection may be used again.
    fn try_exchange(&mut self, request: &[u8]) -> std::io::Result<(u16, Vec<u8>, bool)> {
        let conn = match &mut self.conn {
            Some(conn) => conn,
            None => {
                let stream = TcpStream::connect(&self.addr)?;
                stream.set_nodelay(true)?;
                stream.set_read_timeout(Some(TIMEOUT))?;
                self.conn.insert(BufReader::new(stream))
            }
        };
        conn.get_mut().write_all(request)?;
        read_answer(conn)
    }
}

/// Whether `e` says the server had closed the connection before this request.
fn closed_while_idle(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{BrokenPipe, ConnectionReset, UnexpectedEof};
    matches!(e.kind(), BrokenPipe | ConnectionReset | UnexpectedEof)
}

fn bad(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned())
}

/// An HTTP/1.1 response: status line, headers, and a body by length or chunked.
fn read_answer(conn: &mut BufReader<TcpStream>) -> std::io::Result<(u16, Vec<u8>, bool)> {
    let mut line = String::new();
    if conn.read_line(&mut line)? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| bad("no status line"))?;
    let (mut length, mut chunked, mut keep) = (None, false, true);
    loop {
        line.clear();
        if conn.read_line(&mut line)? == 0 {
            return Err(bad("headers cut short"));
        }
        let Some((name, value)) = line.trim_end().split_once(':') else {
            break;
        };
        let (name, value) = (name.to_ascii_lowercase(), value.trim().to_ascii_lowercase());
        match name.as_str() {
            "content-length" => length = value.parse().ok(),
            "transfer-encoding" => chunked = value.contains("chunked"),
            "connection" => keep = !value.contains("close"),
            _ => {}
        }
    }
    let body = if chunked {
        read_chunks(conn)?
    } else {
        let mut body = vec![0; length.ok_or_else(|| bad("no content-length"))?];
        conn.read_exact(&mut body)?;
        body
    };
    Ok((status, body, keep))
}

fn read_chunks(conn: &mut BufReader<TcpStream>) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        conn.read_line(&mut line)?;
        let size = usize::from_str_radix(line.trim(), 16).map_err(|_| bad("chunk size"))?;
        let mut chunk = vec![0; size + 2];
        conn.read_exact(&mut chunk)?;
        if size == 0 {
            return Ok(body);
        }
        body.extend_from_slice(&chunk[..size]);
    }
}

fn request(method: &str, path: &str, addr: &str, body: &[u8]) -> Vec<u8> {
    let kind = if body.is_empty() {
        ""
    } else {
        "Content-Type: application/kdl\r\n"
    };
    let mut bytes = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{kind}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// What became of one scheduled request.
enum Outcome {
    /// A 2xx answer, latency from the scheduled send time.
    Answered(Duration),
    /// A non-2xx answer: its status and the start of its body.
    Status(u16, String),
    Io(String),
}

/// The load: `total` plans, one every `1 / rate` s from now, over `CLIENTS` connections.
/// Returns each outcome and the largest delay between a schedule and its send.
fn drive(addr: &str, plan: &[u8], rate: f64, total: usize) -> (Vec<Outcome>, Duration) {
    let (jobs, queue) = mpsc::channel::<Instant>();
    let queue = Arc::new(Mutex::new(queue));
    let (done, results) = mpsc::channel();
    let lag = Arc::new(Mutex::new(Duration::ZERO));
    std::thread::scope(|scope| {
        for _ in 0..CLIENTS {
            let (queue, done, lag) = (queue.clone(), done.clone(), lag.clone());
            let mut client = Client::new(addr);
            scope.spawn(move || {
                loop {
                    // The lock is held only to take the next due request.
                    let next = queue.lock().expect("queue").recv();
                    let Ok(due) = next else { break };
                    let late = due.elapsed();
                    let mut worst = lag.lock().expect("lag");
                    *worst = (*worst).max(late);
                    drop(worst);
                    let outcome = match client.exchange(plan) {
                        Ok((status, _)) if (200..300).contains(&status) => {
                            Outcome::Answered(due.elapsed())
                        }
                        Ok((status, body)) => Outcome::Status(
                            status,
                            String::from_utf8_lossy(&body).chars().take(200).collect(),
                        ),
                        Err(e) => Outcome::Io(e.to_string()),
                    };
                    done.send(outcome).ok();
                }
            });
        }
        let start = Instant::now() + Duration::from_millis(100);
        for i in 0..total {
            let due = start + Duration::from_secs_f64(i as f64 / rate);
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
            jobs.send(due).expect("clients run");
        }
        drop(jobs);
    });
    drop(done);
    let worst = *lag.lock().expect("lag");
    (results.iter().collect(), worst)
}

/// `name` from the environment as a positive number, else `default`.
fn setting(name: &str, default: f64) -> f64 {
    match std::env::var(name) {
        Err(_) => default,
        Ok(v) => v
            .parse()
            .ok()
            .filter(|n: &f64| n.is_finite() && *n > 0.0)
            .unwrap_or_else(|| panic!("{name} must be a positive number, got `{v}`")),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// The nearest-rank percentile `q` of sorted `samples` (the default when empty).
fn rank<T: Copy + Default>(samples: &[T], q: f64) -> T {
    if samples.is_empty() {
        return T::default();
    }
    let rank = (q * samples.len() as f64).ceil() as usize;
    samples[rank.clamp(1, samples.len()) - 1]
}

/// The warm-up: sequential plans on one connection, each of which must succeed.
fn warm_up(addr: &str, plan: &[u8]) {
    let mut client = Client::new(addr);
    for _ in 0..WARM_UP {
        match client.exchange(plan) {
            Ok((200, body)) if body.starts_with(b"{") => {}
            Ok((status, body)) => panic!(
                "warm-up plan answered {status}: {}",
                String::from_utf8_lossy(&body)
            ),
            Err(e) => panic!("warm-up plan failed: {e}"),
        }
    }
}

/// Whether the server and the state directory hold no environment after the load.
fn nothing_recorded(addr: &str, state: &Path) -> (bool, String) {
    let listed = Client::new(addr).exchange(&request("GET", "/api/v1/environments", addr, b""));
    let api_empty = matches!(&listed, Ok((200, body))
        if String::from_utf8_lossy(body).contains("\"environments\":[]"));
    let files = std::fs::read_dir(state.join("environments")).map_or(0, |d| d.count());
    let detail = match listed {
        Ok((status, body)) => format!(
            "GET /api/v1/environments {status} `{}`; {files} entries in the state's environments/",
            String::from_utf8_lossy(&body)
        ),
        Err(e) => format!("GET /api/v1/environments failed: {e}"),
    };
    (api_empty && files == 0, detail)
}

fn main() {
    // `cargo test --benches` would run this with `--bench` missing; do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rate = setting("IDP_BENCH_RATE", DEFAULT_RATE);
    let seconds = setting("IDP_BENCH_SECONDS", DEFAULT_SECONDS as f64);
    let total = (rate * seconds).round().max(1.0) as usize;
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("idp-bench-serve");
    std::fs::remove_dir_all(&root).ok();
    let spec = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(SPEC)).expect("spec");

    let server = Server::start(&root);
    let plan = request("POST", "/api/v1/plan", &server.addr, &spec);
    let cold = Instant::now();
    warm_up(&server.addr, &plan);
    let warm_up_time = cold.elapsed();
    let cpu_before = server.cpu();
    let started = Instant::now();
    let (outcomes, lag) = drive(&server.addr, &plan, rate, total);
    let elapsed = started.elapsed();
    let cpu = server.cpu().saturating_sub(cpu_before);
    let recorded = nothing_recorded(&server.addr, &root.join("state"));
    let run = Run {
        rate,
        seconds,
        outcomes,
        lag,
        elapsed,
        cpu,
        peak_mb: server.peak_mb(),
        warm_up: warm_up_time,
        server_ms: server.plan_ms().into_iter().skip(WARM_UP).collect(),
        recorded,
    };
    let report = run.render();
    print!("{report}");
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/idp-bench");
    std::fs::create_dir_all(&out).ok();
    std::fs::write(out.join("serve.md"), &report).ok();
    println!("\nreport written to target/idp-bench/serve.md");
}

/// What one load run measured.
struct Run {
    rate: f64,
    seconds: f64,
    outcomes: Vec<Outcome>,
    lag: Duration,
    elapsed: Duration,
    cpu: Duration,
    peak_mb: f64,
    warm_up: Duration,
    /// The server's own time for each plan it answered 200 during the load (its request
    /// log, whole milliseconds).
    server_ms: Vec<u64>,
    /// Whether nothing was recorded, and what was seen.
    recorded: (bool, String),
}

impl Run {
    fn render(&self) -> String {
        let mut latencies: Vec<Duration> = self
            .outcomes
            .iter()
            .filter_map(|o| match o {
                Outcome::Answered(d) => Some(*d),
                _ => None,
            })
            .collect();
        latencies.sort();
        let mut server_ms = self.server_ms.clone();
        server_ms.sort();
        let sent = self.outcomes.len();
        let answered = latencies.len();
        let errors: Vec<String> = self
            .outcomes
            .iter()
            .filter_map(|o| match o {
                Outcome::Answered(_) => None,
                Outcome::Status(s, body) => Some(format!("{s} `{body}`")),
                Outcome::Io(e) => Some(format!("I/O: {e}")),
            })
            .collect();
        let p99 = rank(&latencies, 0.99);
        let verdict = |ok: bool| if ok { "meets" } else { "MISSES" };
        let first_errors: String = errors.iter().take(5).map(|e| format!("- {e}\n")).collect();
        format!(
            "# idp serve load benchmark\n\n\
             `POST /api/v1/plan` with `{SPEC}` (template api-service) under `--config {CONFIG}` \
             (7 policies), release binary on 127.0.0.1, plugin isolation strict (a fresh plugin \
             instance per call, decision 0013). {WARM_UP} sequential warm-up plans ({} with the \
             first compile), then a fixed arrival rate, open loop over {CLIENTS} keep-alive \
             connections; latency from each request's scheduled send time to its last byte.\n\
             machine: {} cores (client and server on the same machine)\n\n\
             | rate | duration | sent | answered 2xx | errors | p50 | p90 | p99 | max |\n\
             |---|---|---|---|---|---|---|---|---|\n\
             | {:.0}/s | {:.0} s | {sent} | {answered} | {} | {} | {} | {} | {} |\n\n\
             - load lasted {:.1} s; largest delay between a schedule and its send: {}\n\
             - server: {:.2} s CPU over the load ({:.1} ms per plan, {:.2} cores busy on average), \
             peak RSS {:.0} MB; its request log shows {} plans answered 200, p50 {} ms, p99 {} ms, \
             max {} ms inside the server\n\
             - p99 ≤ {} on a warm server: {}\n\
             - no errors: {}\n\
             - nothing recorded (plan is read-only): {} ({})\n\
             {first_errors}",
            ms(self.warm_up),
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            self.rate,
            self.seconds,
            errors.len(),
            ms(rank(&latencies, 0.5)),
            ms(rank(&latencies, 0.9)),
            ms(p99),
            ms(latencies.last().copied().unwrap_or_default()),
            self.elapsed.as_secs_f64(),
            ms(self.lag),
            self.cpu.as_secs_f64(),
            self.cpu.as_secs_f64() * 1000.0 / sent.max(1) as f64,
            self.cpu.as_secs_f64() / self.elapsed.as_secs_f64(),
            self.peak_mb,
            server_ms.len(),
            rank(&server_ms, 0.5),
            rank(&server_ms, 0.99),
            server_ms.last().copied().unwrap_or_default(),
            ms(P99_TARGET),
            verdict(answered > 0 && p99 <= P99_TARGET),
            verdict(errors.is_empty() && answered == sent),
            verdict(self.recorded.0),
            self.recorded.1,
        )
    }
}
