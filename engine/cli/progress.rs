//! Progress on stderr for long work (`idp check` over many specs, `idp sweep`'s
//! dispatches, `idp pricing refresh`): a bar on a terminal, nothing at all when stderr
//! is not one (CI logs, pipes), when `TERM` is unset or `dumb`, or with `--quiet`. Where
//! the time went, per stage, is `idp check --stats`'s alone.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether progress is drawn: stderr is a terminal and the user did not ask for quiet.
fn shown(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

/// A bar of `total` steps labelled `what`; a hidden one, which draws nothing, when
/// progress is not [`shown`].
pub fn bar(total: u64, what: &str, quiet: bool) -> ProgressBar {
    if !shown(quiet) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(style(
        "{prefix} [{bar:30}] {pos}/{len} {wide_msg} {elapsed}",
    ));
    bar.set_prefix(what.to_owned());
    bar
}

fn style(template: &str) -> ProgressStyle {
    // The templates are constants: a bad one is a bug, shown as the plain default.
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}
