//! Replicas of `idp serve` over S3 state (issue 15, item 7), against moto's S3 server on
//! 127.0.0.1: two servers with nothing local in common share the records, the API
//! tokens (created and revoked with the CLI) and the audit log.

use crate::harness::{Moto, Sandbox};
use crate::serve::{Server, spec};

/// tests/fixtures/s3/idp.kdl with authentication: tokens only.
const CONFIG: &str = r#"state s3 {
    bucket "acme-idp-state"
    prefix "environments"
    region "us-east-1"
}
server {
    trusted-proxy "10.255.255.1"
}
"#;

fn aws(moto: &Moto) -> [(&'static str, String); 4] {
    [
        ("AWS_ENDPOINT_URL_S3", moto.url.clone()),
        ("AWS_ACCESS_KEY_ID", "AKIDLOCALTEST".into()),
        ("AWS_SECRET_ACCESS_KEY", "local-test-secret".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]
}

/// A server in its own sandbox (its own state directory, home and caches).
fn replica(s: &Sandbox, moto: &Moto, config: &str) -> Server {
    let mut cmd = s.command(&["--config", config, "serve", "--listen", "127.0.0.1:0"]);
    for (k, v) in aws(moto) {
        cmd.env(k, v);
    }
    Server::spawn(cmd)
}

fn token(s: &Sandbox, moto: &Moto, config: &str, args: &[&str]) -> String {
    let mut all = vec!["--config", config, "token"];
    all.extend_from_slice(args);
    let env = aws(moto);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let run = s.run_with(&all, &env);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout.trim().to_owned()
}

#[test]
fn two_servers_on_s3_share_records_tokens_and_the_audit_log() {
    let Some(moto) = Moto::start() else { return };
    let (status, body) = moto.request("PUT", "/acme-idp-state");
    assert_eq!(status, 200, "create bucket: {body}");
    let admin = Sandbox::new();
    let config = admin.path().join("idp.kdl");
    std::fs::write(&config, CONFIG).expect("idp.kdl");
    let config = config.display().to_string();
    let ci = token(&admin, &moto, &config, &["create", "ci", "--role", "admin"]);
    let gone = token(
        &admin,
        &moto,
        &config,
        &["create", "gone", "--role", "admin"],
    );
    assert!(ci.starts_with("idp_") && gone.starts_with("idp_"), "{ci}");
    token(&admin, &moto, &config, &["revoke", "gone"]);
    // Nothing of the tokens is on the admin's disk: they are in the bucket.
    assert!(!admin.state().join("tokens.json").exists());

    let (sa, sb) = (Sandbox::new(), Sandbox::new());
    let (a, b) = (replica(&sa, &moto, &config), replica(&sb, &moto, &config));
    let bearer = format!("Bearer {ci}");
    let revoked = format!("Bearer {gone}");
    let with = |t: &str| [("Authorization", t.to_owned())];
    for server in [&a, &b] {
        let h = with(&bearer);
        let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            server
                .request("GET", "/api/v1/environments", &h, b"")
                .status,
            200
        );
        let h = with(&revoked);
        let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
        server
            .request("GET", "/api/v1/environments", &h, b"")
            .problem(401, "idp::server::unauthenticated");
    }

    // Applied through one replica, seen with its history through the other.
    let h = [
        ("Authorization", bearer.as_str()),
        ("Content-Type", "application/kdl"),
    ];
    let applied = a.request(
        "POST",
        "/api/v1/environments?env=two-days",
        &h,
        &spec("tests/fixtures/s3/envs.kdl"),
    );
    assert_eq!(
        applied.status,
        201,
        "{}",
        String::from_utf8_lossy(&applied.body)
    );
    let h = [("Authorization", bearer.as_str())];
    let got = b.request("GET", "/api/v1/environments/two-days", &h, b"");
    assert_eq!(got.json()["environment"]["status"], "PENDING");
    let history = b
        .request("GET", "/api/v1/environments/two-days/history", &h, b"")
        .json();
    let applies: Vec<_> = history["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["event"] == "apply")
        .collect();
    assert_eq!(applies.len(), 1, "{history}");
    assert_eq!(applies[0]["by"]["subject"], "token:ci");
    assert_eq!(applies[0]["by"]["via"], "token");
    // Neither replica kept the log on its own disk.
    assert!(!sa.state().join("audit").exists() && !sb.state().join("audit").exists());

    // The posted spec is kept in the bucket beside the record, so the other replica
    // extends it (planning that spec again) without the one that took it.
    let h = [
        ("Authorization", bearer.as_str()),
        ("Content-Type", "application/json"),
    ];
    let extended = b.request(
        "POST",
        "/api/v1/environments/two-days/extend",
        &h,
        br#"{"by": "1d"}"#,
    );
    assert_eq!(
        extended.status,
        200,
        "{}",
        String::from_utf8_lossy(&extended.body)
    );
    assert_eq!(extended.json()["extended"], true);
    let (status, kept) = moto.request("GET", "/acme-idp-state/environments/two-days/spec.kdl");
    assert_eq!(status, 200, "{kept}");
    assert!(kept.contains("two-days"), "{kept}");
    assert!(
        !sa.state().join("requests").exists()
            && !sa.state().join("environments/two-days/spec.kdl").exists()
    );
}
