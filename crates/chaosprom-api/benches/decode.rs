//! Typed decode of a 2,000-series × 1,441-point matrix (≈ 66 MB of JSON):
//! this crate's decoder against prometheus-http-query's, on the same bytes.
//!
//! prometheus-http-query decodes `reqwest::Response::json::<ApiResponse<
//! PromqlResult>>()`, where `ApiResponse` is an internally tagged enum
//! (`#[serde(tag = "status")]`); its `ApiResponse` is private, so the bench
//! declares the same one, and decodes into its public `PromqlResult`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde::Deserialize;

#[path = "support/matrix.rs"]
mod matrix;

/// prometheus-http-query's envelope, as declared in its `response.rs`.
#[derive(Deserialize)]
#[serde(tag = "status")]
#[allow(dead_code)]
enum ApiResponse<D> {
    #[serde(alias = "success")]
    Success { data: D },
    #[serde(alias = "error")]
    Error(serde_json::Value),
}

fn decode(c: &mut Criterion) {
    let bytes = matrix::payload(2000, 1441);
    eprintln!("payload: {:.1} MB", bytes.len() as f64 / 1e6);
    let mut group = c.benchmark_group("decode_matrix_2000x1441");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("chaosprom_api", |b| {
        b.iter(|| chaosprom_api::parse_query_response(&bytes).unwrap());
    });
    group.bench_function("chaosprom_api_check_only", |b| {
        b.iter(|| chaosprom_api::check_answer(&bytes).unwrap());
    });
    group.bench_function("prometheus_http_query", |b| {
        b.iter(|| {
            serde_json::from_slice::<ApiResponse<prometheus_http_query::response::PromqlResult>>(
                &bytes,
            )
            .unwrap()
        });
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
