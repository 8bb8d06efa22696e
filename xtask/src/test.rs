//! `cargo xtask test`: the one command that checks everything.

use std::time::Instant;

pub(crate) fn run() -> crate::Result {
    if !crate::setup::missing_packages().is_empty() {
        step("setup", crate::setup::run)?;
    }
    step("fmt", || cargo(&["fmt", "--all", "--check"], &[]))?;
    step("clippy", || {
        cargo(
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
            &[],
        )
    })?;
    step("test", || cargo(&["test", "--workspace"], &[]))?;
    // The static build (`cargo xtask dist`) passes the command line's
    // end-to-end tests too, where this machine can make it.
    match crate::dist::missing() {
        None => step("static", || {
            let binary = crate::dist::build()?;
            let binary = binary
                .to_str()
                .ok_or("the static build's path is not UTF-8")?;
            cargo(
                &["test", "-p", "chaosprom-cli", "--test", "*"],
                &[("CHAOSPROM_TEST_BIN", binary)],
            )
        })?,
        Some(why) => eprintln!("xtask test: static skipped: {why}"),
    }
    step("doc", || {
        cargo(
            &["doc", "--workspace", "--no-deps"],
            &[("RUSTDOCFLAGS", "-D warnings")],
        )
    })?;
    eprintln!("xtask test: all steps passed");
    Ok(())
}

fn step(name: &str, work: impl FnOnce() -> crate::Result) -> crate::Result {
    eprintln!("xtask test: {name}");
    let started = Instant::now();
    work().map_err(|e| format!("step '{name}' failed: {e}"))?;
    eprintln!(
        "xtask test: {name} passed in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn cargo(args: &[&str], env: &[(&str, &str)]) -> crate::Result {
    let mut command = crate::cargo();
    command.args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    let status = command
        .status()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`cargo {}` exited with {status}", args.join(" ")))
    }
}
