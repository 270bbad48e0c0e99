//! Cost over time, from records alone: each environment's recorded estimates, what it has
//! cost from its creation to now (or to its destroy), what it will have cost at its
//! expiry, and totals per team, owner or template. This is the one implementation: `idp
//! cost report` prints it and the portal serves it.
//!
//! An environment accrues from `created_at` until now, or until the record turned
//! DESTROYED (its last change). Each stretch of time is billed at the estimate in force
//! then: the latest one recorded at or before it, and before the first one, the first
//! one (the environment existed with that bill since its creation as far as idp knows).
//! Monthly figures are per AWS's 730-hour month, as the estimates are.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{Record, RecordedCost, Status};

/// Hours in a billing month, as the estimates count them.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// How totals are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    /// The environment's team.
    Team,
    /// The environment's owner.
    Owner,
    /// The environment's template.
    Template,
}

impl GroupBy {
    fn key(self, r: &Record) -> String {
        match self {
            GroupBy::Team => r.team.clone(),
            GroupBy::Owner => r.owner.clone(),
            GroupBy::Template => r.template.clone(),
        }
    }
}

/// One environment's cost over time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvironmentSpend {
    /// Environment name.
    pub name: String,
    /// The group it is totalled in (`""` without grouping).
    pub group: String,
    /// Team.
    pub team: String,
    /// Owner.
    pub owner: String,
    /// Template.
    pub template: String,
    /// Lifecycle status.
    pub status: Status,
    /// Creation time.
    pub created_at: jiff::Timestamp,
    /// When it was destroyed (its record's last change), if it was.
    pub destroyed_at: Option<jiff::Timestamp>,
    /// Expiry, with any extension; `None` for `never`.
    pub expires_at: Option<jiff::Timestamp>,
    /// Currency of every figure (`None` when no estimate was ever recorded).
    pub currency: Option<String>,
    /// The monthly figure in force now; `None` when destroyed or never priced.
    pub monthly: Option<f64>,
    /// Cost from creation (or `--since`) to now or to the destroy, in cents precision.
    pub accrued: f64,
    /// Accrued plus what it costs until its expiry; `None` for `never` or unpriced.
    pub projected: Option<f64>,
    /// Whether every figure used was complete; when not, the sums are lower bounds.
    pub complete: bool,
    /// The estimates recorded in the window, oldest first.
    pub estimates: Vec<RecordedCost>,
}

/// The totals of one group, in one currency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupTotal {
    /// Team, owner or template (`"all"` without grouping).
    pub group: String,
    /// Currency.
    pub currency: String,
    /// Environments counted.
    pub environments: usize,
    /// Monthly figures of the live environments.
    pub monthly: f64,
    /// Accrued cost.
    pub accrued: f64,
    /// Projected cost; `None` when any environment never expires.
    pub projected: Option<f64>,
    /// Whether every figure was complete.
    pub complete: bool,
}

/// `idp cost report`: every environment and the totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostReport {
    /// The instant accrual runs to.
    pub now: jiff::Timestamp,
    /// The start of the window, if any.
    pub since: Option<jiff::Timestamp>,
    /// How totals are grouped, if at all.
    pub by: Option<GroupBy>,
    /// Environments alive at some point in the window, sorted by group then name.
    pub environments: Vec<EnvironmentSpend>,
    /// Totals per group and currency, sorted.
    pub totals: Vec<GroupTotal>,
}

/// Computes the report over `records` at `now`: only what lived at some point in
/// `[since, now]` (everything without `since`) is counted, and only from `since` on.
pub fn report(
    records: &[Record],
    now: jiff::Timestamp,
    since: Option<jiff::Timestamp>,
    by: Option<GroupBy>,
) -> CostReport {
    let mut environments: Vec<EnvironmentSpend> = records
        .iter()
        .filter_map(|r| environment(r, now, since, by))
        .collect();
    environments.sort_by(|a, b| (&a.group, &a.name).cmp(&(&b.group, &b.name)));
    let totals = totals(&environments, by);
    CostReport {
        now,
        since,
        by,
        environments,
        totals,
    }
}

fn environment(
    r: &Record,
    now: jiff::Timestamp,
    since: Option<jiff::Timestamp>,
    by: Option<GroupBy>,
) -> Option<EnvironmentSpend> {
    let destroyed_at = (r.status == Status::Destroyed).then_some(r.updated_at);
    let end = destroyed_at.unwrap_or(now).min(now);
    let start = since.map_or(r.created_at, |s| s.max(r.created_at));
    if since.is_some_and(|s| end < s) || r.created_at > now {
        return None;
    }
    let expires_at = r.ends_at();
    let accrued = accrued(&r.costs, start, end);
    let current = r.costs.last();
    let monthly = current
        .filter(|_| destroyed_at.is_none())
        .map(|c| c.monthly);
    let projected = match (destroyed_at, current, expires_at) {
        (Some(_), Some(_), _) => Some(accrued),
        (None, Some(c), Some(exp)) => {
            Some(accrued + c.monthly * hours(now, exp.max(now)) / HOURS_PER_MONTH)
        }
        _ => None,
    };
    let used: Vec<&RecordedCost> = in_force(&r.costs, start, end);
    Some(EnvironmentSpend {
        name: r.name.clone(),
        group: by.map_or_else(String::new, |b| b.key(r)),
        team: r.team.clone(),
        owner: r.owner.clone(),
        template: r.template.clone(),
        status: r.status,
        created_at: r.created_at,
        destroyed_at,
        expires_at,
        currency: current.map(|c| c.currency.clone()),
        monthly: monthly.map(cents),
        accrued: cents(accrued),
        projected: projected.map(cents),
        complete: current.is_some() && used.iter().all(|c| c.complete),
        estimates: r
            .costs
            .iter()
            .filter(|c| since.is_none_or(|s| c.at >= s))
            .cloned()
            .collect(),
    })
}

fn hours(from: jiff::Timestamp, to: jiff::Timestamp) -> f64 {
    to.duration_since(from).as_secs_f64().max(0.0) / 3600.0
}

fn cents(x: f64) -> f64 {
    // `+ 0.0`: a rounded -0.0 would print as `-0.00`.
    (x * 100.0).round() / 100.0 + 0.0
}

/// The stretch of `[from, to]` the `i`th estimate is in force for (the first one also
/// before it was recorded).
fn stretch(
    costs: &[RecordedCost],
    i: usize,
    from: jiff::Timestamp,
    to: jiff::Timestamp,
) -> (jiff::Timestamp, jiff::Timestamp) {
    let start = if i == 0 { from } else { costs[i].at.max(from) };
    let end = costs.get(i + 1).map_or(to, |next| next.at.min(to));
    (start, end)
}

/// Cost over `[from, to]`, each stretch at the estimate in force.
fn accrued(costs: &[RecordedCost], from: jiff::Timestamp, to: jiff::Timestamp) -> f64 {
    (0..costs.len())
        .map(|i| {
            let (start, end) = stretch(costs, i, from, to);
            costs[i].monthly * hours(start, end) / HOURS_PER_MONTH
        })
        .sum::<f64>()
}

/// The estimates in force at some point of `[from, to]`.
fn in_force(
    costs: &[RecordedCost],
    from: jiff::Timestamp,
    to: jiff::Timestamp,
) -> Vec<&RecordedCost> {
    (0..costs.len())
        .filter(|&i| {
            let (start, end) = stretch(costs, i, from, to);
            end > start || i + 1 == costs.len()
        })
        .map(|i| &costs[i])
        .collect()
}

fn totals(environments: &[EnvironmentSpend], by: Option<GroupBy>) -> Vec<GroupTotal> {
    let mut groups: BTreeMap<(String, String), GroupTotal> = BTreeMap::new();
    for e in environments {
        let Some(currency) = &e.currency else {
            continue;
        };
        let group = if by.is_some() {
            e.group.clone()
        } else {
            "all".to_owned()
        };
        let t = groups
            .entry((group.clone(), currency.clone()))
            .or_insert_with(|| GroupTotal {
                group,
                currency: currency.clone(),
                environments: 0,
                monthly: 0.0,
                accrued: 0.0,
                projected: Some(0.0),
                complete: true,
            });
        t.environments += 1;
        t.monthly = cents(t.monthly + e.monthly.unwrap_or(0.0));
        t.accrued = cents(t.accrued + e.accrued);
        t.projected = t.projected.zip(e.projected).map(|(a, b)| cents(a + b));
        t.complete &= e.complete;
    }
    groups.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample_record;

    fn at(s: &str) -> jiff::Timestamp {
        s.parse().expect("time")
    }

    fn cost(when: &str, monthly: f64) -> RecordedCost {
        RecordedCost {
            at: at(when),
            plan_digest: "sha256:0".into(),
            monthly,
            lifetime: None,
            currency: "USD".into(),
            complete: true,
            price_book: "2026-12-01 sha256:0".into(),
        }
    }

    fn record(name: &str, team: &str, costs: Vec<RecordedCost>) -> Record {
        Record {
            team: team.into(),
            created_at: at("2026-11-01T00:00:00Z"),
            expires_at: Some(at("2026-11-01T00:00:00Z") + jiff::SignedDuration::from_hours(730)),
            costs,
            ..sample_record(name)
        }
    }

    #[test]
    fn each_stretch_is_billed_at_the_estimate_in_force_and_projected_to_expiry() {
        // 73 h at 730/month (1/h), then 73 h at 1460/month (2/h).
        let r = record(
            "e",
            "t",
            vec![
                cost("2026-11-01T00:00:00Z", 730.0),
                cost("2026-11-04T01:00:00Z", 1460.0),
            ],
        );
        let rep = report(&[r], at("2026-11-07T02:00:00Z"), None, None);
        let e = &rep.environments[0];
        assert_eq!(e.accrued, 73.0 + 146.0);
        // 730 - 146 hours left at 2/h.
        assert_eq!(e.projected, Some(219.0 + 584.0 * 2.0));
        assert_eq!(rep.totals[0].monthly, 1460.0);
    }

    #[test]
    fn a_destroyed_environment_stops_accruing_and_since_cuts_the_window() {
        let mut r = record("e", "t", vec![cost("2026-11-02T00:00:00Z", 730.0)]);
        r.status = Status::Destroyed;
        r.updated_at = at("2026-11-03T00:00:00Z");
        let now = at("2026-11-20T00:00:00Z");
        let rep = report(std::slice::from_ref(&r), now, None, None);
        // From creation (the first estimate applies before it was recorded): 48 h.
        assert_eq!(rep.environments[0].accrued, 48.0);
        assert_eq!(rep.environments[0].projected, Some(48.0));
        assert_eq!(rep.environments[0].monthly, None);
        let since = report(
            std::slice::from_ref(&r),
            now,
            Some(at("2026-11-02T12:00:00Z")),
            None,
        );
        assert_eq!(since.environments[0].accrued, 12.0);
        let after = report(&[r], now, Some(at("2026-11-10T00:00:00Z")), None);
        assert!(after.environments.is_empty());
    }

    #[test]
    fn totals_per_group_and_incomplete_marks_a_lower_bound() {
        let mut partial = cost("2026-11-01T00:00:00Z", 73.0);
        partial.complete = false;
        let records = [
            record("a", "x", vec![cost("2026-11-01T00:00:00Z", 730.0)]),
            record("b", "y", vec![partial]),
            record("c", "x", vec![cost("2026-11-01T00:00:00Z", 365.0)]),
            record("d", "y", vec![]),
        ];
        let rep = report(
            &records,
            at("2026-11-01T10:00:00Z"),
            None,
            Some(GroupBy::Team),
        );
        let got: Vec<(&str, usize, f64, f64, bool)> = rep
            .totals
            .iter()
            .map(|t| {
                (
                    t.group.as_str(),
                    t.environments,
                    t.monthly,
                    t.accrued,
                    t.complete,
                )
            })
            .collect();
        assert_eq!(
            got,
            [("x", 2, 1095.0, 15.0, true), ("y", 1, 73.0, 1.0, false)]
        );
        assert_eq!(rep.environments.len(), 4);
        assert!(!rep.environments[3].complete, "d has no estimate");
    }
}
