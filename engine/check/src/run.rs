//! Running the pipeline to judge over many specs on all cores.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use idp_model::Severity;
use idp_plan::{Pipeline, PlanError, Project, Stage, StageTimes};
use idp_spec::{SourceFile, SpecFile};
use jiff::Timestamp;

use crate::cache::{Cache, Context};
use crate::report::{CheckReport, FileResult, Item, RuleDescriptor, Timings};

/// How to run a check.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions<'c> {
    /// The clock for expiry and waiver dates.
    pub now: Timestamp,
    /// Worker threads (at least 1).
    pub threads: usize,
    /// The result cache, unless the run goes without (`--no-cache`).
    pub cache: Option<&'c Cache>,
    /// Told of each spec checked, by the worker that checked it (a progress bar).
    pub on_file: Option<OnFile<'c>>,
}

/// What [`RunOptions::on_file`] calls once per spec checked, from any worker thread.
#[derive(Clone, Copy)]
pub struct OnFile<'c>(pub &'c (dyn Fn() + Sync));

impl std::fmt::Debug for OnFile<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OnFile")
    }
}

/// Rules idp itself reports, beside the policies' own.
fn engine_rules() -> Vec<RuleDescriptor> {
    vec![
        RuleDescriptor {
            id: "idp/waiver-expired".into(),
            summary: "a waiver is still within its `until` date".into(),
            help: "an expired waiver stops accepting its findings and fails the check: fix what it waived, or renew it with a new date and reason".into(),
            default_severity: Severity::Deny,
        },
        RuleDescriptor {
            id: "idp/waiver-unused".into(),
            summary: "every waiver accepts at least one finding".into(),
            help: "a waiver that matches nothing is stale: remove it, or check the rule id with `idp catalog show POLICY`".into(),
            default_severity: Severity::Warn,
        },
    ]
}

/// A file the pipeline could not finish, under the error's own code (`idp::host::trap`,
/// `idp::catalog::digest_mismatch`): the one `idp plan` shows for the same failure.
fn failure(source: SourceFile, e: &PlanError) -> FileResult {
    let code = miette::Diagnostic::code(e).map(|c| c.to_string());
    FileResult::failed(
        source,
        code.as_deref().unwrap_or("idp::plan::failed"),
        e.to_string(),
    )
}

/// Reads one file; one that cannot be read is its own result.
fn read_source(path: &Path) -> Result<SourceFile, FileResult> {
    SourceFile::read(path).map_err(|e| {
        FileResult::unreadable(
            path,
            crate::Item::input_error(
                "idp::check::unreadable",
                format!("cannot read `{}`: {e}", path.display()),
                None,
            ),
        )
    })
}

/// Plans one file up to judge and reduces it to its result, with the names of its
/// environments (whose records the result depends on).
fn check_source(
    pipeline: &mut Pipeline<'_>,
    source: SourceFile,
    now: Timestamp,
    parse: &mut Duration,
) -> (FileResult, Vec<String>) {
    let start = Instant::now();
    let spec = SpecFile::parse(source.clone());
    *parse += start.elapsed();
    let spec = match spec {
        Ok(s) => s,
        Err(problems) => return (FileResult::problems(source, &problems), Vec::new()),
    };
    let names = spec
        .environments
        .iter()
        .map(|e| e.name.value.clone())
        .collect();
    let result = match pipeline.plan(&spec, None, Stage::Judge, now) {
        Ok(plan) => FileResult::judged(plan),
        Err(PlanError::Input(problems)) => FileResult::problems(source, &problems),
        Err(e) => failure(source, &e),
    };
    (result, names)
}

/// One worker's state: a pipeline per project, loaded on the first file that misses the
/// cache (a fully cached run loads no template).
struct Worker<'p> {
    projects: &'p [(Project, Vec<PathBuf>)],
    contexts: &'p [Option<Context>],
    options: RunOptions<'p>,
    pipelines: Vec<Option<Pipeline<'p>>>,
    parse: Duration,
}

impl<'p> Worker<'p> {
    fn check(&mut self, g: usize, path: &Path) -> FileResult {
        let source = match read_source(path) {
            Ok(s) => s,
            Err(unreadable) => return unreadable,
        };
        let project = &self.projects[g].0;
        let cached = match (self.options.cache, &self.contexts[g]) {
            (Some(cache), Some(context)) => Some((cache, context, Cache::key(context, &source))),
            _ => None,
        };
        if let Some((cache, context, key)) = &cached
            && let Some(hit) = cache.get(context, key, project, &source)
        {
            return hit;
        }
        let pipeline = match &mut self.pipelines[g] {
            Some(p) => p,
            slot => match Pipeline::new(project) {
                Ok(p) => slot.insert(p),
                Err(e) => return failure(SourceFile::new(path, String::new()), &e),
            },
        };
        let (result, names) = check_source(pipeline, source, self.options.now, &mut self.parse);
        if let Some((cache, context, key)) = &cached {
            cache.put(context, key, project, &names, &result);
        }
        result
    }
}

/// A waiver in `idp.kdl` is stale when it covers checked specs and accepted a finding in
/// none of them; one that covers no checked spec says nothing (the run saw only a part).
fn report_unused_project_waivers(
    projects: &[(Project, Vec<PathBuf>)],
    jobs: &[(usize, &PathBuf)],
    results: &[(usize, FileResult)],
    files: &mut Vec<FileResult>,
) {
    for (g, (project, _)) in projects.iter().enumerate() {
        let config = &project.config;
        let mut state = vec![(false, false); config.waivers.len()];
        for (i, result) in results {
            if jobs.get(*i).is_some_and(|(group, _)| *group == g) {
                for &(index, used) in &result.project_waivers {
                    if let Some(s) = state.get_mut(index) {
                        *s = (true, s.1 || used);
                    }
                }
            }
        }
        let items: Vec<Item> = config
            .waivers
            .iter()
            .zip(&state)
            .filter(|(_, (covered, used))| *covered && !*used)
            .map(|(w, _)| {
                Item::engine_finding(
                    &w.source,
                    w.waiver.rule.span,
                    "idp/waiver-unused",
                    Severity::Warn,
                    format!(
                        "waiver for {} (path=\"{}\") matches no finding in the specs it covers",
                        w.waiver.rule.value, w.glob
                    ),
                    Some(
                        "remove the waiver, or check the rule id with `idp catalog show POLICY`"
                            .into(),
                    ),
                )
            })
            .collect();
        if items.is_empty() {
            continue;
        }
        match files
            .iter_mut()
            .find(|f| f.source.path == config.source.path)
        {
            Some(f) => f.items.extend(items),
            None => files.push(FileResult {
                source: config.source.clone(),
                environments: Vec::new(),
                items,
                project_waivers: Vec::new(),
                config: true,
                provenance: None,
            }),
        }
    }
}

/// Checks every group's specs; a project whose `idp.kdl` has problems reports them
/// instead of its specs.
pub fn run(projects: &[(Project, Vec<PathBuf>)], options: RunOptions<'_>) -> CheckReport {
    let started = Instant::now();
    let mut report = CheckReport {
        rules: engine_rules(),
        ..CheckReport::default()
    };
    let (jobs, contexts) = load_projects(projects, options, &mut report);
    report.rules.sort_by(|a, b| a.id.cmp(&b.id));
    report.rules.dedup_by(|a, b| a.id == b.id);

    let (mut results, mut timings) = check_files(projects, &jobs, &contexts, options);
    report_unchecked(&jobs, &mut results);
    if let Some(cache) = options.cache {
        contexts.into_iter().flatten().for_each(|c| cache.save(c));
    }
    report_unused_project_waivers(projects, &jobs, &results, &mut report.files);
    report.files.extend(results.into_iter().map(|(_, r)| r));
    report
        .files
        .sort_by(|a, b| a.source.path.cmp(&b.source.path));
    timings.wall = started.elapsed();
    report.timings = timings;
    report
}

/// Loads each project's pipeline once, to report configuration problems and learn its
/// policies' rules; returns the files to check (with their project's index) and each
/// project's cache context.
fn load_projects<'a>(
    projects: &'a [(Project, Vec<PathBuf>)],
    options: RunOptions<'_>,
    report: &mut CheckReport,
) -> (Vec<(usize, &'a PathBuf)>, Vec<Option<Context>>) {
    let mut jobs = Vec::new();
    let mut contexts: Vec<Option<Context>> = projects.iter().map(|_| None).collect();
    for (g, (project, files)) in projects.iter().enumerate() {
        // Load once here to report configuration problems and learn the rules; workers
        // load their own copies (plugins are cheap to load from the compile cache).
        match Pipeline::new(project) {
            Ok(pipeline) => {
                add_policy_rules(&pipeline, &mut report.rules);
                jobs.extend(files.iter().map(|f| (g, f)));
                contexts[g] = options.cache.and_then(|c| c.context(project, options.now));
            }
            Err(PlanError::Input(problems)) => report.files.push(FileResult::problems(
                project.config.source.clone(),
                &problems,
            )),
            Err(e) => report
                .files
                .push(failure(project.config.source.clone(), &e)),
        }
    }
    (jobs, contexts)
}

/// Adds every rule of the pipeline's policies, named `policy/rule`.
fn add_policy_rules(pipeline: &Pipeline<'_>, rules: &mut Vec<RuleDescriptor>) {
    for p in pipeline.policies() {
        let info = p.plugin.info();
        for r in &info.rules {
            rules.push(RuleDescriptor {
                id: format!("{}/{}", info.name, r.id),
                summary: r.summary.clone(),
                help: r.help.clone(),
                default_severity: r.default_severity,
            });
        }
    }
}

/// Checks the files on up to `options.threads` workers; returns each result with its
/// index in `jobs` (a panicked worker's files are missing) and where the time went.
fn check_files(
    projects: &[(Project, Vec<PathBuf>)],
    jobs: &[(usize, &PathBuf)],
    contexts: &[Option<Context>],
    options: RunOptions<'_>,
) -> (Vec<(usize, FileResult)>, Timings) {
    let threads = options.threads.clamp(1, jobs.len().max(1));
    let next = AtomicUsize::new(0);
    let mut results: Vec<(usize, FileResult)> = Vec::with_capacity(jobs.len());
    let mut timings = Timings {
        threads,
        ..Timings::default()
    };
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| scope.spawn(|| work(projects, contexts, options, jobs, &next)))
            .collect();
        for w in workers {
            // A worker panics only on a bug; its files are then reported as not checked.
            if let Ok((done, parse, stages)) = w.join() {
                results.extend(done);
                timings.parse += parse;
                timings.stages.add(&stages);
            }
        }
    });
    (results, timings)
}

/// One worker thread: checks the next file in `jobs` until none is left; returns its
/// results, its parse time and its pipelines' stage times.
fn work<'p>(
    projects: &'p [(Project, Vec<PathBuf>)],
    contexts: &'p [Option<Context>],
    options: RunOptions<'p>,
    jobs: &[(usize, &PathBuf)],
    next: &AtomicUsize,
) -> (Vec<(usize, FileResult)>, Duration, StageTimes) {
    let mut worker = Worker {
        projects,
        contexts,
        options,
        pipelines: projects.iter().map(|_| None).collect(),
        parse: Duration::ZERO,
    };
    let mut done = Vec::new();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(&(g, path)) = jobs.get(i) else { break };
        done.push((i, worker.check(g, path)));
        if let Some(OnFile(tell)) = options.on_file {
            tell();
        }
    }
    let mut stages = StageTimes::default();
    for p in worker.pipelines.iter().flatten() {
        stages.add(p.times());
    }
    (done, worker.parse, stages)
}

/// Reports each file no worker returned a result for as not checked.
fn report_unchecked(jobs: &[(usize, &PathBuf)], results: &mut Vec<(usize, FileResult)>) {
    let checked: std::collections::HashSet<usize> = results.iter().map(|(i, _)| *i).collect();
    for (i, (_, path)) in jobs.iter().enumerate() {
        if !checked.contains(&i) {
            results.push((
                i,
                FileResult::failed(
                    SourceFile::new(path, String::new()),
                    "idp::internal",
                    "idp stopped while checking this file; please report it".into(),
                ),
            ));
        }
    }
}
