//! The optional blocks of api-service and api-database through the real binary: the
//! examples plan with the built-in catalog, each block's module call is there with the
//! task role's grant chained to the service and the names it needs as environment
//! variables, the domain moves the service to HTTPS, every new bill line is priced in
//! us-east-1, and a bad block is refused at its line.

use serde_json::Value;

use crate::harness::Sandbox;

/// The planned environment of `spec`, with its cost estimate.
fn plan(s: &Sandbox, spec: &str) -> Value {
    let run = s.idp(&["plan", spec, "--format", "json"]);
    assert_eq!(run.code, 0, "{spec}: {}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap_or(Value::Null);
    let env = doc["environments"][0].clone();
    assert!(
        env["cost"]["monthly"].is_number(),
        "{spec} is priced: {}",
        env["cost"]
    );
    env
}

fn call<'e>(env: &'e Value, name: &str) -> &'e Value {
    env["calls"]
        .as_array()
        .and_then(|calls| calls.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no call `{name}` in {}", env["calls"]))
}

/// Where `variable` of `call` is wired from: `call.output`.
fn wired(call: &Value, variable: &str) -> Option<String> {
    call["wiring"].as_array()?.iter().find_map(|w| {
        (w["variable"] == variable).then(|| {
            format!(
                "{}.{}",
                w["from_call"].as_str().unwrap_or(""),
                w["output"].as_str().unwrap_or("")
            )
        })
    })
}

#[test]
fn buckets_topics_and_files_chain_their_grants_into_the_task_role() {
    let s = Sandbox::new();
    let env = plan(&s, "examples/uploads-preview.kdl");
    let modules: Vec<(&str, &str)> = env["calls"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or(""),
                c["module"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        modules,
        [
            ("common", "common"),
            ("network", "networking"),
            ("service", "ecs-service"),
            ("bucket-thumbs", "s3-bucket"),
            ("bucket-uploads", "s3-bucket"),
            ("topic-uploaded", "sns-topic"),
            ("files", "efs"),
        ]
    );
    let thumbs = call(&env, "bucket-thumbs");
    assert_eq!(thumbs["variables"]["task_access"], "read-only");
    assert_eq!(thumbs["variables"]["environment_variable"], "BUCKET_THUMBS");
    let uploads = call(&env, "bucket-uploads");
    assert_eq!(uploads["variables"]["task_access"], "read-write");
    assert_eq!(uploads["variables"]["versioning"], false);
    assert_eq!(
        wired(uploads, "prior_task_policy_json").as_deref(),
        Some("bucket-thumbs.task_policy_json")
    );
    let topic = call(&env, "topic-uploaded");
    assert_eq!(
        topic["variables"]["environment_variable"],
        "TOPIC_ARN_UPLOADED"
    );
    assert_eq!(
        topic["variables"]["email_subscribers"],
        serde_json::json!(["media-oncall@acme.io"]),
        "one address under a named block is still a list"
    );
    let files = call(&env, "files");
    assert_eq!(
        wired(files, "client_security_group_id").as_deref(),
        Some("service.service_security_group_id"),
        "the file system admits the service alone"
    );

    let svc = call(&env, "service");
    assert_eq!(
        wired(svc, "task_policy_json").as_deref(),
        Some("files.task_policy_json")
    );
    assert_eq!(
        wired(svc, "linked_environment").as_deref(),
        Some("files.task_environment")
    );
    assert_eq!(svc["variables"]["has_task_policy"], true);
    assert_eq!(
        wired(svc, "efs_volumes").as_deref(),
        Some("files.task_volumes")
    );
    assert_eq!(
        svc["variables"]["mount_points"],
        serde_json::json!([{"volume": "efs-app", "path": "/srv/scratch"}])
    );
    assert!(
        wired(svc, "certificate_arn").is_none(),
        "no domain, no HTTPS listener"
    );
}

#[test]
fn the_grants_are_each_modules_least_privilege_policy_with_its_own_sids() {
    // What the chain passes on is the module's own policy document: read it where the
    // plan cannot (the modules' HCL), so a widened grant fails here.
    let read = |m: &str, f: &str| {
        std::fs::read_to_string(crate::harness::repo().join("modules").join(m).join(f))
            .unwrap_or_default()
    };
    let s3 = read("s3-bucket", "main.tf");
    assert!(s3.contains(r#"actions   = ["s3:ListBucket"]"#));
    assert!(s3.contains(r#"actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]"#));
    assert!(s3.contains(r#"resources = ["${aws_s3_bucket.this.arn}/*"]"#));
    let grant = read("s3-bucket", "grant.tf");
    assert!(grant.contains(r#""read-only"  = data.aws_iam_policy_document.read_only.json"#));
    assert!(grant.contains(r#"Sid = "${local.task_sid_prefix}${s.Sid}""#));
    assert!(read("sns-topic", "main.tf").contains(r#"actions   = ["sns:Publish"]"#));
    assert!(read("sns-topic", "grant.tf").contains("data.aws_iam_policy_document.publish.json"));
    assert!(read("ses-domain", "grant.tf").contains("data.aws_iam_policy_document.send.json"));
    assert!(read("efs", "grant.tf").contains("data.aws_iam_policy_document.client.json"));
    assert!(read("cognito-user-pool", "grant.tf").contains(
        "var.grant_secret_reader ? data.aws_iam_policy_document.secret_reader.json : null"
    ));
}

#[test]
fn sign_in_mail_and_a_domain_wire_into_the_database_service() {
    let s = Sandbox::new();
    let env = plan(&s, "examples/accounts-staging.kdl");
    let bucket = call(&env, "bucket-avatars");
    assert_eq!(
        wired(bucket, "prior_task_environment").as_deref(),
        Some("database.container_environment"),
        "the database's PG* variables start the chain"
    );
    let email = call(&env, "email");
    assert_eq!(email["variables"]["zone_id"], "Z04517273VCLQUUZ6Q4AL");
    let auth = call(&env, "auth");
    assert_eq!(auth["variables"]["grant_secret_reader"], true);
    assert_eq!(auth["variables"]["mfa"], "OPTIONAL");
    assert_eq!(
        wired(auth, "ses_identity_arn").as_deref(),
        Some("email.identity_arn")
    );
    let svc = call(&env, "service");
    assert_eq!(
        wired(svc, "task_policy_json").as_deref(),
        Some("auth.task_policy_json")
    );
    assert_eq!(
        wired(svc, "linked_environment").as_deref(),
        Some("auth.task_environment")
    );
    assert_eq!(
        wired(svc, "secret_environment").as_deref(),
        Some("database.container_secrets")
    );
    assert_eq!(
        wired(svc, "certificate_arn").as_deref(),
        Some("domain.certificate_arn")
    );
    assert_eq!(svc["variables"]["https_listener"], true);
    let domain = call(&env, "domain");
    assert_eq!(
        wired(domain, "alias_target").as_deref(),
        Some("service.alias_target")
    );
    let url = env["outputs"]
        .as_array()
        .and_then(|o| o.iter().find(|o| o["name"] == "url"))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(
        url["from_call"], "domain",
        "the environment's url is its own name"
    );
}

#[test]
fn every_new_line_is_priced_in_us_east_1_with_the_usage_overrides() {
    let s = Sandbox::new();
    for spec in [
        "examples/uploads-preview.kdl",
        "examples/accounts-staging.kdl",
    ] {
        let env = plan(&s, spec);
        let cost = &env["cost"];
        assert!(
            cost["missing"].as_array().is_none_or(|m| m.is_empty()),
            "{spec}: {}",
            cost["missing"]
        );
    }
    let env = plan(&s, "examples/uploads-preview.kdl");
    let line = |usage: &str, call: &str| {
        env["bill"]
            .as_array()
            .and_then(|b| {
                b.iter()
                    .find(|l| l["usage_type"] == usage && l["call"] == call)
            })
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(
        line("TimedStorage-ByteHrs", "bucket-uploads")["quantity"],
        20.0
    );
    assert_eq!(
        line("Requests-Tier1", "topic-uploaded")["quantity"],
        50000.0
    );
    assert_eq!(
        line("TimedStorage-ByteHrs", "files")["service_code"],
        "AmazonEFS"
    );
    let env = plan(&s, "examples/accounts-staging.kdl");
    let mau = env["bill"]
        .as_array()
        .and_then(|b| b.iter().find(|l| l["usage_type"] == "CognitoEssentialsMAU"))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(
        mau["quantity"], 0.0,
        "2,500 users are inside the free 10,000"
    );
}

#[test]
fn a_bad_block_is_refused_at_its_line_and_a_second_certificate_at_its_field() {
    let s = Sandbox::new();
    let config = crate::harness::repo().join("examples/idp.kdl");
    std::fs::copy(config, s.path().join("idp.kdl")).expect("copy idp.kdl");
    let spec = s.path().join("bad.kdl");
    std::fs::write(
        &spec,
        r#"environment bad-blocks {
    template api-service
    owner "alice@acme.io"
    team media
    class preview
    region us-east-1
    ttl "7d"
    tags {
        cost-center engineering
    }
    service {
        image "ghcr.io/acme/uploads:0.9.3"
    }
    buckets {
        Uploads_Bucket
    }
}
"#,
    )
    .expect("write spec");
    let spec = spec.display().to_string();
    let run = s.idp(&["plan", &spec]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("\"Uploads_Bucket\" does not match"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("bad.kdl:14:5"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("1 to 10 lowercase letters, digits or hyphens"),
        "the schema's description is the help: {}",
        run.stderr
    );

    // A field of a named bucket is judged against the bucket's schema, at its own line.
    let days = std::fs::read_to_string(crate::harness::repo().join("examples/uploads-preview.kdl"))
        .expect("example")
        .replace("expire-days 30", "expire-days \"soon\"");
    let path = s.path().join("days.kdl");
    std::fs::write(&path, days).expect("write spec");
    let run = s.idp(&["plan", &path.display().to_string()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let err = run.flat_stderr();
    assert!(
        err.contains(
            "invalid input `expire-days` in `buckets.uploads`: \"soon\" is not of type \"integer\""
        ),
        "{err}"
    );
    assert!(run.stderr.contains("days.kdl:22:25"), "{}", run.stderr);
    assert!(
        err.contains("delete objects this many days after they were written"),
        "{err}"
    );

    let twice = std::fs::read_to_string(crate::harness::repo().join("examples/accounts-staging.kdl"))
        .expect("example")
        .replace(
            "        memory 1024\n",
            "        memory 1024\n        certificate-arn \"arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d\"\n",
        );
    let path = s.path().join("twice.kdl");
    std::fs::write(&path, twice).expect("write spec");
    let run = s.idp(&["plan", &path.display().to_string()]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("two-certificates"), "{}", run.stderr);
    assert!(run.stderr.contains("certificate-arn"), "{}", run.stderr);
}

#[test]
fn a_static_site_is_a_private_bucket_behind_cloudfront_on_its_own_domain() {
    let s = Sandbox::new();
    let env = plan(&s, "examples/docs-site.kdl");
    let modules: Vec<&str> = env["calls"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["module"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(modules, ["common", "s3-bucket", "domain"], "no VPC");
    let site = call(&env, "site");
    assert_eq!(site["variables"]["static_site"], true);
    assert_eq!(
        site["variables"]["site_aliases"],
        serde_json::json!(["docs.acme.io"])
    );
    assert_eq!(
        wired(site, "site_certificate_arn").as_deref(),
        Some("domain.certificate_arn")
    );
    assert_eq!(
        wired(call(&env, "domain"), "alias_target").as_deref(),
        Some("site.site_alias_target")
    );
    assert!(
        env["cost"]["missing"]
            .as_array()
            .is_none_or(|m| m.is_empty()),
        "{}",
        env["cost"]
    );
}

#[test]
fn cloudfront_is_priced_under_the_global_key_whatever_the_region() {
    let s = Sandbox::new();
    let spec = std::fs::read_to_string(crate::harness::repo().join("examples/docs-site.kdl"))
        .expect("example");
    // Without the domain (which needs us-east-1), in Frankfurt: CloudFront keeps its
    // global price, and the bucket's lines take Frankfurt's own (not us-east-1's).
    let start = spec.find("    domain {").expect("domain block");
    let end = start + spec[start..].find("    }\n").expect("block end") + 6;
    let frankfurt =
        format!("{}{}", &spec[..start], &spec[end..]).replace("us-east-1", "eu-central-1");
    std::fs::copy(
        crate::harness::repo().join("examples/idp.kdl"),
        s.path().join("idp.kdl"),
    )
    .expect("copy idp.kdl");
    let path = s.path().join("site.kdl");
    std::fs::write(&path, frankfurt).expect("write spec");
    let env = plan(&s, &path.display().to_string());
    let lines = env["cost"]["lines"].as_array().cloned().unwrap_or_default();
    let cloudfront: Vec<&Value> = lines
        .iter()
        .filter(|l| l["service_code"] == "AmazonCloudFront")
        .collect();
    assert_eq!(cloudfront.len(), 2, "{}", env["cost"]);
    assert!(
        cloudfront.iter().all(|l| l["usage_type"]
            .as_str()
            .is_some_and(|u| u.starts_with("US-"))),
        "CloudFront bills under its own price key: {}",
        env["cost"]
    );
    let storage = lines
        .iter()
        .find(|l| l["service_code"] == "AmazonS3" && l["usage_type"] == "TimedStorage-ByteHrs")
        .expect("the bucket's storage line");
    assert_eq!(
        storage["unit_price"], 0.0245,
        "Frankfurt's S3 Standard price"
    );
    assert!(
        env["cost"]["missing"]
            .as_array()
            .is_none_or(|m| m.is_empty()),
        "{}",
        env["cost"]
    );
}

#[test]
fn an_event_processor_runs_its_task_per_matching_event_with_a_dead_letter_queue() {
    let s = Sandbox::new();
    let env = plan(&s, "examples/invoices-events.kdl");
    let rule = call(&env, "processor");
    assert_eq!(rule["module"], "event-rule");
    let pattern: Value =
        serde_json::from_str(rule["variables"]["event_pattern"].as_str().unwrap_or("{}"))
            .unwrap_or(Value::Null);
    assert_eq!(
        pattern,
        serde_json::json!({"source": ["acme.orders"], "detail-type": ["OrderPlaced"]})
    );
    assert_eq!(
        rule["variables"]["event_fields"],
        serde_json::json!({"ORDER_ID": "$.detail.order-id"})
    );
    assert_eq!(
        wired(rule, "private_subnet_ids").as_deref(),
        Some("network.private_subnet_ids")
    );
    let outputs: Vec<&str> = env["outputs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| o["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(outputs, ["cluster", "rule", "dead-letter-queue"]);
    let events = env["bill"]
        .as_array()
        .and_then(|b| b.iter().find(|l| l["usage_type"] == "Event-64K-Chunks"))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(events["quantity"], 30000.0, "custom events are billed");
    assert!(
        env["cost"]["missing"]
            .as_array()
            .is_none_or(|m| m.is_empty())
    );
}

/// Applies `modules/s3-bucket`'s `variables.tf` and `grant.tf` with tofu, offline: the
/// module's own policy documents and bucket (which need the AWS provider) become
/// literals, everything else is the module's text. Returns the two chain outputs.
fn apply_bucket_grant(tf: &str, vars: &[&str]) -> (Value, Value) {
    let dir = tempfile::tempdir().expect("temp dir");
    let module = crate::harness::repo().join("modules/s3-bucket");
    std::fs::copy(module.join("variables.tf"), dir.path().join("variables.tf"))
        .expect("copy variables.tf");
    let grant = std::fs::read_to_string(module.join("grant.tf"))
        .expect("grant.tf")
        .replace(
            "data.aws_iam_policy_document.read_write.json",
            "local.read_write",
        )
        .replace(
            "data.aws_iam_policy_document.read_only.json",
            "local.read_only",
        )
        .replace("aws_s3_bucket.this.bucket", "\"acme-uploads-1\"");
    let documents = r#"
locals {
  read_write = jsonencode({ Version = "2012-10-17", Statement = [
    { Sid = "ListTheBucket", Effect = "Allow", Action = ["s3:ListBucket"], Resource = "arn:aws:s3:::acme-uploads-1" },
    { Sid = "ReadWriteObjects", Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource = "arn:aws:s3:::acme-uploads-1/*" },
  ] })
  read_only = jsonencode({ Version = "2012-10-17", Statement = [
    { Sid = "ListTheBucket", Effect = "Allow", Action = ["s3:ListBucket"], Resource = "arn:aws:s3:::acme-uploads-1" },
  ] })
}
"#;
    std::fs::write(dir.path().join("grant.tf"), format!("{grant}\n{documents}")).expect("grant");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(tf)
            .current_dir(dir.path())
            .args(args)
            .output()
            .expect("run tofu");
        assert!(
            out.status.success(),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let mut apply = vec![
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-var=name=acme",
        "-var=tags={}",
        "-var=purpose=user-docs",
        "-var=environment_variable=BUCKET_USER_DOCS",
    ];
    apply.extend_from_slice(vars);
    run(&apply);
    let outputs: Value =
        serde_json::from_slice(&run(&["output", "-json", "-no-color"])).unwrap_or(Value::Null);
    let policy = outputs["task_policy_json"]["value"]
        .as_str()
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or(Value::Null);
    (policy, outputs["task_environment"]["value"].clone())
}

#[test]
fn a_bucket_passes_on_the_grants_before_it_and_adds_its_own_under_its_own_sids() {
    let Some(tf) = crate::modules::tofu_or_skip() else {
        return;
    };
    let prior = r#"-var=prior_task_policy_json={"Version":"2012-10-17","Statement":[{"Sid":"PublishToTheTopic","Effect":"Allow","Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:123456789012:acme-orders"}]}"#;
    let (policy, env) =
        apply_bucket_grant(tf, &[prior, r#"-var=prior_task_environment={PGHOST="db"}"#]);
    let sids: Vec<&str> = policy["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| s["Sid"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        sids,
        [
            "PublishToTheTopic",
            "UserDocsListTheBucket",
            "UserDocsReadWriteObjects"
        ],
        "{policy}"
    );
    assert_eq!(
        policy["Statement"][2]["Resource"], "arn:aws:s3:::acme-uploads-1/*",
        "objects only, of this bucket"
    );
    assert_eq!(
        env,
        serde_json::json!({"PGHOST": "db", "BUCKET_USER_DOCS": "acme-uploads-1"})
    );

    let (policy, _) = apply_bucket_grant(tf, &["-var=task_access=read-only"]);
    assert_eq!(
        policy["Statement"].as_array().map(Vec::len),
        Some(1),
        "{policy}"
    );
    let (policy, env) = apply_bucket_grant(tf, &["-var=task_access=none"]);
    assert_eq!(policy, Value::Null, "nothing granted, no policy");
    assert_eq!(
        env,
        serde_json::json!({"BUCKET_USER_DOCS": "acme-uploads-1"})
    );
}
