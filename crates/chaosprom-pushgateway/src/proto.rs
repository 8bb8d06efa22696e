//! The protobuf wire format, as far as the two bodies this crate sends need
//! it: remote-write's `WriteRequest` and the Pushgateway's delimited
//! `io.prometheus.client.MetricFamily` stream.
//!
//! Written by hand rather than through the `prometheus` crate's `protobuf`
//! feature: these are a few dozen lines, where that feature would link a
//! protobuf runtime with reflection into every binary that pushes, and a
//! one-shot `chaosprom` command pays for its size at start-up.

use prometheus::proto::{MetricFamily, MetricType};

/// The `Content-Type` of a delimited `MetricFamily` stream, as Go's client
/// pushes it.
pub(crate) const DELIMITED_CONTENT_TYPE: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

/// `families` as a stream of length-delimited `MetricFamily` messages
/// (`metrics.proto` of `prometheus/client_model`):
///
/// ```text
/// MetricFamily { string name = 1; string help = 2; MetricType type = 3; repeated Metric metric = 4; }
/// Metric { repeated LabelPair label = 1; Gauge gauge = 2; Counter counter = 3; Summary summary = 4;
///          Untyped untyped = 5; Histogram histogram = 7; int64 timestamp_ms = 6; }
/// LabelPair { string name = 1; string value = 2; }
/// Gauge, Counter, Untyped { double value = 1; }
/// Summary { uint64 sample_count = 1; double sample_sum = 2; repeated Quantile quantile = 3; }
/// Quantile { double quantile = 1; double value = 2; }
/// Histogram { uint64 sample_count = 1; double sample_sum = 2; repeated Bucket bucket = 3; }
/// Bucket { uint64 cumulative_count = 1; double upper_bound = 2; }
/// ```
///
/// A histogram's `+Inf` bucket is written out, as in the text format.
pub(crate) fn delimited(families: &[MetricFamily]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut family_buf = Vec::new();
    let mut metric_buf = Vec::new();
    let mut inner = Vec::new();
    let mut item = Vec::new();
    for family in families {
        family_buf.clear();
        bytes_field(&mut family_buf, 1, family.name().as_bytes());
        if !family.help().is_empty() {
            bytes_field(&mut family_buf, 2, family.help().as_bytes());
        }
        let kind = family.get_field_type();
        varint_field(&mut family_buf, 3, metric_type(kind));
        for metric in family.get_metric() {
            metric_buf.clear();
            for label in metric.get_label() {
                item.clear();
                bytes_field(&mut item, 1, label.name().as_bytes());
                bytes_field(&mut item, 2, label.value().as_bytes());
                bytes_field(&mut metric_buf, 1, &item);
            }
            inner.clear();
            let field = match kind {
                MetricType::COUNTER => {
                    double_field(&mut inner, 1, metric.get_counter().get_value());
                    3
                }
                MetricType::GAUGE => {
                    double_field(&mut inner, 1, metric.get_gauge().get_value());
                    2
                }
                MetricType::UNTYPED => {
                    // The crate never makes one, and marks the accessors
                    // as going away; a family built by hand may have it.
                    #[allow(deprecated)]
                    let value = metric.get_untyped().get_value();
                    double_field(&mut inner, 1, value);
                    5
                }
                MetricType::SUMMARY => {
                    let s = metric.get_summary();
                    varint_field(&mut inner, 1, s.sample_count());
                    double_field(&mut inner, 2, s.sample_sum());
                    for q in s.get_quantile() {
                        item.clear();
                        double_field(&mut item, 1, q.quantile());
                        double_field(&mut item, 2, q.value());
                        bytes_field(&mut inner, 3, &item);
                    }
                    4
                }
                MetricType::HISTOGRAM => {
                    let h = metric.get_histogram();
                    varint_field(&mut inner, 1, h.get_sample_count());
                    double_field(&mut inner, 2, h.get_sample_sum());
                    let mut saw_inf = false;
                    for b in h.get_bucket() {
                        saw_inf |= b.upper_bound() == f64::INFINITY;
                        item.clear();
                        varint_field(&mut item, 1, b.cumulative_count());
                        double_field(&mut item, 2, b.upper_bound());
                        bytes_field(&mut inner, 3, &item);
                    }
                    // The `+Inf` bucket the text format writes, so that
                    // the gateway holds what a text push gives it (its
                    // JSON API lists the buckets it was sent).
                    if !saw_inf {
                        item.clear();
                        varint_field(&mut item, 1, h.get_sample_count());
                        double_field(&mut item, 2, f64::INFINITY);
                        bytes_field(&mut inner, 3, &item);
                    }
                    7
                }
            };
            bytes_field(&mut metric_buf, field, &inner);
            if metric.timestamp_ms() != 0 {
                // int64 is a plain varint of the two's complement.
                varint_field(&mut metric_buf, 6, metric.timestamp_ms() as u64);
            }
            bytes_field(&mut family_buf, 4, &metric_buf);
        }
        varint(&mut out, family_buf.len() as u64);
        out.extend_from_slice(&family_buf);
    }
    out
}

/// The `MetricType` enum's number.
fn metric_type(kind: MetricType) -> u64 {
    match kind {
        MetricType::COUNTER => 0,
        MetricType::GAUGE => 1,
        MetricType::SUMMARY => 2,
        MetricType::UNTYPED => 3,
        MetricType::HISTOGRAM => 4,
    }
}

/// A length-delimited field (wire type 2): strings, bytes, messages.
pub(crate) fn bytes_field(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    header(out, field, bytes.len());
    out.extend_from_slice(bytes);
}

/// The tag and length of a length-delimited field whose `len` bytes are
/// written next.
pub(crate) fn header(out: &mut Vec<u8>, field: u64, len: usize) {
    varint(out, field << 3 | 2);
    varint(out, len as u64);
}

/// A `double` field (wire type 1, little-endian).
pub(crate) fn double_field(out: &mut Vec<u8>, field: u64, value: f64) {
    varint(out, field << 3 | 1);
    out.extend_from_slice(&value.to_le_bytes());
}

/// A varint field (wire type 0): `uint64`, `int64`, enums.
pub(crate) fn varint_field(out: &mut Vec<u8>, field: u64, value: u64) {
    varint(out, field << 3);
    varint(out, value);
}

/// A base-128 varint, seven bits a byte, least significant first.
pub(crate) fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_take_seven_bits_a_byte() {
        let mut out = Vec::new();
        varint(&mut out, 300);
        assert_eq!(out, [0xac, 0x02]);
        out.clear();
        varint(&mut out, 1_764_072_000_000);
        assert_eq!(out.len(), 6);
    }

    #[test]
    fn a_labelled_gauge_is_one_delimited_family() {
        let registry = prometheus::Registry::new();
        let g = prometheus::GaugeVec::new(prometheus::Opts::new("g", "h"), &["k"]).unwrap();
        registry.register(Box::new(g.clone())).unwrap();
        g.with_label_values(&["v"]).set(2.0);
        let bytes = delimited(&registry.gather());
        // MetricFamily { name "g", help "h", type GAUGE,
        //                metric { label { "k" "v" } gauge { 2.0 } } }
        let mut family = vec![0x0a, 1, b'g', 0x12, 1, b'h', 0x18, 1];
        let mut metric = vec![0x0a, 6, 0x0a, 1, b'k', 0x12, 1, b'v', 0x12, 9, 0x09];
        metric.extend(2.0f64.to_le_bytes());
        family.push(0x22);
        family.push(metric.len() as u8);
        family.extend(metric);
        let mut expected = vec![family.len() as u8];
        expected.extend(family);
        assert_eq!(bytes, expected);
    }

    #[test]
    fn a_histogram_carries_count_sum_and_cumulative_buckets() {
        let registry = prometheus::Registry::new();
        let h = prometheus::Histogram::with_opts(
            prometheus::HistogramOpts::new("h", "x").buckets(vec![1.0]),
        )
        .unwrap();
        registry.register(Box::new(h.clone())).unwrap();
        h.observe(0.5);
        h.observe(3.0);
        let bytes = delimited(&registry.gather());
        let mut bucket = vec![0x08, 1, 0x11];
        bucket.extend(1.0f64.to_le_bytes());
        let mut histogram = vec![0x08, 2, 0x11];
        histogram.extend(3.5f64.to_le_bytes());
        histogram.push(0x1a);
        histogram.push(bucket.len() as u8);
        histogram.extend(bucket);
        let mut inf = vec![0x08, 2, 0x11];
        inf.extend(f64::INFINITY.to_le_bytes());
        histogram.push(0x1a);
        histogram.push(inf.len() as u8);
        histogram.extend(inf);
        assert!(
            bytes.windows(histogram.len()).any(|w| w == histogram),
            "{bytes:02x?}"
        );
        // type HISTOGRAM = 4, metric in field 7.
        assert!(bytes.windows(2).any(|w| w == [0x18, 4]));
        assert!(bytes.contains(&0x3a));
    }
}
