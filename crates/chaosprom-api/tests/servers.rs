//! The client against a real Prometheus (history loaded through promtool,
//! self-scrape, rules) and a real VictoriaMetrics with the same samples.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chaosprom_api::{Client, Error, QueryData, Timestamp};
use chaosprom_testkit::{Prometheus, VictoriaMetrics, http};

/// The last sample's time: a whole minute, an hour ago.
fn end_secs() -> i64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    now / 60 * 60 - 3600
}

const POINTS: i64 = 60;

/// `chaos_temp{room="a"}` = i and `chaos_temp{room="b"}` = 100 + i, one
/// point a minute, as (room, timestamp, value).
fn samples(end: i64) -> Vec<(&'static str, i64, i64)> {
    let start = end - (POINTS - 1) * 60;
    let mut all = Vec::new();
    for (i, t) in (start..=end).step_by(60).enumerate() {
        let i = i as i64;
        all.push(("a", t, i));
        all.push(("b", t, 100 + i));
    }
    all
}

fn openmetrics(end: i64) -> String {
    let mut om = String::from("# HELP chaos_temp A temperature.\n# TYPE chaos_temp gauge\n");
    for (room, t, v) in samples(end) {
        om.push_str(&format!("chaos_temp{{room=\"{room}\"}} {v} {t}\n"));
    }
    om.push_str("# EOF\n");
    om
}

fn prometheus_text(end: i64) -> String {
    samples(end)
        .into_iter()
        .map(|(room, t, v)| format!("chaos_temp{{room=\"{room}\"}} {v} {}\n", t * 1000))
        .collect()
}

fn ts(secs: i64) -> Timestamp {
    Timestamp::from_second(secs).unwrap()
}

/// What every server speaking the Prometheus query API must answer.
async fn query_suite(client: &Client, base: &str, end: i64) {
    let start = end - (POINTS - 1) * 60;

    // An instant query at a past time returns the value loaded for it.
    let answer = client
        .query("chaos_temp{room=\"a\"}")
        .time(ts(end))
        .send()
        .await
        .unwrap();
    let QueryData::Vector(series) = &answer.data else {
        panic!("{answer:?}")
    };
    assert_eq!(series.len(), 1, "{series:?}");
    assert_eq!(series[0].metric["room"], "a");
    assert_eq!(series[0].value.unwrap().value, (POINTS - 1) as f64);
    assert_eq!(series[0].value.unwrap().timestamp, end as f64);

    // The payload as-is is byte for byte what the server sends.
    let path = format!(
        "{base}/api/v1/query?query=chaos_temp%7Broom%3D%22a%22%7D&time={}",
        ts(end)
    );
    let direct = http::get(&path).unwrap().body;
    let raw = client
        .query("chaos_temp{room=\"a\"}")
        .time(ts(end))
        .raw()
        .await
        .unwrap();
    assert_eq!(std::str::from_utf8(&raw).unwrap(), direct);
    let mut streamed = Vec::new();
    let written = client
        .query("chaos_temp{room=\"a\"}")
        .time(ts(end))
        .write_to(&mut streamed)
        .await
        .unwrap();
    assert_eq!((written as usize, &streamed[..]), (raw.len(), &raw[..]));

    // A range query returns every point.
    let range = client
        .query_range("chaos_temp", ts(start), ts(end), 60u32)
        .send()
        .await
        .unwrap();
    let QueryData::Matrix(matrix) = &range.data else {
        panic!("{range:?}")
    };
    assert_eq!(matrix.len(), 2);
    let a = matrix.iter().find(|s| s.metric["room"] == "a").unwrap();
    assert_eq!(a.values.len(), POINTS as usize);
    assert_eq!(a.values[0].timestamp, start as f64);
    assert_eq!(a.values[0].value, 0.0);
    assert_eq!(a.values[59].value, 59.0);
    let duration_step = client
        .query_range("chaos_temp", ts(start), ts(end), "1m")
        .send()
        .await
        .unwrap();
    assert_eq!(duration_step.data, range.data);

    // POST, forced or because the query is long, gives the same answer.
    let posted = client
        .query_range("chaos_temp", ts(start), ts(end), 60u32)
        .post()
        .send()
        .await
        .unwrap();
    assert_eq!(posted.data, range.data);
    let long = format!(
        "chaos_temp{{room=~\"a|{}\"}}",
        (0..1000)
            .map(|i| format!("x{i}"))
            .collect::<Vec<_>>()
            .join("|")
    );
    assert!(long.len() > 4096);
    let long_answer = client.query(long).time(ts(end)).send().await.unwrap();
    assert_eq!(long_answer.data.len(), 1);

    // Series, labels and label values.
    let series = client
        .series(["chaos_temp"])
        .start(ts(start))
        .end(ts(end))
        .send()
        .await
        .unwrap()
        .data;
    assert_eq!(series.len(), 2, "{series:?}");
    let labels = client
        .labels()
        .start(ts(start))
        .end(ts(end))
        .send()
        .await
        .unwrap()
        .data;
    assert!(labels.contains(&"room".to_owned()), "{labels:?}");
    let mut rooms = client
        .label_values("room")
        .start(ts(start))
        .end(ts(end))
        .send()
        .await
        .unwrap()
        .data;
    rooms.sort();
    assert_eq!(rooms, ["a", "b"]);

    // Errors the server reports.
    let err = client.query("sum(").send().await.unwrap_err();
    assert!(matches!(err, Error::Api { .. }), "{err:?}");
    assert!(
        err.status().is_some_and(|s| (400..500).contains(&s)),
        "{err}"
    );
    assert!(err.to_string().contains("/api/v1/query"), "{err}");

    // Status endpoints decode (VictoriaMetrics 1.79 answers buildinfo
    // with empty data).
    client.build_info().send().await.unwrap();
    let tsdb = client.tsdb().send().await.unwrap().data;
    let _ = tsdb.series_count_by_metric_name;
}

/// Polls until `check` holds, for at most 20 s.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

const RULES: &str = "groups:
  - name: chaos
    rules:
      - alert: AlwaysFiring
        expr: vector(1)
        labels:
          severity: test
        annotations:
          summary: always
      - record: chaos:temp:max
        expr: max(chaos_temp)
";

#[tokio::test(flavor = "multi_thread")]
async fn against_a_real_prometheus() {
    let end = end_secs();
    let prom = Prometheus::builder()
        .history(openmetrics(end))
        .self_scrape(true)
        .rules(RULES)
        .start()
        .unwrap();
    let client = Client::new(prom.url()).unwrap();
    assert!(client.healthy().await.unwrap());
    assert!(client.ready().await.unwrap());
    query_suite(&client, prom.url(), end).await;

    // Scraped metadata, targets and target metadata.
    eventually("a first scrape", || async {
        let targets = client.targets().send().await.unwrap().data;
        targets.active_targets.iter().any(|t| t.health == "up")
    })
    .await;
    let targets = client.targets().send().await.unwrap().data;
    assert_eq!(targets.active_targets[0].scrape_pool, "prometheus");
    assert_eq!(targets.active_targets[0].labels["job"], "prometheus");
    let metadata = client.metadata().send().await.unwrap().data;
    assert_eq!(metadata["prometheus_build_info"][0].kind, "gauge");
    let per_target = client
        .targets_metadata()
        .param("match_target", "{job=\"prometheus\"}")
        .param("metric", "prometheus_build_info")
        .send()
        .await
        .unwrap()
        .data;
    assert_eq!(per_target[0].target["job"], "prometheus");

    // Rules and alerts.
    eventually("the alert to fire", || async {
        let alerts = client.alerts().send().await.unwrap().data.alerts;
        alerts.iter().any(|a| a.state == "firing")
    })
    .await;
    let groups = client.rules().send().await.unwrap().data.groups;
    assert_eq!(groups[0].name, "chaos");
    let kinds: Vec<_> = groups[0].rules.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(kinds, ["alerting", "recording"]);
    assert_eq!(groups[0].rules[0].labels["severity"], "test");
    let alerts = client.alerts().send().await.unwrap().data.alerts;
    assert_eq!(alerts[0].labels["alertname"], "AlwaysFiring");
    assert_eq!(alerts[0].annotations["summary"], "always");
    let managers = client.alertmanagers().send().await.unwrap().data;
    assert!(managers.active_alertmanagers.is_empty());

    // The other status endpoints and tools.
    let build = client.build_info().send().await.unwrap().data;
    assert_eq!(build.version, "2.42.0+ds");
    let runtime = client.runtime_info().send().await.unwrap().data;
    assert!(runtime.contains_key("startTime"), "{runtime:?}");
    let flags = client.flags().send().await.unwrap().data;
    assert_eq!(flags["web.listen-address"], prom.addr().to_string());
    let config = client.config().send().await.unwrap().data;
    assert!(config.yaml.contains("rule_files"), "{}", config.yaml);
    let tsdb = client.tsdb().send().await.unwrap().data;
    assert!(tsdb.head_stats.is_some());
    let formatted = client
        .format_query("sum(rate(x[5m]))by(job)")
        .send()
        .await
        .unwrap()
        .data;
    assert_eq!(formatted, "sum by (job) (rate(x[5m]))");
    let exemplars = client
        .query_exemplars("up", ts(end), ts(end + 3600))
        .send()
        .await
        .unwrap()
        .data;
    assert!(exemplars.is_empty());

    // Statistics when asked, and gzip when asked.
    let stats = client
        .query("chaos_temp")
        .time(ts(end))
        .stats(true)
        .send()
        .await
        .unwrap();
    assert!(stats.stats.is_some_and(|s| s.get("timings").is_some()));
    let gzip = Client::builder(prom.url()).gzip(true).build().unwrap();
    let plain_raw = client
        .query("chaos_temp")
        .time(ts(end))
        .raw()
        .await
        .unwrap();
    let gzip_raw = gzip.query("chaos_temp").time(ts(end)).raw().await.unwrap();
    assert_eq!(plain_raw, gzip_raw);
}

#[tokio::test(flavor = "multi_thread")]
async fn against_a_prometheus_under_a_path_prefix() {
    let end = end_secs();
    let prom = Prometheus::builder()
        .history(openmetrics(end))
        .route_prefix("/prometheus")
        .start()
        .unwrap();
    assert!(prom.url().ends_with("/prometheus"));
    let client = Client::new(format!("{}/", prom.url())).unwrap();
    assert!(client.ready().await.unwrap());
    query_suite(&client, prom.url(), end).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn against_a_real_victoria_metrics() {
    let end = end_secs();
    let vm = VictoriaMetrics::start().unwrap();
    vm.import_prometheus(&prometheus_text(end)).unwrap();
    let client = Client::builder(vm.url())
        .query_param("nocache", "1")
        .build()
        .unwrap();
    assert!(client.healthy().await.unwrap_or(true));
    query_suite(&client, vm.url(), end).await;
}
