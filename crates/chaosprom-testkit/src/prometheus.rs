//! A real Prometheus server.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::server::{DEFAULT_READY_TIMEOUT, Launch, Server, temp_dir};
use crate::{Error, binary};

/// A Prometheus server on 127.0.0.1, with its storage in a temporary folder.
/// Dropping it stops the process and removes the folder.
///
/// ```no_run
/// use chaosprom_testkit::Prometheus;
///
/// let prom = Prometheus::builder()
///     .history("# TYPE temp gauge\ntemp{room=\"a\"} 21.5 1700000000\n# EOF\n")
///     .start()?;
/// println!("Prometheus is at {}", prom.url());
/// # Ok::<(), chaosprom_testkit::Error>(())
/// ```
#[derive(Debug)]
pub struct Prometheus {
    server: Server,
    url: String,
}

/// How to start a [`Prometheus`].
#[derive(Debug, Clone)]
pub struct PrometheusBuilder {
    self_scrape: bool,
    targets: Vec<(String, String)>,
    scrape_interval: Duration,
    admin_api: bool,
    lifecycle: bool,
    lookback_delta: Option<String>,
    route_prefix: Option<String>,
    history: Option<String>,
    web_config: Option<String>,
    rules: Option<String>,
    retention: String,
    ready_timeout: Duration,
    extra_args: Vec<String>,
}

impl Default for PrometheusBuilder {
    fn default() -> Self {
        Self {
            self_scrape: false,
            targets: Vec::new(),
            scrape_interval: Duration::from_secs(1),
            admin_api: false,
            lifecycle: false,
            lookback_delta: None,
            route_prefix: None,
            history: None,
            web_config: None,
            rules: None,
            // Long enough that loaded history is never deleted as too old.
            retention: "36500d".to_owned(),
            ready_timeout: DEFAULT_READY_TIMEOUT,
            extra_args: Vec::new(),
        }
    }
}

impl PrometheusBuilder {
    /// Scrapes Prometheus' own `/metrics` as job `prometheus`.
    pub fn self_scrape(mut self, on: bool) -> Self {
        self.self_scrape = on;
        self
    }

    /// Scrapes `target` (`host:port`) as job `job`.
    pub fn scrape(mut self, job: impl Into<String>, target: impl Into<String>) -> Self {
        self.targets.push((job.into(), target.into()));
        self
    }

    /// The scrape and evaluation interval (default 1 s; whole milliseconds).
    pub fn scrape_interval(mut self, interval: Duration) -> Self {
        self.scrape_interval = interval;
        self
    }

    /// Turns on `--web.enable-admin-api`.
    pub fn admin_api(mut self, on: bool) -> Self {
        self.admin_api = on;
        self
    }

    /// Turns on `--web.enable-lifecycle`.
    pub fn lifecycle(mut self, on: bool) -> Self {
        self.lifecycle = on;
        self
    }

    /// Sets `--query.lookback-delta`, e.g. `"1h"`.
    pub fn lookback_delta(mut self, delta: impl Into<String>) -> Self {
        self.lookback_delta = Some(delta.into());
        self
    }

    /// Serves everything under a path prefix (`--web.route-prefix` and
    /// `--web.external-url`), e.g. `"/prometheus"`.
    pub fn route_prefix(mut self, prefix: impl Into<String>) -> Self {
        let prefix = prefix.into();
        self.route_prefix = Some(format!("/{}", prefix.trim_matches('/')));
        self
    }

    /// Loads history before start: OpenMetrics text (ending in `# EOF`,
    /// timestamps in seconds) turned into blocks by
    /// `promtool tsdb create-blocks-from openmetrics`.
    pub fn history(mut self, openmetrics: impl Into<String>) -> Self {
        self.history = Some(openmetrics.into());
        self
    }

    /// Serves through a web configuration file (`--web.config.file`): TLS
    /// (`tls_server_config`) and basic auth (`basic_auth_users`, bcrypt
    /// hashes). With `tls_server_config` the URL is `https`. Readiness is
    /// then awaited as an open port, since the kit's own client speaks
    /// neither TLS nor auth.
    pub fn web_config(mut self, yaml: impl Into<String>) -> Self {
        self.web_config = Some(yaml.into());
        self
    }

    /// Loads a rule file (alerting and recording rules, as YAML), evaluated
    /// at the scrape interval.
    pub fn rules(mut self, yaml: impl Into<String>) -> Self {
        self.rules = Some(yaml.into());
        self
    }

    /// `--storage.tsdb.retention.time` (default `36500d`).
    pub fn retention(mut self, retention: impl Into<String>) -> Self {
        self.retention = retention.into();
        self
    }

    /// How long to wait for `/-/ready` (default 60 s).
    pub fn ready_timeout(mut self, timeout: Duration) -> Self {
        self.ready_timeout = timeout;
        self
    }

    /// Adds a command-line argument of your own.
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.extra_args.push(arg.into());
        self
    }

    /// Starts the server and waits until it is ready.
    pub fn start(self) -> Result<Prometheus, Error> {
        let binary = binary::PROMETHEUS.find()?;
        let dir = temp_dir("prometheus")?;
        let data = dir.path().join("data");
        if let Some(history) = &self.history {
            load_history(history, dir.path(), &data)?;
        }
        let prefix = self.route_prefix.clone().unwrap_or_default();
        let scheme = match &self.web_config {
            Some(web) if web.contains("tls_server_config") => "https",
            _ => "http",
        };
        let args = |addr: SocketAddr, folder: &Path| -> Result<Vec<String>, Error> {
            let mut config_text = self.config(addr);
            if let Some(rules) = &self.rules {
                let file = folder.join("rules.yml");
                std::fs::write(&file, rules)
                    .map_err(|e| Error::io(format!("writing {}", file.display()), e))?;
                config_text.push_str(&format!("rule_files:\n  - '{}'\n", file.display()));
            }
            let config = folder.join("prometheus.yml");
            std::fs::write(&config, config_text)
                .map_err(|e| Error::io(format!("writing {}", config.display()), e))?;
            let mut args = vec![
                format!("--config.file={}", config.display()),
                format!("--storage.tsdb.path={}", data.display()),
                format!("--storage.tsdb.retention.time={}", self.retention),
                format!("--web.listen-address={addr}"),
                "--log.level=warn".to_owned(),
            ];
            if self.admin_api {
                args.push("--web.enable-admin-api".to_owned());
            }
            if self.lifecycle {
                args.push("--web.enable-lifecycle".to_owned());
            }
            if let Some(delta) = &self.lookback_delta {
                args.push(format!("--query.lookback-delta={delta}"));
            }
            if let Some(prefix) = &self.route_prefix {
                args.push(format!("--web.route-prefix={prefix}"));
                args.push(format!("--web.external-url={scheme}://{addr}{prefix}"));
            }
            if let Some(web) = &self.web_config {
                let file = folder.join("web.yml");
                std::fs::write(&file, web)
                    .map_err(|e| Error::io(format!("writing {}", file.display()), e))?;
                args.push(format!("--web.config.file={}", file.display()));
            }
            args.extend(self.extra_args.iter().cloned());
            Ok(args)
        };
        let ready = format!("{prefix}/-/ready");
        let server = Server::start(Launch {
            name: "prometheus",
            binary,
            dir,
            ready_timeout: self.ready_timeout,
            args: &args,
            ready_path: match self.web_config {
                Some(_) => None,
                None => Some(&ready),
            },
        })?;
        let url = format!("{scheme}://{}{prefix}", server.addr());
        Ok(Prometheus { server, url })
    }

    /// The configuration file for a server at `addr`.
    fn config(&self, addr: SocketAddr) -> String {
        let interval = format!("{}ms", self.scrape_interval.as_millis().max(1));
        let mut yml = format!(
            "global:\n  scrape_interval: {interval}\n  evaluation_interval: {interval}\n\
             scrape_configs:\n"
        );
        if self.self_scrape {
            let path = format!("{}/metrics", self.route_prefix.as_deref().unwrap_or(""));
            let _ = write!(
                yml,
                "  - job_name: prometheus\n    metrics_path: {path}\n    \
                 static_configs:\n      - targets: ['{addr}']\n"
            );
        }
        for (job, target) in &self.targets {
            let _ = write!(
                yml,
                "  - job_name: '{job}'\n    honor_labels: true\n    \
                 static_configs:\n      - targets: ['{target}']\n"
            );
        }
        if !self.self_scrape && self.targets.is_empty() {
            yml.push_str("  []\n");
        }
        yml
    }
}

/// Writes the OpenMetrics text to a file and runs promtool on it.
fn load_history(openmetrics: &str, folder: &Path, data: &Path) -> Result<(), Error> {
    let promtool = binary::PROMTOOL.find()?;
    let input = folder.join("history.om");
    std::fs::write(&input, openmetrics)
        .map_err(|e| Error::io(format!("writing {}", input.display()), e))?;
    let output = Command::new(&promtool)
        .args(["tsdb", "create-blocks-from", "openmetrics", "--quiet"])
        .arg(&input)
        .arg(data)
        .output()
        .map_err(|source| Error::Spawn {
            binary: promtool.clone(),
            source,
        })?;
    if output.status.success() {
        Ok(())
    } else {
        let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stderr));
        Err(Error::Promtool {
            status: output.status,
            output: text,
        })
    }
}

impl Prometheus {
    /// How to start one.
    pub fn builder() -> PrometheusBuilder {
        PrometheusBuilder::default()
    }

    /// Starts one with the defaults: no scraping, no history.
    pub fn start() -> Result<Self, Error> {
        Self::builder().start()
    }

    /// The base URL, with the route prefix if any, e.g.
    /// `http://127.0.0.1:41234` or `http://127.0.0.1:41234/prometheus`.
    pub fn url(&self) -> &str {
        &self.url
    }

    crate::server::server_accessors!();
}
