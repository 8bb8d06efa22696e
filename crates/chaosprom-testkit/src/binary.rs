//! Finding the server binaries.

use std::path::{Path, PathBuf};

use crate::Error;

/// A server binary: its name, the variable that overrides it, and the names
/// it has on PATH.
#[derive(Debug, Clone, Copy)]
pub struct Binary {
    /// The name used in messages.
    pub name: &'static str,
    /// The environment variable that points at it.
    pub env: &'static str,
    /// The names looked up on PATH, in order.
    pub candidates: &'static [&'static str],
    /// The Debian package that provides it.
    pub package: &'static str,
}

/// Prometheus itself.
pub const PROMETHEUS: Binary = Binary {
    name: "prometheus",
    env: "PROMETHEUS_BIN",
    candidates: &["prometheus"],
    package: "prometheus",
};

/// promtool, shipped with Prometheus.
pub const PROMTOOL: Binary = Binary {
    name: "promtool",
    env: "PROMTOOL_BIN",
    candidates: &["promtool"],
    package: "prometheus",
};

/// The Pushgateway.
pub const PUSHGATEWAY: Binary = Binary {
    name: "pushgateway",
    env: "PUSHGATEWAY_BIN",
    candidates: &["prometheus-pushgateway", "pushgateway"],
    package: "prometheus-pushgateway",
};

/// VictoriaMetrics, single-node.
pub const VICTORIA_METRICS: Binary = Binary {
    name: "victoria-metrics",
    env: "VICTORIA_METRICS_BIN",
    candidates: &["victoria-metrics", "victoria-metrics-prod"],
    package: "victoria-metrics",
};

/// tinyproxy, a real forward proxy (HTTP forwarding and `CONNECT`).
pub const TINYPROXY: Binary = Binary {
    name: "tinyproxy",
    env: "TINYPROXY_BIN",
    candidates: &["tinyproxy"],
    package: "tinyproxy",
};

/// Chromium, run headless to check that HTML reports render.
pub const CHROMIUM: Binary = Binary {
    name: "chromium",
    env: "CHROMIUM_BIN",
    candidates: &["chromium", "chromium-browser"],
    package: "chromium",
};

/// Every binary the kit uses.
pub const ALL: [Binary; 6] = [
    PROMETHEUS,
    PROMTOOL,
    PUSHGATEWAY,
    VICTORIA_METRICS,
    TINYPROXY,
    CHROMIUM,
];

impl Binary {
    /// Finds the binary: the environment variable first, then PATH.
    ///
    /// ```
    /// match chaosprom_testkit::binary::PROMETHEUS.find() {
    ///     Ok(path) => println!("prometheus is {}", path.display()),
    ///     Err(e) => println!("{e}"),
    /// }
    /// ```
    pub fn find(&self) -> Result<PathBuf, Error> {
        if let Some(value) = std::env::var_os(self.env).filter(|v| !v.is_empty()) {
            let path = PathBuf::from(value);
            return if path.is_file() {
                Ok(path)
            } else {
                Err(Error::BadBinaryVar {
                    env: self.env,
                    path,
                })
            };
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        for name in self.candidates {
            for dir in std::env::split_paths(&path) {
                let candidate = dir.join(name);
                if is_executable(&candidate) {
                    return Ok(candidate);
                }
            }
        }
        Err(Error::BinaryNotFound {
            name: self.name,
            env: self.env,
            candidates: self.candidates.join(", "),
        })
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
