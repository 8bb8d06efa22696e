//! `cargo xtask demo`: the project's main job, on real local servers.
//!
//! Until the `chaosprom` command line exists, this shows the servers the
//! project is built against, driven over plain HTTP.

use std::time::{Duration, Instant};

use chaosprom_testkit::http;

pub(crate) fn run() -> crate::Result {
    println!("Starting a Pushgateway and a Prometheus that scrapes it and itself...");
    let pair = crate::servers::start_pair()?;
    let prom = pair.prometheus.url();
    let gateway = pair.pushgateway.url();
    println!("  Prometheus:  {prom}\n  Pushgateway: {gateway}");

    println!("Waiting for the first scrapes of both targets...");
    let up = format!("{prom}/api/v1/query?query=up");
    let started = Instant::now();
    let body = loop {
        let body = get(&up)?;
        if body.matches(r#""__name__":"up""#).count() >= 2 {
            break body;
        }
        if started.elapsed() > Duration::from_secs(30) {
            return Err(format!(
                "Prometheus did not scrape both targets in 30 s: {body}"
            ));
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    println!("$ GET {up}\n{body}\n");

    let push = format!("{gateway}/metrics/job/demo/instance/xtask");
    println!("$ PUT {push}  (chaosprom_demo_value 42)");
    http::send_body(
        "PUT",
        &push,
        "text/plain; version=0.0.4",
        "chaosprom_demo_value 42\n",
    )
    .and_then(|r| r.ok("PUT", &push))
    .map_err(|e| e.to_string())?;
    let metrics = get(&format!("{gateway}/metrics"))?;
    for line in metrics
        .lines()
        .filter(|l| l.contains("chaosprom_demo_value"))
    {
        println!("{line}");
    }
    println!(
        "\nThe `chaosprom` command line is not built yet: once it is, this demo \
         runs its probes and an example experiment against these servers."
    );
    println!("Stopping the servers.");
    Ok(())
}

fn get(url: &str) -> crate::Result<String> {
    http::get(url)
        .and_then(|r| r.ok("GET", url))
        .map(|r| r.body)
        .map_err(|e| e.to_string())
}
