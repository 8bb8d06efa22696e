//! `cargo xtask release <version> [--dry-run]`.

use semver::Version;
use toml_edit::{DocumentMut, value};

pub(crate) fn run(version: &str, dry_run: bool) -> crate::Result {
    let root = crate::root();
    let manifest_path = root.join("Cargo.toml");
    let changelog_path = root.join("CHANGELOG.md");
    let manifest = read(&manifest_path)?;
    let changelog = read(&changelog_path)?;

    let new = Version::parse(version)
        .map_err(|e| format!("'{version}' is not a semantic version (like 1.2.3): {e}"))?;
    let (manifest_new, old, crates) = bump_manifest(&manifest, &new)?;
    if new <= old {
        return Err(format!(
            "{new} is not greater than the current version {old}"
        ));
    }
    let date = jiff::Zoned::now().date();
    let changelog_new = date_changelog(&changelog, &new, date)?;

    println!(
        "release {old} -> {new}{}",
        if dry_run { " (dry run)" } else { "" }
    );
    println!("  Cargo.toml: [workspace.package] version = \"{new}\"");
    for name in &crates {
        println!("  Cargo.toml: [workspace.dependencies] {name} version = \"{new}\"");
    }
    println!("  CHANGELOG.md: ## [Unreleased] -> ## [{new}] - {date}");

    if !dry_run {
        write(&manifest_path, &manifest_new)?;
        write(&changelog_path, &changelog_new)?;
    }
    println!("Packaging every publishable crate...");
    // The release edits the tree, so a real release packages a dirty tree.
    let status = crate::cargo()
        .args(["package", "--workspace", "--allow-dirty"])
        .args(["--exclude", "xtask", "--exclude", "chaosprom-testkit"])
        .status()
        .map_err(|e| format!("could not run cargo package: {e}"))?;
    if !status.success() {
        return Err(format!("cargo package failed with {status}"));
    }
    if dry_run {
        println!("Dry run: no file was changed.");
    } else {
        println!("Bumped to {new}: review, commit and tag v{new}.");
    }
    Ok(())
}

/// Sets the workspace version and the version of every internal dependency.
/// Returns the new text, the old version and the internal crates' names.
fn bump_manifest(text: &str, new: &Version) -> crate::Result<(String, Version, Vec<String>)> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e| format!("Cargo.toml does not parse: {e}"))?;
    let old = doc["workspace"]["package"]["version"]
        .as_str()
        .ok_or("Cargo.toml has no [workspace.package] version")?;
    let old = Version::parse(old)
        .map_err(|e| format!("the current version '{old}' is not semantic: {e}"))?;
    doc["workspace"]["package"]["version"] = value(new.to_string());
    let mut crates = Vec::new();
    if let Some(deps) = doc["workspace"]["dependencies"].as_table_like_mut() {
        for (name, dep) in deps.iter_mut() {
            let Some(table) = dep.as_table_like_mut() else {
                continue;
            };
            // Internal crates that are published carry a version; the
            // test kit, never published, is path only and stays so.
            if table.contains_key("path") && table.contains_key("version") {
                table.insert("version", value(new.to_string()));
                crates.push(name.to_string());
            }
        }
    }
    Ok((doc.to_string(), old, crates))
}

/// Renames `## [Unreleased]` to the dated version and opens a new, empty
/// `## [Unreleased]` above it.
fn date_changelog(text: &str, new: &Version, date: jiff::civil::Date) -> crate::Result<String> {
    const HEADING: &str = "## [Unreleased]";
    if !text.lines().any(|l| l.trim() == HEADING) {
        return Err(format!("CHANGELOG.md has no '{HEADING}' section"));
    }
    if text.contains(&format!("## [{new}]")) {
        return Err(format!("CHANGELOG.md already has a section for {new}"));
    }
    Ok(text.replacen(HEADING, &format!("{HEADING}\n\n## [{new}] - {date}"), 1))
}

fn read(path: &std::path::Path) -> crate::Result<String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn write(path: &std::path::Path, text: &str) -> crate::Result {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"[workspace]
members = ["crates/*"]

[workspace.package]
version = "0.1.0"

[workspace.dependencies]
jiff = "0.2"
chaosprom-when = { path = "crates/chaosprom-when", version = "0.1.0" }
chaosprom-testkit = { path = "crates/chaosprom-testkit" }
"#;

    #[test]
    fn bumps_the_workspace_and_internal_dependencies_only() {
        let new = Version::new(0, 2, 0);
        let (text, old, crates) = bump_manifest(MANIFEST, &new).unwrap();
        assert_eq!(old, Version::new(0, 1, 0));
        assert_eq!(crates, ["chaosprom-when"]);
        assert!(
            text.contains("[workspace.package]\nversion = \"0.2.0\""),
            "{text}"
        );
        assert!(
            text.contains(
                r#"chaosprom-when = { path = "crates/chaosprom-when", version = "0.2.0" }"#
            ),
            "{text}"
        );
        assert!(text.contains("jiff = \"0.2\""), "{text}");
        assert!(
            text.contains(r#"chaosprom-testkit = { path = "crates/chaosprom-testkit" }"#),
            "{text}"
        );
    }

    #[test]
    fn dates_the_unreleased_section() {
        let text = "# Changelog\n\n## [Unreleased]\n\n### Added\n- a thing\n";
        let date = jiff::civil::date(2026, 11, 25);
        let out = date_changelog(text, &Version::new(0, 2, 0), date).unwrap();
        assert_eq!(
            out,
            "# Changelog\n\n## [Unreleased]\n\n## [0.2.0] - 2026-11-25\n\n### Added\n- a thing\n"
        );
        assert!(date_changelog("# Changelog\n", &Version::new(0, 2, 0), date).is_err());
        assert!(date_changelog(&out, &Version::new(0, 2, 0), date).is_err());
    }
}
