//! The clock of a mutating command. The caller never chooses it: a request time (from a
//! dispatched request id) is accepted only within a window around the real clock, and a
//! pinned clock (`IDP_NOW`) only in builds made for tests.

use jiff::{SignedDuration, Timestamp};

use crate::LifecycleError;

/// How far in the past a request time may be: a dispatched run waits in GitHub's queue,
/// and its job times out after 60 minutes; 90 leaves room for a slow start.
pub const QUEUE_WINDOW: SignedDuration = SignedDuration::from_mins(90);

/// How far in the future a request time may be: the skew between two machines' clocks.
pub const CLOCK_SKEW: SignedDuration = SignedDuration::from_mins(5);

/// Whether a pinned clock (`IDP_NOW`) may drive a mutating command: in debug builds
/// (the integration tests run one) and never in a release build.
pub const PINNABLE: bool = cfg!(debug_assertions);

/// The instant a mutating command runs at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    now: Timestamp,
}

impl Clock {
    /// The real clock, in whole seconds (creation times end up in tags and digests,
    /// where nanoseconds are noise).
    pub fn system() -> Clock {
        let now = Timestamp::now();
        Clock {
            now: Timestamp::from_second(now.as_second()).unwrap_or(now),
        }
    }

    /// The clock of a mutating command: `pinned` (from `IDP_NOW`) when this build allows
    /// it, else the real one; a pin in a build that does not allow it is refused.
    pub fn for_mutation(pinned: Option<Timestamp>) -> Result<Clock, LifecycleError> {
        Clock::choose(pinned, PINNABLE)
    }

    fn choose(pinned: Option<Timestamp>, pinnable: bool) -> Result<Clock, LifecycleError> {
        match pinned {
            None => Ok(Clock::system()),
            Some(now) if pinnable => Ok(Clock { now }),
            Some(_) => Err(LifecycleError::PinnedClock),
        }
    }

    /// A clock at `now`, for callers that already hold a trusted instant (tests, a
    /// server's own clock).
    pub fn at(now: Timestamp) -> Clock {
        Clock { now }
    }

    /// The instant.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// The instant a request was made, read from its id: refused unless it lies within
    /// [`QUEUE_WINDOW`] before now and [`CLOCK_SKEW`] after.
    pub fn request_time(&self, request_id: &str) -> Result<Timestamp, LifecycleError> {
        let requested = idp_github::RequestId::requested_at(request_id).ok_or_else(|| {
            LifecycleError::BadRequestId {
                id: request_id.to_owned(),
            }
        })?;
        let earliest = self.now.checked_sub(QUEUE_WINDOW).unwrap_or(self.now);
        let latest = self.now.checked_add(CLOCK_SKEW).unwrap_or(self.now);
        if requested < earliest || requested > latest {
            return Err(LifecycleError::RequestTime {
                requested,
                now: self.now,
            });
        }
        Ok(requested)
    }

    /// The request time of an approved plan: the one exception to [`QUEUE_WINDOW`]. An
    /// approval keeps its plan's request time until the approval expires, and not after.
    pub fn approved_request_time(
        &self,
        approval: &idp_state::Approval,
    ) -> Result<Timestamp, LifecycleError> {
        if self.now > approval.expires_at {
            return Err(LifecycleError::refused(
                "idp::lifecycle::approval_expired",
                format!(
                    "the approval requested at {} expired at {}",
                    approval.requested_at, approval.expires_at
                ),
                "apply the spec again to request a new approval",
            ));
        }
        let latest = self.now.checked_add(CLOCK_SKEW).unwrap_or(self.now);
        if approval.requested_at > latest {
            return Err(LifecycleError::RequestTime {
                requested: approval.requested_at,
                now: self.now,
            });
        }
        Ok(approval.requested_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("time")
    }

    #[test]
    fn request_times_are_accepted_only_inside_the_window() {
        let clock = Clock::at(at("2026-11-23T10:00:00Z"));
        for (id, ok) in [
            ("20261123T083000Z-00000000", true),
            ("20261123T082959Z-00000000", false),
            ("20261123T100500Z-00000000", true),
            ("20261123T100501Z-00000000", false),
            ("29991123T100000Z-00000000", false),
        ] {
            assert_eq!(clock.request_time(id).is_ok(), ok, "{id}");
        }
        assert!(matches!(
            clock.request_time("soon"),
            Err(LifecycleError::BadRequestId { .. })
        ));
    }

    #[test]
    fn an_approved_plan_keeps_its_request_time_until_the_approval_expires() {
        let approval = idp_state::Approval {
            plan_digest: "sha256:a".into(),
            requested_by: "ann".into(),
            requested_at: at("2026-11-20T10:00:00Z"),
            expires_at: at("2026-11-27T10:00:00Z"),
            findings: vec![],
            decision: None,
        };
        let days_later = Clock::at(at("2026-11-27T10:00:00Z"));
        assert_eq!(
            days_later.approved_request_time(&approval).expect("within"),
            approval.requested_at
        );
        assert!(
            days_later
                .request_time("20261120T100000Z-00000000")
                .is_err()
        );
        let expired = Clock::at(at("2026-11-27T10:00:01Z"));
        assert!(expired.approved_request_time(&approval).is_err());
    }

    #[test]
    fn a_release_build_refuses_a_pinned_clock() {
        let pin = Some(at("2999-01-01T00:00:00Z"));
        assert!(matches!(
            Clock::choose(pin, false),
            Err(LifecycleError::PinnedClock)
        ));
        assert_eq!(
            Clock::choose(pin, true).expect("debug").now(),
            at("2999-01-01T00:00:00Z")
        );
        assert!(Clock::choose(None, false).is_ok());
    }
}
