//! `cargo xtask demo`: the project's main job, on real local servers.
//!
//! Builds `chaosprom`, starts a Pushgateway and a Prometheus that scrapes
//! it and itself, waits for ten seconds of scrapes, runs the example
//! experiment (`examples/experiment.json`) with `chaosprom run`, and reads
//! back the metrics its control pushed to the Pushgateway.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use chaosprom_testkit::http;

pub(crate) fn run() -> crate::Result {
    // The README promises that the demo installs the servers it needs, as
    // `cargo xtask test` does.
    if !crate::setup::missing_packages().is_empty() {
        crate::setup::run()?;
    }
    let chaosprom = build()?;
    println!("Starting a Pushgateway and a Prometheus that scrapes it and itself...");
    let pair = crate::servers::start_pair()?;
    let prom = pair.prometheus.url().to_owned();
    let gateway = pair.pushgateway.url().to_owned();
    println!("  Prometheus:  {prom}\n  Pushgateway: {gateway}");
    wait_for_scrapes(&prom)?;

    // The example names the default Pushgateway URL (control arguments are
    // not substituted, as in the Chaos Toolkit): point a copy at ours.
    let out = crate::target_dir().join("demo");
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let example = crate::root().join("examples/experiment.json");
    let text = std::fs::read_to_string(&example)
        .map_err(|e| format!("cannot read {}: {e}", example.display()))?;
    let experiment = out.join("experiment.json");
    std::fs::write(&experiment, text.replace("http://localhost:9091", &gateway))
        .map_err(|e| format!("cannot write {}: {e}", experiment.display()))?;
    let journal = out.join("journal.json");
    let marker = out.join("fault-marker");

    println!(
        "\n$ PROMETHEUS_URL={prom} chaosprom run {} --journal-path {}",
        experiment.display(),
        journal.display()
    );
    let status = Command::new(&chaosprom)
        .arg("run")
        .arg(&experiment)
        .arg("--journal-path")
        .arg(&journal)
        .env("PROMETHEUS_URL", &prom)
        .env("CHAOS_MARKER_FILE", &marker)
        .status()
        .map_err(|e| format!("cannot run {}: {e}", chaosprom.display()))?;
    if !status.success() {
        return Err(format!(
            "the example experiment did not complete ({status}); see the journal"
        ));
    }

    // The SLO gate: steady-state checks that read Prometheus' numbers.
    let gate = crate::root().join("examples/slo-gate.json");
    let gate_journal = out.join("slo-gate-journal.json");
    println!(
        "\n$ PROMETHEUS_URL={prom} chaosprom run {} --journal-path {}",
        gate.display(),
        gate_journal.display()
    );
    let status = Command::new(&chaosprom)
        .arg("run")
        .arg(&gate)
        .arg("--journal-path")
        .arg(&gate_journal)
        .env("PROMETHEUS_URL", &prom)
        .status()
        .map_err(|e| format!("cannot run {}: {e}", chaosprom.display()))?;
    if !status.success() {
        return Err(format!(
            "the SLO gate did not complete ({status}); see {}",
            gate_journal.display()
        ));
    }

    println!("\nRead back from the Pushgateway ({gateway}/metrics):");
    let body = http::get(&format!("{gateway}/metrics"))
        .and_then(|r| r.ok("GET", &gateway))
        .map_err(|e| e.to_string())?
        .body;
    let pushed: Vec<&str> = body
        .lines()
        .filter(|l| l.starts_with("chaostoolkit_") && !l.contains("_bucket{"))
        .collect();
    if pushed.is_empty() {
        return Err("the control pushed nothing to the Pushgateway".to_owned());
    }
    for line in pushed {
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
    Ok(crate::target_dir().join("debug").join("chaosprom"))
}

/// Waits until Prometheus has scraped both targets for ten seconds, so
/// that the example's "10 seconds ago" has data.
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
                "Prometheus did not scrape both targets in 45 s: {body}"
            ));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}
