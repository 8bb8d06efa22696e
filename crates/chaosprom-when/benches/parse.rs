//! How long one parse takes, for the forms experiments use most and for a
//! rejected input. Target: under 1 µs each.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::{Timestamp, tz::TimeZone};

fn parse(c: &mut Criterion) {
    let now = Timestamp::from_second(1_764_072_000)
        .expect("a valid timestamp")
        .to_zoned(TimeZone::UTC);
    let mut group = c.benchmark_group("parse_time_at");
    for (name, input) in [
        ("relative", "2 minutes ago"),
        ("grafana", "now-1h30m"),
        ("rfc3339", "2026-11-25T10:20:30.123456789+02:00"),
        ("rejected", "2 mns ago"),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| chaosprom_when::parse_time_at(black_box(input), black_box(&now)));
        });
    }
    group.finish();
    c.bench_function("parse_duration/1h30m", |b| {
        b.iter(|| chaosprom_when::parse_duration(black_box("1h30m")));
    });
}

criterion_group!(benches, parse);
criterion_main!(benches);
