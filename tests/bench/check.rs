//! `cargo bench --bench check`: `idp check` over 1,000 and 10,000 generated specs (every
//! template, some invalid, denied, waived or with expired waivers) with the 8 built-in
//! policies, as a whole release process, in JSON and in human output, against the
//! performance issue's targets on the 2-core reference machine: at 10,000 specs
//! ≤ 0.5 s wall, ≤ 1.0 s CPU (user + sys), ≤ 64 MiB peak resident memory, ≤ 5 µs per
//! policy call; growth near-linear from 1,000 to 10,000 (and to 100,000, ≤ 5 s, with
//! `IDP_BENCH_LARGE=1`: not by default, it takes minutes); and the incremental case, 10
//! changed specs with the result cache filled, ≤ 100 ms at 10,000 (decision 0011).
//!
//! It prints a report with the per-stage split (from `idp check --stats`) and writes it to
//! `target/idp-bench/check.md`. `cargo bench --bench check -- --generate DIR N` only
//! writes N specs and their `idp.kdl` to DIR, for trying `idp check` by hand.

mod proc;
mod specgen;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const SIZES: [usize; 2] = [1_000, 10_000];
/// Run as well when `IDP_BENCH_LARGE=1`.
const LARGE: usize = 100_000;
const WARM_RUNS: usize = 3;
/// The targets at 10,000 specs (100,000: ten times the wall).
const WALL_TARGET: Duration = Duration::from_millis(500);
const CPU_TARGET: Duration = Duration::from_secs(1);
const RSS_TARGET_MB: f64 = 64.0;
const CALL_TARGET_US: f64 = 5.0;
/// The built-in policies `specgen`'s `idp.kdl` enables.
const POLICIES: usize = 8;

struct Sample {
    wall: Duration,
    /// User + system CPU time of the process.
    cpu: Duration,
    stats: String,
    peak_mb: f64,
    /// CPU in the policy stage, summed over threads, from `--stats`.
    policies: Duration,
    /// Policy calls made, from `--stats` (a policy is not called for a class it does
    /// not judge).
    calls: u64,
}

/// User + system CPU time of this process's waited-for children, from `/proc/self/stat`
/// (fields `cutime` and `cstime`, in clock ticks of 1/100 s on Linux).
fn children_cpu() -> Duration {
    proc::stat_cpu("/proc/self/stat", 16)
}

/// The milliseconds `--stats` gives for `stage` (`policies 812 ms`).
fn stage_ms(stats: &str, stage: &str) -> Option<f64> {
    stats
        .split(&format!("{stage} "))
        .nth(1)?
        .split(' ')
        .next()?
        .parse()
        .ok()
}

/// Runs `idp check` on `dir`; `incremental` lets it use its result cache (decision
/// 0011), otherwise every spec is checked (`--no-cache`).
fn run_check(dir: &Path, cache: &Path, format: &str, incremental: bool) -> Sample {
    let cpu_before = children_cpu();
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_idp"))
        .args(["check", ".", "--format", format, "--stats"])
        // The whole check unless asked: the incremental cache would answer warm runs.
        .args(if incremental {
            None
        } else {
            Some("--no-cache")
        })
        .args(["--output", "/dev/null"])
        .current_dir(dir)
        .env("IDP_CACHE_DIR", cache)
        .env("IDP_STATE_DIR", dir.join(".idp"))
        .env("IDP_NOW", "2026-11-23T10:00:00Z")
        .env("NO_COLOR", "1")
        .output()
        .expect("idp runs");
    let wall = started.elapsed();
    let cpu = children_cpu().saturating_sub(cpu_before);
    // Invalid specs make the run exit 2; anything but 0, 1 or 2 is a failure of idp itself.
    assert!(
        matches!(out.status.code(), Some(0..=2)),
        "idp check failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stats = stderr
        .lines()
        .find(|l| l.starts_with("timings:"))
        .unwrap_or_default()
        .to_owned();
    let peak_mb = stats
        .split("peak memory ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(f64::NAN);
    let policies = Duration::from_secs_f64(stage_ms(&stats, "policies").unwrap_or(0.0) / 1000.0);
    let calls = stats
        .split(" ms over ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    Sample {
        wall,
        cpu,
        stats,
        peak_mb,
        policies,
        calls,
    }
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--generate") {
        let dir = PathBuf::from(args.get(i + 1).expect("--generate DIR N"));
        let n: usize = args
            .get(i + 2)
            .and_then(|n| n.parse().ok())
            .expect("--generate DIR N");
        let counts = specgen::generate(&dir, n).expect("write specs");
        println!("wrote {n} specs to {}: {counts:?}", dir.display());
        return;
    }
    // `cargo test --benches` would run this without `--bench`; do nothing then.
    if !args.iter().any(|a| a == "--bench") {
        return;
    }
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("idp-bench-check");
    std::fs::remove_dir_all(&root).ok();
    let cache = root.join("cache");
    let mut sizes = SIZES.to_vec();
    if std::env::var_os("IDP_BENCH_LARGE").is_some_and(|v| v == "1") {
        sizes.push(LARGE);
    }
    let mut report = Report::default();
    for &n in &sizes {
        let dir = root.join(format!("specs-{n}"));
        let counts = specgen::generate(&dir, n).expect("write specs");
        report
            .stages
            .push_str(&format!("- {n} specs: {counts:?}\n"));
        let cold = run_check(&dir, &cache, "json", false);
        for format in ["json", "human"] {
            let warm: Vec<Sample> = (0..WARM_RUNS)
                .map(|_| run_check(&dir, &cache, format, false))
                .collect();
            report.row(n, format, &cold, warm);
        }
        report.incremental(n, &incremental(&dir, &cache, n));
    }
    let report = report.render();
    print!("{report}");
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/idp-bench");
    std::fs::create_dir_all(&out).ok();
    std::fs::write(out.join("check.md"), &report).ok();
    println!("\nreport written to target/idp-bench/check.md");
}

/// Specs edited before each incremental run.
const CHANGED: usize = 10;
/// The incremental target: 10 changed specs in 10,000.
const INCREMENTAL_TARGET: Duration = Duration::from_millis(100);

/// The incremental case per format: a run that fills the result cache, then
/// `WARM_RUNS` runs after editing `CHANGED` other specs each time (a comment appended:
/// new bytes, same findings).
fn incremental(dir: &Path, cache: &Path, n: usize) -> Vec<(&'static str, Vec<Duration>)> {
    let mut edited = 0;
    ["json", "human"]
        .into_iter()
        .map(|format| {
            run_check(dir, cache, format, true);
            let walls = (0..WARM_RUNS)
                .map(|_| {
                    for _ in 0..CHANGED {
                        let i = (edited * 7_919) % n;
                        edited += 1;
                        let spec = dir
                            .join(format!("team-{:03}", i / specgen::PER_DIR))
                            .join(format!("env-{i:05}.kdl"));
                        let mut text = std::fs::read_to_string(&spec).expect("read spec");
                        text.push_str(&format!("// edited {edited}\n"));
                        std::fs::write(&spec, text).expect("write spec");
                    }
                    run_check(dir, cache, format, true).wall
                })
                .collect();
            (format, walls)
        })
        .collect()
}

/// The report's table rows, stage lines and what growth and verdicts need.
#[derive(Default)]
struct Report {
    incremental: String,
    rows: String,
    stages: String,
    /// (specs, format, median wall) of every row.
    medians: Vec<(usize, &'static str, Duration)>,
    misses: Vec<String>,
}

/// The sample of median wall time.
fn median(mut samples: Vec<Sample>) -> (Sample, Duration, Duration) {
    samples.sort_by_key(|s| s.wall);
    let (min, max) = (samples[0].wall, samples[samples.len() - 1].wall);
    (samples.swap_remove(samples.len() / 2), min, max)
}

impl Report {
    fn row(&mut self, n: usize, format: &'static str, cold: &Sample, warm: Vec<Sample>) {
        let peak = warm.iter().map(|s| s.peak_mb).fold(f64::NAN, f64::max);
        let (m, min, max) = median(warm);
        let per_call = m.policies.as_secs_f64() * 1e6 / m.calls.max(1) as f64;
        let scale = (n / 10_000).max(1) as u32;
        let verdict = if n < 10_000 {
            "—".to_owned()
        } else {
            let mut missed = Vec::new();
            if m.wall > WALL_TARGET * scale {
                missed.push("wall");
            }
            if m.cpu > CPU_TARGET * scale {
                missed.push("CPU");
            }
            if peak > RSS_TARGET_MB {
                missed.push("memory");
            }
            if per_call > CALL_TARGET_US {
                missed.push("µs/call");
            }
            if missed.is_empty() {
                "meets".to_owned()
            } else {
                self.misses
                    .push(format!("{n} specs, {format}: {}", missed.join(", ")));
                format!("MISSES {}", missed.join(", "))
            }
        };
        self.rows.push_str(&format!(
            "| {n} | {format} | {} | {} | {} | {} | {} | {peak:.0} MB | {:.0} µs | {per_call:.1} µs | {verdict} |\n",
            secs(cold.wall),
            secs(min),
            secs(m.wall),
            secs(max),
            secs(m.cpu),
            m.wall.as_secs_f64() * 1e6 / n as f64,
        ));
        self.stages
            .push_str(&format!("  - {format}: `{}`\n", m.stats));
        self.medians.push((n, format, m.wall));
    }

    /// A row of the incremental table per format.
    fn incremental(&mut self, n: usize, runs: &[(&'static str, Vec<Duration>)]) {
        for (format, walls) in runs {
            let mut walls = walls.clone();
            walls.sort();
            let median = walls[walls.len() / 2];
            let verdict = if n != 10_000 {
                "—"
            } else if median <= INCREMENTAL_TARGET {
                "meets"
            } else {
                self.misses
                    .push(format!("{n} specs, {CHANGED} changed, {format}: wall"));
                "MISSES"
            };
            self.incremental.push_str(&format!(
                "| {n} | {format} | {} | {} | {} | {verdict} |\n",
                secs(walls[0]),
                secs(median),
                secs(walls[walls.len() - 1]),
            ));
        }
    }

    fn render(&self) -> String {
        let growth: String = ["json", "human"]
            .iter()
            .map(|format| {
                let walls: Vec<(usize, Duration)> = self
                    .medians
                    .iter()
                    .filter(|(_, f, _)| f == format)
                    .map(|(n, _, w)| (*n, *w))
                    .collect();
                let steps: Vec<String> = walls
                    .windows(2)
                    .map(|w| {
                        format!(
                            "{} → {}: ×{:.1} (linear ×{})",
                            w[0].0,
                            w[1].0,
                            w[1].1.as_secs_f64() / w[0].1.as_secs_f64(),
                            w[1].0 / w[0].0
                        )
                    })
                    .collect();
                format!("- growth, {format}: {}\n", steps.join("; "))
            })
            .collect();
        let verdicts = if self.misses.is_empty() {
            "every target met\n".to_owned()
        } else {
            format!("targets missed: {}\n", self.misses.join("; "))
        };
        format!(
            "# idp check benchmark\n\n\
             Generated specs (tests/bench/specgen.rs), the {POLICIES} built-in policies, whole release \
             process, output to /dev/null; {WARM_RUNS} warm runs per format (compiled components \
             cached) after one cold run. CPU is user + sys of the process (1/100 s ticks); \
             µs/call is the policy stage's CPU over the policy calls it made (`--stats`; a policy \
             is not called for a class it does not judge, so a valid spec costs up to {POLICIES}).\n\
             machine: {} cores. Targets at 10,000 specs: ≤ {} wall, ≤ {} CPU, ≤ {RSS_TARGET_MB:.0} MB \
             peak RSS, ≤ {CALL_TARGET_US} µs per policy call (100,000: ten times the time).\n\n\
             | specs | output | cold | warm min | warm median | warm max | CPU | peak RSS | per spec | per policy call | verdict |\n\
             |---|---|---|---|---|---|---|---|---|---|---|\n{}\n{growth}\n\
             Incremental: {CHANGED} specs edited before each of {WARM_RUNS} runs, result cache \
             filled first (target at 10,000 specs: ≤ {} wall):\n\n\
             | specs | output | min | median | max | verdict |\n|---|---|---|---|---|---|\n{}\n\
             {verdicts}\n\
             Per-stage CPU time, summed over worker threads (median run):\n\n{}",
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            secs(WALL_TARGET),
            secs(CPU_TARGET),
            self.rows,
            secs(INCREMENTAL_TARGET),
            self.incremental,
            self.stages,
        )
    }
}
