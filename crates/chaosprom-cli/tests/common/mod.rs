//! What the command line's end-to-end tests share: writing an experiment,
//! starting a run, waiting for a marker file, signalling the run, and
//! reading its journal.

// Each test file uses a part of this.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The `chaosprom` under test: this build's, or the one that
/// `CHAOSPROM_TEST_BIN` names (`cargo xtask test` runs these tests again
/// with the static build, `cargo xtask dist`'s).
pub(crate) fn chaosprom() -> std::ffi::OsString {
    std::env::var_os("CHAOSPROM_TEST_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_chaosprom").into())
}

/// Makes a named pipe at `path`.
pub(crate) fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}: {status}", path.display());
}

/// Writes `experiment` as `dir/name`.
pub(crate) fn write(dir: &Path, name: &str, experiment: &Value) -> PathBuf {
    let file = dir.join(name);
    std::fs::write(&file, experiment.to_string()).unwrap();
    file
}

/// `chaosprom run FILE --journal-path JOURNAL EXTRA…`, its stderr piped.
pub(crate) fn spawn_run(file: &Path, journal: &Path, extra: &[&str]) -> Child {
    Command::new(chaosprom())
        .arg("run")
        .arg(file)
        .arg("--journal-path")
        .arg(journal)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits (20 s at most) for `path` to exist, then lets the run reach its
/// next await.
pub(crate) fn wait_for(path: &Path) {
    let started = Instant::now();
    while !path.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
}

/// `kill -NAME` the child.
pub(crate) fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

/// The journal at `path`.
pub(crate) fn journal(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Bytes as text.
pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
