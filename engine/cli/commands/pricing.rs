//! `idp pricing refresh`: the price book from the AWS Price List API, written atomically.

use crate::args::PricingCommand;
use crate::context;
use crate::outcome::Outcome;
use crate::ui::CliError;

pub fn run(command: PricingCommand) -> Result<Outcome, CliError> {
    let PricingCommand::Refresh { regions, output } = command;
    let regions: Vec<String> = if regions.is_empty() {
        idp_price_refresh::DEFAULT_REGIONS
            .iter()
            .map(|r| (*r).to_owned())
            .collect()
    } else {
        regions
    };
    let path = match output.or_else(context::refreshed_price_book) {
        Some(p) => p,
        None => {
            return Err(CliError::usage(
                "idp::usage::no_cache_dir",
                "no cache directory to write the price book to",
                "set IDP_CACHE_DIR, or pass --output FILE",
            ));
        }
    };
    let today = context::now()?
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .to_string();
    eprintln!(
        "pricing {} usage types in {} region(s) from the AWS Price List API…",
        idp_price_refresh::BILLED.len(),
        regions.len()
    );
    let refreshed = idp_price_refresh::refresh(&regions, &today, |line| eprintln!("  {line}"))
        .map_err(CliError::plugin)?;
    for s in &refreshed.skipped {
        eprintln!(
            "warning: skipped a malformed item for `{}` in `{}`: {}",
            s.service_code, s.region, s.reason
        );
    }
    for (region, service, usage) in &refreshed.missing {
        eprintln!("warning: no price for `{service}` `{usage}` in `{region}`");
    }
    idp_price_refresh::write_book(&refreshed.book, &path).map_err(CliError::plugin)?;
    eprintln!(
        "wrote {} prices to `{}`",
        refreshed.book.prices.len(),
        path.display()
    );
    Ok(Outcome::Clean)
}
