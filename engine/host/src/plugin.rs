use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use idp_model::{
    CostEstimate, Environment, Finding, ModuleCall, PluginKind, PolicyInfo, Rendering, TemplateInfo,
};
use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, Store, Trap};

use crate::cache::CompileCache;
use crate::limits::{Isolation, Limits, StoreState};
use crate::{HostError, SUPPORTED_WIT_VERSIONS, v0_1};

/// How often the epoch advances; a call's deadline is counted in these ticks.
const TICK: Duration = Duration::from_millis(5);

/// The sha256 of a component, in lowercase hex: the identity the catalog pins.
pub fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Advances the engine's epoch while any host or plugin is alive, so every call's
/// deadline is measured without a thread per call.
struct Ticker {
    stop: Arc<AtomicBool>,
}

impl Ticker {
    fn start(engine: Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("idp-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    engine.increment_epoch();
                }
            })
            .ok();
        Ticker { stop }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
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
    /// A host whose compiled components are cached in `cache_dir` (`None` compiles every time).
    pub fn new(cache_dir: Option<PathBuf>, limits: Limits) -> Result<Self, HostError> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        let engine = Engine::new(&config).map_err(|e| HostError::Engine(e.to_string()))?;
        let cache = CompileCache::new(&engine, cache_dir);
        // Plugins import nothing: the linker stays empty, which is the sandbox.
        let linker = Linker::new(&engine);
        Ok(PluginHost {
            shared: Shared {
                _ticker: Arc::new(Ticker::start(engine.clone())),
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

    fn check_contract(
        &self,
        label: &str,
        component: &Component,
        interface: &'static str,
        expected: &str,
    ) -> Result<(), HostError> {
        let ty = component.component_type();
        let exports: Vec<String> = ty
            .exports(&self.shared.engine)
            .map(|(name, _)| name.to_owned())
            .collect();
        if exports.iter().any(|e| e == expected) {
            return Ok(());
        }
        Err(HostError::UnsupportedContract {
            plugin: label.to_owned(),
            interface,
            found: if exports.is_empty() {
                "nothing".to_owned()
            } else {
                exports
                    .iter()
                    .map(|e| format!("`{e}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            supported: SUPPORTED_WIT_VERSIONS
                .iter()
                .map(|v| format!("`idp:plugin/{interface}@{v}`"))
                .collect::<Vec<_>>()
                .join(", "),
        })
    }

    /// Loads a template component and asks it for its [`TemplateInfo`].
    pub fn load_template(&self, name: &str, bytes: &[u8]) -> Result<TemplatePlugin, HostError> {
        let label = format!("{} `{name}`", PluginKind::Template);
        let component = self.compile(&label, bytes)?;
        self.check_contract(&label, &component, "template", v0_1::TEMPLATE_EXPORT)?;
        let pre = self
            .linker
            .instantiate_pre(&component)
            .and_then(v0_1::TemplatePluginPre::new)
            .map_err(|e| HostError::Instantiate {
                plugin: label.clone(),
                reason: root_cause(&e),
            })?;
        let mut plugin = TemplatePlugin {
            shared: self.shared.clone(),
            label,
            pre,
            info: None,
            warm: Mutex::new(None),
        };
        let raw = plugin.call("info", |store, p| p.idp_plugin_template().call_info(store))?;
        let size = v0_1::template_info_size(&raw);
        plugin.check_size("info", size)?;
        let info = v0_1::template_info(raw).map_err(|reason| plugin.invalid("info", reason))?;
        plugin.label = format!("{} `{}` {}", PluginKind::Template, info.name, info.version);
        plugin.info = Some(info);
        Ok(plugin)
    }

    /// Loads a policy component and asks it for its [`PolicyInfo`].
    pub fn load_policy(&self, name: &str, bytes: &[u8]) -> Result<PolicyPlugin, HostError> {
        let label = format!("{} `{name}`", PluginKind::Policy);
        let component = self.compile(&label, bytes)?;
        self.check_contract(&label, &component, "policy", v0_1::POLICY_EXPORT)?;
        let pre = self
            .linker
            .instantiate_pre(&component)
            .and_then(v0_1::PolicyPluginPre::new)
            .map_err(|e| HostError::Instantiate {
                plugin: label.clone(),
                reason: root_cause(&e),
            })?;
        let mut plugin = PolicyPlugin {
            shared: self.shared.clone(),
            label,
            pre,
            info: None,
            warm: Mutex::new(None),
        };
        let raw = plugin.call("info", |store, p| p.idp_plugin_policy().call_info(store))?;
        plugin.check_size("info", v0_1::policy_info_size(&raw))?;
        let info = v0_1::policy_info(raw).map_err(|reason| plugin.invalid("info", reason))?;
        plugin.label = format!("{} `{}` {}", PluginKind::Policy, info.name, info.version);
        plugin.info = Some(info);
        Ok(plugin)
    }
}

/// The last cause in a wasmtime error chain: the part a user can act on.
fn root_cause(e: &wasmtime::Error) -> String {
    e.chain()
        .last()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// A plugin's instance kept between calls under [`Isolation::Reuse`].
type Warm<B> = Mutex<Option<(Store<StoreState>, B)>>;

/// Runs one call under the shared limits, in a fresh store or (under
/// [`Isolation::Reuse`]) in the plugin's warm instance, turning traps, timeouts and memory
/// refusals into named errors. A failed call's instance is dropped, never reused.
fn run<B, T>(
    shared: &Shared,
    label: &str,
    function: &'static str,
    warm: &Warm<B>,
    instantiate: impl FnOnce(&mut Store<StoreState>) -> wasmtime::Result<B>,
    call: impl FnOnce(&mut Store<StoreState>, &B) -> wasmtime::Result<T>,
) -> Result<T, HostError> {
    let limits = shared.limits;
    let reuse = limits.isolation == Isolation::Reuse;
    // A poisoned lock only means another call panicked; its instance was taken out first.
    let mut slot = warm
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let kept = if reuse { slot.take() } else { None };
    let (mut store, bindings) = match kept {
        Some(kept) => (kept.0, Ok(kept.1)),
        None => {
            let mut store = Store::new(
                &shared.engine,
                StoreState {
                    memory_cap: limits.memory_bytes,
                    memory_denied: false,
                },
            );
            store.limiter(|s| s);
            store.epoch_deadline_trap();
            let ticks = (limits.timeout.as_millis() / TICK.as_millis()).max(1) as u64;
            store.set_epoch_deadline(ticks);
            let bindings = instantiate(&mut store);
            (store, bindings)
        }
    };
    // The deadline counts from now, for a warm instance as for a fresh one.
    let ticks = (limits.timeout.as_millis() / TICK.as_millis()).max(1) as u64;
    store.set_epoch_deadline(ticks);
    let result = bindings.map(|b| (call(&mut store, &b), b));
    match result {
        Ok((Ok(value), bindings)) => {
            if reuse {
                *slot = Some((store, bindings));
            }
            Ok(value)
        }
        Ok((Err(e), _)) | Err(e) => Err(if e.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
            HostError::Timeout {
                plugin: label.to_owned(),
                function,
                limit: limits.timeout,
            }
        } else if store.data().memory_denied {
            HostError::MemoryLimit {
                plugin: label.to_owned(),
                function,
                limit_mib: limits.memory_bytes >> 20,
            }
        } else {
            HostError::Trap {
                plugin: label.to_owned(),
                function,
                reason: root_cause(&e),
            }
        }),
    }
}

/// A loaded template plugin.
pub struct TemplatePlugin {
    shared: Shared,
    label: String,
    pre: v0_1::TemplatePluginPre<StoreState>,
    info: Option<TemplateInfo>,
    warm: Warm<v0_1::template::TemplatePlugin>,
}

impl TemplatePlugin {
    fn call<T>(
        &self,
        function: &'static str,
        f: impl FnOnce(&mut Store<StoreState>, &v0_1::template::TemplatePlugin) -> wasmtime::Result<T>,
    ) -> Result<T, HostError> {
        run(
            &self.shared,
            &self.label,
            function,
            &self.warm,
            |s| self.pre.instantiate(&mut *s),
            f,
        )
    }

    fn check_size(&self, function: &'static str, size: usize) -> Result<(), HostError> {
        check_size(&self.shared, &self.label, function, size)
    }

    fn invalid(&self, function: &'static str, reason: String) -> HostError {
        HostError::InvalidOutput {
            plugin: self.label.clone(),
            function,
            reason,
        }
    }

    /// How errors name this plugin: ``template `api-service` 0.1.0``.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// What the template said about itself when it was loaded.
    pub fn info(&self) -> &TemplateInfo {
        // Set by `load_template` before the plugin is handed out.
        self.info
            .as_ref()
            .unwrap_or_else(|| unreachable!("template info is set at load"))
    }

    /// Renders an environment. `Ok(Err(findings))` is the template refusing the inputs;
    /// `Err` is the plugin failing.
    pub fn render(&self, env: &Environment) -> Result<Result<Rendering, Vec<Finding>>, HostError> {
        let input = v0_1::environment(env);
        let raw = self.call("render", |store, p| {
            p.idp_plugin_template().call_render(store, &input)
        })?;
        match raw {
            Ok(r) => {
                self.check_size("render", v0_1::rendering_size(&r))?;
                v0_1::rendering(r)
                    .map(Ok)
                    .map_err(|reason| self.invalid("render", reason))
            }
            Err(findings) => {
                self.check_size("render", v0_1::findings_size(&findings))?;
                let name = format!("template {}", self.info().name);
                Ok(Err(findings
                    .into_iter()
                    .map(|f| v0_1::finding(&name, f))
                    .collect()))
            }
        }
    }
}

/// A loaded policy plugin.
pub struct PolicyPlugin {
    shared: Shared,
    label: String,
    pre: v0_1::PolicyPluginPre<StoreState>,
    info: Option<PolicyInfo>,
    warm: Warm<v0_1::policy::PolicyPlugin>,
}

impl PolicyPlugin {
    fn call<T>(
        &self,
        function: &'static str,
        f: impl FnOnce(&mut Store<StoreState>, &v0_1::policy::PolicyPlugin) -> wasmtime::Result<T>,
    ) -> Result<T, HostError> {
        run(
            &self.shared,
            &self.label,
            function,
            &self.warm,
            |s| self.pre.instantiate(&mut *s),
            f,
        )
    }

    fn check_size(&self, function: &'static str, size: usize) -> Result<(), HostError> {
        check_size(&self.shared, &self.label, function, size)
    }

    fn invalid(&self, function: &'static str, reason: String) -> HostError {
        HostError::InvalidOutput {
            plugin: self.label.clone(),
            function,
            reason,
        }
    }

    /// How errors name this plugin: ``policy `max-ttl` 0.1.0``.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// What the policy said about itself when it was loaded.
    pub fn info(&self) -> &PolicyInfo {
        self.info
            .as_ref()
            .unwrap_or_else(|| unreachable!("policy info is set at load"))
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
        let raw = self.call("evaluate", |store, p| {
            p.idp_plugin_policy()
                .call_evaluate(store, &input, &settings)
        })?;
        self.check_size("evaluate", v0_1::findings_size(&raw))?;
        let name = format!("policy {}", self.info().name);
        Ok(raw.into_iter().map(|f| v0_1::finding(&name, f)).collect())
    }
}

fn check_size(
    shared: &Shared,
    label: &str,
    function: &'static str,
    size: usize,
) -> Result<(), HostError> {
    if size > shared.limits.output_bytes {
        return Err(HostError::OutputTooLarge {
            plugin: label.to_owned(),
            function,
            size,
            limit: shared.limits.output_bytes,
        });
    }
    Ok(())
}
