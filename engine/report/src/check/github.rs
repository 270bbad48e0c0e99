//! GitHub Actions workflow commands: one annotation per item, at its file, line and column.

use std::fmt::Write;

use idp_check::CheckReport;
use idp_model::Severity;

use super::{Counts, Verdict, item_status, uri};

/// Escapes the message of a workflow command.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property of a workflow command.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

/// `::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message` per item.
pub fn check_github(report: &CheckReport) -> String {
    let mut out = String::new();
    for (file, item) in report.items() {
        let command = match Verdict::of(item) {
            Verdict::InputError | Verdict::Failure | Verdict::Active(Severity::Deny) => "error",
            Verdict::Advisory | Verdict::Approval | Verdict::Active(Severity::Warn) => "warning",
            Verdict::Waived | Verdict::Active(Severity::Info) => "notice",
        };
        let mut message = item.message.clone();
        if let Some(env) = &item.environment {
            message = format!("{env}: {message}");
        }
        if let Some(w) = &item.waived {
            write!(
                message,
                " (waived until {} by {}: {})",
                w.until, w.owner, w.reason
            )
            .ok();
        }
        if let Some(help) = &item.help {
            write!(message, "\nhint: {help}").ok();
        }
        writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            property(&uri(&file.source.path)),
            item.start.0,
            item.start.1,
            item.end.0,
            item.end.1,
            property(&format!("{} ({})", item.rule, item_status(item))),
            data(&message)
        )
        .ok();
    }
    writeln!(out, "idp check: {}", Counts::of(report).line()).ok();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_escaping() {
        assert_eq!(data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(property("x:y,z"), "x%3Ay%2Cz");
    }
}
