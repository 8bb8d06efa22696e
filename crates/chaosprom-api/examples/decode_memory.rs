//! Peak memory of decoding a 2,000-series × 1,441-point matrix (≈ 66 MB):
//! the process' peak resident set (`VmHWM`) before and after the typed
//! decode, and the heap size of the typed result.
//!
//! ```text
//! cargo run --release -p chaosprom-api --example decode_memory
//! ```

use chaosprom_api::{QueryData, RangeSeries};

#[path = "../benches/support/matrix.rs"]
mod matrix;

/// A line of /proc/self/status, in KiB.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The heap bytes a series holds (vector capacities and strings; B-tree
/// node overhead left out).
fn heap_bytes(s: &RangeSeries) -> usize {
    let labels: usize = s
        .metric
        .iter()
        .map(|(k, v)| k.capacity() + v.capacity())
        .sum();
    labels
        + s.values.capacity() * std::mem::size_of::<chaosprom_api::Sample>()
        + s.histograms.capacity() * std::mem::size_of::<chaosprom_api::HistogramSample>()
}

fn main() {
    let bytes = matrix::payload(2000, 1441);
    let before = status_kib("VmHWM:");
    let answer = chaosprom_api::parse_query_response(&bytes).expect("a valid payload");
    let after = status_kib("VmHWM:");
    let QueryData::Matrix(series) = &answer.data else {
        panic!("not a matrix")
    };
    let result: usize = series.iter().map(heap_bytes).sum::<usize>()
        + series.capacity() * std::mem::size_of::<RangeSeries>();
    let mb = |b: f64| b / 1e6;
    println!(
        "payload:                     {:8.1} MB",
        mb(bytes.len() as f64)
    );
    println!(
        "typed result (heap):         {:8.1} MB ({:.2}x the payload)",
        mb(result as f64),
        result as f64 / bytes.len() as f64
    );
    println!(
        "peak RSS before decoding:    {:8.1} MB",
        mb(before as f64 * 1024.0)
    );
    println!(
        "peak RSS after decoding:     {:8.1} MB (+{:.1} MB)",
        mb(after as f64 * 1024.0),
        mb((after - before) as f64 * 1024.0)
    );
    println!(
        "series: {}, points: {}",
        series.len(),
        answer.data.float_values().len()
    );
}
