//! The catalog's modules against what idp emits: for every example spec, the module calls
//! in `main.tf` and the values in `terraform.tfvars.json` match the variables and outputs
//! the modules declare; a module that drifts from its template fails the plan; and the
//! `hello` template really runs through terraform and back.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use idp_emit::contract::Interface;

use crate::harness::{Sandbox, record, repo};

fn example_specs() -> Vec<String> {
    let mut specs: Vec<String> = std::fs::read_dir(repo().join("examples"))
        .expect("examples/")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".kdl") && n != "idp.kdl")
        .map(|n| format!("examples/{n}"))
        .collect();
    specs.sort();
    specs
}

fn read_module(dir: &Path) -> Interface {
    let files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("module dir")
        .flatten()
        .map(|e| {
            let bytes = std::fs::read(e.path()).expect("module file");
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    Interface::parse(&files).expect("module HCL parses")
}

/// Checks one emitted workspace by reading it back: `main.tf` with hcl-rs, the tfvars as
/// JSON, each module's declarations from its copied `.tf` files. Returns the problems.
fn check_workspace(ws: &Path) -> Vec<String> {
    let main = std::fs::read_to_string(ws.join("main.tf")).expect("main.tf");
    let body = hcl::parse(&main).expect("main.tf is HCL");
    let tfvars: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(ws.join("terraform.tfvars.json")).expect("tfvars"),
    )
    .expect("tfvars is JSON");

    let mut module_of = BTreeMap::new();
    for block in body.blocks().filter(|b| b.identifier() == "module") {
        let call = block.labels()[0].as_str().to_owned();
        let source = block
            .body()
            .attributes()
            .find(|a| a.key() == "source")
            .map(|a| a.expr().to_string())
            .expect("module has a source");
        let module = source
            .trim_matches('"')
            .trim_start_matches("./modules/")
            .to_owned();
        module_of.insert(call, module);
    }
    let interfaces: BTreeMap<&str, Interface> = module_of
        .values()
        .map(|m| (m.as_str(), read_module(&ws.join("modules").join(m))))
        .collect();

    let mut problems = Vec::new();
    for block in body.blocks().filter(|b| b.identifier() == "module") {
        let call = block.labels()[0].as_str();
        let module = &module_of[call];
        let iface = &interfaces[module.as_str()];
        let vars = tfvars[call].as_object().cloned().unwrap_or_default();
        let mut set = BTreeSet::new();
        for attr in block.body().attributes().filter(|a| a.key() != "source") {
            let name = attr.key();
            set.insert(name.to_owned());
            let Some(declared) = iface.variables.get(name) else {
                problems.push(format!(
                    "{call}: `{name}` is not a variable of module {module}"
                ));
                continue;
            };
            let expr = attr.expr().to_string();
            let parts: Vec<&str> = expr.split('.').collect();
            match parts.as_slice() {
                ["var", c, v] if *c == call && *v == name => match vars.get(name) {
                    Some(value) => {
                        if let Err(e) = declared.ty.admits(value, name) {
                            problems.push(format!("{call}: {e}"));
                        }
                    }
                    None => problems.push(format!("{call}: `{name}` has no value in tfvars")),
                },
                ["module", from, out] => {
                    let src = &interfaces[module_of[*from].as_str()];
                    if !src.outputs.contains(*out) {
                        problems.push(format!(
                            "{call}: `{name}` reads missing output {from}.{out}"
                        ));
                    }
                }
                _ => problems.push(format!(
                    "{call}: `{name}` = {expr} is neither var nor module"
                )),
            }
        }
        for (name, v) in &iface.variables {
            if v.required && !set.contains(name) {
                problems.push(format!("{call}: required `{name}` of {module} is not set"));
            }
        }
        for name in vars.keys().filter(|k| !set.contains(*k)) {
            problems.push(format!(
                "{call}: tfvars value `{name}` is passed to no variable"
            ));
        }
    }
    problems
}

#[test]
fn every_example_emits_exactly_what_its_modules_declare() {
    let s = Sandbox::new();
    let mut templates = BTreeSet::new();
    for spec in example_specs() {
        let run = s.idp(&["apply", &spec, "--yes"]);
        assert_eq!(run.code, 0, "{spec}: {}", run.stderr);
    }
    let envs = s.state().join("environments");
    for entry in std::fs::read_dir(&envs).expect("environments").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        templates.insert(
            record(&s, &name)["template"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
        );
        let problems = check_workspace(&entry.path());
        assert!(problems.is_empty(), "{name}:\n{}", problems.join("\n"));
    }
    // The check itself can fail: a workspace edited behind idp's back is caught.
    let ws = envs.join("orders-preview");
    let path = ws.join("terraform.tfvars.json");
    let mut tfvars: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("tfvars")).expect("JSON");
    tfvars["service"]["cpu"] = "512".into();
    tfvars["service"]["extra"] = 1.into();
    std::fs::write(&path, tfvars.to_string()).expect("write");
    assert_eq!(
        check_workspace(&ws),
        [
            "service: `cpu` is the string \"512\", but the module declares it `number`",
            "service: tfvars value `extra` is passed to no variable"
        ]
    );
    assert_eq!(
        templates,
        BTreeSet::from(
            [
                "api-database",
                "api-service",
                "event-processor",
                "hello",
                "queue-worker",
                "scheduled-worker",
                "static-site"
            ]
            .map(String::from)
        ),
        "one example per built-in template"
    );
}

#[test]
fn a_module_renamed_under_its_template_fails_the_plan_naming_both() {
    let s = Sandbox::new();
    let team = s.path().join("project/team");
    let module = team.join("modules/ecs-service");
    std::fs::create_dir_all(&module).expect("mkdir");
    for entry in std::fs::read_dir(repo().join("modules/ecs-service"))
        .expect("module")
        .flatten()
    {
        let text = std::fs::read_to_string(entry.path()).expect("read");
        std::fs::write(
            module.join(entry.file_name()),
            text.replace("health_check_path", "health_check"),
        )
        .expect("write");
    }
    let (_, files) = idp_catalog::modules_in(Some(&team.join("modules")))
        .expect("modules")
        .into_iter()
        .next()
        .expect("the module");
    std::fs::write(
        team.join("catalog.kdl"),
        format!(
            "module ecs-service sha256=\"{}\"\n",
            idp_catalog::module_digest(&files)
        ),
    )
    .expect("index");
    // Only the organisation may replace a built-in module, and only by naming it.
    std::fs::write(
        s.path().join("project/idp.kdl"),
        "catalog path=\"team\" overrides=\"ecs-service\"\n",
    )
    .expect("idp.kdl");
    let spec = s.path().join("project/env.kdl");
    std::fs::copy(repo().join("examples/orders-preview.kdl"), &spec).expect("spec");

    let run = s.idp(&["plan", &spec.display().to_string()]);
    assert_eq!(run.code, 3, "a catalog defect, not the user's input");
    let err = run.flat_stderr();
    assert!(
        err.contains("template `api-service` does not match the modules it calls"),
        "{err}"
    );
    assert!(
        err.contains(
            "call `service` (module `ecs-service`): the template sets `health_check_path`, which module `ecs-service` does not declare; the module declares `health_check` — was it renamed?"
        ),
        "{err}"
    );
}

fn tofu() -> Option<&'static str> {
    ["tofu", "terraform"].into_iter().find(|t| {
        std::process::Command::new(t)
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// tofu or terraform; `None` (the caller skips) only outside CI, which installs one.
pub(crate) fn tofu_or_skip() -> Option<&'static str> {
    let tf = tofu();
    if tf.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs tofu or terraform on PATH"
        );
        eprintln!("skipped: neither tofu nor terraform on PATH");
    }
    tf
}

#[test]
fn hello_really_applies_records_outputs_and_destroys() {
    if tofu_or_skip().is_none() {
        return;
    }
    let s = Sandbox::new();
    let apply = s.idp(&["apply", "examples/hello.kdl", "--yes", "--run"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let rec = record(&s, "hello-preview");
    assert_eq!(rec["status"], "READY");
    assert_eq!(
        rec["outputs"]["message"],
        "Hello from hello-preview: hello from idp"
    );
    let id = rec["outputs"]["id"]
        .as_str()
        .expect("terraform_data id")
        .to_owned();

    let ws = s.state().join("environments/hello-preview");
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(ws.join("terraform.tfstate")).expect("terraform state"),
    )
    .expect("state JSON");
    let resources = state["resources"].as_array().expect("resources");
    assert_eq!(resources.len(), 1);
    assert_eq!(resources[0]["type"], "terraform_data");
    assert_eq!(
        resources[0]["instances"][0]["attributes"]["id"],
        id.as_str()
    );
    assert_eq!(
        resources[0]["instances"][0]["attributes"]["input"]["value"]["tags"]["idp:environment"],
        "hello-preview"
    );

    let show = s.idp(&["show", "hello-preview"]);
    assert!(
        show.stdout.contains(&format!("output     id = {id}")),
        "{}",
        show.stdout
    );

    let destroy = s.idp(&["destroy", "hello-preview", "--yes", "--run"]);
    assert_eq!(destroy.code, 0, "{}\n{}", destroy.stdout, destroy.stderr);
    assert_eq!(record(&s, "hello-preview")["status"], "DESTROYED");
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(ws.join("terraform.tfstate")).expect("terraform state"),
    )
    .expect("state JSON");
    assert_eq!(
        state["resources"],
        serde_json::json!([]),
        "terraform destroyed it"
    );
}

/// Resource types the AWS provider cannot tag (they have no `tags` argument).
const UNTAGGABLE: [&str; 29] = [
    "aws_acm_certificate_validation",
    "aws_appautoscaling_policy",
    "aws_appautoscaling_scheduled_action",
    "aws_cloudfront_origin_access_control",
    "aws_cloudfront_response_headers_policy",
    "aws_cloudwatch_event_target",
    "aws_cognito_user_pool_client",
    "aws_cognito_user_pool_domain",
    "aws_efs_backup_policy",
    "aws_efs_file_system_policy",
    "aws_efs_mount_target",
    "aws_iam_role_policy",
    "aws_iam_role_policy_attachment",
    "aws_kms_alias",
    "aws_route53_record",
    "aws_route_table_association",
    "aws_s3_bucket_lifecycle_configuration",
    "aws_s3_bucket_ownership_controls",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_versioning",
    "aws_scheduler_schedule",
    "aws_sesv2_email_identity_mail_from_attributes",
    "aws_sns_topic_policy",
    "aws_sns_topic_subscription",
    "aws_sqs_queue_policy",
    "aws_sqs_queue_redrive_allow_policy",
    "terraform_data",
];

/// The built-in modules, by directory name.
const MODULES: [&str; 14] = [
    "cognito-user-pool",
    "common",
    "domain",
    "ecs-service",
    "efs",
    "event-rule",
    "hello",
    "networking",
    "rds-postgres",
    "s3-bucket",
    "scheduled-task",
    "ses-domain",
    "sns-topic",
    "sqs-queue",
];

#[test]
fn every_module_types_and_describes_its_variables_and_tags_what_it_can() {
    let mut problems = Vec::new();
    let mut modules = BTreeSet::new();
    for module in std::fs::read_dir(repo().join("modules"))
        .expect("modules/")
        .flatten()
    {
        let name = module.file_name().to_string_lossy().into_owned();
        modules.insert(name.clone());
        if !module.path().join("versions.tf").exists() {
            problems.push(format!("{name}: no versions.tf"));
        }
        problems.extend(interface_problems(&name, &read_module(&module.path())));
        for file in std::fs::read_dir(module.path()).expect("module").flatten() {
            let text = std::fs::read_to_string(file.path()).expect("read");
            let body = hcl::parse(&text).expect("HCL parses");
            for block in body.blocks() {
                let label = block
                    .labels()
                    .first()
                    .map(|l| l.as_str().to_owned())
                    .unwrap_or_default();
                let has = |key: &str| block.body().attributes().any(|a| a.key() == key);
                match block.identifier() {
                    "variable" => {
                        for key in ["type", "description"] {
                            if !has(key) {
                                problems.push(format!("{name}: variable `{label}` has no {key}"));
                            }
                        }
                    }
                    "output" if !has("description") => {
                        problems.push(format!("{name}: output `{label}` has no description"));
                    }
                    "resource" if !UNTAGGABLE.contains(&label.as_str()) && !has("tags") => {
                        let id = block.labels().get(1).map(|l| l.as_str()).unwrap_or("");
                        problems.push(format!("{name}: {label}.{id} is not tagged"));
                    }
                    _ => {}
                }
            }
        }
    }
    assert_eq!(modules, BTreeSet::from(MODULES.map(String::from)));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// What the contract check needs of every module, read as it reads them: a `tags`
/// variable the templates fill with the derived tags, and at least one output.
fn interface_problems(name: &str, iface: &Interface) -> Vec<String> {
    let mut problems = Vec::new();
    match iface.variables.get("tags") {
        None => problems.push(format!("{name}: no `tags` variable")),
        Some(v) if v.ty.to_string() != "map(string)" || !v.required => problems.push(format!(
            "{name}: `tags` is `{}`{}, not a required `map(string)`",
            v.ty,
            if v.required { "" } else { " with a default" }
        )),
        Some(_) => {}
    }
    if iface.outputs.is_empty() {
        problems.push(format!("{name}: no outputs"));
    }
    problems
}

#[test]
fn the_module_interface_check_names_a_missing_tags_variable_and_outputs() {
    let files = vec![(
        "variables.tf".to_owned(),
        b"variable \"tags\" {\n  type    = map(any)\n  default = {}\n}\n".to_vec(),
    )];
    let iface = Interface::parse(&files).expect("parses");
    assert_eq!(
        interface_problems("broken", &iface),
        [
            "broken: `tags` is `map(any)` with a default, not a required `map(string)`",
            "broken: no outputs"
        ]
    );
    let iface = Interface::parse(&[]).expect("parses");
    assert_eq!(
        interface_problems("empty", &iface),
        ["empty: no `tags` variable", "empty: no outputs"]
    );
}

/// Plans a module's `variables.tf` alone (no provider, so it runs offline) with `vars`;
/// returns whether the plan succeeded and its output.
fn plan_variables(tf: &str, module: &str, vars: &[&str]) -> (bool, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        repo().join("modules").join(module).join("variables.tf"),
        dir.path().join("variables.tf"),
    )
    .expect("copy variables.tf");
    let mut cmd = std::process::Command::new(tf);
    cmd.current_dir(dir.path())
        .args(["plan", "-input=false", "-no-color", "-var=tags={}"]);
    for v in vars {
        cmd.arg(format!("-var={v}"));
    }
    let out = cmd.output().expect("run plan");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Error messages wrap at the terminal width: compare them on one line.
    let flat = text
        .lines()
        .map(|l| l.trim_start_matches(['│', '╷', '╵']).trim())
        .collect::<Vec<_>>()
        .join(" ");
    (out.status.success(), flat)
}

#[test]
fn the_new_modules_refuse_bad_values_with_their_own_messages() {
    let Some(tf) = tofu_or_skip() else {
        return;
    };
    let task = [
        "name=orders",
        "region=eu-west-1",
        "vpc_id=vpc-1",
        "private_subnet_ids=[\"subnet-1\"]",
        "image=app:1",
        "cpu=256",
        "memory=512",
    ];
    let with = |base: &[&str], extra: &[&'static str]| -> Vec<String> {
        base.iter().chain(extra).map(|s| (*s).to_owned()).collect()
    };
    // module, a valid call, the same call with one bad value, what the module says.
    let cases: Vec<(&str, Vec<String>, Vec<String>, &str)> = vec![
        (
            "s3-bucket",
            with(
                &["name=orders", "purpose=uploads"],
                &["lifecycle_rules=[{id=\"tmp\",prefix=\"tmp/\",expiration_days=1}]"],
            ),
            with(
                &["name=orders", "purpose=uploads"],
                &["lifecycle_rules=[{id=\"tmp\",transition_to_ia_days=10}]"],
            ),
            "transition_to_ia_days must be at least 30",
        ),
        (
            "s3-bucket",
            with(&["name=orders", "purpose=site"], &["static_site=true"]),
            with(
                &["name=orders", "purpose=site"],
                &["site_certificate_arn=arn:aws:acm:eu-west-1:123456789012:certificate/x"],
            ),
            "site_certificate_arn must be an ACM certificate in us-east-1",
        ),
        (
            "sns-topic",
            with(
                &["name=orders", "purpose=orders"],
                &["email_subscribers=[\"ops@example.com\"]"],
            ),
            with(
                &["name=orders", "purpose=orders"],
                &["email_subscribers=[\"ops\"]"],
            ),
            "each email_subscribers entry must be an e-mail address",
        ),
        (
            "event-rule",
            with(
                &task,
                &[
                    "event_pattern={\"source\":[\"aws.s3\"]}",
                    "event_fields={OBJECT_KEY=\"$.detail.object.key\"}",
                ],
            ),
            with(&task, &["event_pattern=[]"]),
            "event_pattern must be a non-empty JSON object",
        ),
        (
            "efs",
            with(
                &[
                    "name=orders",
                    "vpc_id=vpc-1",
                    "private_subnet_ids=[\"subnet-1\"]",
                    "client_security_group_id=sg-1",
                ],
                &[],
            ),
            with(
                &[
                    "name=orders",
                    "vpc_id=vpc-1",
                    "private_subnet_ids=[\"subnet-1\"]",
                    "client_security_group_id=sg-1",
                ],
                &["access_points={data={path=\"/data\",uid=0}}"],
            ),
            "clients never act as root",
        ),
        (
            "cognito-user-pool",
            with(
                &["name=orders", "region=eu-west-1"],
                &["app_clients={web={callback_urls=[\"https://orders.example.com/callback\"]}}"],
            ),
            with(
                &["name=orders", "region=eu-west-1"],
                &["app_clients={web={callback_urls=[\"http://orders.example.com/callback\"]}}"],
            ),
            "callback and logout URLs must be https://",
        ),
        (
            "ses-domain",
            with(
                &["name=orders", "region=eu-west-1", "domain=mail.example.com"],
                &["zone_id=Z0123456789"],
            ),
            with(
                &["name=orders", "region=eu-west-1", "domain=mail.example.com"],
                &["dmarc_policy=block"],
            ),
            "dmarc_policy must be none, quarantine or reject",
        ),
        (
            "domain",
            with(&["zone_id=Z0123456789", "domain_name=api.example.com"], &[]),
            with(&["zone_id=Z0123456789"], &["domain_name=*.example.com"]),
            "domain_name must be a lowercase DNS name",
        ),
    ];
    for (module, good, bad, message) in cases {
        let good: Vec<&str> = good.iter().map(String::as_str).collect();
        let (ok, out) = plan_variables(tf, module, &good);
        assert!(ok, "{module}: a valid call was refused: {out}");
        let bad: Vec<&str> = bad.iter().map(String::as_str).collect();
        let (ok, out) = plan_variables(tf, module, &bad);
        assert!(!ok, "{module}: a bad value was accepted");
        assert!(
            out.contains(message),
            "{module}: expected `{message}` in {out}"
        );
    }
}
