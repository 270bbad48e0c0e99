//! What every version of the `idp:plugin` contract implements the same way, written
//! once as a macro that each version's module (`v0_1`, `v0_2`) invokes over its own
//! generated bindings.
//!
//! Every version maps its `types` interface onto 0.1.0's generated types (bindgen's
//! `with:`), so the conversions of environments, findings and module calls live once in
//! `v0_1`. The types of the exported interfaces (`template-info`, `rendering`,
//! `policy-input`…) are generated per version; their conversions are this macro's.

/// Implements [`Kind`](crate::plugin::Kind), [`TemplateKind`](crate::plugin::TemplateKind)
/// and [`PolicyKind`](crate::plugin::PolicyKind) for the invoking module's generated
/// `template` and `policy` bindings of WIT version `$version`, whose converted policy
/// inputs are kept in field `$cell` of [`PolicyArgs`](crate::plugin::PolicyArgs). The
/// invoking module defines `reads_of(&PolicyInfo) -> InputParts` and
/// `applies_to_of(&PolicyInfo) -> Vec<Class>` (what its policies read and judge), and
/// what its version adds or leaves out: `call_render` (the arguments of `render`),
/// `policy_input` (what a policy is given) and `follows_schedule` (of a bill item).
macro_rules! contract {
    ($version:literal, $cell:ident) => {
        use idp_model as model;
        use policy::PolicyPluginPre;
        use policy::exports::idp::plugin::policy as wit_policy;
        use template::TemplatePluginPre;
        use template::exports::idp::plugin::template as wit_template;
        use wasmtime::Store;
        use wasmtime::component::InstancePre;

        use crate::limits::StoreState;
        use crate::plugin::{Invalid, Kind, PolicyKind, TemplateKind};

        /// A template plugin of this version.
        pub(crate) struct Template;
        $crate::contract::kind!(
            Template,
            "template",
            $version,
            TemplatePluginPre,
            template::TemplatePlugin,
            TemplateInfo,
            idp_plugin_template,
            template_info
        );

        /// A policy plugin of this version.
        pub(crate) struct Policy;
        $crate::contract::kind!(
            Policy,
            "policy",
            $version,
            PolicyPluginPre,
            policy::PolicyPlugin,
            PolicyInfo,
            idp_plugin_policy,
            policy_info
        );

        impl TemplateKind for Template {
            fn render(
                store: &mut Store<StoreState>,
                bindings: &Self::Bindings,
                env: &model::Environment,
            ) -> wasmtime::Result<Result<Result<model::Rendering, Vec<model::Finding>>, Invalid>>
            {
                let answer = call_render(store, bindings, env)?;
                Ok(match answer {
                    Ok(r) => rendering(r).map(Ok),
                    Err(findings) => Ok(Err(findings
                        .into_iter()
                        .map(crate::v0_1::finding)
                        .collect())),
                })
            }
        }

        impl PolicyKind for Policy {
            type Input = wit_policy::PolicyInput;

            fn input<'a>(
                args: &'a crate::plugin::PolicyArgs<'_>,
                reads: model::InputParts,
            ) -> &'a Self::Input {
                args.$cell[reads.index()].get_or_init(|| policy_input(args, reads))
            }

            fn evaluate(
                store: &mut Store<StoreState>,
                bindings: &Self::Bindings,
                input: &Self::Input,
                settings: &str,
            ) -> wasmtime::Result<Vec<model::Finding>> {
                let findings = bindings
                    .idp_plugin_policy()
                    .call_evaluate(store, input, settings)?;
                Ok(findings.into_iter().map(crate::v0_1::finding).collect())
            }
        }

        fn template_info(i: wit_template::TemplateInfo) -> Result<model::TemplateInfo, Invalid> {
            let input_schema = serde_json::from_str(&i.input_schema)
                .map_err(|e| format!("input schema is not JSON: {e}"))?;
            Ok(model::TemplateInfo {
                name: i.name,
                version: i.version,
                summary: i.summary,
                input_schema,
                modules: i.modules,
                outputs: i.outputs,
            })
        }

        fn rendering(r: wit_template::Rendering) -> Result<model::Rendering, Invalid> {
            Ok(model::Rendering {
                calls: r
                    .calls
                    .into_iter()
                    .map(crate::v0_1::module_call)
                    .collect::<Result<_, _>>()?,
                bill: r.bill.into_iter().map(bill_item).collect(),
                outputs: r
                    .outputs
                    .into_iter()
                    .map(|o| model::Output {
                        name: o.name,
                        from_call: o.from_call,
                        output: o.output,
                    })
                    .collect(),
            })
        }

        fn bill_item(b: wit_template::BillItem) -> model::BillItem {
            // `follows_schedule` first: it reads the item the other fields move out of.
            model::BillItem {
                basis: match b.basis {
                    wit_template::BillingBasis::PerHour => model::BillingBasis::PerHour,
                    wit_template::BillingBasis::PerMonth => model::BillingBasis::PerMonth,
                },
                follows_schedule: follows_schedule(&b),
                call: b.call,
                description: b.description,
                service_code: b.service_code,
                usage_type: b.usage_type,
                unit: b.unit,
                quantity: b.quantity,
            }
        }

        fn policy_info(i: wit_policy::PolicyInfo) -> Result<model::PolicyInfo, Invalid> {
            let settings_schema = serde_json::from_str(&i.settings_schema)
                .map_err(|e| format!("settings schema is not JSON: {e}"))?;
            // Each version's module says what its policies read (`reads_of`).
            let reads = reads_of(&i);
            let applies_to = applies_to_of(&i);
            Ok(model::PolicyInfo {
                name: i.name,
                version: i.version,
                summary: i.summary,
                rules: i
                    .rules
                    .into_iter()
                    .map(|r| model::RuleInfo {
                        id: r.id,
                        default_severity: crate::v0_1::severity(r.default_severity),
                        summary: r.summary,
                        help: r.help,
                    })
                    .collect(),
                settings_schema,
                reads,
                applies_to,
            })
        }
    };
}

/// Implements [`Kind`](crate::plugin::Kind) for one kind of plugin of one version: its
/// interface, generated bindings, info type and the conversion of its info.
macro_rules! kind {
    ($kind:ident, $interface:literal, $version:literal, $pre:ident, $bindings:ty, $info:ident, $accessor:ident, $convert:ident) => {
        impl Kind for $kind {
            const KIND: model::PluginKind = model::PluginKind::$kind;
            const INTERFACE: &'static str = $interface;
            const WIT_VERSION: &'static str = $version;
            const EXPORT: &'static str = concat!("idp:plugin/", $interface, "@", $version);
            type Pre = $pre<StoreState>;
            type Bindings = $bindings;
            type Info = model::$info;

            fn pre(pre: InstancePre<StoreState>) -> wasmtime::Result<Self::Pre> {
                $pre::new(pre)
            }

            fn instantiate(
                pre: &Self::Pre,
                store: &mut Store<StoreState>,
            ) -> wasmtime::Result<Self::Bindings> {
                pre.instantiate(store)
            }

            fn info(
                store: &mut Store<StoreState>,
                bindings: &Self::Bindings,
            ) -> wasmtime::Result<Result<Self::Info, Invalid>> {
                Ok($convert(bindings.$accessor().call_info(store)?))
            }

            fn name_and_version(info: &Self::Info) -> (&str, &str) {
                (&info.name, &info.version)
            }
        }
    };
}

pub(crate) use {contract, kind};
