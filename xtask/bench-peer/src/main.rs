//! One Prometheus query through `prometheus-http-query` (reqwest + serde),
//! decoded to the crate's typed result; prints `series=N samples=M`.
//!
//! ```text
//! chaosprom-bench-peer instant <base_url> <promql> [<time>]
//! chaosprom-bench-peer range <base_url> <promql> <start> <end> <step_seconds>
//! ```
//!
//! Times are Unix seconds; zero or negative ones count from now (`-3600 0`
//! is the last hour), so one command line serves every run.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use prometheus_http_query::{Client, response::Data};

fn time(arg: &str) -> Result<i64, String> {
    let t: i64 = arg
        .parse()
        .map_err(|_| format!("'{arg}' is not a whole number of seconds"))?;
    if t > 0 {
        return Ok(t);
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs();
    Ok(i64::try_from(now).map_err(|e| e.to_string())? + t)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()).await {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("chaosprom-bench-peer: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Vec<String>) -> Result<String, String> {
    let http = prometheus_http_query::reqwest::Client::builder()
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    let answer = match args.as_slice() {
        [kind, url, promql, rest @ ..] if kind == "instant" && rest.len() <= 1 => {
            let client = Client::from(http, url).map_err(|e| e.to_string())?;
            let mut query = client.query(promql);
            if let Some(at) = rest.first() {
                query = query.at(time(at)?);
            }
            query.get().await
        }
        [kind, url, promql, start, end, step] if kind == "range" => {
            let client = Client::from(http, url).map_err(|e| e.to_string())?;
            let step: f64 = step
                .parse()
                .map_err(|_| format!("'{step}' is not a step in seconds"))?;
            client
                .query_range(promql, time(start)?, time(end)?, step)
                .get()
                .await
        }
        _ => {
            return Err("usage: instant <url> <promql> [<time>] | \
                        range <url> <promql> <start> <end> <step>"
                .to_owned());
        }
    };
    let answer = answer.map_err(|e| format!("the query failed: {e}"))?;
    let (series, samples) = match answer.data() {
        Data::Matrix(m) => (m.len(), m.iter().map(|s| s.samples().len()).sum()),
        Data::Vector(v) => (v.len(), v.len()),
        Data::Scalar(_) => (0, 1),
    };
    Ok(format!("series={series} samples={samples}"))
}
