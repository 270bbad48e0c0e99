//! API tokens for scripts: `idp token create|list|revoke` writes them, the server reads
//! them on every request (so a revocation counts at once).
//!
//! A token is `idp_` and 64 hex digits: 256 bits from the system's random source. Only
//! its SHA-256 is kept, in the record store's document `tokens.json` (the local state
//! directory, or `_idp/tokens.json` under the records' prefix in S3, so every replica of
//! `idp serve` reads the same tokens), so the store never holds what a request sends; the token itself is shown once, when
//! created. A presented token is hashed and compared with every kept digest in constant
//! time, so neither the answer's time nor its order says how much of a digest matched.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use idp_config::Role;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::TokenError;

/// The document that keeps them, in the record store.
pub const TOKENS_FILE: &str = idp_state::TOKENS_DOCUMENT;

/// Writers that change the tokens at the same moment retry this many times.
const RETRIES: usize = 8;

/// What a token is.
const PREFIX: &str = "idp_";

/// One kept token: never the token, only its digest and what it may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenEntry {
    /// Its name (who or what uses it: `ci-payments`).
    pub name: String,
    /// `sha256:` and the hex digest of the token.
    pub sha256: String,
    /// The role it acts with.
    pub role: String,
    /// The team a developer or viewer token is limited to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// When it was made.
    pub created_at: jiff::Timestamp,
    /// When it was revoked; a revoked token is refused and kept for the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<jiff::Timestamp>,
}

impl TokenEntry {
    /// Its role, when the file names one idp knows.
    pub fn role(&self) -> Option<Role> {
        Role::parse(&self.role)
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct TokenFile {
    version: u32,
    tokens: Vec<TokenEntry>,
}

/// The tokens of one record store.
#[derive(Clone)]
pub struct TokenStore {
    records: Arc<dyn idp_state::RecordStore>,
}

impl std::fmt::Debug for TokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenStore")
            .field("at", &self.path())
            .finish()
    }
}

impl TokenStore {
    /// The tokens kept by `records`.
    pub fn new(records: Arc<dyn idp_state::RecordStore>) -> TokenStore {
        TokenStore { records }
    }

    /// Where the digests are kept, for messages.
    pub fn path(&self) -> PathBuf {
        PathBuf::from(format!("{}/{TOKENS_FILE}", self.records.location()))
    }

    fn failed(&self, reason: impl ToString) -> TokenError {
        TokenError::Store {
            path: self.path(),
            reason: reason.to_string(),
        }
    }

    fn read(&self) -> Result<(TokenFile, Option<idp_state::Version>), TokenError> {
        match self.records.read_document(TOKENS_FILE) {
            Ok(Some((bytes, version))) => serde_json::from_slice(&bytes)
                .map(|file| (file, Some(version)))
                .map_err(|e| self.failed(e)),
            Ok(None) => Ok((TokenFile::default(), None)),
            Err(e) => Err(self.failed(e)),
        }
    }

    /// Reads the tokens, changes them and writes them back if nobody else wrote them
    /// meanwhile; else reads them again and retries (two replicas, or a replica and the
    /// CLI, may change them at once).
    fn update<T>(
        &self,
        change: impl Fn(&mut TokenFile) -> Result<T, TokenError>,
    ) -> Result<T, TokenError> {
        for _ in 0..RETRIES {
            let (mut file, version) = self.read()?;
            let out = change(&mut file)?;
            let bytes = [
                serde_json::to_vec_pretty(&file).unwrap_or_default(),
                b"\n".to_vec(),
            ]
            .concat();
            let written = self
                .records
                .write_document(TOKENS_FILE, bytes, version.as_ref())
                .map_err(|e| self.failed(e))?;
            if written.is_some() {
                return Ok(out);
            }
        }
        Err(self.failed("it kept changing while this change was written; try again"))
    }

    /// Every token kept, revoked ones too, in the order made.
    pub fn list(&self) -> Result<Vec<TokenEntry>, TokenError> {
        Ok(self.read()?.0.tokens)
    }

    /// Makes a token `name` with `role` (and `team`), keeps its digest, and returns the
    /// token: the only time it is ever seen.
    pub fn create(
        &self,
        name: &str,
        role: Role,
        team: Option<&str>,
        now: jiff::Timestamp,
    ) -> Result<String, TokenError> {
        if !idp_state::valid_name(name) {
            return Err(TokenError::Name {
                name: idp_model::terminal_safe(name).into_owned(),
            });
        }
        check_scope(role, team)?;
        let token = format!("{PREFIX}{}", hex::encode(random_bytes()?));
        self.update(|file| {
            if file.tokens.iter().any(|t| t.name == name) {
                return Err(TokenError::Exists {
                    name: name.to_owned(),
                });
            }
            file.version = 1;
            file.tokens.push(TokenEntry {
                name: name.to_owned(),
                sha256: digest(&token),
                role: role.as_str().to_owned(),
                team: team.map(str::to_owned),
                created_at: now,
                revoked_at: None,
            });
            Ok(())
        })?;
        Ok(token)
    }

    /// Revokes the token `name`: it is refused from now on.
    pub fn revoke(&self, name: &str, now: jiff::Timestamp) -> Result<(), TokenError> {
        self.update(|file| {
            let Some(entry) = file.tokens.iter_mut().find(|t| t.name == name) else {
                return Err(TokenError::Unknown {
                    name: idp_model::terminal_safe(name).into_owned(),
                    path: self.path(),
                });
            };
            entry.revoked_at.get_or_insert(now);
            Ok(())
        })
    }

    /// The live token a request presents, if any: hashed, then compared with every
    /// kept digest in constant time.
    pub fn verify(&self, presented: &str) -> Result<Option<TokenEntry>, TokenError> {
        if !presented.starts_with(PREFIX) {
            return Ok(None);
        }
        let wanted = digest(presented);
        let mut found = None;
        for entry in self.read()?.0.tokens {
            if constant_time_eq(entry.sha256.as_bytes(), wanted.as_bytes())
                && entry.revoked_at.is_none()
            {
                found = Some(entry);
            }
        }
        Ok(found)
    }
}

/// A developer token needs its team; approvers and admins act on every team.
fn check_scope(role: Role, team: Option<&str>) -> Result<(), TokenError> {
    use idp_config::TeamScope;
    match (role.team_scoped(), team) {
        (TeamScope::Required, None) => Err(TokenError::Scope {
            message: format!(
                "a `{}` token acts on one team: pass `--team`",
                role.as_str()
            ),
        }),
        (TeamScope::Never, Some(_)) => Err(TokenError::Scope {
            message: format!(
                "an `{}` token acts on every team: `--team` cannot limit it",
                role.as_str()
            ),
        }),
        (_, Some(t)) if !idp_state::valid_name(t) => Err(TokenError::Scope {
            message: format!("`{}` is not a team's name", idp_model::terminal_safe(t)),
        }),
        _ => Ok(()),
    }
}

/// `sha256:` and the token's hex digest.
fn digest(token: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(token.as_bytes())))
}

/// Whether two byte strings are equal, looking at every byte whatever differs first.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// 32 bytes from the operating system's random source.
fn random_bytes() -> Result<[u8; 32], TokenError> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| TokenError::Random {
            reason: e.to_string(),
        })?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> jiff::Timestamp {
        "2026-11-23T10:00:00Z".parse().expect("time")
    }

    #[test]
    fn a_token_is_kept_hashed_and_verified_until_revoked() {
        let dir = tempfile::tempdir().expect("dir");
        let store = TokenStore::new(Arc::new(idp_state::StateStore::new(dir.path())));
        let token = store
            .create("ci", Role::Developer, Some("payments"), now())
            .expect("created");
        assert_eq!(token.len(), PREFIX.len() + 64);
        let kept = std::fs::read_to_string(dir.path().join(TOKENS_FILE)).expect("file");
        assert!(!kept.contains(&token[PREFIX.len()..]), "{kept}");
        let found = store.verify(&token).expect("read").expect("live");
        assert_eq!(found.team.as_deref(), Some("payments"));
        assert_eq!(store.verify("idp_00").expect("read"), None);
        store.revoke("ci", now()).expect("revoked");
        assert_eq!(store.verify(&token).expect("read"), None);
    }

    #[test]
    fn names_scopes_and_duplicates_are_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let store = TokenStore::new(Arc::new(idp_state::StateStore::new(dir.path())));
        assert!(matches!(
            store.create("../x", Role::Admin, None, now()),
            Err(TokenError::Name { .. })
        ));
        assert!(matches!(
            store.create("a", Role::Developer, None, now()),
            Err(TokenError::Scope { .. })
        ));
        assert!(matches!(
            store.create("a", Role::Admin, Some("payments"), now()),
            Err(TokenError::Scope { .. })
        ));
        store.create("a", Role::Admin, None, now()).expect("first");
        assert!(matches!(
            store.create("a", Role::Viewer, None, now()),
            Err(TokenError::Exists { .. })
        ));
        assert!(matches!(
            store.revoke("b", now()),
            Err(TokenError::Unknown { .. })
        ));
    }

    #[test]
    fn equal_and_unequal_digests() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
