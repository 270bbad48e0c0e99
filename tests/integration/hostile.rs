//! Misbehaving plugins are stopped, named, and do not take the run down. The plugins
//! are WAT fixtures (see `tests/fixtures/hostile/README.md`) made into real components
//! here with wit-component and the real WIT.

use std::path::PathBuf;

use crate::harness::{Sandbox, repo};

/// Builds a component from a WAT fixture, declaring the policy world of `wit_version`.
pub(crate) fn component(fixture: &str, wit_version: &str) -> Vec<u8> {
    let wat = std::fs::read_to_string(repo().join("tests/fixtures/hostile").join(fixture))
        .expect("fixture");
    let wat = wat.replace("@0.1.0#", &format!("@{wit_version}#"));
    let wit_dir = tempfile::tempdir().expect("temp dir");
    for entry in std::fs::read_dir(repo().join("wit/plugin@0.1.0"))
        .expect("wit dir")
        .flatten()
    {
        let text = std::fs::read_to_string(entry.path())
            .expect("wit file")
            .replace("@0.1.0", &format!("@{wit_version}"));
        std::fs::write(wit_dir.path().join(entry.file_name()), text).expect("copy wit");
    }
    crate::harness::wat_component(&wat, wit_dir.path(), "policy-plugin")
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// A project whose team catalog holds one hostile policy, enabled in `idp.kdl`.
pub(crate) fn project(s: &Sandbox, name: &str, bytes: &[u8]) -> PathBuf {
    let dir = s.path().join(name);
    std::fs::create_dir_all(dir.join("team/policies")).expect("mkdir");
    std::fs::write(dir.join("team/policies/p.wasm"), bytes).expect("component");
    std::fs::write(
        dir.join("team/catalog.kdl"),
        format!(
            "policy {name} version=\"0.1.0\" file=\"policies/p.wasm\" sha256=\"{}\"\n",
            sha256(bytes)
        ),
    )
    .expect("index");
    std::fs::write(
        dir.join("idp.kdl"),
        format!("catalog path=\"team\"\npolicy max-ttl\npolicy {name}\n"),
    )
    .expect("idp.kdl");
    std::fs::copy(
        repo().join("examples/orders-preview.kdl"),
        dir.join("env.kdl"),
    )
    .expect("spec");
    dir.join("env.kdl")
}

fn plan(s: &Sandbox, name: &str, fixture: &str) -> crate::harness::Run {
    let spec = project(s, name, &component(fixture, "0.1.0"));
    s.run_with(
        &["plan", &spec.display().to_string()],
        &[("IDP_PLUGIN_TIMEOUT_MS", "300")],
    )
}

/// Plans with the hostile policy `name` from `fixture`: the plan fails with exit 3 and
/// the host's message.
fn assert_refused(name: &str, fixture: &str, message: &str) {
    let s = Sandbox::new();
    let run = plan(&s, name, fixture);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.flat_stderr().contains(message), "{}", run.stderr);
}

#[test]
fn an_endless_loop_is_stopped_by_the_deadline() {
    let s = Sandbox::new();
    let started = std::time::Instant::now();
    let run = plan(&s, "hostile-loop", "loop.wat");
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.flat_stderr()
            .contains("policy `hostile-loop` 0.1.0: `evaluate` did not finish within 300ms"),
        "{}",
        run.stderr
    );
    assert!(
        started.elapsed().as_secs() < 30,
        "the loop was stopped, not waited out"
    );
}

#[test]
fn a_trap_is_reported_by_plugin_and_function() {
    assert_refused(
        "hostile-trap",
        "trap.wat",
        "policy `hostile-trap` 0.1.0: `evaluate` trapped",
    );
}

#[test]
fn a_memory_grab_hits_the_cap() {
    assert_refused(
        "hostile-memory",
        "memory.wat",
        "policy `hostile-memory` 0.1.0: `evaluate` tried to use more than 64 MiB of memory",
    );
}

#[test]
fn a_flood_of_output_is_refused() {
    assert_refused(
        "hostile-flood",
        "flood.wat",
        "policy `hostile-flood` 0.1.0: `evaluate` returned more than the limit of 4194304 bytes",
    );
}

#[test]
fn memories_share_one_budget() {
    assert_refused(
        "hostile-memories",
        "memories.wat",
        "policy `hostile-memories` 0.1.0: `evaluate` tried to use more than 64 MiB of memory",
    );
}

#[test]
fn more_memories_than_a_plugin_may_have_are_refused_before_any_is_made() {
    assert_refused(
        "hostile-memory-count",
        "memory-count.wat",
        "policy `hostile-memory-count`: cannot instantiate: resource limit exceeded: memory count too high",
    );
}

#[test]
fn tables_share_one_budget() {
    assert_refused(
        "hostile-tables",
        "tables.wat",
        "policy `hostile-tables` 0.1.0: `evaluate` tried to use more than 100000 table elements",
    );
}

/// An environment for calling policies through the host API.
fn env() -> idp_model::Environment {
    idp_model::Environment {
        name: "e".into(),
        template: "api-service".into(),
        template_version: "0.1.0".into(),
        owner: "a@b.io".into(),
        team: "t".into(),
        class: idp_model::Class::Staging,
        region: "us-east-1".into(),
        ttl: idp_model::Ttl::Never,
        created_at: jiff::Timestamp::UNIX_EPOCH,
        expires_at: None,
        tags: vec![],
        inputs: serde_json::json!({}),
        schedule: None,
    }
}

fn evaluate(
    policy: &idp_host::PolicyPlugin,
) -> Result<Vec<idp_model::Finding>, idp_host::HostError> {
    policy.evaluate(&env(), &[], None, &serde_json::json!({}))
}

fn catalog_policy(name: &str) -> Vec<u8> {
    std::fs::read(repo().join(format!("catalog/policies/{name}.wasm"))).expect("built")
}

fn host(limits: idp_host::Limits) -> idp_host::PluginHost {
    idp_host::PluginHost::new(None, limits).expect("host")
}

#[test]
fn a_warm_instance_keeps_one_budget_across_calls() {
    let bytes = component("warm.wat", "0.1.0");
    let strict = host(idp_host::Limits::default())
        .load_policy("hostile-warm", &bytes)
        .expect("loads");
    for _ in 0..3 {
        evaluate(&strict).expect("a fresh instance per call starts from nothing");
    }
    let warm = host(idp_host::Limits {
        isolation: idp_host::Isolation::Reuse,
        ..Default::default()
    })
    .load_policy("hostile-warm", &bytes)
    .expect("loads");
    evaluate(&warm).expect("24 MiB");
    evaluate(&warm).expect("48 MiB");
    let err = evaluate(&warm).expect_err("72 MiB is over the budget");
    assert!(
        matches!(err, idp_host::HostError::MemoryLimit { .. }),
        "{err}"
    );
}

#[test]
fn aliased_output_is_refused_before_it_is_copied() {
    let policy = host(idp_host::Limits::default())
        .load_policy("hostile-alias", &component("alias.wat", "0.1.0"))
        .expect("loads");
    let err = evaluate(&policy).expect_err("refused");
    assert!(
        matches!(
            err,
            idp_host::HostError::OutputTooLarge { limit: 4194304, .. }
        ),
        "{err}"
    );
}

/// The process's peak resident memory so far, in kB (Linux).
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Peak memory of a well-behaved call, then of the aliased output, with `output_bytes`.
fn measure_aliased_output(output_bytes: usize) {
    let host = host(idp_host::Limits {
        output_bytes,
        ..Default::default()
    });
    let plain = host
        .load_policy("max-ttl", &catalog_policy("max-ttl"))
        .expect("loads");
    let alias = host
        .load_policy("hostile-alias", &component("alias.wat", "0.1.0"))
        .expect("loads");
    evaluate(&plain).expect("runs");
    let before = peak_rss_kb();
    let err = evaluate(&alias).expect_err("refused");
    println!(
        "output limit {output_bytes} B: peak after a plain call {before} kB, after the aliased output {} kB ({err})",
        peak_rss_kb()
    );
}

#[test]
#[ignore = "a measurement: run alone with --ignored --exact --nocapture"]
fn measure_aliased_output_with_the_output_limit() {
    measure_aliased_output(idp_host::Limits::default().output_bytes);
}

#[test]
#[ignore = "a measurement: run alone with --ignored --exact --nocapture"]
fn measure_aliased_output_with_wasmtime_default_limit() {
    // 128 MiB: wasmtime's default hostcall fuel, the only bound before the fix.
    measure_aliased_output(128 << 20);
}

#[test]
fn a_plugin_built_for_another_contract_version_is_named() {
    let s = Sandbox::new();
    let spec = project(&s, "hostile-future", &component("trap.wat", "0.3.0"));
    let run = s.idp(&["plan", &spec.display().to_string()]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.flat_stderr().contains("policy `hostile-future`: built for `idp:plugin/policy@0.3.0`; this idp supports `idp:plugin/policy@0.1.0`, `idp:plugin/policy@0.2.0`"), "{}", run.stderr);
}

#[test]
fn the_host_keeps_working_after_a_hostile_call() {
    let host = host(idp_host::Limits {
        timeout: std::time::Duration::from_millis(100),
        ..Default::default()
    });
    let looping = host
        .load_policy("hostile-loop", &component("loop.wat", "0.1.0"))
        .expect("loads: info() is well-behaved");
    let good = host
        .load_policy("max-ttl", &catalog_policy("max-ttl"))
        .expect("loads");
    let err = evaluate(&looping).expect_err("stopped");
    assert!(matches!(err, idp_host::HostError::Timeout { .. }), "{err}");
    let findings = evaluate(&good).expect("a well-behaved policy still runs");
    assert_eq!(
        findings.iter().map(|f| f.rule.as_str()).collect::<Vec<_>>(),
        ["ttl-never"]
    );
}

#[test]
fn check_reports_a_failing_plugin_per_file_with_exit_3() {
    let s = Sandbox::new();
    let spec = project(&s, "hostile-trap", &component("trap.wat", "0.1.0"));
    let dir = spec.parent().expect("project dir").display().to_string();
    let run = s.idp(&["check", &dir, "--format", "json"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(doc["summary"]["failures"], 1);
    let finding = &doc["files"][0]["findings"][0];
    assert_eq!(finding["kind"], "failure");
    // The failure's own code, the one `idp plan` shows, not a catch-all.
    assert_eq!(finding["rule"], "idp::host::trap", "{finding}");
    assert!(
        finding["message"]
            .as_str()
            .is_some_and(|m| m.contains("policy `hostile-trap` 0.1.0: `evaluate` trapped")),
        "{finding}"
    );
}

/// The cache file of a component in `cache`.
fn cached(cache: &std::path::Path, bytes: &[u8]) -> PathBuf {
    let prefix = sha256(bytes);
    std::fs::read_dir(cache)
        .expect("cache dir")
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".cwasm"))
        })
        .expect("a cache file for the component")
}

/// A host caching in `dir/cache` with its key in `dir/data`.
fn caching_host(dir: &std::path::Path) -> idp_host::PluginHost {
    idp_host::PluginHost::with_cache_key(
        Some(dir.join("cache")),
        Some(dir.join("data/idp/cache.key")),
        idp_host::Limits::default(),
    )
    .expect("host")
}

#[test]
fn another_policys_compiled_code_under_a_policys_name_is_recompiled() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = dir.path().join("cache");
    let (max_ttl, regions) = (catalog_policy("max-ttl"), catalog_policy("allowed-regions"));
    caching_host(dir.path())
        .load_policy("max-ttl", &max_ttl)
        .expect("loads");
    caching_host(dir.path())
        .load_policy("allowed-regions", &regions)
        .expect("loads");
    std::fs::copy(cached(&cache, &regions), cached(&cache, &max_ttl)).expect("swap");
    let loaded = caching_host(dir.path())
        .load_policy("max-ttl", &max_ttl)
        .expect("loads");
    assert_eq!(loaded.info().name, "max-ttl", "the pinned component runs");
    assert_ne!(
        std::fs::read(cached(&cache, &max_ttl)).expect("read"),
        std::fs::read(cached(&cache, &regions)).expect("read"),
        "the swapped file was replaced"
    );
}

#[test]
fn a_cache_file_this_key_did_not_vouch_for_is_recompiled_and_rewritten() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = dir.path().join("cache");
    let max_ttl = catalog_policy("max-ttl");
    caching_host(dir.path())
        .load_policy("max-ttl", &max_ttl)
        .expect("loads");
    let path = cached(&cache, &max_ttl);
    let good = std::fs::read(&path).expect("read");
    let mut altered = good.clone();
    let middle = altered.len() / 2;
    altered[middle] ^= 0x5a;
    std::fs::write(&path, &altered).expect("alter");
    let loaded = caching_host(dir.path())
        .load_policy("max-ttl", &max_ttl)
        .expect("loads");
    assert_eq!(loaded.info().name, "max-ttl");
    assert_eq!(
        std::fs::read(&path).expect("read"),
        good,
        "altered code is recompiled and written again"
    );
    // Another key (another user, another machine) does not trust this one's files.
    let other = idp_host::PluginHost::with_cache_key(
        Some(cache.clone()),
        Some(dir.path().join("other/cache.key")),
        idp_host::Limits::default(),
    )
    .expect("host");
    other.load_policy("max-ttl", &max_ttl).expect("loads");
    let rewritten = std::fs::read(&path).expect("read");
    assert_eq!(rewritten.len(), good.len());
    assert_ne!(rewritten, good, "tagged again under the other key");
}

/// The attack of issue 12: `allowed-regions`' compiled code copied over `max-ttl`'s
/// made a preview environment with a 60-day TTL pass.
#[test]
fn a_denied_spec_stays_denied_after_a_cache_swap() {
    let s = Sandbox::new();
    let dir = s.path().join("swap");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("idp.kdl"),
        "policy max-ttl\npolicy allowed-regions\n",
    )
    .expect("idp.kdl");
    let spec = std::fs::read_to_string(repo().join("examples/orders-preview.kdl"))
        .expect("spec")
        .replace("ttl \"7d\"", "ttl \"60d\"");
    std::fs::write(dir.join("env.kdl"), spec).expect("spec");
    let cache = s.path().join("cache");
    let cache_env = cache.display().to_string();
    let plan = || {
        s.run_with(
            &["plan", &dir.join("env.kdl").display().to_string()],
            &[("IDP_CACHE_DIR", cache_env.as_str())],
        )
    };
    let denied = plan();
    assert_eq!(denied.code, 1, "{}", denied.stderr);
    std::fs::copy(
        cached(&cache, &catalog_policy("allowed-regions")),
        cached(&cache, &catalog_policy("max-ttl")),
    )
    .expect("swap");
    let after = plan();
    assert_eq!(after.code, 1, "still denied: {}", after.stderr);
    assert!(
        after.stdout.contains("ttl-above-maximum"),
        "{}",
        after.stdout
    );
}

#[test]
fn a_plugin_reporting_code_as_its_version_is_refused() {
    let s = Sandbox::new();
    let run = plan(&s, "hostile-version", "version-code.wat");
    assert_eq!(run.code, 3, "{}", run.stderr);
    let err = run.flat_stderr();
    assert!(
        err.contains(
            "lists policy `hostile-version 0.1.0`, but its component says it is `hostile-version` `0.1.0\\nresource"
        ),
        "{err}"
    );
    assert!(
        !run.stderr.contains("\nresource \"terraform_data\""),
        "the code never reaches the terminal as a line of its own: {}",
        run.stderr
    );
}
