//! Business hours: when a non-production environment runs (the spec's reserved
//! `schedule { weekdays "08:00-20:00"; timezone "Europe/Berlin" }`).

use serde::Serialize;

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Weekday {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

impl Weekday {
    /// Monday to Friday: what `weekdays` means.
    pub const WEEKDAYS: [Weekday; 5] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
    ];

    /// The three-letter name cron expressions use (`MON`).
    pub fn cron(self) -> &'static str {
        match self {
            Weekday::Monday => "MON",
            Weekday::Tuesday => "TUE",
            Weekday::Wednesday => "WED",
            Weekday::Thursday => "THU",
            Weekday::Friday => "FRI",
            Weekday::Saturday => "SAT",
            Weekday::Sunday => "SUN",
        }
    }
}

/// Why a schedule cannot be used; the spec reader turns each into a problem at its line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The window is not `HH:MM-HH:MM`.
    #[error("`{0}` is not a window of hours")]
    Window(String),
    /// The window ends at or before its start (a window across midnight is not supported).
    #[error("the window `{0}` ends before it starts")]
    Backwards(String),
    /// The time zone is not in the IANA database.
    #[error("`{0}` is not a time zone")]
    Zone(String),
}

/// The hours an environment runs: the same window on each of `days`, in `timezone`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Schedule {
    /// The days it runs, Monday first.
    pub days: Vec<Weekday>,
    /// Start each day, `HH:MM`.
    pub start: String,
    /// Stop each day, `HH:MM`, after `start`.
    pub stop: String,
    /// IANA time zone (`Europe/Berlin`).
    pub timezone: String,
}

/// Minutes after midnight of `HH:MM`, 24-hour (`00:00` to `23:59`: a window ends on
/// the day it starts, as the cron expressions of the modules' scheduled actions do).
fn minutes(text: &str) -> Option<u32> {
    let (h, m) = text.split_once(':')?;
    let digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || !digits(m) {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

impl Schedule {
    /// The weekdays (Monday to Friday) from `window` (`08:00-20:00`, 24-hour local
    /// times, the start before the end) in the IANA zone `timezone`.
    pub fn weekdays(window: &str, timezone: &str) -> Result<Schedule, ScheduleError> {
        let (start, stop) = window
            .split_once('-')
            .map(|(a, b)| (a.trim(), b.trim()))
            .ok_or_else(|| ScheduleError::Window(window.to_owned()))?;
        let (from, to) = minutes(start)
            .zip(minutes(stop))
            .ok_or_else(|| ScheduleError::Window(window.to_owned()))?;
        if to <= from {
            return Err(ScheduleError::Backwards(window.to_owned()));
        }
        if jiff::tz::TimeZone::get(timezone).is_err() {
            return Err(ScheduleError::Zone(timezone.to_owned()));
        }
        Ok(Schedule {
            days: Weekday::WEEKDAYS.to_vec(),
            start: start.to_owned(),
            stop: stop.to_owned(),
            timezone: timezone.to_owned(),
        })
    }

    /// Hours it runs a week: the window's length times the number of days.
    pub fn hours_per_week(&self) -> f64 {
        let (from, to) = (minutes(&self.start), minutes(&self.stop));
        let minutes = to.unwrap_or(0).saturating_sub(from.unwrap_or(0));
        f64::from(minutes) / 60.0 * self.days.len() as f64
    }

    /// The share of the week it runs (`60 / 168` for weekdays 08:00 to 20:00): a month of
    /// `per_month` hours bills a following line `per_month × share` hours.
    pub fn share_of_week(&self) -> f64 {
        self.hours_per_week() / 168.0
    }

    /// The window as written (`08:00-20:00`).
    pub fn window(&self) -> String {
        format!("{}-{}", self.start, self.stop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekdays_from_eight_to_eight_are_sixty_hours() {
        let s = Schedule::weekdays("08:00-20:00", "Europe/Berlin").expect("valid");
        assert_eq!(s.days.len(), 5);
        assert_eq!(s.hours_per_week(), 60.0);
        assert_eq!(s.window(), "08:00-20:00");
        let late = Schedule::weekdays("07:30-23:30", "UTC").expect("valid");
        assert_eq!(late.hours_per_week(), 16.0 * 5.0);
    }

    #[test]
    fn bad_windows_and_zones_are_refused() {
        for (window, err) in [
            ("8-20", ScheduleError::Window("8-20".into())),
            ("08:00", ScheduleError::Window("08:00".into())),
            ("08:60-20:00", ScheduleError::Window("08:60-20:00".into())),
            ("25:00-26:00", ScheduleError::Window("25:00-26:00".into())),
            ("08:00-24:00", ScheduleError::Window("08:00-24:00".into())),
            (
                "20:00-08:00",
                ScheduleError::Backwards("20:00-08:00".into()),
            ),
            (
                "08:00-08:00",
                ScheduleError::Backwards("08:00-08:00".into()),
            ),
        ] {
            assert_eq!(Schedule::weekdays(window, "UTC"), Err(err), "{window}");
        }
        assert_eq!(
            Schedule::weekdays("08:00-20:00", "Europe/Berlln"),
            Err(ScheduleError::Zone("Europe/Berlln".into()))
        );
    }
}
