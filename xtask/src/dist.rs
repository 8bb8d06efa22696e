//! `cargo xtask dist`: the static `chaosprom`, one file to copy to a host.
//!
//! Built for `<arch>-unknown-linux-musl`: a static position-independent
//! executable (the loader still randomises its address), with no dynamic
//! loader, no shared C library and no NSS modules. A one-shot probe
//! takes about four fifths of the glibc build's time.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The static build's target, for the machine's architecture.
pub(crate) fn target() -> String {
    format!("{}-unknown-linux-musl", std::env::consts::ARCH)
}

pub(crate) fn run() -> crate::Result {
    let binary = build()?;
    println!("{}", binary.display());
    Ok(())
}

/// Builds the static binary and returns its path.
pub(crate) fn build() -> crate::Result<PathBuf> {
    if let Some(why) = missing() {
        return Err(format!("the static build cannot be made here: {why}"));
    }
    let target = target();
    println!("Building chaosprom (release, static, {target})...");
    let status = crate::cargo()
        .args(["build", "--release", "-p", "chaosprom-cli", "--target"])
        .arg(&target)
        .status()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "the static build failed: cargo exited with {status}"
        ));
    }
    Ok(crate::target_dir().join(&target).join("release/chaosprom"))
}

/// What the static build needs and this machine lacks, with the command
/// that installs it; `None` when it can be built.
pub(crate) fn missing() -> Option<String> {
    let target = target();
    let sysroot = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let has_std = |root: &Path| root.join("lib/rustlib").join(&target).join("lib").is_dir();
    if !sysroot.as_deref().is_some_and(has_std) {
        return Some(format!(
            "Rust's standard library for {target} is not installed \
             (rustup target add {target})"
        ));
    }
    // ring and mimalloc compile C, which needs musl's headers.
    if which::which("musl-gcc").is_err() {
        return Some("musl-gcc is not installed (as root: apt-get install -y musl-tools)".into());
    }
    None
}
