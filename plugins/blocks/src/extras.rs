//! The optional blocks a web service may have (`buckets`, `notifications`, `files`,
//! `email`, `auth`, `domain`): each is one module call, and the service's task role and
//! environment are chained through them.
//!
//! Why a chain: ecs-service takes one `task_policy_json` and one `linked_environment`, and a
//! wire carries one output into one variable. So every call that grants something takes
//! what the calls before it granted (`prior_task_policy_json`, `prior_task_environment`)
//! and passes it on with its own (`task_policy_json`, `task_environment`,
//! `modules/*/grant.tf`); the service is wired to the last one. What each grants is the
//! module's own least-privilege policy (s3 list on the bucket and get/put/delete on its
//! objects, `sns:Publish` on the topic, mount and write through the access point, send
//! from the domain, a client secret's read only when asked).

use std::collections::BTreeMap;

use idp_plugin_sdk::serde_json::json;
use idp_plugin_sdk::{Class, Environment, Finding, ModuleCall, Output};
use serde::{Deserialize, Deserializer};

use crate::{Bill, Foundation, WebService, class_settings};

/// The blocks, as the template's inputs give them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct Extras {
    /// `buckets { NAME { … } }`: private S3 buckets by name.
    #[serde(deserialize_with = "named_blocks")]
    pub buckets: BTreeMap<String, Bucket>,
    /// `notifications { NAME { … } }`: SNS topics the service publishes to, by name.
    #[serde(deserialize_with = "named_blocks")]
    pub notifications: BTreeMap<String, Topic>,
    /// `files { mount "/data" }`: an EFS file system mounted into the container.
    pub files: Option<Files>,
    /// `email { domain "…"; zone "…" }`: an SES domain the service sends from.
    pub email: Option<Email>,
    /// `auth { … }`: a Cognito user pool that signs the service's users in.
    pub auth: Option<Auth>,
    /// `domain { name "…"; zone "…" }`: the service's own host name with a certificate.
    pub domain: Option<Domain>,
}

/// An entry of a map of named blocks: a block, or the bare name (`uploads` alone, which
/// the KDL→JSON rules make `true` because the schema's map says nothing of its values).
#[derive(Deserialize)]
#[serde(untagged)]
enum Named<T> {
    Block(T),
    // Only ever `true`: the schema refuses anything else.
    #[allow(dead_code)]
    Bare(bool),
}

fn named_blocks<'de, D, T>(d: D) -> Result<BTreeMap<String, T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    let raw = BTreeMap::<String, Named<T>>::deserialize(d)?;
    Ok(raw
        .into_iter()
        .map(|(name, entry)| match entry {
            Named::Block(block) => (name, block),
            Named::Bare(_) => (name, T::default()),
        })
        .collect())
}

/// One value or several: under a map of named blocks a single `email "a@b.c"` stays a
/// string (the converter sees no schema there to make it a list).
fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}

/// `buckets { NAME { … } }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct Bucket {
    /// Keep every version of every object.
    pub versioned: bool,
    /// `read-write`, `read-only` or `none`: what the service's task role may do.
    pub access: String,
    /// Delete objects this many days after they were written.
    pub expire_days: Option<u32>,
    /// Move objects to Standard-IA this many days after they were written.
    pub infrequent_after_days: Option<u32>,
}

impl Default for Bucket {
    fn default() -> Self {
        Bucket {
            versioned: true,
            access: "read-write".into(),
            expire_days: None,
            infrequent_after_days: None,
        }
    }
}

/// `notifications { NAME { email "…" } }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct Topic {
    /// Addresses subscribed by e-mail (each confirms first).
    #[serde(deserialize_with = "one_or_many")]
    pub email: Vec<String>,
}

/// `files { mount "/data" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct Files {
    /// Absolute path the container sees the file system at.
    pub mount: String,
    /// POSIX user the container acts as on the file system.
    pub uid: u32,
    /// POSIX group the container acts as on the file system.
    pub gid: u32,
}

impl Default for Files {
    fn default() -> Self {
        Files {
            mount: "/data".into(),
            uid: 1000,
            gid: 1000,
        }
    }
}

/// `email { domain "…"; zone "…" }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct Email {
    /// Domain the service sends from.
    pub domain: String,
    /// Route 53 zone that gets the DKIM, SPF and DMARC records; without one they are an
    /// output to create by hand.
    pub zone: Option<String>,
    /// Local part of the From address.
    pub from: Option<String>,
}

/// `auth { … }`: one app client of the hosted UI, named `app`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct Auth {
    /// Where sign-in returns to.
    pub callback_urls: Vec<String>,
    /// Where sign-out returns to.
    pub logout_urls: Vec<String>,
    /// The client keeps a secret the service reads at start (a server-side client).
    pub client_secret: bool,
    /// `OFF`, `OPTIONAL` or `ON`.
    pub mfa: Option<String>,
    /// People may create their own account.
    pub self_sign_up: bool,
    /// Prefix of the hosted UI's domain.
    pub hosted_ui: Option<String>,
}

/// `domain { name "…"; zone "…" }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct Domain {
    /// Host name, such as `orders.example.com`.
    pub name: String,
    /// Route 53 zone that holds it.
    pub zone: String,
}

/// The modules the blocks call, for a template's `info().modules` after its own.
pub const MODULES: &[&str] = &[
    "s3-bucket",
    "sns-topic",
    "efs",
    "ses-domain",
    "cognito-user-pool",
    "domain",
];

/// `own` modules followed by the blocks' [`MODULES`], as `TemplateInfo` lists them.
pub fn with_modules(own: &[&str]) -> Vec<String> {
    own.iter().chain(MODULES).map(|m| (*m).to_owned()).collect()
}

/// Call name of the file system.
pub const FILES: &str = "files";
/// Call name of the SES domain.
pub const EMAIL: &str = "email";
/// Call name of the user pool.
pub const AUTH: &str = "auth";
/// Call name of the domain and certificate.
pub const DOMAIN: &str = "domain";
/// The EFS access point (and so the task volume `efs-app`) the container mounts.
const ACCESS_POINT: &str = "app";

/// `NAME` as an environment variable suffix: `user-uploads` is `USER_UPLOADS`.
pub fn env_suffix(name: &str) -> String {
    name.to_ascii_uppercase().replace('-', "_")
}

/// Call name of bucket `name`.
pub fn bucket_call(name: &str) -> String {
    format!("bucket-{name}")
}

/// Call name of topic `name`.
pub fn topic_call(name: &str) -> String {
    format!("topic-{name}")
}

impl Extras {
    /// Two ways of saying one thing, refused at the field to remove.
    pub fn check(&self, service: &WebService) -> Vec<Finding> {
        let mut out = Vec::new();
        if self.domain.is_some() && service.certificate_arn.is_some() {
            out.push(
                Finding::deny(
                    "two-certificates",
                    "`domain` brings its own certificate and `service.certificate-arn` names another",
                )
                .at("/service/certificate-arn")
                .help("leave certificate-arn out: the domain block issues and renews the certificate"),
            );
        }
        out
    }

    /// The service call wired to the blocks, followed by the blocks' calls. `first_env` is
    /// where the chain's environment starts (a database's `container_environment`), if
    /// anywhere; without blocks the service is returned as it came.
    pub fn attach(
        &self,
        env: &Environment,
        service: ModuleCall,
        first_env: Option<(&str, &str)>,
    ) -> Vec<ModuleCall> {
        let mut chain = self.chain_calls(env);
        let mut grants = false;
        let mut prev: Option<String> = None;
        for (call, grant) in &mut chain {
            grants |= *grant;
            let wired = match (&prev, first_env) {
                (Some(p), _) => call
                    .clone()
                    .wire("prior_task_policy_json", p, "task_policy_json")
                    .wire("prior_task_environment", p, "task_environment"),
                (None, Some((from, output))) => {
                    call.clone().wire("prior_task_environment", from, output)
                }
                (None, None) => call.clone(),
            };
            prev = Some(wired.name.clone());
            *call = wired;
        }
        let mut service = match (&prev, first_env) {
            (Some(last), _) => service.wire("linked_environment", last, "task_environment"),
            (None, Some((from, output))) => service.wire("linked_environment", from, output),
            (None, None) => service,
        };
        if let (Some(last), true) = (&prev, grants) {
            service = service
                .wire("task_policy_json", last, "task_policy_json")
                .var("has_task_policy", true);
        }
        if let Some(files) = &self.files {
            service = service.wire("efs_volumes", FILES, "task_volumes").var(
                "mount_points",
                json!([{"volume": format!("efs-{ACCESS_POINT}"), "path": files.mount}]),
            );
        }
        if self.domain.is_some() {
            service = service
                .wire("certificate_arn", DOMAIN, "certificate_arn")
                .var("https_listener", true);
        }
        let mut calls = vec![service];
        calls.extend(chain.into_iter().map(|(call, _)| call));
        calls.extend(
            self.domain
                .as_ref()
                .map(|d| d.call(WebService::CALL, "alias_target")),
        );
        calls
    }

    /// The calls of the chain in order, each with whether it grants the task anything.
    fn chain_calls(&self, env: &Environment) -> Vec<(ModuleCall, bool)> {
        let preview = env.class == Class::Preview;
        let mut out: Vec<(ModuleCall, bool)> = self
            .buckets
            .iter()
            .map(|(name, b)| (b.call(name, preview), b.access != "none"))
            .collect();
        out.extend(
            self.notifications
                .iter()
                .map(|(name, t)| (t.call(name), true)),
        );
        out.extend(self.email.as_ref().map(|e| (e.call(env), true)));
        out.extend(
            self.auth
                .as_ref()
                .map(|a| (a.call(env, self.email.is_some()), a.client_secret)),
        );
        out.extend(self.files.as_ref().map(|f| (f.call(), true)));
        out
    }

    /// The service's `url` output: the domain's when there is one.
    pub fn url_output(&self) -> Output {
        match self.domain {
            Some(_) => Output::new("url", DOMAIN, "url"),
            None => Output::new("url", WebService::CALL, "url"),
        }
    }

    /// The blocks' bill lines (none for `domain`: ACM's public certificates are free and
    /// Route 53 does not charge for alias queries to a load balancer).
    pub fn bill(&self, bill: &mut Bill, usage: &ExtrasUsage) {
        for name in self.buckets.keys() {
            bill.bucket(&bucket_call(name), usage);
        }
        for name in self.notifications.keys() {
            bill.topic(&topic_call(name), usage.publishes.unwrap_or(100_000.0));
        }
        if self.files.is_some() {
            bill.file_system(FILES, usage.files_gb.unwrap_or(5.0));
        }
        if self.email.is_some() {
            bill.email(EMAIL, usage.emails.unwrap_or(1_000.0));
        }
        if self.auth.is_some() {
            bill.sign_in(AUTH, usage.users.unwrap_or(100.0));
        }
    }
}

/// The `usage { … }` fields the blocks' lines assume (`schema/extras.json`).
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct ExtrasUsage {
    /// GB stored in each bucket (default 5).
    pub bucket_gb: Option<f64>,
    /// PUT, COPY, POST and LIST requests a month per bucket (default 10,000).
    pub bucket_writes: Option<f64>,
    /// GET requests a month per bucket (default 100,000).
    pub bucket_reads: Option<f64>,
    /// Messages published a month per topic (default 100,000).
    pub publishes: Option<f64>,
    /// GB on the file system (default 5).
    pub files_gb: Option<f64>,
    /// Mails sent a month (default 1,000).
    pub emails: Option<f64>,
    /// Monthly active users signing in (default 100).
    pub users: Option<f64>,
}

impl Bucket {
    fn call(&self, name: &str, preview: bool) -> ModuleCall {
        let rule = match (self.infrequent_after_days, self.expire_days) {
            (None, None) => json!([]),
            (ia, exp) => {
                json!([{"id": "all", "transition_to_ia_days": ia, "expiration_days": exp}])
            }
        };
        Foundation::named(ModuleCall::new(bucket_call(name), "s3-bucket"))
            .wire("kms_key_arn", Foundation::COMMON, "kms_key_arn")
            .var("purpose", name)
            .var("versioning", self.versioned)
            .var("lifecycle_rules", rule)
            .var("force_destroy", preview)
            .var("task_access", self.access.as_str())
            .var(
                "environment_variable",
                format!("BUCKET_{}", env_suffix(name)),
            )
    }
}

impl Topic {
    fn call(&self, name: &str) -> ModuleCall {
        Foundation::named(ModuleCall::new(topic_call(name), "sns-topic"))
            .wire("kms_key_arn", Foundation::COMMON, "kms_key_arn")
            .var("purpose", name)
            .var("email_subscribers", self.email.clone())
            .var(
                "environment_variable",
                format!("TOPIC_ARN_{}", env_suffix(name)),
            )
    }
}

impl Files {
    fn call(&self) -> ModuleCall {
        Foundation::in_vpc(ModuleCall::new(FILES, "efs"))
            .wire(
                "client_security_group_id",
                WebService::CALL,
                "service_security_group_id",
            )
            .var(
                "access_points",
                json!({ACCESS_POINT: {"path": format!("/{ACCESS_POINT}"), "uid": self.uid, "gid": self.gid}}),
            )
    }
}

impl Email {
    fn call(&self, env: &Environment) -> ModuleCall {
        let call = Foundation::named(ModuleCall::new(EMAIL, "ses-domain"))
            .var("region", env.region.as_str())
            .var("domain", self.domain.as_str());
        let call = match &self.zone {
            Some(zone) => call.var("zone_id", zone.as_str()),
            None => call,
        };
        match &self.from {
            Some(from) => call.var("from_local_part", from.as_str()),
            None => call,
        }
    }
}

impl Auth {
    fn call(&self, env: &Environment, with_email: bool) -> ModuleCall {
        let client = json!({"app": {
            "callback_urls": self.callback_urls,
            "logout_urls": self.logout_urls,
            "generate_secret": self.client_secret,
        }});
        let call = Foundation::named(ModuleCall::new(AUTH, "cognito-user-pool"))
            .var("region", env.region.as_str())
            .var("self_sign_up", self.self_sign_up)
            .var(
                "deletion_protection",
                class_settings(env.class).deletion_protection,
            )
            .var("app_clients", client)
            .var("grant_secret_reader", self.client_secret);
        let call = match &self.mfa {
            Some(mfa) => call.var("mfa", mfa.to_ascii_uppercase()),
            None => call,
        };
        let call = match &self.hosted_ui {
            Some(prefix) => call.var("domain_prefix", prefix.as_str()),
            None => call,
        };
        if with_email {
            call.wire("ses_identity_arn", EMAIL, "identity_arn").wire(
                "from_address",
                EMAIL,
                "from_address",
            )
        } else {
            call
        }
    }
}

impl Domain {
    /// The `domain` call: a certificate for the name, validated in the zone, and alias
    /// records pointing at `output` of call `target` (a load balancer or distribution).
    pub fn call(&self, target: &str, output: &str) -> ModuleCall {
        ModuleCall::new(DOMAIN, "domain")
            .wire("tags", Foundation::COMMON, "tags")
            .var("zone_id", self.zone.as_str())
            .var("domain_name", self.name.as_str())
            .wire("alias_target", target, output)
    }
}

impl Bill {
    /// One private bucket: storage and requests as `usage` assumes.
    pub fn bucket(&mut self, call: &str, usage: &ExtrasUsage) -> &mut Self {
        let gb = usage.bucket_gb.unwrap_or(5.0);
        let writes = usage.bucket_writes.unwrap_or(10_000.0);
        let reads = usage.bucket_reads.unwrap_or(100_000.0);
        self.monthly(
            call,
            format!("S3 Standard storage (assumed {} GB)", gb),
            "AmazonS3",
            "TimedStorage-ByteHrs",
            "GB-Mo",
            gb,
        )
        .monthly(
            call,
            format!("S3 PUT, COPY, POST and LIST requests (assumed {})", writes),
            "AmazonS3",
            "Requests-Tier1",
            "Requests",
            writes,
        )
        .monthly(
            call,
            format!("S3 GET requests (assumed {})", reads),
            "AmazonS3",
            "Requests-Tier2",
            "Requests",
            reads,
        )
    }

    /// One SNS topic's publishes (deliveries to e-mail subscribers are not billed here).
    pub fn topic(&mut self, call: &str, publishes: f64) -> &mut Self {
        self.monthly(
            call,
            format!("SNS publishes (assumed {})", publishes),
            "AmazonSNS",
            "Requests-Tier1",
            "Requests",
            publishes,
        )
    }

    /// EFS Standard storage.
    pub fn file_system(&mut self, call: &str, gb: f64) -> &mut Self {
        self.monthly(
            call,
            format!("EFS Standard storage (assumed {} GB)", gb),
            "AmazonEFS",
            "TimedStorage-ByteHrs",
            "GB-Mo",
            gb,
        )
    }

    /// Mails sent through SES, one recipient each.
    pub fn email(&mut self, call: &str, mails: f64) -> &mut Self {
        self.monthly(
            call,
            format!("SES outbound mail (assumed {})", mails),
            "AmazonSES",
            "Recipients",
            "Count",
            mails,
        )
    }

    /// Cognito's monthly active users beyond the 10,000 its Lite and Essentials tiers
    /// include for free: the line is there, at zero, until the assumption passes them.
    pub fn sign_in(&mut self, call: &str, users: f64) -> &mut Self {
        self.monthly(
            call,
            format!(
                "Cognito monthly active users beyond the free 10,000 (assumed {})",
                users
            ),
            "AmazonCognito",
            "CognitoEssentialsMAU",
            "MAU",
            (users - 10_000.0).max(0.0),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use idp_plugin_sdk::Wire;
    use idp_plugin_sdk::serde_json::Value;
    use idp_plugin_sdk::testing::environment;

    fn extras(inputs: Value) -> Extras {
        idp_plugin_sdk::serde_json::from_value(inputs).expect("valid extras")
    }

    fn render(inputs: Value, first_env: Option<(&str, &str)>) -> Vec<ModuleCall> {
        let env = environment().template("api-service").build();
        let service = ModuleCall::new(WebService::CALL, "ecs-service");
        extras(inputs).attach(&env, service, first_env)
    }

    fn wired<'a>(call: &'a ModuleCall, variable: &str) -> Option<&'a Wire> {
        call.wiring.iter().find(|w| w.variable == variable)
    }

    fn from(call: &ModuleCall, variable: &str) -> Option<(String, String)> {
        wired(call, variable).map(|w| (w.from_call.clone(), w.output.clone()))
    }

    fn pair(call: &str, output: &str) -> Option<(String, String)> {
        Some((call.to_owned(), output.to_owned()))
    }

    #[test]
    fn no_blocks_leave_the_service_as_it_was() {
        let calls = render(json!({}), None);
        assert_eq!(calls, [ModuleCall::new(WebService::CALL, "ecs-service")]);
        let calls = render(json!({}), Some(("database", "container_environment")));
        assert_eq!(
            from(&calls[0], "linked_environment"),
            pair("database", "container_environment")
        );
        assert!(wired(&calls[0], "task_policy_json").is_none());
    }

    #[test]
    fn the_task_policy_and_environment_pass_through_every_block_to_the_service() {
        let calls = render(
            json!({
                "buckets": {"uploads": {"versioned": false}, "user-docs": true},
                "notifications": {"orders": {"email": "ops@example.com"}},
                "email": {"domain": "example.com", "zone": "Z0123456789ABC"},
                "files": {"mount": "/srv/shared"}
            }),
            Some(("database", "container_environment")),
        );
        let names: Vec<&str> = calls.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "service",
                "bucket-uploads",
                "bucket-user-docs",
                "topic-orders",
                "email",
                "files"
            ]
        );
        // The first link starts from the database's variables, each next one from the last.
        assert_eq!(
            from(&calls[1], "prior_task_environment"),
            pair("database", "container_environment")
        );
        assert!(wired(&calls[1], "prior_task_policy_json").is_none());
        for link in calls[1..].windows(2) {
            let (before, call) = (link[0].name.as_str(), &link[1]);
            assert_eq!(
                from(call, "prior_task_policy_json"),
                pair(before, "task_policy_json")
            );
            assert_eq!(
                from(call, "prior_task_environment"),
                pair(before, "task_environment")
            );
        }
        let svc = &calls[0];
        assert_eq!(
            from(svc, "task_policy_json"),
            pair("files", "task_policy_json")
        );
        assert_eq!(
            from(svc, "linked_environment"),
            pair("files", "task_environment")
        );
        assert_eq!(svc.variables["has_task_policy"], true);
        assert_eq!(from(svc, "efs_volumes"), pair("files", "task_volumes"));
        assert_eq!(
            svc.variables["mount_points"],
            json!([{"volume": "efs-app", "path": "/srv/shared"}])
        );
    }

    #[test]
    fn each_block_grants_its_own_resource_and_names_it_in_the_environment() {
        let calls = render(
            json!({
                "buckets": {"uploads": {"access": "read-only", "expire-days": 90}},
                "notifications": {"order-events": true}
            }),
            None,
        );
        let bucket = &calls[1];
        assert_eq!(bucket.module, "s3-bucket");
        assert_eq!(bucket.variables["purpose"], "uploads");
        assert_eq!(bucket.variables["task_access"], "read-only");
        assert_eq!(bucket.variables["environment_variable"], "BUCKET_UPLOADS");
        assert_eq!(bucket.variables["versioning"], true);
        assert_eq!(
            bucket.variables["lifecycle_rules"],
            json!([{"id": "all", "transition_to_ia_days": null, "expiration_days": 90}])
        );
        assert_eq!(
            bucket.variables["force_destroy"], true,
            "a preview's bucket goes with it"
        );
        let topic = &calls[2];
        assert_eq!(topic.module, "sns-topic");
        assert_eq!(
            topic.variables["environment_variable"],
            "TOPIC_ARN_ORDER_EVENTS"
        );
        assert_eq!(topic.variables["email_subscribers"], json!([]));
    }

    #[test]
    fn sign_in_grants_nothing_unless_the_client_keeps_a_secret() {
        let calls = render(
            json!({"auth": {"callback-urls": ["https://app.example.com/cb"], "mfa": "on"}}),
            None,
        );
        let auth = &calls[1];
        assert_eq!(auth.module, "cognito-user-pool");
        assert_eq!(auth.variables["grant_secret_reader"], false);
        assert_eq!(auth.variables["mfa"], "ON");
        assert!(
            wired(&calls[0], "task_policy_json").is_none(),
            "no policy: the pool's admin calls are never granted"
        );
        assert_eq!(
            from(&calls[0], "linked_environment"),
            pair("auth", "task_environment")
        );

        let calls = render(
            json!({
                "email": {"domain": "example.com"},
                "auth": {"callback-urls": ["https://app.example.com/cb"], "client-secret": true}
            }),
            None,
        );
        let auth = calls.iter().find(|c| c.name == AUTH).expect("auth");
        assert_eq!(auth.variables["grant_secret_reader"], true);
        assert_eq!(
            from(auth, "ses_identity_arn"),
            pair("email", "identity_arn")
        );
        assert_eq!(
            from(&calls[0], "task_policy_json"),
            pair("auth", "task_policy_json")
        );
    }

    #[test]
    fn a_domain_issues_the_certificate_the_https_listener_uses_and_points_at_the_load_balancer() {
        let x = extras(json!({"domain": {"name": "orders.example.com", "zone": "Z0123456789ABC"}}));
        let env = environment().build();
        let calls = x.attach(&env, ModuleCall::new(WebService::CALL, "ecs-service"), None);
        let svc = &calls[0];
        assert_eq!(
            from(svc, "certificate_arn"),
            pair("domain", "certificate_arn")
        );
        assert_eq!(svc.variables["https_listener"], true);
        let domain = calls
            .iter()
            .find(|c| c.name == DOMAIN)
            .expect("domain call");
        assert_eq!(
            from(domain, "alias_target"),
            pair("service", "alias_target")
        );
        assert_eq!(domain.variables["domain_name"], "orders.example.com");
        assert_eq!(x.url_output().from_call, "domain");

        let with_arn = WebService {
            certificate_arn: Some("arn:aws:acm:eu-west-1:123456789012:certificate/abc".into()),
            ..WebService::default()
        };
        let found = x.check(&with_arn);
        assert_eq!(found[0].pointer, "/service/certificate-arn");
    }

    #[test]
    fn the_blocks_bill_their_assumptions_and_users_only_beyond_the_free_tier() {
        let x = extras(json!({
            "buckets": {"a": true, "b": true},
            "notifications": {"n": true},
            "files": {},
            "email": {"domain": "example.com"},
            "auth": {"callback-urls": ["https://x.example.com"]}
        }));
        let mut bill = Bill::new();
        x.bill(&mut bill, &ExtrasUsage::default());
        let items = bill.into_items();
        let usage: Vec<(&str, &str, f64)> = items
            .iter()
            .map(|i| (i.call.as_str(), i.usage_type.as_str(), i.quantity))
            .collect();
        assert_eq!(
            usage,
            [
                ("bucket-a", "TimedStorage-ByteHrs", 5.0),
                ("bucket-a", "Requests-Tier1", 10_000.0),
                ("bucket-a", "Requests-Tier2", 100_000.0),
                ("bucket-b", "TimedStorage-ByteHrs", 5.0),
                ("bucket-b", "Requests-Tier1", 10_000.0),
                ("bucket-b", "Requests-Tier2", 100_000.0),
                ("topic-n", "Requests-Tier1", 100_000.0),
                ("files", "TimedStorage-ByteHrs", 5.0),
                ("email", "Recipients", 1_000.0),
                ("auth", "CognitoEssentialsMAU", 0.0),
            ]
        );
        let mut bill = Bill::new();
        x.bill(
            &mut bill,
            &ExtrasUsage {
                users: Some(25_000.0),
                ..ExtrasUsage::default()
            },
        );
        let mau = bill.into_items().pop().expect("mau line");
        assert_eq!(mau.quantity, 15_000.0);
        assert!(
            mau.description.contains("assumed 25000"),
            "{}",
            mau.description
        );
    }

    #[test]
    fn names_become_environment_variable_suffixes() {
        assert_eq!(env_suffix("user-docs"), "USER_DOCS");
        assert_eq!(env_suffix("a1"), "A1");
    }
}
