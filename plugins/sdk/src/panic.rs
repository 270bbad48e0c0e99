//! The panic hook that makes a plugin's panic reach the user: in the built plugin, the
//! first call into it installs a hook that sends the panic's message and location
//! (`src/lib.rs:12:5`) to the host through the contract's `log` interface
//! (`panicked`). The plugin then traps as before (`panic = "abort"`), and the host's
//! error names the plugin and shows the message instead of a bare
//! "wasm `unreachable` instruction executed".
//!
//! Natively (`cargo test`) nothing is installed: tests keep Rust's own hook and its
//! backtraces.

#[cfg(any(target_arch = "wasm32", test))]
use std::any::Any;

/// Installs the hook, once per instance; the export glue calls it first thing.
/// Natively it does nothing: the default hook stays.
pub fn install() {
    #[cfg(target_arch = "wasm32")]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| std::panic::set_hook(Box::new(report)));
    }
}

#[cfg(target_arch = "wasm32")]
fn report(info: &std::panic::PanicHookInfo<'_>) {
    let location = info
        .location()
        .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
        .unwrap_or_default();
    crate::log::panicked(message(info.payload()), &location);
}

/// The text of a panic's payload: what `panic!`, `unwrap` and indexing carry.
#[cfg(any(target_arch = "wasm32", test))]
fn message(payload: &(dyn Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "the plugin panicked with a value that is not text"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload_of(f: impl FnOnce() + std::panic::UnwindSafe) -> Box<dyn Any + Send> {
        std::panic::catch_unwind(f).expect_err("panics")
    }

    #[test]
    fn the_message_of_a_literal_and_a_formatted_panic() {
        let literal = payload_of(|| panic!("a literal"));
        assert_eq!(message(literal.as_ref()), "a literal");
        let index = 7;
        let formatted = payload_of(move || panic!("index {index} is out of bounds"));
        assert_eq!(message(formatted.as_ref()), "index 7 is out of bounds");
        let other = payload_of(|| std::panic::panic_any(7_u8));
        assert_eq!(
            message(other.as_ref()),
            "the plugin panicked with a value that is not text"
        );
    }
}
