//! The message loop: documents, debounce, requests.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::time::Instant;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::{
    CodeLensOptions, CodeLensParams, CompletionOptions, CompletionParams, CompletionResponse,
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    DidSaveTextDocumentParams, Hover, HoverContents, HoverParams, HoverProviderCapability,
    MarkupContent, MarkupKind, Position, PublishDiagnosticsParams, ServerCapabilities, ServerInfo,
    TextDocumentSyncCapability, TextDocumentSyncKind, Uri,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::analysis::{self, Analysis};
use crate::projects::Projects;
use crate::text::{LineIndex, apply_change};
use crate::{DEBOUNCE, LspError, Surroundings, scan, schema};

/// An open document.
struct Document {
    uri: Uri,
    path: PathBuf,
    text: String,
    /// When it is to be analysed again, if it changed since.
    due: Option<Instant>,
    /// The last analysis's code lenses.
    lenses: Vec<lsp_types::CodeLens>,
}

struct Server {
    connection: Connection,
    projects: Projects,
    documents: HashMap<String, Document>,
}

/// Serves one client on stdin and stdout until it says `exit` (or hangs up).
pub fn run_stdio(surroundings: Surroundings) -> Result<(), LspError> {
    let (connection, io) = Connection::stdio();
    run(connection, surroundings)?;
    drop(io.join());
    Ok(())
}

/// Serves one client on `connection`: the handshake, then messages until `exit`.
pub fn run(connection: Connection, surroundings: Surroundings) -> Result<(), LspError> {
    let capabilities = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(
            TextDocumentSyncKind::INCREMENTAL,
        )),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![" ".to_owned()]),
            ..CompletionOptions::default()
        }),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        code_lens_provider: Some(CodeLensOptions {
            resolve_provider: Some(false),
        }),
        ..ServerCapabilities::default()
    };
    let init = serde_json::json!({
        "capabilities": capabilities,
        "serverInfo": ServerInfo { name: "idp".to_owned(), version: Some(env!("CARGO_PKG_VERSION").to_owned()) },
    });
    let (id, _params) = connection.initialize_start()?;
    connection.initialize_finish(id, init)?;
    let mut server = Server {
        connection,
        projects: Projects::new(surroundings),
        documents: HashMap::new(),
    };
    server.main_loop()
}

impl Server {
    fn main_loop(&mut self) -> Result<(), LspError> {
        loop {
            let due = self.documents.values().filter_map(|d| d.due).min();
            let message = match due {
                Some(at) => {
                    let wait = at.saturating_duration_since(Instant::now());
                    match self.connection.receiver.recv_timeout(wait) {
                        Ok(m) => Some(m),
                        Err(crossbeam_channel::RecvTimeoutError::Timeout) => None,
                        Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return Ok(()),
                    }
                }
                None => match self.connection.receiver.recv() {
                    Ok(m) => Some(m),
                    Err(_) => return Ok(()),
                },
            };
            match message {
                None => self.analyse_due()?,
                Some(Message::Request(req)) => {
                    if self.connection.handle_shutdown(&req)? {
                        return Ok(());
                    }
                    self.request(req)?;
                }
                Some(Message::Notification(n)) if n.method == "exit" => return Ok(()),
                Some(Message::Notification(n)) => self.notification(n)?,
                Some(Message::Response(_)) => {}
            }
        }
    }

    fn send(&self, message: Message) -> Result<(), LspError> {
        self.connection
            .sender
            .send(message)
            .map_err(|e| LspError::Protocol(e.to_string()))
    }

    /// Analyses every document whose due time has come and publishes its diagnostics.
    fn analyse_due(&mut self) -> Result<(), LspError> {
        let now = Instant::now();
        let due: Vec<String> = self
            .documents
            .iter()
            .filter(|(_, d)| d.due.is_some_and(|t| t <= now))
            .map(|(k, _)| k.clone())
            .collect();
        for key in due {
            self.analyse(&key)?;
        }
        Ok(())
    }

    fn analyse(&mut self, key: &str) -> Result<(), LspError> {
        let Some(doc) = self.documents.get_mut(key) else {
            return Ok(());
        };
        doc.due = None;
        let projects = &mut self.projects;
        let analysis = catch_unwind(AssertUnwindSafe(|| {
            analysis::analyse(projects, &doc.path, &doc.text)
        }))
        .unwrap_or_else(|_| Analysis::default());
        doc.lenses = analysis.lenses;
        let params = PublishDiagnosticsParams {
            uri: doc.uri.clone(),
            diagnostics: analysis.diagnostics,
            version: None,
        };
        let note = Notification::new("textDocument/publishDiagnostics".to_owned(), params);
        self.send(note.into())
    }

    fn notification(&mut self, n: Notification) -> Result<(), LspError> {
        match n.method.as_str() {
            "textDocument/didOpen" => {
                let Some(p) = params::<DidOpenTextDocumentParams>(n.params) else {
                    return Ok(());
                };
                let doc = p.text_document;
                let key = doc.uri.as_str().to_owned();
                self.documents.insert(
                    key,
                    Document {
                        path: path_of(&doc.uri),
                        uri: doc.uri,
                        text: doc.text,
                        due: Some(Instant::now()),
                        lenses: Vec::new(),
                    },
                );
            }
            "textDocument/didChange" => {
                let Some(p) = params::<DidChangeTextDocumentParams>(n.params) else {
                    return Ok(());
                };
                if let Some(doc) = self.documents.get_mut(p.text_document.uri.as_str()) {
                    for change in p.content_changes {
                        apply_change(&mut doc.text, change.range, &change.text);
                    }
                    doc.due = Some(Instant::now() + DEBOUNCE);
                }
            }
            "textDocument/didSave" => {
                let Some(p) = params::<DidSaveTextDocumentParams>(n.params) else {
                    return Ok(());
                };
                // A saved idp.kdl changes what every open spec is judged by.
                let config = analysis::is_config(&path_of(&p.text_document.uri));
                for (key, doc) in &mut self.documents {
                    if config || key == p.text_document.uri.as_str() {
                        doc.due = Some(Instant::now());
                    }
                }
            }
            "textDocument/didClose" => {
                let Some(p) = params::<DidCloseTextDocumentParams>(n.params) else {
                    return Ok(());
                };
                if self
                    .documents
                    .remove(p.text_document.uri.as_str())
                    .is_some()
                {
                    let params = PublishDiagnosticsParams {
                        uri: p.text_document.uri,
                        diagnostics: Vec::new(),
                        version: None,
                    };
                    let note =
                        Notification::new("textDocument/publishDiagnostics".to_owned(), params);
                    self.send(note.into())?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn request(&mut self, req: Request) -> Result<(), LspError> {
        let id = req.id.clone();
        let answer = catch_unwind(AssertUnwindSafe(|| self.answer(req)));
        let response = match answer {
            Ok(Ok(value)) => Response::new_ok(id, value),
            Ok(Err((code, message))) => Response::new_err(id, code as i32, message),
            Err(_) => Response::new_err(
                id,
                ErrorCode::InternalError as i32,
                "the request failed inside idp (a bug): see the server's stderr".to_owned(),
            ),
        };
        self.send(response.into())
    }

    fn answer(&mut self, req: Request) -> Result<Value, (ErrorCode, String)> {
        match req.method.as_str() {
            "textDocument/completion" => {
                let p: CompletionParams = required(req.params)?;
                let at = p.text_document_position;
                let items = self.with_cursor(
                    at.text_document.uri.as_str(),
                    at.position,
                    |c, schema, templates, _| schema::complete(c, schema, templates),
                );
                Ok(
                    serde_json::to_value(CompletionResponse::Array(items.unwrap_or_default()))
                        .unwrap_or(Value::Null),
                )
            }
            "textDocument/hover" => {
                let p: HoverParams = required(req.params)?;
                let at = p.text_document_position_params;
                let text = self
                    .with_cursor(
                        at.text_document.uri.as_str(),
                        at.position,
                        |c, schema, _, word| schema::hover(c, word, schema),
                    )
                    .flatten();
                let hover = text.map(|value| Hover {
                    contents: HoverContents::Markup(MarkupContent {
                        kind: MarkupKind::Markdown,
                        value,
                    }),
                    range: None,
                });
                Ok(serde_json::to_value(hover).unwrap_or(Value::Null))
            }
            "textDocument/codeLens" => {
                let p: CodeLensParams = required(req.params)?;
                let key = p.text_document.uri.as_str();
                // A lens asked for before the debounce ran is computed now.
                if self.documents.get(key).is_some_and(|d| d.due.is_some()) {
                    self.analyse(key)
                        .map_err(|e| (ErrorCode::InternalError, e.to_string()))?;
                }
                let lenses = self.documents.get(key).map(|d| d.lenses.clone());
                Ok(serde_json::to_value(lenses.unwrap_or_default()).unwrap_or(Value::Null))
            }
            other => Err((
                ErrorCode::MethodNotFound,
                format!("`idp lsp` does not answer `{other}`"),
            )),
        }
    }

    /// Calls `f` with the outline at a position of an open document, the schema of its
    /// environment's template and the catalog's templates; `None` for a document that
    /// is not open or too large to be a spec.
    fn with_cursor<T>(
        &mut self,
        key: &str,
        position: Position,
        f: impl FnOnce(&scan::Cursor, Option<&Value>, &[(String, String)], &str) -> T,
    ) -> Option<T> {
        let doc = self.documents.get(key)?;
        if doc.text.len() > idp_spec::MAX_BYTES || analysis::is_config(&doc.path) {
            return None;
        }
        let offset = LineIndex::new(&doc.text).offset(position);
        let cursor = scan::cursor(&doc.text, offset);
        let word = doc
            .text
            .get(cursor.word.0..cursor.word.1)
            .unwrap_or("")
            .to_owned();
        let loaded = self.projects.for_document(&doc.path).ok();
        let (templates, schema) = match loaded {
            Some(l) => {
                let templates = l.templates();
                let schema = cursor
                    .template
                    .as_deref()
                    .and_then(|t| l.schema(t))
                    .cloned();
                (templates, schema)
            }
            None => (Vec::new(), None),
        };
        Some(f(&cursor, schema.as_ref(), &templates, &word))
    }
}

/// A notification's parameters; a malformed one is ignored (a notification has no answer).
fn params<T: DeserializeOwned>(value: Value) -> Option<T> {
    serde_json::from_value(value).ok()
}

/// A request's parameters; malformed ones are answered with `InvalidParams`.
fn required<T: DeserializeOwned>(value: Value) -> Result<T, (ErrorCode, String)> {
    serde_json::from_value(value).map_err(|e| (ErrorCode::InvalidParams, e.to_string()))
}

/// The file a `file:` URI names (percent-escapes decoded); another scheme (an unsaved
/// buffer) is taken as a file in the working directory, so the `idp.kdl` above it applies.
pub fn path_of(uri: &Uri) -> PathBuf {
    let s = uri.as_str();
    match s.strip_prefix("file://") {
        Some(rest) => {
            // `file://host/path`: the path starts at the first `/`.
            let path = &rest[rest.find('/').unwrap_or(rest.len())..];
            PathBuf::from(percent_decode(path))
        }
        None => {
            let cwd = std::env::current_dir().unwrap_or_default();
            let name = s.rsplit(['/', ':']).next().unwrap_or("untitled.kdl");
            cwd.join(percent_decode(name))
        }
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn file_uris_become_paths() {
        let uri = Uri::from_str("file:///tmp/my%20specs/env.kdl").expect("uri");
        assert_eq!(path_of(&uri), PathBuf::from("/tmp/my specs/env.kdl"));
        let uri = Uri::from_str("file://localhost/a/%E2%82%AC.kdl").expect("uri");
        assert_eq!(path_of(&uri), PathBuf::from("/a/€.kdl"));
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }
}
