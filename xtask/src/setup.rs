//! `cargo xtask setup`: install the real servers from Debian's packages.

use std::process::Command;

use chaosprom_testkit::binary::{self, Binary};

/// The Debian packages of the binaries that cannot be found.
pub(crate) fn missing_packages() -> Vec<&'static str> {
    let mut packages: Vec<&'static str> = binary::ALL
        .iter()
        .filter(|b: &&Binary| b.find().is_err())
        .map(|b| b.package)
        .collect();
    packages.dedup();
    packages
}

pub(crate) fn run() -> crate::Result {
    let packages = missing_packages();
    if packages.is_empty() {
        return Ok(());
    }
    let install = format!(
        "apt-get install -y --no-install-recommends {}",
        packages.join(" ")
    );
    let debian = std::path::Path::new("/etc/debian_version").exists();
    if !(debian && is_root()) {
        return Err(format!(
            "missing server packages: {}. Install them with:\n  \
             sudo apt-get update && sudo {install}\n\
             or point PROMETHEUS_BIN, PROMTOOL_BIN, PUSHGATEWAY_BIN, \
             VICTORIA_METRICS_BIN at the binaries",
            packages.join(", ")
        ));
    }
    eprintln!("xtask setup: installing {}", packages.join(", "));
    apt(&["update", "-qq"])?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend(&packages);
    apt(&args)?;
    let still = missing_packages();
    if still.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "installed, but still cannot find the binaries of: {}",
            still.join(", ")
        ))
    }
}

fn apt(args: &[&str]) -> crate::Result {
    let status = Command::new("apt-get")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .map_err(|e| format!("could not run apt-get: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`apt-get {}` failed with {status}", args.join(" ")))
    }
}

/// Whether we run as root, from the real uid in /proc/self/status.
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|uids| uids.split_whitespace().next())
            == Some("0")
    })
}
