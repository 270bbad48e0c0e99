//! `idp serve`: the real binary listening on 127.0.0.1 in a sandbox project, spoken to
//! over HTTP/1.1 with a minimal client on `std::net::TcpStream` (no client library).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::Sandbox;

const CONFIG: &str = "examples/idp.kdl";

/// A running `idp serve`, stopped (SIGKILL) when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) addr: String,
    /// Everything it wrote on stderr so far.
    log: Arc<Mutex<Vec<String>>>,
}

/// An answer.
pub(crate) struct Answer {
    pub(crate) status: u16,
    headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// The body as an RFC 9457 problem: its media type and members, checked.
    pub(crate) fn problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status,
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json")
        );
        assert_eq!(self.header("x-content-type-options"), Some("nosniff"));
        let p = self.json();
        assert_eq!(p["status"], status);
        assert_eq!(p["code"], code);
        assert_eq!(p["type"], format!("urn:idp:problem:{code}"));
        assert!(p["title"].as_str().is_some_and(|t| !t.is_empty()), "{p}");
        assert!(p["detail"].as_str().is_some_and(|t| !t.is_empty()), "{p}");
        p
    }
}

impl Server {
    pub(crate) fn start(s: &Sandbox, extra: &[&str]) -> Server {
        let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        Server::spawn(s.command(&args))
    }

    /// Starts `idp serve` as `cmd` says and waits for its `listening on` line.
    pub(crate) fn spawn(mut cmd: std::process::Command) -> Server {
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("idp serve starts");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("listening on http://") {
                    let addr = rest
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    tx.send(addr).ok();
                }
                lines.lock().expect("log").push(line);
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(addr) => addr,
            Err(_) => {
                child.kill().ok();
                panic!("no `listening on` line: {:?}", log.lock().expect("log"));
            }
        };
        Server { child, addr, log }
    }

    pub(crate) fn log(&self) -> Vec<String> {
        self.log.lock().expect("log").clone()
    }

    /// Sends raw bytes and reads until the server closes the connection.
    fn raw(&self, request: &[u8]) -> Vec<u8> {
        let mut stream = TcpStream::connect(&self.addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .expect("timeout");
        stream.write_all(request).expect("send");
        let mut out = Vec::new();
        stream.read_to_end(&mut out).ok();
        out
    }

    pub(crate) fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Answer {
        let host = self.addr.clone();
        let mut all = vec![("Host", host.as_str())];
        all.extend_from_slice(headers);
        self.request_with_host(method, path, &all, body)
    }

    /// A request with exactly these headers (`Host` among them, or not).
    pub(crate) fn request_with_host(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Answer {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        parse(&self.raw(&bytes))
    }

    pub(crate) fn get(&self, path: &str) -> Answer {
        self.request("GET", path, &[], b"")
    }

    fn plan(&self, content_type: &str, body: &[u8]) -> Answer {
        self.plan_to("/api/v1/plan", content_type, body)
    }

    /// Posts a spec to `path` (plan or apply).
    pub(crate) fn plan_to(&self, path: &str, content_type: &str, body: &[u8]) -> Answer {
        self.request("POST", path, &[("Content-Type", content_type)], body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// An HTTP/1.1 response: status line, headers, and a body by length or chunked.
pub(crate) fn parse(bytes: &[u8]) -> Answer {
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end: {}", String::from_utf8_lossy(bytes)));
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let rest = &bytes[split + 4..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Answer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&rest[..eol]).trim(), 16)
            .expect("chunk size");
        if size == 0 {
            break;
        }
        body.extend_from_slice(&rest[eol + 2..eol + 2 + size]);
        rest = &rest[eol + 2 + size + 2..];
    }
    body
}

/// A sandbox with `hello-preview` applied (PENDING, recorded in the local state).
pub(crate) fn applied() -> Sandbox {
    let s = Sandbox::new();
    let run = s.idp(&["apply", "examples/hello.kdl", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    s
}

/// The audited changes of a history, one line each: what, by whom, how, from where, and
/// how it ended.
pub(crate) fn changes(history: &Value) -> Vec<String> {
    let text = |v: &Value| v.as_str().unwrap_or("-").to_owned();
    history["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["by"].is_object())
        .map(|e| {
            format!(
                "{} by {} via {} from {}: {}",
                text(&e["event"]),
                text(&e["by"]["subject"]),
                text(&e["by"]["via"]),
                text(&e["by"]["from"]),
                text(&e["outcome"])
            )
        })
        .collect()
}

pub(crate) fn spec(path: &str) -> Vec<u8> {
    std::fs::read(crate::harness::repo().join(path)).expect("spec")
}

#[test]
fn every_route_of_the_openapi_document_answers() {
    let s = applied();
    let server = Server::start(&s, &["--config", CONFIG]);
    let mut called: BTreeSet<(String, String)> = BTreeSet::new();
    let mut call = |method: &str, route: &str, answer: Answer| {
        called.insert((method.to_lowercase(), route.to_owned()));
        let ok = if method == "POST" && route == "/api/v1/environments" {
            201
        } else {
            200
        };
        assert_eq!(
            answer.status,
            ok,
            "{method} {route}: {}",
            String::from_utf8_lossy(&answer.body)
        );
        assert_eq!(answer.header("content-type"), Some("application/json"));
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(answer.header("cache-control"), Some("no-store"));
        answer.json()
    };

    let health = call("GET", "/healthz", server.get("/healthz"));
    assert_eq!(health["status"], "ok");

    let doc = call(
        "GET",
        "/api/v1/openapi.json",
        server.get("/api/v1/openapi.json"),
    );
    assert_eq!(doc["openapi"], "3.1.0");

    let templates = call(
        "GET",
        "/api/v1/catalog/templates",
        server.get("/api/v1/catalog/templates"),
    );
    let hello = templates["templates"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["name"] == "hello"))
        .expect("the hello template");
    assert_eq!(hello["source"], "built-in catalog");
    assert_eq!(hello["sha256"].as_str().map(str::len), Some(64));
    assert_eq!(hello["input_schema"]["type"], "object");

    let one = call(
        "GET",
        "/api/v1/catalog/templates/{name}",
        server.get("/api/v1/catalog/templates/api-service"),
    );
    assert_eq!(one["template"]["name"], "api-service");
    assert!(
        one["template"]["modules"]
            .as_array()
            .is_some_and(|m| !m.is_empty())
    );

    let policies = call(
        "GET",
        "/api/v1/catalog/policies",
        server.get("/api/v1/catalog/policies"),
    );
    let max_ttl = policies["policies"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == "max-ttl"))
        .expect("max-ttl");
    assert_eq!(max_ttl["enabled"], true);
    assert_eq!(max_ttl["enforcement"], "deny");
    assert!(
        max_ttl["rules"][0]["default_severity"].is_string(),
        "{max_ttl}"
    );
    assert_eq!(max_ttl["settings_schema"]["type"], "object");

    let plan = call(
        "POST",
        "/api/v1/plan",
        server.plan("application/kdl", &spec("examples/orders-preview.kdl")),
    );
    let env = &plan["environments"][0];
    assert_eq!(env["name"], "orders-preview");
    assert_eq!(env["expires_at"], "2026-11-30T10:00:00Z");
    assert_eq!(env["tags"]["idp:team"], "payments");
    assert!(
        env["cost"]["monthly"].as_f64().is_some_and(|m| m > 0.0),
        "{}",
        env["cost"]
    );
    assert!(env["plan_digest"].as_str().is_some_and(|d| !d.is_empty()));
    assert_eq!(plan["denied"], false);

    let list = call(
        "GET",
        "/api/v1/environments",
        server.get("/api/v1/environments?team=platform&limit=10"),
    );
    assert_eq!(list["environments"][0]["name"], "hello-preview");
    assert_eq!(list["environments"][0]["status"], "PENDING");
    assert_eq!(list["next_cursor"], Value::Null);

    let got = call(
        "GET",
        "/api/v1/environments/{name}",
        server.get("/api/v1/environments/hello-preview"),
    );
    assert_eq!(got["environment"]["template"], "hello");
    assert_eq!(got["environment"]["expired"], false);

    let applied = call(
        "POST",
        "/api/v1/environments",
        server.plan_to(
            "/api/v1/environments",
            "application/kdl",
            &spec("examples/orders-preview.kdl"),
        ),
    );
    assert_eq!(applied["environment"]["name"], "orders-preview");
    assert_eq!(applied["environment"]["status"], "PENDING");
    assert_eq!(
        crate::harness::record(&s, "orders-preview")["status"],
        "PENDING"
    );

    let extended = call(
        "POST",
        "/api/v1/environments/{name}/extend",
        server.request(
            "POST",
            "/api/v1/environments/hello-preview/extend",
            &[("Content-Type", "application/json")],
            br#"{"by": "1d"}"#,
        ),
    );
    assert_eq!(extended["extended"], true);
    assert_eq!(extended["expires_at"], "2026-11-25T10:00:00Z");

    let destroyed = call(
        "DELETE",
        "/api/v1/environments/{name}",
        server.request("DELETE", "/api/v1/environments/orders-preview", &[], b""),
    );
    assert_eq!(destroyed["environment"]["status"], "DESTROYED");

    let history = call(
        "GET",
        "/api/v1/environments/{name}/history",
        server.get("/api/v1/environments/orders-preview/history"),
    );
    let runs = call(
        "GET",
        "/api/v1/environments/{name}/runs",
        server.get("/api/v1/environments/orders-preview/runs"),
    );
    assert_eq!(
        runs["runs"],
        serde_json::json!([]),
        "the local executor runs nothing"
    );
    assert_eq!(runs["executor"], Value::Null);
    let events: Vec<&Value> = history["events"]
        .as_array()
        .expect("events")
        .iter()
        .collect();
    assert_eq!(events[0]["event"], "created");
    assert_eq!(events[0]["at"], "2026-11-23T10:00:00Z");
    assert_eq!(
        changes(&history),
        [
            "apply by local via local from 127.0.0.1: done",
            "destroy by local via local from 127.0.0.1: done",
        ],
        "who, what and from where: {history}"
    );

    // Approvals: plans requested with the CLI by alice under a configuration that puts
    // max-ttl under approval, decided by the server's local user.
    let approving = s.path().join("approving.kdl");
    std::fs::write(
        &approving,
        "policy max-ttl enforcement=\"approval\" {\n    preview \"12h\"\n}\n",
    )
    .expect("config");
    let approving = approving.display().to_string();
    for spec in ["examples/orders-preview.kdl", "examples/hello.kdl"] {
        let env = [
            ("IDP_CONFIG", approving.as_str()),
            ("IDP_REQUESTED_BY", "alice"),
        ];
        let run = s.run_with(&["apply", spec, "--yes"], &env);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let approver = Server::start(&s, &["--config", &approving]);
    let waiting = call(
        "GET",
        "/api/v1/approvals",
        approver.get("/api/v1/approvals"),
    );
    assert_eq!(
        waiting["approvals"].as_array().map(Vec::len),
        Some(2),
        "{waiting}"
    );
    let json = [("Content-Type", "application/json")];
    let approved = call(
        "POST",
        "/api/v1/approvals/{name}/approve",
        approver.request(
            "POST",
            "/api/v1/approvals/orders-preview/approve",
            &json,
            b"",
        ),
    );
    assert_eq!(approved["environment"]["status"], "PENDING");
    let rejected = call(
        "POST",
        "/api/v1/approvals/{name}/reject",
        approver.request(
            "POST",
            "/api/v1/approvals/hello-preview/reject",
            &json,
            br#"{"reason": "no"}"#,
        ),
    );
    assert_eq!(rejected["environment"]["status"], "DESTROYED");

    // An upgrade needs a catalog with two versions of a template (upgrade.rs walks one);
    // with the built-in catalog every environment is at the newest, and both routes say
    // so (orders-preview is PENDING again, approved above).
    server
        .get("/api/v1/environments/orders-preview/upgrade")
        .problem(409, "idp::server::already_at");
    server
        .request(
            "POST",
            "/api/v1/environments/orders-preview/upgrade",
            &json,
            br#"{"to": "0.1.0", "plan_digest": "sha256:0"}"#,
        )
        .problem(409, "idp::server::already_at");
    for method in ["get", "post"] {
        called.insert((method.into(), "/api/v1/environments/{name}/upgrade".into()));
    }

    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("path item")
                .keys()
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect();
    assert_eq!(
        documented, called,
        "every documented route is called, and only those"
    );
}

#[test]
fn changes_made_with_the_cli_are_in_the_history_too() {
    let s = applied();
    let extend = s.run_with(
        &["extend", "hello-preview", "1d"],
        &[("IDP_REQUESTED_BY", "bob@acme.io")],
    );
    assert_eq!(extend.code, 0, "{}", extend.stderr);
    let destroy = s.run_with(
        &["destroy", "hello-preview", "--yes"],
        &[("IDP_REQUESTED_BY", "bob@acme.io")],
    );
    assert_eq!(destroy.code, 0, "{}", destroy.stderr);
    let server = Server::start(&s, &["--config", CONFIG]);
    let history = server
        .get("/api/v1/environments/hello-preview/history")
        .json();
    // The sandbox clears the environment, so the apply's user is unknown.
    assert_eq!(
        changes(&history),
        [
            "apply by unknown via cli from -: done",
            "extend by bob@acme.io via cli from -: done",
            "destroy by bob@acme.io via cli from -: done",
        ],
        "{history}"
    );
}

#[test]
fn a_plan_with_a_bad_value_answers_422_with_the_diagnostics_the_cli_shows() {
    let s = Sandbox::new();
    let text = String::from_utf8(spec("examples/orders-preview.kdl"))
        .expect("utf-8")
        .replace("cpu 512", "cpu \"lots\"");
    let file = s.path().join("bad.kdl");
    std::fs::write(&file, &text).expect("write spec");
    let cli = s.idp(&[
        "plan",
        file.to_str().expect("path"),
        "--config",
        CONFIG,
        "--format",
        "json",
    ]);
    assert_eq!(cli.code, 2, "{}", cli.stderr);
    let cli: Value = serde_json::from_str(&cli.stdout).expect("CLI JSON");

    let server = Server::start(&s, &["--config", CONFIG]);
    let body = serde_json::to_vec(&serde_json::json!({ "kdl": text })).expect("json");
    let answer = server.plan("application/json", &body);
    let problem = answer.problem(422, "idp::spec::invalid");
    let strip = |list: &Value| -> Vec<Value> {
        list.as_array()
            .expect("list")
            .iter()
            .map(|d| {
                serde_json::json!([d["code"], d["line"], d["column"], d["message"], d["help"]])
            })
            .collect()
    };
    let diagnostics = strip(&problem["diagnostics"]);
    assert_eq!(diagnostics, strip(&cli["problems"]));
    assert!(
        diagnostics.iter().any(|d| d[1] == 14),
        "the cpu line: {diagnostics:?}"
    );
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("at line")),
        "{problem}"
    );
}

#[test]
fn hostile_requests_get_problems_not_crashes() {
    let s = Sandbox::new();
    let server = Server::start(&s, &[]);

    server
        .get("/nowhere")
        .problem(404, "idp::server::not_found");
    let wrong = server.request("DELETE", "/api/v1/plan", &[], b"");
    wrong.problem(405, "idp::server::method_not_allowed");
    assert_eq!(wrong.header("allow"), Some("POST"));
    server
        .plan("application/json", b"{\"kdl\": ")
        .problem(400, "idp::server::bad_json");
    server
        .plan("application/x-www-form-urlencoded", b"kdl=x")
        .problem(415, "idp::server::media_type");
    let huge = vec![b' '; 256 * 1024 + 1];
    server
        .plan("application/kdl", &huge)
        .problem(413, "idp::server::body_too_large");
    server
        .get("/api/v1/environments?limit=0")
        .problem(400, "idp::server::bad_query");
    server
        .get("/api/v1/environments?colour=red")
        .problem(400, "idp::server::bad_query");
    server
        .get("/api/v1/environments/nobody-here")
        .problem(404, "idp::state::unknown");
    server
        .get("/api/v1/catalog/templates/nothing")
        .problem(404, "idp::server::unknown_template");

    // Still serving after all of that.
    assert_eq!(server.get("/healthz").status, 200);
    // One line per request, and query values never reach the log.
    let log = server.log().join("\n");
    assert!(
        log.contains("GET /api/v1/environments?colour 400 "),
        "{log}"
    );
    assert!(!log.contains("red"), "{log}");
    assert!(log.contains("POST /api/v1/plan 413 "), "{log}");
}

#[test]
fn a_slow_client_is_cut_off() {
    let s = Sandbox::new();
    let server = Server::start(&s, &["--read-timeout", "1"]);
    let started = Instant::now();
    // Headers never finished: the connection is closed without an answer.
    let cut = server.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(!String::from_utf8_lossy(&cut).contains("200 OK"));
    // A body announced and not sent: 408.
    let answer = parse(&server.raw(
        b"POST /api/v1/plan HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/kdl\r\nContent-Length: 100\r\n\r\nenv",
    ));
    answer.problem(408, "idp::server::body_timeout");
}

#[test]
fn a_non_loopback_address_is_refused_for_want_of_authentication() {
    let s = Sandbox::new();
    let run = s.idp(&["serve", "--listen", "0.0.0.0:8080"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let err = run.flat_stderr();
    assert!(err.contains("idp::server::not_loopback"), "{err}");
    assert!(
        err.contains("refusing to listen on `0.0.0.0:8080`"),
        "{err}"
    );
    assert!(err.contains("no authentication"), "{err}");
    let help = s.idp(&["serve", "--help"]);
    assert!(
        help.stdout.contains("Without authentication"),
        "{}",
        help.stdout
    );
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let s = Sandbox::new();
    let mut server = Server::start(&s, &[]);
    assert_eq!(server.get("/healthz").status, 200);
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = server.child.wait().expect("exits");
    assert_eq!(status.code(), Some(0));
    // The reader thread may still be draining the pipe.
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        server.log().iter().any(|l| l.starts_with("stopping")),
        "{:?}",
        server.log()
    );
}

#[test]
fn a_denied_plan_is_a_plan_with_each_finding_at_its_line() {
    let s = Sandbox::new();
    let server = Server::start(&s, &["--config", CONFIG]);
    let text = String::from_utf8(spec("examples/orders-preview.kdl"))
        .expect("utf-8")
        .replace("ttl \"7d\"", "ttl \"30d\"");
    let plan = server.plan("text/plain; charset=utf-8", text.as_bytes());
    assert_eq!(plan.status, 200, "{}", String::from_utf8_lossy(&plan.body));
    let plan = plan.json();
    assert_eq!(plan["denied"], true);
    let findings = plan["environments"][0]["findings"]
        .as_array()
        .expect("findings");
    let ttl = findings
        .iter()
        .find(|f| f["rule"] == "ttl-above-maximum")
        .unwrap_or_else(|| panic!("the max-ttl finding: {findings:?}"));
    assert_eq!(ttl["severity"], "deny");
    assert_eq!(ttl["pointer"], "/ttl");
    assert_eq!(
        (ttl["line"].as_u64(), ttl["column"].as_u64()),
        (Some(8), Some(9))
    );
}

#[test]
fn plans_stuck_in_a_plugin_do_not_stall_other_requests() {
    let s = Sandbox::new();
    let component = crate::hostile::component("loop.wat", "0.1.0");
    let spec = crate::hostile::project(&s, "hostile-loop", &component);
    let config = spec.with_file_name("idp.kdl");
    let mut cmd = s.command(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--config",
        config.to_str().expect("path"),
    ]);
    cmd.env("IDP_PLUGIN_TIMEOUT_MS", "2000");
    let server = Server::spawn(cmd);
    let body = std::fs::read(&spec).expect("spec");
    // More stuck plans than the server has cores: run on the async threads, they would
    // hold every one of them.
    let stuck = std::thread::available_parallelism().map_or(2, |n| n.get()) + 1;
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..stuck {
            let tx = tx.clone();
            let (server, body) = (&server, &body);
            scope.spawn(move || {
                tx.send(("plan", server.plan("application/kdl", body))).ok();
            });
        }
        // Time for the plans to reach their plugin, far less than its 2 s deadline.
        std::thread::sleep(Duration::from_millis(500));
        tx.send(("health", server.get("/healthz"))).ok();
    });
    let (first, health) = rx.recv().expect("an answer");
    assert_eq!(first, "health", "/healthz waited for the stuck plans");
    assert_eq!(health.status, 200);
    for _ in 0..stuck {
        let (_, plan) = rx.recv().expect("a plan's answer");
        let problem = plan.problem(500, "idp::host::timeout");
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|d| d.contains("did not finish within 2s")),
            "{problem}"
        );
    }
}

/// The validator `.ci/run` installs (`IDP_TEST_OPENAPI_VALIDATOR`), else one on PATH;
/// `None` on a laptop without it, a failure under CI.
fn openapi_validator() -> Option<std::path::PathBuf> {
    let found = std::env::var_os("IDP_TEST_OPENAPI_VALIDATOR")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::split_paths(&std::env::var_os("PATH")?)
                .map(|d| d.join("openapi-spec-validator"))
                .find(|p| p.is_file())
        });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs openapi-spec-validator (.ci/run installs it and sets IDP_TEST_OPENAPI_VALIDATOR)"
        );
        eprintln!(
            "skipped: openapi-spec-validator is not installed (pip install openapi-spec-validator)"
        );
    }
    found
}

/// Runs the validator on `doc` as OpenAPI 3.1: its verdict and what it printed.
fn validate_openapi(
    validator: &std::path::Path,
    dir: &std::path::Path,
    doc: &Value,
) -> (bool, String) {
    let file = dir.join("openapi.json");
    std::fs::write(&file, serde_json::to_vec_pretty(doc).expect("JSON")).expect("write");
    let out = std::process::Command::new(validator)
        .args(["--schema", "3.1"])
        .arg(&file)
        .output()
        .expect("openapi-spec-validator runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

#[test]
fn the_openapi_document_validates_as_openapi_3_1() {
    let Some(validator) = openapi_validator() else {
        return;
    };
    let s = Sandbox::new();
    let server = Server::start(&s, &["--config", CONFIG]);
    let doc = server.get("/api/v1/openapi.json").json();
    let (valid, said) = validate_openapi(&validator, s.path(), &doc);
    assert!(valid, "{said}");
    // The validator is not a yes-man: the same document with a response that is not
    // an object is refused.
    let mut broken = doc.clone();
    broken["paths"]["/healthz"]["get"]["responses"]["200"] = Value::from(7);
    let (valid, said) = validate_openapi(&validator, s.path(), &broken);
    assert!(!valid, "{said}");
}
