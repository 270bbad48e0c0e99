use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::Ttl;

/// The lifetime class of an environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// Short-lived, per pull request or feature.
    Preview,
    /// Pre-production.
    Staging,
    /// Production.
    Production,
}

/// A class name that is not one of `preview`, `staging`, `production`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a class")]
pub struct UnknownClass(pub String);

impl Class {
    /// Every class, in order of strictness.
    pub const ALL: [Class; 3] = [Class::Preview, Class::Staging, Class::Production];

    /// The name used in specs.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Preview => "preview",
            Class::Staging => "staging",
            Class::Production => "production",
        }
    }

    /// The TTL an environment of this class gets when its spec names none.
    pub fn default_ttl(self) -> Ttl {
        match self {
            Class::Preview => Ttl::Seconds(7 * 86_400),
            Class::Staging => Ttl::Seconds(30 * 86_400),
            Class::Production => Ttl::Never,
        }
    }
}

impl FromStr for Class {
    type Err = UnknownClass;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Class::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownClass(s.to_owned()))
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One resource tag.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Tag {
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
}

/// An environment after derive: reserved fields typed, tags and expiry computed,
/// template inputs validated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Environment {
    /// Environment name.
    pub name: String,
    /// Template name.
    pub template: String,
    /// Resolved template version.
    pub template_version: String,
    /// Owner's e-mail address.
    pub owner: String,
    /// Owning team.
    pub team: String,
    /// Lifetime class.
    pub class: Class,
    /// AWS region.
    pub region: String,
    /// Time to live.
    pub ttl: Ttl,
    /// Creation time (from state on re-apply).
    pub created_at: jiff::Timestamp,
    /// Expiry time; `None` for `never`.
    pub expires_at: Option<jiff::Timestamp>,
    /// Every tag applied to every resource, sorted by key.
    pub tags: Vec<Tag>,
    /// Template inputs as a JSON object.
    pub inputs: serde_json::Value,
    /// The hours it runs (the spec's `schedule`); `None` is around the clock. Written
    /// only when set, so the records and digests of unscheduled environments are as they were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<crate::Schedule>,
}
