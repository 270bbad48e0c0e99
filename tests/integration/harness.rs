//! A sandbox per test: its own HOME, XDG dirs, state and compile cache, a pinned clock
//! and no colour, so output is the same on every machine.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The clock every test runs at.
pub const NOW: &str = "2026-11-23T10:00:00Z";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stderr with miette's line wrapping undone, for checks on whole messages.
    pub fn flat_stderr(&self) -> String {
        let mut out = String::new();
        for line in self.stderr.lines() {
            let trimmed = line.trim_start();
            let continued = trimmed.strip_prefix("│ ").filter(|_| !out.is_empty());
            match continued {
                Some(rest) => {
                    // miette breaks lines at spaces (which it drops) and after `/` or `-`.
                    if !out.ends_with('/') && !out.ends_with('-') {
                        out.push(' ');
                    }
                    out.push_str(rest);
                }
                None if line.starts_with("        ") && !out.is_empty() => {
                    out.push(' ');
                    out.push_str(trimmed);
                }
                None => {
                    out.push('\n');
                    out.push_str(line);
                }
            }
        }
        out
    }
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn state(&self) -> PathBuf {
        self.path().join("state")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        self.command_of(Path::new(env!("CARGO_BIN_EXE_idp")), args)
    }

    /// [`command`](Self::command) running another copy of idp.
    pub fn command_of(&self, idp: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(idp);
        cmd.args(args)
            .current_dir(repo())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path().join("home"))
            .env("XDG_CACHE_HOME", self.path().join("xdg-cache"))
            .env("XDG_CONFIG_HOME", self.path().join("xdg-config"))
            .env("IDP_STATE_DIR", self.state())
            // Shared across tests: entries are content-addressed and written atomically, so
            // sharing is safe, and it spares each test a cold compile in a debug build.
            .env(
                "IDP_CACHE_DIR",
                PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("idp-compile-cache"),
            )
            // The key that vouches for the shared cache's files lives outside it; shared
            // too, or every test would reject the others' files and recompile.
            .env(
                "XDG_DATA_HOME",
                PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("idp-data"),
            )
            .env("IDP_NOW", NOW)
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null());
        cmd
    }

    pub fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = self.command(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let Output {
            status,
            stdout,
            stderr,
        } = cmd.output().expect("idp runs");
        Run {
            code: status.code().unwrap_or(-1),
            stdout: self.clean(&String::from_utf8_lossy(&stdout)),
            stderr: self.clean(&String::from_utf8_lossy(&stderr)),
        }
    }

    pub fn idp(&self, args: &[&str]) -> Run {
        self.run_with(args, &[])
    }

    /// Replaces the temporary and repository paths, which differ per run and clone.
    pub fn clean(&self, text: &str) -> String {
        text.replace(&self.path().display().to_string(), "[SANDBOX]")
            .replace(&repo().display().to_string(), "[REPO]")
    }
}

/// The target directory every guest build in the tests shares with CI's and the
/// example's, so `std` for wasm32 is compiled once.
pub fn guest_target() -> PathBuf {
    repo().join("target/guest")
}

/// What a child that builds guests needs besides the sandbox: the shared target
/// directory, and the real cargo and rustup homes (the sandbox's `HOME` has neither, so
/// the registry cache and the linker's toolchain would be missing).
pub fn guest_env() -> Vec<(String, String)> {
    let home = std::env::var("HOME").unwrap_or_default();
    let var = |name: &str, default: String| std::env::var(name).unwrap_or(default);
    vec![
        (
            "CARGO_TARGET_DIR".into(),
            guest_target().display().to_string(),
        ),
        (
            "CARGO_HOME".into(),
            var("CARGO_HOME", format!("{home}/.cargo")),
        ),
        (
            "RUSTUP_HOME".into(),
            var("RUSTUP_HOME", format!("{home}/.rustup")),
        ),
    ]
}

impl Sandbox {
    /// Runs idp with [`guest_env`] and `env`: for commands that build guests.
    pub fn idp_guest(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let guest = guest_env();
        let mut all: Vec<(&str, &str)> = guest
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        all.extend_from_slice(env);
        self.run_with(args, &all)
    }
}

/// A component made from a core module in WebAssembly text and the `world` of the WIT
/// package in `wit`: how the tests build plugins no SDK would (hostile, or for another
/// contract version).
pub fn wat_component(wat: &str, wit: &Path, world: &str) -> Vec<u8> {
    let mut module = wat::parse_str(wat).expect("valid WAT");
    let mut resolve = wit_parser::Resolve::default();
    let (pkg, _) = resolve.push_dir(wit).expect("WIT parses");
    let world = resolve
        .select_world(&[pkg], Some(world))
        .expect("the world");
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
        false,
    )
    .expect("metadata");
    wit_component::ComponentEncoder::default()
        .module(&module)
        .and_then(|e| e.validate(true).encode())
        .expect("component")
}

/// Every file under a directory, for "nothing changed on disk" checks.
pub fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap_or(&p).display().to_string());
            }
        }
    }
    out.sort();
    out
}

/// An environment's `metadata.json` in the sandbox's state.
pub fn record(s: &Sandbox, name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(
        s.state()
            .join("environments")
            .join(name)
            .join("metadata.json"),
    )
    .expect("metadata.json");
    serde_json::from_str(&text).expect("record is JSON")
}

/// moto's S3 server on a free port of 127.0.0.1, stopped when dropped.
pub struct Moto {
    child: std::process::Child,
    pub url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Moto {
    /// Starts `moto_server` (`IDP_TEST_MOTO_SERVER`, else on PATH). `None` on a laptop
    /// without it; under CI, which installs it, its absence fails the test.
    pub fn start() -> Option<Moto> {
        let binary = std::env::var_os("IDP_TEST_MOTO_SERVER")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::split_paths(&std::env::var_os("PATH")?)
                    .map(|d| d.join("moto_server"))
                    .find(|p| p.is_file())
            });
        let Some(binary) = binary else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI needs moto_server (.ci/run installs it and sets IDP_TEST_MOTO_SERVER)"
            );
            eprintln!("skipped: moto_server is not installed (pip install 'moto[server]')");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(&binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let moto = Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "moto_server did not listen"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Some(moto)
    }

    /// Creates the DynamoDB table OpenTofu's S3 backend locks state with.
    pub fn dynamodb_create_lock_table(&self, name: &str) -> (u16, String) {
        let body = serde_json::json!({
            "TableName": name,
            "AttributeDefinitions": [{"AttributeName": "LockID", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "LockID", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        })
        .to_string();
        self.send(
            "POST",
            "/",
            "dynamodb",
            &[
                ("X-Amz-Target", "DynamoDB_20120810.CreateTable"),
                ("Content-Type", "application/x-amz-json-1.0"),
            ],
            &body,
        )
    }

    /// Sends one S3 request as a known key (moto checks who asks, not the signature)
    /// and returns status and body.
    pub fn request(&self, method: &str, path: &str) -> (u16, String) {
        self.send(method, path, "s3", &[], "")
    }

    /// Puts an object as [`Moto::request`] asks, with `body`, as someone with write
    /// access to the bucket (not idp) would.
    pub fn put(&self, path: &str, body: &str) -> (u16, String) {
        self.send("PUT", path, "s3", &[], body)
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        service: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String) {
        use std::io::{Read, Write};
        let address = self.url.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(address).expect("connect to moto");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\nConnection: close\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=AKIDLOCALTEST/20261123/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0\r\n",
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).expect("send");
        stream.write_all(body.as_bytes()).expect("send");
        let mut text = String::new();
        stream.read_to_string(&mut text).expect("read");
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b)
            .unwrap_or_default();
        (status, body.to_owned())
    }
}
