//! `idp man`: manual pages made from the clap definitions (`clap_mangen`), so they say
//! what `--help` says: `idp(1)` on stdout, or a page per command and subcommand
//! (`idp-plan.1`, `idp-pricing-refresh.1`, …) written into a directory.

use std::io::Write;

use clap::CommandFactory;

use crate::args::{Cli, ManArgs};
use crate::outcome::Outcome;
use crate::ui::CliError;

pub fn run(args: &ManArgs) -> Result<Outcome, CliError> {
    let Some(dir) = &args.output else {
        let mut page = Vec::new();
        clap_mangen::Man::new(Cli::command())
            .render(&mut page)
            .map_err(|e| unwritable("standard output", &e))?;
        // A reader that stops early (`| head`) ends the page quietly.
        return match std::io::stdout().lock().write_all(&page) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                Err(unwritable("standard output", &e))
            }
            _ => Ok(Outcome::Clean),
        };
    };
    let shown = dir.display().to_string();
    std::fs::create_dir_all(dir)
        .and_then(|()| clap_mangen::generate_to(Cli::command(), dir))
        .map_err(|e| unwritable(&shown, &e))?;
    eprintln!("wrote the manual pages to `{shown}`");
    Ok(Outcome::Clean)
}

fn unwritable(place: &str, e: &std::io::Error) -> CliError {
    CliError::usage(
        "idp::usage::output_unwritable",
        format!("cannot write the manual pages to `{place}`: {e}"),
        "pass a directory that exists or can be made, and is writable",
    )
}
