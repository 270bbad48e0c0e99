use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// How long an environment lives: a whole number of minutes, hours, days or weeks, or `never`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ttl {
    /// Lives for this many seconds after creation.
    Seconds(u64),
    /// Never expires.
    Never,
}

/// Why a TTL did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a duration")]
pub struct TtlError {
    /// The text that failed.
    pub text: String,
}

const UNITS: [(char, u64); 4] = [('w', 604_800), ('d', 86_400), ('h', 3600), ('m', 60)];

impl Ttl {
    /// Seconds, or `None` for `never`.
    pub fn seconds(self) -> Option<u64> {
        match self {
            Ttl::Seconds(s) => Some(s),
            Ttl::Never => None,
        }
    }
}

impl FromStr for Ttl {
    type Err = TtlError;

    /// Parses `90m`, `36h`, `7d`, `2w` or `never`.
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
    /// `14d`, `5400` is `90m`.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit() {
        assert_eq!("90m".parse(), Ok(Ttl::Seconds(5400)));
        assert_eq!("36h".parse(), Ok(Ttl::Seconds(129_600)));
        assert_eq!("7d".parse(), Ok(Ttl::Seconds(604_800)));
        assert_eq!("2w".parse(), Ok(Ttl::Seconds(1_209_600)));
        assert_eq!("never".parse(), Ok(Ttl::Never));
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        for bad in [
            "",
            "7",
            "d",
            "7x",
            "-1d",
            "1.5d",
            "0d",
            "99999999999999999999w",
        ] {
            assert!(bad.parse::<Ttl>().is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn displays_the_shortest_exact_unit() {
        assert_eq!(Ttl::Seconds(1_209_600).to_string(), "14d");
        assert_eq!(Ttl::Seconds(10 * 86_400).to_string(), "10d");
        assert_eq!(Ttl::Seconds(5400).to_string(), "90m");
    }
}
