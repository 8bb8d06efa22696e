//! A real single-node VictoriaMetrics.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use crate::server::{DEFAULT_READY_TIMEOUT, Launch, Server, temp_dir};
use crate::{Error, binary, http};

/// A VictoriaMetrics server on 127.0.0.1, with its storage in a temporary
/// folder. Dropping it stops the process and removes the folder.
///
/// ```no_run
/// let vm = chaosprom_testkit::VictoriaMetrics::start()?;
/// vm.import_prometheus("temp{room=\"a\"} 21.5 1700000000000\n")?;
/// # Ok::<(), chaosprom_testkit::Error>(())
/// ```
#[derive(Debug)]
pub struct VictoriaMetrics {
    server: Server,
    url: String,
}

impl VictoriaMetrics {
    /// Starts one and waits until `/health` answers.
    pub fn start() -> Result<Self, Error> {
        Self::start_with_timeout(DEFAULT_READY_TIMEOUT)
    }

    /// Starts one, waiting at most `ready_timeout` for it.
    pub fn start_with_timeout(ready_timeout: Duration) -> Result<Self, Error> {
        let binary = binary::VICTORIA_METRICS.find()?;
        let dir = temp_dir("victoria-metrics")?;
        let args = |addr: SocketAddr, folder: &Path| -> Result<Vec<String>, Error> {
            Ok(vec![
                format!("-httpListenAddr={addr}"),
                format!("-storageDataPath={}", folder.join("data").display()),
                // Keep imported history, however old.
                "-retentionPeriod=100y".to_owned(),
                // Show fresh samples at once and never answer from a cache,
                // so that what a test imports is what a query returns.
                "-search.latencyOffset=0s".to_owned(),
                "-search.disableCache".to_owned(),
                "-loggerLevel=WARN".to_owned(),
            ])
        };
        let server = Server::start(Launch {
            name: "victoria-metrics",
            binary,
            dir,
            ready_timeout,
            args: &args,
            ready_path: Some("/health"),
        })?;
        let url = format!("http://{}", server.addr());
        Ok(Self { server, url })
    }

    /// Imports samples in the Prometheus text format, with timestamps in
    /// milliseconds (`name{labels} value timestamp_ms`), and makes them
    /// searchable at once.
    pub fn import_prometheus(&self, text: &str) -> Result<(), Error> {
        let url = format!("{}/api/v1/import/prometheus", self.url);
        http::send_body("POST", &url, "text/plain", text).and_then(|r| r.ok("POST", &url))?;
        let flush = format!("{}/internal/force_flush", self.url);
        http::get(&flush).and_then(|r| r.ok("GET", &flush))?;
        Ok(())
    }

    /// The base URL, e.g. `http://127.0.0.1:41236`.
    pub fn url(&self) -> &str {
        &self.url
    }

    crate::server::server_accessors!();
}
