//! `cargo bench --bench plan`: `idp plan` on an example spec as a whole process, cold
//! (empty compile cache: every component compiled by Cranelift) and warm (compiled
//! components loaded from the cache), against the targets of the spine issue.
//!
//! It prints a report and writes it to `target/idp-bench/plan.md`. Targets on the
//! 2-core reference machine (the performance issue): warm p50 ≤ 8 ms, including the pin
//! checks of every component loaded and the verification of its cached code; first run
//! (every component compiled) ≤ 1 s (wall time, median).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const SPEC: &str = "examples/orders-preview.kdl";
const WARM_RUNS: usize = 40;
const COLD_RUNS: usize = 8;
const WARM_TARGET: Duration = Duration::from_millis(8);
const COLD_TARGET: Duration = Duration::from_millis(1000);

fn run_plan(cache: &Path, state: &Path) -> Duration {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_idp"))
        .args(["plan", SPEC])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("IDP_CACHE_DIR", cache)
        .env("IDP_STATE_DIR", state)
        .env("NO_COLOR", "1")
        .output()
        .expect("idp runs");
    let elapsed = started.elapsed();
    assert!(
        out.status.success(),
        "idp plan failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    elapsed
}

struct Stats {
    min: Duration,
    median: Duration,
    p90: Duration,
    max: Duration,
}

fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    Stats {
        min: samples[0],
        median: at(0.5),
        p90: at(0.9),
        max: samples[samples.len() - 1],
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    // `cargo test --benches` would run this with `--bench` missing; do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("idp-bench");
    std::fs::remove_dir_all(&root).ok();
    let state = root.join("state");

    let mut cold = Vec::new();
    for i in 0..COLD_RUNS {
        cold.push(run_plan(&root.join(format!("cold-cache-{i}")), &state));
    }
    let warm_cache = root.join("warm-cache");
    run_plan(&warm_cache, &state);
    let warm: Vec<Duration> = (0..WARM_RUNS)
        .map(|_| run_plan(&warm_cache, &state))
        .collect();

    let (c, w) = (stats(cold), stats(warm));
    let verdict = |s: &Stats, target: Duration| {
        if s.median <= target {
            "meets"
        } else {
            "MISSES"
        }
    };
    let report = format!(
        "# idp plan benchmark\n\n\
         spec: `{SPEC}` (1 environment, template api-service, the 7 policies `examples/idp.kdl` enables), whole process, wall time\n\
         machine: {} cores\n\n\
         | run | samples | min | p50 | p90 | max | target (p50) | verdict |\n\
         |---|---|---|---|---|---|---|---|\n\
         | cold (empty compile cache) | {COLD_RUNS} | {} | {} | {} | {} | ≤ {} | {} |\n\
         | warm (cached .cwasm) | {WARM_RUNS} | {} | {} | {} | {} | ≤ {} | {} |\n",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        ms(c.min),
        ms(c.median),
        ms(c.p90),
        ms(c.max),
        ms(COLD_TARGET),
        verdict(&c, COLD_TARGET),
        ms(w.min),
        ms(w.median),
        ms(w.p90),
        ms(w.max),
        ms(WARM_TARGET),
        verdict(&w, WARM_TARGET),
    );
    print!("{report}");
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/idp-bench");
    std::fs::create_dir_all(&out).ok();
    std::fs::write(out.join("plan.md"), &report).ok();
    println!("\nreport written to target/idp-bench/plan.md");
}
