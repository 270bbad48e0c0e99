//! Who is asking, and what they may do.
//!
//! - **Authentication** is on when the organisation's `idp.kdl` has `server { … }`. A
//!   request then names its user in one of two ways: an API token
//!   (`Authorization: Bearer idp_…`, made by `idp token create`), or the identity
//!   headers of the authenticating proxy (`X-Forwarded-Email`, `X-Forwarded-Groups` by
//!   default), read only when the connection's peer is the configured `trusted-proxy`:
//!   from any other peer they are ignored, as anyone can send them. Without either,
//!   every route but `/healthz` answers 401. Without `server { … }` the server listens
//!   on loopback only and whoever reaches it is the local user, with every right (as
//!   the CLI run by that user would have).
//! - **Roles** come from the proxy's groups mapped by `role` nodes, or from the token.
//!   A viewer reads (one team's environments when limited to it), a developer reads and
//!   changes its own team's environments only, an approver reads every team's, an admin
//!   does everything. An environment a user may not read answers 404, as one that does
//!   not exist: its name, team and status stay unseen.
//! - **Cross-origin requests** that change something are refused (403) before anything
//!   else: a browser says where a request comes from (`Sec-Fetch-Site`, else `Origin`),
//!   and only the server's own origin may post, delete or put. Scripts send neither
//!   header and are not affected; a page elsewhere cannot make a signed-in browser act.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use idp_config::{Access, Role};

use crate::AppState;
use crate::problem::ApiProblem;
use crate::tokens::TokenStore;

/// The peer of a request's connection, set by the listener on each connection.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

/// How a request was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// No authentication is configured: the local user on a loopback server.
    Local,
    /// The trusted proxy's identity headers.
    Proxy,
    /// An API token.
    Token,
}

impl Via {
    fn as_str(self) -> &'static str {
        match self {
            Via::Local => "local",
            Via::Proxy => "proxy",
            Via::Token => "token",
        }
    }
}

/// One role, on one team or on every team.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Grant {
    role: Role,
    team: Option<String>,
}

impl Grant {
    fn covers(&self, team: &str) -> bool {
        self.team.as_deref().is_none_or(|t| t == team)
    }
}

/// Who a request is, and what they may do.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The user (from the proxy), the token's name, or `local`.
    pub subject: String,
    /// How it was told.
    pub via: Via,
    /// The connection's peer address.
    pub from: Option<IpAddr>,
    grants: Vec<Grant>,
}

impl Identity {
    /// Whether it may read an environment of `team`.
    pub fn can_read(&self, team: &str) -> bool {
        self.grants.iter().any(|g| g.covers(team))
    }

    /// Whether it may apply, extend, upgrade or destroy an environment of `team`.
    pub fn can_change(&self, team: &str) -> bool {
        self.grants.iter().any(|g| match g.role {
            Role::Admin => true,
            Role::Developer => g.covers(team),
            Role::Viewer | Role::Approver => false,
        })
    }

    /// Whether it may approve or reject a plan of `team` waiting for approval.
    pub fn can_approve(&self, team: &str) -> bool {
        self.grants.iter().any(|g| match g.role {
            Role::Admin => true,
            Role::Approver => g.covers(team),
            Role::Viewer | Role::Developer => false,
        })
    }

    /// Its roles as a person reads them: `developer of payments`, `admin`.
    pub fn roles(&self) -> String {
        let roles: Vec<String> = self
            .grants
            .iter()
            .map(|g| match &g.team {
                Some(team) => format!("{} of {team}", g.role.as_str()),
                None => g.role.as_str().to_owned(),
            })
            .collect();
        roles.join(", ")
    }

    /// Whether it may apply environments of some team (a developer's or an admin's).
    pub fn can_create(&self) -> bool {
        self.grants
            .iter()
            .any(|g| matches!(g.role, Role::Developer | Role::Admin))
    }

    /// The team a new environment of its is for by default: the first team it may
    /// change, when its roles name one.
    pub fn home_team(&self) -> Option<&str> {
        self.grants
            .iter()
            .filter(|g| g.role >= Role::Developer)
            .find_map(|g| g.team.as_deref())
    }

    /// Who, how and from where, as the audit log keeps it.
    pub fn actor(&self) -> idp_lifecycle::audit::Actor {
        idp_lifecycle::audit::Actor {
            subject: self.subject.clone(),
            via: self.via.as_str(),
            from: self.from.map(|ip| ip.to_string()),
        }
    }

    fn local(from: Option<IpAddr>) -> Identity {
        Identity {
            subject: "local".into(),
            via: Via::Local,
            from,
            grants: vec![Grant {
                role: Role::Admin,
                team: None,
            }],
        }
    }
}

/// 401: nobody is named; the answer says how to be.
fn unauthenticated(detail: &str) -> Response {
    let mut response = ApiProblem::new(
        StatusCode::UNAUTHORIZED,
        "idp::server::unauthenticated",
        "Authentication required",
        detail,
    )
    .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"idp\""),
    );
    response
}

/// 403: named, but not allowed.
pub(crate) fn forbidden(detail: impl Into<String>) -> ApiProblem {
    ApiProblem::new(
        StatusCode::FORBIDDEN,
        "idp::server::forbidden",
        "Not allowed",
        detail,
    )
}

/// Names the request's user (or answers 401/403) and hands it to the handlers; only
/// `/healthz` answers anyone.
pub(crate) async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    if request.uri().path() == "/healthz" {
        return next.run(request).await;
    }
    let peer = request.extensions().get::<Peer>().map(|p| p.0.ip());
    let inner = state.0.clone();
    let identify_here = move |headers: &HeaderMap| {
        identify(
            &inner.project.config.access,
            &TokenStore::new(inner.project.records.clone()),
            headers,
            peer,
        )
    };
    // Only a token reads a file; the rest is answered without leaving this thread.
    let identified = if bearer(request.headers()).is_some() {
        let headers = request.headers().clone();
        tokio::task::spawn_blocking(move || identify_here(&headers))
            .await
            .unwrap_or_else(|_| Err(unauthenticated("the request's token could not be checked")))
    } else {
        identify_here(request.headers())
    };
    match identified {
        Ok(identity) => {
            request.extensions_mut().insert(identity);
            next.run(request).await
        }
        Err(response) => response,
    }
}

/// The longest user name or group list read from the proxy's headers.
const MAX_IDENTITY_HEADER: usize = 4096;

fn identify(
    access: &Access,
    tokens: &TokenStore,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
) -> Result<Identity, Response> {
    let Some(server) = &access.server else {
        if !loopback_host(headers) {
            return Err(wrong_host());
        }
        return Ok(Identity::local(peer));
    };
    if let Some(token) = bearer(headers) {
        return from_token(tokens, token, peer);
    }
    let trusted = server.trusted_proxy.is_some() && server.trusted_proxy == peer;
    let user = trusted
        .then(|| header_text(headers, &server.user_header))
        .flatten();
    let Some(user) = user else {
        return Err(unauthenticated(
            "send `Authorization: Bearer TOKEN` (an `idp token create` token), or come through the organisation's authenticating proxy",
        ));
    };
    let groups = header_text(headers, &server.groups_header).unwrap_or_default();
    let groups: Vec<&str> = groups.split(',').map(str::trim).collect();
    let grants: Vec<Grant> = access
        .roles
        .iter()
        .filter(|r| groups.contains(&r.group.as_str()))
        .map(|r| Grant {
            role: r.role,
            team: r.team.clone(),
        })
        .collect();
    if grants.is_empty() {
        return Err(forbidden(format!(
            "`{user}` is in no group that idp.kdl gives a role to; ask the platform team for one"
        ))
        .into_response());
    }
    Ok(Identity {
        subject: user,
        via: Via::Proxy,
        from: peer,
        grants,
    })
}

/// Whether the request names a loopback host (`127.0.0.1`, `[::1]`, `localhost`, with
/// any port). Without authentication anyone who reaches the server is trusted, and a web
/// page can reach a loopback server under its own name by pointing its DNS at 127.0.0.1
/// (DNS rebinding): the browser then calls it same-origin, and only `Host` tells.
fn loopback_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host.split(':').next().unwrap_or_default(),
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// 403 for a request to another host name than loopback's, without authentication.
fn wrong_host() -> Response {
    ApiProblem::new(
        StatusCode::FORBIDDEN,
        "idp::server::not_loopback_host",
        "Not a loopback host",
        "without authentication the server answers only requests to `127.0.0.1`, `[::1]` or `localhost`; configure authentication to serve it under another name",
    )
    .into_response()
}

/// The token of `Authorization: Bearer …`, if the header is there.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

fn from_token(
    tokens: &TokenStore,
    token: &str,
    peer: Option<IpAddr>,
) -> Result<Identity, Response> {
    let entry = match tokens.verify(token) {
        Ok(entry) => entry,
        Err(e) => return Err(ApiProblem::internal(&e).into_response()),
    };
    let Some((entry, role)) = entry.and_then(|e| e.role().map(|r| (e, r))) else {
        return Err(unauthenticated(
            "the token is unknown or revoked; `idp token list` shows the live ones",
        ));
    };
    Ok(Identity {
        subject: format!("token:{}", entry.name),
        via: Via::Token,
        from: peer,
        grants: vec![Grant {
            role,
            team: entry.team,
        }],
    })
}

/// A header's text, when it is present, printable and not too long.
fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?.trim();
    (!value.is_empty() && value.len() <= MAX_IDENTITY_HEADER)
        .then(|| idp_model::terminal_safe(value).into_owned())
}

/// Refuses a state-changing request a browser sends from another origin (403).
pub(crate) async fn same_origin(request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    match cross_origin(request.headers()) {
        Some(why) => ApiProblem::new(
            StatusCode::FORBIDDEN,
            "idp::server::cross_origin",
            "Cross-origin request refused",
            format!("{why}; only the server's own pages, and clients that are not browsers, may change anything"),
        )
        .into_response(),
        None => next.run(request).await,
    }
}

/// Why a request comes from another origin, if it does: `Sec-Fetch-Site` when the
/// browser sends it, else `Origin` against `Host`. Neither: not a browser's.
fn cross_origin(headers: &HeaderMap) -> Option<String> {
    let text = |name: header::HeaderName| headers.get(name).map(|v| v.to_str().unwrap_or(""));
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
        return (!matches!(site, "same-origin" | "none")).then(|| {
            format!(
                "the browser says the request is `{}`",
                idp_model::terminal_safe(site)
            )
        });
    }
    let origin = text(header::ORIGIN)?;
    let host = text(header::HOST).unwrap_or("");
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'));
    (origin_host != Some(host) || host.is_empty()).then(|| {
        format!(
            "the request comes from `{}`, not this server",
            idp_model::terminal_safe(origin)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use idp_config::{RoleBinding, ServerAuth};

    fn access() -> Access {
        Access {
            server: Some(ServerAuth {
                trusted_proxy: "10.0.0.5".parse().ok(),
                ..ServerAuth::default()
            }),
            roles: vec![RoleBinding {
                role: Role::Developer,
                group: "team-payments".into(),
                team: Some("payments".into()),
            }],
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().expect("value"));
        }
        h
    }

    #[test]
    fn identity_headers_count_only_from_the_trusted_proxy() {
        let dir = tempfile::tempdir().expect("dir");
        let tokens = TokenStore::new(std::sync::Arc::new(idp_state::StateStore::new(dir.path())));
        let h = headers(&[
            ("x-forwarded-email", "ann@acme.io"),
            ("x-forwarded-groups", "staff, team-payments"),
        ]);
        let proxy = "10.0.0.5".parse().ok();
        let ann = identify(&access(), &tokens, &h, proxy).expect("from the proxy");
        assert_eq!(ann.subject, "ann@acme.io");
        assert!(ann.can_change("payments") && !ann.can_read("search"));
        let other = identify(&access(), &tokens, &h, "10.0.0.6".parse().ok());
        assert_eq!(
            other.map(|_| ()).map_err(|r| r.status()),
            Err(StatusCode::UNAUTHORIZED)
        );
    }

    #[test]
    fn without_authentication_only_loopback_host_names_are_answered() {
        let dir = tempfile::tempdir().expect("dir");
        let tokens = TokenStore::new(std::sync::Arc::new(idp_state::StateStore::new(dir.path())));
        let none = Access::default();
        for (host, ok) in [
            ("127.0.0.1:8080", true),
            ("localhost:8080", true),
            ("[::1]:8080", true),
            ("rebound.example:8080", false),
            ("127.0.0.1.evil.example", false),
        ] {
            let answer = identify(&none, &tokens, &headers(&[("host", host)]), None);
            assert_eq!(answer.is_ok(), ok, "{host}");
        }
        assert!(identify(&none, &tokens, &HeaderMap::new(), None).is_err());
    }

    #[test]
    fn roles_read_and_change_what_their_team_allows() {
        let grant = |role, team: Option<&str>| Identity {
            subject: "x".into(),
            via: Via::Token,
            from: None,
            grants: vec![Grant {
                role,
                team: team.map(str::to_owned),
            }],
        };
        let cases = [
            (grant(Role::Viewer, None), [true, true], [false, false]),
            (
                grant(Role::Viewer, Some("a")),
                [true, false],
                [false, false],
            ),
            (
                grant(Role::Developer, Some("a")),
                [true, false],
                [true, false],
            ),
            (grant(Role::Approver, None), [true, true], [false, false]),
            (grant(Role::Admin, None), [true, true], [true, true]),
        ];
        for (who, read, change) in cases {
            assert_eq!([who.can_read("a"), who.can_read("b")], read, "{who:?}");
            assert_eq!(
                [who.can_change("a"), who.can_change("b")],
                change,
                "{who:?}"
            );
        }
    }

    #[test]
    fn cross_origin_changes_are_told_apart() {
        assert_eq!(cross_origin(&headers(&[("host", "a:1")])), None);
        assert_eq!(
            cross_origin(&headers(&[("host", "a:1"), ("origin", "http://a:1")])),
            None
        );
        assert!(cross_origin(&headers(&[("host", "a:1"), ("origin", "http://evil")])).is_some());
        assert!(cross_origin(&headers(&[("host", "a:1"), ("origin", "null")])).is_some());
        assert!(cross_origin(&headers(&[("sec-fetch-site", "cross-site")])).is_some());
        assert_eq!(
            cross_origin(&headers(&[("sec-fetch-site", "same-origin")])),
            None
        );
    }
}
