//! Dispatch refuses bad calls before any request, and discovery has the
//! shape of `chaos discover`'s.

use chaosprometheus::{Activity, Error, dispatch};
use serde_json::{Value, json};

/// A configuration whose server refuses connections: any request would
/// fail differently from the errors expected here.
fn closed() -> Value {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    json!({"prometheus_base_url": format!("http://127.0.0.1:{port}")})
}

async fn error(module: &str, function: &str, args: Value) -> String {
    match dispatch(module, function, &args, &closed(), &json!({})).await {
        Err(e) => e.to_string(),
        Ok(a) => panic!("{module}.{function}({args}) gave {a:?}"),
    }
}

#[tokio::test]
async fn dispatch_errors_name_what_was_wrong() {
    let p = "chaosprometheus.probes";
    let cases = [
        (
            error("chaosprometheus.nope", "query", json!({})).await,
            "unknown module 'chaosprometheus.nope': expected chaosprometheus.probes or chaosprometheus.metrics",
        ),
        (
            error(p, "querry", json!({})).await,
            "unknown function 'querry' in chaosprometheus.probes: expected one of query, query_interval, compute_mean, nodes_cpu_usage_mean, query_value, alert_state, sample_age, time_to_recover, compare_to_baseline",
        ),
        (
            error(p, "query", json!({})).await,
            "query: missing required argument 'query' (a string)",
        ),
        (
            error(p, "query", json!({"query": "up", "wen": "now"})).await,
            "query: unknown argument 'wen': expected one of query, when, timeout, verify_tls",
        ),
        (
            error(p, "query", json!({"query": "up", "timeout": true})).await,
            "query: argument 'timeout' must be a number of seconds or a duration string such as \"30s\", found boolean true",
        ),
        (
            error(p, "query", json!({"query": "up", "timeout": "2 parsecs"})).await,
            "invalid timeout: expected a number of seconds or a duration such as 30s or 1m30s, found '2 parsecs'",
        ),
        (
            error(p, "query", json!({"query": "up", "verify_tls": "yes"})).await,
            "query: argument 'verify_tls' must be true or false, found string \"yes\"",
        ),
        (
            error(
                p,
                "query_interval",
                json!({"query": "up", "start": "1h ago", "end": "now", "step": [1]}),
            )
            .await,
            "query_interval: argument 'step' must be a number of seconds or a duration string such as \"15s\", found list [1]",
        ),
        (
            error(p, "query", json!("up")).await,
            "query: argument 'arguments' must be a mapping of argument names to values, found string \"up\"",
        ),
    ];
    for (got, want) in cases {
        assert_eq!(got, want);
    }
}

#[test]
fn a_timeout_s_text_is_checked_when_validated() {
    let p = "chaosprometheus.probes";
    for timeout in ["30", "30s", "1m30s", "1.5", ""] {
        chaosprometheus::check_call(p, "query", &json!({"query": "up", "timeout": timeout}))
            .unwrap_or_else(|e| panic!("{timeout}: {e}"));
    }
    let err = chaosprometheus::check_call(
        p,
        "query_interval",
        &json!({"query": "up", "start": "-1h", "end": "now", "timeout": "soon"}),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid timeout: expected a number of seconds or a duration such as 30s or 1m30s, found 'soon'"
    );
    for (timeout, found) in [(json!(-5), "-5"), (json!(0), "0"), (json!("2d"), "172800")] {
        let err =
            chaosprometheus::check_call(p, "query", &json!({"query": "up", "timeout": timeout}))
                .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "invalid timeout: expected a positive number of seconds up to 86400 (one day), found {found}"
            )
        );
    }
    // A placeholder is checked when substituted.
    chaosprometheus::check_call(p, "query", &json!({"query": "up", "timeout": "${t}"})).unwrap();
}

#[test]
fn times_are_checked_when_validated_and_ambiguous_numbers_refused() {
    let p = "chaosprometheus.probes";
    let check = |function: &str, args: Value| chaosprometheus::check_call(p, function, &args);
    for when in [
        "",
        "now",
        "5 minutes ago",
        "1764000000",
        "1764000000.5",
        "2026-01-01T00:00:00Z",
    ] {
        check("query", json!({"query": "up", "when": when}))
            .unwrap_or_else(|e| panic!("{when}: {e}"));
    }
    // A misspelt time fails when validated, before any fault is injected.
    let err = check("query", json!({"query": "up", "when": "2 mns ago"})).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("when: failed to parse '2 mns ago'"),
        "{err}"
    );
    let err = check(
        "query_interval",
        json!({"query": "up", "start": "", "end": "now"}),
    )
    .unwrap_err();
    assert!(
        err.to_string().starts_with("start: failed to parse ''"),
        "{err}"
    );
    // dateparser reads these as dates (May, a year, 1999) or milliseconds;
    // Prometheus would read Unix seconds.
    for number in ["5", "2026", " 99 ", "123456789", "1764000000000", "12.5"] {
        let err = check("query", json!({"query": "up", "when": number})).unwrap_err();
        assert!(
            err.to_string().starts_with(&format!(
                "invalid when: '{number}' is ambiguous: Python's extension reads"
            )),
            "{number}: {err}"
        );
    }
    check("query", json!({"query": "up", "when": "${at}"})).unwrap();
    // A range that ends before it starts fails every run: refused now.
    check(
        "query_interval",
        json!({"query": "up", "start": "1 hour ago", "end": "now"}),
    )
    .unwrap();
    let err = check(
        "query_interval",
        json!({"query": "up", "start": "5 minutes ago", "end": "1 hour ago"}),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("invalid end: expected an end after the start, found '1 hour ago' ("),
        "{err}"
    );
}

#[tokio::test]
async fn bad_values_are_refused_before_any_request() {
    let p = "chaosprometheus.probes";
    for (when, input) in [("2 mns ago", "2 mns ago"), ("right now", "right now")] {
        let message = error(p, "query", json!({"query": "up", "when": when})).await;
        assert!(
            message.contains(&format!("failed to parse '{input}'")),
            "{message}"
        );
    }
    let start = error(
        p,
        "query_interval",
        json!({"query": "up", "start": "yesterday-ish", "end": "now"}),
    )
    .await;
    assert!(
        start.starts_with("start: failed to parse 'yesterday-ish'"),
        "{start}"
    );
    let zero = error(
        p,
        "query_interval",
        json!({"query": "up", "start": "5m", "end": "now", "step": 0}),
    )
    .await;
    assert!(
        zero.starts_with("invalid step: expected a positive step, found 0"),
        "{zero}"
    );
    let zero_text = error(
        p,
        "query_interval",
        json!({"query": "up", "start": "5m", "end": "now", "step": "0s"}),
    )
    .await;
    assert!(zero_text.starts_with("invalid step"), "{zero_text}");
    let mean = error(
        p,
        "compute_mean",
        json!({"query": "up", "mean_type": "median"}),
    )
    .await;
    assert!(
        mean.contains("expected arithmetic, geometric or harmonic, found 'median'"),
        "{mean}"
    );
    let window = error(
        p,
        "compute_mean",
        json!({"query": "up", "window": "1 fortnight"}),
    )
    .await;
    assert!(
        window.starts_with("window: failed to parse '1 fortnight'"),
        "{window}"
    );
    let config = dispatch(
        p,
        "query",
        &json!({"query": "up"}),
        &json!({"prometheus_timeout": "soon"}),
        &json!({}),
    )
    .await
    .unwrap_err();
    assert!(matches!(config, Error::InvalidArgument { .. }), "{config}");
}

#[tokio::test]
async fn a_failed_connection_is_a_failed_query() {
    let message = error("chaosprometheus.probes", "query", json!({"query": "up"})).await;
    assert!(
        message.starts_with("Prometheus query 'up' failed: GET http://127.0.0.1:"),
        "{message}"
    );
    assert!(message.contains("connection failed"), "{message}");
}

#[tokio::test]
async fn the_metrics_module_gives_the_control() {
    for function in ["configure_control", "after_experiment_control"] {
        let activity = dispatch(
            "chaosprometheus.metrics",
            function,
            &json!({"job": "x"}),
            &json!({}),
            &json!({}),
        )
        .await
        .unwrap();
        assert!(matches!(activity, Activity::Control(_)));
    }
}

#[test]
fn discovery_has_the_shape_of_chaos_discover() {
    let doc = chaosprometheus::discover();
    assert_eq!(doc["target"], "prometheus");
    assert_eq!(doc["extension"]["name"], "chaosprometheus");
    let activities = doc["activities"].as_array().unwrap();
    let names: Vec<_> = activities
        .iter()
        .map(|a| {
            format!(
                "{} {}.{}",
                a["type"].as_str().unwrap(),
                a["mod"].as_str().unwrap(),
                a["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            "probe chaosprometheus.probes.query",
            "probe chaosprometheus.probes.query_interval",
            "probe chaosprometheus.probes.compute_mean",
            "probe chaosprometheus.probes.nodes_cpu_usage_mean",
            "probe chaosprometheus.probes.query_value",
            "probe chaosprometheus.probes.alert_state",
            "probe chaosprometheus.probes.sample_age",
            "probe chaosprometheus.probes.time_to_recover",
            "probe chaosprometheus.probes.compare_to_baseline",
            "probe chaosprometheus.tolerances.below",
            "probe chaosprometheus.tolerances.above",
            "probe chaosprometheus.tolerances.between",
            "probe chaosprometheus.tolerances.equals",
            "control chaosprometheus.metrics.configure_control",
            "control chaosprometheus.metrics.before_experiment_control",
            "control chaosprometheus.metrics.after_experiment_control",
            "control chaosprometheus.metrics.cleanup_control",
        ]
    );
    // The probes' arguments are those `chaos discover` lists for Python.
    let args =
        |name: &str| activities.iter().find(|a| a["name"] == name).unwrap()["arguments"].clone();
    assert_eq!(
        args("query"),
        json!([{"name": "query", "type": "string"}, {"name": "when", "default": null, "type": "string"},
               {"name": "timeout", "default": null, "type": "number"}, {"name": "verify_tls", "default": true, "type": "boolean"},
               {"name": "configuration", "default": null, "type": "mapping"}, {"name": "secrets", "default": null, "type": "mapping"}])
    );
    assert_eq!(
        args("query_interval"),
        json!([{"name": "query", "type": "string"}, {"name": "start", "type": "string"}, {"name": "end", "type": "string"},
               {"name": "step", "default": 1, "type": "integer"}, {"name": "timeout", "default": null, "type": "number"},
               {"name": "verify_tls", "default": true, "type": "boolean"},
               {"name": "configuration", "default": null, "type": "mapping"}, {"name": "secrets", "default": null, "type": "mapping"}])
    );
    assert_eq!(
        args("compute_mean"),
        json!([{"name": "query", "type": "string"}, {"name": "window", "default": "1d", "type": "string"},
               {"name": "mean_type", "default": "arithmetic", "type": "string"},
               {"name": "configuration", "default": null, "type": "mapping"}, {"name": "secrets", "default": null, "type": "mapping"}])
    );
    for a in activities {
        assert!(a["doc"].as_str().is_some_and(|d| !d.is_empty()));
        if a["type"] == "probe" {
            let rt = a["return_type"].as_str().unwrap();
            assert!(["mapping", "number", "boolean", "string"].contains(&rt));
        }
    }
}

/// A secret or header of the wrong type is refused without its value.
#[test]
fn settings_errors_never_show_a_secret() {
    use chaosprometheus::Settings;
    use serde_json::json;
    for (configuration, secrets) in [
        (json!({}), json!({"prometheus_token": 313_374_242})),
        (
            json!({}),
            json!({"prometheus_username": "u", "prometheus_password": 313_374_242}),
        ),
        (
            json!({"prometheus_headers": {"Authorization": 313_374_242}}),
            json!({}),
        ),
    ] {
        let err = Settings::from_chaos(&configuration, &secrets)
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected a string, found a number"), "{err}");
        assert!(!err.contains("313374242"), "{err}");
    }
}

/// `time_to_recover` against a server that never answers gives up at its
/// own timeout, not the client's (30 s by default).
#[tokio::test]
async fn time_to_recover_gives_up_at_its_timeout_on_a_silent_server() {
    use serde_json::json;
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let started = std::time::Instant::now();
    let err = match chaosprometheus::dispatch(
        chaosprometheus::PROBES_MODULE,
        "time_to_recover",
        &json!({"query": "up", "below": 1, "timeout": "1s", "interval": "1s"}),
        &json!({"prometheus_base_url": url}),
        &json!({}),
    )
    .await
    {
        Err(e) => e.to_string(),
        Ok(_) => panic!("a silent server cannot have recovered"),
    };
    assert!(err.contains("did not answer in time"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    drop(silent);
}
