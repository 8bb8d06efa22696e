//! `cargo xtask servers`: real servers in the foreground until Ctrl-C.

use chaosprom_testkit::{Prometheus, Pushgateway, VictoriaMetrics};

/// Prometheus scraping itself and a Pushgateway, and the Pushgateway.
#[derive(Debug)]
pub(crate) struct Pair {
    pub(crate) prometheus: Prometheus,
    pub(crate) pushgateway: Pushgateway,
}

/// Starts a Pushgateway and a Prometheus that scrapes it and itself.
pub(crate) fn start_pair() -> crate::Result<Pair> {
    let pushgateway = Pushgateway::start().map_err(|e| e.to_string())?;
    let prometheus = Prometheus::builder()
        .self_scrape(true)
        .scrape("pushgateway", pushgateway.addr().to_string())
        .start()
        .map_err(|e| e.to_string())?;
    Ok(Pair {
        prometheus,
        pushgateway,
    })
}

pub(crate) fn run() -> crate::Result {
    let pair = start_pair()?;
    let victoria = VictoriaMetrics::start().map_err(|e| e.to_string())?;
    println!("Prometheus:      {}", pair.prometheus.url());
    println!("Pushgateway:     {}", pair.pushgateway.url());
    println!("VictoriaMetrics: {}", victoria.url());
    println!("Press Ctrl-C to stop them.");
    wait_for_ctrl_c()?;
    println!("Stopping.");
    Ok(())
}

fn wait_for_ctrl_c() -> crate::Result {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("could not start a runtime: {e}"))?;
    runtime
        .block_on(tokio::signal::ctrl_c())
        .map_err(|e| format!("could not wait for Ctrl-C: {e}"))
}
