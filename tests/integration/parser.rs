//! The parser against hostile and odd KDL: bounds (size, depth), characters KDL 2.0
//! disallows or counts as line ends, repeated properties, impossible waiver dates and
//! `idp check`'s judgement of every file `idp apply` would read; then a differential fuzz
//! run holding the fast path to the `kdl` crate.

use std::path::Path;
use std::time::{Duration, Instant};

use idp_spec::differential::{Decided, compare};

use crate::harness::Sandbox;

const GOOD: &str = "environment orders-preview {
    template api-service
    owner \"alice@acme.io\"
    region us-east-1
    service {
        image \"ghcr.io/acme/orders:1.4.2\"
    }
}
";

/// A sandbox with `idp.kdl` (the example project's) and the named specs.
fn project(files: &[(&str, &str)]) -> Sandbox {
    let s = Sandbox::new();
    let config = crate::harness::repo().join("examples/idp.kdl");
    std::fs::copy(&config, s.path().join("idp.kdl")).expect("copy idp.kdl");
    for (name, text) in files {
        std::fs::write(s.path().join(name), text).expect("write spec");
    }
    s
}

fn arg(s: &Sandbox, name: &str) -> String {
    s.path().join(name).display().to_string()
}

fn nested(levels: usize) -> String {
    let mut text = String::from(
        "environment deep {\n  template api-service\n  owner \"a@b.io\"\n  region us-east-1\n",
    );
    text.push_str(&"n {\n".repeat(levels));
    text.push_str(&"}\n".repeat(levels));
    text.push_str("}\n");
    text
}

#[test]
fn a_deeply_nested_spec_is_refused_at_its_line_and_check_reports_the_others() {
    let s = project(&[("deep.kdl", &nested(1_200)), ("good.kdl", GOOD)]);
    let run = s.idp(&["validate", &arg(&s, "deep.kdl")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("idp::spec::too_deep"), "{}", run.stderr);
    assert!(
        run.stderr.contains("deep.kdl:68:3"),
        "the 65th block: {}",
        run.stderr
    );

    let run = s.idp(&["check", &s.path().display().to_string(), "--format", "json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("a JSON report");
    let files = report["files"].as_array().expect("files");
    let by_name = |n: &str| {
        files
            .iter()
            .find(|f| f["path"].as_str().is_some_and(|p| p.ends_with(n)))
            .unwrap_or_else(|| panic!("{n} in the report: {report:#}"))
    };
    assert_eq!(
        by_name("deep.kdl")["findings"][0]["rule"],
        "idp::spec::too_deep"
    );
    assert_eq!(by_name("deep.kdl")["findings"][0]["line"], 68);
    assert!(
        by_name("good.kdl")["environments"]
            .as_array()
            .is_some_and(|e| !e.is_empty()),
        "{report:#}"
    );
}

#[test]
fn a_file_over_one_mebibyte_is_refused() {
    let mut text = GOOD.to_owned();
    while text.len() <= idp_spec::MAX_BYTES {
        text.push_str("// padding padding padding padding padding padding padding padding\n");
    }
    let s = project(&[("big.kdl", &text)]);
    let run = s.idp(&["validate", &arg(&s, "big.kdl")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.flat_stderr()
            .contains("more than the limit of 1048576 bytes (1 MiB)"),
        "{}",
        run.stderr
    );
}

/// The same file with a slashdash added far away used to read as another class: the
/// fast path ended `//` comments only at `\n`, `kdl` (rightly) at U+2028 too.
#[test]
fn every_kdl_line_end_ends_a_comment() {
    for newline in ["\u{2028}", "\u{85}", "\u{2029}", "\u{b}", "\u{c}", "\r"] {
        let text = GOOD.replace(
            "region us-east-1\n",
            &format!("region us-east-1 // staging{newline}class production\n"),
        );
        let slashdashed = text.replace("service {", "/-unused 1\n    service {");
        let s = project(&[("a.kdl", &text), ("b.kdl", &slashdashed)]);
        for file in ["a.kdl", "b.kdl"] {
            let run = s.idp(&["validate", &arg(&s, file), "--format", "json"]);
            assert_eq!(run.code, 0, "{newline:?} {file}: {}", run.stderr);
            assert!(
                run.stdout.contains("\"class\": \"production\""),
                "{newline:?} {file}: {}",
                run.stdout
            );
        }
    }
}

#[test]
fn bidi_controls_are_refused_where_they_are() {
    let text = GOOD.replace(
        "owner \"alice@acme.io\"",
        "owner \"alice@acme.io\u{202e}\u{2066}\"",
    );
    let s = project(&[("bidi.kdl", &text)]);
    let run = s.idp(&["validate", &arg(&s, "bidi.kdl")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let stderr = run.flat_stderr();
    assert!(
        stderr.contains("the character `U+202E` is not allowed in KDL"),
        "{stderr}"
    );
    assert!(stderr.contains("bidi.kdl:3:25"), "{stderr}");
}

#[test]
fn a_property_given_twice_is_refused() {
    let text = GOOD.replace(
        "template api-service",
        "template api-service version=\"^0.1\" version=\"^9\"",
    );
    let s = project(&[("dup.kdl", &text)]);
    let run = s.idp(&["validate", &arg(&s, "dup.kdl")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let stderr = run.flat_stderr();
    assert!(
        stderr.contains("`version` is given twice in `template`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("the first is on line 2; keep one"),
        "{stderr}"
    );
}

#[test]
fn an_impossible_waiver_date_is_an_input_error_at_its_line() {
    for date in ["2025-02-30", "0000-00-00", "2026-13-01"] {
        let text = GOOD.replace(
            "region us-east-1",
            &format!("region us-east-1\n    waive max-ttl reason=\"x\" owner=\"b@acme.io\" until=\"{date}\""),
        );
        let s = project(&[("w.kdl", &text)]);
        let run = s.idp(&["validate", &arg(&s, "w.kdl")]);
        assert_eq!(run.code, 2, "{date}: {}", run.stderr);
        let stderr = run.flat_stderr();
        assert!(
            stderr.contains(&format!("`{date}` is not a date")),
            "{stderr}"
        );
        assert!(stderr.contains("w.kdl:5:"), "{stderr}");
    }
}

#[test]
fn many_tags_or_unknown_inputs_take_linear_time_and_few_lines() {
    let inputs: String = (0..50_000)
        .map(|i| format!("    unknown-{i} 1\n"))
        .collect();
    let text = GOOD.replace("    service {", &format!("{inputs}    service {{"));
    let s = project(&[("many.kdl", &text)]);
    let run = s.idp(&["validate", &arg(&s, "many.kdl")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let stderr = run.flat_stderr();
    assert!(stderr.contains("… and 49,950 more problems"), "{stderr}");
    assert!(stderr.matches("unknown input").count() <= 50, "{stderr}");

    // 28 s in a release build when each tag was looked up among all before it.
    let tags: String = (0..100_000).map(|i| format!("t{i} v\n")).collect();
    let text = GOOD.replace(
        "    service {",
        &format!("tags {{\n{tags}}}\n    service {{"),
    );
    let s = project(&[("tags.kdl", &text)]);
    let run = s.idp(&["validate", &arg(&s, "tags.kdl")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.flat_stderr()
            .contains("100009 tags exceed AWS's limit of 50"),
        "{}",
        run.stderr
    );
}

/// `idp apply` reads these as specs; `idp check` used to skip them without a word.
#[test]
fn check_judges_every_file_apply_reads_as_a_spec() {
    let bom = format!("\u{feff}{GOOD}");
    let quoted = GOOD.replace("environment orders-preview", "\"environment\" quoted-env");
    let typed = GOOD.replace("environment orders-preview", "(x)environment typed-env");
    let s = project(&[
        ("bom.kdl", &bom),
        ("quoted.kdl", &quoted),
        ("typed.kdl", &typed),
    ]);
    let run = s.idp(&["check", &s.path().display().to_string(), "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("a JSON report");
    let mut paths: Vec<String> = report["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f["path"].as_str())
        .filter_map(|p| {
            Path::new(p)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        ["bom.kdl", "quoted.kdl", "typed.kdl"],
        "{}",
        run.stdout
    );
}

/// A tiny seeded generator (xorshift): no dependency, and a failure names its case.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

const NAMES: &[&str] = &[
    "environment",
    "a",
    "cpu",
    "\"environment\"",
    "\"quoted id\"",
    "(t)n",
    "ä",
    "-x",
    "x.y",
    "true",
    "#true",
    "r",
    "a1",
    "+b",
    ".c",
    "\"\"",
    "#\"raw\"#",
    "k",
    "k",
    "environment",
];
const VALUES: &[&str] = &[
    "1",
    "-4_000",
    "1.5",
    "2e3",
    "1e-3",
    "0x10",
    "0b1",
    "0o7",
    "+1",
    ".5",
    "1.",
    "1_",
    "#true",
    "#false",
    "#null",
    "#inf",
    "#-inf",
    "#nan",
    "true",
    "null",
    "\"s\"",
    "\"e\\\"\\n\\s\\t\"",
    "\"\\u{41}\"",
    "\"\\u{202e}\"",
    "bare",
    "-",
    "--",
    "-.",
    "#\"r\"#",
    "r#\"v1\"#",
    "r\"v1\"",
    "r#\"\"\"#",
    "#\"\"\"#",
    "(u8)1",
    "\"a b\"",
    "\"\"\"\n  m\n  \"\"\"",
    "\"\\\n  x\"",
    "99999999999999999999999",
    "1e999",
];
const SPACES: &[&str] = &[
    " ",
    "  ",
    "\t",
    "\u{a0}",
    "\u{3000}",
    " /* c */ ",
    " /* /* n */ */ ",
    " \\\n ",
    " \\ // c\n ",
];
const LINE_ENDS: &[&str] = &[
    "\n",
    "\r\n",
    "\r",
    "\u{85}",
    "\u{b}",
    "\u{c}",
    "\u{2028}",
    "\u{2029}",
    ";",
    "; ",
    " // c\n",
    " // c\u{2028}",
    " // c\u{85}",
    " // c\r",
    " // c\u{c}",
];
const TRICKY: &[&str] = &[
    "\u{202e}", "\u{2066}", "\u{200e}", "\u{feff}", "\u{7f}", "\u{0}", "\u{1b}", "\u{85}",
    "\u{2028}", "\u{b}", "/-", "/*", "*/", "//", "{", "}", "(", ")", "=", ";", "\"", "#", "\\",
    "é", "\u{a0}", "[", "]", ",",
];

/// The plain subset the fast path reads, which most generated documents keep to, so
/// that the two parsers are compared on it and on one odd piece at a time.
const PLAIN_NAMES: &[&str] = &[
    "environment",
    "a",
    "cpu",
    "k-x",
    "\"quoted id\"",
    "x.y",
    "-x",
];
const PLAIN_VALUES: &[&str] = &[
    "1",
    "-4_000",
    "1.5",
    "2e3",
    "0",
    "\"s\"",
    "\"e\\\"\\n\\s\"",
    "#true",
    "#null",
    "bare",
    "\"\"",
];
const PLAIN_SPACES: &[&str] = &[" ", "\t", " /* c */ "];
const PLAIN_ENDS: &[&str] = &["\n", "\r\n", " // c\n", ";", "; "];

struct Gen {
    rng: Rng,
    plain: bool,
}

impl Gen {
    /// Mostly from the plain list; from the full one always when not plain, else 1 in 25.
    fn pick<'a>(&mut self, plain: &[&'a str], all: &[&'a str]) -> &'a str {
        if self.plain && self.rng.below(25) != 0 {
            self.rng.pick(plain)
        } else {
            self.rng.pick(all)
        }
    }

    fn node(&mut self, out: &mut String, depth: usize) {
        if !self.plain && self.rng.below(8) == 0 {
            out.push_str("/-");
        }
        out.push_str(self.pick(PLAIN_NAMES, NAMES));
        for _ in 0..self.rng.below(4) {
            out.push_str(self.pick(PLAIN_SPACES, SPACES));
            let value = self.pick(PLAIN_VALUES, VALUES);
            if self.rng.below(3) == 0 {
                let key = self.pick(&["k", "k", "version"], &["k", "version", "\"q k\"", "(t)k"]);
                out.push_str(&format!("{key}={value}"));
            } else {
                out.push_str(value);
            }
        }
        if depth < 4 && self.rng.below(3) == 0 {
            out.push_str(" {");
            out.push_str(self.pick(&["\n", "\r\n", " // c\n"], LINE_ENDS));
            for _ in 0..self.rng.below(4) {
                self.node(out, depth + 1);
            }
            out.push('}');
        }
        out.push_str(self.pick(PLAIN_ENDS, LINE_ENDS));
    }
}

/// A document from the grammar's pieces, then (sometimes) a few characters inserted.
fn document(rng: Rng) -> String {
    let mut g = Gen { rng, plain: false };
    g.plain = g.rng.below(4) != 0;
    let mut out = String::new();
    if g.rng.below(20) == 0 {
        out.push('\u{feff}');
    }
    for _ in 0..1 + g.rng.below(5) {
        g.node(&mut out, 0);
    }
    let inserts = if g.plain {
        g.rng.below(4) / 3
    } else {
        g.rng.below(3)
    };
    for _ in 0..inserts {
        let mut at = g.rng.below(out.len() + 1);
        while !out.is_char_boundary(at) {
            at -= 1;
        }
        out.insert_str(at, g.rng.pick(TRICKY));
    }
    out
}

/// One to three pieces repeated to 200 KB: the shape of input on which a recursive
/// parser's error recovery recurses once per repetition.
fn flood(mut rng: Rng) -> String {
    let mut unit = String::new();
    for _ in 0..1 + rng.below(3) {
        let pieces = [TRICKY, VALUES, NAMES, SPACES, LINE_ENDS][rng.below(5)];
        unit.push_str(rng.pick(pieces));
    }
    unit.repeat(200_000 / unit.len())
}

/// Generated documents through both parsers: any disagreement, any accepted document
/// deeper than the bound, any panic fails with the seed and text (a stack overflow
/// aborts the run: the last `flood case` line names it). `IDP_FUZZ_SECONDS` runs for that
/// long instead of the fixed number of cases, with floods among them.
#[test]
fn fuzz_the_fast_path_agrees_with_the_kdl_crate() {
    let seconds: Option<u64> = std::env::var("IDP_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok());
    let deadline = seconds.map(|s| Instant::now() + Duration::from_secs(s));
    // `IDP_FUZZ_CASE=N` replays one case of the long run.
    let only: Option<u64> = std::env::var("IDP_FUZZ_CASE")
        .ok()
        .and_then(|s| s.parse().ok());
    let long = deadline.is_some() || only.is_some();
    let cases = if deadline.is_some() { u64::MAX } else { 2_000 };
    let (mut fast, mut kdl, mut refused) = (0u64, 0u64, 0u64);
    let started = Instant::now();
    for case in only.map_or(0..cases, |n| n..n + 1) {
        if deadline.is_some_and(|d| Instant::now() > d) {
            break;
        }
        let seed = 0x9e37_79b9_7f4a_7c15 ^ case;
        // Floods take seconds each in a debug build: only in the long run, 1 in 2,000.
        let text = if long && case % 2_000 == 1_999 {
            eprintln!("fuzz: flood case {case}");
            flood(Rng(seed | 1))
        } else {
            document(Rng(seed | 1))
        };
        if only.is_some() {
            eprintln!(
                "fuzz: case {case}, {} bytes: {:?}…",
                text.len(),
                &text[..text.len().min(60)]
            );
        }
        let outcome = std::panic::catch_unwind(|| compare(&text))
            .unwrap_or_else(|_| Err("panicked".to_owned()));
        match outcome {
            Ok(Decided::Fast) => fast += 1,
            Ok(Decided::Kdl) => kdl += 1,
            Ok(Decided::Prescan) => refused += 1,
            Err(why) => panic!("case {case} (seed {seed:#x}): {why}\n{text:?}"),
        }
        if deadline.is_some() && case % 10_000 == 0 {
            eprintln!("fuzz: {case} cases, {:?}", started.elapsed());
        }
    }
    eprintln!(
        "fuzz: {} cases in {:?}: {fast} read by the fast path and agreed, {kdl} left to kdl, {refused} refused by the prescan",
        fast + kdl + refused,
        started.elapsed()
    );
    assert!(
        only.is_some() || (fast > 0 && kdl > 0 && refused > 0),
        "the generator covers all three"
    );
}
