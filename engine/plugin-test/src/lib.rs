//! `idp plugin test`: declarative test cases for guest plugins, each run through the real
//! plugin host and pipeline against the built component, compared with golden files.
//!
//! **Cases.** A case is a directory `<crate>/tests/<case>/` holding `env.kdl` (the input
//! spec) and optionally `idp.kdl` (the case's configuration; for a policy,
//! `policy NAME { settings }`). Directories under `tests/` without `env.kdl` are left
//! alone. The golden files are what the author cares about, and a case compares only the
//! ones present:
//!
//! | file | holds |
//! |---|---|
//! | `findings.json` | each environment's findings (code, severity, message, pointer, line, column, help, waived, advisory), keyed by environment |
//! | `terraform.tfvars.json`, `main.tf` | the emitted workspace's files (the spec must hold one environment) |
//! | `bill.json` | each environment's bill of materials, keyed by environment |
//! | `cost.json` | each environment's cost estimate (the embedded price book), keyed by environment |
//! | `diagnostics.txt` | the input errors, rendered as `idp` prints them without colour, 100 columns wide |
//!
//! Nothing in a golden depends on a component's digest, so rebuilding the same code
//! keeps every case green. JSON goldens compare as JSON (formatting and key order are
//! free); the others compare as text. A mismatch shows a unified diff.
//!
//! **Bless.** `--bless` writes the goldens present from what the case produces now, or,
//! when none exist, a default set: `diagnostics.txt` for a spec with input errors;
//! `findings.json` for a case whose `idp.kdl` enables a policy (a policy's case); else
//! `main.tf`, `terraform.tfvars.json` (for a spec with one environment) and
//! `findings.json` (a template's case). Which kind of case it is comes from the case
//! itself, so the runner need not load the crate's component to know its kind. A case
//! that cannot produce one of its goldens writes nothing; a case without any golden
//! fails (it would pass vacuously) and says what `--bless` would write.
//!
//! **Results.** A case passes, is blessed, fails (a golden differs or cannot be
//! produced) or is an error (it could not run: a hostile case, a plugin the host
//! refused or that trapped). The run exits 0 when every case passed or was blessed, 1
//! otherwise; a run with nothing to run (no crate, no case, no catalog) is a
//! [`TestError`], exit 2. Reports: [`human`], [`json`] (`docs/json-output.md`),
//! [`junit`].
//!
//! **How a case runs.** The configuration is the case's `idp.kdl` (or an empty one) as
//! the organisation's, shown as `idp.kdl` in diagnostics, its relative paths taken from
//! the case directory, plus the catalog directory as a team catalog (`catalog path=…`):
//! `--catalog DIR`, else `catalog/` at the root of the Cargo workspace. A catalog
//! directory that provides only what the built-in catalog provides, identically, is the
//! built-in one (idp's own repository) and is not added twice; in idp's own repository
//! (a workspace with the `idp` package) a `catalog/` that differs from the embedded one
//! is refused, with a hint to rebuild idp, rather than tested as a team's. Plugins run under
//! production limits ([`idp_host::Limits::default`]), at the pinned clock [`NOW`]
//! (`2026-01-01T00:00:00Z`, so `created-at`, `expires-at` and their tags are the same in
//! every run), with the embedded price book and no state: every case plans as a new
//! environment, whatever this machine applied. Nothing is written but the goldens of a
//! blessed case, inside its directory (and the compile cache, as every `idp` command).
//!
//! **Hostile cases.** A case whose name holds control characters, whose directory or a
//! file in it is a symlink leading outside it, whose `env.kdl` or `idp.kdl` is not UTF-8,
//! or whose golden is larger than [`GOLDEN_LIMIT`] is an error of that case, and nothing
//! of it is written. An `env.kdl` past the spec size limit is an input error like any
//! other: its `diagnostics.txt` says so.
//!
//! **Crates.** The path is a guest crate, a directory of them or a Cargo workspace,
//! found as `idp plugin build` finds them (`idp_plugin_build::Workspace`: `cargo
//! metadata --no-deps`, a `cdylib` that depends on `idp-plugin-sdk`): the crates below
//! the path run, or, for a path inside a crate (`tests/`, a case), that crate.
#![deny(missing_docs)]

mod case;
mod discover;
mod error;
mod golden;
mod report;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use idp_catalog::{Catalog, Declared, Index, SourceDir, module_digest, modules_in};
use idp_plugin_build::Workspace;

pub use discover::{CaseDir, cases};
pub use error::TestError;
pub use report::{human, json, junit};

/// The clock every case runs at.
pub const NOW: &str = "2026-01-01T00:00:00Z";

/// The largest golden file read: a golden holds what one case produces, and no plugin
/// may answer with more than its output budget (4 MiB).
pub const GOLDEN_LIMIT: usize = 8 << 20;

/// A case's input spec.
pub const ENV_FILE: &str = "env.kdl";

/// A case's optional configuration.
pub const CONFIG_FILE: &str = "idp.kdl";

/// A golden file a case may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Golden {
    /// `findings.json`.
    Findings,
    /// `terraform.tfvars.json`.
    Tfvars,
    /// `main.tf`.
    MainTf,
    /// `bill.json`.
    Bill,
    /// `cost.json`.
    Cost,
    /// `diagnostics.txt`.
    Diagnostics,
}

impl Golden {
    /// Every golden, in the order they are compared and reported.
    pub const ALL: [Golden; 6] = [
        Golden::MainTf,
        Golden::Tfvars,
        Golden::Findings,
        Golden::Bill,
        Golden::Cost,
        Golden::Diagnostics,
    ];

    /// Its file name.
    pub fn file(self) -> &'static str {
        match self {
            Golden::Findings => "findings.json",
            Golden::Tfvars => "terraform.tfvars.json",
            Golden::MainTf => "main.tf",
            Golden::Bill => "bill.json",
            Golden::Cost => "cost.json",
            Golden::Diagnostics => "diagnostics.txt",
        }
    }

    fn is_json(self) -> bool {
        self.file().ends_with(".json")
    }
}

/// What a test run needs.
#[derive(Debug, Clone)]
pub struct Options {
    /// A guest crate, a directory of them, or a Cargo workspace.
    pub path: PathBuf,
    /// The catalog directory (default: `catalog/` at the Cargo workspace's root).
    pub catalog: Option<PathBuf>,
    /// Write the goldens from what the cases produce now.
    pub bless: bool,
    /// The compile cache (as every command uses it), or `None`.
    pub cache_dir: Option<PathBuf>,
    /// The cargo binary that lists the crates.
    pub cargo: PathBuf,
}

/// How one case went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Every golden matched.
    Passed,
    /// `--bless` wrote at least one golden.
    Blessed,
    /// A golden differs, or could not be produced.
    Failed,
    /// The case could not run (a hostile or unreadable case, a plugin failure).
    Error,
}

impl Status {
    /// `passed`, `blessed`, `failed` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Blessed => "blessed",
            Status::Failed => "failed",
            Status::Error => "error",
        }
    }
}

/// How one golden file compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GoldenStatus {
    /// It matched.
    Passed,
    /// `--bless` wrote it.
    Written,
    /// It differs: a unified diff from the golden to what the case produced.
    Differs(String),
    /// The case cannot produce it (or, blessing, it could not be written): why.
    Unproduced(String),
}

/// One golden file's result.
#[derive(Debug, Clone)]
pub struct GoldenResult {
    /// Which golden.
    pub golden: Golden,
    /// How it compared.
    pub status: GoldenStatus,
}

/// One case's result.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The crate's name.
    pub krate: String,
    /// The case's name, anything that could drive a terminal escaped.
    pub case: String,
    /// The case directory.
    pub dir: PathBuf,
    /// How it went.
    pub status: Status,
    /// Each golden compared.
    pub goldens: Vec<GoldenResult>,
    /// Why the case failed or could not run, beyond its goldens.
    pub error: Option<String>,
    /// Wall time.
    pub duration: Duration,
}

impl CaseResult {
    /// `crate/case`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.krate, self.case)
    }
}

/// A whole run.
#[derive(Debug, Clone)]
pub struct Report {
    /// Every case, by crate and name.
    pub cases: Vec<CaseResult>,
    /// Whether goldens were written.
    pub bless: bool,
    /// Wall time.
    pub duration: Duration,
}

impl Report {
    /// Cases with a status.
    pub fn count(&self, status: Status) -> usize {
        self.cases.iter().filter(|c| c.status == status).count()
    }

    /// Whether every case passed (or was blessed).
    pub fn passed(&self) -> bool {
        self.cases
            .iter()
            .all(|c| matches!(c.status, Status::Passed | Status::Blessed))
    }
}

/// Runs every case of the guest crates at `options.path`.
pub fn run(options: &Options) -> Result<Report, TestError> {
    let started = Instant::now();
    let mut cases = Vec::new();
    // A folder of plugin workspaces is each of them, as `idp plugin build` takes it.
    for path in idp_plugin_build::workspace_paths(&options.path) {
        cases.extend(run_workspace(options, &path)?);
    }
    Ok(Report {
        cases,
        bless: options.bless,
        duration: started.elapsed(),
    })
}

/// The cases of the guest crates one workspace path designates.
fn run_workspace(options: &Options, path: &Path) -> Result<Vec<CaseResult>, TestError> {
    let workspace = Workspace::discover(&options.cargo, path)?;
    let crates = workspace.select(path, &[])?;
    let all: Vec<CaseDir> = crates.iter().flat_map(cases).collect();
    if all.is_empty() {
        let names: Vec<String> = crates.iter().map(|c| format!("`{}`", c.package)).collect();
        return Err(TestError::NoCases {
            crates: names.join(", "),
        });
    }
    let built_in = workspace.root.join("catalog");
    let catalog = options.catalog.clone().unwrap_or_else(|| built_in.clone());
    let repository_catalog = workspace.in_repo && same_dir(&catalog, &built_in);
    let team = team_catalog(&catalog, repository_catalog)?;
    let setting = case::Setting {
        catalog: team.as_deref(),
        cache_dir: options.cache_dir.as_deref(),
        now: NOW.parse().unwrap_or_default(),
    };
    Ok(all
        .iter()
        .map(|c| run_case(c, &setting, options.bless))
        .collect())
}

fn same_dir(a: &Path, b: &Path) -> bool {
    a.canonicalize()
        .ok()
        .is_some_and(|a| b.canonicalize().ok() == Some(a))
}

/// The catalog directory to add as a team's: `None` when it is the built-in catalog.
/// `repository` says it is idp's own `catalog/`, which must be the built-in one.
fn team_catalog(dir: &Path, repository: bool) -> Result<Option<PathBuf>, TestError> {
    if !dir.join(idp_catalog::INDEX_FILE).is_file() {
        return Err(TestError::NoCatalog {
            path: dir.to_path_buf(),
        });
    }
    let dir = dir.canonicalize().map_err(|_| TestError::NoCatalog {
        path: dir.to_path_buf(),
    })?;
    let index = Index::read(&dir)?;
    if is_builtin(&index)? {
        return Ok(None);
    }
    if repository {
        return Err(TestError::StaleBuiltin { path: dir });
    }
    // Once, here, rather than as the same error in every case: a team catalog that
    // provides a built-in's name is refused.
    Catalog::with_dirs(&[SourceDir {
        path: dir.clone(),
        declared: Declared::Team,
        overrides: Vec::new(),
    }])?;
    Ok(Some(dir))
}

/// Whether an index provides only what the built-in catalog provides, identically.
fn is_builtin(index: &Index) -> Result<bool, TestError> {
    if index.entries.is_empty() {
        return Ok(false);
    }
    let builtin = Catalog::builtin()?;
    let entries: Vec<_> = builtin.entries().into_iter().map(|(e, _)| e).collect();
    let modules = modules_in(None)?;
    let same_entries = index.entries.iter().all(|e| entries.contains(&e));
    let same_modules = index.pinned_modules.iter().all(|pin| {
        modules
            .iter()
            .any(|(name, files)| *name == pin.name && module_digest(files) == pin.sha256)
    });
    Ok(same_entries && same_modules)
}

fn run_case(dir: &CaseDir, setting: &case::Setting<'_>, bless: bool) -> CaseResult {
    let started = Instant::now();
    let name = case::display_name(dir);
    let case = name
        .split_once('/')
        .map_or(name.clone(), |(_, c)| c.to_owned());
    let outcome = case::read(dir).and_then(|files| {
        let produced = case::produce(&files, &dir.dir, setting)?;
        Ok(golden::judge(&files, &produced, &dir.dir, bless))
    });
    let (status, goldens, error) = match outcome {
        Ok(judged) => (judged.status, judged.goldens, judged.error),
        Err(e) => (Status::Error, Vec::new(), Some(e)),
    };
    CaseResult {
        krate: dir.krate.clone(),
        case,
        dir: dir.dir.clone(),
        status,
        goldens,
        error,
        duration: started.elapsed(),
    }
}
