use std::path::{Path, PathBuf};
use std::process::Command;

use crate::BuildError;

/// The pieces of the guest recipe found on this machine.
#[derive(Debug, Clone)]
pub struct Toolchain {
    /// Debian's `cargo` (`cargo-web`).
    pub cargo: PathBuf,
    /// Debian's `rustc` (`rustc-web`), whose `rust-src` builds `std` for wasm32.
    pub rustc: PathBuf,
    /// rustup's `rust-lld`, which links wasm.
    pub linker: PathBuf,
    /// `rustc --version` of the guest compiler, recorded because it decides the bytes.
    pub version: String,
}

fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

impl Toolchain {
    /// Finds the recipe's tools, or says which is missing.
    pub fn detect() -> Result<Toolchain, BuildError> {
        let rustc = PathBuf::from("/usr/bin/rustc");
        let cargo = PathBuf::from("/usr/bin/cargo");
        let missing = |what: &str| BuildError::Toolchain {
            what: what.to_owned(),
        };
        let version = output(Command::new(&rustc).arg("--version"))
            .ok_or_else(|| missing("`/usr/bin/rustc` (Debian's rustc-web)"))?;
        if !cargo.exists() {
            return Err(missing("`/usr/bin/cargo` (Debian's cargo-web)"));
        }
        let sysroot = output(Command::new(&rustc).args(["--print", "sysroot"]))
            .ok_or_else(|| missing("the sysroot of `/usr/bin/rustc`"))?;
        if !Path::new(&sysroot)
            .join("lib/rustlib/src/rust/library/std")
            .exists()
        {
            return Err(missing(
                "the standard library's source (Debian's rust-web-src)",
            ));
        }
        // The host's rustc (rustup's, first on PATH) carries a rust-lld that links wasm.
        let host_sysroot = output(Command::new("rustc").args(["--print", "sysroot"]))
            .ok_or_else(|| missing("`rustc` on PATH"))?;
        let linker =
            Path::new(&host_sysroot).join("lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld");
        if !linker.exists() {
            return Err(missing(&format!("`{}`", linker.display())));
        }
        Ok(Toolchain {
            cargo,
            rustc,
            linker,
            version,
        })
    }
}
