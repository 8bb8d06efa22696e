//! A large range-query payload, shaped like Prometheus' own: 2,000 series of
//! 1,441 points (a day at one-minute steps), about 66 MB of JSON.

use std::fmt::Write as _;

/// The payload, deterministic.
pub(crate) fn payload(series: usize, points: usize) -> Vec<u8> {
    let start = 1_764_000_000u64;
    let mut out = String::with_capacity(series * points * 24 + 1024);
    out.push_str(r#"{"status":"success","data":{"resultType":"matrix","result":["#);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for s in 0..series {
        if s > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            r#"{{"metric":{{"__name__":"node_cpu_seconds_total","cpu":"{}","instance":"host-{:04}:9100","job":"node","mode":"idle"}},"values":["#,
            s % 64,
            s / 64
        );
        for p in 0..points {
            if p > 0 {
                out.push(',');
            }
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let value = (x % 10_000_000) as f64 / 1000.0;
            let _ = write!(out, "[{},\"{}\"]", start + 60 * p as u64, value);
        }
        out.push_str("]}");
    }
    out.push_str("]}}");
    out.into_bytes()
}
