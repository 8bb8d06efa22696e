//! `cargo xtask demo`: the project's main job, on real local servers.
//!
//! Builds `chaosprom`, starts a Pushgateway and a Prometheus that scrapes
//! it and itself, waits for the first scrapes, then runs the probes and a
//! push through the command line, printing each command and its output.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chaosprom_testkit::http;

pub(crate) fn run() -> crate::Result {
    let chaosprom = build()?;
    println!("Starting a Pushgateway and a Prometheus that scrapes it and itself...");
    let pair = crate::servers::start_pair()?;
    let prom = pair.prometheus.url().to_owned();
    let gateway = pair.pushgateway.url().to_owned();
    println!("  Prometheus:  {prom}\n  Pushgateway: {gateway}");
    wait_for_scrapes(&prom)?;

    let show = |args: &[&str], stdin: Option<&str>| -> crate::Result {
        println!("\n$ chaosprom {}", quoted(args));
        let mut child = Command::new(&chaosprom)
            .args(args)
            .env("PROMETHEUS_URL", &prom)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", chaosprom.display()))?;
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(text.as_bytes())
                .map_err(|e| format!("cannot write to chaosprom: {e}"))?;
        }
        let status = child.wait().map_err(|e| e.to_string())?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("chaosprom {} exited with {status}", quoted(args)))
        }
    };
    show(&["query", "up", "--when", "10 seconds ago"], None)?;
    show(
        &[
            "query-range",
            "up",
            "--start",
            "1 minute ago",
            "--end",
            "now",
            "--step",
            "15s",
        ],
        None,
    )?;
    show(&["mean", "up", "--window", "1m"], None)?;
    let metrics = "# TYPE chaosprom_demo_value gauge\nchaosprom_demo_value 42\n";
    println!("\n(stdin: {})", metrics.trim().replace('\n', " | "));
    show(
        &[
            "push",
            "--gateway",
            &gateway,
            "--job",
            "demo",
            "--grouping-key",
            "run=demo",
        ],
        Some(metrics),
    )?;
    println!("\nRead back from the Pushgateway ({gateway}/metrics):");
    let body = http::get(&format!("{gateway}/metrics"))
        .and_then(|r| r.ok("GET", &gateway))
        .map_err(|e| e.to_string())?
        .body;
    for line in body
        .lines()
        .filter(|l| l.starts_with("chaosprom_demo_value"))
    {
        println!("  {line}");
    }
    println!("\nStopping the servers.");
    Ok(())
}

/// Builds the `chaosprom` binary and returns its path.
fn build() -> crate::Result<PathBuf> {
    println!("Building chaosprom...");
    let status = crate::cargo()
        .args(["build", "--quiet", "--package", "chaosprom-cli"])
        .status()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if !status.success() {
        return Err("building chaosprom failed".to_owned());
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::root().join("target"));
    Ok(target.join("debug").join("chaosprom"))
}

/// Waits until Prometheus has scraped both targets for ten seconds, so
/// that "10 seconds ago" has data.
fn wait_for_scrapes(prom: &str) -> crate::Result {
    println!("Waiting for ten seconds of scrapes of both targets...");
    let url = format!("{prom}/api/v1/query?query=count(up%20offset%2010s%20%3D%3D%201)");
    let started = Instant::now();
    loop {
        let body = http::get(&url).map(|r| r.body).unwrap_or_default();
        if body.contains(r#""2"]"#) {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(45) {
            return Err(format!(
                "Prometheus did not scrape both targets in 30 s: {body}"
            ));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Arguments as a shell would show them.
fn quoted(args: &[&str]) -> String {
    args.iter()
        .map(|a| {
            if a.contains([' ', '|', '(', ')', '"']) {
                format!("'{a}'")
            } else {
                (*a).to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
