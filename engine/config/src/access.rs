//! Who may use `idp serve`, in the organisation's `idp.kdl` only: `server { … }` turns
//! authentication on (and names the authenticating proxy whose identity headers count),
//! and each `role` maps a group of that proxy to one of four roles. A nested file could
//! otherwise make its team admin, so both nodes are the organisation's.
//!
//! ```kdl
//! server {
//!     trusted-proxy "127.0.0.1"
//!     user-header "X-Forwarded-Email"
//!     groups-header "X-Forwarded-Groups"
//! }
//! role "developer" group="team-payments" team="payments"
//! role "viewer" group="everyone"
//! role "approver" group="platform-approvers"
//! role "admin" group="platform"
//! ```

use std::net::IpAddr;

use idp_spec::{Problem, Problems, SourceFile};
use kdl::KdlNode;

/// What a role lets its holder do, from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Reads the catalog, plans, and reads environments (of its team, when it has one).
    Viewer,
    /// A viewer that also applies, extends and destroys its own team's environments.
    Developer,
    /// Reads every team's environments and approves (approvals come later).
    Approver,
    /// Everything, on every team, and API tokens.
    Admin,
}

impl Role {
    /// Every role's name, as written in `idp.kdl` and `idp token create --role`.
    pub const NAMES: [&'static str; 4] = ["viewer", "developer", "approver", "admin"];

    /// The role of a name.
    pub fn parse(text: &str) -> Option<Role> {
        Some(match text {
            "viewer" => Role::Viewer,
            "developer" => Role::Developer,
            "approver" => Role::Approver,
            "admin" => Role::Admin,
            _ => return None,
        })
    }

    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Developer => "developer",
            Role::Approver => "approver",
            Role::Admin => "admin",
        }
    }

    /// Whether a grant of this role may be limited to one team (`team=`): a developer
    /// must be, a viewer may be, approvers and admins act on every team.
    pub fn team_scoped(self) -> TeamScope {
        match self {
            Role::Developer => TeamScope::Required,
            Role::Viewer => TeamScope::Optional,
            Role::Approver | Role::Admin => TeamScope::Never,
        }
    }
}

/// Whether a role's grant names a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamScope {
    /// Always (`developer`).
    Required,
    /// When it says so (`viewer`).
    Optional,
    /// Never (`approver`, `admin`).
    Never,
}

/// `server { … }`: authentication is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerAuth {
    /// The authenticating proxy's address: identity headers are read only from a
    /// connection whose peer is this address. None: API tokens only.
    pub trusted_proxy: Option<IpAddr>,
    /// The header naming the user (oauth2-proxy's `X-Forwarded-Email` by default).
    pub user_header: String,
    /// The header listing the user's groups, comma-separated (`X-Forwarded-Groups`).
    pub groups_header: String,
}

impl Default for ServerAuth {
    fn default() -> Self {
        ServerAuth {
            trusted_proxy: None,
            user_header: "X-Forwarded-Email".into(),
            groups_header: "X-Forwarded-Groups".into(),
        }
    }
}

/// `role "developer" group="team-payments" team="payments"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleBinding {
    /// The role given.
    pub role: Role,
    /// The proxy's group whose members get it.
    pub group: String,
    /// The team it is limited to, if any.
    pub team: Option<String>,
}

/// Who may use the server: the organisation's `server` and `role` nodes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Access {
    /// Present when `server { … }` is written: every route but `/healthz` then needs a
    /// user (from the trusted proxy) or an API token.
    pub server: Option<ServerAuth>,
    /// Groups and the roles they give, in the order written.
    pub roles: Vec<RoleBinding>,
}

fn bad(source: &SourceFile, node: &KdlNode, code: &str, message: String, help: &str) -> Problem {
    Problem::error(source, node.span(), code, message).help(help.to_owned())
}

/// A header name: letters, digits and `-` (what proxies send; never a value).
fn header_name(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Reads `server { trusted-proxy "…"; user-header "…"; groups-header "…" }`.
pub(crate) fn server(source: &SourceFile, node: &KdlNode, problems: &mut Problems) -> ServerAuth {
    let mut out = ServerAuth::default();
    for child in node.children().map(|d| d.nodes()).unwrap_or_default() {
        let name = child.name().value();
        let value = crate::single_string(child).map(|(v, _)| v);
        let code = "idp::config::server_setting";
        match (name, value) {
            ("trusted-proxy", Some(v)) => match v.parse::<IpAddr>() {
                Ok(ip) => out.trusted_proxy = Some(ip),
                Err(_) => problems.push(bad(
                    source,
                    child,
                    code,
                    format!("`{v}` is not an IP address"),
                    "write the proxy's address as the server sees it, like `trusted-proxy \"127.0.0.1\"`",
                )),
            },
            ("user-header" | "groups-header", Some(v)) if header_name(&v) => {
                if name == "user-header" {
                    out.user_header = v;
                } else {
                    out.groups_header = v;
                }
            }
            ("user-header" | "groups-header", Some(v)) => problems.push(bad(
                source,
                child,
                code,
                format!("`{v}` is not a header name"),
                "write letters, digits and `-`, like `X-Forwarded-Email`",
            )),
            _ => problems.push(bad(
                source,
                child,
                code,
                format!("`server` takes `trusted-proxy`, `user-header` and `groups-header` with one string each, not `{name}` like this"),
                "write `server { trusted-proxy \"127.0.0.1\"; groups-header \"X-Forwarded-Groups\" }`",
            )),
        }
    }
    out
}

/// Reads `role "developer" group="…" team="…"`.
pub(crate) fn role(
    source: &SourceFile,
    node: &KdlNode,
    problems: &mut Problems,
) -> Option<RoleBinding> {
    let code = "idp::config::role";
    let help = "write `role \"developer\" group=\"team-payments\" team=\"payments\"` (roles: viewer, developer, approver, admin)";
    let Some((name, _)) = crate::single_string(node) else {
        problems.push(bad(
            source,
            node,
            code,
            "`role` names one role".into(),
            help,
        ));
        return None;
    };
    let Some(role) = Role::parse(&name) else {
        problems.push(bad(
            source,
            node,
            code,
            format!("`{name}` is not a role"),
            help,
        ));
        return None;
    };
    let group = crate::prop_string(node, "group").filter(|g| !g.is_empty());
    let team = crate::prop_string(node, "team");
    let unknown = node
        .entries()
        .iter()
        .filter_map(|e| e.name().map(|n| n.value()))
        .find(|n| !matches!(*n, "group" | "team"));
    let message = match (&group, &team, role.team_scoped(), unknown) {
        (_, _, _, Some(other)) => {
            Some(format!("`role` takes `group=` and `team=`, not `{other}=`"))
        }
        (None, _, _, _) => Some(format!(
            "role `{name}` needs the proxy's `group=` that gets it"
        )),
        (_, None, TeamScope::Required, _) => Some(format!(
            "a `{name}` acts on one team's environments: it needs `team=`"
        )),
        (_, Some(_), TeamScope::Never, _) => Some(format!(
            "an `{name}` acts on every team: `team=` cannot limit it"
        )),
        (_, Some(t), _, _) if !idp_state_name(t) => Some(format!("`{t}` is not a team's name")),
        _ => None,
    };
    if let Some(message) = message {
        problems.push(bad(source, node, code, message, help));
        return None;
    }
    Some(RoleBinding {
        role,
        group: group.unwrap_or_default(),
        team,
    })
}

/// A team name as specs write it: lowercase letters, digits and `-`.
fn idp_state_name(team: &str) -> bool {
    !team.is_empty()
        && team
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::ProjectConfig;

    #[test]
    fn server_and_roles_are_read() {
        let text = "server {\n  trusted-proxy \"10.0.0.5\"\n  groups-header \"X-Groups\"\n}\nrole \"developer\" group=\"team-payments\" team=\"payments\"\nrole \"admin\" group=\"platform\"\n";
        let c = ProjectConfig::parse(Path::new("/repo/idp.kdl"), text).expect("valid");
        let server = c.access.server.expect("server");
        assert_eq!(server.trusted_proxy, "10.0.0.5".parse().ok());
        assert_eq!(server.groups_header, "X-Groups");
        assert_eq!(server.user_header, "X-Forwarded-Email");
        assert_eq!(c.access.roles.len(), 2);
        assert_eq!(c.access.roles[0].team.as_deref(), Some("payments"));
    }

    #[test]
    fn bad_roles_and_servers_are_errors_at_their_line() {
        let text = "role \"developer\" group=\"a\"\nrole \"admin\" group=\"b\" team=\"x\"\nrole \"owner\" group=\"c\"\nrole \"viewer\"\nserver { trusted-proxy \"proxy.local\"; user-header \"X Email\" }\n";
        let err = ProjectConfig::parse(Path::new("/repo/idp.kdl"), text).expect_err("invalid");
        let lines: Vec<(&str, usize)> = err
            .0
            .iter()
            .map(|p| (p.code.as_str(), p.line_col().0))
            .collect();
        assert_eq!(
            lines,
            [
                ("idp::config::role", 1),
                ("idp::config::role", 2),
                ("idp::config::role", 3),
                ("idp::config::role", 4),
                ("idp::config::server_setting", 5),
                ("idp::config::server_setting", 5),
            ]
        );
    }

    #[test]
    fn a_nested_configuration_cannot_grant_roles_or_configure_the_server() {
        let mut c = ProjectConfig::parse(Path::new("/repo/idp.kdl"), "").expect("valid");
        let err = c
            .add_nested(
                Path::new("/repo/team/idp.kdl"),
                "role \"admin\" group=\"team\"\nserver { }\n",
            )
            .expect_err("organisation only");
        let codes: Vec<&str> = err.0.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "idp::config::organisation_only",
                "idp::config::organisation_only"
            ]
        );
    }
}
