//! `idp list`: recorded environments, from wherever idp.kdl keeps records. A record that
//! cannot be read is reported with its path, and every other one is still listed.

use std::path::Path;

use crate::args::{Format, ListArgs};
use crate::context;
use crate::outcome::Outcome;
use crate::ui::{self, CliError};

pub fn run(config: Option<&Path>, args: &ListArgs) -> Result<Outcome, CliError> {
    let here = context::surroundings(config)?;
    let listing = here.records.list()?;
    for problem in &listing.problems {
        eprintln!("warning: skipped: {problem}");
    }
    let records: Vec<idp_state::Record> = listing.records.into_iter().map(|s| s.record).collect();
    let dirs = here.config.map(|c| c.catalogs).unwrap_or_default();
    // The list is the records'; a catalog that does not load only loses the marks.
    let catalog = idp_catalog::Catalog::with_dirs(&dirs)
        .inspect_err(|e| eprintln!("warning: no upgrade marks: {e}"))
        .ok();
    let newer = |r: &idp_state::Record| {
        let catalog = catalog.as_ref()?;
        idp_lifecycle::upgrade::newer_version(catalog, r)
    };
    match args.format {
        Format::Json => ui::print_json(&idp_report::list_json(&records, &newer)),
        Format::Human => print!(
            "{}",
            idp_report::list_human(&records, context::now()?, &newer)
        ),
    }
    Ok(Outcome::Clean)
}
