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
            "idp:plugin/schedule": super::template::idp::plugin::schedule,
        },
    });
}

crate::contract::contract!("0.2.0", v0_2);

/// What a policy of this version is given besides its settings.
pub(crate) type PolicyInput = policy::exports::idp::plugin::policy::PolicyInput;

use template::idp::plugin::schedule as wit_schedule;

/// The environment and its schedule, when it has one.
fn call_render(
    store: &mut Store<StoreState>,
    bindings: &template::TemplatePlugin,
    env: &model::Environment,
) -> wasmtime::Result<
    Result<wit_template::Rendering, Vec<crate::v0_1::template::idp::plugin::types::Finding>>,
> {
    bindings.idp_plugin_template().call_render(
        store,
        &crate::v0_1::environment(env),
        schedule(env).as_ref(),
    )
}

/// What the template says of the line.
fn follows_schedule(b: &wit_template::BillItem) -> bool {
    b.follows_schedule
}

/// The environment's schedule in the contract's terms.
fn schedule(env: &model::Environment) -> Option<wit_schedule::Schedule> {
    env.schedule.as_ref().map(|s| wit_schedule::Schedule {
        days: s.days.iter().map(|d| weekday(*d)).collect(),
        start: s.start.clone(),
        stop: s.stop.clone(),
        timezone: s.timezone.clone(),
        hours_per_week: s.hours_per_week(),
    })
}

fn weekday(d: model::Weekday) -> wit_schedule::Weekday {
    use wit_schedule::Weekday as W;
    match d {
        model::Weekday::Monday => W::Monday,
        model::Weekday::Tuesday => W::Tuesday,
        model::Weekday::Wednesday => W::Wednesday,
        model::Weekday::Thursday => W::Thursday,
        model::Weekday::Friday => W::Friday,
        model::Weekday::Saturday => W::Saturday,
        model::Weekday::Sunday => W::Sunday,
    }
}

/// A 0.2.0 policy's input: the parts it reads, the schedule, and the estimate's list and
/// effective figures with whether it is complete.
fn policy_input(args: &crate::plugin::PolicyArgs<'_>, reads: model::InputParts) -> PolicyInput {
    wit_policy::PolicyInput {
        env: crate::v0_1::environment_read(args.env, reads),
        calls: crate::v0_1::calls_read(args, reads),
        cost: args.cost.map(|c| wit_policy::CostEstimate {
            monthly: c.monthly,
            lifetime: c.lifetime,
            currency: "USD".to_owned(),
            list_monthly: c.list_monthly,
            complete: c.complete,
        }),
        schedule: schedule(args.env),
    }
}

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
