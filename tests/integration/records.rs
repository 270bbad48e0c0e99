//! The record as the boundary it is (issue 12, items 6–8 and the state drills): a record
//! is checked against its place, destroy needs only what apply recorded, the clock of a
//! mutating command is idp's, and concurrent or interrupted runs lose nothing. OpenTofu is
//! a fake `tofu` on PATH that logs its arguments and can sleep, so these run anywhere.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{Sandbox, record, repo};

const SPEC: &str = "examples/hello.kdl";
const NAME: &str = "hello-preview";

/// A directory holding a fake `tofu`: logs each call to `tofu.log` beside it, sleeps
/// `FAKE_TOFU_SLEEP` seconds in apply and destroy, and prints one output.
pub fn fake_tofu(s: &Sandbox) -> PathBuf {
    let dir = s.path().join("fake-bin");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let script = r#"#!/bin/sh
echo "$*" >> "$(dirname "$0")/tofu.log"
case " $* " in
  *" apply "*|*" destroy "*) sleep "${FAKE_TOFU_SLEEP:-0}" ;;
  *" output "*) echo '{"id":{"value":"fake-1","type":"string","sensitive":false}}' ;;
esac
exit 0
"#;
    let path = dir.join("tofu");
    std::fs::write(&path, script).expect("write fake tofu");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    dir
}

pub fn path_with(dir: &Path) -> String {
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn env_dir(s: &Sandbox) -> PathBuf {
    s.state().join("environments").join(NAME)
}

/// `hello-preview` applied for real (through the fake tofu): READY.
fn applied(s: &Sandbox) -> PathBuf {
    let bin = fake_tofu(s);
    let path = path_with(&bin);
    let run = s.run_with(&["apply", SPEC, "--run", "--yes"], &[("PATH", &path)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(record(s, NAME)["status"], "READY");
    bin
}

fn edit_record(s: &Sandbox, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) {
    let path = env_dir(s).join("metadata.json");
    let mut value: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("record")).expect("JSON");
    edit(value.as_object_mut().expect("object"));
    std::fs::write(&path, serde_json::to_vec_pretty(&value).expect("JSON")).expect("write");
}

#[test]
fn apply_records_schema_2_with_what_destroy_needs() {
    let s = Sandbox::new();
    applied(&s);
    let r = record(&s, NAME);
    assert_eq!(r["schema_version"], 3);
    assert_eq!(r["spec"], SPEC, "relative to the checkout");
    assert_eq!(r["applied"]["workspace_digest"], r["plan_digest"]);
    assert_eq!(r["applied"]["backend"]["kind"], "local");
    let modules = r["applied"]["modules"].as_object().expect("modules");
    assert!(
        modules
            .values()
            .all(|d| d.as_str().is_some_and(|d| d.starts_with("sha256:"))),
        "{modules:?}"
    );
    assert!(!modules.is_empty());
    let catalog = std::fs::read_to_string(repo().join("catalog/catalog.kdl")).expect("index");
    let pins = idp_catalog::Index::parse("catalog.kdl", &catalog).expect("index");
    for (module, digest) in modules {
        let pin = pins
            .pinned_modules
            .iter()
            .find(|p| &p.name == module)
            .expect("a built-in module");
        assert_eq!(
            digest.as_str(),
            Some(format!("sha256:{}", pin.sha256).as_str()),
            "the record names module `{module}` as the catalog pins it"
        );
    }
    let ws: Value = serde_json::from_str(
        &std::fs::read_to_string(env_dir(&s).join("workspace.json")).expect("workspace.json"),
    )
    .expect("JSON");
    assert_eq!(ws["digest"], r["plan_digest"]);
    assert!(ws["files"]["main.tf"].is_string());
}

#[test]
fn destroy_uses_the_recorded_workspace_when_the_spec_is_gone() {
    let s = Sandbox::new();
    let bin = applied(&s);
    // The spec was renamed, and this machine has no workspace (a fresh runner).
    edit_record(&s, |r| {
        r.insert("spec".into(), "examples/renamed-away.kdl".into());
    });
    std::fs::remove_file(env_dir(&s).join("main.tf")).expect("rm main.tf");
    std::fs::remove_dir_all(env_dir(&s).join("modules")).expect("rm modules");
    let path = path_with(&bin);
    let run = s.run_with(&["destroy", NAME, "--run", "--yes"], &[("PATH", &path)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("`hello-preview` is DESTROYED"),
        "{}",
        run.stderr
    );
    assert_eq!(record(&s, NAME)["status"], "DESTROYED");
    assert!(
        env_dir(&s).join("main.tf").is_file(),
        "the recorded workspace is back"
    );
    let log = std::fs::read_to_string(bin.join("tofu.log")).expect("log");
    assert!(
        log.lines().last().is_some_and(|l| l.contains(" destroy ")),
        "{log}"
    );
}

#[test]
fn a_destroy_that_cannot_proceed_says_why_and_the_sweep_stops_dispatching_it() {
    let s = Sandbox::new();
    let bin = applied(&s);
    // A record written before schema version 2, whose spec is gone, on a machine without
    // its workspace: nothing can say what to destroy.
    edit_record(&s, |r| {
        r.remove("schema_version");
        r.remove("applied");
        r.insert("spec".into(), "examples/renamed-away.kdl".into());
    });
    std::fs::remove_file(env_dir(&s).join("main.tf")).expect("rm main.tf");
    let path = path_with(&bin);
    let run = s.run_with(&["destroy", NAME, "--run", "--yes"], &[("PATH", &path)]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let err = run.flat_stderr();
    assert!(
        err.contains("was recorded by an idp older than schema version 2"),
        "warns: {err}"
    );
    assert!(
        err.contains("cannot destroy `hello-preview`: cannot read `examples/renamed-away.kdl`"),
        "{err}"
    );
    let r = record(&s, NAME);
    assert_eq!(r["status"], "FAILED");
    assert!(
        r["destroy_blocked"]
            .as_str()
            .is_some_and(|b| b.contains("renamed-away"))
    );

    let sweep = s.run_with(
        &["sweep", "--dry-run", "--format", "json"],
        &[("IDP_NOW", "2026-11-25T10:00:00Z")],
    );
    let swept: Value = serde_json::from_str(&sweep.stdout).expect("JSON");
    assert_eq!(
        swept["expired"],
        serde_json::json!([]),
        "not dispatched again"
    );
    assert_eq!(swept["needs_attention"][0]["name"], NAME);
}

#[test]
fn a_version_1_record_is_destroyed_from_its_spec_with_a_warning() {
    let s = Sandbox::new();
    let bin = applied(&s);
    let absolute = crate::harness::repo().join(SPEC).display().to_string();
    edit_record(&s, |r| {
        r.remove("schema_version");
        r.remove("applied");
        r.insert("spec".into(), absolute.into());
    });
    std::fs::remove_file(env_dir(&s).join("main.tf")).expect("rm main.tf");
    let show = s.idp(&["show", NAME, "--format", "json"]);
    let shown: Value = serde_json::from_str(&show.stdout).expect("JSON");
    assert_eq!(
        shown["spec"], SPEC,
        "migrated to the checkout-relative path"
    );
    let path = path_with(&bin);
    let run = s.run_with(&["destroy", NAME, "--run", "--yes"], &[("PATH", &path)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.flat_stderr().contains("older than schema version 2"),
        "{}",
        run.stderr
    );
    assert_eq!(record(&s, NAME)["status"], "DESTROYED");
    assert_eq!(record(&s, NAME)["schema_version"], 3);
}

#[test]
fn extend_refuses_when_the_spec_is_gone() {
    let s = Sandbox::new();
    applied(&s);
    let before = std::fs::read(env_dir(&s).join("metadata.json")).expect("record");
    edit_record(&s, |r| {
        r.insert("spec".into(), "examples/renamed-away.kdl".into());
    });
    let edited = std::fs::read(env_dir(&s).join("metadata.json")).expect("record");
    assert_ne!(before, edited);
    let run = s.idp(&["extend", NAME, "1d"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.flat_stderr().contains(
            "cannot read `examples/renamed-away.kdl`, the spec `hello-preview` was applied from"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read(env_dir(&s).join("metadata.json")).expect("record"),
        edited,
        "nothing extended without a judge"
    );
}

#[test]
fn a_record_is_checked_against_its_place_and_one_bad_record_hides_no_other() {
    let s = Sandbox::new();
    applied(&s);
    let envs = s.state().join("environments");
    // A record whose name points elsewhere and whose spec is a secret of this process.
    let evil = envs.join("evil");
    std::fs::create_dir_all(&evil).expect("mkdir");
    let mut hostile = record(&s, NAME);
    hostile["name"] = "../../outside".into();
    hostile["spec"] = "/proc/self/environ".into();
    std::fs::write(evil.join("metadata.json"), hostile.to_string()).expect("write");
    let mut leaky = record(&s, NAME);
    leaky["name"] = "leaky".into();
    leaky["spec"] = "/proc/self/environ".into();
    std::fs::create_dir_all(envs.join("leaky")).expect("mkdir");
    std::fs::write(envs.join("leaky/metadata.json"), leaky.to_string()).expect("write");
    std::fs::create_dir_all(envs.join("broken")).expect("mkdir");
    std::fs::write(envs.join("broken/metadata.json"), "{ not json").expect("write");
    std::fs::write(envs.join("notes.txt"), "stray").expect("write");

    let secret = [("IDP_SECRET_FOR_TEST", "tok-5ecret-value")];
    let list = s.run_with(&["list", "--format", "json"], &secret);
    assert_eq!(list.code, 0, "{}", list.stderr);
    let listed: Value = serde_json::from_str(&list.stdout).expect("JSON");
    let names: Vec<&str> = listed["environments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(names, [NAME]);
    for bad in ["broken", "evil", "leaky", "notes.txt"] {
        assert!(
            list.stderr.contains(&format!("environments/{bad}")),
            "{bad} reported with its path: {}",
            list.stderr
        );
    }
    let sweep = s.run_with(
        &["sweep", "--dry-run"],
        &[("IDP_NOW", "2026-11-25T10:00:00Z")],
    );
    assert_eq!(sweep.code, 0, "{}", sweep.stderr);
    assert!(sweep.stdout.contains("hello-preview"), "{}", sweep.stdout);

    for args in [&["extend", "leaky", "1d"][..], &["show", "leaky"]] {
        let run = s.run_with(args, &secret);
        assert_ne!(run.code, 0, "{args:?}: {}", run.stdout);
        let all = format!("{}{}", run.stdout, run.flat_stderr());
        assert!(!all.contains("tok-5ecret-value"), "{args:?} leaked: {all}");
        assert!(
            all.contains("its `spec` names a file outside the project"),
            "{args:?}: {all}"
        );
    }
    assert!(!s.path().join("outside").exists());
    assert!(!s.state().join("outside").exists());
}

#[test]
fn extend_takes_the_environment_lock() {
    let s = Sandbox::new();
    assert_eq!(s.idp(&["apply", SPEC, "--yes"]).code, 0);
    let lock = std::fs::File::options()
        .write(true)
        .open(env_dir(&s).join(".lock"))
        .expect("lock file");
    lock.try_lock().expect("the test holds the lock");
    let run = s.idp(&["extend", NAME, "1d"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("environment `hello-preview` is locked by another idp process"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_request_time_must_be_near_idps_clock() {
    let s = Sandbox::new();
    for id in ["29991123T100000Z-deadbeef", "20261123T080000Z-deadbeef"] {
        let run = s.idp(&["apply", SPEC, "--yes", "--request-id", id]);
        assert_eq!(run.code, 2, "{id}: {}", run.stderr);
        assert!(
            run.flat_stderr()
                .contains("which is not within 90 minutes before now (2026-11-23T10:00:00Z) or 5 minutes after"),
            "{}",
            run.stderr
        );
    }
    assert!(
        !env_dir(&s).join("metadata.json").exists(),
        "nothing recorded"
    );
    // A run that waited an hour in GitHub's queue is accepted, at its request time.
    let run = s.idp(&[
        "apply",
        SPEC,
        "--yes",
        "--request-id",
        "20261123T090000Z-deadbeef",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(record(&s, NAME)["created_at"], "2026-11-23T09:00:00Z");
}

#[test]
fn a_recorded_creation_time_in_the_future_is_refused() {
    let s = Sandbox::new();
    assert_eq!(s.idp(&["apply", SPEC, "--yes"]).code, 0);
    edit_record(&s, |r| {
        r.insert("created_at".into(), "2999-11-23T10:00:00Z".into());
    });
    let run = s.idp(&["apply", SPEC, "--yes"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.flat_stderr()
            .contains("says it was created at 2999-11-23T10:00:00Z, after now"),
        "{}",
        run.stderr
    );
}

/// Spawns `idp` with the sandbox's environment and `extra`.
fn spawn(s: &Sandbox, args: &[&str], extra: &[(&str, &str)]) -> Child {
    let mut cmd = s.command(args);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("idp starts")
}

#[test]
fn two_concurrent_applies_of_one_environment_exactly_one_proceeds() {
    let s = Sandbox::new();
    let bin = fake_tofu(&s);
    let path = path_with(&bin);
    let env = [("PATH", path.as_str()), ("FAKE_TOFU_SLEEP", "2")];
    let args = ["apply", SPEC, "--run", "--yes"];
    let children = [spawn(&s, &args, &env), spawn(&s, &args, &env)];
    let outcomes: Vec<(i32, String)> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().expect("wait");
            (
                out.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        })
        .collect();
    let ok = outcomes.iter().filter(|(c, _)| *c == 0).count();
    assert_eq!(ok, 1, "{outcomes:?}");
    let (code, refused) = outcomes.iter().find(|(c, _)| *c != 0).expect("one refused");
    assert_eq!(*code, 2);
    assert!(
        refused.contains("is locked by another idp process"),
        "{refused}"
    );
    assert_eq!(record(&s, NAME)["status"], "READY");
}

/// How many kill -9 iterations: `IDP_DRILL_ITERATIONS` (100 for the full drill), else 10.
fn iterations() -> u32 {
    std::env::var("IDP_DRILL_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10)
}

/// A cheap pseudo-random sequence: the drill wants spread, not cryptography.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

/// Kills `idp` at a random instant of `args` (the fake tofu sleeping inside), then checks
/// the state is readable and `finish` brings the environment to `status`.
fn drill(s: &Sandbox, args: &[&str], finish: &[&str], status: &str, seed: &mut u64) {
    let bin = fake_tofu(s);
    let path = path_with(&bin);
    let env = [("PATH", path.as_str()), ("FAKE_TOFU_SLEEP", "0.3")];
    let mut child = spawn(s, args, &env);
    std::thread::sleep(Duration::from_millis(next(seed) % 1500));
    child.kill().ok();
    child.wait().ok();
    let list = s.idp(&["list", "--format", "json"]);
    assert_eq!(
        list.code, 0,
        "state unreadable after kill -9: {}",
        list.stderr
    );
    assert!(!list.stderr.contains("skipped"), "{}", list.stderr);
    let fast = [("PATH", path.as_str())];
    let again = s.run_with(finish, &fast);
    assert_eq!(again.code, 0, "the next run resumes: {}", again.stderr);
    assert_eq!(record(s, NAME)["status"], status);
}

#[test]
fn kill_9_during_apply_or_destroy_leaves_state_the_next_run_resumes() {
    let started = Instant::now();
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let s = Sandbox::new();
    for _ in 0..iterations() {
        let apply = ["apply", SPEC, "--run", "--yes"];
        drill(&s, &apply, &apply, "READY", &mut seed);
        let destroy = ["destroy", NAME, "--run", "--yes"];
        drill(&s, &destroy, &destroy, "DESTROYED", &mut seed);
        assert!(
            started.elapsed() < Duration::from_secs(60 * 30),
            "the drill is bounded"
        );
    }
    eprintln!(
        "{} kill -9 iterations of apply and destroy in {:?}",
        iterations(),
        started.elapsed()
    );
}
