//! The incremental `idp check` (issue 14, decision 0011): a warm run reports exactly what a
//! cold one does in every format without running a plugin, and every part of the key
//! invalidates. Each test has its own cache directory, seeded with the shared compiled
//! components so that no test compiles them again.

use std::path::{Path, PathBuf};

use crate::harness::{Run, Sandbox, repo};

const FORMATS: [&str; 6] = ["human", "json", "sarif", "junit", "github", "markdown"];

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_name() == "check" || entry.file_name() == "target" {
            continue;
        }
        if src.is_dir() {
            copy_dir(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).expect("copy");
        }
    }
}

/// A sandbox with `from` (a directory of the repository) copied into it, and a cache
/// directory of its own.
struct Project {
    s: Sandbox,
    dir: PathBuf,
    cache: PathBuf,
}

impl Project {
    fn of(from: &str) -> Project {
        let p = Project::empty();
        copy_dir(&repo().join(from), &p.dir);
        p
    }

    fn empty() -> Project {
        let s = Sandbox::new();
        let dir = s.path().join("project");
        let cache = s.path().join("cache");
        let shared = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("idp-compile-cache");
        if shared.is_dir() {
            copy_dir(&shared, &cache);
        }
        Project { s, dir, cache }
    }

    fn check_with(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let dir = self.dir.display().to_string();
        let cache = self.cache.display().to_string();
        let mut all = vec!["check", dir.as_str()];
        all.extend(args);
        let mut env = env.to_vec();
        env.insert(0, ("IDP_CACHE_DIR", cache.as_str()));
        let run = self.s.run_with(&all, &env);
        assert!(matches!(run.code, 0..=3), "{}", run.stderr);
        run
    }

    /// `--stats`' cache line: `cache: H hit(s), M miss(es), W written`.
    fn cache_line(&self, env: &[(&str, &str)]) -> String {
        let run = self.check_with(&["--stats", "--format", "json"], env);
        run.stderr
            .lines()
            .find(|l| l.starts_with("cache:"))
            .unwrap_or_default()
            .to_owned()
    }

    /// The cached run's report equals the uncached one's.
    fn same_as_cold(&self, env: &[(&str, &str)]) {
        let cold = self.check_with(&["--no-cache", "--format", "json"], env);
        let warm = self.check_with(&["--format", "json"], env);
        assert_eq!(warm.stdout, cold.stdout);
        assert_eq!(warm.code, cold.code);
    }

    /// The packs of entries the cache holds.
    fn packs(&self) -> Vec<PathBuf> {
        let Ok(dir) = std::fs::read_dir(self.cache.join("check")) else {
            return Vec::new();
        };
        dir.flatten().map(|e| e.path()).collect()
    }

    /// Runs once to fill the cache and checks the next run answers every file from it.
    fn warmed(self, env: &[(&str, &str)]) -> Project {
        self.check_with(&["--format", "json"], env);
        let line = self.cache_line(env);
        assert!(line.contains(" 0 miss(es), 0 written"), "{line}");
        self
    }
}

fn hits(line: &str) -> usize {
    line.strip_prefix("cache: ")
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX)
}

#[test]
fn a_warm_check_reports_exactly_what_a_cold_one_does_without_running_plugins() {
    let p = Project::of("tests/fixtures/check");
    for format in FORMATS {
        let cold = p.check_with(&["--no-cache", "--format", format], &[]);
        let first = p.check_with(&["--format", format], &[]);
        let warm = p.check_with(&["--format", format], &[]);
        for run in [&first, &warm] {
            assert_eq!(run.stdout, cold.stdout, "{format}");
            assert_eq!(run.stderr, cold.stderr, "{format}");
            assert_eq!(run.code, cold.code, "{format}");
        }
    }
    let stats = p.check_with(&["--stats", "--format", "json"], &[]);
    let line = stats.stderr.lines().find(|l| l.starts_with("cache:"));
    assert_eq!(line, Some("cache: 6 hit(s), 0 miss(es), 0 written"));
    assert!(
        stats.stderr.contains(
            "resolve 0 ms, validate 0 ms, derive 0 ms, render 0 ms, price 0 ms, policies 0 ms"
        ),
        "no template or policy ran: {}",
        stats.stderr
    );
}

#[test]
fn changed_spec_bytes_are_checked_again_and_only_they() {
    let p = Project::of("tests/fixtures/check").warmed(&[]);
    let spec = p.dir.join("specs/clean.kdl");
    let text = std::fs::read_to_string(&spec).expect("spec");
    std::fs::write(&spec, text.replace("ttl \"7d\"", "ttl \"21d\"")).expect("write");
    assert_eq!(p.cache_line(&[]), "cache: 5 hit(s), 1 miss(es), 1 written");
    p.same_as_cold(&[]);
}

#[test]
fn a_moved_spec_is_checked_again() {
    let p = Project::of("tests/fixtures/check").warmed(&[]);
    std::fs::rename(
        p.dir.join("specs/clean.kdl"),
        p.dir.join("specs/clean2.kdl"),
    )
    .expect("rename");
    assert_eq!(p.cache_line(&[]), "cache: 5 hit(s), 1 miss(es), 1 written");
    p.same_as_cold(&[]);
}

#[test]
fn a_changed_idp_kdl_checks_every_spec_again() {
    let p = Project::of("tests/fixtures/check").warmed(&[]);
    let config = p.dir.join("idp.kdl");
    let text = std::fs::read_to_string(&config).expect("idp.kdl");
    std::fs::write(&config, text.replace("preview \"14d\"", "preview \"30d\"")).expect("write");
    assert_eq!(hits(&p.cache_line(&[])), 0);
    p.same_as_cold(&[]);
}

#[test]
fn changed_limits_check_every_spec_again() {
    let p = Project::of("tests/fixtures/check").warmed(&[]);
    let env = [("IDP_PLUGIN_TIMEOUT_MS", "4321")];
    assert_eq!(hits(&p.cache_line(&env)), 0);
    p.same_as_cold(&env);
}

#[test]
fn another_build_of_idp_checks_every_spec_again() {
    let p = Project::of("tests/fixtures/check").warmed(&[]);
    // A copy is another build as the key sees it: a debug build's identity holds its
    // executable's size and modification time (a release's, its version).
    let other = p.s.path().join("idp-other-build");
    std::fs::copy(env!("CARGO_BIN_EXE_idp"), &other).expect("copy idp");
    let dir = p.dir.display().to_string();
    let out =
        p.s.command_of(&other, &["check", &dir, "--stats", "--format", "json"])
            .env("IDP_CACHE_DIR", &p.cache)
            .output()
            .expect("idp runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.starts_with("cache:"))
        .unwrap_or_default();
    assert_eq!(hits(line), 0, "{stderr}");
    // The first build's entries were not replaced: it still answers from them.
    assert_eq!(hits(&p.cache_line(&[])), 6);
}

#[test]
fn a_changed_price_book_checks_every_spec_again() {
    let p = Project::of("tests/fixtures/check").warmed(&[]);
    let mut book: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("engine/price/pricebook.json")).expect("book"),
    )
    .expect("JSON");
    book["snapshot"] = "2026-11-20".into();
    if let Some(first) = book["prices"].get_mut(0) {
        first["usd"] = serde_json::json!(123.0);
    }
    std::fs::write(
        p.cache.join("pricebook.json"),
        serde_json::to_vec(&book).expect("JSON"),
    )
    .expect("write");
    assert_eq!(hits(&p.cache_line(&[])), 0);
    p.same_as_cold(&[]);
}

#[test]
fn a_team_component_rebuilt_under_a_new_pin_is_never_answered_from_the_cache() {
    let p = Project::of("examples/team-platform").warmed(&[]);
    let catalog = p.dir.join("catalog");
    let other = std::fs::read(repo().join("catalog/templates/hello.wasm")).expect("wasm");
    std::fs::write(catalog.join("templates/app-secrets.wasm"), &other).expect("write");
    let index = std::fs::read_to_string(catalog.join("catalog.kdl")).expect("index");
    let digest = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&other))
    };
    let old = index
        .split("sha256=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("pin");
    std::fs::write(catalog.join("catalog.kdl"), index.replace(old, &digest)).expect("write");
    assert_eq!(hits(&p.cache_line(&[])), 0);
    p.same_as_cold(&[]);
}

#[test]
fn a_recorded_created_at_that_changes_checks_its_spec_again() {
    let p = Project::empty();
    std::fs::create_dir_all(&p.dir).expect("mkdir");
    for file in ["idp.kdl", "hello.kdl"] {
        std::fs::copy(repo().join("examples").join(file), p.dir.join(file)).expect("copy");
    }
    let bin = crate::records::fake_tofu(&p.s);
    let path = crate::records::path_with(&bin);
    let cache = p.cache.display().to_string();
    let applied = p.s.run_with(
        &["apply", "examples/hello.kdl", "--run", "--yes"],
        &[("PATH", &path), ("IDP_CACHE_DIR", &cache)],
    );
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    let p = p.warmed(&[]);
    let metadata = p.s.state().join("environments/hello-preview/metadata.json");
    let text = std::fs::read_to_string(&metadata).expect("record");
    let mut record: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    record["created_at"] = "2026-11-20T08:00:00Z".into();
    std::fs::write(&metadata, serde_json::to_vec_pretty(&record).expect("JSON")).expect("write");
    let line = p.cache_line(&[]);
    assert!(line.contains(" 1 miss(es), 1 written"), "{line}");
    p.same_as_cold(&[]);
}

#[test]
fn a_waiver_expiring_is_seen_the_day_after_its_until_date() {
    let day = [("IDP_NOW", "2027-01-31T09:00:00Z")];
    let p = Project::of("tests/fixtures/check").warmed(&day);
    // Later the same day: the same answers.
    let evening = [("IDP_NOW", "2027-01-31T23:59:59Z")];
    assert!(p.cache_line(&evening).contains(" 0 miss(es)"));
    let next = [("IDP_NOW", "2027-02-01T00:00:00Z")];
    assert_eq!(hits(&p.cache_line(&next)), 0);
    p.same_as_cold(&next);
    let run = p.check_with(&["--format", "json"], &next);
    assert!(
        run.stdout
            .contains("waiver for ttl-above-maximum expired on 2027-01-31")
    );
}

#[test]
fn a_corrupt_truncated_or_misplaced_entry_is_computed_again() {
    let p = Project::of("tests/fixtures/check").warmed(&[]);
    let packs = p.packs();
    assert_eq!(packs.len(), 1, "{packs:?}");
    let mut pack: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&packs[0]).expect("pack")).expect("JSON");
    let entries = pack["entries"].as_object_mut().expect("entries");
    let keys: Vec<String> = entries.keys().cloned().collect();
    assert_eq!(keys.len(), 6);
    let other = entries[&keys[1]].clone();
    entries.insert(keys[0].clone(), other);
    entries.insert(keys[2].clone(), "\u{0} not an entry".into());
    entries[&keys[3]]["result"]["items"] = serde_json::json!([{"kind": 9}]);
    std::fs::write(&packs[0], serde_json::to_vec(&pack).expect("JSON")).expect("write");
    assert_eq!(p.cache_line(&[]), "cache: 3 hit(s), 3 miss(es), 3 written");
    p.same_as_cold(&[]);

    let full = std::fs::read(&packs[0]).expect("pack");
    std::fs::write(&packs[0], &full[..full.len() / 2]).expect("truncate");
    assert_eq!(p.cache_line(&[]), "cache: 0 hit(s), 6 miss(es), 6 written");
    p.same_as_cold(&[]);
}

#[test]
fn no_cache_writes_nothing_and_readonly_reads_without_writing() {
    let p = Project::of("tests/fixtures/check");
    p.check_with(&["--no-cache"], &[]);
    assert!(p.packs().is_empty(), "--no-cache wrote {:?}", p.packs());
    let readonly = p.check_with(&["--cache-readonly", "--stats"], &[]);
    assert!(
        readonly
            .stderr
            .contains("cache: 0 hit(s), 6 miss(es), 0 written")
    );
    assert!(p.packs().is_empty());
    p.check_with(&[], &[]);
    let line = p.check_with(&["--cache-readonly", "--stats"], &[]);
    assert!(
        line.stderr
            .contains("cache: 6 hit(s), 0 miss(es), 0 written")
    );
}
