//! The run's surroundings: which `idp.kdl`, which state and cache directories, which
//! clock. Environment variables (`IDP_CONFIG`, `IDP_STATE_DIR`, `IDP_CACHE_DIR`,
//! `IDP_PLUGIN_TIMEOUT_MS`, `IDP_PLUGIN_LOG`, `IDP_GUEST_RUSTC`, `IDP_NOW`) are read here
//! and nowhere else.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use idp_catalog::Catalog;
use idp_config::ProjectConfig;
use idp_host::{Limits, PluginHost};
use idp_plan::Project;
use idp_state::{RecordStore, StateStore};

use crate::ui::CliError;

/// The compile cache: `IDP_CACHE_DIR`, else `$XDG_CACHE_HOME/idp`, else `~/.cache/idp`.
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("IDP_CACHE_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("idp"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/idp"))
}

pub fn limits(isolation: idp_host::Isolation) -> Limits {
    let mut limits = Limits {
        isolation,
        ..Limits::default()
    };
    if let Some(ms) = std::env::var("IDP_PLUGIN_TIMEOUT_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        limits.timeout = Duration::from_millis(ms);
    }
    limits
}

/// The clock. `IDP_NOW` (RFC 3339) pins it, for reproducible plans in tests and docs.
pub fn now() -> Result<jiff::Timestamp, CliError> {
    match std::env::var("IDP_NOW") {
        Ok(v) => v.parse().map_err(|_| {
            CliError::usage(
                "idp::usage::idp_now",
                format!("`IDP_NOW={v}` is not an RFC 3339 time"),
                "write it like `2026-11-23T10:00:00Z`, or unset it",
            )
        }),
        // Whole seconds: creation times end up in tags and digests, where nanoseconds are noise.
        Err(_) => Ok(
            jiff::Timestamp::from_second(jiff::Timestamp::now().as_second())
                .unwrap_or_else(|_| jiff::Timestamp::now()),
        ),
    }
}

/// The clock when `IDP_NOW` pins it, else `None` (a server reads the time per request).
pub fn pinned_now() -> Result<Option<jiff::Timestamp>, CliError> {
    match std::env::var_os("IDP_NOW") {
        Some(_) => now().map(Some),
        None => Ok(None),
    }
}

/// The clock of a command that changes an environment (apply, destroy, extend, sweep):
/// `IDP_NOW` pins it only in debug builds, which the integration tests run; a release
/// build refuses it (docs/decisions/0009-lifecycle-record.md).
pub fn clock() -> Result<idp_lifecycle::Clock, CliError> {
    let pinned = match std::env::var_os("IDP_NOW") {
        Some(_) => Some(now()?),
        None => None,
    };
    idp_lifecycle::Clock::for_mutation(pinned).map_err(CliError::input)
}

/// Loads the configuration: `--config` (or `IDP_CONFIG`) names the organisation's file
/// alone; otherwise the `idp.kdl` files from the repository root down to the nearest one
/// above `near`, the topmost being the organisation's (docs/security.md).
pub fn config(explicit: Option<&Path>, near: &Path) -> Result<ProjectConfig, CliError> {
    Ok(match explicit {
        Some(p) => ProjectConfig::load(p)?,
        None => ProjectConfig::load_layered(&idp_config::discover(near).map_err(CliError::input)?)?,
    })
}

/// The state store: `IDP_STATE_DIR`, else the configured directory.
pub fn state(config: &ProjectConfig) -> StateStore {
    match std::env::var_os("IDP_STATE_DIR") {
        Some(d) => StateStore::new(PathBuf::from(d)),
        None => StateStore::new(config.state_dir.clone()),
    }
}

/// The local state directory alone (`cost --compare NAME` reads the applied estimate
/// there): `IDP_STATE_DIR` when set, else the one `idp.kdl` configures.
pub fn state_only(explicit: Option<&Path>) -> Result<StateStore, CliError> {
    if let (None, Some(d)) = (explicit, std::env::var_os("IDP_STATE_DIR")) {
        return Ok(StateStore::new(PathBuf::from(d)));
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    Ok(state(&config(explicit, &cwd)?))
}

/// Where records live: S3 with `state s3 { … }` in idp.kdl, else the local directory.
pub fn records(config: &ProjectConfig) -> Result<Arc<dyn RecordStore>, CliError> {
    Ok(match &config.remote_state {
        Some(s3) => Arc::new(idp_state_s3::S3Store::connect(s3)?),
        None => Arc::new(state(config)),
    })
}

/// What commands that may run without `idp.kdl` work with (`list`, `show`, `destroy`,
/// `sweep`…): the configuration when there is one, read once, the local state directory
/// and the record store.
pub struct Surroundings {
    pub config: Option<ProjectConfig>,
    pub state: StateStore,
    pub records: Arc<dyn RecordStore>,
    /// Whether OpenTofu reaches the state bucket path-style (an S3-compatible endpoint).
    pub path_style: bool,
    /// The project's root (the git checkout around the current directory): recorded
    /// spec paths are relative to it.
    pub root: PathBuf,
}

/// `idp.kdl` from `--config` or above the current directory; without one,
/// `IDP_STATE_DIR` alone names a local store.
pub fn surroundings(explicit: Option<&Path>) -> Result<Surroundings, CliError> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let root = idp_lifecycle::project_root(&cwd);
    let config = match (explicit, idp_config::discover(&cwd)) {
        (None, Err(not_found)) => match std::env::var_os("IDP_STATE_DIR") {
            Some(d) => {
                let state = StateStore::new(PathBuf::from(d));
                return Ok(Surroundings {
                    config: None,
                    records: Arc::new(state.clone()),
                    state,
                    path_style: false,
                    root,
                });
            }
            None => return Err(CliError::input(not_found)),
        },
        _ => config(explicit, &cwd)?,
    };
    Ok(Surroundings {
        state: state(&config),
        records: records(&config)?,
        path_style: config
            .remote_state
            .as_ref()
            .is_some_and(idp_state_s3::path_style),
        config: Some(config),
        root,
    })
}

/// The record store for commands that need nothing else (`list`, `show`, `extend`).
pub fn records_only(explicit: Option<&Path>) -> Result<Arc<dyn RecordStore>, CliError> {
    Ok(surroundings(explicit)?.records)
}

/// Everything the pipeline needs, reading records where idp.kdl keeps them.
pub fn project(explicit: Option<&Path>, near: &Path) -> Result<Project, CliError> {
    let config = config(explicit, near)?;
    let records = records(&config)?;
    let mut project = project_of(config, idp_host::Isolation::Strict)?;
    project.records = records;
    Ok(project)
}

/// The `rustc` `idp plugin build` uses instead of looking for one: `IDP_GUEST_RUSTC`
/// (the tests name `/nonexistent` to play a machine with no guest toolchain).
pub fn guest_rustc() -> Option<PathBuf> {
    std::env::var_os("IDP_GUEST_RUSTC").map(PathBuf::from)
}

/// The plugin host. With `IDP_PLUGIN_LOG=1` what plugins log is shown on stderr, each
/// line named with its plugin and escaped; otherwise it is dropped (decision 0008).
pub fn host(isolation: idp_host::Isolation) -> Result<PluginHost, CliError> {
    let host = PluginHost::new(cache_dir(), limits(isolation)).map_err(CliError::plugin)?;
    Ok(
        if std::env::var_os("IDP_PLUGIN_LOG").is_some_and(|v| v == "1") {
            host.with_log_sink(Arc::new(|line| eprintln!("{line}")))
        } else {
            host
        },
    )
}

/// Everything the pipeline needs, for a configuration already loaded. Records are read
/// from the local directory: `idp check` never needs the network.
pub fn project_of(
    config: ProjectConfig,
    isolation: idp_host::Isolation,
) -> Result<Project, CliError> {
    let catalog = Catalog::with_dirs(&config.catalogs).map_err(CliError::input)?;
    let host = host(isolation)?;
    let state = state(&config);
    // The organisation's book and rates (its idp.kdl's `pricing`) go on top of the rest.
    let prices = config.pricing.apply(prices()?);
    Ok(Project {
        config,
        catalog,
        host,
        records: Arc::new(state.clone()),
        state,
        prices,
    })
}

/// Where `idp pricing refresh` writes the book `idp` prefers over the embedded one.
pub fn refreshed_price_book() -> Option<PathBuf> {
    cache_dir().map(|d| d.join("pricebook.json"))
}

/// The embedded price book, overlaid with the refreshed one while it is younger than
/// `IDP_PRICE_BOOK_MAX_AGE_DAYS` (default 30). A stale or unreadable refreshed book is
/// ignored with a warning, never half used.
pub fn prices() -> Result<idp_price::PriceBook, CliError> {
    let embedded = idp_price::PriceBook::embedded();
    let Some(path) = refreshed_price_book().filter(|p| p.is_file()) else {
        return Ok(embedded);
    };
    let max_age: i64 = std::env::var("IDP_PRICE_BOOK_MAX_AGE_DAYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let book = match idp_price::PriceBook::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!(
                "warning: ignoring the refreshed price book `{}`: {e}",
                path.display()
            );
            return Ok(embedded);
        }
    };
    let today = now()?.to_zoned(jiff::tz::TimeZone::UTC).date();
    let age = book
        .snapshot
        .parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.until(today).ok())
        .map(|span| i64::from(span.get_days()));
    match age {
        Some(days) if days <= max_age => Ok(embedded.overlaid_with(book)),
        _ => {
            eprintln!(
                "warning: the refreshed price book `{}` ({}) is older than {max_age} days; using the embedded one (run `idp pricing refresh`)",
                path.display(),
                book.snapshot
            );
            Ok(embedded)
        }
    }
}

/// `tofu` or `terraform` when `--run` asks for it; an input error when neither is on PATH.
pub fn tool(run: bool) -> Result<Option<idp_executor::Tool>, CliError> {
    if !run {
        return Ok(None);
    }
    idp_executor::find_tool()
        .map(Some)
        .ok_or_else(|| CliError::input(idp_executor::ExecError::NoTool))
}
