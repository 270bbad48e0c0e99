//! Finding a compiler that builds `wasm32-unknown-unknown` guests: Debian's recipe
//! (`std` built from `rust-web-src`, docs/decisions/0003) or a rustup toolchain
//! with the target installed.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::BuildError;

/// Debian's `rustc-web`: the pinned compiler of the built-in catalog.
const DEBIAN_RUSTC: &str = "/usr/bin/rustc";

/// The guest target.
pub const TARGET: &str = "wasm32-unknown-unknown";

/// How a toolchain gets a `std` for the guest target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Debian's recipe: `std` built from the sysroot's source (`-Zbuild-std`), linked
    /// with a `rust-lld`. The pinned route, and the one the built-in catalog requires.
    BuildStd,
    /// A rustup toolchain whose sysroot holds a prebuilt `std` for the target.
    Prebuilt,
}

/// A guest toolchain found on this machine.
#[derive(Debug, Clone)]
pub struct Toolchain {
    /// How it gets `std`.
    pub route: Route,
    /// The `cargo` beside the compiler.
    pub cargo: PathBuf,
    /// The compiler.
    pub rustc: PathBuf,
    /// The wasm linker for [`Route::BuildStd`] (`rust-lld`); rustc finds its own otherwise.
    pub linker: Option<PathBuf>,
    /// `rustc --version`: recorded because it decides the bytes.
    pub version: String,
}

/// What a `rustc` says about itself.
struct Probe {
    version: String,
    sysroot: PathBuf,
    host: String,
}

fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn probe(rustc: &Path) -> Option<Probe> {
    let version = output(Command::new(rustc).arg("--version"))?;
    let sysroot = PathBuf::from(output(Command::new(rustc).args(["--print", "sysroot"]))?);
    let verbose = output(Command::new(rustc).arg("-vV"))?;
    let host = verbose
        .lines()
        .find_map(|l| l.strip_prefix("host: "))?
        .trim()
        .to_owned();
    Some(Probe {
        version,
        sysroot,
        host,
    })
}

/// Which route a sysroot supports, preferring a prebuilt `std`.
fn route(sysroot: &Path) -> Option<Route> {
    let rustlib = sysroot.join("lib/rustlib");
    if rustlib.join(TARGET).join("lib").is_dir() {
        Some(Route::Prebuilt)
    } else if rustlib.join("src/rust/library/std").is_dir() {
        Some(Route::BuildStd)
    } else {
        None
    }
}

fn rust_lld(sysroot: &Path, host: &str) -> Option<PathBuf> {
    let lld = sysroot.join("lib/rustlib").join(host).join("bin/rust-lld");
    lld.is_file().then_some(lld)
}

/// The `cargo` beside a compiler (`/usr/bin/rustc` → `/usr/bin/cargo`; a bare `rustc`
/// found on PATH → `cargo` on PATH).
fn sibling_cargo(rustc: &Path) -> Option<PathBuf> {
    match rustc.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => Some(dir.join("cargo")).filter(|c| c.is_file()),
        None => Some(PathBuf::from("cargo")),
    }
}

/// The candidate compilers, in order: the one the user named alone, else Debian's
/// pinned recipe, then the `rustc` on PATH (rustup's).
fn candidates(named: Option<&Path>) -> Vec<PathBuf> {
    match named {
        Some(rustc) => vec![rustc.to_path_buf()],
        None => vec![PathBuf::from(DEBIAN_RUSTC), PathBuf::from("rustc")],
    }
}

impl Toolchain {
    /// Finds a guest toolchain: `named` alone when given (`IDP_GUEST_RUSTC`), else the
    /// first that works. `pinned` (the built-in catalog) accepts only
    /// [`Route::BuildStd`], whose version `.ci/run` pins, so the digests reproduce.
    pub fn detect(named: Option<&Path>, pinned: bool) -> Result<Toolchain, BuildError> {
        Self::detect_among(&candidates(named), pinned)
    }

    /// [`Toolchain::detect`] over explicit candidates (what the tests drive).
    pub fn detect_among(candidates: &[PathBuf], pinned: bool) -> Result<Toolchain, BuildError> {
        let mut refused = None;
        for rustc in candidates {
            let Some(tc) = Self::from_rustc(rustc) else {
                continue;
            };
            if pinned && tc.route != Route::BuildStd {
                refused.get_or_insert(tc.version);
                continue;
            }
            return Ok(tc);
        }
        Err(match refused {
            Some(found) => BuildError::PinnedToolchain { found },
            None => BuildError::Toolchain {
                tried: candidates
                    .iter()
                    .map(|c| format!("`{}`", c.display()))
                    .collect::<Vec<_>>()
                    .join(", "),
            },
        })
    }

    /// The toolchain a compiler belongs to, if it can build guests.
    fn from_rustc(rustc: &Path) -> Option<Toolchain> {
        let probe = probe(rustc)?;
        let route = route(&probe.sysroot)?;
        let cargo = sibling_cargo(rustc)?;
        let linker = match route {
            Route::Prebuilt => None,
            // Debian's rustc ships no rust-lld: its own sysroot's, else the one of the
            // host's rustup toolchain (first `rustc` on PATH) links wasm.
            Route::BuildStd => Some(rust_lld(&probe.sysroot, &probe.host).or_else(|| {
                let host = probe_path_rustc()?;
                rust_lld(&host.sysroot, &host.host)
            })?),
        };
        Some(Toolchain {
            route,
            cargo,
            rustc: rustc.to_path_buf(),
            linker,
            version: probe.version,
        })
    }

    /// The route, as messages name it.
    pub fn describe(&self) -> String {
        let how = match self.route {
            Route::BuildStd => "std built from source",
            Route::Prebuilt => "prebuilt wasm32 std",
        };
        format!("{} ({how}, `{}`)", self.version, self.rustc.display())
    }
}

fn probe_path_rustc() -> Option<Probe> {
    probe(Path::new("rustc"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A fake toolchain: a `rustc` script answering like the real one, a `cargo` beside
    /// it, and a sysroot with whatever `layout` creates.
    fn fake(dir: &Path, version: &str, layout: &[&str]) -> PathBuf {
        let sysroot = dir.join("sysroot");
        for path in layout {
            let path = sysroot.join(path);
            if path.extension().is_some() || path.ends_with("rust-lld") {
                std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
                std::fs::write(&path, "").expect("file");
            } else {
                std::fs::create_dir_all(&path).expect("dir");
            }
        }
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).expect("bin");
        let script = format!(
            "#!/bin/sh\ncase \"$1\" in\n--version) echo '{version}';;\n--print) echo '{}';;\n-vV) echo '{version}'; echo 'host: x86_64-unknown-linux-gnu';;\nesac\n",
            sysroot.display()
        );
        let rustc = bin.join("rustc");
        std::fs::write(&rustc, script).expect("script");
        std::fs::set_permissions(&rustc, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        std::fs::write(bin.join("cargo"), "").expect("cargo");
        rustc
    }

    const PREBUILT: &[&str] = &["lib/rustlib/wasm32-unknown-unknown/lib"];
    const BUILD_STD: &[&str] = &[
        "lib/rustlib/src/rust/library/std",
        "lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld",
    ];

    #[test]
    fn a_rustup_toolchain_with_the_wasm32_target_is_found() {
        let dir = tempfile::tempdir().expect("temp");
        let rustc = fake(dir.path(), "rustc 1.95.0 (rustup)", PREBUILT);
        let tc = Toolchain::detect_among(&[rustc], false).expect("found");
        assert_eq!(tc.route, Route::Prebuilt);
        assert_eq!(tc.version, "rustc 1.95.0 (rustup)");
        assert_eq!(tc.cargo, dir.path().join("bin/cargo"));
        assert_eq!(tc.linker, None);
    }

    #[test]
    fn a_toolchain_with_std_sources_builds_std_and_links_with_its_rust_lld() {
        let dir = tempfile::tempdir().expect("temp");
        let rustc = fake(dir.path(), "rustc 1.96.0 (debian)", BUILD_STD);
        let tc = Toolchain::detect_among(&[rustc], true).expect("found");
        assert_eq!(tc.route, Route::BuildStd);
        assert_eq!(
            tc.linker,
            Some(
                dir.path()
                    .join("sysroot/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld")
            )
        );
    }

    #[test]
    fn a_toolchain_without_the_target_or_std_sources_is_skipped_for_the_next() {
        let bare = tempfile::tempdir().expect("temp");
        let good = tempfile::tempdir().expect("temp");
        let candidates = [
            fake(bare.path(), "rustc 1.95.0 (no wasm32)", &["lib/rustlib"]),
            fake(good.path(), "rustc 1.95.0 (wasm32)", PREBUILT),
        ];
        let tc = Toolchain::detect_among(&candidates, false).expect("found");
        assert_eq!(tc.version, "rustc 1.95.0 (wasm32)");
    }

    #[test]
    fn the_pinned_build_refuses_a_rustup_toolchain() {
        let dir = tempfile::tempdir().expect("temp");
        let rustc = fake(dir.path(), "rustc 1.95.0 (rustup)", PREBUILT);
        let err = Toolchain::detect_among(&[rustc], true).expect_err("refused");
        assert!(
            matches!(&err, BuildError::PinnedToolchain { found } if found == "rustc 1.95.0 (rustup)"),
            "{err}"
        );
    }

    #[test]
    fn no_toolchain_names_what_was_tried_and_both_ways_to_get_one() {
        let err = Toolchain::detect_among(&[PathBuf::from("/nonexistent/rustc")], false)
            .expect_err("none");
        assert_eq!(
            err.to_string(),
            "no toolchain that builds `wasm32-unknown-unknown` plugins (tried `/nonexistent/rustc`)"
        );
        let help = miette::Diagnostic::help(&err).expect("help").to_string();
        assert!(
            help.contains("apt-get install rustc-web cargo-web rust-web-src"),
            "{help}"
        );
        assert!(
            help.contains("rustup target add wasm32-unknown-unknown"),
            "{help}"
        );
    }
}
