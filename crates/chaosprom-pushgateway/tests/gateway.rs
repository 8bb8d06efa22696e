//! The Pushgateway client against a real Pushgateway, and against mockito
//! for the exact request and for faults.

use std::time::{Duration, Instant};

use chaosprom_pushgateway::prometheus::{IntCounter, IntGauge, Opts, Registry};
use chaosprom_pushgateway::{Error, PushFormat, PushMethod, Pushgateway};
use chaosprom_testkit::{Pushgateway as Server, http};
use serde_json::Value;

fn registry(families: &[(&str, i64)], labels: &[(&str, &str)]) -> Registry {
    let registry = Registry::new();
    for (name, value) in families {
        let mut opts = Opts::new(*name, format!("{name} help"));
        for (k, v) in labels {
            opts = opts.const_label(*k, *v);
        }
        let gauge = IntGauge::with_opts(opts).unwrap();
        gauge.set(*value);
        registry.register(Box::new(gauge)).unwrap();
    }
    registry
}

/// The groups the gateway holds, from its `/api/v1/metrics` JSON.
fn groups(server: &Server) -> Vec<Value> {
    let url = format!("{}/api/v1/metrics", server.url());
    let body = http::get(&url).unwrap().ok("GET", &url).unwrap().body;
    let json: Value = serde_json::from_str(&body).unwrap();
    json["data"].as_array().cloned().unwrap_or_default()
}

/// The group whose labels are exactly `labels`.
fn group<'a>(groups: &'a [Value], labels: &Value) -> Option<&'a Value> {
    groups.iter().find(|g| &g["labels"] == labels)
}

#[tokio::test]
async fn push_then_read_back_with_every_kind_of_grouping_value() {
    let server = Server::start().unwrap();
    let gateway = Pushgateway::new(server.url()).unwrap();
    let key = [
        ("env", "prod/eu"),
        ("plain", "a b"),
        ("empty", ""),
        ("uni", "é"),
    ];
    let reg = registry(&[("chaos_value", 42)], &[("source", "chaostoolkit")]);
    gateway.push("ctk/job", key, &reg).await.unwrap();

    let groups = groups(&server);
    let labels = serde_json::json!({
        "job": "ctk/job", "env": "prod/eu", "plain": "a b", "empty": "", "uni": "é"
    });
    let group =
        group(&groups, &labels).unwrap_or_else(|| panic!("no group {labels} in {groups:?}"));
    let family = &group["chaos_value"];
    assert_eq!(family["type"], "GAUGE");
    assert_eq!(family["help"], "chaos_value help");
    let metric = &family["metrics"][0];
    assert_eq!(metric["value"], "42");
    assert_eq!(metric["labels"]["source"], "chaostoolkit");
    assert_eq!(metric["labels"]["env"], "prod/eu");
    assert_eq!(metric["labels"]["uni"], "é");
}

#[tokio::test]
async fn put_replaces_the_group_and_post_keeps_other_families() {
    let server = Server::start().unwrap();
    let gateway = Pushgateway::new(server.url()).unwrap();
    let key = [("instance", "one")];
    let labels = serde_json::json!({"job": "j", "instance": "one"});

    let both = registry(&[("first", 1), ("second", 2)], &[]);
    gateway.push("j", key, &both).await.unwrap();
    let only_first = registry(&[("first", 10)], &[]);
    gateway.push_add("j", key, &only_first).await.unwrap();
    let groups_after_post = groups(&server);
    let g = group(&groups_after_post, &labels).unwrap();
    assert_eq!(g["first"]["metrics"][0]["value"], "10");
    assert_eq!(
        g["second"]["metrics"][0]["value"], "2",
        "POST keeps other families"
    );

    gateway.push("j", key, &only_first).await.unwrap();
    let groups_after_put = groups(&server);
    let g = group(&groups_after_put, &labels).unwrap();
    assert_eq!(g["first"]["metrics"][0]["value"], "10");
    assert!(g.get("second").is_none(), "PUT replaces the group: {g}");
}

#[tokio::test]
async fn delete_removes_only_its_group_and_groups_do_not_clobber() {
    let server = Server::start().unwrap();
    let gateway = Pushgateway::new(server.url()).unwrap();
    gateway
        .push("j", [("run", "a")], &registry(&[("v", 1)], &[]))
        .await
        .unwrap();
    gateway
        .push("j", [("run", "b")], &registry(&[("v", 2)], &[]))
        .await
        .unwrap();
    let a = serde_json::json!({"job": "j", "run": "a"});
    let b = serde_json::json!({"job": "j", "run": "b"});
    let before = groups(&server);
    assert_eq!(group(&before, &a).unwrap()["v"]["metrics"][0]["value"], "1");
    assert_eq!(group(&before, &b).unwrap()["v"]["metrics"][0]["value"], "2");

    gateway.delete("j", [("run", "a")]).await.unwrap();
    let after = groups(&server);
    assert!(group(&after, &a).is_none());
    assert!(group(&after, &b).is_some());
}

#[tokio::test]
async fn text_pushes_and_counters_arrive() {
    let server = Server::start().unwrap();
    let gateway = Pushgateway::new(server.url()).unwrap();
    let text = "# TYPE backup_ok gauge\nbackup_ok 1\n";
    gateway
        .push_text(PushMethod::Post, "backup", [("instance", "db-1")], text)
        .await
        .unwrap();
    let reg = Registry::new();
    let counter = IntCounter::new("runs_total", "Runs").unwrap();
    counter.inc_by(3);
    reg.register(Box::new(counter)).unwrap();
    gateway
        .push("backup", [("instance", "db-2")], &reg)
        .await
        .unwrap();
    // A file whose last line has no newline: the gateway alone refuses it
    // ("unexpected end of input stream").
    gateway
        .push_text(
            PushMethod::Post,
            "backup",
            [("instance", "db-3")],
            "# TYPE backup_ok gauge\nbackup_ok 0",
        )
        .await
        .unwrap();
    let metrics = http::get(&format!("{}/metrics", server.url()))
        .unwrap()
        .body;
    assert!(
        metrics.contains(r#"backup_ok{instance="db-1",job="backup"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"backup_ok{instance="db-3",job="backup"} 0"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"runs_total{instance="db-2",job="backup"} 3"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn invalid_input_is_refused_before_any_io() {
    // Nothing listens on port 1: any I/O would fail differently.
    let gateway = Pushgateway::new("http://127.0.0.1:1").unwrap();
    let reg = registry(&[("v", 1)], &[("env", "x")]);
    let no_key: [(&str, &str); 0] = [];
    let cases: Vec<(Error, &str)> = vec![
        (
            gateway.push("", no_key, &reg).await.unwrap_err(),
            "invalid job: expected a non-empty job name",
        ),
        (
            gateway
                .push("j", [("bad-name", "x")], &reg)
                .await
                .unwrap_err(),
            "invalid grouping label name 'bad-name'",
        ),
        (
            gateway
                .push("j", [("env", "prod")], &reg)
                .await
                .unwrap_err(),
            "metric family 'v' carries env=\"x\", but the push path sets env=\"prod\"",
        ),
        (
            gateway
                .push("j", no_key, &registry(&[("v", 1)], &[("job", "x")]))
                .await
                .unwrap_err(),
            "carries job=\"x\", but the push path sets job=\"j\"",
        ),
    ];
    for (err, expected) in cases {
        assert!(err.is_invalid_input(), "{err:?}");
        assert!(err.to_string().contains(expected), "{err}");
    }
}

#[test]
fn a_url_without_a_scheme_is_http_as_in_prometheus_client() {
    // Python's push_to_gateway("localhost:9091", …) pushes to http://.
    for (url, base) in [
        ("localhost:9091", "http://localhost:9091/"),
        (" 127.0.0.1:9091/prefix/ ", "http://127.0.0.1:9091/prefix/"),
        ("HTTPS://gw:9091", "https://gw:9091/"),
    ] {
        let gateway = Pushgateway::new(url).unwrap();
        assert_eq!(
            gateway.group_url("j", [("a", "b")]).unwrap().as_str(),
            format!("{base}metrics/job/j/a/b"),
            "{url}"
        );
    }
    // Another scheme is refused, not pushed to as http://ftp://….
    let err = Pushgateway::new("ftp://gw:9091").unwrap_err().to_string();
    assert!(err.contains("expected an http or https URL"), "{err}");
    let err = Pushgateway::new("").unwrap_err().to_string();
    assert!(err.contains("invalid URL"), "{err}");
}

#[tokio::test]
async fn a_label_that_repeats_the_grouping_value_is_accepted() {
    let server = Server::start().unwrap();
    let gateway = Pushgateway::new(server.url()).unwrap();
    let reg = registry(&[("v", 7)], &[("run", "r1"), ("job", "j")]);
    gateway.push("j", [("run", "r1")], &reg).await.unwrap();
    let metrics = http::get(&format!("{}/metrics", server.url()))
        .unwrap()
        .body;
    assert!(
        metrics.contains(r#"v{instance="",job="j",run="r1"} 7"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn the_request_line_and_headers_of_the_chaos_toolkit_example() {
    let mut server = mockito::Server::new_async().await;
    let path = "/metrics/job@base64/Y3RrL2pvYg==/empty@base64/=/env@base64/cHJvZC9ldQ==\
                /plain@base64/YSBi/uni/%C3%A9";
    let mock = server
        .mock("PUT", path)
        .match_header("content-type", "text/plain; version=0.0.4")
        .match_body(mockito::Matcher::Regex(
            "(?s)# HELP v v help\n# TYPE v gauge\nv 1\n".into(),
        ))
        .with_status(200)
        .create_async()
        .await;
    let gateway = Pushgateway::new(server.url()).unwrap();
    let key = [
        ("uni", "é"),
        ("env", "prod/eu"),
        ("plain", "a b"),
        ("empty", ""),
    ];
    gateway
        .push("ctk/job", key, &registry(&[("v", 1)], &[]))
        .await
        .unwrap();
    mock.assert_async().await;

    let post = server
        .mock("POST", "/metrics/job/j")
        .with_status(202)
        .create_async()
        .await;
    let delete = server
        .mock("DELETE", "/metrics/job/j/a/b")
        .with_status(202)
        .create_async()
        .await;
    let no_key: [(&str, &str); 0] = [];
    gateway
        .push_add("j", no_key, &registry(&[("v", 1)], &[]))
        .await
        .unwrap();
    gateway.delete("j", [("a", "b")]).await.unwrap();
    post.assert_async().await;
    delete.assert_async().await;
}

#[tokio::test]
async fn a_500_is_retried_then_reported_with_the_gateway_message() {
    let mut server = mockito::Server::new_async().await;
    let mock = server
        .mock("PUT", "/metrics/job/j")
        .with_status(500)
        .with_body("storage is on fire\n")
        .expect(3)
        .create_async()
        .await;
    let gateway = Pushgateway::builder(server.url())
        .retry_delay(Duration::from_millis(10))
        .build()
        .unwrap();
    let no_key: [(&str, &str); 0] = [];
    let err = gateway
        .push("j", no_key, &registry(&[("v", 1)], &[]))
        .await
        .unwrap_err();
    mock.assert_async().await;
    assert_eq!(err.status(), Some(500));
    let message = err.to_string();
    assert!(message.contains("PUT "), "{message}");
    assert!(
        message.contains("/metrics/job/j answered 500: storage is on fire"),
        "{message}"
    );
}

#[tokio::test]
async fn a_400_is_not_retried() {
    let mut server = mockito::Server::new_async().await;
    let mock = server
        .mock("PUT", "/metrics/job/j")
        .with_status(400)
        .with_body("pushed metrics are invalid or inconsistent")
        .expect(1)
        .create_async()
        .await;
    let gateway = Pushgateway::new(server.url()).unwrap();
    let no_key: [(&str, &str); 0] = [];
    let err = gateway
        .push("j", no_key, &registry(&[("v", 1)], &[]))
        .await
        .unwrap_err();
    mock.assert_async().await;
    assert_eq!(err.status(), Some(400));
    assert!(!err.is_invalid_input());
}

#[tokio::test]
async fn a_gateway_that_hangs_fails_within_the_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    // With `Auto` too: asking what the gateway is times out once, and the
    // push does not wait a second time.
    for format in [PushFormat::Text, PushFormat::Auto] {
        let gateway = Pushgateway::builder(format!("http://{addr}"))
            .timeout(Duration::from_millis(400))
            .format(format)
            .build()
            .unwrap();
        let started = Instant::now();
        let no_key: [(&str, &str); 0] = [];
        let err = gateway
            .push("j", no_key, &registry(&[("v", 1)], &[]))
            .await
            .unwrap_err();
        let took = started.elapsed();
        assert!(err.is_timeout(), "{format:?}: {err:?}");
        assert!(took < Duration::from_millis(700), "{format:?}: {took:?}");
    }
    holder.abort();
}

#[tokio::test]
async fn a_gateway_that_is_down_is_a_connection_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let gateway = Pushgateway::builder(format!("http://127.0.0.1:{port}"))
        .retry_delay(Duration::from_millis(5))
        .build()
        .unwrap();
    let no_key: [(&str, &str); 0] = [];
    let err = gateway.delete("j", no_key).await.unwrap_err();
    assert!(err.is_connect(), "{err:?}");
}

#[tokio::test]
async fn dot_and_empty_values_reach_their_own_group_and_delete_only_it() {
    let server = Server::start().unwrap();
    let gateway = Pushgateway::new(server.url()).unwrap();
    let bystander = registry(&[("chaos_bystander", 1)], &[]);
    gateway.push("j", [("k", "v")], &bystander).await.unwrap();
    gateway
        .push("j", Vec::<(&str, &str)>::new(), &bystander)
        .await
        .unwrap();
    for (job, value) in [("j", "."), ("j", ".."), ("j", ""), (".", "v"), ("..", "v")] {
        let reg = registry(&[("chaos_dots", 7)], &[]);
        gateway.push(job, [("k", value)], &reg).await.unwrap();
        let labels = serde_json::json!({"job": job, "k": value});
        let all = groups(&server);
        assert!(
            group(&all, &labels).is_some(),
            "{job}/{value}: no group {labels} in {all:?}"
        );
        gateway.delete(job, [("k", value)]).await.unwrap();
        let all = groups(&server);
        assert!(group(&all, &labels).is_none(), "{job}/{value} not deleted");
        // Neither the job's own group nor another was touched.
        assert!(
            group(&all, &serde_json::json!({"job": "j", "k": "v"})).is_some(),
            "{job}/{value}"
        );
        assert!(
            group(&all, &serde_json::json!({"job": "j"})).is_some(),
            "{job}/{value}"
        );
    }
}

#[tokio::test]
async fn dot_segments_are_base64_on_the_wire() {
    let mut server = mockito::Server::new_async().await;
    let mut mocks = Vec::new();
    for path in [
        "/metrics/job/j/k@base64/Li4=",
        "/metrics/job/j/k@base64/Lg==",
        "/metrics/job/j/k@base64/=",
        "/metrics/job@base64/Li4=",
        "/metrics/job@base64/Lg==/k/v",
    ] {
        mocks.push(
            server
                .mock("DELETE", path)
                .with_status(202)
                .expect(1)
                .create_async()
                .await,
        );
    }
    let gateway = Pushgateway::new(server.url()).unwrap();
    gateway.delete("j", [("k", "..")]).await.unwrap();
    gateway.delete("j", [("k", ".")]).await.unwrap();
    gateway.delete("j", [("k", "")]).await.unwrap();
    gateway
        .delete("..", Vec::<(&str, &str)>::new())
        .await
        .unwrap();
    gateway.delete(".", [("k", "v")]).await.unwrap();
    for mock in mocks {
        mock.assert_async().await;
    }
    let err = gateway.delete("", [("k", "v")]).await.unwrap_err();
    assert!(err.is_invalid_input(), "{err:?}");
}

/// Every kind of family the control pushes, with awkward values and labels.
fn mixed_registry() -> Registry {
    use chaosprom_pushgateway::prometheus::{
        CounterVec, GaugeVec, HistogramOpts, HistogramVec, Opts,
    };
    let registry = Registry::new();
    let gauges = GaugeVec::new(Opts::new("g", "a gauge"), &["k"]).unwrap();
    gauges
        .with_label_values(&["quote \" and \\ and\nnewline"])
        .set(f64::NAN);
    gauges.with_label_values(&["é ☃"]).set(f64::INFINITY);
    gauges.with_label_values(&[""]).set(-0.25);
    let counter = CounterVec::new(Opts::new("c_total", "a counter"), &["k"]).unwrap();
    counter.with_label_values(&["x"]).inc_by(3.0);
    let histogram = HistogramVec::new(
        HistogramOpts::new("h_seconds", "a histogram").buckets(vec![0.1, 1.0, 10.0]),
        &["k"],
    )
    .unwrap();
    for v in [0.05, 0.5, 0.7, 50.0] {
        histogram.with_label_values(&["y"]).observe(v);
    }
    for c in [
        Box::new(gauges) as Box<dyn chaosprom_pushgateway::prometheus::core::Collector>,
        Box::new(counter),
        Box::new(histogram),
    ] {
        registry.register(c).unwrap();
    }
    registry
}

/// The gateway's `/metrics` lines of one group, with the group's own
/// labels and the push timestamps taken out, sorted.
fn exposed(server: &Server, group_value: &str) -> Vec<String> {
    let url = format!("{}/metrics", server.url());
    let body = http::get(&url).unwrap().ok("GET", &url).unwrap().body;
    let marker = format!("grp=\"{group_value}\"");
    let mut lines: Vec<String> = body
        .lines()
        .filter(|l| l.contains(&marker) && !l.starts_with("push_"))
        .map(|l| l.replace(&marker, ""))
        .collect();
    lines.sort();
    lines
}

#[tokio::test]
async fn text_and_protobuf_pushes_give_the_same_series() {
    let server = Server::start().unwrap();
    let reg = mixed_registry();
    for (format, group) in [(PushFormat::Text, "t"), (PushFormat::Protobuf, "p")] {
        let gateway = Pushgateway::builder(server.url())
            .format(format)
            .build()
            .unwrap();
        gateway.push("j", [("grp", group)], &reg).await.unwrap();
    }
    let text = exposed(&server, "t");
    let protobuf = exposed(&server, "p");
    assert_eq!(text.len(), 3 + 1 + 6, "{text:#?}");
    assert_eq!(text, protobuf);
    assert!(
        text.iter().any(|l| l.starts_with("h_seconds_bucket{")
            && l.contains("le=\"+Inf\"")
            && l.ends_with(" 4")),
        "{text:#?}"
    );
    assert!(text.iter().any(|l| l.ends_with(" NaN")), "{text:#?}");
    // And the same through the gateway's JSON API, buckets included.
    let groups = groups(&server);
    let family_of = |group: &str, name: &str| {
        let labels = serde_json::json!({"job": "j", "grp": group});
        let mut family = group_of(&groups, &labels)[name].clone();
        family.as_object_mut().unwrap().remove("time_stamp");
        for metric in family["metrics"].as_array_mut().unwrap() {
            metric["labels"].as_object_mut().unwrap().remove("grp");
        }
        family
    };
    for name in ["g", "c_total", "h_seconds"] {
        assert_eq!(family_of("t", name), family_of("p", name), "{name}");
    }
    assert_eq!(
        family_of("p", "h_seconds")["metrics"][0]["buckets"]["+Inf"],
        "4"
    );
}

fn group_of<'a>(groups: &'a [Value], labels: &Value) -> &'a Value {
    group(groups, labels).unwrap_or_else(|| panic!("no group {labels} in {groups:?}"))
}

#[tokio::test]
async fn auto_pushes_protobuf_to_a_pushgateway_and_text_elsewhere() {
    let server = Server::start().unwrap();
    let gateway = Pushgateway::builder(server.url())
        .format(PushFormat::Auto)
        .build()
        .unwrap();
    assert_eq!(gateway.format().await.unwrap(), PushFormat::Protobuf);
    // The answer is kept, by clones too.
    assert_eq!(
        gateway.clone().format().await.unwrap(),
        PushFormat::Protobuf
    );
    gateway
        .push("j", [("grp", "auto")], &mixed_registry())
        .await
        .unwrap();
    assert_eq!(exposed(&server, "auto").len(), 10);

    // A gateway that does not say what it is gets text.
    let mut mock = mockito::Server::new_async().await;
    let status = mock
        .mock("GET", "/api/v1/status")
        .with_status(404)
        .expect(1)
        .create_async()
        .await;
    let push = mock
        .mock("PUT", "/metrics/job/j")
        .match_header("content-type", "text/plain; version=0.0.4")
        .with_status(200)
        .expect(2)
        .create_async()
        .await;
    let gateway = Pushgateway::builder(mock.url())
        .format(PushFormat::Auto)
        .build()
        .unwrap();
    let no_key: [(&str, &str); 0] = [];
    for _ in 0..2 {
        gateway.push("j", no_key, &mixed_registry()).await.unwrap();
    }
    status.assert_async().await;
    push.assert_async().await;

    // One that cannot be reached is a connection error, not text, and
    // the push fails with it, without a second round of attempts.
    let closed = Pushgateway::builder("http://127.0.0.1:1")
        .format(PushFormat::Auto)
        .retries(0)
        .build()
        .unwrap();
    let err = closed.format().await.unwrap_err().to_string();
    assert!(err.contains("connection failed"), "{err}");
    let err = closed
        .push("j", no_key, &mixed_registry())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("api/v1/status: connection failed"), "{err}");
}

#[test]
fn push_formats_parse_and_say_what_they_accept() {
    assert_eq!("Protobuf".parse::<PushFormat>(), Ok(PushFormat::Protobuf));
    assert_eq!("text".parse::<PushFormat>(), Ok(PushFormat::Text));
    assert_eq!("auto".parse::<PushFormat>(), Ok(PushFormat::Auto));
    let err = "json".parse::<PushFormat>().unwrap_err();
    assert!(
        err.contains("'json'") && err.contains("text, protobuf or auto"),
        "{err}"
    );
}
