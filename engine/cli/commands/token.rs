//! `idp token create|list|revoke`: the API tokens `idp serve` accepts, kept hashed in
//! the state directory the server reads (`idp_server::TokenStore`). Whoever can write
//! that directory is an admin of the server already; the command is theirs.

use std::path::Path;

use idp_config::Role;
use idp_server::TokenStore;
use serde_json::json;

use crate::args::{Format, TokenCommand, TokenRole};
use crate::context;
use crate::outcome::Outcome;
use crate::ui::{self, CliError};

impl From<idp_server::TokenError> for CliError {
    fn from(e: idp_server::TokenError) -> Self {
        if e.is_input() {
            CliError::input(e)
        } else {
            CliError::plugin(e)
        }
    }
}

pub fn run(config: Option<&Path>, command: TokenCommand) -> Result<Outcome, CliError> {
    let store = store(config)?;
    match command {
        TokenCommand::Create { name, role, team } => {
            let now = context::clock()?.now();
            let token = store.create(&name, role_of(role), team.as_deref(), now)?;
            println!("{token}");
            eprintln!(
                "created token `{name}`; it is shown only now (idp keeps its SHA-256 in `{}`)",
                store.path().display()
            );
        }
        TokenCommand::List { format } => list(&store, format)?,
        TokenCommand::Revoke { name } => {
            store.revoke(&name, context::clock()?.now())?;
            eprintln!("revoked token `{name}`: requests with it are refused from now on");
        }
    }
    Ok(Outcome::Clean)
}

fn list(store: &TokenStore, format: Format) -> Result<(), CliError> {
    let tokens = store.list()?;
    match format {
        Format::Json => ui::print_json(&json!({
            "version": idp_report::JSON_VERSION,
            "tokens": tokens.iter().map(|t| json!({
                "name": t.name,
                "role": t.role,
                "team": t.team,
                "created_at": t.created_at,
                "revoked_at": t.revoked_at,
            })).collect::<Vec<_>>(),
        })),
        Format::Human if tokens.is_empty() => {
            eprintln!("no tokens in `{}`", store.path().display())
        }
        Format::Human => {
            for t in &tokens {
                let revoked = t
                    .revoked_at
                    .map_or_else(String::new, |at| format!("  revoked {at}"));
                println!(
                    "{:<24} {:<10} {:<16} created {}{revoked}",
                    t.name,
                    t.role,
                    t.team.as_deref().unwrap_or("(every team)"),
                    t.created_at
                );
            }
        }
    }
    Ok(())
}

/// The tokens of the record store `idp serve` would use here: `IDP_STATE_DIR`, else the
/// configured one (S3 too), else `.idp` here (as `idp serve` without an `idp.kdl`).
fn store(config: Option<&Path>) -> Result<TokenStore, CliError> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let configured = config.is_some()
        || std::env::var_os("IDP_STATE_DIR").is_some()
        || idp_config::discover(&cwd).is_ok();
    let records: std::sync::Arc<dyn idp_state::RecordStore> = if configured {
        context::records_only(config)?
    } else {
        std::sync::Arc::new(idp_state::StateStore::new(cwd.join(".idp")))
    };
    Ok(TokenStore::new(records))
}

fn role_of(role: TokenRole) -> Role {
    match role {
        TokenRole::Viewer => Role::Viewer,
        TokenRole::Developer => Role::Developer,
        TokenRole::Approver => Role::Approver,
        TokenRole::Admin => Role::Admin,
    }
}
