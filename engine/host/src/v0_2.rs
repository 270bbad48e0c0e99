//! Bindings of `idp:plugin@0.2.0`: 0.1.0's exports, plus the `log` interface plugins
//! import, defined here for the linker. Its `types` are 0.1.0's generated types
//! (bindgen's `with:`), so their conversions are `v0_1`'s; nothing generated leaves
//! this module.
#![allow(missing_docs)]

pub(crate) mod template {
    wasmtime::component::bindgen!({
        path: "../../wit/plugin@0.2.0",
        world: "template-plugin",
        with: {
            "idp:plugin/types": crate::v0_1::template::idp::plugin::types,
        },
    });
}

pub(crate) mod policy {
    wasmtime::component::bindgen!({
        path: "../../wit/plugin@0.2.0",
        world: "policy-plugin",
        with: {
            "idp:plugin/types": crate::v0_1::template::idp::plugin::types,
            "idp:plugin/log": super::template::idp::plugin::log,
        },
    });
}

crate::contract::contract!("0.2.0", v0_2);

/// What a policy of this version is given besides its settings.
pub(crate) type PolicyInput = policy::exports::idp::plugin::policy::PolicyInput;

/// The classes the policy declared it judges; none named means every class.
fn applies_to_of(info: &wit_policy::PolicyInfo) -> Vec<model::Class> {
    match info.applies_to.is_empty() {
        true => model::Class::ALL.to_vec(),
        false => info
            .applies_to
            .iter()
            .map(|c| crate::v0_1::class(*c))
            .collect(),
    }
}

/// What the policy declared it reads (`input-parts`).
fn reads_of(info: &wit_policy::PolicyInfo) -> model::InputParts {
    use wit_policy::InputParts as Parts;
    model::InputParts {
        tags: info.reads.contains(Parts::TAGS),
        inputs: info.reads.contains(Parts::INPUTS),
        calls: info.reads.contains(Parts::CALLS),
    }
}

use template::idp::plugin::log::Level;
use wasmtime::StoreContextMut;
use wasmtime::component::Linker;

use crate::logging::LogLevel;

/// The interface plugins of this version import.
const LOG: &str = "idp:plugin/log@0.2.0";

/// Defines `idp:plugin/log@0.2.0` in the host's linker. What a plugin sends is first
/// copied under what is left of the call's output budget (wasmtime's hostcall fuel),
/// then taken from it, so the log lines, the panic and the answer of one call share
/// one budget.
pub(crate) fn add_to_linker(linker: &mut Linker<StoreState>) -> wasmtime::Result<()> {
    let mut log = linker.instance(LOG)?;
    log.func_wrap(
        "log",
        |mut store: StoreContextMut<'_, StoreState>, (level, message): (Level, String)| {
            spend(&mut store, message.len());
            store.data_mut().report.log(level_of(level), &message);
            Ok(())
        },
    )?;
    log.func_wrap(
        "panicked",
        |mut store: StoreContextMut<'_, StoreState>, (message, location): (String, String)| {
            spend(&mut store, message.len() + location.len());
            store.data_mut().report.panicked(&message, &location);
            Ok(())
        },
    )?;
    Ok(())
}

/// Takes `bytes` from the output budget left for this call.
fn spend(store: &mut StoreContextMut<'_, StoreState>, bytes: usize) {
    let left = store.hostcall_fuel().saturating_sub(bytes);
    store.set_hostcall_fuel(left);
}

fn level_of(level: Level) -> LogLevel {
    match level {
        Level::Debug => LogLevel::Debug,
        Level::Info => LogLevel::Info,
        Level::Warn => LogLevel::Warn,
        Level::Error => LogLevel::Error,
    }
}
