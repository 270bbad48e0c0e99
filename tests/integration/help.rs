//! What users read first cannot change silently: the `--help` of every command and
//! subcommand is a snapshot (found by walking `Commands:` from `idp --help` down, so a
//! new command gets one), and `idp man` writes exactly one manual page for each.
//!
//! A changed help text is re-blessed with `INSTA_UPDATE=always` (COMMON16.md).

use std::collections::BTreeSet;

use crate::harness::Sandbox;

/// The subcommands a `--help` text lists under `Commands:` (clap's own `help` left out).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        // A description wrapped onto the next line is indented deeper than any name.
        .filter_map(|l| l.strip_prefix("  ").filter(|rest| !rest.starts_with(' ')))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

/// Every command path (`[]`, `["plan"]`, `["pricing", "refresh"]`, …) with its help.
fn every_help(s: &Sandbox) -> Vec<(Vec<String>, String)> {
    let mut found = Vec::new();
    let mut queue = vec![Vec::<String>::new()];
    while let Some(path) = queue.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let run = s.idp(&args);
        assert_eq!(run.code, 0, "idp {args:?}: {}", run.stderr);
        for sub in subcommands(&run.stdout) {
            let mut deeper = path.clone();
            deeper.push(sub);
            queue.push(deeper);
        }
        found.push((path, run.stdout));
    }
    found.sort();
    found
}

#[test]
fn the_help_of_every_command_is_a_snapshot() {
    let s = Sandbox::new();
    let helps = every_help(&s);
    assert!(helps.len() > 30, "only {} commands found", helps.len());
    for (path, help) in helps {
        let name = std::iter::once("idp".to_owned())
            .chain(path)
            .collect::<Vec<_>>()
            .join("_");
        insta::assert_snapshot!(format!("help_{name}"), help);
    }
}

#[test]
fn man_writes_one_page_per_command() {
    let s = Sandbox::new();
    let expected: BTreeSet<String> = every_help(&s)
        .into_iter()
        .map(|(path, _)| {
            std::iter::once("idp".to_owned())
                .chain(path)
                .collect::<Vec<_>>()
                .join("-")
                + ".1"
        })
        .collect();
    let dir = s.path().join("man1");
    let run = s.idp(&["man", "--output", &dir.display().to_string()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let written: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("the pages' directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(written, expected);
    let fmt = std::fs::read_to_string(dir.join("idp-fmt.1")).expect("idp-fmt.1");
    assert!(
        fmt.starts_with(".ie") && fmt.contains(".TH idp-fmt 1"),
        "{fmt}"
    );
    assert!(fmt.contains("\\-\\-convert\\-v1"), "{fmt}");

    let page = s.idp(&["man"]);
    assert_eq!(page.code, 0, "{}", page.stderr);
    assert!(page.stdout.contains(".TH idp 1"), "{}", page.stdout);
    assert!(page.stdout.contains(".SH SUBCOMMANDS"), "{}", page.stdout);
}
