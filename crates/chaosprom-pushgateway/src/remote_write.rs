//! Prometheus' remote-write protocol 1.0: metric families as a snappy-
//! compressed protobuf `WriteRequest`, for a Prometheus started with
//! `--web.enable-remote-write-receiver` (`/api/v1/write`), VictoriaMetrics
//! (`/api/v1/write`), Mimir, Thanos receive and the like.

use chaosprom_http::header::{CONTENT_ENCODING, CONTENT_TYPE, HeaderName, HeaderValue};
use chaosprom_http::{Bytes, HttpOptions, Method, Transport};
use prometheus::proto::{MetricFamily, MetricType};

use crate::Error;
use crate::proto::{bytes_field, double_field, header, varint_field};

/// A remote-write client: a cheap-to-clone handle on one connection pool.
///
/// ```no_run
/// # async fn run() -> Result<(), chaosprom_pushgateway::Error> {
/// use prometheus::{IntGauge, Registry};
///
/// let registry = Registry::new();
/// let gauge = IntGauge::new("chaos_runs", "Runs so far.").unwrap();
/// registry.register(Box::new(gauge.clone())).unwrap();
/// gauge.set(3);
///
/// let writer = chaosprom_pushgateway::RemoteWrite::new("http://127.0.0.1:8428/api/v1/write")?;
/// let now_ms = 1_764_072_000_000;
/// writer.write(&registry.gather(), &[("job", "chaostoolkit")], now_ms).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RemoteWrite {
    transport: Transport,
    /// The endpoint's last path segment (`write`), joined to the
    /// transport's base, which ends in a slash.
    leaf: String,
}

/// How to build a [`RemoteWrite`]: TLS, auth, headers, timeouts, retries.
#[derive(Debug, Clone)]
pub struct RemoteWriteBuilder {
    url: String,
    options: HttpOptions,
}

impl RemoteWriteBuilder {
    chaosprom_http::transport_setters!(options, timeout_default = "10 s");

    /// Builds the client; the URL and settings are checked here.
    pub fn build(self) -> Result<RemoteWrite, Error> {
        // The transport keeps a base that ends in a slash; the endpoint's
        // last segment is joined to it for each request, so that
        // `…/api/v1/write` is posted to as is (a receiver redirects
        // `…/write/`).
        let (base, leaf) = match self.url.rfind('/') {
            Some(i) if self.url[..i].contains("//") && !self.url[..i].ends_with('/') => {
                (&self.url[..=i], &self.url[i + 1..])
            }
            _ => (self.url.as_str(), ""),
        };
        Ok(RemoteWrite {
            transport: Transport::new(base, self.options)?,
            leaf: leaf.to_owned(),
        })
    }
}

impl RemoteWrite {
    /// How to build a client that writes to `url`, the receiver's full
    /// endpoint (e.g. `http://127.0.0.1:9090/api/v1/write`).
    pub fn builder(url: impl Into<String>) -> RemoteWriteBuilder {
        RemoteWriteBuilder {
            url: url.into(),
            options: crate::client::default_options(),
        }
    }

    /// A client with the default settings.
    pub fn new(url: impl Into<String>) -> Result<Self, Error> {
        Self::builder(url).build()
    }

    /// The endpoint, without credentials.
    pub fn url(&self) -> String {
        self.transport.endpoint(&self.leaf).to_string()
    }

    /// Writes every sample of `families`, with `extra` labels added (a
    /// family's own label of the same name wins), all at `timestamp_ms`
    /// (Unix milliseconds). Histograms become their `_bucket`, `_sum` and
    /// `_count` series, as a scrape gives them. 2xx is success; 5xx and
    /// 429 are retried.
    pub async fn write(
        &self,
        families: &[MetricFamily],
        extra: &[(&str, &str)],
        timestamp_ms: i64,
    ) -> Result<(), Error> {
        let body = encode(families, extra, timestamp_ms);
        let body = snap::raw::Encoder::new()
            .compress_vec(&body)
            .map_err(|e| Error::Encode(format!("snappy: {e}")))?;
        let headers = [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-protobuf"),
            ),
            (CONTENT_ENCODING, HeaderValue::from_static("snappy")),
            (
                HeaderName::from_static("x-prometheus-remote-write-version"),
                HeaderValue::from_static("0.1.0"),
            ),
        ];
        let url = self.transport.endpoint(&self.leaf);
        let answer = self
            .transport
            .send(Method::POST, &url, &headers, Bytes::from(body), |s| {
                s.is_server_error() || s.as_u16() == 429
            })
            .await?;
        let status = answer.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(());
        }
        Err(Error::from_answer(answer).await)
    }
}

/// The `WriteRequest` protobuf of `families` as a scrape would give them:
/// `repeated TimeSeries timeseries = 1`, a `TimeSeries` being `repeated
/// Label labels = 1; repeated Sample samples = 2`, a `Label` `string name
/// = 1; string value = 2`, a `Sample` `double value = 1; int64 timestamp =
/// 2`. Histograms become their `_bucket`, `_sum` and `_count` series,
/// summaries their quantiles, `_sum` and `_count`.
///
/// Written straight into one buffer, lengths first: a run's 3,800 activity
/// series would otherwise cost a dozen allocations each.
fn encode(families: &[MetricFamily], extra: &[(&str, &str)], timestamp_ms: i64) -> Vec<u8> {
    let mut w = Writer {
        out: Vec::new(),
        timestamp: timestamp_ms as u64,
    };
    // A metric's labels, sorted, and the series' name (and bound) merged in.
    let mut base: Vec<(&str, &str)> = Vec::new();
    let mut bound = String::new();
    for family in families {
        let name = family.name();
        let [bucket, sum, count] = ["_bucket", "_sum", "_count"].map(|s| format!("{name}{s}"));
        for metric in family.get_metric() {
            base.clear();
            base.extend(metric.get_label().iter().map(|l| (l.name(), l.value())));
            for &(k, v) in extra {
                if !base.iter().any(|(n, _)| *n == k) {
                    base.push((k, v));
                }
            }
            base.sort_unstable();
            match family.get_field_type() {
                MetricType::COUNTER => {
                    w.series(&base, name, None, metric.get_counter().get_value());
                }
                MetricType::GAUGE => w.series(&base, name, None, metric.get_gauge().get_value()),
                // The prometheus crate makes none: nothing to write.
                MetricType::UNTYPED => {}
                MetricType::HISTOGRAM => {
                    let h = metric.get_histogram();
                    let mut saw_inf = false;
                    for b in h.get_bucket() {
                        saw_inf |= b.upper_bound().is_infinite();
                        le(&mut bound, b.upper_bound());
                        let count = b.cumulative_count() as f64;
                        w.series(&base, &bucket, Some(("le", &bound)), count);
                    }
                    if !saw_inf {
                        let count = h.get_sample_count() as f64;
                        w.series(&base, &bucket, Some(("le", "+Inf")), count);
                    }
                    w.series(&base, &sum, None, h.get_sample_sum());
                    w.series(&base, &count, None, h.get_sample_count() as f64);
                }
                MetricType::SUMMARY => {
                    let s = metric.get_summary();
                    for q in s.get_quantile() {
                        le(&mut bound, q.quantile());
                        w.series(&base, name, Some(("quantile", &bound)), q.value());
                    }
                    w.series(&base, &sum, None, s.sample_sum());
                    w.series(&base, &count, None, s.sample_count() as f64);
                }
            }
        }
    }
    w.out
}

/// The `WriteRequest` being written.
struct Writer {
    out: Vec<u8>,
    timestamp: u64,
}

impl Writer {
    /// One `TimeSeries`: `base` (sorted) with `__name__` and `more` in
    /// their sorted places, and one sample.
    fn series(
        &mut self,
        base: &[(&str, &str)],
        name: &str,
        more: Option<(&str, &str)>,
        value: f64,
    ) {
        let mut added = [("__name__", name), more.unwrap_or_default()];
        let added = if more.is_some() {
            added.sort_unstable();
            &added[..]
        } else {
            &added[..1]
        };
        let labels = merged(base, added);
        let label_len = |(n, v): (&str, &str)| field_len(n.len()) + field_len(v.len());
        let sample_len = 9 + 1 + varint_len(self.timestamp);
        let series_len = labels
            .clone()
            .map(|l| field_len(label_len(l)))
            .sum::<usize>()
            + field_len(sample_len);
        let out = &mut self.out;
        header(out, 1, series_len);
        for l in labels {
            header(out, 1, label_len(l));
            bytes_field(out, 1, l.0.as_bytes());
            bytes_field(out, 2, l.1.as_bytes());
        }
        header(out, 2, sample_len);
        double_field(out, 1, value);
        varint_field(out, 2, self.timestamp);
    }
}

/// The labels of two sorted lists, in order.
fn merged<'x>(
    a: &'x [(&'x str, &'x str)],
    b: &'x [(&'x str, &'x str)],
) -> impl Iterator<Item = (&'x str, &'x str)> + Clone {
    let (mut i, mut j) = (0, 0);
    std::iter::from_fn(move || {
        let next = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if y < x => {
                j += 1;
                *y
            }
            (Some(x), _) => {
                i += 1;
                *x
            }
            (None, Some(y)) => {
                j += 1;
                *y
            }
            (None, None) => return None,
        };
        Some(next)
    })
}

/// The bytes of a length-delimited field of `len` bytes, tag and length
/// included (for fields numbered below 16).
fn field_len(len: usize) -> usize {
    1 + varint_len(len as u64) + len
}

/// How many bytes `v` takes as a varint.
fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

/// A bound as Prometheus writes it: `0.5`, `1`, `+Inf`, into `out`.
fn le(out: &mut String, v: f64) {
    use std::fmt::Write;
    out.clear();
    if v == f64::INFINITY {
        out.push_str("+Inf");
    } else {
        let _ = write!(out, "{v}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::varint;

    #[test]
    fn a_gauge_encodes_as_the_protobuf_says() {
        let registry = prometheus::Registry::new();
        let g = prometheus::Gauge::new("g", "help").unwrap();
        registry.register(Box::new(g.clone())).unwrap();
        g.set(1.0);
        let bytes = encode(&registry.gather(), &[("job", "j")], 1);
        // timeseries { labels { "__name__" "g" } labels { "job" "j" }
        //              samples { 1.0 @ 1 } }
        let mut expected = vec![0x0a, 38];
        expected.extend([0x0a, 13, 0x0a, 8]);
        expected.extend(b"__name__");
        expected.extend([0x12, 1, b'g']);
        expected.extend([0x0a, 8, 0x0a, 3]);
        expected.extend(b"job");
        expected.extend([0x12, 1, b'j']);
        expected.extend([0x12, 11, 0x09]);
        expected.extend(1.0f64.to_le_bytes());
        expected.extend([0x10, 1]);
        assert_eq!(bytes, expected);
    }

    /// The plain way (every series' labels collected, sorted, encoded
    /// message by message), which `encode` must match byte for byte.
    fn reference(families: &[MetricFamily], extra: &[(&str, &str)], at: i64) -> Vec<u8> {
        let mut out = Vec::new();
        for family in families {
            for metric in family.get_metric() {
                let mut labels: Vec<(String, String)> = metric
                    .get_label()
                    .iter()
                    .map(|l| (l.name().to_owned(), l.value().to_owned()))
                    .collect();
                for (k, v) in extra {
                    if !labels.iter().any(|(n, _)| n == k) {
                        labels.push(((*k).to_owned(), (*v).to_owned()));
                    }
                }
                let mut all = Vec::new();
                let mut with = |suffix: &str, more: Option<(&str, String)>, value: f64| {
                    let mut l = labels.clone();
                    l.push(("__name__".into(), format!("{}{suffix}", family.name())));
                    l.extend(more.map(|(k, v)| (k.to_owned(), v)));
                    l.sort();
                    all.push((l, value));
                };
                let bound = |v: f64| {
                    let mut s = String::new();
                    le(&mut s, v);
                    s
                };
                match family.get_field_type() {
                    MetricType::COUNTER => with("", None, metric.get_counter().get_value()),
                    MetricType::GAUGE => with("", None, metric.get_gauge().get_value()),
                    MetricType::UNTYPED => {}
                    MetricType::HISTOGRAM => {
                        let h = metric.get_histogram();
                        for b in h.get_bucket() {
                            let count = b.cumulative_count() as f64;
                            with("_bucket", Some(("le", bound(b.upper_bound()))), count);
                        }
                        with(
                            "_bucket",
                            Some(("le", "+Inf".into())),
                            h.get_sample_count() as f64,
                        );
                        with("_sum", None, h.get_sample_sum());
                        with("_count", None, h.get_sample_count() as f64);
                    }
                    MetricType::SUMMARY => {
                        let s = metric.get_summary();
                        for q in s.get_quantile() {
                            with("", Some(("quantile", bound(q.quantile()))), q.value());
                        }
                        with("_sum", None, s.sample_sum());
                        with("_count", None, s.sample_count() as f64);
                    }
                }
                for (labels, value) in all {
                    let mut ts = Vec::new();
                    for (name, value) in &labels {
                        let mut label = Vec::new();
                        bytes_field(&mut label, 1, name.as_bytes());
                        bytes_field(&mut label, 2, value.as_bytes());
                        bytes_field(&mut ts, 1, &label);
                    }
                    let mut sample = Vec::new();
                    double_field(&mut sample, 1, value);
                    varint_field(&mut sample, 2, at as u64);
                    bytes_field(&mut ts, 2, &sample);
                    bytes_field(&mut out, 1, &ts);
                }
            }
        }
        out
    }

    #[test]
    fn encodes_as_the_plain_way_does() {
        use prometheus::{CounterVec, GaugeVec, HistogramOpts, HistogramVec, Opts};
        let registry = prometheus::Registry::new();
        // Label names that sort before `__name__` (capitals) and after it,
        // a label that an extra label must not replace, long values whose
        // lengths take two varint bytes, and non-ASCII text.
        let names = ["Zone", "job", "phase"];
        let gauge = GaugeVec::new(Opts::new("g", "h"), &names).unwrap();
        let counter = CounterVec::new(Opts::new("c_total", "h"), &names).unwrap();
        let histogram = HistogramVec::new(
            HistogramOpts::new("d_seconds", "h").buckets(vec![0.005, 1.0, 300.0]),
            &names,
        )
        .unwrap();
        let long = "é".repeat(100);
        for (zone, phase) in [("A", "before"), ("B", long.as_str()), ("", "ünïcode")] {
            gauge.with_label_values(&[zone, "own", phase]).set(-1.5);
            counter.with_label_values(&[zone, "own", phase]).inc_by(3.0);
            histogram
                .with_label_values(&[zone, "own", phase])
                .observe(0.5);
        }
        registry.register(Box::new(gauge)).unwrap();
        registry.register(Box::new(counter)).unwrap();
        registry.register(Box::new(histogram)).unwrap();
        let families = registry.gather();
        let extra = [("job", "chaostoolkit"), ("instance", ""), ("AA", "first")];
        for at in [0, 1, 1_764_072_000_000, i64::MAX] {
            assert_eq!(
                encode(&families, &extra, at),
                reference(&families, &extra, at)
            );
        }
    }

    #[test]
    fn varint_len_is_the_length_varint_writes() {
        for shift in 0..64 {
            for v in [(1u64 << shift) - 1, 1u64 << shift, (1u64 << shift) + 1] {
                let mut out = Vec::new();
                varint(&mut out, v);
                assert_eq!(varint_len(v), out.len(), "{v}");
            }
        }
        assert_eq!(varint_len(u64::MAX), 10);
    }
}
