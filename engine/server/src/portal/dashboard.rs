//! `GET /dashboard`: cost per team and per template, week by week and to date; the
//! environments created and destroyed each week; what expires soon. Every cost figure
//! is `idp_state::spend`'s (what `idp cost report` prints), over the records the user
//! may read.

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use idp_state::spend::{self, GroupBy};
use idp_state::{Record, Status};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use super::charts::{self, Unit};
use super::render;
use crate::AppState;
use crate::auth::Identity;
use crate::environments::state_problem;

/// Weeks the charts cover, the current one last.
const WEEKS: i64 = 8;
/// "Expires soon": within this many hours.
const SOON_HOURS: i64 = 72;
const WEEK: SignedDuration = SignedDuration::from_hours(24 * 7);

/// `GET /dashboard`.
pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
) -> Response {
    let listed = state
        .blocking(|inner| inner.project.records.list().map_err(|e| state_problem(&e)))
        .await;
    let records: Vec<Record> = match listed {
        Ok(l) => l
            .records
            .into_iter()
            .map(|s| s.record)
            .filter(|r| who.can_read(&r.team))
            .collect(),
        Err(p) => return render::error(&who, &p),
    };
    let now = state.now();
    let weeks = weeks(now);
    let labels: Vec<String> = weeks.iter().map(|(start, _)| day(*start)).collect();
    let by_team = spend::report(&records, now, None, Some(GroupBy::Team));
    let by_template = spend::report(&records, now, None, Some(GroupBy::Template));
    render::page(
        StatusCode::OK,
        "dashboard.html",
        &who,
        json!({
            "nav": "dashboard",
            "team_chart": weekly_cost(&records, &weeks, &labels, GroupBy::Team, "Cost per team, per week (accrued)"),
            "template_chart": weekly_cost(&records, &weeks, &labels, GroupBy::Template, "Cost per template, per week (accrued)"),
            "churn_chart": churn(&records, &weeks, &labels),
            "teams": by_team.totals,
            "templates": by_template.totals,
            "soon": expiring(&records, now),
            "since": labels.first(),
        }),
    )
}

/// The last [`WEEKS`] weeks as `[start, end)`, each ending at most at `now`; weeks
/// start on Monday, 00:00 UTC.
fn weeks(now: Timestamp) -> Vec<(Timestamp, Timestamp)> {
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let monday = today
        .checked_sub(jiff::Span::new().days(i64::from(today.weekday().to_monday_zero_offset())))
        .unwrap_or(today);
    let this_week = monday
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map_or(now, |z| z.timestamp());
    (0..WEEKS)
        .rev()
        .filter_map(|k| {
            let start = this_week.checked_sub(WEEK * (k as i32)).ok()?;
            let end = start.checked_add(WEEK).ok()?.min(now);
            Some((start, end))
        })
        .collect()
}

fn day(t: Timestamp) -> String {
    t.to_zoned(jiff::tz::TimeZone::UTC).date().to_string()
}

/// What each group accrued in each week: the cost report over that week alone.
fn weekly_cost(
    records: &[Record],
    weeks: &[(Timestamp, Timestamp)],
    labels: &[String],
    by: GroupBy,
    title: &str,
) -> charts::Chart {
    let per_week: Vec<spend::CostReport> = weeks
        .iter()
        .map(|(start, end)| spend::report(records, *end, Some(*start), Some(by)))
        .collect();
    let mut groups: Vec<String> = per_week
        .iter()
        .flat_map(|r| r.totals.iter().map(|t| t.group.clone()))
        .collect();
    groups.sort();
    groups.dedup();
    let series: Vec<(String, Vec<f64>)> = groups
        .into_iter()
        .map(|g| {
            let values = per_week
                .iter()
                .map(|r| {
                    r.totals
                        .iter()
                        .filter(|t| t.group == g)
                        .map(|t| t.accrued)
                        .sum()
                })
                .collect();
            (g, values)
        })
        .collect();
    charts::stacked(title, labels, &series, Unit::Usd)
}

/// Environments created and destroyed each week.
fn churn(records: &[Record], weeks: &[(Timestamp, Timestamp)], labels: &[String]) -> charts::Chart {
    let count = |pick: &dyn Fn(&Record) -> Option<Timestamp>| -> Vec<f64> {
        weeks
            .iter()
            .map(|(start, end)| {
                records
                    .iter()
                    .filter_map(pick)
                    .filter(|t| t >= start && t < end)
                    .count() as f64
            })
            .collect()
    };
    let created = count(&|r| Some(r.created_at));
    let destroyed = count(&|r| (r.status == Status::Destroyed).then_some(r.updated_at));
    charts::stacked(
        "Environments created and destroyed per week",
        labels,
        &[
            ("created".to_owned(), created),
            ("destroyed".to_owned(), destroyed),
        ],
        Unit::Count,
    )
}

/// Live environments that expire within [`SOON_HOURS`], soonest first.
fn expiring(records: &[Record], now: Timestamp) -> Vec<serde_json::Value> {
    let horizon = now
        .checked_add(SignedDuration::from_hours(SOON_HOURS))
        .unwrap_or(now);
    let mut soon: Vec<(&Record, Timestamp)> = records
        .iter()
        .filter(|r| r.status != Status::Destroyed)
        .filter_map(|r| {
            let expires = r.ends_at()?;
            (expires <= horizon).then_some((r, expires))
        })
        .collect();
    soon.sort_by_key(|(r, t)| (*t, r.name.clone()));
    soon.into_iter()
        .map(|(r, t)| {
            json!({
                "name": r.name, "team": r.team, "owner": r.owner,
                "expires_at": t.to_string(), "left": render::left(now, t),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday_and_the_last_ends_now() {
        let now: Timestamp = "2026-12-02T15:00:00Z".parse().expect("time");
        let w = weeks(now);
        assert_eq!(w.len(), WEEKS as usize);
        assert_eq!(day(w[7].0), "2026-11-30");
        assert_eq!(w[7].1, now);
        assert_eq!(day(w[0].0), "2026-10-12");
        assert_eq!(w[0].1, w[1].0);
    }
}
