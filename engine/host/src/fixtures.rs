//! Components for the host's unit tests: tiny core modules in WebAssembly text made
//! into components with wit-component and the real WIT, as
//! `tests/integration/hostile.rs` does for the hostile policies.

use std::path::Path;

/// The bump allocator, the memory and the strings of `info()` every fixture shares:
/// the name at 256, the version at 288, the summary at 296 and an empty JSON object
/// (the schema) at 320.
fn prelude(name: &str) -> String {
    format!(
        r#"
  (memory (export "memory") 1)
  (global $bump (mut i32) (i32.const 4096))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $bump) (i32.const 7)) (i32.const -8)))
    (global.set $bump (i32.add (local.get $p) (local.get 3)))
    (block $enough
      (loop $grow
        (br_if $enough (i32.le_u (global.get $bump) (i32.mul (memory.size) (i32.const 65536))))
        (br_if $enough (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br $grow)))
    (local.get $p))
  (data (i32.const 256) "{name}")
  (data (i32.const 288) "0.1.0")
  (data (i32.const 296) "misbehaves on purpose")
  (data (i32.const 320) "{{}}")"#
    )
}

/// Stores the string pair (pointer, length) at `at`.
fn pair(at: u32, ptr: u32, len: usize) -> String {
    format!(
        "(i32.store (i32.const {at}) (i32.const {ptr})) (i32.store (i32.const {}) (i32.const {len}))",
        at + 4
    )
}

/// A policy whose `evaluate` runs `evaluate` (WAT instructions leaving the address of
/// the answer), after `imports`.
pub(crate) fn policy(name: &str, imports: &str, evaluate: &str) -> String {
    // policy-info { name, version, summary, rules: [], settings-schema: "{}" }
    let info = [
        pair(0, 256, name.len()),
        pair(8, 288, 5),
        pair(16, 296, 21),
        pair(24, 8, 0),
        pair(32, 320, 2),
    ]
    .join("\n    ");
    format!(
        r#"(module
  {imports}
  {}
  (func (export "idp:plugin/policy@VERSION#info") (result i32)
    {info}
    (i32.const 0))
  (func (export "idp:plugin/policy@VERSION#evaluate") (param i32) (result i32)
    {evaluate}))"#,
        prelude(name)
    )
}

/// A template whose `render` runs `render` (WAT instructions leaving the address of
/// the answer), after `imports`.
pub(crate) fn template(name: &str, imports: &str, render: &str) -> String {
    // template-info { name, version, summary, input-schema: "{}", modules: [], outputs: [] }
    let info = [
        pair(0, 256, name.len()),
        pair(8, 288, 5),
        pair(16, 296, 21),
        pair(24, 320, 2),
        pair(32, 8, 0),
        pair(40, 8, 0),
    ]
    .join("\n    ");
    format!(
        r#"(module
  {imports}
  {}
  (func (export "idp:plugin/template@VERSION#info") (result i32)
    {info}
    (i32.const 0))
  (func (export "idp:plugin/template@VERSION#render") (param i32) (result i32)
    {render}))"#,
        prelude(name)
    )
}

/// An empty list of findings: what a policy that finds nothing answers.
pub(crate) const NO_FINDINGS: &str = "(i32.store (i32.const 512) (i32.const 8)) (i32.store (i32.const 516) (i32.const 0)) (i32.const 512)";

/// Makes `wat` a component of `world` (`template-plugin`, `policy-plugin`) declaring
/// `idp:plugin@version`: the WIT of `wit/plugin@0.2.0/` for 0.2.0, that of
/// `wit/plugin@0.1.0/` with its version replaced for any other.
pub(crate) fn component(wat: &str, world: &str, version: &str) -> Vec<u8> {
    let wit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../wit");
    let (source, from) = if version == "0.2.0" {
        (wit.join("plugin@0.2.0"), "@0.2.0")
    } else {
        (wit.join("plugin@0.1.0"), "@0.1.0")
    };
    let wat = wat.replace("@VERSION#", &format!("@{version}#"));
    let mut module = wat::parse_str(&wat).expect("valid WAT");
    let dir = tempfile::tempdir().expect("temp dir");
    for entry in std::fs::read_dir(source).expect("wit dir").flatten() {
        let text = std::fs::read_to_string(entry.path())
            .expect("wit file")
            .replace(from, &format!("@{version}"));
        std::fs::write(dir.path().join(entry.file_name()), text).expect("copy wit");
    }
    let mut resolve = wit_parser::Resolve::default();
    let (pkg, _) = resolve.push_dir(dir.path()).expect("WIT parses");
    let world = resolve.select_world(&[pkg], Some(world)).expect("world");
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
        false,
    )
    .expect("metadata");
    wit_component::ComponentEncoder::default()
        .module(&module)
        .and_then(|e| e.validate(true).encode())
        .expect("component")
}

/// The imports of `idp:plugin/log@0.2.0` as a core module sees them.
const LOG_IMPORTS: &str = r#"(import "idp:plugin/log@0.2.0" "log" (func $log (param i32 i32 i32)))
  (import "idp:plugin/log@0.2.0" "panicked" (func $panicked (param i32 i32 i32 i32)))"#;

/// `text` as a WAT string literal, every byte that is not printable ASCII escaped.
fn wat_string(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b' '..=b'~' if b != b'"' && b != b'\\' => char::from(b).to_string(),
            _ => format!("\\{b:02x}"),
        })
        .collect()
}

/// The imports and data, and the body of a function that reports a panic with
/// `message` at `location` and then traps, as the SDK's panic hook does.
pub(crate) fn panics(message: &str, location: &str) -> (String, String) {
    let imports = format!(
        "{LOG_IMPORTS}\n  (data (i32.const 600) \"{}\")\n  (data (i32.const 2600) \"{}\")",
        wat_string(message),
        wat_string(location)
    );
    let body = format!(
        "(call $panicked (i32.const 600) (i32.const {}) (i32.const 2600) (i32.const {})) unreachable",
        message.len(),
        location.len()
    );
    (imports, body)
}

/// The imports and data, and the body of a `evaluate` that logs `message` at `warn`
/// `times` times and finds nothing.
pub(crate) fn logs(message: &str, times: usize) -> (String, String) {
    let imports = format!(
        "{LOG_IMPORTS}\n  (data (i32.const 8192) \"{}\")",
        wat_string(message)
    );
    let call = format!(
        "(call $log (i32.const 2) (i32.const 8192) (i32.const {}))",
        message.len()
    );
    (
        imports,
        format!("{} {NO_FINDINGS}", vec![call; times].join(" ")),
    )
}
