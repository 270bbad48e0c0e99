use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use idp_model::{
    CostEstimate, Environment, Finding, ModuleCall, PluginKind, PolicyInfo, Rendering, TemplateInfo,
};
use sha2::{Digest, Sha256};
use wasmtime::component::{Component, InstancePre, Linker};
use wasmtime::{Config, Engine, Store, Trap};

use crate::cache::CompileCache;
use crate::limits::{Exceeded, Isolation, Limits, StoreState, TABLE_ELEMENTS};
use crate::{HostError, SUPPORTED_WIT_VERSIONS, v0_1};

/// How often the epoch advances; a call's deadline is counted in these ticks.
const TICK: Duration = Duration::from_millis(5);

/// How wasmtime says a lift ran out of hostcall fuel (its error type is private). The
/// hostile `flood` and `alias` tests fail if an upgrade changes it.
const OUTPUT_FUEL_EXHAUSTED: &str = "fuel allocated for hostcalls has been exhausted";

/// The sha256 of a component, in lowercase hex: the identity the catalog pins.
pub fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Advances the engine's epoch while any host or plugin is alive, so every call's
/// deadline is measured without a thread per call.
struct Ticker {
    stop: Arc<AtomicBool>,
}

type Spawn = fn(
    std::thread::Builder,
    Box<dyn FnOnce() + Send>,
) -> std::io::Result<std::thread::JoinHandle<()>>;

impl Ticker {
    /// Starts the thread. Without it no deadline ever fires, so failing to start it
    /// fails the host rather than running plugins without a time limit.
    fn start(engine: Engine, spawn: Spawn) -> Result<Self, HostError> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let tick = Box::new(move || {
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(TICK);
                engine.increment_epoch();
            }
        });
        spawn(std::thread::Builder::new().name("idp-epoch".into()), tick).map_err(|e| {
            HostError::Engine(format!(
                "the thread that enforces time limits did not start: {e}"
            ))
        })?;
        Ok(Ticker { stop })
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn spawn_thread(
    builder: std::thread::Builder,
    f: Box<dyn FnOnce() + Send>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    builder.spawn(f)
}

/// What every loaded plugin shares with its host.
#[derive(Clone)]
struct Shared {
    engine: Engine,
    limits: Limits,
    _ticker: Arc<Ticker>,
}

/// Loads plugins: one engine, linkers built once, compiled code cached on disk.
pub struct PluginHost {
    shared: Shared,
    cache: CompileCache,
    linker: Linker<StoreState>,
}

impl PluginHost {
    /// A host whose compiled components are cached in `cache_dir` (`None` compiles every
    /// time), verified with the key at [`default_cache_key_file`](crate::default_cache_key_file).
    pub fn new(cache_dir: Option<PathBuf>, limits: Limits) -> Result<Self, HostError> {
        Self::with_cache_key(cache_dir, crate::cache::default_key_file(), limits)
    }

    /// A host whose compiled components are cached in `cache_dir`, each file verified
    /// with the secret key in `key_file` (created if missing). The key file must live
    /// outside the cache directory; without one, nothing is read from or written to the
    /// cache (docs/decisions/0008-sandbox-budget.md).
    pub fn with_cache_key(
        cache_dir: Option<PathBuf>,
        key_file: Option<PathBuf>,
        limits: Limits,
    ) -> Result<Self, HostError> {
        Self::build(cache_dir, key_file, limits, spawn_thread)
    }

    fn build(
        cache_dir: Option<PathBuf>,
        key_file: Option<PathBuf>,
        limits: Limits,
        spawn: Spawn,
    ) -> Result<Self, HostError> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        let engine = Engine::new(&config).map_err(|e| HostError::Engine(e.to_string()))?;
        let cache = CompileCache::new(&engine, cache_dir, key_file.as_deref());
        // Plugins import nothing: the linker stays empty, which is the sandbox.
        let linker = Linker::new(&engine);
        Ok(PluginHost {
            shared: Shared {
                _ticker: Arc::new(Ticker::start(engine.clone(), spawn)?),
                engine,
                limits,
            },
            cache,
            linker,
        })
    }

    /// The limits every call runs under.
    pub fn limits(&self) -> Limits {
        self.shared.limits
    }

    fn compile(&self, label: &str, bytes: &[u8]) -> Result<Component, HostError> {
        self.cache
            .load(&self.shared.engine, &digest(bytes), bytes)
            .map_err(|e| HostError::InvalidComponent {
                plugin: label.to_owned(),
                reason: root_cause(&e),
            })
    }

    /// The names a component exports.
    fn exports(&self, component: &Component) -> Vec<String> {
        component
            .component_type()
            .exports(&self.shared.engine)
            .map(|(name, _)| name.to_owned())
            .collect()
    }

    fn check_contract<K: Kind>(&self, label: &str, component: &Component) -> Result<(), HostError> {
        let exports = self.exports(component);
        if exports.iter().any(|e| e == K::EXPORT) {
            return Ok(());
        }
        Err(HostError::UnsupportedContract {
            plugin: label.to_owned(),
            interface: K::INTERFACE,
            found: found(&exports),
            supported: supported(&[K::INTERFACE]),
        })
    }

    /// Loads a component of kind `K` and asks it for its info: the one loader.
    fn load<K: Kind>(&self, name: &str, bytes: &[u8]) -> Result<Plugin<K>, HostError> {
        let label = format!("{} `{name}`", K::KIND);
        let component = self.compile(&label, bytes)?;
        self.instantiate(label, &component)
    }

    /// Checks a compiled component against kind `K`'s contract, links it and asks it
    /// for its info.
    fn instantiate<K: Kind>(
        &self,
        label: String,
        component: &Component,
    ) -> Result<Plugin<K>, HostError> {
        self.check_contract::<K>(&label, component)?;
        let pre = self
            .linker
            .instantiate_pre(component)
            .and_then(K::pre)
            .map_err(|e| HostError::Instantiate {
                plugin: label.clone(),
                reason: root_cause(&e),
            })?;
        let mut runner = Runner {
            shared: self.shared.clone(),
            label,
            pre,
            warm: Mutex::new(None),
        };
        let info = runner
            .call("info", K::info)?
            .map_err(|reason| runner.invalid("info", reason))?;
        let (name, version) = K::name_and_version(&info);
        // What a plugin says about itself is data: escaped before it names the plugin in
        // any message (`idp_model::printable` adds the backticks).
        runner.label = format!(
            "{} {} {}",
            K::KIND,
            idp_model::printable(name),
            idp_model::printable(version).trim_matches('`')
        );
        Ok(Plugin { runner, info })
    }

    /// Loads a template component and asks it for its [`TemplateInfo`].
    pub fn load_template(&self, name: &str, bytes: &[u8]) -> Result<TemplatePlugin, HostError> {
        self.load(name, bytes).map(TemplatePlugin)
    }

    /// Loads a policy component and asks it for its [`PolicyInfo`].
    pub fn load_policy(&self, name: &str, bytes: &[u8]) -> Result<PolicyPlugin, HostError> {
        self.load(name, bytes).map(PolicyPlugin)
    }

    /// Loads a component of either kind, taking the kind from the interface it exports
    /// (`idp:plugin/template@…` or `idp:plugin/policy@…`), for tools that are handed a
    /// component without being told what it is (`idp plugin build`, `idp plugin inspect`).
    pub fn load_any(&self, name: &str, bytes: &[u8]) -> Result<AnyPlugin, HostError> {
        let label = format!("plugin `{name}`");
        let component = self.compile(&label, bytes)?;
        let exports = self.exports(&component);
        let exports_kind = |interface: &str| {
            let prefix = format!("idp:plugin/{interface}@");
            exports.iter().any(|e| e.starts_with(&prefix))
        };
        if exports_kind(v0_1::Template::INTERFACE) {
            let label = format!("{} `{name}`", PluginKind::Template);
            return self
                .instantiate(label, &component)
                .map(|p| AnyPlugin::Template(TemplatePlugin(p)));
        }
        if exports_kind(v0_1::Policy::INTERFACE) {
            let label = format!("{} `{name}`", PluginKind::Policy);
            return self
                .instantiate(label, &component)
                .map(|p| AnyPlugin::Policy(PolicyPlugin(p)));
        }
        Err(HostError::UnsupportedContract {
            plugin: label,
            interface: "template or policy",
            found: found(&exports),
            supported: supported(&[v0_1::Template::INTERFACE, v0_1::Policy::INTERFACE]),
        })
    }
}

/// A plugin whose kind was read from its component: what [`PluginHost::load_any`] returns.
pub enum AnyPlugin {
    /// The component exports `idp:plugin/template`.
    Template(TemplatePlugin),
    /// The component exports `idp:plugin/policy`.
    Policy(PolicyPlugin),
}

/// What a component exports, for a message: ``` `a`, `b` ``` or `nothing`.
fn found(exports: &[String]) -> String {
    if exports.is_empty() {
        return "nothing".to_owned();
    }
    exports
        .iter()
        .map(|e| format!("`{e}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every supported version of the given interfaces, for a message.
fn supported(interfaces: &[&str]) -> String {
    interfaces
        .iter()
        .flat_map(|i| {
            SUPPORTED_WIT_VERSIONS
                .iter()
                .map(move |v| format!("`idp:plugin/{i}@{v}`"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The last cause in a wasmtime error chain: the part a user can act on.
fn root_cause(e: &wasmtime::Error) -> String {
    e.chain()
        .last()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// What differs between a template and a policy plugin: the contract's names and how
/// to instantiate and ask for info. Everything else, every limit among it, is
/// [`Runner`]'s, once for both.
pub(crate) trait Kind {
    /// The kind, as catalogs and messages name it.
    const KIND: PluginKind;
    /// `template` or `policy`: the interface's name in the WIT package.
    const INTERFACE: &'static str;
    /// The version of the `idp:plugin` package (`0.1.0`).
    const WIT_VERSION: &'static str;
    /// The interface this version of the contract exports.
    const EXPORT: &'static str;
    /// The component, linked and type-checked against the contract.
    type Pre: Send + Sync;
    /// An instance's generated bindings.
    type Bindings: Send;
    /// What the plugin says about itself.
    type Info;

    fn pre(pre: InstancePre<StoreState>) -> wasmtime::Result<Self::Pre>;
    fn instantiate(
        pre: &Self::Pre,
        store: &mut Store<StoreState>,
    ) -> wasmtime::Result<Self::Bindings>;
    /// Calls `info()`; the inner `Err` is an answer that breaks the contract.
    fn info(
        store: &mut Store<StoreState>,
        bindings: &Self::Bindings,
    ) -> wasmtime::Result<Result<Self::Info, v0_1::Invalid>>;
    fn name_and_version(info: &Self::Info) -> (&str, &str);
}

/// A plugin's instance kept between calls under [`Isolation::Reuse`].
type Warm<B> = Mutex<Option<(Store<StoreState>, B)>>;

/// Runs calls into one loaded component under the host's limits.
struct Runner<K: Kind> {
    shared: Shared,
    label: String,
    pre: K::Pre,
    warm: Warm<K::Bindings>,
}

impl<K: Kind> Runner<K> {
    /// A store with the whole budget: time, memory and tables (the limiter), and output
    /// (wasmtime's hostcall fuel, spent while lifting the answer, before each string or
    /// list is copied).
    fn store(&self) -> Store<StoreState> {
        let limits = self.shared.limits;
        let mut store = Store::new(&self.shared.engine, StoreState::new(&limits));
        store.limiter(|s| s);
        store.epoch_deadline_trap();
        store.set_hostcall_fuel(limits.output_bytes);
        store
    }

    /// Runs one call in a fresh store or (under [`Isolation::Reuse`]) in the warm
    /// instance, turning traps, timeouts and refusals into named errors. A failed
    /// call's instance is dropped, never reused.
    fn call<T>(
        &self,
        function: &'static str,
        call: impl FnOnce(&mut Store<StoreState>, &K::Bindings) -> wasmtime::Result<T>,
    ) -> Result<T, HostError> {
        let limits = self.shared.limits;
        let reuse = limits.isolation == Isolation::Reuse;
        // A poisoned lock only means another call panicked; its instance was taken out first.
        let mut slot = self
            .warm
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (mut store, bindings) = match slot.take().filter(|_| reuse) {
            Some(kept) => kept,
            None => {
                let mut store = self.store();
                self.set_deadline(&mut store);
                match K::instantiate(&self.pre, &mut store) {
                    Ok(bindings) => (store, bindings),
                    Err(e) => return Err(self.failure(&store, function, &e, true)),
                }
            }
        };
        // The deadline counts from now, for a warm instance as for a fresh one.
        self.set_deadline(&mut store);
        match call(&mut store, &bindings) {
            Ok(value) => {
                if reuse {
                    *slot = Some((store, bindings));
                }
                Ok(value)
            }
            Err(e) => Err(self.failure(&store, function, &e, false)),
        }
    }

    fn set_deadline(&self, store: &mut Store<StoreState>) {
        let ticks = self.shared.limits.timeout.as_millis() / TICK.as_millis();
        store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX).max(1));
    }

    /// Names what went wrong: the budget that ran out, else the trap or the failed
    /// instantiation.
    fn failure(
        &self,
        store: &Store<StoreState>,
        function: &'static str,
        e: &wasmtime::Error,
        instantiating: bool,
    ) -> HostError {
        let limits = self.shared.limits;
        let plugin = self.label.clone();
        let reason = root_cause(e);
        if e.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
            return HostError::Timeout {
                plugin,
                function,
                limit: limits.timeout,
            };
        }
        match store.data().exceeded {
            Some(Exceeded::Memory) => HostError::MemoryLimit {
                plugin,
                function,
                limit_mib: limits.memory_bytes >> 20,
            },
            Some(Exceeded::Table) => HostError::TableLimit {
                plugin,
                function,
                limit: TABLE_ELEMENTS,
            },
            None if reason.contains(OUTPUT_FUEL_EXHAUSTED) => HostError::OutputTooLarge {
                plugin,
                function,
                limit: limits.output_bytes,
            },
            None if instantiating => HostError::Instantiate { plugin, reason },
            None => HostError::Trap {
                plugin,
                function,
                reason,
            },
        }
    }

    fn invalid(&self, function: &'static str, reason: v0_1::Invalid) -> HostError {
        HostError::InvalidOutput {
            plugin: self.label.clone(),
            function,
            reason,
        }
    }
}

/// A loaded plugin of kind `K`: its runner and what it said about itself at load.
struct Plugin<K: Kind> {
    runner: Runner<K>,
    info: K::Info,
}

impl<K: Kind> Plugin<K> {
    fn wit_version(&self) -> &'static str {
        K::WIT_VERSION
    }
}

/// A loaded template plugin.
pub struct TemplatePlugin(Plugin<v0_1::Template>);

impl TemplatePlugin {
    /// How errors name this plugin: ``template `api-service` 0.1.0``.
    pub fn label(&self) -> &str {
        &self.0.runner.label
    }

    /// What the template said about itself when it was loaded.
    pub fn info(&self) -> &TemplateInfo {
        &self.0.info
    }

    /// The version of the `idp:plugin` contract the component was built for (`0.1.0`).
    pub fn wit_version(&self) -> &str {
        self.0.wit_version()
    }

    /// Renders an environment. `Ok(Err(findings))` is the template refusing the inputs;
    /// `Err` is the plugin failing.
    pub fn render(&self, env: &Environment) -> Result<Result<Rendering, Vec<Finding>>, HostError> {
        let input = v0_1::environment(env);
        let raw = self.0.runner.call("render", |store, p| {
            p.idp_plugin_template().call_render(store, &input)
        })?;
        match raw {
            Ok(r) => v0_1::rendering(r)
                .map(Ok)
                .map_err(|reason| self.0.runner.invalid("render", reason)),
            Err(findings) => Ok(Err(findings.into_iter().map(v0_1::finding).collect())),
        }
    }
}

/// A loaded policy plugin.
pub struct PolicyPlugin(Plugin<v0_1::Policy>);

impl PolicyPlugin {
    /// How errors name this plugin: ``policy `max-ttl` 0.1.0``.
    pub fn label(&self) -> &str {
        &self.0.runner.label
    }

    /// What the policy said about itself when it was loaded.
    pub fn info(&self) -> &PolicyInfo {
        &self.0.info
    }

    /// The version of the `idp:plugin` contract the component was built for (`0.1.0`).
    pub fn wit_version(&self) -> &str {
        self.0.wit_version()
    }

    /// Judges one environment with the given settings (a JSON object).
    pub fn evaluate(
        &self,
        env: &Environment,
        calls: &[ModuleCall],
        cost: Option<CostEstimate>,
        settings: &serde_json::Value,
    ) -> Result<Vec<Finding>, HostError> {
        let input = v0_1::policy_input(env, calls, cost);
        let settings = settings.to_string();
        let raw = self.0.runner.call("evaluate", |store, p| {
            p.idp_plugin_policy()
                .call_evaluate(store, &input, &settings)
        })?;
        Ok(raw.into_iter().map(v0_1::finding).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    fn host() -> PluginHost {
        PluginHost::new(None, Limits::default()).expect("host")
    }

    fn template(name: &str, version: &str) -> Vec<u8> {
        let wat = fixtures::template(name, "", "unreachable");
        fixtures::component(&wat, "template-plugin", version)
    }

    fn policy(name: &str, version: &str) -> Vec<u8> {
        let wat = fixtures::policy(name, "", fixtures::NO_FINDINGS);
        fixtures::component(&wat, "policy-plugin", version)
    }

    #[test]
    fn load_any_takes_the_kind_from_the_exports() {
        let host = host();
        match host.load_any("t", &template("a-template", "0.1.0")) {
            Ok(AnyPlugin::Template(t)) => {
                assert_eq!(t.info().name, "a-template");
                assert_eq!(t.wit_version(), "0.1.0");
                assert_eq!(t.label(), "template `a-template` 0.1.0");
            }
            Ok(AnyPlugin::Policy(_)) => panic!("a template loaded as a policy"),
            Err(e) => panic!("{e}"),
        }
        match host.load_any("p", &policy("a-policy", "0.1.0")) {
            Ok(AnyPlugin::Policy(p)) => {
                assert_eq!(p.info().name, "a-policy");
                assert_eq!(p.wit_version(), "0.1.0");
            }
            Ok(AnyPlugin::Template(_)) => panic!("a policy loaded as a template"),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn load_any_names_the_kind_of_an_unsupported_version() {
        let err = host()
            .load_any("future", &template("future", "0.3.0"))
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "template `future`: built for `idp:plugin/template@0.3.0`; this idp supports `idp:plugin/template@0.1.0`"
            )
        );
    }

    #[test]
    fn load_any_refuses_what_is_not_a_plugin() {
        let bytes = wat::parse_str("(component)").expect("component");
        let err = host()
            .load_any("empty", &bytes)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "plugin `empty`: built for nothing; this idp supports `idp:plugin/template@0.1.0`, `idp:plugin/policy@0.1.0`"
            )
        );
    }

    fn refuse(
        _: std::thread::Builder,
        _: Box<dyn FnOnce() + Send>,
    ) -> std::io::Result<std::thread::JoinHandle<()>> {
        Err(std::io::Error::other("no threads left"))
    }

    #[test]
    fn a_time_limit_that_cannot_start_is_an_error() {
        let err = PluginHost::build(None, None, Limits::default(), refuse)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "cannot start the WebAssembly engine: the thread that enforces time limits did not start: no threads left"
            )
        );
    }
}
