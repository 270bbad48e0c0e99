//! `idp fmt`: every KDL file under some paths in the canonical layout (`idp-fmt`),
//! written atomically, or with `--check` only listed.

use std::path::{Path, PathBuf};

use idp_spec::SourceFile;

use crate::args::FmtArgs;
use crate::outcome::Outcome;
use crate::ui::{self, CliError};

pub fn run(args: &FmtArgs) -> Result<Outcome, CliError> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let files = idp_fmt::find_files(&paths).map_err(CliError::input)?;
    let options = idp_fmt::Options {
        convert_v1: args.convert_v1,
    };
    let (mut changed, mut invalid) = (0, 0);
    for path in &files {
        let source = match SourceFile::read(path) {
            Ok(source) => source,
            Err(e) => {
                ui::eprint_diagnostic(unreadable(path, &e).report.as_ref());
                invalid += 1;
                continue;
            }
        };
        match idp_fmt::format(&source, options) {
            Ok(text) if text == *source.text => {}
            Ok(text) => {
                if !args.check {
                    write(path, &text)?;
                }
                println!("{}", path.display());
                changed += 1;
            }
            Err(problems) => {
                ui::eprint_diagnostic(&problems);
                invalid += 1;
            }
        }
    }
    if invalid > 0 {
        return Ok(Outcome::Invalid);
    }
    if args.check && changed > 0 {
        eprintln!("{changed} file(s) not formatted: run `idp fmt` on them");
        return Ok(Outcome::Denied);
    }
    Ok(Outcome::Clean)
}

fn unreadable(path: &Path, e: &std::io::Error) -> CliError {
    CliError::input(idp_fmt::FmtError::Unreadable {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Replaces the file behind `path` (through a symlink, keeping the link) atomically,
/// keeping its permissions.
fn write(path: &Path, text: &str) -> Result<(), CliError> {
    let target = std::fs::canonicalize(path).map_err(|e| unreadable(path, &e))?;
    let permissions = std::fs::metadata(&target).map(|m| m.permissions()).ok();
    idp_state::write_atomically(&target, text.as_bytes())?;
    if let Some(p) = permissions {
        std::fs::set_permissions(&target, p).ok();
    }
    Ok(())
}
