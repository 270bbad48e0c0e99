//! `idp lsp` driven as an editor drives it: JSON-RPC with `Content-Length` framing over
//! the real binary's stdin and stdout, and once through Neovim itself.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::{Sandbox, repo};

/// A language client over a child's pipes.
struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
    /// Notifications read while waiting for something else.
    seen: Vec<Value>,
}

/// How long one answer may take: the first plan of a debug build compiles plugins.
const PATIENCE: Duration = Duration::from_secs(120);

impl Client {
    fn start(sandbox: &Sandbox) -> Client {
        let mut child = sandbox
            .command(&["lsp"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("idp lsp starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        Client {
            child,
            stdin,
            messages,
            next_id: 0,
            seen: Vec::new(),
        }
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and waits for its response (the whole response object).
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait(|m| m["id"] == json!(id) && m.get("method").is_none())
    }

    /// Waits for a message matching `pred`, keeping the others.
    fn wait(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.messages.recv_timeout(left) {
                Ok(m) if pred(&m) => return m,
                Ok(m) => self.seen.push(m),
                Err(RecvTimeoutError::Timeout) => panic!("no such message; seen {:#?}", self.seen),
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("idp lsp hung up; seen {:#?}", self.seen)
                }
            }
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let m = self.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        m["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn initialize(&mut self) -> Value {
        let root = format!("file://{}", repo().display());
        let init = self.request(
            "initialize",
            json!({"processId": null, "rootUri": root, "capabilities": {}}),
        );
        self.notify("initialized", json!({}));
        init
    }

    /// `shutdown` then `exit`: the server answers, then ends with 0.
    fn shutdown(mut self) {
        let r = self.request("shutdown", Value::Null);
        assert_eq!(r["result"], Value::Null, "{r}");
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                assert!(status.success(), "{status}");
                return;
            }
            assert!(Instant::now() < deadline, "idp lsp did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The example spec as an editor would have it open, under `examples/` so its
/// `idp.kdl` applies: a TTL past what `max-ttl` allows a preview, and a `cost-center`
/// tag missing, both on lines the test names.
fn example() -> (PathBuf, String) {
    let text = std::fs::read_to_string(repo().join("examples/orders-preview.kdl"))
        .expect("example")
        .replace("ttl \"7d\"", "ttl \"30d\"")
        .replace("        cost-center engineering\n", "");
    (repo().join("examples/lsp-session.kdl"), text)
}

fn codes(diagnostics: &[Value]) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = diagnostics
        .iter()
        .map(|d| {
            let code = d["code"].as_str().unwrap_or_default().to_owned();
            (
                code,
                d["range"]["start"]["line"].as_u64().unwrap_or(u64::MAX),
            )
        })
        .collect();
    out.sort();
    out
}

fn labels(response: &Value) -> Vec<String> {
    response["result"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["label"].as_str().map(str::to_owned))
        .collect()
}

fn position(text: &str, needle: &str) -> Value {
    let at = text.find(needle).expect("needle");
    let line = text[..at].matches('\n').count();
    let col = at - text[..at].rfind('\n').map_or(0, |n| n + 1);
    json!({"line": line, "character": col})
}

#[test]
fn lsp_session_diagnostics_completion_hover_cost_and_shutdown() {
    let sandbox = Sandbox::new();
    let mut client = Client::start(&sandbox);
    let init = client.initialize();
    assert_eq!(init["result"]["serverInfo"]["name"], "idp", "{init}");
    let caps = &init["result"]["capabilities"];
    assert_eq!(caps["hoverProvider"], true, "{caps}");
    assert_eq!(caps["textDocumentSync"], 2, "incremental: {caps}");

    let (path, text) = example();
    let doc = uri(&path);
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": doc, "languageId": "kdl", "version": 1, "text": text}}),
    );
    let diagnostics = client.diagnostics(&doc);
    insta::assert_snapshot!(
        "lsp_open_diagnostics",
        format!("{:#?}", codes(&diagnostics))
    );
    let ttl = diagnostics
        .iter()
        .find(|d| d["code"].as_str().is_some_and(|c| c.contains("max-ttl")))
        .expect("the max-ttl finding");
    assert_eq!(ttl["range"]["start"], position(&text, "\"30d\""), "{ttl}");
    assert_eq!(ttl["source"], "idp");

    // Typing the TTL back (incremental, UTF-16 positions) clears its finding.
    let start = position(&text, "30d");
    let end =
        json!({"line": start["line"], "character": start["character"].as_u64().unwrap_or(0) + 3});
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": doc, "version": 2},
               "contentChanges": [{"range": {"start": start, "end": end}, "text": "7d"}]}),
    );
    let after = client.diagnostics(&doc);
    assert!(
        !codes(&after).iter().any(|(c, _)| c.contains("max-ttl")),
        "{after:#?}"
    );
    assert!(!after.is_empty(), "the missing tag is still reported");
    let text = text.replace("\"30d\"", "\"7d\"");

    // Node names inside `service { }` come from api-service's schema.
    let inside = position(&text, "        cpu 512");
    let completion = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": doc}, "position": inside}),
    );
    let names = labels(&completion);
    for expected in [
        "image",
        "cpu",
        "memory",
        "port",
        "desired-count",
        "health-check",
    ] {
        assert!(
            names.contains(&expected.to_owned()),
            "{expected} in {names:?}"
        );
    }
    // And the templates of the catalog after `template `.
    let after_template = position(&text, "api-service");
    let completion = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": doc}, "position": after_template}),
    );
    assert!(
        labels(&completion).contains(&"api-service".to_owned()),
        "{completion}"
    );

    let on_cpu = position(&text, "cpu 512");
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": doc}, "position": on_cpu}),
    );
    let shown = hover["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    insta::assert_snapshot!("lsp_hover_cpu", shown);

    let lenses = client.request(
        "textDocument/codeLens",
        json!({"textDocument": {"uri": doc}}),
    );
    let title = lenses["result"][0]["command"]["title"]
        .as_str()
        .unwrap_or_default();
    assert!(
        title.starts_with("idp: ") && title.contains(" a month"),
        "{lenses}"
    );
    assert_eq!(
        lenses["result"][0]["range"]["start"],
        position(&text, "orders-preview {")
    );

    // idp.kdl as it is being typed: an unknown policy and a bad setting, at their lines.
    let config_path = repo().join("examples/idp.kdl");
    let config = std::fs::read_to_string(&config_path)
        .expect("idp.kdl")
        .replace("policy naming", "policy namin")
        .replace("preview \"14d\"", "preview 14");
    let config_uri = uri(&config_path);
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": config_uri, "languageId": "kdl", "version": 1, "text": config}}),
    );
    let found = client.diagnostics(&config_uri);
    insta::assert_snapshot!("lsp_config_diagnostics", format!("{:#?}", codes(&found)));
    let unknown = found
        .iter()
        .find(|d| d["code"] == "idp::config::unknown_policy")
        .expect("the unknown policy");
    assert_eq!(
        unknown["range"]["start"],
        position(&config, "namin\n"),
        "{unknown}"
    );

    client.shutdown();
}

#[test]
fn lsp_survives_hostile_documents_and_requests() {
    let sandbox = Sandbox::new();
    let mut client = Client::start(&sandbox);
    client.initialize();
    let dir = repo().join("examples");

    // Nested past the parser's limit, and larger than a spec may be: reported, not fatal.
    let deep = format!("environment x {{\n{}", "a {".repeat(5_000));
    let huge = format!("environment y {{\n// {}\n}}\n", "x".repeat(2 << 20));
    for (name, text) in [("deep.kdl", deep), ("huge.kdl", huge)] {
        let doc = uri(&dir.join(name));
        client.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": doc, "languageId": "kdl", "version": 1, "text": text}}),
        );
        let diagnostics = client.diagnostics(&doc);
        assert!(!diagnostics.is_empty(), "{name}: {diagnostics:?}");
        // Positions past the end and inside nothing: an answer, not a crash.
        for position in [
            json!({"line": 4_000_000_000u32, "character": 4_000_000_000u32}),
            json!({"line": 1, "character": 3_999}),
        ] {
            let r = client.request(
                "textDocument/completion",
                json!({"textDocument": {"uri": doc}, "position": position}),
            );
            assert!(r.get("error").is_none(), "{r}");
        }
    }

    // A change whose range is reversed and past the end, then a surrogate pair split.
    let (path, text) = example();
    let doc = uri(&path);
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": doc, "languageId": "kdl", "version": 1,
               "text": format!("// 𝄞𝄞\n{text}")}}),
    );
    client.diagnostics(&doc);
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": doc, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 0, "character": 4}, "end": {"line": 0, "character": 3}}, "text": "x"},
            {"range": {"start": {"line": 900, "character": 0}, "end": {"line": 0, "character": 0}}, "text": ""}
        ]}),
    );
    client.diagnostics(&doc);
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": doc}, "position": {"line": 0, "character": 4}}),
    );
    assert!(hover.get("error").is_none(), "{hover}");

    // Malformed parameters and unknown methods are answered with errors.
    let bad = client.request("textDocument/hover", json!({"textDocument": 7}));
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
    let unknown = client.request("textDocument/rename", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");

    client.shutdown();
}

/// Neovim 0.7.2 from Debian attaches `idp lsp` with `vim.lsp.start_client` (0.7 has no
/// `vim.lsp.start`) to the example spec and reads back what `vim.diagnostic` holds.
#[test]
fn lsp_in_neovim_shows_the_diagnostics() {
    if which("nvim").is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs nvim on PATH (`apt-get install neovim`, as .ci/run does)"
        );
        eprintln!(
            "SKIPPED lsp_in_neovim_shows_the_diagnostics: nvim is not on PATH (apt-get install neovim)"
        );
        return;
    }
    let sandbox = Sandbox::new();
    let (_, text) = example();
    let spec = sandbox.path().join("project/env.kdl");
    std::fs::create_dir_all(spec.parent().expect("dir")).expect("mkdir");
    std::fs::write(&spec, &text).expect("spec");
    std::fs::copy(
        repo().join("examples/idp.kdl"),
        sandbox.path().join("project/idp.kdl"),
    )
    .expect("idp.kdl");
    let out = sandbox.path().join("diagnostics.txt");
    let script = sandbox.path().join("attach.lua");
    std::fs::write(
        &script,
        NVIM_SCRIPT
            .replace("@IDP@", env!("CARGO_BIN_EXE_idp"))
            .replace("@OUT@", &out.display().to_string()),
    )
    .expect("script");
    let run = sandbox
        .command_of(
            Path::new("nvim"),
            &[
                "--headless",
                "--clean",
                "-n",
                "-c",
                &format!("luafile {}", script.display()),
                &spec.display().to_string(),
            ],
        )
        .current_dir(sandbox.path())
        .output()
        .expect("nvim runs");
    let shown = std::fs::read_to_string(&out).unwrap_or_else(|_| {
        panic!(
            "nvim wrote nothing: {}\n{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        )
    });
    insta::assert_snapshot!("lsp_neovim_diagnostics", shown);
}

const NVIM_SCRIPT: &str = r#"
-- Run after the file is loaded: attach idp lsp, wait for its diagnostics, write them.
vim.cmd('edit')
local buf = vim.api.nvim_get_current_buf()
local client = vim.lsp.start_client({
  name = 'idp',
  cmd = { '@IDP@', 'lsp' },
  root_dir = vim.fn.getcwd(),
})
vim.lsp.buf_attach_client(buf, client)
local ok = vim.wait(120000, function() return #vim.diagnostic.get(buf) > 0 end, 100)
local lines = {}
if not ok then table.insert(lines, 'timed out') end
local all = vim.diagnostic.get(buf)
table.sort(all, function(a, b) return a.lnum < b.lnum or (a.lnum == b.lnum and a.col < b.col) end)
for _, d in ipairs(all) do
  table.insert(lines, string.format('%d:%d %s [%s] %s', d.lnum + 1, d.col + 1, d.source or '', d.code or d.user_data and d.user_data.lsp and d.user_data.lsp.code or '', vim.split(d.message, '\n')[1]))
end
vim.fn.writefile(lines, '@OUT@')
vim.lsp.stop_client(client)
vim.wait(2000, function() return vim.lsp.client_is_stopped(client) end, 50)
vim.cmd('qa!')
"#;

fn which(tool: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
}
