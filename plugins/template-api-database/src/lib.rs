//! The `api-database` template: the `api-service` HTTP service plus a PostgreSQL database
//! that only the service can reach.
//!
//! The database password never passes through idp: RDS keeps it in Secrets Manager and
//! the service's tasks read it at start; the environment's class decides Multi-AZ,
//! deletion protection, backups and the final snapshot.

use idp_plugin_sdk::{
    Environment, Finding, ModuleCall, Output, Rendering, Template, TemplateInfo, export_template,
};
use idp_template_blocks::{
    Bill, ClassSettings, Common, Extras, Foundation, WebService, class_settings, extras, schema,
};
use serde::Deserialize;

const SCHEMA: &str = include_str!("../schema.json");
const DATABASE: &str = "database";

/// The template's inputs; defaults match `schema.json`.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "kebab-case", default)]
pub struct Inputs {
    /// VPC, key, log retention.
    #[serde(flatten)]
    pub common: Common,
    /// The container service.
    pub service: WebService,
    /// The database.
    pub database: Database,
    /// Buckets, topics, files, mail, sign-in and a domain, each optional.
    #[serde(flatten)]
    pub extras: Extras,
}

/// `database { … }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct Database {
    /// RDS instance class.
    pub instance_class: String,
    /// Allocated gp3 storage.
    pub storage_gb: u32,
    /// Storage autoscaling ceiling.
    pub max_storage_gb: Option<u32>,
    /// PostgreSQL major version.
    pub engine_version: String,
    /// Database name.
    pub name: String,
    /// Standby in a second zone; the class decides when unset.
    pub multi_az: Option<bool>,
}

impl Default for Database {
    fn default() -> Self {
        Database {
            instance_class: "db.t4g.micro".into(),
            storage_gb: 20,
            max_storage_gb: None,
            engine_version: "16".into(),
            name: "app".into(),
            multi_az: None,
        }
    }
}

impl Database {
    fn max_storage_gb(&self) -> u32 {
        self.max_storage_gb
            .unwrap_or(self.storage_gb.saturating_mul(5).min(65536))
    }

    fn check(&self) -> Result<(), Finding> {
        if self.max_storage_gb() < self.storage_gb {
            return Err(Finding::deny(
                "storage-range",
                format!(
                    "`max-storage-gb` {} is below `storage-gb` {}",
                    self.max_storage_gb(),
                    self.storage_gb
                ),
            )
            .at("/database/max-storage-gb")
            .help("RDS refuses a storage ceiling below the allocated storage: raise max-storage-gb or leave it out"));
        }
        Ok(())
    }

    /// The `rds-postgres` call: the class decides protection and backups, the service's
    /// security group is the only one let in.
    fn call(&self, class: ClassSettings, multi_az: bool) -> ModuleCall {
        Foundation::in_vpc(
            ModuleCall::new(DATABASE, "rds-postgres")
                .var("instance_class", self.instance_class.as_str())
                .var("engine_version", self.engine_version.as_str())
                .var("storage_gb", self.storage_gb)
                .var("max_storage_gb", self.max_storage_gb())
                .var("database_name", self.name.as_str())
                .var("multi_az", multi_az)
                .var("deletion_protection", class.deletion_protection)
                .var("final_snapshot", class.final_snapshot)
                .var("backup_retention_days", class.backup_retention_days)
                .var("performance_insights", class.performance_insights),
        )
        .wire(
            "client_security_group_id",
            WebService::CALL,
            "service_security_group_id",
        )
    }

    /// The database's bill lines: instance hours, storage and the password's secret.
    fn bill(&self, bill: &mut Bill, multi_az: bool) {
        let (instance, storage) = if multi_az {
            ("Multi-AZUsage", "RDS:Multi-AZ-GP3-Storage")
        } else {
            ("InstanceUsage", "RDS:GP3-Storage")
        };
        bill.hourly(
            DATABASE,
            format!(
                "RDS PostgreSQL {} ({})",
                self.instance_class,
                if multi_az { "Multi-AZ" } else { "single-AZ" }
            ),
            "AmazonRDS",
            &format!("{instance}:{}", self.instance_class),
            "Hrs",
            1.0,
        )
        .monthly(
            DATABASE,
            "RDS gp3 storage",
            "AmazonRDS",
            storage,
            "GB-Mo",
            f64::from(self.storage_gb),
        )
        .monthly(
            DATABASE,
            "Secrets Manager secret (master password)",
            "AWSSecretsManager",
            "AWSSecretsManager-Secrets",
            "Secrets",
            1.0,
        );
    }
}

/// The plugin type.
pub struct ApiDatabase;

impl Template for ApiDatabase {
    fn info() -> TemplateInfo {
        TemplateInfo {
            name: "api-database".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            summary: "an HTTP service on Fargate with its own PostgreSQL database, in its own VPC"
                .into(),
            input_schema: schema::expand(SCHEMA),
            modules: extras::with_modules(&["common", "networking", "ecs-service", "rds-postgres"]),
            outputs: vec![
                "url".into(),
                "cluster".into(),
                "database-host".into(),
                "database-secret".into(),
            ],
        }
    }

    fn render(env: &Environment) -> Result<Rendering, Vec<Finding>> {
        let inputs: Inputs = env.inputs().map_err(|f| vec![f])?;
        let findings: Vec<Finding> = [inputs.service.check(), inputs.database.check()]
            .into_iter()
            .filter_map(Result::err)
            .chain(inputs.extras.check(&inputs.service))
            .collect();
        if !findings.is_empty() {
            return Err(findings);
        }
        let db = &inputs.database;
        let class = class_settings(env.class);
        let multi_az = db.multi_az.unwrap_or(class.multi_az);

        // The database's variables start the chain of the blocks' environments.
        let mut calls = inputs.extras.attach(
            env,
            inputs.service.call(env, &inputs.common),
            Some((DATABASE, "container_environment")),
        );
        calls[0] = calls[0]
            .clone()
            .wire("secret_environment", DATABASE, "container_secrets");
        calls.insert(1, db.call(class, multi_az));

        let mut bill = Bill::new();
        inputs.common.bill(&mut bill);
        inputs.service.bill(&mut bill, &inputs.common.usage);
        db.bill(&mut bill, multi_az);
        inputs.extras.bill(&mut bill, &inputs.common.usage.extras);

        Ok(Rendering {
            calls: inputs.common.foundation(env).with(calls),
            bill: bill.into_items(),
            outputs: vec![
                inputs.extras.url_output(),
                Output::new("cluster", WebService::CALL, "cluster_name"),
                Output::new("database-host", DATABASE, "address"),
                Output::new("database-secret", DATABASE, "master_user_secret_arn"),
            ],
        })
    }
}

export_template!(ApiDatabase);

#[cfg(test)]
mod tests {
    use super::*;
    use idp_plugin_sdk::Class;
    use idp_plugin_sdk::serde_json::json;
    use idp_plugin_sdk::testing::environment;

    #[test]
    fn the_service_reads_the_password_from_secrets_manager() {
        let env = environment()
            .template("api-database")
            .inputs(json!({"service": {"image": "ghcr.io/acme/orders:1.4.2"}}))
            .build();
        let r = ApiDatabase::render(&env).expect("renders");
        let svc = r.call("service").expect("service");
        assert!(svc.wiring.iter().any(|w| w.variable == "secret_environment"
            && w.from_call == "database"
            && w.output == "container_secrets"));
        let db = r.call("database").expect("database");
        assert!(
            !db.variables.keys().any(|k| k.contains("password")),
            "no password variable: {:?}",
            db.variables.keys().collect::<Vec<_>>()
        );
        assert_eq!(db.variables["multi_az"], false);
        assert_eq!(db.variables["deletion_protection"], false);
    }

    #[test]
    fn production_is_multi_az_protected_and_billed_as_such() {
        let env = environment()
            .template("api-database")
            .class(Class::Production)
            .inputs(json!({"service": {"image": "x:1"}, "database": {"instance-class": "db.t4g.small", "storage-gb": 50}}))
            .build();
        let r = ApiDatabase::render(&env).expect("renders");
        let db = r.call("database").expect("database");
        assert_eq!(db.variables["multi_az"], true);
        assert_eq!(db.variables["deletion_protection"], true);
        assert_eq!(db.variables["backup_retention_days"], 7);
        assert_eq!(db.variables["max_storage_gb"], 250);
        let usage: Vec<_> = r.bill.iter().map(|b| b.usage_type.as_str()).collect();
        assert!(usage.contains(&"Multi-AZUsage:db.t4g.small"), "{usage:?}");
        assert!(usage.contains(&"RDS:Multi-AZ-GP3-Storage"));
    }

    #[test]
    fn a_storage_ceiling_below_the_allocation_points_at_it() {
        let env = environment()
            .template("api-database")
            .inputs(
                json!({"service": {"image": "x:1", "cpu": 256, "memory": 8192},
                   "database": {"storage-gb": 100, "max-storage-gb": 50}}),
            )
            .build();
        let err = ApiDatabase::render(&env).expect_err("two problems");
        let pointers: Vec<_> = err.iter().map(|f| f.pointer.as_str()).collect();
        assert_eq!(pointers, ["/service/memory", "/database/max-storage-gb"]);
    }
}
