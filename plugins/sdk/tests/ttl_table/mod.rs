//! Runs the TTL table `ttl-cases.txt` against one implementation of the grammar. The SDK
//! (`plugins/sdk/tests/ttl_grammar.rs`) and the host (`engine/model/tests/ttl_grammar.rs`)
//! both include this file, so the guest's `Ttl` and `idp_model::Ttl` are held to the same
//! cases by the same code.

use serde_json::Value;

/// What a grammar says about one text: its seconds (`None` for `never`) and display.
pub type Parsed = Result<(Option<u64>, String), String>;

/// Checks every case: `parse` reads a text, `display` shows a number of seconds.
pub fn check(parse: impl Fn(&str) -> Parsed, display: impl Fn(u64) -> String) {
    let table = include_str!("../ttl-cases.txt");
    let mut checked = 0;
    for (n, line) in table.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let case: Vec<Value> = serde_json::from_str(line).expect("a JSON array");
        let at = format!("ttl-cases.txt:{}: {line}", n + 1);
        match case.as_slice() {
            [Value::String(text), Value::String(e)] if e == "error" => {
                assert!(parse(text).is_err(), "{at}: parsed");
            }
            [Value::String(text), expected, Value::String(shown)] => {
                let (seconds, display) = parse(text).unwrap_or_else(|e| panic!("{at}: {e}"));
                assert_eq!(seconds, expected.as_u64(), "{at}");
                assert_eq!(display, *shown, "{at}");
            }
            [Value::Number(seconds), Value::String(shown)] => {
                assert_eq!(display(seconds.as_u64().expect("seconds")), *shown, "{at}");
            }
            _ => panic!("{at}: not a case"),
        }
        checked += 1;
    }
    assert!(checked > 40, "only {checked} cases");
}
