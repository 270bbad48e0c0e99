use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::Finding;

/// The lifetime class of an environment; in settings it is written `preview`, `staging`
/// or `production`, so a `Vec<Class>` setting reads `allow-never "production"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// Short-lived.
    Preview,
    /// Pre-production.
    Staging,
    /// Production: never expires by default.
    Production,
}

impl Class {
    /// The name used in specs and settings (`preview`).
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Preview => "preview",
            Class::Staging => "staging",
            Class::Production => "production",
        }
    }
}

impl std::fmt::Display for Class {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One resource tag.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tag {
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
}

/// The environment as the host resolved it.
#[derive(Debug, Clone, PartialEq)]
pub struct Environment {
    /// Environment name.
    pub name: String,
    /// Template name.
    pub template: String,
    /// Template version.
    pub template_version: String,
    /// Owner's e-mail address.
    pub owner: String,
    /// Owning team.
    pub team: String,
    /// Lifetime class.
    pub class: Class,
    /// AWS region.
    pub region: String,
    /// TTL in seconds; `None` for `never`.
    pub ttl_seconds: Option<u64>,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 expiry time; `None` for `never`.
    pub expires_at: Option<String>,
    /// All tags, sorted by key.
    pub tags: Vec<Tag>,
    /// Template inputs as a JSON object.
    pub inputs: String,
    /// The hours it runs, when its spec has a `schedule`; `None` is around the clock.
    pub schedule: Option<Schedule>,
}

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Weekday {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

impl Weekday {
    /// The three-letter name AWS cron expressions use (`MON`).
    pub fn cron(self) -> &'static str {
        match self {
            Weekday::Monday => "MON",
            Weekday::Tuesday => "TUE",
            Weekday::Wednesday => "WED",
            Weekday::Thursday => "THU",
            Weekday::Friday => "FRI",
            Weekday::Saturday => "SAT",
            Weekday::Sunday => "SUN",
        }
    }
}

/// When a non-production environment runs (the spec's reserved `schedule` node); outside
/// these hours a template's modules scale its services to zero.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// The days it runs, Monday first.
    pub days: Vec<Weekday>,
    /// When it starts each day, `HH:MM` in `timezone`.
    pub start: String,
    /// When it stops each day, `HH:MM` in `timezone`, after `start`.
    pub stop: String,
    /// IANA time zone (`Europe/Berlin`).
    pub timezone: String,
    /// Hours it runs a week.
    pub hours_per_week: f64,
}

impl Schedule {
    /// The schedule as a module's `schedule` variable takes it (`modules/ecs-service`):
    /// `{"days": ["MON", …], "start": "08:00", "stop": "20:00", "timezone": "…"}`.
    pub fn to_variable(&self) -> Value {
        serde_json::json!({
            "days": self.days.iter().map(|d| d.cron()).collect::<Vec<_>>(),
            "start": self.start,
            "stop": self.stop,
            "timezone": self.timezone,
        })
    }
}

impl Environment {
    /// The template inputs, deserialized; a malformed document becomes a finding.
    pub fn inputs<T: DeserializeOwned>(&self) -> Result<T, Finding> {
        serde_json::from_str(&self.inputs).map_err(|e| {
            Finding::deny(
                "invalid-inputs",
                format!("inputs do not match the template: {e}"),
            )
        })
    }

    /// The TTL, `never` included, to compare with a [`Ttl`](crate::Ttl) setting.
    pub fn ttl(&self) -> crate::Ttl {
        crate::Ttl::from_seconds(self.ttl_seconds)
    }

    /// Every tag as the map a module's `tags` variable takes:
    /// `ModuleCall::new("bucket", "s3").var("tags", env.tag_map())`.
    pub fn tag_map(&self) -> Map<String, Value> {
        self.tags
            .iter()
            .map(|t| (t.key.clone(), Value::String(t.value.clone())))
            .collect()
    }

    /// The value of a tag, if present.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|t| t.key == key)
            .map(|t| t.value.as_str())
    }
}

/// A module variable wired to another module call's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wire {
    /// Receiving variable.
    pub variable: String,
    /// Producing module call.
    pub from_call: String,
    /// Output of the producing call.
    pub output: String,
}

/// A module call as it crossed the boundary, its variables still JSON text: most policies
/// never look at calls, and parsing every call's variables cost more than the policy did.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawCall {
    pub(crate) name: String,
    pub(crate) module: String,
    pub(crate) variables: String,
    pub(crate) wiring: Vec<Wire>,
}

impl RawCall {
    pub(crate) fn parse(self) -> ModuleCall {
        let variables = match serde_json::from_str(&self.variables) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        ModuleCall {
            name: self.name,
            module: self.module,
            variables,
            wiring: self.wiring,
        }
    }
}

/// One call of an OpenTofu module.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleCall {
    /// Call name in `main.tf`.
    pub name: String,
    /// Module directory name.
    pub module: String,
    /// Literal variables.
    pub variables: Map<String, Value>,
    /// Variables taken from other calls' outputs.
    pub wiring: Vec<Wire>,
}

impl ModuleCall {
    /// A call named `name` of module `module`, with no variables yet.
    pub fn new(name: impl Into<String>, module: impl Into<String>) -> Self {
        ModuleCall {
            name: name.into(),
            module: module.into(),
            variables: Map::new(),
            wiring: Vec::new(),
        }
    }

    /// Sets a literal variable.
    pub fn var(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.variables.insert(name.to_owned(), value.into());
        self
    }

    /// Wires `variable` to `output` of the call `from_call`.
    pub fn wire(mut self, variable: &str, from_call: &str, output: &str) -> Self {
        self.wiring.push(Wire {
            variable: variable.to_owned(),
            from_call: from_call.to_owned(),
            output: output.to_owned(),
        });
        self
    }
}

impl Environment {
    /// Every field named `key` anywhere in the template inputs, with its JSON pointer, in
    /// document order: how a policy finds `image` or `instance-class` in any template's
    /// inputs without knowing its schema.
    pub fn input_fields(&self, key: &str) -> Vec<(String, Value)> {
        fn walk(value: &Value, at: &str, key: &str, out: &mut Vec<(String, Value)>) {
            match value {
                Value::Object(map) => {
                    for (k, v) in map {
                        let here = format!("{at}/{}", crate::pointer_segment(k));
                        if k == key {
                            out.push((here.clone(), v.clone()));
                        }
                        walk(v, &here, key, out);
                    }
                }
                Value::Array(items) => {
                    for (i, v) in items.iter().enumerate() {
                        walk(v, &format!("{at}/{i}"), key, out);
                    }
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        if let Ok(inputs) = serde_json::from_str::<Value>(&self.inputs) {
            walk(&inputs, "", key, &mut out);
        }
        out
    }
}

/// A setting given per environment class (`max-cpu { preview 1024; staging 2048 }`);
/// a class left out has no value.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerClass<T> {
    /// For preview environments.
    pub preview: Option<T>,
    /// For staging environments.
    pub staging: Option<T>,
    /// For production environments.
    pub production: Option<T>,
}

impl<T> PerClass<T> {
    /// The same value for every class.
    pub fn all(value: T) -> Self
    where
        T: Clone,
    {
        PerClass {
            preview: Some(value.clone()),
            staging: Some(value.clone()),
            production: Some(value),
        }
    }

    /// The value for `class`, if one is set.
    pub fn get(&self, class: Class) -> Option<&T> {
        match class {
            Class::Preview => self.preview.as_ref(),
            Class::Staging => self.staging.as_ref(),
            Class::Production => self.production.as_ref(),
        }
    }
}

impl<T> Default for PerClass<T> {
    fn default() -> Self {
        PerClass {
            preview: None,
            staging: None,
            production: None,
        }
    }
}

/// A JSON Schema for a [`PerClass`] setting whose values follow `value`.
pub fn per_class_schema(description: &str, value: Value) -> Value {
    serde_json::json!({
        "type": "object",
        "additionalProperties": false,
        "description": description,
        "properties": {"preview": value, "staging": value, "production": value}
    })
}
