//! What the TTL sweep does with each record: destroy the expired, warn about the soon
//! expiring, and leave alone what is already going or gone, so sweeping twice is safe.

use crate::{Record, Status, Stored, Version};

/// How long a record may stay DESTROYING before the sweep takes its destroy for dead.
/// destroy.yml's job times out after 60 minutes, so a record unchanged for six hours means
/// the run ended without idp writing FAILED (a lost runner, a cancelled run). Dispatching
/// again is harmless even if the first run is only queued: the environment's concurrency
/// group runs them one after the other, and destroying what is gone changes nothing.
pub const DESTROY_STALLED_AFTER: jiff::SignedDuration = jiff::SignedDuration::from_hours(6);

/// How many destroys the sweep dispatches for one environment before it stops and asks
/// for a person: a destroy that failed this often will not succeed by itself.
pub const MAX_DESTROY_ATTEMPTS: u32 = 3;

/// The sweep's decision for one environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepAction {
    /// Past its expiry and still holding resources (or maybe holding them): destroy.
    Destroy,
    /// Expires within the warning window.
    Warn,
    /// Expired, but a destroy is already under way: not dispatched twice.
    AlreadyDestroying,
    /// Expired and DESTROYING for longer than [`DESTROY_STALLED_AFTER`]: that destroy died,
    /// so it is dispatched again.
    DestroyStalled,
    /// Expired, but its destroy cannot proceed (it said why), or
    /// [`MAX_DESTROY_ATTEMPTS`] destroys did not finish: reported, not dispatched.
    NeedsAttention,
}

impl SweepAction {
    /// Whether the sweep hands this environment to a destroy run.
    pub fn dispatches(self) -> bool {
        matches!(self, SweepAction::Destroy | SweepAction::DestroyStalled)
    }
}

/// One environment the sweep acts on or reports.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepItem {
    /// The record.
    pub record: Record,
    /// The version it was read at: marking it DESTROYING is conditional on it.
    pub version: Version,
    /// What to do.
    pub action: SweepAction,
}

impl SweepItem {
    /// Why a destroy is not dispatched, for [`SweepAction::NeedsAttention`].
    pub fn reason(&self) -> Option<String> {
        if self.action != SweepAction::NeedsAttention {
            return None;
        }
        Some(match &self.record.destroy_blocked {
            Some(reason) => reason.clone(),
            None => format!(
                "{} destroys did not finish; run `idp destroy {}` to retry",
                self.record.destroy_attempts, self.record.name
            ),
        })
    }
}

/// Decides, at `now`, what happens to each record; environments with no expiry, or
/// already destroyed, do not appear. Sorted by expiry, the most overdue first.
pub fn sweep(
    records: &[Stored],
    now: jiff::Timestamp,
    warn_within: jiff::SignedDuration,
) -> Vec<SweepItem> {
    let horizon = now.checked_add(warn_within).unwrap_or(now);
    let mut items: Vec<SweepItem> = records
        .iter()
        .filter_map(|Stored { record: r, version }| {
            let expires = r.expires_at?;
            let stuck = r.destroy_blocked.is_some() || r.destroy_attempts >= MAX_DESTROY_ATTEMPTS;
            let action = match r.status {
                Status::Destroyed => return None,
                _ if expires <= now && stuck => SweepAction::NeedsAttention,
                Status::Destroying if expires <= now => {
                    let stalled_at = r.updated_at.checked_add(DESTROY_STALLED_AFTER);
                    if stalled_at.is_ok_and(|t| t <= now) {
                        SweepAction::DestroyStalled
                    } else {
                        SweepAction::AlreadyDestroying
                    }
                }
                Status::Destroying => return None,
                _ if expires <= now => SweepAction::Destroy,
                _ if expires <= horizon => SweepAction::Warn,
                _ => return None,
            };
            Some(SweepItem {
                record: r.clone(),
                version: version.clone(),
                action,
            })
        })
        .collect();
    items.sort_by_key(|i| (i.record.expires_at, i.record.name.clone()));
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str, status: Status, expires: Option<&str>) -> Record {
        let mut r = crate::sample_record(name);
        r.status = status;
        r.expires_at = expires.map(|s| s.parse().expect("time"));
        r.updated_at = "2026-11-23T09:00:00Z".parse().expect("time");
        r
    }

    fn stored(records: impl IntoIterator<Item = Record>) -> Vec<Stored> {
        records
            .into_iter()
            .map(|record| Stored {
                record,
                version: Version("v".into()),
            })
            .collect()
    }

    #[test]
    fn expired_are_destroyed_expiring_warned_and_the_rest_left_alone() {
        let now: jiff::Timestamp = "2026-11-23T10:00:00Z".parse().expect("time");
        let records = [
            record("forever", Status::Ready, None),
            record("late", Status::Ready, Some("2026-11-20T00:00:00Z")),
            record("failed-late", Status::Failed, Some("2026-11-22T00:00:00Z")),
            record("going", Status::Destroying, Some("2026-11-21T00:00:00Z")),
            Record {
                updated_at: "2026-11-23T04:00:00Z".parse().expect("time"),
                ..record("stuck", Status::Destroying, Some("2026-11-21T06:00:00Z"))
            },
            Record {
                updated_at: "2026-11-23T04:00:01Z".parse().expect("time"),
                ..record("slow", Status::Destroying, Some("2026-11-21T07:00:00Z"))
            },
            record("gone", Status::Destroyed, Some("2026-11-19T00:00:00Z")),
            Record {
                destroy_blocked: Some("its spec is gone".into()),
                ..record("blocked", Status::Failed, Some("2026-11-22T01:00:00Z"))
            },
            Record {
                destroy_attempts: MAX_DESTROY_ATTEMPTS,
                ..record("tried", Status::Destroying, Some("2026-11-22T02:00:00Z"))
            },
            record("soon", Status::Ready, Some("2026-11-23T20:00:00Z")),
            record("later", Status::Ready, Some("2026-11-30T00:00:00Z")),
        ];
        let got: Vec<(String, SweepAction)> =
            sweep(&stored(records), now, jiff::SignedDuration::from_hours(24))
                .into_iter()
                .map(|i| (i.record.name, i.action))
                .collect();
        let got: Vec<(&str, SweepAction)> = got.iter().map(|(n, a)| (n.as_str(), *a)).collect();
        assert_eq!(
            got,
            [
                ("late", SweepAction::Destroy),
                ("going", SweepAction::AlreadyDestroying),
                ("stuck", SweepAction::DestroyStalled),
                ("slow", SweepAction::AlreadyDestroying),
                ("failed-late", SweepAction::Destroy),
                ("blocked", SweepAction::NeedsAttention),
                ("tried", SweepAction::NeedsAttention),
                ("soon", SweepAction::Warn),
            ]
        );
    }
}
