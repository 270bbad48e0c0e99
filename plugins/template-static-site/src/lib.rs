//! The `static-site` template: files in a private S3 bucket served publicly by a
//! CloudFront distribution that alone may read the bucket (origin access control), with
//! an optional host name of its own (`domain { name; zone }`).
//!
//! It composes the `common`, `s3-bucket` (with `static_site`) and `domain` modules. No VPC:
//! nothing of it runs in one. The bucket stays on SSE-S3, which the origin access control
//! reads without a key policy.

use idp_plugin_sdk::{
    Class, Environment, Finding, ModuleCall, Output, Rendering, Template, TemplateInfo,
    export_template,
};
use idp_template_blocks::extras::{DOMAIN, Domain};
use idp_template_blocks::{Bill, Foundation, Network, schema};
use serde::Deserialize;

const SCHEMA: &str = include_str!("../schema.json");
const SITE: &str = "site";
/// CloudFront reads a distribution's certificate only in this region.
const CERTIFICATE_REGION: &str = "us-east-1";

/// The template's inputs; defaults match `schema.json`.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "kebab-case", default)]
pub struct Inputs {
    /// The bucket and the distribution.
    pub site: Site,
    /// The site's own host name.
    pub domain: Option<Domain>,
    /// What the usage-driven bill lines assume.
    pub usage: SiteUsage,
}

/// `site { … }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct Site {
    /// Object returned for the root.
    pub index: String,
    /// `north-america-europe`, `most` or `all`.
    pub edges: String,
    /// Keep replaced files for 30 days.
    pub versioned: bool,
}

impl Default for Site {
    fn default() -> Self {
        Site {
            index: "index.html".into(),
            edges: "north-america-europe".into(),
            versioned: true,
        }
    }
}

/// `usage { … }`: each field's default is in `schema.json`.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct SiteUsage {
    /// GB the bucket keeps (default 1).
    pub site_gb: Option<f64>,
    /// GB a month CloudFront serves (default 10).
    pub transfer_gb: Option<f64>,
    /// HTTPS requests a month (default 1,000,000).
    pub requests: Option<f64>,
    /// Files uploaded a month (default 1,000).
    pub uploads: Option<f64>,
}

impl Site {
    fn price_class(&self) -> &'static str {
        match self.edges.as_str() {
            "most" => "PriceClass_200",
            "all" => "PriceClass_All",
            _ => "PriceClass_100",
        }
    }

    /// The `s3-bucket` call with the distribution; with a domain, its name and certificate.
    fn call(&self, class: Class, domain: Option<&Domain>) -> ModuleCall {
        let call = Foundation::named(ModuleCall::new(SITE, "s3-bucket"))
            .var("purpose", SITE)
            .var("versioning", self.versioned)
            .var("force_destroy", class == Class::Preview)
            .var("task_access", "none")
            .var("static_site", true)
            .var("site_default_root_object", self.index.as_str())
            .var("site_price_class", self.price_class());
        match domain {
            Some(d) => call.var("site_aliases", vec![d.name.clone()]).wire(
                "site_certificate_arn",
                DOMAIN,
                "certificate_arn",
            ),
            None => call,
        }
    }
}

/// The bill: storage and requests of the bucket, CloudFront's data out and requests (a
/// global service, priced under the book's `global` key at the US and Europe rate).
fn bill(usage: &SiteUsage) -> Bill {
    let requests = usage.requests.unwrap_or(1_000_000.0);
    let transfer = usage.transfer_gb.unwrap_or(10.0);
    let uploads = usage.uploads.unwrap_or(1_000.0);
    let gb = usage.site_gb.unwrap_or(1.0);
    // CloudFront asks the bucket only on a cache miss; a tenth is a cautious guess for a
    // site whose files change with each deploy.
    let origin = requests / 10.0;
    let mut bill = Bill::new();
    bill.monthly(
        SITE,
        format!("S3 Standard storage (assumed {gb} GB)"),
        "AmazonS3",
        "TimedStorage-ByteHrs",
        "GB-Mo",
        gb,
    )
    .monthly(
        SITE,
        format!("S3 PUT requests of deploys (assumed {uploads})"),
        "AmazonS3",
        "Requests-Tier1",
        "Requests",
        uploads,
    )
    .monthly(
        SITE,
        format!("S3 GET requests from CloudFront (assumed a tenth of {requests})"),
        "AmazonS3",
        "Requests-Tier2",
        "Requests",
        origin,
    )
    .monthly(
        SITE,
        format!("CloudFront data transfer out (assumed {transfer} GB)"),
        "AmazonCloudFront",
        "US-DataTransfer-Out-Bytes",
        "GB",
        transfer,
    )
    .monthly(
        SITE,
        format!("CloudFront HTTPS requests (assumed {requests})"),
        "AmazonCloudFront",
        "US-Requests-Tier2-HTTPS",
        "Requests",
        requests,
    );
    bill
}

/// The plugin type.
pub struct StaticSite;

impl Template for StaticSite {
    fn info() -> TemplateInfo {
        TemplateInfo {
            name: "static-site".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            summary: "a static website: a private S3 bucket behind CloudFront, optionally on its own domain"
                .into(),
            input_schema: schema::expand(SCHEMA),
            modules: vec!["common".into(), "s3-bucket".into(), "domain".into()],
            outputs: vec!["url".into(), "bucket".into(), "distribution".into()],
        }
    }

    fn render(env: &Environment) -> Result<Rendering, Vec<Finding>> {
        let inputs: Inputs = env.inputs().map_err(|f| vec![f])?;
        if inputs.domain.is_some() && env.region != CERTIFICATE_REGION {
            return Err(vec![
                Finding::deny(
                    "certificate-region",
                    format!(
                        "a site's domain needs its certificate in `{CERTIFICATE_REGION}`, and this environment is in `{}`",
                        env.region
                    ),
                )
                .at("/domain")
                .help(format!(
                    "set `region {CERTIFICATE_REGION}` (CloudFront serves from every edge whatever the region) or leave the domain out"
                )),
            ]);
        }
        let common = Foundation::new(env, &Network::default(), false).common;
        let site = inputs.site.call(env.class, inputs.domain.as_ref());
        let mut calls = vec![common, site];
        calls.extend(
            inputs
                .domain
                .as_ref()
                .map(|d| d.call(SITE, "site_alias_target")),
        );
        let url = match inputs.domain {
            Some(_) => Output::new("url", DOMAIN, "url"),
            None => Output::new("url", SITE, "site_url"),
        };
        Ok(Rendering {
            calls,
            bill: bill(&inputs.usage).into_items(),
            outputs: vec![
                url,
                Output::new("bucket", SITE, "bucket_name"),
                Output::new("distribution", SITE, "site_distribution_id"),
            ],
        })
    }
}

export_template!(StaticSite);

#[cfg(test)]
mod tests {
    use super::*;
    use idp_plugin_sdk::serde_json::{Value, json};
    use idp_plugin_sdk::testing::environment;

    fn render(inputs: Value, region: &str) -> Result<Rendering, Vec<Finding>> {
        StaticSite::render(
            &environment()
                .template("static-site")
                .region(region)
                .inputs(inputs)
                .build(),
        )
    }

    fn wired(call: &ModuleCall, variable: &str) -> Option<(String, String)> {
        call.wiring
            .iter()
            .find(|w| w.variable == variable)
            .map(|w| (w.from_call.clone(), w.output.clone()))
    }

    #[test]
    fn a_site_is_a_private_bucket_behind_cloudfront_with_no_vpc() {
        let r = render(json!({}), "eu-west-1").expect("renders");
        let modules: Vec<&str> = r.calls.iter().map(|c| c.module.as_str()).collect();
        assert_eq!(modules, ["common", "s3-bucket"]);
        let site = r.call("site").expect("site");
        assert_eq!(site.variables["static_site"], true);
        assert_eq!(site.variables["task_access"], "none");
        assert_eq!(site.variables["site_price_class"], "PriceClass_100");
        assert!(
            wired(site, "kms_key_arn").is_none(),
            "SSE-S3: the OAC reads it"
        );
        assert_eq!(r.outputs[0].from_call, "site");
        assert_eq!(r.outputs[0].output, "site_url");
    }

    #[test]
    fn a_domain_issues_the_certificate_the_distribution_serves_and_points_at_it() {
        let r = render(
            json!({"domain": {"name": "docs.example.com", "zone": "Z0123456789ABC"}, "site": {"edges": "all"}}),
            "us-east-1",
        )
        .expect("renders");
        let site = r.call("site").expect("site");
        assert_eq!(site.variables["site_aliases"], json!(["docs.example.com"]));
        assert_eq!(site.variables["site_price_class"], "PriceClass_All");
        assert_eq!(
            wired(site, "site_certificate_arn"),
            Some(("domain".into(), "certificate_arn".into()))
        );
        let domain = r.call("domain").expect("domain");
        assert_eq!(
            wired(domain, "alias_target"),
            Some(("site".into(), "site_alias_target".into()))
        );
        assert_eq!(r.outputs[0].from_call, "domain");
    }

    #[test]
    fn a_domain_outside_us_east_1_is_refused_at_the_block() {
        let err = render(
            json!({"domain": {"name": "docs.example.com", "zone": "Z0123456789ABC"}}),
            "eu-west-1",
        )
        .expect_err("certificate region");
        assert_eq!(err[0].pointer, "/domain");
        assert_eq!(err[0].rule, "certificate-region");
    }

    #[test]
    fn cloudfront_and_the_bucket_bill_their_assumptions() {
        let r = render(
            json!({"usage": {"transfer-gb": 250, "requests": 2000000}}),
            "us-east-1",
        )
        .expect("renders");
        let q = |usage: &str| {
            r.bill
                .iter()
                .find(|b| b.usage_type == usage)
                .map(|b| (b.service_code.clone(), b.quantity))
        };
        assert_eq!(
            q("US-DataTransfer-Out-Bytes"),
            Some(("AmazonCloudFront".into(), 250.0))
        );
        assert_eq!(
            q("US-Requests-Tier2-HTTPS"),
            Some(("AmazonCloudFront".into(), 2_000_000.0))
        );
        assert_eq!(q("Requests-Tier2"), Some(("AmazonS3".into(), 200_000.0)));
        assert_eq!(q("TimedStorage-ByteHrs"), Some(("AmazonS3".into(), 1.0)));
        let usage = &StaticSite::info().input_schema["properties"]["usage"]["properties"];
        for field in ["site-gb", "transfer-gb", "requests", "uploads"] {
            assert!(
                usage[field]["description"]
                    .as_str()
                    .is_some_and(|d| d.contains("default")),
                "{field} documents its default"
            );
        }
    }
}
