//! `cargo bench --bench check`: `idp check` over 1,000 and 10,000 generated specs (every
//! template, some invalid, denied, waived or with expired waivers) with every built-in
//! policy, as a whole release process, against the policy issue's targets on the 2-core
//! reference machine: ≤ 3 s wall and ≤ 200 MB peak resident memory at 10,000 specs, and
//! near-linear growth from 1,000 to 10,000.
//!
//! It prints a report with the per-stage split (from `idp check --stats`) and writes it to
//! `target/idp-bench/check.md`. `cargo bench --bench check -- --generate DIR N` only
//! writes N specs and their `idp.kdl` to DIR, for trying `idp check` by hand.

mod specgen;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const SIZES: [usize; 2] = [1_000, 10_000];
const WARM_RUNS: usize = 3;
const WALL_TARGET: Duration = Duration::from_secs(3);
const RSS_TARGET_MB: f64 = 200.0;

struct Sample {
    wall: Duration,
    stats: String,
    peak_mb: f64,
}

fn run_check(dir: &Path, cache: &Path) -> Sample {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_idp"))
        .args([
            "check",
            ".",
            "--format",
            "json",
            "--stats",
            "--output",
            "/dev/null",
        ])
        .current_dir(dir)
        .env("IDP_CACHE_DIR", cache)
        .env("IDP_STATE_DIR", dir.join(".idp"))
        .env("IDP_NOW", "2026-11-23T10:00:00Z")
        .env("NO_COLOR", "1")
        .output()
        .expect("idp runs");
    let wall = started.elapsed();
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
    Sample {
        wall,
        stats,
        peak_mb,
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
    let mut rows = String::new();
    let mut stage_lines = String::new();
    let mut medians = Vec::new();
    let mut verdicts = Vec::new();
    for n in SIZES {
        let dir = root.join(format!("specs-{n}"));
        let counts = specgen::generate(&dir, n).expect("write specs");
        let cold = run_check(&dir, &cache);
        let mut warm: Vec<Sample> = (0..WARM_RUNS).map(|_| run_check(&dir, &cache)).collect();
        warm.sort_by_key(|s| s.wall);
        let median = &warm[WARM_RUNS / 2];
        let peak = warm.iter().map(|s| s.peak_mb).fold(cold.peak_mb, f64::max);
        let meets = n < 10_000 || (median.wall <= WALL_TARGET && peak <= RSS_TARGET_MB);
        verdicts.push(meets);
        medians.push(median.wall);
        rows.push_str(&format!(
            "| {n} | {} | {} | {} | {} | {:.0} MB | {:.0} µs | {} |\n",
            secs(cold.wall),
            secs(warm[0].wall),
            secs(median.wall),
            secs(warm[WARM_RUNS - 1].wall),
            peak,
            median.wall.as_secs_f64() * 1e6 / n as f64,
            if n < 10_000 {
                "—"
            } else if meets {
                "meets"
            } else {
                "MISSES"
            }
        ));
        stage_lines.push_str(&format!("- {n} specs ({counts:?}): `{}`\n", median.stats));
    }
    let growth = medians[1].as_secs_f64() / medians[0].as_secs_f64();
    let report = format!(
        "# idp check benchmark\n\n\
         Generated specs (tests/bench/specgen.rs), every built-in policy, whole release process, \
         wall time; {WARM_RUNS} warm runs (compiled components cached) after one cold run.\n\
         machine: {} cores. Targets at 10,000 specs: ≤ {} wall, ≤ {RSS_TARGET_MB:.0} MB peak RSS.\n\n\
         | specs | cold | warm min | warm median | warm max | peak RSS | per spec | verdict |\n\
         |---|---|---|---|---|---|---|---|\n{rows}\n\
         growth 1,000 → 10,000: ×{growth:.1} (linear is ×10)\n\n\
         Per-stage CPU time, summed over worker threads (median run):\n\n{stage_lines}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        secs(WALL_TARGET),
    );
    print!("{report}");
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/idp-bench");
    std::fs::create_dir_all(&out).ok();
    std::fs::write(out.join("check.md"), &report).ok();
    println!("\nreport written to target/idp-bench/check.md");
    if verdicts.iter().any(|v| !v) {
        println!("the 10,000-spec run misses its target");
    }
}
