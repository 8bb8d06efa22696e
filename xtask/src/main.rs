//! Project automation: `cargo xtask <command>`.
//!
//! - `setup`: installs the real servers the tests use, from Debian's packages.
//! - `test`: the one command that checks everything.
//! - `servers`: runs Prometheus, a Pushgateway and VictoriaMetrics until Ctrl-C.
//! - `demo`: the project's main job on real local servers.
//! - `bench`: chaosprom side by side with curl, a Rust peer and the Python
//!   extension, one hyperfine run per workload, then interleaved rounds.
//! - `dist`: the static `chaosprom` binary (musl), one file to copy to a
//!   host.
//! - `man`: chaosprom's man page, generated from its flags.
//! - `release <version> [--dry-run]`: bumps versions, dates the changelog,
//!   packages every crate.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod bench;
mod demo;
mod dist;
mod man;
mod release;
mod servers;
mod setup;
mod test;

/// chaosprom's project automation.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Install the missing Prometheus, Pushgateway and VictoriaMetrics
    /// binaries from Debian's packages (as root), or print the command.
    Setup,
    /// Check everything: format, clippy, tests, docs, and the command
    /// line's tests against the static build where it can be built (runs
    /// setup first if a server binary is missing).
    Test,
    /// Run Prometheus (scraping itself and the Pushgateway), a Pushgateway
    /// and VictoriaMetrics in the foreground until Ctrl-C.
    Servers,
    /// Run the project's main job against real local servers.
    Demo,
    /// Time chaosprom beside curl, a Rust peer (prometheus-http-query) and
    /// the Python extension (when CTK_PYTHON names a Python that has it),
    /// on real servers with a generated 66 MB dataset; one hyperfine run
    /// per workload, then interleaved rounds, tables in
    /// target/bench/summary.md.
    Bench {
        /// Timed runs per command.
        #[arg(long, default_value_t = 10)]
        runs: u32,
        /// Untimed runs per command first.
        #[arg(long, default_value_t = 2)]
        warmup: u32,
        /// Only these workloads (instant, range_small, range_large, run).
        #[arg(value_name = "WORKLOAD")]
        workloads: Vec<String>,
    },
    /// Build the static chaosprom (ARCH-unknown-linux-musl: no shared
    /// libraries) and print its path.
    Dist,
    /// Write chaosprom's man page to target/man/chaosprom.1.
    Man,
    /// Bump every crate to VERSION, date the changelog, package every crate.
    Release {
        /// The new version, greater than the current one.
        version: String,
        /// Report what would change and package, but change no file.
        #[arg(long)]
        dry_run: bool,
    },
}

/// An xtask failure: a message for the user.
pub(crate) type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Setup => setup::run(),
        Command::Test => test::run(),
        Command::Servers => servers::run(),
        Command::Demo => demo::run(),
        Command::Bench {
            runs,
            warmup,
            workloads,
        } => bench::run(&bench::Options {
            runs,
            warmup,
            workloads: if workloads.is_empty() {
                bench::WORKLOADS.iter().map(|w| (*w).to_owned()).collect()
            } else {
                workloads
            },
        }),
        Command::Dist => dist::run(),
        Command::Man => man::run(),
        Command::Release { version, dry_run } => release::run(&version, dry_run),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (xtask's parent folder).
pub(crate) fn root() -> std::path::PathBuf {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Where cargo writes what it builds: `CARGO_TARGET_DIR`, else the
/// workspace's `target/`.
pub(crate) fn target_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// The cargo that runs us, or `cargo`.
pub(crate) fn cargo() -> std::process::Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = std::process::Command::new(cargo);
    command.current_dir(root());
    command
}
