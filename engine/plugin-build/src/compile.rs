//! One guest crate to a core wasm module: the guest profile and flags, given to cargo on
//! its command line so that no workspace needs a copy of them.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::BuildError;
use crate::discover::{GuestCrate, Workspace};
use crate::toolchain::{Route, TARGET, Toolchain};

/// The profile guests are built with: small and deterministic. Defined here, once, for
/// the built-in catalog and every team's crates alike (cargo takes profiles from
/// `--config` as from `Cargo.toml`). Every setting is spelled out, so a workspace's own
/// `[profile.release]` does not leak in.
const GUEST_PROFILE: &[(&str, &str)] = &[
    ("inherits", "\"release\""),
    ("opt-level", "\"s\""),
    ("lto", "true"),
    ("codegen-units", "1"),
    ("panic", "\"abort\""),
    ("debug", "0"),
    ("strip", "\"debuginfo\""),
    ("incremental", "false"),
    ("debug-assertions", "false"),
    ("overflow-checks", "false"),
];

/// The profile's name, and the directory under the target's where cargo puts its output.
const PROFILE: &str = "guest";

/// `--config` arguments defining the guest profile.
pub fn profile_args() -> Vec<String> {
    GUEST_PROFILE
        .iter()
        .flat_map(|(key, value)| {
            [
                "--config".to_owned(),
                format!("profile.{PROFILE}.{key}={value}"),
            ]
        })
        .collect()
}

/// The rustc flags of every guest build, `std`'s included. Nothing in them depends on
/// where the workspace is, so one compiled `std` per target directory serves every
/// workspace: cargo names workspace members by relative paths already, and registry
/// sources (absolute, under `CARGO_HOME`) are remapped. Separated by 0x1f as
/// `CARGO_ENCODED_RUSTFLAGS` requires.
pub fn rustflags(cargo_home: &Path) -> String {
    [
        format!("--remap-path-prefix={}=/cargo", cargo_home.display()),
        "-Cdebuginfo=0".to_owned(),
    ]
    .join("\x1f")
}

fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from("/root/.cargo"))
}

/// Where guest builds go: `CARGO_TARGET_DIR` when set, else `<workspace>/target/guest`.
pub fn target_dir(workspace: &Workspace) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace.root.join("target/guest"))
}

/// The `cargo build` of one guest crate.
fn command(tc: &Toolchain, ws: &Workspace, guest: &GuestCrate, target_dir: &Path) -> Command {
    let mut cmd = Command::new(&tc.cargo);
    cmd.current_dir(&ws.root)
        .args(["build", "--profile", PROFILE, "--target", TARGET])
        .args(["-p", &guest.package])
        .args(profile_args())
        .env("RUSTC", &tc.rustc)
        .env("CARGO_TARGET_DIR", target_dir)
        .env("CARGO_ENCODED_RUSTFLAGS", rustflags(&cargo_home()))
        .env_remove("RUSTFLAGS")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("RUSTC_WORKSPACE_WRAPPER");
    // A lock file that exists is respected; a new crate gets one written.
    if ws.in_repo || ws.root.join("Cargo.lock").is_file() {
        cmd.arg("--locked");
    }
    // Freshness by content, not mtime: cargo names a workspace member by its path relative
    // to the workspace, so two workspaces sharing a target directory with a crate of one
    // name at one relative path share its fingerprint, and by mtime the second would be
    // "fresh" and get the first one's module (seen: `summary of a` built from b's source).
    cmd.arg("-Zchecksum-freshness").env("RUSTC_BOOTSTRAP", "1");
    if tc.route == Route::BuildStd {
        cmd.arg("-Zbuild-std=std,panic_abort")
            .env_remove("RUSTUP_TOOLCHAIN");
        if let Some(linker) = &tc.linker {
            cmd.env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", linker);
        }
    }
    cmd
}

/// Locks the target directory for one build and the read of its artifact. Cargo locks
/// the directory only while it builds, and the artifact is named after the crate, not its
/// workspace: two builds sharing a target directory (as docs/authoring.md recommends)
/// with crates of one name would otherwise read each other's module.
fn lock(target_dir: &Path) -> Result<std::fs::File, BuildError> {
    let path = target_dir.join(".idp-guest-build.lock");
    std::fs::create_dir_all(target_dir).map_err(|e| BuildError::io("create", target_dir, &e))?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| BuildError::io("open", &path, &e))?;
    file.lock().map_err(|e| BuildError::io("lock", &path, &e))?;
    Ok(file)
}

/// A cdylib's file carries no hash: every version of a crate (0.1.0, then 0.2.0, then
/// 0.1.0 again for `--check`) writes the same `deps/NAME.wasm`, and cargo, finding the
/// older unit fresh, would leave the newer one's module there. So a marker beside it
/// names what built it (the crate's manifest and the workspace's lock file); when another
/// unit did, the module is removed and cargo rebuilds the crate (its dependencies stay
/// fresh). The same unit built again keeps its module, and a warm build stays fast.
fn forget_another_units_module(
    out: &Path,
    file: &str,
    ws: &Workspace,
    guest: &GuestCrate,
) -> Result<(), BuildError> {
    let read = |p: &Path| std::fs::read(p).unwrap_or_default();
    let unit = idp_host::digest(
        &[
            read(&guest.dir.join("Cargo.toml")),
            read(&ws.root.join("Cargo.lock")),
        ]
        .join(&0u8),
    );
    let marker = out.join(format!("{file}.idp-unit"));
    if std::fs::read_to_string(&marker).is_ok_and(|m| m == unit) {
        return Ok(());
    }
    for stale in [out.join("deps").join(file), out.join(file)] {
        match std::fs::remove_file(&stale) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(BuildError::io("remove", &stale, &e));
            }
            _ => {}
        }
    }
    std::fs::create_dir_all(out).map_err(|e| BuildError::io("create", out, &e))?;
    std::fs::write(&marker, unit).map_err(|e| BuildError::io("write", &marker, &e))
}

/// Builds one guest crate and returns its core module.
pub fn build(tc: &Toolchain, ws: &Workspace, guest: &GuestCrate) -> Result<Vec<u8>, BuildError> {
    let target_dir = target_dir(ws);
    // Released when it goes out of scope, after the artifact is read.
    let _lock = lock(&target_dir)?;
    let out = target_dir.join(TARGET).join(PROFILE);
    let file = format!("{}.wasm", guest.lib_name);
    forget_another_units_module(&out, &file, ws, guest)?;
    let status = command(tc, ws, guest, &target_dir)
        .status()
        .map_err(|e| BuildError::io("run", &tc.cargo, &e))?;
    if !status.success() {
        return Err(BuildError::Cargo {
            krate: guest.package.clone(),
            status: status.to_string(),
        });
    }
    let wasm = out.join(&file);
    std::fs::read(&wasm).map_err(|e| BuildError::io("read", &wasm, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flags_do_not_name_the_workspace() {
        let flags = rustflags(Path::new("/home/dev/.cargo"));
        assert_eq!(
            flags.split('\x1f').collect::<Vec<_>>(),
            [
                "--remap-path-prefix=/home/dev/.cargo=/cargo",
                "-Cdebuginfo=0"
            ]
        );
    }

    #[test]
    fn the_profile_is_given_as_cargo_configuration() {
        let args = profile_args();
        assert_eq!(args[0], "--config");
        assert_eq!(args[1], "profile.guest.inherits=\"release\"");
        assert!(args.contains(&"profile.guest.panic=\"abort\"".to_owned()));
    }
}
