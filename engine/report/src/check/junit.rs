//! JUnit XML: a test suite per spec file, a test case per environment; blocking findings
//! are failures, input problems and plugin failures are errors, the rest is output.

use std::fmt::Write;

use idp_check::{CheckReport, FileResult, Item, ItemKind};

use super::item_status;

/// Escapes text for XML content and attribute values; characters XML 1.0 cannot carry at
/// all become `?`. Every JUnit report idp writes (`idp check`, `idp plugin test`) uses it.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\r' | '\t' => out.push(c),
            c if (c as u32) < 0x20 || matches!(c, '\u{fffe}' | '\u{ffff}') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

fn describe(file: &FileResult, item: &Item) -> String {
    let mut text = format!(
        "{}:{}:{}: {} {}: {}",
        file.source.path.display(),
        item.start.0,
        item.start.1,
        item_status(item),
        item.rule,
        item.message
    );
    if let Some(w) = &item.waived {
        write!(
            text,
            " (waived until {} by {}: {})",
            w.until, w.owner, w.reason
        )
        .ok();
    }
    if let Some(h) = &item.help {
        write!(text, "\nhint: {h}").ok();
    }
    text
}

struct Case<'a> {
    name: String,
    items: Vec<&'a Item>,
}

/// The JUnit XML of a check.
pub fn check_junit(report: &CheckReport) -> String {
    let mut suites = String::new();
    let (mut tests, mut failures, mut errors) = (0, 0, 0);
    for file in &report.files {
        let cases = file_cases(file);
        let path = file.source.path.display().to_string();
        let (mut f_count, mut e_count) = (0, 0);
        let mut body = String::new();
        for case in &cases {
            let (f, e) = case_xml(file, &path, case, &mut body);
            f_count += f;
            e_count += e;
        }
        tests += cases.len();
        failures += f_count;
        errors += e_count;
        writeln!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f_count}\" errors=\"{e_count}\">\n{body}  </testsuite>",
            xml(&path),
            cases.len()
        )
        .ok();
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"idp check\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">\n{suites}</testsuites>\n"
    )
}

/// A test case per environment, plus `(file)` for what belongs to none (or when the file
/// has no environment, so that every file is a suite with a case).
fn file_cases(file: &FileResult) -> Vec<Case<'_>> {
    let mut cases: Vec<Case<'_>> = file
        .environments
        .iter()
        .map(|e| Case {
            name: e.name.clone(),
            items: file
                .items
                .iter()
                .filter(|i| i.environment.as_deref() == Some(e.name.as_str()))
                .collect(),
        })
        .collect();
    let loose: Vec<&Item> = file
        .items
        .iter()
        .filter(|i| i.environment.is_none())
        .collect();
    if !loose.is_empty() || cases.is_empty() {
        cases.push(Case {
            name: "(file)".into(),
            items: loose,
        });
    }
    cases
}

/// Writes one `<testcase>`; returns how many failures and errors it counts (0 or 1 each).
fn case_xml(file: &FileResult, path: &str, case: &Case<'_>, body: &mut String) -> (usize, usize) {
    write!(
        body,
        "    <testcase classname=\"{}\" name=\"{}\"",
        xml(path),
        xml(&case.name)
    )
    .ok();
    let blocking: Vec<&&Item> = case.items.iter().filter(|i| i.blocks()).collect();
    let broken: Vec<&&Item> = case
        .items
        .iter()
        .filter(|i| i.kind != ItemKind::Finding)
        .collect();
    let other: Vec<&&Item> = case
        .items
        .iter()
        .filter(|i| i.kind == ItemKind::Finding && !i.blocks())
        .collect();
    if blocking.is_empty() && broken.is_empty() && other.is_empty() {
        body.push_str("/>\n");
        return (0, 0);
    }
    body.push_str(">\n");
    let mut counts = (0, 0);
    // An input problem or plugin failure is an error; else a blocking finding fails.
    let (tag, shown) = if broken.is_empty() {
        ("failure", &blocking)
    } else {
        ("error", &broken)
    };
    if let Some(first) = shown.first() {
        if tag == "error" {
            counts.1 += 1;
        } else {
            counts.0 += 1;
        }
        let text: Vec<String> = shown.iter().map(|i| describe(file, i)).collect();
        writeln!(
            body,
            "      <{tag} type=\"{}\" message=\"{}\">{}</{tag}>",
            xml(&first.rule),
            xml(&first.message),
            xml(&text.join("\n"))
        )
        .ok();
    }
    if !other.is_empty() {
        let text: Vec<String> = other.iter().map(|i| describe(file, i)).collect();
        writeln!(
            body,
            "      <system-out>{}</system-out>",
            xml(&text.join("\n"))
        )
        .ok();
    }
    body.push_str("    </testcase>\n");
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escaping() {
        assert_eq!(
            xml("a<b & \"c\" 'd'>"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"
        );
        assert_eq!(xml("x\u{1}y"), "x?y");
    }
}
