//! `/api/v1/environments…`: the recorded environments, read from the record store the
//! project's `idp.kdl` names (local or S3), as `idp list` and `idp show` read them.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use idp_state::{Record, StateError, Status};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Identity;
use crate::problem::ApiProblem;
use crate::{AppState, Inner, JSON_VERSION};

/// The most environments one page holds.
pub(crate) const MAX_LIMIT: usize = 500;
/// A page's size when the request does not say.
pub(crate) const DEFAULT_LIMIT: usize = 100;

/// The filters and page of a listing.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    team: Option<String>,
    owner: Option<String>,
    status: Option<String>,
    template: Option<String>,
    limit: Option<usize>,
    cursor: Option<String>,
}

/// 400 for a query the route does not understand.
pub(crate) fn bad_query(detail: impl Into<String>) -> ApiProblem {
    ApiProblem::new(
        StatusCode::BAD_REQUEST,
        "idp::server::bad_query",
        "Bad query parameter",
        detail,
    )
}

/// A listing's filters, checked.
struct Filter {
    query: ListQuery,
    status: Option<Status>,
    limit: usize,
}

impl Filter {
    fn new(mut query: ListQuery) -> Result<Filter, ApiProblem> {
        // An empty filter (`?team=`, as a filter form sends for "any") filters nothing.
        for f in [
            &mut query.team,
            &mut query.owner,
            &mut query.status,
            &mut query.template,
        ] {
            if f.as_deref().is_some_and(str::is_empty) {
                *f = None;
            }
        }
        let status = match &query.status {
            None => None,
            Some(s) => Some(
                serde_json::from_value::<Status>(Value::String(s.to_ascii_uppercase()))
                    .map_err(|_| {
                        bad_query(format!(
                            "`status={}` is not a status; use PENDING, PENDING_APPROVAL, APPLYING, READY, FAILED, DESTROYING or DESTROYED",
                            idp_model::terminal_safe(s)
                        ))
                    })?,
            ),
        };
        let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(bad_query(format!(
                "`limit={limit}` is out of range; use 1 to {MAX_LIMIT}"
            )));
        }
        if let Some(c) = &query.cursor
            && !idp_state::valid_name(c)
        {
            return Err(bad_query(
                "`cursor` is not one this server gave; pass the `next_cursor` of the previous page",
            ));
        }
        Ok(Filter {
            query,
            status,
            limit,
        })
    }

    fn matches(&self, r: &Record) -> bool {
        let q = &self.query;
        let is = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        is(&q.team, &r.team)
            && is(&q.owner, &r.owner)
            && is(&q.template, &r.template)
            && self.status.is_none_or(|s| s == r.status)
            && q.cursor.as_deref().is_none_or(|c| r.name.as_str() > c)
    }
}

/// One page of the records (sorted by name) that pass the filter, and the cursor of the
/// next page when there is more.
fn page(records: Vec<Record>, filter: &Filter) -> (Vec<Record>, Option<String>) {
    let mut matching = records.into_iter().filter(|r| filter.matches(r));
    let page: Vec<Record> = matching.by_ref().take(filter.limit).collect();
    let next = match (matching.next(), page.last()) {
        (Some(_), Some(last)) => Some(last.name.clone()),
        _ => None,
    };
    (page, next)
}

/// A record-store failure as a problem: an unknown environment is 404.
pub(crate) fn state_problem(e: &StateError) -> ApiProblem {
    match e {
        StateError::Unknown { name, .. } => unknown(name),
        other => ApiProblem::internal(other),
    }
}

/// 404 for an environment not recorded, or one the caller may not see: the same
/// answer, so another team's environments are not shown to exist.
pub(crate) fn unknown(name: &str) -> ApiProblem {
    ApiProblem::new(
        StatusCode::NOT_FOUND,
        "idp::state::unknown",
        "No such environment",
        format!(
            "no environment `{}` is recorded; `/api/v1/environments` lists them",
            idp_model::terminal_safe(name)
        ),
    )
}

/// `GET /api/v1/environments`.
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiProblem> {
    let Query(query) = query.map_err(|e| bad_query(e.body_text()))?;
    listing(&state, &who, query).await.map(Json)
}

/// A page of the environments `who` may read, as `GET /api/v1/environments` answers it.
pub(crate) async fn listing(
    state: &AppState,
    who: &Identity,
    query: ListQuery,
) -> Result<Value, ApiProblem> {
    let filter = Filter::new(query)?;
    let now = state.now();
    let listing = state
        .blocking(|inner| inner.project.records.list().map_err(|e| state_problem(&e)))
        .await?;
    let skipped: Vec<Value> = listing
        .problems
        .iter()
        .map(|p| json!({ "code": miette::Diagnostic::code(p).map(|c| c.to_string()), "message": p.to_string() }))
        .collect();
    let records = listing
        .records
        .into_iter()
        .map(|s| s.record)
        .filter(|r| who.can_read(&r.team))
        .collect();
    let (page, next) = page(records, &filter);
    Ok(json!({
        "version": JSON_VERSION,
        "environments": page.iter().map(|r| environment_json(&state.0, r, now)).collect::<Vec<_>>(),
        "next_cursor": next,
        "skipped": skipped,
    }))
}

/// The record of `name`, or 404 (also when `who` may not read it).
pub(crate) async fn record(
    state: &AppState,
    who: &Identity,
    name: String,
) -> Result<Record, ApiProblem> {
    let record = state
        .blocking(move |inner| {
            inner
                .project
                .records
                .require(&name)
                .map(|s| s.record)
                .map_err(|e| state_problem(&e))
        })
        .await?;
    if who.can_read(&record.team) {
        Ok(record)
    } else {
        Err(unknown(&record.name))
    }
}

/// `GET /api/v1/environments/{name}`.
pub(crate) async fn get(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiProblem> {
    let r = record(&state, &who, name).await?;
    Ok(Json(json!({
        "version": JSON_VERSION,
        "environment": environment_json(&state.0, &r, state.now()),
    })))
}

/// A record as the API shows it: as `idp status --format json` prints it, with
/// `newer_version`, the newest version of its template in the catalog when that is
/// newer than the one it was applied with (`idp upgrade` moves it there), as in
/// `idp list --format json`.
pub(crate) fn environment_json(inner: &Inner, r: &Record, now: jiff::Timestamp) -> Value {
    let mut doc = idp_report::status_json(r, now);
    if let Some(o) = doc.as_object_mut() {
        let newer = idp_lifecycle::upgrade::newer_version(&inner.project.catalog, r);
        o.insert("newer_version".into(), json!(newer));
    }
    doc
}

/// `GET /api/v1/environments/{name}/history`.
pub(crate) async fn history(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiProblem> {
    let r = record(&state, &who, name).await?;
    let events = history_of(&state, &r).await?;
    Ok(Json(json!({
        "version": JSON_VERSION,
        "name": r.name,
        "events": events,
        // The audit log holds every change made through the server or the CLI since
        // it exists; an environment's older changes, and the sweep's, are not in it.
        "complete": false,
    })))
}

/// What happened to an environment, oldest first: what its record proves, then every
/// change in the audit log.
pub(crate) async fn history_of(state: &AppState, r: &Record) -> Result<Vec<Value>, ApiProblem> {
    let name = r.name.clone();
    let changes = state
        .blocking(move |inner| {
            idp_lifecycle::audit::read(inner.project.records.as_ref(), &name)
                .map_err(|e| ApiProblem::internal(&e))
        })
        .await?;
    let mut events = events(r);
    events.extend(changes);
    Ok(events)
}

/// The text of the spec an environment was recorded from, when this server can read it
/// (a spec posted to a server is kept in the record store; one applied with the CLI is in
/// the project's checkout, which the server may not have). Read as extend and destroy
/// read it ([`idp_lifecycle::spec_of`]): a path or a link out of the project, which a
/// tampered record could name, is never followed.
pub(crate) async fn spec_text(state: &AppState, r: &Record) -> Option<String> {
    let record = r.clone();
    state
        .blocking(move |inner| {
            let ctx =
                crate::mutate::ctx(inner, idp_lifecycle::Clock::at(jiff::Timestamp::UNIX_EPOCH));
            let spec = idp_lifecycle::spec_of(&ctx, &record);
            Ok(spec.ok().map(|s| s.source.text.to_string()))
        })
        .await
        .ok()
        .flatten()
}

/// What a record proves happened, oldest first: its creation, and its latest change
/// with the status, plan digest, extension and destroy attempts it left.
fn events(r: &Record) -> Vec<Value> {
    vec![
        json!({
            "at": r.created_at,
            "event": "created",
            "template": r.template,
            "template_version": r.template_version,
            "owner": r.owner,
            "team": r.team,
            "ttl": r.ttl,
        }),
        json!({
            "at": r.updated_at,
            "event": "last_change",
            "status": r.status,
            "plan_digest": r.plan_digest,
            "expires_at": r.expires_at,
            "extended_until": r.extended_until,
            "destroy_attempts": r.destroy_attempts,
            "destroy_blocked": r.destroy_blocked,
        }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str, team: &str, status: Status) -> Record {
        let at: jiff::Timestamp = "2026-11-23T10:00:00Z".parse().expect("time");
        Record {
            schema_version: idp_state::SCHEMA_VERSION,
            name: name.into(),
            template: "api-service".into(),
            template_version: "1.0.0".into(),
            owner: "a@acme.io".into(),
            team: team.into(),
            class: "preview".into(),
            region: "us-east-1".into(),
            created_at: at,
            ttl: "7d".into(),
            expires_at: None,
            extended_until: None,
            status,
            plan_digest: "sha256:0".into(),
            spec: "env.kdl".into(),
            updated_at: at,
            outputs: serde_json::Map::new(),
            applied: None,
            destroy_attempts: 0,
            destroy_blocked: None,
            costs: Vec::new(),
            approval: None,
        }
    }

    fn names(records: &[Record]) -> Vec<&str> {
        records.iter().map(|r| r.name.as_str()).collect()
    }

    fn all() -> Vec<Record> {
        vec![
            record("a", "payments", Status::Ready),
            record("b", "search", Status::Ready),
            record("c", "payments", Status::Failed),
            record("d", "payments", Status::Ready),
        ]
    }

    #[test]
    fn filters_combine_and_pages_continue_after_the_cursor() {
        let first = Filter::new(ListQuery {
            team: Some("payments".into()),
            limit: Some(1),
            ..ListQuery::default()
        })
        .expect("filter");
        let (page1, next) = page(all(), &first);
        assert_eq!(names(&page1), ["a"]);
        assert_eq!(next.as_deref(), Some("a"));
        let second = Filter::new(ListQuery {
            team: Some("payments".into()),
            status: Some("ready".into()),
            limit: Some(1),
            cursor: next,
            ..ListQuery::default()
        })
        .expect("filter");
        let (page2, next) = page(all(), &second);
        assert_eq!(names(&page2), ["d"]);
        assert_eq!(next, None);
    }

    #[test]
    fn a_bad_status_limit_or_cursor_is_refused() {
        for query in [
            ListQuery {
                status: Some("SLEEPING".into()),
                ..ListQuery::default()
            },
            ListQuery {
                limit: Some(0),
                ..ListQuery::default()
            },
            ListQuery {
                limit: Some(MAX_LIMIT + 1),
                ..ListQuery::default()
            },
            ListQuery {
                cursor: Some("../x".into()),
                ..ListQuery::default()
            },
        ] {
            let refused = Filter::new(query).map(|_| ()).map_err(|p| p.code);
            assert_eq!(refused, Err("idp::server::bad_query".to_owned()));
        }
    }

    #[test]
    fn the_history_starts_with_the_creation() {
        let events = events(&record("a", "payments", Status::Ready));
        assert_eq!(events[0]["event"], "created");
        assert_eq!(events[1]["status"], "READY");
    }
}
