//! Typed query results, decoded straight from the wire format without an
//! intermediate tree: sample values are parsed from their JSON strings in
//! place, and nothing is buffered.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

/// A series' labels, metric name (`__name__`) included.
pub type Labels = BTreeMap<String, String>;

/// A series as Prometheus writes it: `name{label="value", ...}`.
///
/// ```
/// let labels = [("__name__", "up"), ("job", "api")]
///     .map(|(k, v)| (k.to_owned(), v.to_owned()))
///     .into();
/// assert_eq!(chaosprom_api::series_name(&labels), r#"up{job="api"}"#);
/// ```
pub fn series_name(labels: &Labels) -> String {
    let name = labels.get("__name__").map_or("", String::as_str);
    let rest: Vec<String> = labels
        .iter()
        .filter(|(k, _)| k.as_str() != "__name__")
        .map(|(k, v)| format!("{k}={v:?}"))
        .collect();
    format!("{name}{{{}}}", rest.join(", "))
}

/// A float sample: unix time in seconds and value (`NaN`, `+Inf` and `-Inf`
/// included).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sample {
    /// Unix seconds (Prometheus gives milliseconds as a fraction).
    pub timestamp: f64,
    /// The value.
    pub value: f64,
}

/// One bucket of a native histogram.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bucket {
    /// Which boundaries are inclusive: 0 left-open, 1 right-open, 2 both
    /// open, 3 both closed (Prometheus' `boundary_rule`).
    pub boundaries: u8,
    /// The lower boundary.
    pub lower: f64,
    /// The upper boundary.
    pub upper: f64,
    /// The bucket's count.
    pub count: f64,
}

/// A native histogram's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Histogram {
    /// The total count of observations.
    #[serde(deserialize_with = "f64_from_str")]
    pub count: f64,
    /// The sum of observations.
    #[serde(deserialize_with = "f64_from_str")]
    pub sum: f64,
    /// The populated buckets.
    #[serde(default)]
    pub buckets: Vec<Bucket>,
}

/// A native histogram sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistogramSample {
    /// Unix seconds.
    pub timestamp: f64,
    /// The histogram.
    pub histogram: Histogram,
}

/// One series of an instant vector: a float sample or a histogram sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstantSeries {
    /// Its labels.
    #[serde(default)]
    pub metric: Labels,
    /// The float sample, if the series holds floats.
    #[serde(default)]
    pub value: Option<Sample>,
    /// The histogram sample, if it holds native histograms.
    #[serde(default)]
    pub histogram: Option<HistogramSample>,
}

/// One series of a range vector (matrix).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RangeSeries {
    /// Its labels.
    #[serde(default)]
    pub metric: Labels,
    /// Float samples, oldest first.
    #[serde(default, deserialize_with = "shrunk")]
    pub values: Vec<Sample>,
    /// Histogram samples, oldest first.
    #[serde(default, deserialize_with = "shrunk")]
    pub histograms: Vec<HistogramSample>,
}

/// A vector without the spare capacity its growth left (JSON arrays come
/// without a length, so a vector doubles as it fills: up to half of it
/// would be unused).
fn shrunk<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    let mut v = Vec::<T>::deserialize(d)?;
    v.shrink_to_fit();
    Ok(v)
}

/// A string result: time and text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StringSample {
    /// Unix seconds.
    pub timestamp: f64,
    /// The text.
    pub value: String,
}

/// The result of an instant or range query.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "resultType", content = "result", rename_all = "lowercase")]
pub enum QueryData {
    /// An instant vector.
    Vector(Vec<InstantSeries>),
    /// A range vector.
    Matrix(Vec<RangeSeries>),
    /// A scalar.
    Scalar(Sample),
    /// A string.
    String(StringSample),
}

impl QueryData {
    /// How many series (1 for a scalar or string).
    pub fn len(&self) -> usize {
        match self {
            QueryData::Vector(v) => v.len(),
            QueryData::Matrix(m) => m.len(),
            QueryData::Scalar(_) | QueryData::String(_) => 1,
        }
    }

    /// Whether no series came back.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every float sample value, in order: the vector's values, the
    /// matrix's values series after series, or the scalar.
    pub fn float_values(&self) -> Vec<f64> {
        match self {
            QueryData::Vector(v) => v.iter().filter_map(|s| s.value.map(|s| s.value)).collect(),
            QueryData::Matrix(m) => m
                .iter()
                .flat_map(|s| s.values.iter().map(|s| s.value))
                .collect(),
            QueryData::Scalar(s) => vec![s.value],
            QueryData::String(_) => Vec::new(),
        }
    }
}

/// Parses a sample value as Prometheus writes it: a JSON string holding a
/// float, `NaN`, `+Inf` or `-Inf`.
pub(crate) fn parse_value<E: de::Error>(s: &str) -> Result<f64, E> {
    s.parse::<f64>().map_err(|_| {
        E::invalid_value(
            de::Unexpected::Str(s),
            &"a float in a string, NaN, +Inf or -Inf",
        )
    })
}

/// A float from a JSON string (or, leniently, a JSON number).
struct F64Str;

impl Visitor<'_> for F64Str {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a float in a string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        parse_value(v)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }
}

fn f64_from_str<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    d.deserialize_any(F64Str)
}

/// A seed that reads one element with [`F64Str`].
struct F64Seed;

impl<'de> de::DeserializeSeed<'de> for F64Seed {
    type Value = f64;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<f64, D::Error> {
        d.deserialize_any(F64Str)
    }
}

/// Reads the rest of a sequence, refusing extra elements.
fn end_of<'de, A: SeqAccess<'de>>(mut seq: A, len: usize) -> Result<(), A::Error> {
    if seq.next_element::<IgnoredAny>()?.is_some() {
        return Err(de::Error::invalid_length(len + 1, &"no more elements"));
    }
    Ok(())
}

impl<'de> Deserialize<'de> for Sample {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Sample;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sample [<unix seconds>, \"<value>\"]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Sample, A::Error> {
                let timestamp: f64 = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let value = seq
                    .next_element_seed(F64Seed)?
                    .ok_or_else(|| de::Error::invalid_length(1, &self))?;
                end_of(seq, 2)?;
                Ok(Sample { timestamp, value })
            }
        }
        d.deserialize_seq(V)
    }
}

impl<'de> Deserialize<'de> for HistogramSample {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = HistogramSample;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a histogram sample [<unix seconds>, {count, sum, buckets}]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<HistogramSample, A::Error> {
                let timestamp: f64 = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let histogram = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(1, &self))?;
                end_of(seq, 2)?;
                Ok(HistogramSample {
                    timestamp,
                    histogram,
                })
            }
        }
        d.deserialize_seq(V)
    }
}

impl<'de> Deserialize<'de> for Bucket {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Bucket;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a bucket [<boundary rule>, \"<lower>\", \"<upper>\", \"<count>\"]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Bucket, A::Error> {
                let boundaries: u8 = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let mut next = |i| {
                    seq.next_element_seed(F64Seed)?
                        .ok_or_else(|| de::Error::invalid_length(i, &self))
                };
                let lower = next(1)?;
                let upper = next(2)?;
                let count = next(3)?;
                end_of(seq, 4)?;
                Ok(Bucket {
                    boundaries,
                    lower,
                    upper,
                    count,
                })
            }
        }
        d.deserialize_seq(V)
    }
}

impl<'de> Deserialize<'de> for StringSample {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (timestamp, value) = <(f64, String)>::deserialize(d)?;
        Ok(StringSample { timestamp, value })
    }
}

impl<'de> Deserialize<'de> for QueryData {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        WithStats::deserialize(d).map(|w| w.data)
    }
}

/// Query data and the `stats` Prometheus puts beside it when asked.
///
/// Public only because the sealed [`Endpoint`](crate::Endpoint) trait names
/// it; users never see it.
#[derive(Debug)]
#[allow(unreachable_pub)]
pub struct WithStats {
    pub(crate) data: QueryData,
    pub(crate) stats: Option<serde_json::Value>,
}

impl<'de> Deserialize<'de> for WithStats {
    /// `{"resultType": …, "result": …, "stats": …}` in any order, without
    /// buffering when `resultType` comes first (as Prometheus and
    /// VictoriaMetrics write it).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = WithStats;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("query data {\"resultType\", \"result\"}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<WithStats, A::Error> {
                let mut kind: Option<String> = None;
                let mut early: Option<serde_json::Value> = None;
                let mut data = None;
                let mut stats = None;
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match key.as_ref() {
                        "resultType" => kind = Some(map.next_value()?),
                        "result" => match kind.as_deref() {
                            Some(k) => data = Some(map.next_value_seed(ResultSeed(k))?),
                            // Rare: result before resultType; keep it as a tree.
                            None => early = Some(map.next_value()?),
                        },
                        "stats" => stats = Some(map.next_value()?),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                let kind = kind.ok_or_else(|| de::Error::missing_field("resultType"))?;
                let data = match (data, early) {
                    (Some(data), _) => data,
                    (None, Some(tree)) => de::DeserializeSeed::deserialize(ResultSeed(&kind), tree)
                        .map_err(de::Error::custom)?,
                    (None, None) => return Err(de::Error::missing_field("result")),
                };
                Ok(WithStats { data, stats })
            }
        }
        d.deserialize_map(V)
    }
}

/// Which result type to read.
struct ResultSeed<'k>(&'k str);

impl<'de> de::DeserializeSeed<'de> for ResultSeed<'_> {
    type Value = QueryData;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<QueryData, D::Error> {
        Ok(match self.0 {
            "vector" => QueryData::Vector(Deserialize::deserialize(d)?),
            "matrix" => QueryData::Matrix(Deserialize::deserialize(d)?),
            "scalar" => QueryData::Scalar(Deserialize::deserialize(d)?),
            "string" => QueryData::String(Deserialize::deserialize(d)?),
            other => {
                return Err(de::Error::unknown_variant(
                    other,
                    &["vector", "matrix", "scalar", "string"],
                ));
            }
        })
    }
}

/// A successful answer: the data, and what Prometheus warned about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Response<T> {
    /// The data.
    pub data: T,
    /// Warnings (e.g. a partial answer from a Thanos store).
    pub warnings: Vec<String>,
    /// Informational notices (Prometheus 2.50+).
    pub infos: Vec<String>,
    /// Query statistics, when asked for with `stats`.
    pub stats: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use crate::parse_query_response as parse;

    #[test]
    fn a_vector_from_the_prometheus_docs() {
        let payload = br#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"__name__":"up","job":"prometheus","instance":"localhost:9090"},
             "value":[1435781451.781,"1"]},
            {"metric":{"__name__":"up","job":"node","instance":"localhost:9100"},
             "value":[1435781451.781,"0"]}]}}"#;
        let answer = parse(payload).unwrap();
        let QueryData::Vector(series) = answer.data else {
            panic!("not a vector")
        };
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].metric["job"], "prometheus");
        assert_eq!(
            series[1].value,
            Some(Sample {
                timestamp: 1435781451.781,
                value: 0.0
            })
        );
        assert!(answer.warnings.is_empty() && answer.stats.is_none());
    }

    #[test]
    fn a_matrix_with_special_values() {
        let payload = br#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"job":"x"},"values":[[1,"NaN"],[2,"+Inf"],[3,"-Inf"],[4,"1.5e3"],[5,"-0.25"]]}]},
            "warnings":["partial answer"],"infos":["info 1"]}"#;
        let answer = parse(payload).unwrap();
        let values = answer.data.float_values();
        assert!(values[0].is_nan());
        assert_eq!(
            &values[1..],
            [f64::INFINITY, f64::NEG_INFINITY, 1500.0, -0.25]
        );
        assert_eq!(answer.warnings, ["partial answer"]);
        assert_eq!(answer.infos, ["info 1"]);
    }

    #[test]
    fn scalars_strings_and_stats() {
        let scalar = br#"{"status":"success","data":{"resultType":"scalar","result":[1700000000.5,"42"],"stats":{"timings":{"evalTotalTime":0.001}}}}"#;
        let answer = parse(scalar).unwrap();
        assert_eq!(
            answer.data,
            QueryData::Scalar(Sample {
                timestamp: 1700000000.5,
                value: 42.0
            })
        );
        assert_eq!(
            answer.stats.unwrap()["timings"]["evalTotalTime"],
            serde_json::json!(0.001)
        );
        let string = br#"{"status":"success","data":{"resultType":"string","result":[1,"hello"]}}"#;
        assert_eq!(
            parse(string).unwrap().data,
            QueryData::String(StringSample {
                timestamp: 1.0,
                value: "hello".into()
            })
        );
    }

    #[test]
    fn native_histograms_in_a_vector_and_a_matrix() {
        let vector = br#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"__name__":"test_histogram"},
             "histogram":[1700000000,{"count":"10","sum":"12.5","buckets":[
                [1,"-1.0","-0.5","2"],[3,"0","0","1"],[0,"0.5","1","7"]]}]}]}}"#;
        let QueryData::Vector(series) = parse(vector).unwrap().data else {
            panic!("not a vector")
        };
        let h = series[0].histogram.as_ref().unwrap();
        assert!(series[0].value.is_none());
        assert_eq!(h.timestamp, 1700000000.0);
        assert_eq!((h.histogram.count, h.histogram.sum), (10.0, 12.5));
        assert_eq!(
            h.histogram.buckets[0],
            Bucket {
                boundaries: 1,
                lower: -1.0,
                upper: -0.5,
                count: 2.0
            }
        );
        assert_eq!(h.histogram.buckets.len(), 3);

        let matrix = br#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"__name__":"h"},"histograms":[
                [1,{"count":"1","sum":"0.5","buckets":[[0,"0","1","1"]]}],
                [2,{"count":"3","sum":"2"}]]}]}}"#;
        let QueryData::Matrix(series) = parse(matrix).unwrap().data else {
            panic!("not a matrix")
        };
        assert!(series[0].values.is_empty());
        assert_eq!(series[0].histograms.len(), 2);
        assert_eq!(series[0].histograms[1].histogram.count, 3.0);
        assert!(series[0].histograms[1].histogram.buckets.is_empty());
    }

    #[test]
    fn field_order_and_unknown_fields_do_not_matter() {
        let payload = br#"{"data":{"extra":[1,2],"result":[{"values":[[1,"2"]],"metric":{"a":"b"}}],"resultType":"matrix"},"status":"success","future":{}}"#;
        let answer = parse(payload).unwrap();
        assert_eq!(answer.data.float_values(), [2.0]);
    }

    #[test]
    fn bad_payloads_are_decode_errors_with_an_offset() {
        for (payload, at) in [
            (&br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"abc"]}]}}"#[..], "abc"),
            (br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"1",3]}]}}"#, "3"),
            (br#"{"status":"success","data":{"resultType":"tensor","result":[]}}"#, "[]"),
            (br#"{"status":"success","data":{"result":[]}}"#, "}"),
        ] {
            let err = parse(payload).unwrap_err();
            let Error::Decode { offset, reason, .. } = &err else {
                panic!("{err:?}")
            };
            let text = String::from_utf8_lossy(payload);
            let pos = text.find(at).unwrap();
            assert!(
                (*offset as isize - pos as isize).abs() <= at.len() as isize + 1,
                "{reason} at {offset}, expected near {pos} in {text}"
            );
        }
    }
}
