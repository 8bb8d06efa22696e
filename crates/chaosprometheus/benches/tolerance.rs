//! One tolerance evaluation on the largest answer the benchmarks use: a
//! matrix of 2,000 series × 1,441 points, every point within the
//! threshold (the worst case: each one is read).

use chaosprometheus::tolerances::{Check, Criterion as Cond, Nan, NoData, Series, judge};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};

fn matrix() -> Value {
    let result: Vec<Value> = (0..2_000)
        .map(|s| {
            let values: Vec<Value> = (0..1_441)
                .map(|i| json!([1_764_000_000 + 60 * i, format!("{:.3}", (s * 7 + i) % 900)]))
                .collect();
            json!({"metric": {"__name__": "chaosbench_large", "instance": format!("host-{s:04}:9100")}, "values": values})
        })
        .collect();
    json!({"status": "success", "data": {"resultType": "matrix", "result": result}})
}

fn bench(c: &mut Criterion) {
    let payload = matrix();
    let check = Check {
        criterion: Cond::Below {
            threshold: 1_000.0,
            inclusive: false,
        },
        series: Series::All,
        no_data: NoData::Fail,
        nan: Nan::Fail,
    };
    c.bench_function("below, all series, 2000 x 1441 matrix", |b| {
        b.iter(|| {
            let verdict = judge(std::hint::black_box(&payload), &check).unwrap();
            assert!(verdict.holds);
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
