//! Prometheus' remote-write protocol 1.0: metric families as a snappy-
//! compressed protobuf `WriteRequest`, for a Prometheus started with
//! `--web.enable-remote-write-receiver` (`/api/v1/write`), VictoriaMetrics
//! (`/api/v1/write`), Mimir, Thanos receive and the like.

use chaosprom_http::header::{CONTENT_ENCODING, CONTENT_TYPE, HeaderName, HeaderValue};
use chaosprom_http::{Bytes, HttpOptions, Method, Transport};
use prometheus::proto::{MetricFamily, MetricType};

use crate::Error;
use crate::proto::{bytes_field, double_field, varint_field};

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

/// One series: sorted labels (`__name__` among them) and a value.
type Series = (Vec<(String, String)>, f64);

/// The series of `families` as a scrape would give them.
fn series(families: &[MetricFamily], extra: &[(&str, &str)]) -> Vec<Series> {
    let mut out = Vec::new();
    for family in families {
        let name = family.name();
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
            let with = |suffix: &str, more: Option<(&str, String)>, value: f64| {
                let mut l = labels.clone();
                l.push(("__name__".to_owned(), format!("{name}{suffix}")));
                if let Some((k, v)) = more {
                    l.push((k.to_owned(), v));
                }
                l.sort();
                (l, value)
            };
            match family.get_field_type() {
                MetricType::COUNTER => out.push(with("", None, metric.get_counter().get_value())),
                MetricType::GAUGE => out.push(with("", None, metric.get_gauge().get_value())),
                // The prometheus crate makes none: nothing to write.
                MetricType::UNTYPED => {}
                MetricType::HISTOGRAM => {
                    let h = metric.get_histogram();
                    let mut saw_inf = false;
                    for b in h.get_bucket() {
                        saw_inf |= b.upper_bound().is_infinite();
                        out.push(with(
                            "_bucket",
                            Some(("le", le(b.upper_bound()))),
                            b.cumulative_count() as f64,
                        ));
                    }
                    if !saw_inf {
                        out.push(with(
                            "_bucket",
                            Some(("le", "+Inf".to_owned())),
                            h.get_sample_count() as f64,
                        ));
                    }
                    out.push(with("_sum", None, h.get_sample_sum()));
                    out.push(with("_count", None, h.get_sample_count() as f64));
                }
                MetricType::SUMMARY => {
                    let s = metric.get_summary();
                    for q in s.get_quantile() {
                        out.push(with("", Some(("quantile", le(q.quantile()))), q.value()));
                    }
                    out.push(with("_sum", None, s.sample_sum()));
                    out.push(with("_count", None, s.sample_count() as f64));
                }
            }
        }
    }
    out
}

/// A bound as Prometheus writes it: `0.5`, `1`, `+Inf`.
fn le(v: f64) -> String {
    if v == f64::INFINITY {
        "+Inf".to_owned()
    } else {
        format!("{v}")
    }
}

/// The `WriteRequest` protobuf: `repeated TimeSeries timeseries = 1`, a
/// `TimeSeries` being `repeated Label labels = 1; repeated Sample samples
/// = 2`, a `Label` `string name = 1; string value = 2`, a `Sample`
/// `double value = 1; int64 timestamp = 2`.
fn encode(families: &[MetricFamily], extra: &[(&str, &str)], timestamp_ms: i64) -> Vec<u8> {
    let mut out = Vec::new();
    for (labels, value) in series(families, extra) {
        let mut ts = Vec::new();
        for (name, value) in &labels {
            let mut label = Vec::new();
            bytes_field(&mut label, 1, name.as_bytes());
            bytes_field(&mut label, 2, value.as_bytes());
            bytes_field(&mut ts, 1, &label);
        }
        let mut sample = Vec::new();
        double_field(&mut sample, 1, value);
        varint_field(&mut sample, 2, timestamp_ms as u64);
        bytes_field(&mut ts, 2, &sample);
        bytes_field(&mut out, 1, &ts);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
