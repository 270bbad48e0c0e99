//! EventBridge Scheduler expressions: `cron(…)`, `rate(…)` and `at(…)`, checked by the
//! rules the Scheduler API applies (docs.aws.amazon.com/scheduler/latest/UserGuide/
//! schedule-types.html, read 2026-11-23), so a bad one fails at plan time, on its line.

/// A schedule expression that EventBridge Scheduler accepts.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// The expression as written.
    pub expression: String,
    /// Expected invocations in an average month (730 hours); a one-off `at` counts 1.
    pub runs_per_month: f64,
}

const DAYS_PER_MONTH: f64 = 730.0 / 24.0;
const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// Parses and checks an expression; the error says what is wrong and what is expected.
pub fn parse(expression: &str) -> Result<Schedule, String> {
    let expr = expression.trim();
    let runs_per_month = if let Some(body) = inner(expr, "rate") {
        rate(body)?
    } else if let Some(body) = inner(expr, "cron") {
        cron(body)?
    } else if let Some(body) = inner(expr, "at") {
        at(body)?;
        1.0
    } else {
        return Err(format!(
            "`{expr}` is not a schedule expression: use cron(…), rate(…) or at(…)"
        ));
    };
    Ok(Schedule {
        expression: expr.to_owned(),
        runs_per_month,
    })
}

fn inner<'a>(expr: &'a str, kind: &str) -> Option<&'a str> {
    expr.strip_prefix(kind)?
        .strip_prefix('(')?
        .strip_suffix(')')
}

fn rate(body: &str) -> Result<f64, String> {
    let mut parts = body.split_whitespace();
    let (Some(value), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!(
            "`rate({body})` needs a value and a unit, such as rate(5 minutes)"
        ));
    };
    let n: u32 = value
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("the rate value `{value}` must be a positive whole number"))?;
    let (singular, per_month) = match unit {
        "minute" | "minutes" => ("minute", DAYS_PER_MONTH * 24.0 * 60.0),
        "hour" | "hours" => ("hour", DAYS_PER_MONTH * 24.0),
        "day" | "days" => ("day", DAYS_PER_MONTH),
        _ => {
            return Err(format!(
                "the rate unit `{unit}` must be minute(s), hour(s) or day(s)"
            ));
        }
    };
    // EventBridge refuses "rate(1 minutes)" and "rate(5 minute)".
    let expected = if n == 1 {
        singular.to_owned()
    } else {
        format!("{singular}s")
    };
    if unit != expected {
        return Err(format!(
            "EventBridge wants `rate({n} {expected})`, not `rate({n} {unit})`"
        ));
    }
    Ok(per_month / f64::from(n))
}

fn at(body: &str) -> Result<(), String> {
    let ok = body.len() == 19
        && body.char_indices().all(|(i, c)| match i {
            4 | 7 => c == '-',
            10 => c == 'T',
            13 | 16 => c == ':',
            _ => c.is_ascii_digit(),
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`at({body})` must be a local date and time: at(yyyy-mm-ddThh:mm:ss)"
        ))
    }
}

/// One cron field's rules: name, range and the special characters it allows.
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    specials: &'static str,
}

const FIELDS: [Field; 6] = [
    Field {
        name: "minutes",
        min: 0,
        max: 59,
        names: &[],
        specials: ",-*/",
    },
    Field {
        name: "hours",
        min: 0,
        max: 23,
        names: &[],
        specials: ",-*/",
    },
    Field {
        name: "day-of-month",
        min: 1,
        max: 31,
        names: &[],
        specials: ",-*?/LW",
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: &MONTHS,
        specials: ",-*/",
    },
    Field {
        name: "day-of-week",
        min: 1,
        max: 7,
        names: &WEEKDAYS,
        specials: ",-*?L#",
    },
    Field {
        name: "year",
        min: 1970,
        max: 2199,
        names: &[],
        specials: ",-*/",
    },
];

fn cron(body: &str) -> Result<f64, String> {
    let parts: Vec<&str> = body.split_whitespace().collect();
    if parts.len() != 6 {
        return Err(format!(
            "`cron({body})` has {} fields; EventBridge wants 6: minutes hours day-of-month month day-of-week year",
            parts.len()
        ));
    }
    let mut counts = [0.0f64; 6];
    for (i, (field, text)) in FIELDS.iter().zip(&parts).enumerate() {
        counts[i] = field.count(text)?;
    }
    let (dom, dow) = (parts[2], parts[4]);
    match (dom == "?", dow == "?") {
        (true, true) | (false, false) => {
            return Err(format!(
                "day-of-month `{dom}` and day-of-week `{dow}`: exactly one of them must be `?`"
            ));
        }
        _ => {}
    }
    let days = if dom == "?" {
        if dow == "*" {
            DAYS_PER_MONTH
        } else if dow.contains('#') || dow.contains('L') {
            1.0
        } else {
            counts[4] * DAYS_PER_MONTH / 7.0
        }
    } else if dom == "*" {
        DAYS_PER_MONTH
    } else {
        counts[2]
    };
    let months = counts[3] / 12.0;
    Ok(counts[0] * counts[1] * days * months)
}

impl Field {
    /// How many values the field selects, after checking every item of it.
    fn count(&self, text: &str) -> Result<f64, String> {
        if let Some(bad) = text
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || self.specials.contains(*c)))
        {
            return Err(format!(
                "the {} field `{text}` may not contain `{bad}` (allowed: digits{}, and {})",
                self.name,
                if self.names.is_empty() { "" } else { ", names" },
                self.specials
                    .chars()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
        }
        if text == "?" {
            return Ok(1.0);
        }
        let mut total = 0.0;
        for item in text.split(',') {
            total += self.item(item, text)?;
        }
        Ok(total)
    }

    fn item(&self, item: &str, whole: &str) -> Result<f64, String> {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                    format!("the {} field `{whole}` has a bad step `/{s}`", self.name)
                })?;
                (r, step)
            }
            None => (item, 1),
        };
        // L, W and # pick one day; their number part is checked as a value.
        if let Some(pos) = range.find(['L', 'W', '#']) {
            let (value, _) = range.split_at(pos);
            if !value.is_empty() {
                self.value(value, whole)?;
            }
            return Ok(1.0);
        }
        let (lo, hi) = if range == "*" {
            (self.min, self.max)
        } else if let Some((a, b)) = range.split_once('-') {
            (self.value(a, whole)?, self.value(b, whole)?)
        } else {
            let v = self.value(range, whole)?;
            (v, if step > 1 { self.max } else { v })
        };
        if lo > hi {
            return Err(format!(
                "the {} field `{whole}` has a range that runs backwards",
                self.name
            ));
        }
        Ok(f64::from((hi - lo) / step + 1))
    }

    fn value(&self, text: &str, whole: &str) -> Result<u32, String> {
        let upper = text.to_ascii_uppercase();
        let v = match self.names.iter().position(|n| *n == upper) {
            Some(i) => i as u32 + self.min,
            None => text.parse().map_err(|_| {
                format!(
                    "the {} field `{whole}` has `{text}`, which is not a value",
                    self.name
                )
            })?,
        };
        if (self.min..=self.max).contains(&v) {
            Ok(v)
        } else {
            Err(format!(
                "the {} field `{whole}` has {v}, outside {}–{}",
                self.name, self.min, self.max
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(expr: &str) -> String {
        parse(expr).expect_err(expr)
    }

    fn runs(expr: &str) -> f64 {
        parse(expr).expect(expr).runs_per_month
    }

    #[test]
    fn rates_count_runs_in_an_average_month() {
        assert_eq!(runs("rate(1 hour)"), 730.0);
        assert_eq!(runs("rate(2 hours)"), 365.0);
        assert_eq!(runs("rate(5 minutes)"), 730.0 * 12.0);
    }

    #[test]
    fn rate_units_agree_with_the_value_as_eventbridge_wants() {
        assert!(refused("rate(1 minutes)").contains("rate(1 minute)"));
        assert!(refused("rate(5 minute)").contains("rate(5 minutes)"));
        assert!(parse("rate(0 days)").is_err());
        assert!(refused("rate(3 weeks)").contains("minute(s), hour(s) or day(s)"));
    }

    #[test]
    fn cron_counts_weekday_mornings() {
        // 06:00 UTC on weekdays: 5 of 7 days.
        let r = runs("cron(0 6 ? * MON-FRI *)");
        assert!((r - 5.0 * 730.0 / 24.0 / 7.0).abs() < 1e-9, "{r}");
        assert!((runs("cron(0/15 * * * ? *)") - 4.0 * 24.0 * 730.0 / 24.0).abs() < 1e-9);
        assert_eq!(runs("cron(0 12 1 * ? *)"), 1.0);
        assert_eq!(runs("cron(0 9 ? * 6#3 *)"), 1.0);
        assert_eq!(runs("cron(0 0 L * ? *)"), 1.0);
    }

    #[test]
    fn cron_mistakes_name_the_field() {
        assert!(refused("cron(0 6 * * *)").contains("has 5 fields"));
        assert!(refused("cron(0 6 * * MON *)").contains("exactly one of them must be `?`"));
        assert!(refused("cron(0 25 * * ? *)").contains("hours field `25` has 25, outside 0–23"));
        assert!(refused("cron(0 6 ? * FUNDAY *)").contains("day-of-week"));
        assert!(refused("cron(0 6 ? * MON-FRI 1900)").contains("year"));
        assert!(
            parse("cron(0 6 W * ? *)").is_ok(),
            "W alone is a weekday nearest"
        );
        assert!(refused("0 6 * * *").contains("cron(…), rate(…) or at(…)"));
    }

    #[test]
    fn at_is_one_local_time() {
        assert_eq!(runs("at(2026-12-01T09:30:00)"), 1.0);
        assert!(parse("at(2026-12-01 09:30)").is_err());
    }
}
