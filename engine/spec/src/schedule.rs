//! The reserved `schedule { weekdays "08:00-20:00"; timezone "Europe/Berlin" }` node:
//! the hours a non-production environment runs, typed and checked at its lines.

use idp_model::{Class, Schedule, ScheduleError};
use kdl::{KdlNode, KdlValue};

use crate::spec::Spanned;
use crate::{Problem, Problems, SourceFile, did_you_mean};

/// The children `schedule { }` takes.
const CHILDREN: &[&str] = &["weekdays", "timezone"];

/// How a schedule is written, for every help.
const EXAMPLE: &str = "write `schedule { weekdays \"08:00-20:00\"; timezone \"Europe/Berlin\" }`";

/// One child's single string value and its span, or a problem at the child.
fn value(source: &SourceFile, node: &KdlNode, problems: &mut Problems) -> Option<Spanned<String>> {
    let args: Vec<_> = node.entries().iter().collect();
    match args.as_slice() {
        [one] if one.name().is_none() => match one.value() {
            KdlValue::String(s) => Some(Spanned {
                value: s.clone(),
                span: one.span(),
            }),
            _ => None,
        },
        _ => None,
    }
    .or_else(|| {
        let key = node.name().value();
        problems.push(
            Problem::error(
                source,
                node.span(),
                "idp::spec::invalid_schedule",
                format!("`{key}` in `schedule` needs one string value"),
            )
            .help(EXAMPLE),
        );
        None
    })
}

/// Reads `schedule { }`: both children, each once, a window of hours and a zone the IANA
/// database knows. Every problem is at the line it concerns.
pub(crate) fn read(
    source: &SourceFile,
    node: &KdlNode,
    problems: &mut Problems,
) -> Option<Spanned<Schedule>> {
    let before = problems.0.len();
    let (mut window, mut zone) = (None, None);
    for child in node.children().map(|d| d.nodes()).unwrap_or_default() {
        let key = child.name().value();
        let slot = match key {
            "weekdays" => &mut window,
            "timezone" => &mut zone,
            _ => {
                let hint = did_you_mean(key, CHILDREN.iter().copied())
                    .map(|h| format!("did you mean `{h}`? "))
                    .unwrap_or_default();
                problems.push(
                    Problem::error(
                        source,
                        child.name().span(),
                        "idp::spec::invalid_schedule",
                        format!("`schedule` has no `{key}`"),
                    )
                    .help(format!(
                        "{hint}a schedule takes `weekdays` and `timezone`: {EXAMPLE}"
                    )),
                );
                continue;
            }
        };
        if slot.is_some() {
            problems.push(
                Problem::error(
                    source,
                    child.name().span(),
                    "idp::spec::duplicate_field",
                    format!("`{key}` is given twice in `schedule`"),
                )
                .help("keep one"),
            );
            continue;
        }
        *slot = value(source, child, problems);
    }
    if !node.entries().is_empty() || node.children().is_none() {
        problems.push(
            Problem::error(
                source,
                node.span(),
                "idp::spec::invalid_schedule",
                "`schedule` is a block of `weekdays` and `timezone`".to_owned(),
            )
            .help(EXAMPLE),
        );
    }
    if problems.0.len() > before {
        return None;
    }
    let missing = |field: &str| {
        Problem::error(
            source,
            node.name().span(),
            "idp::spec::invalid_schedule",
            format!("`schedule` has no `{field}`"),
        )
        .help(EXAMPLE)
    };
    for (field, absent) in [("weekdays", window.is_none()), ("timezone", zone.is_none())] {
        if absent {
            problems.push(missing(field));
        }
    }
    let (Some(window), Some(zone)) = (window, zone) else {
        return None;
    };
    typed(source, node, &window, &zone, problems)
}

/// The schedule from its two values, or a problem at the value that is wrong.
fn typed(
    source: &SourceFile,
    node: &KdlNode,
    window: &Spanned<String>,
    zone: &Spanned<String>,
    problems: &mut Problems,
) -> Option<Spanned<Schedule>> {
    match Schedule::weekdays(&window.value, &zone.value) {
        Ok(s) => Some(Spanned {
            value: s,
            span: node.name().span(),
        }),
        Err(e @ (ScheduleError::Window(_) | ScheduleError::Backwards(_))) => {
            problems.push(
                Problem::error(source, window.span, "idp::spec::invalid_schedule", e.to_string())
                    .label("not HH:MM-HH:MM")
                    .help("write the hours it runs as 24-hour local times, start before end, from `00:00` to `23:59`: `\"08:00-20:00\"`"),
            );
            None
        }
        Err(e @ ScheduleError::Zone(_)) => {
            problems.push(
                Problem::error(
                    source,
                    zone.span,
                    "idp::spec::unknown_timezone",
                    e.to_string(),
                )
                .label("not in the IANA time zone database")
                .help(
                    "write an IANA zone name, such as `Europe/Berlin`, `America/New_York` or `UTC`",
                ),
            );
            None
        }
    }
}

/// A production environment runs around the clock: a schedule there is refused at its line.
pub(crate) fn check_class(
    source: &SourceFile,
    schedule: &Option<Spanned<Schedule>>,
    class: Class,
    problems: &mut Problems,
) {
    if let (Some(s), Class::Production) = (schedule, class) {
        problems.push(
            Problem::error(
                source,
                s.span,
                "idp::spec::production_schedule",
                "a production environment cannot have a `schedule`".to_owned(),
            )
            .label("scales to zero outside these hours")
            .help("production runs around the clock: remove `schedule`, or use it on a preview or staging environment"),
        );
    }
}
