use miette::Diagnostic;

/// Why the language server stopped before the client said `exit`.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum LspError {
    /// The connection broke or the client broke the protocol's handshake.
    #[error("the language server's connection failed: {0}")]
    #[diagnostic(
        code(idp::lsp::protocol),
        help(
            "`idp lsp` speaks the Language Server Protocol on stdin and stdout: start it from an editor's LSP client, not by hand"
        )
    )]
    Protocol(String),
}

impl From<lsp_server::ProtocolError> for LspError {
    fn from(e: lsp_server::ProtocolError) -> Self {
        LspError::Protocol(e.to_string())
    }
}

impl From<std::io::Error> for LspError {
    fn from(e: std::io::Error) -> Self {
        LspError::Protocol(e.to_string())
    }
}
