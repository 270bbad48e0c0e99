//! One case: its files read without trusting them, then run through the pipeline.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use idp_catalog::{Catalog, Declared, SourceDir};
use idp_config::ProjectConfig;
use idp_host::{Limits, PluginHost};
use idp_plan::{Pipeline, Plan, PlanError, Project, Stage};
use idp_spec::{Problems, SourceFile, SpecFile};
use serde_json::{Value, json};

use crate::discover::CaseDir;
use crate::{CONFIG_FILE, ENV_FILE, GOLDEN_LIMIT, Golden};

/// What a case holds, read and checked.
pub(crate) struct CaseFiles {
    /// `env.kdl`.
    pub env: String,
    /// `idp.kdl`, when there is one.
    pub config: Option<String>,
    /// The golden files present, with their text.
    pub goldens: Vec<(Golden, String)>,
}

/// The case's name as shown: `crate/case`, anything that could drive a terminal escaped.
pub(crate) fn display_name(case: &CaseDir) -> String {
    let name = case.name.to_string_lossy();
    format!(
        "{}/{}",
        case.krate,
        idp_model::printable(&name).trim_matches('`')
    )
}

/// Reads a case: its name must be printable text, nothing in it may lead outside it,
/// `env.kdl` is read only up to the spec size limit and each golden up to
/// [`GOLDEN_LIMIT`].
pub(crate) fn read(case: &CaseDir) -> Result<CaseFiles, String> {
    let name = case.name.to_str().ok_or("the case's name is not UTF-8")?;
    if name
        .chars()
        .any(|c| c.is_control() || idp_model::is_invisible_format(c))
    {
        return Err(format!(
            "the case's name {} holds control characters; rename its directory",
            idp_model::printable(name)
        ));
    }
    let root = confined_root(case)?;
    for entry in std::fs::read_dir(&root)
        .map_err(|e| format!("cannot read the case: {e}"))?
        .flatten()
    {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_symlink())
            && !path.canonicalize().is_ok_and(|p| p.starts_with(&root))
        {
            return Err(format!(
                "{} is a symlink to outside the case directory; make it a file",
                idp_model::printable(&entry.file_name().to_string_lossy())
            ));
        }
    }
    let env = read_text(&root.join(ENV_FILE), idp_spec::MAX_BYTES)?
        .ok_or_else(|| format!("`{ENV_FILE}` is missing"))?;
    let config = read_text(&root.join(CONFIG_FILE), idp_spec::MAX_BYTES)?;
    let mut goldens = Vec::new();
    for golden in Golden::ALL {
        if let Some(text) = read_text(&root.join(golden.file()), GOLDEN_LIMIT)? {
            if text.len() > GOLDEN_LIMIT {
                return Err(format!(
                    "`{}` is larger than the limit of {} MiB; a golden file holds what one case produces",
                    golden.file(),
                    GOLDEN_LIMIT >> 20
                ));
            }
            goldens.push((golden, text));
        }
    }
    Ok(CaseFiles {
        env,
        config,
        goldens,
    })
}

/// The case directory, resolved; refused when a symlink takes it out of `tests/`.
fn confined_root(case: &CaseDir) -> Result<PathBuf, String> {
    let tests = case
        .dir
        .parent()
        .and_then(|p| p.canonicalize().ok())
        .ok_or("cannot resolve the crate's `tests` directory")?;
    let root = case
        .dir
        .canonicalize()
        .map_err(|e| format!("cannot resolve the case directory: {e}"))?;
    if !root.starts_with(&tests) {
        return Err("the case directory is a symlink to outside the crate's `tests` directory; make it a directory".into());
    }
    Ok(root)
}

/// A file's text, reading at most one byte past `limit` (the caller refuses a longer
/// one); `None` when it does not exist.
fn read_text(path: &Path, limit: usize) -> Result<Option<String>, String> {
    let shown = path.file_name().unwrap_or_default().to_string_lossy();
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => {}
        Ok(_) => return Err(format!("`{shown}` is not a file")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read `{shown}`: {e}")),
    }
    let bytes =
        idp_model::read_prefix(path, limit).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    if bytes.len() > limit {
        // Too long either way: the spec's prescan or the golden check refuses it at its
        // size, and the cut may split a character.
        return Ok(Some(String::from_utf8_lossy(&bytes).into_owned()));
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| format!("`{shown}` is not UTF-8 text"))
}

/// What running a case produced.
pub(crate) enum Produced {
    /// The pipeline planned the spec: each golden's text.
    Planned {
        /// Every golden this plan can give, in [`Golden::ALL`] order.
        outputs: Vec<(Golden, Result<String, String>)>,
        /// Whether the case's configuration enables a policy (a policy's case).
        policies: bool,
    },
    /// The spec or the case's configuration has input errors, rendered.
    Diagnostics(String),
}

/// Where a case runs: its catalog and clock, fixed for the whole run.
pub(crate) struct Setting<'a> {
    /// The catalog directory to add as a team's, unless it is the built-in one.
    pub catalog: Option<&'a Path>,
    /// The compile cache.
    pub cache_dir: Option<&'a Path>,
    /// The pinned clock.
    pub now: jiff::Timestamp,
}

/// Runs a case through the pipeline up to emit; `Err` is a failure that is not the
/// input's (a plugin trapped, the catalog is broken), rendered.
pub(crate) fn produce(
    files: &CaseFiles,
    dir: &Path,
    setting: &Setting<'_>,
) -> Result<Produced, String> {
    let config = match configuration(files, dir, setting.catalog) {
        Ok(c) => c,
        Err(problems) => return Ok(Produced::Diagnostics(render(&problems))),
    };
    let policies = !config.policies.is_empty();
    let catalog = Catalog::with_dirs(&config.catalogs).map_err(|e| render(&e))?;
    let host = PluginHost::new(setting.cache_dir.map(Path::to_path_buf), Limits::default())
        .map_err(|e| render(&e))?;
    let state = idp_state::StateStore::new(dir.join(".idp"));
    let project = Project {
        config,
        catalog,
        host,
        records: Arc::new(NoRecords),
        state,
        prices: idp_price::PriceBook::embedded(),
    };
    let plan = SpecFile::parse(SourceFile::new(ENV_FILE, files.env.clone()))
        .map_err(PlanError::from)
        .and_then(|spec| Pipeline::new(&project)?.plan(&spec, None, Stage::Emit, setting.now));
    match plan {
        Ok(plan) => Ok(Produced::Planned {
            outputs: Golden::ALL.map(|g| (g, output(&plan, g))).to_vec(),
            policies,
        }),
        Err(PlanError::Input(problems)) => Ok(Produced::Diagnostics(render(&problems))),
        Err(e) => Err(render(&e)),
    }
}

/// The case's `idp.kdl` (or an empty one) as the organisation's, named `idp.kdl` in
/// diagnostics, with the catalog directory added as a team's.
fn configuration(
    files: &CaseFiles,
    dir: &Path,
    catalog: Option<&Path>,
) -> Result<ProjectConfig, Problems> {
    let text = files.config.as_deref().unwrap_or_default();
    let mut config = ProjectConfig::parse(Path::new(CONFIG_FILE), text)?;
    // Parsed under its bare name so diagnostics read `idp.kdl`; its relative paths are
    // the case directory's.
    for c in &mut config.catalogs {
        if c.path.is_relative() {
            c.path = dir.join(&c.path);
        }
    }
    config.root = dir.to_path_buf();
    if let Some(path) = catalog {
        config.catalogs.push(SourceDir {
            path: path.to_path_buf(),
            declared: Declared::Team,
            overrides: Vec::new(),
        });
    }
    Ok(config)
}

/// One golden's text from a plan.
fn output(plan: &Plan, golden: Golden) -> Result<String, String> {
    let by_env = |f: &dyn Fn(&idp_plan::PlannedEnv) -> Value| {
        let map: serde_json::Map<String, Value> = plan
            .environments
            .iter()
            .map(|e| (e.env.name.clone(), f(e)))
            .collect();
        json_text(&Value::Object(map))
    };
    match golden {
        Golden::Findings => Ok(by_env(&|e| findings_json(plan, e))),
        Golden::Bill => Ok(by_env(&|e| json!(e.rendering.as_ref().map(|r| &r.bill)))),
        Golden::Cost => Ok(by_env(&|e| {
            e.cost
                .as_ref()
                .map_or(Value::Null, idp_report::estimate_json)
        })),
        Golden::MainTf | Golden::Tfvars => workspace_file(plan, golden.file()),
        Golden::Diagnostics => Err("the case has no input error: its spec planned".into()),
    }
}

/// A file of the one environment's emitted workspace.
fn workspace_file(plan: &Plan, file: &str) -> Result<String, String> {
    let [env] = plan.environments.as_slice() else {
        return Err(format!(
            "`{file}` holds one environment's workspace, and `{ENV_FILE}` has {}: split the case",
            plan.environments.len()
        ));
    };
    env.workspace
        .as_ref()
        .and_then(|w| w.files.iter().find(|(p, _)| p == file))
        .map(|(_, bytes)| String::from_utf8_lossy(bytes).into_owned())
        .ok_or_else(|| format!("the plan emitted no `{file}`"))
}

/// An environment's findings, without the plugins' digests (a golden must survive a
/// rebuild of the same code).
fn findings_json(plan: &Plan, env: &idp_plan::PlannedEnv) -> Value {
    let list: Vec<Value> = env
        .findings
        .iter()
        .map(|f| {
            let (line, column) = plan
                .source
                .line_col(env.spans.value_span(&f.pointer).offset());
            json!({
                "code": f.code(),
                "severity": f.severity,
                "message": f.message,
                "pointer": f.pointer,
                "line": line,
                "column": column,
                "help": f.help,
                "waived": f.waived,
                "advisory": f.advisory,
            })
        })
        .collect();
    Value::Array(list)
}

/// Pretty JSON with a final newline: the form `--bless` writes.
pub(crate) fn json_text(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// A diagnostic as `idp` prints it without colour, 100 columns wide, each line's
/// trailing blanks dropped (editors drop them from golden files too).
pub(crate) fn render(d: &dyn miette::Diagnostic) -> String {
    let mut out = String::new();
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(100)
            .with_context_lines(1);
    if handler.render_report(&mut out, d).is_err() {
        out = d.to_string();
    }
    let mut text: String = out.lines().map(|l| format!("{}\n", l.trim_end())).collect();
    while text.ends_with("\n\n") {
        text.pop();
    }
    text
}

/// No records: a case plans as a new environment, whatever was applied on this machine.
struct NoRecords;

impl idp_state::RecordStore for NoRecords {
    fn read(&self, _: &str) -> Result<Option<idp_state::Stored>, idp_state::StateError> {
        Ok(None)
    }
    fn list(&self) -> Result<idp_state::Listing, idp_state::StateError> {
        Ok(idp_state::Listing::default())
    }
    fn write(
        &self,
        _: &idp_state::Record,
        _: Option<&idp_state::Version>,
    ) -> Result<idp_state::Version, idp_state::StateError> {
        Err(self.refused())
    }
    fn write_workspace(
        &self,
        _: &str,
        _: &idp_state::RecordedWorkspace,
    ) -> Result<(), idp_state::StateError> {
        Err(self.refused())
    }
    fn read_workspace(
        &self,
        _: &str,
    ) -> Result<Option<idp_state::RecordedWorkspace>, idp_state::StateError> {
        Ok(None)
    }
    fn location(&self) -> String {
        "no state (a test case)".into()
    }
    fn write_spec(&self, _: &str, _: &str) -> Result<(), idp_state::StateError> {
        Err(self.refused())
    }
    fn read_spec(&self, _: &str) -> Result<Option<String>, idp_state::StateError> {
        Ok(None)
    }
    fn read_document(
        &self,
        _: &str,
    ) -> Result<Option<(Vec<u8>, idp_state::Version)>, idp_state::StateError> {
        Ok(None)
    }
    fn write_document(
        &self,
        _: &str,
        _: Vec<u8>,
        _: Option<&idp_state::Version>,
    ) -> Result<Option<idp_state::Version>, idp_state::StateError> {
        Err(self.refused())
    }
    fn append_audit(
        &self,
        _: &str,
        _: jiff::Timestamp,
        _: &[u8],
    ) -> Result<(), idp_state::StateError> {
        Err(self.refused())
    }
    fn read_audit(&self, _: &str) -> Result<Vec<Vec<u8>>, idp_state::StateError> {
        Ok(Vec::new())
    }
}

impl NoRecords {
    fn refused(&self) -> idp_state::StateError {
        idp_state::StateError::Io {
            action: "write",
            path: PathBuf::from("<no state>"),
            reason: "a test case keeps no state".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A crate directory with one case, `tests/NAME/env.kdl`.
    fn case(name: &str) -> (tempfile::TempDir, CaseDir) {
        let root = tempfile::tempdir().expect("temp dir");
        let dir = root.path().join("tests").join(name);
        std::fs::create_dir_all(&dir).expect("case dir");
        std::fs::write(dir.join(ENV_FILE), "environment x {}\n").expect("env.kdl");
        let case = CaseDir {
            krate: "template-x".into(),
            name: name.into(),
            dir,
        };
        (root, case)
    }

    #[test]
    fn a_name_with_control_characters_is_refused_and_shown_escaped() {
        let (_root, c) = case("bad\u{1b}[31mname");
        let err = read(&c).err().expect("refused");
        assert!(
            err.contains("`bad\\u{1b}[31mname` holds control characters"),
            "{err}"
        );
        assert_eq!(display_name(&c), "template-x/bad\\u{1b}[31mname");
    }

    #[test]
    fn a_symlink_out_of_the_case_is_refused() {
        let (root, c) = case("escape");
        let outside = root.path().join("secret");
        std::fs::write(&outside, "{}").expect("outside file");
        std::os::unix::fs::symlink(&outside, c.dir.join("findings.json")).expect("symlink");
        let err = read(&c).err().expect("refused");
        assert!(err.contains("`findings.json` is a symlink to outside the case directory"));
    }

    #[test]
    fn a_case_directory_linked_from_elsewhere_is_refused() {
        let (root, c) = case("real");
        let elsewhere = root.path().join("elsewhere");
        std::fs::rename(&c.dir, &elsewhere).expect("move");
        std::os::unix::fs::symlink(&elsewhere, &c.dir).expect("symlink");
        let err = read(&c).err().expect("refused");
        assert!(
            err.contains("outside the crate's `tests` directory"),
            "{err}"
        );
    }

    #[test]
    fn a_golden_past_the_limit_is_refused_without_reading_it_whole() {
        let (_root, c) = case("huge");
        let file = std::fs::File::create(c.dir.join("main.tf")).expect("main.tf");
        file.set_len(GOLDEN_LIMIT as u64 * 4).expect("sparse file");
        let err = read(&c).err().expect("refused");
        assert!(
            err.contains("`main.tf` is larger than the limit of 8 MiB"),
            "{err}"
        );
    }

    #[test]
    fn a_golden_that_is_a_directory_is_refused() {
        let (_root, c) = case("dir-golden");
        std::fs::create_dir(c.dir.join("main.tf")).expect("dir");
        assert_eq!(read(&c).err().as_deref(), Some("`main.tf` is not a file"));
    }
}
