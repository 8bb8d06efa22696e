//! `cargo xtask man`: chaosprom's man page, from its clap definitions.

pub(crate) fn run() -> crate::Result {
    let status = crate::cargo()
        .args(["build", "--quiet", "--release", "-p", "chaosprom-cli"])
        .status()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("building chaosprom failed: {status}"));
    }
    let root = crate::root();
    let binary = crate::target_dir().join("release/chaosprom");
    let page = std::process::Command::new(&binary)
        .arg("man")
        .output()
        .map_err(|e| format!("could not run {}: {e}", binary.display()))?;
    if !page.status.success() || page.stdout.is_empty() {
        return Err(format!(
            "chaosprom man failed: {}",
            String::from_utf8_lossy(&page.stderr)
        ));
    }
    let folder = root.join("target/man");
    std::fs::create_dir_all(&folder).map_err(|e| format!("creating {}: {e}", folder.display()))?;
    let file = folder.join("chaosprom.1");
    std::fs::write(&file, &page.stdout).map_err(|e| format!("writing {}: {e}", file.display()))?;
    eprintln!(
        "xtask man: wrote {} (man {})",
        file.display(),
        file.display()
    );
    Ok(())
}
