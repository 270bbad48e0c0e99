use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserialize, Deserializer};
use serde::{Serialize, Serializer};

/// How long an environment lives: a whole number of minutes, hours, days or weeks, or
/// `never`. The grammar is the host's, so a setting means what a spec's `ttl` means.
///
/// `never` orders after every finite TTL, so `ttl > maximum` reads as it should.
///
/// ```
/// use idp_plugin_sdk::Ttl;
///
/// let max: Ttl = "2w".parse()?;
/// assert_eq!(max.seconds(), Some(1_209_600));
/// assert_eq!(max.to_string(), "14d");
/// assert!(Ttl::Never > max);
/// assert!("0d".parse::<Ttl>().is_err());
/// # Ok::<(), idp_plugin_sdk::TtlError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ttl {
    /// Lives for this many seconds after creation.
    Seconds(u64),
    /// Never expires.
    Never,
}

/// Why a text is not a [`Ttl`]: shown as ``"`7x` is not a duration"``.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TtlError {
    /// The text that failed.
    pub text: String,
}

impl fmt::Display for TtlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a duration", self.text)
    }
}

impl std::error::Error for TtlError {}

/// Units from largest to smallest, in seconds.
const UNITS: [(char, u64); 4] = [('w', 604_800), ('d', 86_400), ('h', 3600), ('m', 60)];

impl Ttl {
    /// Seconds, or `None` for `never`: the shape of [`Environment::ttl_seconds`](crate::Environment::ttl_seconds).
    pub fn seconds(self) -> Option<u64> {
        match self {
            Ttl::Seconds(s) => Some(s),
            Ttl::Never => None,
        }
    }

    /// The TTL `seconds` stands for, `None` being `never`.
    pub fn from_seconds(seconds: Option<u64>) -> Self {
        seconds.map_or(Ttl::Never, Ttl::Seconds)
    }
}

impl FromStr for Ttl {
    type Err = TtlError;

    /// Parses `90m`, `36h`, `7d`, `2w` or `never`: digits (not zero) and one unit, nothing
    /// else, no sign, no space.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = || TtlError {
            text: text.to_owned(),
        };
        if text == "never" {
            return Ok(Ttl::Never);
        }
        let unit = text.chars().last().ok_or_else(err)?;
        let (_, size) = UNITS.iter().find(|(u, _)| *u == unit).ok_or_else(err)?;
        let digits = &text[..text.len() - unit.len_utf8()];
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let n: u64 = digits.parse().map_err(|_| err())?;
        if n == 0 {
            return Err(err());
        }
        n.checked_mul(*size).map(Ttl::Seconds).ok_or_else(err)
    }
}

impl fmt::Display for Ttl {
    /// The largest exact unit up to days, as people write TTLs: `1209600` seconds is
    /// `14d`, `5400` is `90m`; seconds that are no whole minute show as `90s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ttl::Never => f.write_str("never"),
            Ttl::Seconds(s) => {
                for (unit, size) in &UNITS[1..] {
                    if s % size == 0 {
                        return write!(f, "{}{unit}", s / *size);
                    }
                }
                write!(f, "{s}s")
            }
        }
    }
}

impl Serialize for Ttl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Ttl {
    /// From a string in the same grammar as [`FromStr`].
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Ttl;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as `30m`, `72h`, `7d`, `2w` or `never`")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Ttl, E> {
                text.parse().map_err(E::custom)
            }
        }
        d.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deserializes_from_strings_with_the_parse_error() {
        let ttl: Ttl = serde_json::from_value(json!("72h")).expect("parses");
        assert_eq!(ttl, Ttl::Seconds(259_200));
        let err = serde_json::from_value::<Ttl>(json!("7x")).expect_err("not a duration");
        assert_eq!(err.to_string(), "`7x` is not a duration");
        let err = serde_json::from_value::<Ttl>(json!(3600)).expect_err("not a string");
        assert!(err.to_string().contains("a duration such as"), "{err}");
    }

    #[test]
    fn serializes_as_it_displays() {
        assert_eq!(json!(Ttl::Seconds(1_209_600)), json!("14d"));
        assert_eq!(json!(Ttl::Never), json!("never"));
    }

    #[test]
    fn never_is_longer_than_any_duration() {
        assert!(Ttl::Never > Ttl::Seconds(u64::MAX));
        assert_eq!(Ttl::from_seconds(None), Ttl::Never);
        assert_eq!(Ttl::from_seconds(Some(60)).seconds(), Some(60));
    }
}
