use serde::Serialize;

/// A module variable taken from another call's output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Wire {
    /// Receiving variable.
    pub variable: String,
    /// Producing call.
    pub from_call: String,
    /// Output of the producing call.
    pub output: String,
}

/// One call of an OpenTofu module.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModuleCall {
    /// Call name in `main.tf`.
    pub name: String,
    /// Module directory name.
    pub module: String,
    /// Literal variables (to `terraform.tfvars.json`).
    pub variables: serde_json::Map<String, serde_json::Value>,
    /// Variables wired to other calls' outputs (in `main.tf`).
    pub wiring: Vec<Wire>,
}

/// How a bill item's quantity accrues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BillingBasis {
    /// Units per hour of existence.
    PerHour,
    /// Units per month of existence.
    PerMonth,
}

/// One billable line of an environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BillItem {
    /// Module call it belongs to.
    pub call: String,
    /// What is billed.
    pub description: String,
    /// AWS Price List service code.
    pub service_code: String,
    /// Usage type without region prefix.
    pub usage_type: String,
    /// Price List unit.
    pub unit: String,
    /// Units per hour or month.
    pub quantity: f64,
    /// How the quantity accrues.
    pub basis: BillingBasis,
    /// Whether the line runs only in the environment's scheduled hours (Fargate tasks
    /// scaled to zero outside them); written only when true.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub follows_schedule: bool,
}

/// One output of the environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Output {
    /// Name shown to users.
    pub name: String,
    /// Producing call.
    pub from_call: String,
    /// Output of that call.
    pub output: String,
}

/// What a template made of an environment.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Rendering {
    /// Module calls.
    pub calls: Vec<ModuleCall>,
    /// Bill of materials.
    pub bill: Vec<BillItem>,
    /// Outputs.
    pub outputs: Vec<Output>,
}

/// A cost estimate handed to policies.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CostEstimate {
    /// Per month: the effective figure, after the organisation's rules, for the hours
    /// the environment runs.
    pub monthly: f64,
    /// Over the TTL; `None` for `never`.
    pub lifetime: Option<f64>,
    /// Per month at list prices, before the organisation's rules (the same hours).
    pub list_monthly: f64,
    /// Whether every line had a price; when not, both monthly figures are lower bounds.
    pub complete: bool,
}
