use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use idp_model::{
    CostEstimate, Environment, Finding, InputParts, ModuleCall, PluginKind, PolicyInfo, Rendering,
    TemplateInfo,
};
use sha2::{Digest, Sha256};
use wasmtime::component::{Component, InstancePre, Linker};
use wasmtime::{Config, Engine, Store, Trap};

use crate::cache::CompileCache;
use crate::limits::{Exceeded, Isolation, Limits, StoreState, TABLE_ELEMENTS};
use crate::logging::{LogLine, LogSink, Report};
use crate::{HostError, SUPPORTED_WIT_VERSIONS, v0_1, v0_2};

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
    log: Option<LogSink>,
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
        // The linker is the sandbox: it holds only `idp:plugin/log` (0.2.0), which
        // cannot change what a plugin answers. 0.1.0 plugins import nothing.
        let mut linker = Linker::new(&engine);
        v0_2::add_to_linker(&mut linker).map_err(|e| HostError::Engine(root_cause(&e)))?;
        Ok(PluginHost {
            shared: Shared {
                _ticker: Arc::new(Ticker::start(engine.clone(), spawn)?),
                engine,
                limits,
                log: None,
            },
            cache,
            linker,
        })
    }

    /// The limits every call runs under.
    pub fn limits(&self) -> Limits {
        self.shared.limits
    }

    /// Sends what plugins loaded from now on log (`idp:plugin/log`, 0.2.0) to `sink`,
    /// one escaped line at a time, after each call. Without a sink, log lines are
    /// dropped; a panic's message is never dropped: it is in the call's error.
    pub fn with_log_sink(mut self, sink: LogSink) -> Self {
        self.shared.log = Some(sink);
        self
    }

    /// Whether what plugins log is sent somewhere ([`PluginHost::with_log_sink`]).
    pub fn has_log_sink(&self) -> bool {
        self.shared.log.is_some()
    }

    /// The compiled component of `bytes`, whose sha256 is `sha256`.
    fn compile(&self, label: &str, bytes: &[u8], sha256: &str) -> Result<Component, HostError> {
        self.cache
            .load(&self.shared.engine, sha256, bytes)
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
        if self.exports_interface(component, K::EXPORT) {
            return Ok(());
        }
        Err(HostError::UnsupportedContract {
            plugin: label.to_owned(),
            interface: K::INTERFACE,
            found: found(&self.exports(component)),
            supported: supported(&[K::INTERFACE]),
        })
    }

    /// Whether a component exports `interface` (`idp:plugin/template@0.2.0`).
    fn exports_interface(&self, component: &Component, interface: &str) -> bool {
        self.exports(component).iter().any(|e| e == interface)
    }

    /// Loads a template from a compiled component, of whichever supported version it
    /// exports; 0.1.0's check names every supported version when it is neither.
    fn template(&self, label: String, component: &Component) -> Result<TemplatePlugin, HostError> {
        Ok(TemplatePlugin(
            if self.exports_interface(component, v0_2::Template::EXPORT) {
                Box::new(self.instantiate::<v0_2::Template>(label, component)?)
            } else {
                Box::new(self.instantiate::<v0_1::Template>(label, component)?)
            },
        ))
    }

    /// Loads a policy from a compiled component, like [`PluginHost::template`].
    fn policy(&self, label: String, component: &Component) -> Result<PolicyPlugin, HostError> {
        Ok(PolicyPlugin(
            if self.exports_interface(component, v0_2::Policy::EXPORT) {
                Box::new(self.instantiate::<v0_2::Policy>(label, component)?)
            } else {
                Box::new(self.instantiate::<v0_1::Policy>(label, component)?)
            },
        ))
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
        self.load_pinned_template(name, bytes, &digest(bytes))
    }

    /// Loads a policy component and asks it for its [`PolicyInfo`].
    pub fn load_policy(&self, name: &str, bytes: &[u8]) -> Result<PolicyPlugin, HostError> {
        self.load_pinned_policy(name, bytes, &digest(bytes))
    }

    /// [`PluginHost::load_template`] for bytes the caller has just checked against their
    /// pinned sha256 (as `idp_catalog::Catalog::resolve` does): `sha256` names the
    /// compiled code in the cache, instead of hashing the component a second time. The
    /// code that runs is then the cached compilation of exactly the pinned component.
    pub fn load_pinned_template(
        &self,
        name: &str,
        bytes: &[u8],
        sha256: &str,
    ) -> Result<TemplatePlugin, HostError> {
        let label = format!("{} `{name}`", PluginKind::Template);
        let component = self.compile(&label, bytes, sha256)?;
        self.template(label, &component)
    }

    /// [`PluginHost::load_policy`] for bytes checked against their pinned sha256, like
    /// [`PluginHost::load_pinned_template`].
    pub fn load_pinned_policy(
        &self,
        name: &str,
        bytes: &[u8],
        sha256: &str,
    ) -> Result<PolicyPlugin, HostError> {
        let label = format!("{} `{name}`", PluginKind::Policy);
        let component = self.compile(&label, bytes, sha256)?;
        self.policy(label, &component)
    }

    /// Loads a component of either kind, taking the kind from the interface it exports
    /// (`idp:plugin/template@…` or `idp:plugin/policy@…`), for tools that are handed a
    /// component without being told what it is (`idp plugin build`, `idp plugin inspect`).
    pub fn load_any(&self, name: &str, bytes: &[u8]) -> Result<AnyPlugin, HostError> {
        let label = format!("plugin `{name}`");
        let component = self.compile(&label, bytes, &digest(bytes))?;
        let exports = self.exports(&component);
        let exports_kind = |interface: &str| {
            let prefix = format!("idp:plugin/{interface}@");
            exports.iter().any(|e| e.starts_with(&prefix))
        };
        if exports_kind(v0_1::Template::INTERFACE) {
            let label = format!("{} `{name}`", PluginKind::Template);
            return self.template(label, &component).map(AnyPlugin::Template);
        }
        if exports_kind(v0_1::Policy::INTERFACE) {
            let label = format!("{} `{name}`", PluginKind::Policy);
            return self.policy(label, &component).map(AnyPlugin::Policy);
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
    type Info: Send + Sync;

    fn pre(pre: InstancePre<StoreState>) -> wasmtime::Result<Self::Pre>;
    fn instantiate(
        pre: &Self::Pre,
        store: &mut Store<StoreState>,
    ) -> wasmtime::Result<Self::Bindings>;
    /// Calls `info()`; the inner `Err` is an answer that breaks the contract.
    fn info(
        store: &mut Store<StoreState>,
        bindings: &Self::Bindings,
    ) -> wasmtime::Result<Result<Self::Info, Invalid>>;
    fn name_and_version(info: &Self::Info) -> (&str, &str);
}

/// Why a guest's answer breaks the contract.
pub(crate) type Invalid = String;

/// A template plugin of one version of the contract.
pub(crate) trait TemplateKind: Kind<Info = TemplateInfo> {
    /// Calls `render`; the inner `Err` is an answer that breaks the contract.
    #[allow(clippy::type_complexity)]
    fn render(
        store: &mut Store<StoreState>,
        bindings: &Self::Bindings,
        env: &Environment,
    ) -> wasmtime::Result<Result<Result<Rendering, Vec<Finding>>, Invalid>>;
}

/// A policy plugin of one version of the contract.
pub(crate) trait PolicyKind: Kind<Info = PolicyInfo> {
    /// What `evaluate` is given besides the settings, converted before the call starts.
    type Input;

    /// The input in this version's types with the parts `reads` names, converted on the
    /// first call for `args` that reads those parts.
    fn input<'a>(args: &'a PolicyArgs<'_>, reads: InputParts) -> &'a Self::Input;
    fn evaluate(
        store: &mut Store<StoreState>,
        bindings: &Self::Bindings,
        input: &Self::Input,
        settings: &str,
    ) -> wasmtime::Result<Vec<Finding>>;
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
    /// list is copied, and by what the plugin logs; see [`Runner::start`]).
    fn store(&self) -> Store<StoreState> {
        let limits = self.shared.limits;
        let mut store = Store::new(&self.shared.engine, StoreState::new(&limits));
        store.limiter(|s| s);
        store.epoch_deadline_trap();
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
        let reuse = self.shared.limits.isolation == Isolation::Reuse;
        // A poisoned lock only means another call panicked; its instance was taken out first.
        let mut slot = self
            .warm
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (mut store, bindings) = match slot.take().filter(|_| reuse) {
            Some(kept) => kept,
            None => {
                let mut store = self.store();
                self.start(&mut store);
                match K::instantiate(&self.pre, &mut store) {
                    Ok(bindings) => (store, bindings),
                    Err(e) => return Err(self.failure(&store, function, &e, true)),
                }
            }
        };
        // The budget counts from now, for a warm instance as for a fresh one.
        self.start(&mut store);
        let answer = call(&mut store, &bindings);
        self.flush_log(&mut store);
        match answer {
            Ok(value) => {
                if reuse {
                    *slot = Some((store, bindings));
                }
                Ok(value)
            }
            Err(e) => Err(self.failure(&store, function, &e, false)),
        }
    }

    /// Gives the store a call's whole budget: the deadline counted from now, the output
    /// budget full, nothing reported yet.
    fn start(&self, store: &mut Store<StoreState>) {
        let limits = self.shared.limits;
        let ticks = limits.timeout.as_millis() / TICK.as_millis();
        store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX).max(1));
        store.set_hostcall_fuel(limits.output_bytes);
        store.data_mut().report = Report::default();
    }

    /// Hands what the plugin logged during the call to the host's sink, named.
    fn flush_log(&self, store: &mut Store<StoreState>) {
        let lines = std::mem::take(&mut store.data_mut().report.lines);
        let Some(sink) = &self.shared.log else {
            return;
        };
        for (level, message) in &lines {
            sink(&LogLine {
                plugin: &self.label,
                level: *level,
                message,
            });
        }
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
            // A plugin that reported a panic (0.2.0) traps right after: show why.
            None => match store.data().report.panic.clone() {
                Some(message) => HostError::Panic {
                    plugin,
                    function,
                    message,
                },
                None => HostError::Trap {
                    plugin,
                    function,
                    reason,
                },
            },
        }
    }

    fn invalid(&self, function: &'static str, reason: Invalid) -> HostError {
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

/// What a loaded plugin of any version answers: the handles hold one behind a box,
/// so the rest of the engine never sees the contract's version.
trait Loaded<I>: Send + Sync {
    fn label(&self) -> &str;
    fn info(&self) -> &I;
    fn wit_version(&self) -> &'static str;
}

impl<K: Kind> Loaded<K::Info> for Plugin<K> {
    fn label(&self) -> &str {
        &self.runner.label
    }

    fn info(&self) -> &K::Info {
        &self.info
    }

    fn wit_version(&self) -> &'static str {
        K::WIT_VERSION
    }
}

/// A template of any version.
trait Renders: Loaded<TemplateInfo> {
    fn render(&self, env: &Environment) -> Result<Result<Rendering, Vec<Finding>>, HostError>;
}

impl<K: TemplateKind> Renders for Plugin<K> {
    fn render(&self, env: &Environment) -> Result<Result<Rendering, Vec<Finding>>, HostError> {
        self.runner
            .call("render", |store, p| K::render(store, p, env))?
            .map_err(|reason| self.runner.invalid("render", reason))
    }
}

/// A policy of any version.
trait Evaluates: Loaded<PolicyInfo> {
    fn evaluate(&self, args: &PolicyArgs<'_>, settings: &str) -> Result<Vec<Finding>, HostError>;
}

impl<K: PolicyKind> Evaluates for Plugin<K> {
    fn evaluate(&self, args: &PolicyArgs<'_>, settings: &str) -> Result<Vec<Finding>, HostError> {
        let info = self.info();
        if !info.applies_to(args.env.class) {
            // The policy said it does not judge this class: no call, no finding.
            return Ok(Vec::new());
        }
        let input = K::input(args, info.reads);
        self.runner.call("evaluate", |store, p| {
            K::evaluate(store, p, input, settings)
        })
    }
}

/// One environment as every policy judging it is handed it. Its conversion to the
/// contract's types (the inputs and each call's variables written out as JSON text) is
/// made on the first call of each contract version and combination of the parts a
/// policy reads ([`InputParts::index`]), and shared by the calls after, instead of once
/// per policy.
pub struct PolicyArgs<'a> {
    pub(crate) env: &'a Environment,
    pub(crate) calls: &'a [ModuleCall],
    pub(crate) cost: Option<CostEstimate>,
    pub(crate) v0_1: Prepared<crate::v0_1::PolicyInput>,
    pub(crate) v0_2: Prepared<crate::v0_2::PolicyInput>,
}

/// Converted inputs of one contract version, one per combination of parts read.
pub(crate) type Prepared<T> = [std::cell::OnceCell<T>; 8];

impl<'a> PolicyArgs<'a> {
    /// The environment, its template's module calls and its cost estimate, if any.
    pub fn new(env: &'a Environment, calls: &'a [ModuleCall], cost: Option<CostEstimate>) -> Self {
        PolicyArgs {
            env,
            calls,
            cost,
            v0_1: Default::default(),
            v0_2: Default::default(),
        }
    }
}

/// A loaded template plugin.
pub struct TemplatePlugin(Box<dyn Renders>);

impl TemplatePlugin {
    /// How errors name this plugin: ``template `api-service` 0.1.0``.
    pub fn label(&self) -> &str {
        self.0.label()
    }

    /// What the template said about itself when it was loaded.
    pub fn info(&self) -> &TemplateInfo {
        self.0.info()
    }

    /// The version of the `idp:plugin` contract the component was built for (`0.2.0`).
    pub fn wit_version(&self) -> &str {
        self.0.wit_version()
    }

    /// Renders an environment. `Ok(Err(findings))` is the template refusing the inputs;
    /// `Err` is the plugin failing.
    pub fn render(&self, env: &Environment) -> Result<Result<Rendering, Vec<Finding>>, HostError> {
        self.0.render(env)
    }
}

/// A loaded policy plugin.
pub struct PolicyPlugin(Box<dyn Evaluates>);

impl PolicyPlugin {
    /// How errors name this plugin: ``policy `max-ttl` 0.1.0``.
    pub fn label(&self) -> &str {
        self.0.label()
    }

    /// What the policy said about itself when it was loaded.
    pub fn info(&self) -> &PolicyInfo {
        self.0.info()
    }

    /// The version of the `idp:plugin` contract the component was built for (`0.2.0`).
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
        self.0
            .evaluate(&PolicyArgs::new(env, calls, cost), &settings.to_string())
    }

    /// Judges one environment with settings already written as JSON text: what a caller
    /// running several policies over one environment, or one policy over many, uses so
    /// that neither the environment nor the settings are serialised again per call.
    pub fn evaluate_prepared(
        &self,
        args: &PolicyArgs<'_>,
        settings_json: &str,
    ) -> Result<Vec<Finding>, HostError> {
        self.0.evaluate(args, settings_json)
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
                "template `future`: built for `idp:plugin/template@0.3.0`; this idp supports `idp:plugin/template@0.1.0`, `idp:plugin/template@0.2.0`"
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
                "plugin `empty`: built for nothing; this idp supports `idp:plugin/template@0.1.0`, `idp:plugin/template@0.2.0`, `idp:plugin/policy@0.1.0`, `idp:plugin/policy@0.2.0`"
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

    fn env() -> Environment {
        Environment {
            name: "e".into(),
            template: "t".into(),
            template_version: "0.1.0".into(),
            owner: "a@b.io".into(),
            team: "t".into(),
            class: idp_model::Class::Staging,
            region: "us-east-1".into(),
            ttl: idp_model::Ttl::Never,
            created_at: Default::default(),
            expires_at: None,
            tags: vec![],
            inputs: serde_json::json!({}),
            schedule: None,
        }
    }

    fn evaluate(policy: &PolicyPlugin) -> Result<Vec<Finding>, HostError> {
        policy.evaluate(&env(), &[], None, &serde_json::json!({}))
    }

    /// A 0.2.0 policy whose `evaluate` is `(imports, body)`.
    fn policy_0_2(
        host: &PluginHost,
        name: &str,
        (imports, body): (String, String),
    ) -> PolicyPlugin {
        let wat = fixtures::policy(name, &imports, &body);
        let bytes = fixtures::component(&wat, "policy-plugin", "0.2.0");
        match host.load_policy(name, &bytes) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn a_reported_panic_is_the_error_of_the_trap_that_follows() {
        let host = host();
        let message = "index out of bounds: the len is 3 but the index is \u{1b}[31m7";
        let policy = policy_0_2(
            &host,
            "naming",
            fixtures::panics(message, "src/lib.rs:12:5"),
        );
        assert_eq!(policy.wit_version(), "0.2.0");
        let err = evaluate(&policy).expect_err("traps");
        assert!(matches!(err, HostError::Panic { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "policy `naming` 0.1.0 panicked in `evaluate`: index out of bounds: the len is 3 but the index is \\u{1b}[31m7 at src/lib.rs:12:5"
        );
    }

    #[test]
    fn a_template_panic_names_the_template_and_render() {
        let host = host();
        let (imports, body) = fixtures::panics("called `Option::unwrap()` on a `None` value", "");
        let wat = fixtures::template("docs-site", &imports, &body);
        let bytes = fixtures::component(&wat, "template-plugin", "0.2.0");
        let template = host.load_template("docs-site", &bytes).expect("loads");
        let err = template.render(&env()).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "template `docs-site` 0.1.0 panicked in `render`: called `Option::unwrap()` on a `None` value"
            )
        );
    }

    #[test]
    fn a_trap_without_a_report_stays_a_trap() {
        let host = host();
        let (imports, _) = fixtures::logs("", 0);
        let policy = policy_0_2(&host, "plain", (imports, "unreachable".into()));
        let err = evaluate(&policy).expect_err("traps");
        assert!(matches!(err, HostError::Trap { .. }), "{err:?}");
    }

    /// A host with `output_bytes` whose sink collects log lines.
    fn logging_host(
        output_bytes: usize,
        isolation: Isolation,
    ) -> (PluginHost, Arc<Mutex<Vec<String>>>) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let seen = lines.clone();
        let limits = Limits {
            output_bytes,
            isolation,
            ..Limits::default()
        };
        let host = PluginHost::new(None, limits)
            .expect("host")
            .with_log_sink(Arc::new(move |line: &LogLine<'_>| {
                if let Ok(mut lines) = seen.lock() {
                    lines.push(line.to_string());
                }
            }));
        (host, lines)
    }

    #[test]
    fn log_lines_reach_the_sink_escaped_and_named() {
        let (host, lines) = logging_host(4 << 20, Isolation::Strict);
        let policy = policy_0_2(&host, "chatty", fixtures::logs("one\nforged\u{1b}[2J", 2));
        assert_eq!(evaluate(&policy).expect("answers"), []);
        assert_eq!(
            *lines.lock().expect("lines"),
            [
                "policy `chatty` 0.1.0: warn: one\\nforged\\u{1b}[2J",
                "policy `chatty` 0.1.0: warn: one\\nforged\\u{1b}[2J"
            ]
        );
    }

    #[test]
    fn log_lines_count_against_the_output_budget() {
        let line = "x".repeat(3000);
        let (host, _) = logging_host(10_000, Isolation::Strict);
        let within = policy_0_2(&host, "within", fixtures::logs(&line, 3));
        evaluate(&within).expect("9,000 bytes of 10,000");
        let over = policy_0_2(&host, "over", fixtures::logs(&line, 4));
        let err = evaluate(&over).expect_err("12,000 bytes of 10,000");
        assert!(
            matches!(
                err,
                HostError::OutputTooLarge {
                    limit: 10_000,
                    function: "evaluate",
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn a_warm_instance_gets_a_whole_output_budget_per_call() {
        let line = "x".repeat(3000);
        let (host, _) = logging_host(10_000, Isolation::Reuse);
        let policy = policy_0_2(&host, "warm", fixtures::logs(&line, 3));
        for _ in 0..3 {
            evaluate(&policy).expect("9,000 bytes of 10,000, each call");
        }
    }

    /// A policy that traps when `evaluate` runs a second time in one instance.
    fn once_per_instance(host: &PluginHost) -> PolicyPlugin {
        let imports = "(global $called (mut i32) (i32.const 0))".to_owned();
        let body = format!(
            "(if (global.get $called) (then unreachable)) (global.set $called (i32.const 1)) {}",
            fixtures::NO_FINDINGS
        );
        policy_0_2(host, "once", (imports, body))
    }

    #[test]
    fn strict_isolation_judges_every_environment_in_a_fresh_instance() {
        let (strict, _) = logging_host(4 << 20, Isolation::Strict);
        let policy = once_per_instance(&strict);
        for _ in 0..3 {
            assert_eq!(evaluate(&policy).expect("a fresh instance each time"), []);
        }
        let (reuse, _) = logging_host(4 << 20, Isolation::Reuse);
        let policy = once_per_instance(&reuse);
        evaluate(&policy).expect("the first call");
        let err = evaluate(&policy).expect_err("the warm instance remembers");
        assert!(matches!(err, HostError::Trap { .. }), "{err:?}");
    }

    #[test]
    fn one_prepared_environment_serves_policies_of_both_versions() {
        let host = host();
        let old = host
            .load_policy("old", &policy("old", "0.1.0"))
            .expect("0.1.0");
        let new = host
            .load_policy("new", &policy("new", "0.2.0"))
            .expect("0.2.0");
        let env = env();
        let args = PolicyArgs::new(&env, &[], None);
        for p in [&old, &new, &old] {
            assert_eq!(p.evaluate_prepared(&args, "{}").expect("answers"), []);
        }
    }

    #[test]
    fn a_0_1_0_policy_still_loads_and_runs() {
        let policy = host()
            .load_policy("old", &policy("old", "0.1.0"))
            .expect("loads");
        assert_eq!(policy.wit_version(), "0.1.0");
        assert_eq!(evaluate(&policy).expect("answers"), []);
    }
}
