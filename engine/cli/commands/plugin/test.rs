//! `idp plugin test [PATH]`: runs a guest crate's declarative cases (`idp-plugin-test`),
//! prints the report, and exits 1 when a case fails, 2 when there is nothing to run.

use std::path::PathBuf;

use crate::args::TestFormat;
use crate::context;
use crate::outcome::Outcome;
use crate::ui::{CliError, print_json, write_out};

pub fn run(
    path: Option<PathBuf>,
    bless: bool,
    catalog: Option<PathBuf>,
    format: TestFormat,
) -> Result<Outcome, CliError> {
    let options = idp_plugin_test::Options {
        path: path.unwrap_or_else(|| PathBuf::from(".")),
        catalog,
        bless,
        cache_dir: context::cache_dir(),
        // Under `cargo run` or a test, the cargo that built idp; else the one on PATH.
        cargo: std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from),
    };
    let report = idp_plugin_test::run(&options).map_err(CliError::input)?;
    match format {
        TestFormat::Human => write_out(&idp_plugin_test::human(&report)),
        TestFormat::Json => print_json(&idp_plugin_test::json(&report)),
        // XML escapes everything it quotes; what XML cannot carry is already `?`.
        TestFormat::Junit => write_out(&idp_plugin_test::junit(&report)),
    }
    Ok(if report.passed() {
        Outcome::Clean
    } else {
        Outcome::Denied
    })
}
