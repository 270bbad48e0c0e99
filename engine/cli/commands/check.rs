//! `idp check`: every spec under some paths through the pipeline up to judge, reported
//! in the format CI reads.

use std::io::Write;
use std::path::{Path, PathBuf};

use idp_check::{Cache, CacheMode, CheckReport, FileResult, ItemKind, OnFile, RunOptions};
use idp_config::ProjectConfig;
use idp_report as report;

use crate::args::{CheckArgs, CheckFormat, FailOn};
use crate::context;
use crate::outcome::Outcome;
use crate::progress;
use crate::ui::{self, CliError};

/// Writes the report (`write`) to `path`, replacing it or appending to it.
fn write_file(
    path: &Path,
    append: bool,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), CliError> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true);
    if append {
        options.append(true);
    } else {
        options.write(true).truncate(true);
    }
    options
        .open(path)
        .and_then(|f| {
            let mut out = std::io::BufWriter::new(f);
            write(&mut out)?;
            out.flush()
        })
        .map_err(|e| {
            CliError::usage(
                "idp::usage::output_unwritable",
                format!("cannot write `{}`: {e}", path.display()),
                "pass a path in a directory that exists and is writable",
            )
        })
}

pub fn run(explicit: Option<&Path>, args: &CheckArgs) -> Result<Outcome, CliError> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let files = idp_check::discover(&paths).map_err(CliError::input)?;
    let (groups, orphans) = idp_check::group(files, explicit);
    let isolation = isolation(args);
    let mut broken: Vec<FileResult> = orphans;
    let mut projects = load_projects(groups, explicit, isolation, &mut broken)?;
    let changes = match &args.base {
        Some(base) => Some(super::check_base::keep_changed(&mut projects, base)?),
        None => None,
    };
    let threads = threads(args);
    // Against a base, only a few specs run, and their expiry is shown: computed afresh.
    let cache = open_cache(args).filter(|_| changes.is_none());
    let specs = projects.iter().map(|(_, files)| files.len() as u64).sum();
    let bar = progress::bar(specs, "checking", args.quiet);
    let tick = || bar.inc(1);
    let mut outcome: CheckReport = idp_check::run(
        &projects,
        RunOptions {
            now: context::now()?,
            threads,
            cache: cache.as_ref(),
            on_file: Some(OnFile(&tick)),
        },
    );
    bar.finish_and_clear();
    outcome.files.extend(broken);
    outcome
        .files
        .sort_by(|a, b| a.source.path.cmp(&b.source.path));

    let result = outcome_of(&outcome, args.fail_on == FailOn::Warn);
    let passed = result == Outcome::Clean;
    let verdict = match (&changes, &args.base) {
        (Some(changes), Some(base)) => verdict(args, &outcome, changes, (explicit, base), passed)?,
        _ => None,
    };
    match (&verdict, args.format) {
        (Some(text), CheckFormat::Markdown) => emit(args, |out| out.write_all(text.as_bytes()))?,
        _ => emit(args, |out| render(&outcome, args, passed, out))?,
    }
    if let Some(path) = &args.summary {
        let markdown = verdict.unwrap_or_else(|| report::check_markdown(&outcome, passed));
        write_file(path, true, |out| out.write_all(markdown.as_bytes()))?;
    }
    if args.stats {
        print_stats(&outcome, cache.as_ref());
    }
    Ok(result)
}

/// Against a base, the markdown verdict with each changed environment's cost delta, when
/// it is the report (`--format markdown`) or the summary; `None` when neither shows it.
fn verdict(
    args: &CheckArgs,
    outcome: &CheckReport,
    changes: &[idp_check::ChangedSpec],
    (explicit, base): (Option<&Path>, &Path),
    passed: bool,
) -> Result<Option<String>, CliError> {
    if args.format != CheckFormat::Markdown && args.summary.is_none() {
        return Ok(None);
    }
    let isolation = isolation(args);
    let costs = super::check_base::base_costs(changes, explicit, base, isolation)?;
    Ok(Some(report::check_base_markdown(
        outcome, changes, &costs, passed,
    )))
}

fn isolation(args: &CheckArgs) -> idp_host::Isolation {
    if args.strict {
        idp_host::Isolation::Strict
    } else {
        idp_host::Isolation::Reuse
    }
}

/// Writes the report to `--output`, or else to stdout.
fn emit(
    args: &CheckArgs,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), CliError> {
    match &args.output {
        Some(path) => write_file(path, false, write),
        None => print_report(write),
    }
}

/// Loads each group's configuration into a project with its specs; a configuration with
/// problems is reported in `broken` instead.
pub(super) fn load_projects(
    groups: Vec<idp_check::Group>,
    explicit: Option<&Path>,
    isolation: idp_host::Isolation,
    broken: &mut Vec<FileResult>,
) -> Result<Vec<(idp_plan::Project, Vec<PathBuf>)>, CliError> {
    let mut projects = Vec::new();
    for g in groups {
        let loaded = match explicit {
            Some(_) => ProjectConfig::load(&g.config),
            None => ProjectConfig::load_layered(&g.config),
        };
        match loaded {
            Ok(config) => projects.push((context::project_of(config, isolation)?, g.files)),
            Err(problems) => {
                let source = problems
                    .0
                    .first()
                    .map(|p| p.source.clone())
                    .unwrap_or_else(|| idp_spec::SourceFile::new(&g.config, ""));
                broken.push(FileResult::problems(source, &problems).of_config());
            }
        }
    }
    Ok(projects)
}

/// Worker threads: `--jobs`, else one per core.
fn threads(args: &CheckArgs) -> usize {
    args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    })
}

/// The result cache in idp's cache directory, unless `--no-cache`.
fn open_cache(args: &CheckArgs) -> Option<Cache> {
    if args.no_cache {
        return None;
    }
    let mode = if args.cache_readonly {
        CacheMode::ReadOnly
    } else {
        CacheMode::ReadWrite
    };
    context::cache_dir().map(|d| Cache::new(&d, mode, &build_identity()))
}

/// How the check ends: a failure, then invalid input, then a denial outrank a clean run.
fn outcome_of(outcome: &CheckReport, fail_on_warn: bool) -> Outcome {
    let fails = outcome.fails(fail_on_warn);
    if outcome.has(ItemKind::Failure) {
        Outcome::Failed
    } else if outcome.has(ItemKind::Input) {
        Outcome::Invalid
    } else if fails {
        Outcome::Denied
    } else {
        Outcome::Clean
    }
}

/// Writes the report to stdout; a reader that stops reading (`| head`) ends it quietly.
fn print_report(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<(), CliError> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::usage(
            "idp::usage::output_unwritable",
            format!("cannot write the report to standard output: {e}"),
            "pass `--output FILE` to write it to a file",
        )),
        _ => Ok(()),
    }
}

/// Writes the report in the requested format to `out`; the human format prints its
/// diagnostics to stderr first. JSON is written one file at a time (decision 0004).
fn render(
    outcome: &CheckReport,
    args: &CheckArgs,
    passed: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let text = match args.format {
        CheckFormat::Human => {
            ui::eprint_diagnostics(&report::check_problems(outcome).0, threads(args));
            let mut text = report::check_human(outcome);
            if args.cost {
                text.push_str(&report::check_costs(outcome));
            }
            text
        }
        CheckFormat::Json => return report::write_check_json(outcome, !passed, out),
        CheckFormat::Sarif => pretty(&report::check_sarif(outcome)),
        CheckFormat::Junit => report::check_junit(outcome),
        CheckFormat::Github => report::check_github(outcome),
        CheckFormat::Markdown => report::check_markdown(outcome, passed),
    };
    out.write_all(text.as_bytes())
}

/// `--stats`: where the time went, peak memory and the cache's counts, on stderr.
fn print_stats(outcome: &CheckReport, cache: Option<&Cache>) {
    let peak = peak_memory_mb().map_or_else(String::new, |mb| format!(", peak memory {mb:.0} MB"));
    eprintln!("{}{peak}", report::check_timings(outcome));
    if let Some(cache) = cache {
        let s = &cache.stats;
        let n = |c: &std::sync::atomic::AtomicUsize| c.load(std::sync::atomic::Ordering::Relaxed);
        eprintln!(
            "cache: {} hit(s), {} miss(es), {} written",
            n(&s.hits),
            n(&s.misses),
            n(&s.written)
        );
    }
}

/// What identifies idp's own code in the cache key: the version of a release; a debug
/// build, whose code changes under one version while idp is developed, adds its
/// executable's size and modification time (decision 0011).
fn build_identity() -> String {
    let version = env!("CARGO_PKG_VERSION").to_owned();
    if !cfg!(debug_assertions) {
        return version;
    }
    let built = std::env::current_exe()
        .and_then(std::fs::metadata)
        .map(|m| format!("{} {:?}", m.len(), m.modified().ok()));
    match built {
        Ok(b) => format!("{version} debug {b}"),
        // Unknown build: a key no other run shares.
        Err(_) => format!("{version} debug {:?}", std::time::SystemTime::now()),
    }
}

fn pretty(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// Peak resident memory of this process (Linux's `VmHWM`), for `--stats`.
fn peak_memory_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}
