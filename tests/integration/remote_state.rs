//! Records in S3, against moto's S3 server on 127.0.0.1: apply writes `metadata.json`
//! and `outputs.json` under `environments/{name}/`, `list`, `show` and `status` read them
//! back, and `sweep` finds the expired and the expiring there, and hands the expired to
//! destroy.yml once however often it runs.

use serde_json::Value;

use crate::github::{self, Script, TOKEN};
use crate::harness::{Moto, Run, Sandbox};

const CONFIG: &str = "tests/fixtures/s3/idp.kdl";
const SPEC: &str = "tests/fixtures/s3/envs.kdl";
/// A day and two hours after the harness's clock: `short-lived` (1d) has expired and
/// `two-days` expires within the next 24 hours.
const LATER: &str = "2026-11-24T12:00:00Z";

fn idp(s: &Sandbox, moto: &Moto, args: &[&str], extra: &[(&str, &str)]) -> Run {
    let mut args_with_config = vec!["--config", CONFIG];
    args_with_config.extend_from_slice(args);
    let mut env = vec![
        ("AWS_ENDPOINT_URL_S3", moto.url.as_str()),
        ("AWS_ACCESS_KEY_ID", "AKIDLOCALTEST"),
        ("AWS_SECRET_ACCESS_KEY", "local-test-secret"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ];
    env.extend_from_slice(extra);
    s.run_with(&args_with_config, &env)
}

fn with_bucket() -> Option<Moto> {
    let moto = Moto::start()?;
    let (status, body) = moto.request("PUT", "/acme-idp-state");
    assert_eq!(status, 200, "create bucket: {body}");
    Some(moto)
}

/// Both environments of the spec applied (recorded PENDING) with records in S3.
fn applied() -> Option<(Moto, Sandbox)> {
    let moto = with_bucket()?;
    let s = Sandbox::new();
    let run = idp(
        &s,
        &moto,
        &["apply", SPEC, "--executor", "local", "--yes"],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    Some((moto, s))
}

#[test]
fn records_round_trip_through_s3_and_sweep_lists_what_expires() {
    let Some((moto, s)) = applied() else { return };

    // The objects are where the workflows and OpenTofu's state expect them.
    for name in ["short-lived", "two-days"] {
        for file in ["metadata.json", "outputs.json"] {
            let (status, body) = moto.request(
                "GET",
                &format!("/acme-idp-state/environments/{name}/{file}"),
            );
            assert_eq!(status, 200, "{name}/{file}: {body}");
            let parsed: Value = serde_json::from_str(&body).expect("JSON");
            if file == "metadata.json" {
                assert_eq!(parsed["name"], name);
                assert_eq!(parsed["status"], "PENDING");
            }
        }
    }
    assert!(
        !s.state()
            .join("environments/short-lived/metadata.json")
            .exists(),
        "with `state s3` the record is not kept locally"
    );

    let list = idp(&s, &moto, &["list", "--format", "json"], &[]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    let listed: Value = serde_json::from_str(&list.stdout).expect("list JSON");
    let names: Vec<&str> = listed["environments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(names, ["short-lived", "two-days"]);

    let show = idp(&s, &moto, &["show", "two-days"], &[]);
    assert!(
        show.stdout
            .contains("  owner      bob@acme.io (team platform)"),
        "{}",
        show.stdout
    );
    let status = idp(&s, &moto, &["status", "short-lived"], &[]);
    assert_eq!(
        status.stdout.trim(),
        "short-lived  PENDING  expires 2026-11-24 10:00 UTC (in 1d)  0.00 USD/month"
    );

    // A day later: one expired, one expiring. A dry run changes nothing, so twice is
    // the same.
    for _ in 0..2 {
        let sweep = idp(&s, &moto, &["sweep", "--dry-run"], &[("IDP_NOW", LATER)]);
        assert_eq!(sweep.code, 0, "{}", sweep.stderr);
        assert_eq!(
            sweep.stdout,
            "expired: would destroy  short-lived  PENDING  expired 2026-11-24 10:00 UTC (2h 0m ago)  0.00 USD/month\n\
             warning: expires soon  two-days  PENDING  expires 2026-11-25 10:00 UTC (in 22h 0m)  0.00 USD/month\n"
        );
    }
    let json = idp(
        &s,
        &moto,
        &["sweep", "--dry-run", "--format", "json"],
        &[("IDP_NOW", LATER)],
    );
    let swept: Value = serde_json::from_str(&json.stdout).expect("sweep JSON");
    assert_eq!(swept["expired"][0]["name"], "short-lived");
    assert_eq!(swept["expiring"][0]["name"], "two-days");
    assert_eq!(swept["already_destroying"], serde_json::json!([]));

    // For real, through the fake GitHub: short-lived is marked DESTROYING and handed to
    // destroy.yml; a second sweep finds it already being destroyed and dispatches nothing.
    let gh = github::start(Script::default());
    let url = gh.server.url();
    let env = [
        ("IDP_NOW", LATER),
        ("GITHUB_API_URL", url.as_str()),
        ("GH_TOKEN", TOKEN),
        ("IDP_GITHUB_POLL_MS", "10"),
    ];
    let sweep = idp(&s, &moto, &["sweep", "--yes"], &env);
    assert_eq!(sweep.code, 0, "{}", sweep.stderr);
    assert!(
        sweep
            .stderr
            .contains("dispatching destroy.yml on `main` of acme/envs for `short-lived`"),
        "{}",
        sweep.stderr
    );
    let again = idp(&s, &moto, &["sweep", "--yes"], &env);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again
            .stdout
            .contains("expired: already being destroyed  short-lived  DESTROYING"),
        "{}",
        again.stdout
    );
    {
        let seen = gh.seen.lock().expect("lock");
        let files: Vec<&str> = seen.dispatches.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(files, ["destroy.yml"], "one dispatch over two sweeps");
        let inputs = &seen.dispatches[0].1["inputs"];
        assert_eq!(inputs["environment"], "short-lived");
        assert_eq!(inputs.get("spec"), None, "a destroy needs only the record");
    }

    // The fake's run succeeded, but nothing wrote DESTROYED (as when a runner dies): seven
    // hours on, the sweep takes that destroy for dead and dispatches it once more, and the
    // sweep after that waits for the new one.
    let stalled_env = [("IDP_NOW", "2026-11-24T19:00:00Z"), env[1], env[2], env[3]];
    let stalled = idp(&s, &moto, &["sweep", "--yes"], &stalled_env);
    assert_eq!(stalled.code, 0, "{}", stalled.stderr);
    assert!(
        stalled.stdout.contains(
            "expired: destroy dispatched 7h 0m ago never finished, destroying again  short-lived  DESTROYING"
        ),
        "{}",
        stalled.stdout
    );
    let waiting = idp(&s, &moto, &["sweep", "--yes"], &stalled_env);
    assert!(
        waiting
            .stdout
            .contains("expired: already being destroyed  short-lived  DESTROYING"),
        "{}",
        waiting.stdout
    );
    assert_eq!(gh.seen.lock().expect("lock").dispatches.len(), 2);

    // A destroy that never finishes is not dispatched forever: after the third, the sweep
    // reports it for a person instead.
    let third_env = [("IDP_NOW", "2026-11-25T02:00:00Z"), env[1], env[2], env[3]];
    let third = idp(&s, &moto, &["sweep", "--yes"], &third_env);
    assert_eq!(third.code, 0, "{}", third.stderr);
    assert_eq!(gh.seen.lock().expect("lock").dispatches.len(), 3);
    let given_up_env = [("IDP_NOW", "2026-11-25T09:00:00Z"), env[1], env[2], env[3]];
    let given_up = idp(&s, &moto, &["sweep", "--yes"], &given_up_env);
    assert_eq!(given_up.code, 0, "{}", given_up.stderr);
    assert!(
        given_up.stdout.contains(
            "expired: not destroying (3 destroys did not finish; run `idp destroy short-lived` to retry)  short-lived  DESTROYING"
        ),
        "{}",
        given_up.stdout
    );
    assert_eq!(gh.seen.lock().expect("lock").dispatches.len(), 3);
}

#[test]
fn an_unreachable_bucket_is_a_clear_error() {
    let Some(moto) = Moto::start() else { return };
    let s = Sandbox::new();
    // No bucket created: S3 answers NoSuchBucket.
    let run = idp(&s, &moto, &["list"], &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let err = run.flat_stderr();
    assert!(
        err.contains("cannot list `s3://acme-idp-state/environments/`: NoSuchBucket"),
        "{err}"
    );
    assert!(err.contains("check the credentials"), "{err}");

    // No credentials anywhere: said in one line, not as the SDK's dump of its chain.
    let run = s.run_with(
        &["--config", CONFIG, "list"],
        &[
            ("AWS_ENDPOINT_URL_S3", moto.url.as_str()),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.flat_stderr().contains(
            "cannot list `s3://acme-idp-state/environments/`: no AWS credentials found (tried the environment, the profile, web identity, the ECS and EC2 metadata services)"
        ),
        "{}",
        run.flat_stderr()
    );
}

/// What a provision run and a later destroy run do on two fresh runners, with OpenTofu's
/// state in S3 (locked in DynamoDB) and the records beside it.
#[test]
fn a_runner_applies_with_state_in_s3_and_another_destroys_it() {
    let Some(moto) = with_bucket() else { return };
    let Some(_) = idp_executor::find_tool() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs tofu or terraform on PATH"
        );
        return;
    };
    let (status, body) = moto.dynamodb_create_lock_table("idp-locks");
    assert_eq!(status, 200, "create lock table: {body}");
    let s = Sandbox::new();
    // Every AWS client (idp's and OpenTofu's S3 backend: S3, DynamoDB, STS) talks to moto.
    let env = [
        ("AWS_ENDPOINT_URL", moto.url.as_str()),
        ("AWS_REGION", "us-east-1"),
    ];
    let first_runner = s.path().join("runner-1").display().to_string();
    let mut apply_env = env.to_vec();
    apply_env.push(("IDP_STATE_DIR", first_runner.as_str()));
    let run = idp(
        &s,
        &moto,
        &[
            "apply",
            "examples/hello.kdl",
            "--executor",
            "local",
            "--run",
            "--yes",
        ],
        &apply_env,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);

    let (status, tfstate) = moto.request(
        "GET",
        "/acme-idp-state/environments/hello-preview/terraform.tfstate",
    );
    assert_eq!(status, 200, "OpenTofu's state is in S3: {tfstate}");
    assert!(tfstate.contains("terraform_data"), "{tfstate}");
    let (_, outputs) = moto.request(
        "GET",
        "/acme-idp-state/environments/hello-preview/outputs.json",
    );
    assert!(
        outputs.contains("Hello from hello-preview: hello from idp"),
        "{outputs}"
    );
    let status = idp(&s, &moto, &["status", "hello-preview"], &env);
    assert!(
        status.stdout.starts_with("hello-preview  READY"),
        "{}",
        status.stdout
    );
    let show = idp(
        &s,
        &moto,
        &["show", "hello-preview", "--format", "json"],
        &env,
    );
    let record: Value = serde_json::from_str(&show.stdout).expect("record");
    assert_eq!(
        record["spec"], "examples/hello.kdl",
        "named from the repository root"
    );

    // Another runner, with nothing on disk: the workspace comes back from the recorded
    // spec and OpenTofu destroys what the S3 state holds.
    let second_runner = s.path().join("runner-2").display().to_string();
    let mut destroy_env = env.to_vec();
    destroy_env.push(("IDP_STATE_DIR", second_runner.as_str()));
    let run = idp(
        &s,
        &moto,
        &[
            "destroy",
            "hello-preview",
            "--executor",
            "local",
            "--run",
            "--yes",
        ],
        &destroy_env,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // tofu's own output goes to stdout.
    assert!(
        run.stdout
            .contains("Destroy complete! Resources: 1 destroyed."),
        "{}",
        run.stdout
    );
    let (_, tfstate) = moto.request(
        "GET",
        "/acme-idp-state/environments/hello-preview/terraform.tfstate",
    );
    assert!(!tfstate.contains("terraform_data"), "{tfstate}");
    let status = idp(&s, &moto, &["status", "hello-preview"], &env);
    assert!(
        status.stdout.starts_with("hello-preview  DESTROYED"),
        "{}",
        status.stdout
    );
}

#[test]
fn destroy_through_github_marks_the_record_and_hands_off_its_name_only() {
    let Some((moto, s)) = applied() else { return };

    let gh = github::start(Script::default());
    let url = gh.server.url();
    let env = [
        ("GITHUB_API_URL", url.as_str()),
        ("GH_TOKEN", TOKEN),
        ("IDP_GITHUB_POLL_MS", "10"),
        ("IDP_REQUESTED_BY", "bob"),
    ];
    let run = idp(
        &s,
        &moto,
        &["destroy", "two-days", "--yes", "--no-wait"],
        &env,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !run.stderr
            .contains("warning: records are kept on this machine"),
        "records are in S3: {}",
        run.stderr
    );
    let status = idp(&s, &moto, &["status", "two-days"], &[]);
    assert!(
        status.stdout.starts_with("two-days  DESTROYING"),
        "{}",
        status.stdout
    );
    let seen = gh.seen.lock().expect("lock");
    let [(file, body)] = seen.dispatches.as_slice() else {
        panic!("one dispatch: {:?}", seen.dispatches);
    };
    assert_eq!(file, "destroy.yml");
    assert_eq!(body["inputs"]["environment"], "two-days");
    assert_eq!(
        body["inputs"].get("spec"),
        None,
        "the record holds the rest"
    );
    assert_eq!(body["inputs"]["requested-by"], "bob");
}

#[test]
fn an_oversized_record_in_the_bucket_is_refused() {
    let Some(moto) = with_bucket() else { return };
    let s = Sandbox::new();
    // One byte past the bound idp reads back (idp_state::MAX_STORED_BYTES).
    let huge = " ".repeat(16 * 1024 * 1024 + 1);
    let (status, body) = moto.put("/acme-idp-state/environments/huge/metadata.json", &huge);
    assert_eq!(status, 200, "put: {body}");

    let show = idp(&s, &moto, &["show", "huge"], &[]);
    assert_ne!(show.code, 0, "{}", show.stdout);
    assert!(
        show.stderr.contains("idp::state::too_large"),
        "{}",
        show.stderr
    );
    assert!(
        show.flat_stderr().contains("over 16777216 bytes"),
        "{}",
        show.stderr
    );

    // A listing names it as a problem and goes on.
    let list = idp(&s, &moto, &["list", "--format", "json"], &[]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert!(
        list.stderr.contains("skipped") && list.stderr.contains("over 16777216 bytes"),
        "{}",
        list.stderr
    );
}

/// Copies an object within moto's bucket (S3's CopyObject: a PUT with
/// `x-amz-copy-source`), as an operator moving records to a new prefix would.
fn copy_object(moto: &Moto, from: &str, to: &str) {
    use std::io::{Read, Write};
    let address = moto.url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connect to moto");
    let head = format!(
        "PUT /acme-idp-state/{to} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\
         x-amz-copy-source: /acme-idp-state/{from}\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=AKIDLOCALTEST/20261123/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    assert!(answer.starts_with("HTTP/1.1 200"), "copy {from}: {answer}");
}

/// `hello-preview` applied with `--run` through the fake tofu, records in S3, on a
/// runner whose state directory is `runner`.
fn applied_in_s3(s: &Sandbox, moto: &Moto, bin: &std::path::Path, extra: &[(&str, &str)]) {
    let runner = s.path().join("runner-1").display().to_string();
    let path = crate::records::path_with(bin);
    let mut env = vec![("IDP_STATE_DIR", runner.as_str()), ("PATH", path.as_str())];
    env.extend_from_slice(extra);
    let run = idp(
        s,
        moto,
        &[
            "apply",
            "examples/hello.kdl",
            "--executor",
            "local",
            "--run",
            "--yes",
        ],
        &env,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn destroy_uses_the_recorded_state_key_when_the_prefix_changed() {
    let Some(moto) = with_bucket() else { return };
    let s = Sandbox::new();
    let bin = crate::records::fake_tofu(&s);
    applied_in_s3(&s, &moto, &bin, &[]);
    for file in ["metadata.json", "outputs.json", "workspace.json"] {
        copy_object(
            &moto,
            &format!("environments/hello-preview/{file}"),
            &format!("moved/hello-preview/{file}"),
        );
    }
    let runner = s.path().join("runner-2").display().to_string();
    let path = crate::records::path_with(&bin);
    let run = s.run_with(
        &[
            "--config",
            "tests/fixtures/s3/moved.kdl",
            "destroy",
            "hello-preview",
            "--executor",
            "local",
            "--run",
            "--yes",
        ],
        &[
            ("AWS_ENDPOINT_URL_S3", moto.url.as_str()),
            ("AWS_ACCESS_KEY_ID", "AKIDLOCALTEST"),
            ("AWS_SECRET_ACCESS_KEY", "local-test-secret"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("IDP_STATE_DIR", runner.as_str()),
            ("PATH", path.as_str()),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let log = std::fs::read_to_string(bin.join("tofu.log")).expect("tofu log");
    let destroy_init = log
        .lines()
        .rev()
        .find(|l| l.contains(" init "))
        .expect("init before destroy");
    assert!(
        destroy_init.contains("-backend-config=key=environments/hello-preview/terraform.tfstate"),
        "the key recorded at apply, not the moved prefix's: {destroy_init}"
    );
    let (_, moved) = moto.request("GET", "/acme-idp-state/moved/hello-preview/metadata.json");
    assert!(moved.contains("\"status\": \"DESTROYED\""), "{moved}");
}

#[test]
fn an_extension_from_another_machine_during_an_apply_is_not_lost() {
    let Some(moto) = with_bucket() else { return };
    let s = Sandbox::new();
    let bin = crate::records::fake_tofu(&s);
    // Recorded once, so the second apply below re-applies a READY environment.
    applied_in_s3(&s, &moto, &bin, &[]);
    let path = crate::records::path_with(&bin);
    let runner = s.path().join("runner-1").display().to_string();
    let mut apply = s.command(&[
        "--config",
        CONFIG,
        "apply",
        "examples/hello.kdl",
        "--executor",
        "local",
        "--run",
        "--yes",
    ]);
    apply
        .env("AWS_ENDPOINT_URL_S3", &moto.url)
        .env("AWS_ACCESS_KEY_ID", "AKIDLOCALTEST")
        .env("AWS_SECRET_ACCESS_KEY", "local-test-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("IDP_STATE_DIR", &runner)
        .env("PATH", &path)
        .env("FAKE_TOFU_SLEEP", "4")
        .stderr(std::process::Stdio::piped());
    let child = apply.spawn().expect("apply starts");
    // Wait until the apply has recorded APPLYING, then extend from a laptop (its own
    // state directory, so no shared file lock).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let (_, body) = moto.request(
            "GET",
            "/acme-idp-state/environments/hello-preview/metadata.json",
        );
        if body.contains("\"status\": \"APPLYING\"") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "apply never reached APPLYING"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let laptop = s.path().join("laptop").display().to_string();
    let extend = idp(
        &s,
        &moto,
        &["extend", "hello-preview", "2d"],
        &[("IDP_STATE_DIR", laptop.as_str())],
    );
    assert_eq!(extend.code, 0, "{}", extend.stderr);
    let out = child.wait_with_output().expect("apply ends");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let show = idp(
        &s,
        &moto,
        &["show", "hello-preview", "--format", "json"],
        &[],
    );
    let record: Value = serde_json::from_str(&show.stdout).expect("record");
    assert_eq!(record["status"], "READY");
    assert_eq!(
        record["extended_until"], "2026-11-26T10:00:00Z",
        "the extension written meanwhile survives the apply's last write"
    );
}
