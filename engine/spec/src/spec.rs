//! `env.kdl` into [`EnvSpec`]s: reserved fields typed, everything else kept as the
//! template's input nodes until the template's schema is known.

use std::collections::HashMap;

use idp_model::is_environment_name as valid_name;
use idp_model::{Class, Schedule, Ttl};
use kdl::{KdlDocument, KdlNode, KdlValue};
use miette::SourceSpan;
use serde_json::Value;

use crate::convert::{SpanMap, escape, nodes_to_json, scalar};
use crate::{Problem, Problems, SourceFile, did_you_mean};

/// Node names inside `environment` that idp reads itself; all others are template inputs.
pub const RESERVED: &[&str] = &[
    "template", "owner", "team", "class", "region", "ttl", "schedule", "tags", "waive",
];

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Its span in the source.
    pub span: SourceSpan,
}

/// `waive RULE reason="…" owner="…" until="YYYY-MM-DD"`: an accepted exception to a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Waiver {
    /// The waived rule id.
    pub rule: Spanned<String>,
    /// Why.
    pub reason: String,
    /// Who accepted it.
    pub owner: String,
    /// Last day it applies (`YYYY-MM-DD`).
    pub until: Spanned<String>,
}

/// One `environment` node.
#[derive(Debug, Clone)]
pub struct EnvSpec {
    /// The environment's name and its span.
    pub name: Spanned<String>,
    /// The whole node.
    pub span: SourceSpan,
    /// Template name.
    pub template: Spanned<String>,
    /// Semver requirement on the template (`version="^1.2"`).
    pub template_version: Option<String>,
    /// Owner's e-mail address.
    pub owner: Spanned<String>,
    /// Owning team.
    pub team: Option<Spanned<String>>,
    /// Lifetime class (`preview` when not written).
    pub class: Spanned<Class>,
    /// AWS region.
    pub region: Spanned<String>,
    /// TTL as written; `None` means the class default.
    pub ttl: Option<Spanned<Ttl>>,
    /// The hours it runs (`schedule { }`); `None` is around the clock.
    pub schedule: Option<Spanned<Schedule>>,
    /// Tags as written, in order.
    pub tags: Vec<(Spanned<String>, Spanned<String>)>,
    /// Waivers.
    pub waivers: Vec<Waiver>,
    input_nodes: Vec<KdlNode>,
    base_map: SpanMap,
}

/// A parsed spec file.
#[derive(Debug, Clone)]
pub struct SpecFile {
    /// The file.
    pub source: SourceFile,
    /// Its environments, in file order.
    pub environments: Vec<EnvSpec>,
}

/// Stack for the `kdl` crate's parser: its recursion per block level is ~35 KB in a debug
/// build, and `idp check`'s workers have 2 MiB. Only touched pages are ever committed.
const KDL_STACK: usize = 256 << 20;

/// Parses KDL 2.0 (falling back to 1.0), turning syntax errors into problems with hints.
/// The text is first held to the bounds of [`crate::prescan`] (size, characters, depth),
/// and no node may give one property twice.
pub fn parse_kdl(source: &SourceFile) -> Result<KdlDocument, Problems> {
    crate::prescan::check(source)?;
    let doc = match crate::fast_kdl::parse(&source.text) {
        Some(doc) => doc,
        None => parse_with_kdl(source)?,
    };
    crate::duplicates::check(source, &doc)?;
    Ok(doc)
}

/// The `kdl` crate on a thread of its own with room for its recursion.
pub(crate) fn parse_with_kdl(source: &SourceFile) -> Result<KdlDocument, Problems> {
    match with_kdl_stack(|| KdlDocument::parse(&source.text)) {
        Some(result) => result.map_err(|e| syntax_problems(source, &e)),
        // No thread (out of memory) or a panic in `kdl`: still a located answer.
        None => Err(Problem::error(
            source,
            (0, 0).into(),
            "idp::spec::syntax",
            "invalid KDL: the parser could not read this file",
        )
        .into()),
    }
}

/// Runs `f` (a call into the `kdl` crate) on a thread with [`KDL_STACK`]; `None` when
/// the thread cannot start or `f` panics.
pub(crate) fn with_kdl_stack<T: Send>(f: impl FnOnce() -> T + Send) -> Option<T> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("kdl".into())
            .stack_size(KDL_STACK)
            .spawn_scoped(scope, f)
            .ok()?
            .join()
            .ok()
    })
}

fn syntax_problems(source: &SourceFile, e: &kdl::KdlError) -> Problems {
    let mut problems = Problems::default();
    for d in &e.diagnostics {
        let message = d
            .message
            .clone()
            .unwrap_or_else(|| "invalid KDL".to_owned());
        let text = &source.text;
        let start = d.span.offset().min(text.len());
        let word: String = text[start..]
            .chars()
            .take_while(|c| !c.is_whitespace() && !"{};=".contains(*c))
            .collect();
        let hint = syntax_hint(&word).or_else(|| d.help.clone());
        problems.push(
            Problem::error(
                source,
                d.span,
                "idp::spec::syntax",
                format!("invalid KDL: {}", lower_first(&message)),
            )
            .label(d.label.clone().unwrap_or_else(|| "here".to_owned()))
            .maybe_help(hint),
        );
    }
    if problems.0.is_empty() {
        problems.push(Problem::error(
            source,
            (0, 0).into(),
            "idp::spec::syntax",
            "invalid KDL",
        ));
    }
    problems
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f
            .to_lowercase()
            .chain(c)
            .collect::<String>()
            .trim_end_matches('.')
            .to_owned(),
        None => String::new(),
    }
}

/// Durations and dates are the usual cause of "invalid number": KDL identifiers may not
/// start with a digit.
fn syntax_hint(word: &str) -> Option<String> {
    let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    if !word.is_empty()
        && word != digits
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
    {
        return Some(format!(
            "quote it: `\"{word}\"` (KDL values that start with a digit must be numbers)"
        ));
    }
    if word.len() == 10
        && word.as_bytes().get(4) == Some(&b'-')
        && word.as_bytes().get(7) == Some(&b'-')
    {
        return Some(format!("quote the date: `\"{word}\"`"));
    }
    None
}

fn string_arg(node: &KdlNode) -> Option<Spanned<String>> {
    let args: Vec<_> = node
        .entries()
        .iter()
        .filter(|e| e.name().is_none())
        .collect();
    match args.as_slice() {
        [one] => match one.value() {
            KdlValue::String(s) => Some(Spanned {
                value: s.clone(),
                span: one.span(),
            }),
            _ => None,
        },
        _ => None,
    }
}

fn string_prop(node: &KdlNode, key: &str) -> Option<Spanned<String>> {
    // KDL 2.0: the last of a repeated property wins (parse_kdl refuses repeats anyway).
    node.entries()
        .iter()
        .rfind(|e| e.name().map(|n| n.value()) == Some(key))
        .and_then(|e| {
            e.value().as_string().map(|s| Spanned {
                value: s.to_owned(),
                span: e.span(),
            })
        })
}

/// A real calendar day `YYYY-MM-DD` (year 1 to 9999, leap years counted).
fn valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    let number = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(0);
    if !shape {
        return false;
    }
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    };
    year >= 1 && (1..=days).contains(&day)
}

/// Whether a KDL text is a spec: one rule for `idp check`'s discovery and for what
/// `idp apply` reads. A text is a spec when a top-level node is `environment`, however it
/// is written (quoted, with a type annotation, after a byte order mark); a text that is
/// not valid KDL is one when it mentions `environment` at all, so that its errors are
/// reported rather than the file skipped.
pub fn is_spec(text: &str) -> bool {
    // Cheap, and exact for the common case: a line that starts with the node.
    let plain = text.lines().any(|l| {
        l.trim_start_matches(['\u{feff}', ' ', '\t'])
            .strip_prefix("environment")
            .is_some_and(|rest| rest.starts_with([' ', '\t', '{']))
    });
    // A quoted name may spell the word with escapes (`"\u{65}nvironment"`).
    if plain || !(text.contains("environment") || text.contains('\\')) {
        return plain;
    }
    match parse_kdl(&SourceFile::new("", text)) {
        Ok(doc) => doc
            .nodes()
            .iter()
            .any(|n| n.name().value() == "environment"),
        Err(_) => text.contains("environment"),
    }
}

impl SpecFile {
    /// Parses a spec file, collecting every problem in it.
    pub fn parse(source: SourceFile) -> Result<SpecFile, Problems> {
        let doc = parse_kdl(&source)?;
        let mut problems = Problems::default();
        let mut environments: Vec<EnvSpec> = Vec::new();
        let mut names: HashMap<String, SourceSpan> = HashMap::new();
        for node in doc.nodes() {
            let name = node.name().value();
            if name != "environment" {
                let help = match did_you_mean(name, ["environment"]) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "a spec holds `environment NAME { … }` nodes".to_owned(),
                };
                problems.push(
                    Problem::error(
                        &source,
                        node.name().span(),
                        "idp::spec::unknown_node",
                        format!("unknown top-level node `{name}`"),
                    )
                    .help(help),
                );
                continue;
            }
            if let Some(env) = EnvSpec::parse(&source, node, &mut problems) {
                if let Some(first) = names.get(&env.name.value) {
                    let (line, _) = source.line_col(first.offset());
                    problems.push(
                        Problem::error(
                            &source,
                            env.name.span,
                            "idp::spec::duplicate_environment",
                            format!("environment `{}` is defined twice", env.name.value),
                        )
                        .help(format!("the first is on line {line}; rename one")),
                    );
                    continue;
                }
                names.insert(env.name.value.clone(), env.name.span);
                environments.push(env);
            }
        }
        if environments.is_empty() && problems.0.is_empty() {
            problems.push(
                Problem::error(
                    &source,
                    (0, source.text.len().min(1)).into(),
                    "idp::spec::no_environment",
                    "no `environment` in this file",
                )
                .help("a spec holds `environment NAME { template …; owner …; region … }`"),
            );
        }
        problems.into_result()?;
        Ok(SpecFile {
            source,
            environments,
        })
    }
}

impl EnvSpec {
    fn parse(source: &SourceFile, node: &KdlNode, problems: &mut Problems) -> Option<EnvSpec> {
        let name = read_env_name(source, node, problems)?;
        let before = problems.0.len();
        if !valid_name(&name.value) {
            problems.push(
                Problem::error(source, name.span, "idp::spec::invalid_name", format!("`{}` is not a valid environment name", name.value))
                    .label("not DNS-safe")
                    .help("use lowercase letters, digits and hyphens, starting with a letter, at most 40 characters"),
            );
        }
        let mut base_map = SpanMap::new(name.span);
        let children: Vec<&KdlNode> = node
            .children()
            .map(|d| d.nodes().iter().collect())
            .unwrap_or_default();

        let mut fields = Fields::default();
        for child in &children {
            fields.read(source, child, &mut base_map, problems);
        }
        fields.report_missing(source, &name, problems);
        if let Some(class) = &fields.class {
            crate::schedule::check_class(source, &fields.schedule, class.value, problems);
        }
        if problems.0.len() > before {
            return None;
        }
        Some(EnvSpec {
            span: node.span(),
            template: fields.template?,
            template_version: fields.template_version,
            owner: fields.owner?,
            team: fields.team,
            class: fields.class.unwrap_or(Spanned {
                value: Class::Preview,
                span: name.span,
            }),
            region: fields.region?,
            ttl: fields.ttl,
            schedule: fields.schedule,
            tags: fields.tags,
            waivers: fields.waivers,
            input_nodes: fields.input_nodes,
            base_map,
            name,
        })
    }

    /// The template's inputs as JSON, converted under `schema` (which decides where a
    /// single value is an array), and the span of every pointer, reserved fields included.
    pub fn inputs(
        &self,
        schema: Option<&Value>,
        source: &SourceFile,
    ) -> Result<(Value, SpanMap), Problems> {
        let mut map = self.base_map.clone();
        let mut problems = Problems::default();
        let nodes: Vec<&KdlNode> = self.input_nodes.iter().collect();
        let object = nodes_to_json(&nodes, schema, "", source, &mut map, &mut problems);
        problems.into_result()?;
        Ok((Value::Object(object), map))
    }

    /// The names of the input nodes, for messages.
    pub fn input_names(&self) -> impl Iterator<Item = &str> {
        self.input_nodes.iter().map(|n| n.name().value())
    }
}

/// The environment's name argument, or a problem when it has none.
fn read_env_name(
    source: &SourceFile,
    node: &KdlNode,
    problems: &mut Problems,
) -> Option<Spanned<String>> {
    let name = string_arg(node);
    if name.is_none() {
        problems.push(
            Problem::error(
                source,
                node.name().span(),
                "idp::spec::missing_name",
                String::from("environment has no name"),
            )
            .help("write `environment orders-preview { … }`"),
        );
    }
    name
}

/// The children of one `environment` as they are read: reserved fields typed, the rest
/// kept as input nodes. `seen` remembers which reserved fields were written, even badly.
#[derive(Default)]
struct Fields<'a> {
    seen: Vec<(&'a str, SourceSpan)>,
    template: Option<Spanned<String>>,
    template_version: Option<String>,
    owner: Option<Spanned<String>>,
    team: Option<Spanned<String>>,
    class: Option<Spanned<Class>>,
    region: Option<Spanned<String>>,
    ttl: Option<Spanned<Ttl>>,
    schedule: Option<Spanned<Schedule>>,
    tags: Vec<(Spanned<String>, Spanned<String>)>,
    waivers: Vec<Waiver>,
    input_nodes: Vec<KdlNode>,
}

impl<'a> Fields<'a> {
    /// Reads one child: an input node is kept, a reserved field given twice is refused,
    /// any other reserved field is mapped and typed.
    fn read(
        &mut self,
        source: &SourceFile,
        child: &'a KdlNode,
        base_map: &mut SpanMap,
        problems: &mut Problems,
    ) {
        let key = child.name().value();
        if !RESERVED.contains(&key) {
            self.input_nodes.push(child.clone());
            return;
        }
        if key != "waive" {
            if let Some((_, first)) = self.seen.iter().find(|(k, _)| *k == key) {
                let (line, _) = source.line_col(first.offset());
                problems.push(
                    Problem::error(
                        source,
                        child.name().span(),
                        "idp::spec::duplicate_field",
                        format!("`{key}` is given twice"),
                    )
                    .help(format!("the first is on line {line}; keep one")),
                );
                return;
            }
            self.seen.push((key, child.name().span()));
        }
        let value_span = child.entries().first().map_or(child.span(), |e| e.span());
        base_map.insert(format!("/{key}"), child.name().span(), value_span);
        self.read_reserved(source, key, child, base_map, problems);
    }

    /// Types the value of the reserved field `key`.
    fn read_reserved(
        &mut self,
        source: &SourceFile,
        key: &str,
        child: &KdlNode,
        base_map: &mut SpanMap,
        problems: &mut Problems,
    ) {
        let want_string = |what: &str| {
            Problem::error(
                source,
                child.span(),
                "idp::spec::invalid_value",
                format!("`{key}` needs one string value"),
            )
            .help(format!("write `{key} {what}`"))
        };
        match key {
            "template" => match string_arg(child) {
                Some(v) => {
                    self.template_version = string_prop(child, "version").map(|v| v.value);
                    self.template = Some(v);
                }
                None => problems.push(want_string("api-service")),
            },
            "owner" => match string_arg(child) {
                Some(v) => self.owner = Some(v),
                None => problems.push(want_string("\"alice@acme.io\"")),
            },
            "team" => match string_arg(child) {
                Some(v) => self.team = Some(v),
                None => problems.push(want_string("payments")),
            },
            "region" => match string_arg(child) {
                Some(v) => self.region = Some(v),
                None => problems.push(want_string("us-east-1")),
            },
            "class" => match string_arg(child) {
                Some(v) => {
                    if let Some(c) = read_class(source, v, problems) {
                        self.class = Some(c);
                    }
                }
                None => problems.push(want_string("preview")),
            },
            "ttl" => match string_arg(child) {
                Some(v) => {
                    if let Some(t) = read_ttl(source, v, problems) {
                        self.ttl = Some(t);
                    }
                }
                None => problems.push(want_string("\"7d\"")),
            },
            "schedule" => self.schedule = crate::schedule::read(source, child, problems),
            "tags" => read_tags(source, child, base_map, &mut self.tags, problems),
            "waive" => match parse_waiver(source, child) {
                Ok(w) => self.waivers.push(w),
                Err(p) => problems.push(p),
            },
            _ => {}
        }
    }

    /// A problem for each required field that was not written at all (one written badly
    /// already has its own).
    fn report_missing(&self, source: &SourceFile, name: &Spanned<String>, problems: &mut Problems) {
        let missing = |field: &str, example: &str| {
            Problem::error(
                source,
                name.span,
                "idp::spec::missing_field",
                format!("environment `{}` has no `{field}`", name.value),
            )
            .label(format!("needs `{field}`"))
            .help(format!("add `{field} {example}`"))
        };
        let seen = |key: &str| self.seen.iter().any(|(k, _)| *k == key);
        if self.template.is_none() && !seen("template") {
            problems.push(
                missing("template", "api-service")
                    .help("add `template NAME`; `idp catalog list` shows the templates"),
            );
        }
        if self.owner.is_none() && !seen("owner") {
            problems.push(missing("owner", "\"alice@acme.io\""));
        }
        if self.region.is_none() && !seen("region") {
            problems.push(missing("region", "us-east-1"));
        }
    }
}

/// The `class` value typed, or a problem naming the classes.
fn read_class(
    source: &SourceFile,
    v: Spanned<String>,
    problems: &mut Problems,
) -> Option<Spanned<Class>> {
    match v.value.parse::<Class>() {
        Ok(c) => Some(Spanned {
            value: c,
            span: v.span,
        }),
        Err(_) => {
            let hint = did_you_mean(&v.value, Class::ALL.iter().map(|c| c.as_str()));
            problems.push(
                Problem::error(
                    source,
                    v.span,
                    "idp::spec::invalid_value",
                    format!("`{}` is not a class", v.value),
                )
                .help(match hint {
                    Some(h) => {
                        format!("did you mean `{h}`? classes are preview, staging and production")
                    }
                    None => "classes are preview, staging and production".to_owned(),
                }),
            );
            None
        }
    }
}

/// The `ttl` value typed, or a problem showing how durations are written.
fn read_ttl(
    source: &SourceFile,
    v: Spanned<String>,
    problems: &mut Problems,
) -> Option<Spanned<Ttl>> {
    match v.value.parse::<Ttl>() {
        Ok(t) => Some(Spanned {
            value: t,
            span: v.span,
        }),
        Err(e) => {
            problems.push(
                Problem::error(source, v.span, "idp::spec::invalid_ttl", e.to_string())
                    .label("not a duration")
                    .help("write a whole number and a unit, quoted: `\"90m\"`, `\"36h\"`, `\"7d\"`, `\"2w\"`, or `never`"),
            );
            None
        }
    }
}

/// Each child of `tags { }` as one key and one scalar value, mapped under `/tags/`.
fn read_tags(
    source: &SourceFile,
    child: &KdlNode,
    base_map: &mut SpanMap,
    tags: &mut Vec<(Spanned<String>, Spanned<String>)>,
    problems: &mut Problems,
) {
    for tag in child.children().map(|d| d.nodes()).unwrap_or_default() {
        let tag_key = tag.name().value().to_owned();
        let args: Vec<_> = tag
            .entries()
            .iter()
            .filter(|e| e.name().is_none())
            .collect();
        let value = match args.as_slice() {
            [one] => scalar(one.value()).map(|v| match v {
                Value::String(s) => s,
                other => other.to_string(),
            }),
            _ => None,
        };
        let Some(value) = value else {
            problems.push(
                Problem::error(
                    source,
                    tag.span(),
                    "idp::spec::invalid_value",
                    format!("tag `{tag_key}` needs one value"),
                )
                .help(format!("write `{tag_key} VALUE` inside `tags {{ }}`")),
            );
            continue;
        };
        let value_span = args.first().map_or(tag.span(), |a| a.span());
        base_map.insert(
            format!("/tags/{}", escape(&tag_key)),
            tag.name().span(),
            value_span,
        );
        tags.push((
            Spanned {
                value: tag_key,
                span: tag.name().span(),
            },
            Spanned {
                value,
                span: value_span,
            },
        ));
    }
}

impl Waiver {
    /// Parses a `waive` node, in a spec or in `idp.kdl`.
    pub fn parse(source: &SourceFile, node: &KdlNode) -> Result<Waiver, Problem> {
        parse_waiver(source, node)
    }
}

fn parse_waiver(source: &SourceFile, node: &KdlNode) -> Result<Waiver, Problem> {
    let bad = |msg: &str| {
        Problem::error(
            source,
            node.span(),
            "idp::spec::invalid_waiver",
            msg.to_owned(),
        )
        .help("write `waive RULE reason=\"…\" owner=\"bob@acme.io\" until=\"2026-12-15\"`")
    };
    let rule = string_arg(node).ok_or_else(|| bad("a waiver names one rule"))?;
    let reason = string_prop(node, "reason")
        .filter(|r| !r.value.trim().is_empty())
        .ok_or_else(|| bad("a waiver needs a `reason`"))?;
    let owner = string_prop(node, "owner")
        .filter(|o| !o.value.trim().is_empty())
        .ok_or_else(|| bad("a waiver needs an `owner`"))?;
    let until =
        string_prop(node, "until").ok_or_else(|| bad("a waiver needs an expiry date `until`"))?;
    if !valid_date(&until.value) {
        return Err(Problem::error(
            source,
            until.span,
            "idp::spec::invalid_waiver",
            format!("`{}` is not a date", until.value),
        )
        .label("no such day")
        .help(
            "write the last day the waiver applies as `until=\"YYYY-MM-DD\"`, a day that exists",
        ));
    }
    Ok(Waiver {
        rule,
        reason: reason.value,
        owner: owner.value,
        until,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SpecFile, Problems> {
        SpecFile::parse(SourceFile::new("env.kdl", text))
    }

    const GOOD: &str = r#"environment orders-preview {
    template api-service
    owner "alice@acme.io"
    team payments
    class preview
    region us-east-1
    ttl "7d"
    tags { cost-center engineering }
    service {
        image "ghcr.io/acme/orders:1.4.2"
        cpu 512
    }
}
"#;

    #[test]
    fn reads_reserved_fields_and_keeps_inputs() {
        let spec = parse(GOOD).expect("valid");
        let env = &spec.environments[0];
        assert_eq!(env.name.value, "orders-preview");
        assert_eq!(env.template.value, "api-service");
        assert_eq!(
            env.ttl.as_ref().map(|t| t.value),
            Some(Ttl::Seconds(7 * 86_400))
        );
        assert_eq!(env.tags[0].0.value, "cost-center");
        let (inputs, _) = env.inputs(None, &spec.source).expect("converts");
        assert_eq!(inputs["service"]["cpu"], 512);
        assert!(
            inputs.get("owner").is_none(),
            "reserved fields are not inputs"
        );
    }

    #[test]
    fn kdl_v1_is_accepted() {
        let v1 = "environment \"a\" {\n template \"api-service\"\n owner \"a@b.io\"\n region \"us-east-1\"\n enabled true\n}\n";
        let spec = parse(v1).expect("KDL 1.0 parses");
        assert_eq!(spec.environments[0].template.value, "api-service");
    }

    #[test]
    fn an_unquoted_duration_gets_a_hint() {
        let err = parse("environment a {\n  ttl 7d\n}\n").expect_err("7d is not KDL");
        let help = err.0[0].help.clone().unwrap_or_default();
        assert!(help.contains("\"7d\""), "{help}");
    }

    #[test]
    fn all_problems_are_collected() {
        let err = parse("environment Bad_Name {\n  class previw\n}\nenvironmnt x\n")
            .expect_err("invalid");
        let codes: Vec<_> = err.0.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "idp::spec::invalid_name",
                "idp::spec::invalid_value",
                "idp::spec::missing_field",
                "idp::spec::missing_field",
                "idp::spec::missing_field",
                "idp::spec::unknown_node"
            ]
        );
        assert_eq!(
            err.0[1].help.as_deref(),
            Some("did you mean `preview`? classes are preview, staging and production")
        );
    }

    #[test]
    fn waivers_need_reason_owner_and_date() {
        let text = GOOD.replace("ttl \"7d\"", "waive max-ttl reason=\"x\"");
        let err = parse(&text).expect_err("no owner");
        assert_eq!(err.0[0].message, "a waiver needs an `owner`");
    }

    #[test]
    fn impossible_waiver_dates_are_refused_at_the_date() {
        for date in [
            "2025-02-30",
            "0000-00-00",
            "2025-13-01",
            "2023-02-29",
            "2025-04-31",
        ] {
            let text = GOOD.replace(
                "ttl \"7d\"",
                &format!("waive max-ttl reason=\"x\" owner=\"b@acme.io\" until=\"{date}\""),
            );
            let err = parse(&text).expect_err(date);
            assert_eq!(err.0[0].message, format!("`{date}` is not a date"));
            let at = err.0[0].span.offset();
            assert!(text[at..].starts_with("until="), "{date}: {}", &text[at..]);
        }
        for date in ["2024-02-29", "2000-02-29", "2026-12-31"] {
            let text = GOOD.replace(
                "ttl \"7d\"",
                &format!("waive max-ttl reason=\"x\" owner=\"b@acme.io\" until=\"{date}\""),
            );
            assert!(parse(&text).is_ok(), "{date}");
        }
    }

    #[test]
    fn a_property_given_twice_is_refused_in_any_node() {
        for (from, to) in [
            (
                "template api-service",
                "template api-service version=\"1\" version=\"2\"",
            ),
            ("cpu 512", "cpu 512\n        db size=1 size=2"),
        ] {
            let err = parse(&GOOD.replace(from, to)).expect_err("a repeated property");
            assert_eq!(err.0[0].code, "idp::spec::duplicate_property", "{to}");
        }
    }

    #[test]
    fn comments_end_at_every_kdl_line_end() {
        for newline in ["\r", "\u{85}", "\u{b}", "\u{c}", "\u{2028}", "\u{2029}"] {
            let text = GOOD.replace("class preview", &format!("// x{newline}class production"));
            let spec = parse(&text).expect(newline);
            assert_eq!(
                spec.environments[0].class.value,
                Class::Production,
                "{newline:?}"
            );
        }
    }

    #[test]
    fn a_spec_is_any_file_whose_top_level_holds_an_environment() {
        assert!(is_spec(GOOD));
        assert!(is_spec(
            &GOOD.replace("environment orders", "\"environment\" orders")
        ));
        assert!(is_spec(
            &GOOD.replace("environment orders", "(t)environment orders")
        ));
        assert!(!is_spec("/* environment a {} */\npolicy x\n"));
    }
}
