//! The metrics control's opt-in telemetry, end to end: `chaosprom run`
//! with `activity_metrics`, `phase_metrics` and `remote_write_url`, read
//! back from a real Pushgateway, a real Prometheus with its remote-write
//! receiver, and a real VictoriaMetrics.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use chaosprom_testkit::{ForwardProxy, Prometheus, Pushgateway, VictoriaMetrics, http};
use serde_json::{Value, json};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn sh(kind: &str, name: &str, script: &str) -> Value {
    json!({"type": kind, "name": name,
           "provider": {"type": "process", "path": "sh", "arguments": ["-c", script]}})
}

/// An experiment whose hypothesis probe reads a state file, whose method
/// writes `after` to it (and sleeps `sleep` seconds), and whose rollback
/// restores `ok`.
fn experiment(state: &Path, after: &str, sleep: u32, control: &Value) -> Value {
    let file = state.display();
    let mut probe = sh("probe", "service-is-ok", &format!("cat {file}"));
    probe["tolerance"] = json!({"type": "regex", "target": "stdout", "pattern": "^ok"});
    json!({
        "title": "telemetry", "description": "d",
        "controls": [{"name": "prometheus", "provider": {"type": "python",
            "module": "chaosprometheus.metrics", "arguments": control}}],
        "steady-state-hypothesis": {"title": "ok", "probes": [probe]},
        "method": [sh("action", "break-it", &format!("echo {after} > {file}; sleep {sleep}"))],
        "rollbacks": [sh("action", "repair-it", &format!("echo ok > {file}"))]
    })
}

fn run(dir: &Path, experiment: &Value) -> (Output, Value) {
    let file = dir.join("e.json");
    std::fs::write(&file, experiment.to_string()).unwrap();
    let journal = dir.join("journal.json");
    let out = Command::new(common::chaosprom())
        .args(["-q", "run", "--rollback-strategy", "always"])
        .arg(&file)
        .arg("--journal-path")
        .arg(&journal)
        .output()
        .unwrap();
    let journal = serde_json::from_str(&std::fs::read_to_string(&journal).unwrap()).unwrap();
    (out, journal)
}

/// An instant query's result (vector), at now.
fn query(url: &str, promql: &str) -> Vec<Value> {
    let encoded: String = promql
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let answer = http::get(&format!("{url}/api/v1/query?query={encoded}")).unwrap();
    let body: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(body["status"], "success", "{body}");
    body["data"]["result"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn value(series: &Value) -> f64 {
    series["value"][1].as_str().unwrap().parse().unwrap()
}

/// The value of the single series a query returns.
fn single(url: &str, promql: &str) -> f64 {
    let result = query(url, promql);
    assert_eq!(result.len(), 1, "{promql}: {result:?}");
    value(&result[0])
}

#[test]
fn activity_and_phase_metrics_reach_the_pushgateway_and_prometheus_by_remote_write() {
    let gateway = Pushgateway::start().unwrap();
    let prom = Prometheus::builder()
        .arg("--web.enable-remote-write-receiver")
        .start()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::write(&state, "ok\n").unwrap();
    let control = json!({
        "pushgateway_url": gateway.url(),
        "remote_write_url": format!("{}/api/v1/write", prom.url()),
        "trace_id": "trace-ok", "experiment_ref": "ref-1",
        "activity_metrics": true, "phase_metrics": true
    });
    let (out, journal) = run(dir.path(), &experiment(&state, "ok", 0, &control));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(journal["status"], "completed");

    let url = prom.url();
    let run = r#"chaostoolkit_run_trace_id="trace-ok""#;
    // Per activity and phase: the probe twice, the action, the rollback.
    for (activity, kind, phase) in [
        ("service-is-ok", "probe", "hypothesis_before"),
        ("service-is-ok", "probe", "hypothesis_after"),
        ("break-it", "action", "method"),
        ("repair-it", "action", "rollback"),
    ] {
        let selector = format!(
            r#"{{{run},activity="{activity}",activity_type="{kind}",phase="{phase}",status="succeeded"}}"#
        );
        assert_eq!(
            single(url, &format!("chaostoolkit_activity_total{selector}")),
            1.0,
            "{selector}"
        );
        assert_eq!(
            single(
                url,
                &format!("chaostoolkit_activity_duration_seconds_count{selector}")
            ),
            1.0
        );
        // Buckets reach minutes: chaos actions wait that long.
        let bucket = selector.replace('}', r#",le="300"}"#);
        assert_eq!(
            single(
                url,
                &format!("chaostoolkit_activity_duration_seconds_bucket{bucket}")
            ),
            1.0,
            "{bucket}"
        );
    }
    for phase in ["hypothesis_before", "hypothesis_after"] {
        assert_eq!(
            single(
                url,
                &format!(
                    r#"chaostoolkit_tolerance_met{{{run},activity="service-is-ok",phase="{phase}"}}"#
                )
            ),
            1.0
        );
    }
    // Each phase went to 1 while it ran and back to 0.
    for phase in [
        "hypothesis_before",
        "method",
        "hypothesis_after",
        "rollback",
    ] {
        let selector = format!(r#"chaostoolkit_experiment_phase{{{run},phase="{phase}"}}"#);
        assert_eq!(single(url, &format!("max_over_time({selector}[5m])")), 1.0);
        assert_eq!(single(url, &selector), 0.0, "{phase} ended");
    }
    // The run's families, with the Pushgateway's job and grouping labels.
    let status = format!(
        r#"chaostoolkit_experiment_status{{{run},job="chaostoolkit",chaostoolkit_experiment_ref="ref-1",chaostoolkit_experiment_status="completed"}}"#
    );
    assert_eq!(single(url, &status), 1.0);

    // The same families at the Pushgateway.
    let pushed = http::get(&format!("{}/api/v1/metrics", gateway.url())).unwrap();
    let pushed = pushed.body;
    for family in [
        "chaostoolkit_activity_total",
        "chaostoolkit_activity_duration_seconds",
        "chaostoolkit_tolerance_met",
        "chaostoolkit_experiment_phase",
        "chaostoolkit_experiment_status",
    ] {
        assert!(pushed.contains(family), "{family} not pushed");
    }
}

#[test]
fn a_deviating_run_writes_to_victoria_metrics_without_a_pushgateway() {
    let victoria = VictoriaMetrics::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::write(&state, "ok\n").unwrap();
    let control = json!({
        "pushgateway_url": null,
        "remote_write_url": format!("{}/api/v1/write", victoria.url()),
        "trace_id": "trace-deviated",
        "activity_metrics": true
    });
    let (out, journal) = run(dir.path(), &experiment(&state, "broken", 0, &control));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(journal["deviated"], true);
    let url = victoria.url();
    let run = r#"chaostoolkit_run_trace_id="trace-deviated""#;
    // VictoriaMetrics makes new series searchable within a moment of a
    // flush: wait for them, at most ten seconds.
    let flush = format!("{url}/internal/force_flush");
    for _ in 0..100 {
        http::get(&flush).unwrap();
        if !query(url, &format!("chaostoolkit_tolerance_met{{{run}}}")).is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        single(
            url,
            &format!("chaostoolkit_deviated_experiment_total{{{run}}}")
        ),
        1.0
    );
    assert_eq!(
        single(
            url,
            &format!(
                r#"chaostoolkit_tolerance_met{{{run},activity="service-is-ok",phase="hypothesis_after"}}"#
            )
        ),
        0.0
    );
    assert_eq!(
        single(
            url,
            &format!(
                r#"chaostoolkit_tolerance_met{{{run},activity="service-is-ok",phase="hypothesis_before"}}"#
            )
        ),
        1.0
    );
}

#[test]
fn failed_and_interrupted_runs_still_report_their_status() {
    let prom = Prometheus::builder()
        .arg("--web.enable-remote-write-receiver")
        .start()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let control = |trace: &str| {
        json!({"pushgateway_url": null, "trace_id": trace,
               "remote_write_url": format!("{}/api/v1/write", prom.url())})
    };
    // Failed: the hypothesis probe itself fails (it times out).
    std::fs::write(&state, "ok\n").unwrap();
    let mut failing = experiment(&state, "ok", 0, &control("trace-failed"));
    failing["steady-state-hypothesis"]["probes"][0] = {
        let mut p = sh("probe", "hangs", "sleep 5");
        p["provider"]["timeout"] = json!(0.2);
        p["tolerance"] = json!(0);
        p
    };
    let (_, journal) = run(dir.path(), &failing);
    assert_eq!(journal["status"], "failed", "{journal}");
    let status = |trace: &str, s: &str| {
        single(
            prom.url(),
            &format!(
                r#"chaostoolkit_experiment_status{{chaostoolkit_run_trace_id="{trace}",chaostoolkit_experiment_status="{s}"}}"#
            ),
        )
    };
    assert_eq!(status("trace-failed", "failed"), 1.0);
    assert_eq!(status("trace-failed", "completed"), 0.0);

    // Interrupted by SIGTERM in the method: the status still arrives.
    std::fs::write(&state, "ok\n").unwrap();
    let file = dir.path().join("long.json");
    std::fs::write(
        &file,
        experiment(&state, "ok", 30, &control("trace-interrupted")).to_string(),
    )
    .unwrap();
    let child = Command::new(common::chaosprom())
        .args(["-q", "run"])
        .arg(&file)
        .arg("--journal-path")
        .arg(dir.path().join("long-journal.json"))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(status("trace-interrupted", "interrupted"), 1.0);
    assert_eq!(
        single(
            prom.url(),
            r#"chaostoolkit_inprogress_experiment{chaostoolkit_run_trace_id="trace-interrupted"}"#
        ),
        0.0
    );
}

/// A control its arguments cannot configure would do nothing in the run
/// (chaos run logs the control's error and goes on): it is refused when
/// validated, before anything is injected. One that fails while running
/// (a gateway that is down) never stops the run; see the tests above.
#[test]
fn a_control_its_arguments_cannot_configure_is_refused_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::write(&state, "ok\n").unwrap();
    let file = dir.path().join("e.json");
    for (arguments, reason) in [
        (
            json!({"pushgateway_url": null}),
            "'pushgateway_url' is null and no 'remote_write_url' is given: the metrics would go nowhere",
        ),
        (
            json!({"pushgateway_url": "htp://gateway:9091"}),
            "pushgateway_url: invalid URL 'htp://gateway:9091': expected an http or https URL",
        ),
        (
            json!({"grouping_key": "env=prod"}),
            "argument 'grouping_key' must be a mapping, found \"env=prod\"",
        ),
        // Never substituted, in chaos run either: the labels would have
        // been the placeholder's text.
        (
            json!({"grouping_key": {"env": "${env}"}}),
            "argument 'grouping_key.env' holds '${env}', but a control's arguments are never substituted",
        ),
        // Only the placeholder is shown: the rest may be a credential.
        (
            json!({"pushgateway_url": null, "remote_write_url": "http://rw/api/v1/write",
                   "remote_write_headers": {"Authorization": "Bearer s3cret-${tenant}"}}),
            "argument 'remote_write_headers.Authorization' holds '${tenant}', but",
        ),
    ] {
        std::fs::write(
            &file,
            experiment(&state, "broken", 0, &arguments).to_string(),
        )
        .unwrap();
        let journal = dir.path().join("j.json").display().to_string();
        for command in [vec!["validate"], vec!["run", "--journal-path", &journal]] {
            let out = Command::new(common::chaosprom())
                .args(&command)
                .arg(&file)
                .output()
                .unwrap();
            let err = format!("{}{}", text(&out.stdout), text(&out.stderr));
            assert!(!err.contains("s3cret"), "{command:?}: {err}");
            assert_eq!(out.status.code(), Some(1), "{command:?}: {err}");
            assert!(
                err.contains("$.controls[0].provider.arguments: control 'prometheus' cannot run with these arguments: ")
                    && err.contains(reason),
                "{command:?}: {err}"
            );
            assert_eq!(
                std::fs::read_to_string(&state).unwrap(),
                "ok\n",
                "nothing ran"
            );
        }
    }

    // Declared in the settings, it would do nothing in every run.
    let settings = dir.path().join("settings.yaml");
    std::fs::write(
        &settings,
        "controls:\n  prometheus:\n    provider:\n      type: python\n      module: chaosprometheus.metrics\n      arguments:\n        pushgateway_url: htp://gateway:9091\n",
    )
    .unwrap();
    let mut plain = experiment(&state, "broken", 0, &json!({}));
    plain.as_object_mut().unwrap().remove("controls");
    std::fs::write(&file, plain.to_string()).unwrap();
    let settings = settings.display().to_string();
    let journal = dir.path().join("j.json").display().to_string();
    for command in [
        vec!["validate", "--settings", &settings],
        vec!["run", "--settings", &settings, "--journal-path", &journal],
    ] {
        let out = Command::new(common::chaosprom())
            .args(&command)
            .arg(&file)
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_ne!(out.status.code(), Some(0), "{command:?}: {err}");
        assert!(
            err.contains("$.controls.prometheus.provider.arguments: control 'prometheus' cannot run with these arguments: pushgateway_url: invalid URL 'htp://gateway:9091'"),
            "{command:?}: {err}"
        );
        assert_eq!(
            std::fs::read_to_string(&state).unwrap(),
            "ok\n",
            "nothing ran"
        );
    }
}

#[test]
fn remote_write_goes_through_the_proxy_it_is_given() {
    let prom = Prometheus::builder()
        .arg("--web.enable-remote-write-receiver")
        .start()
        .unwrap();
    let proxy = ForwardProxy::start(None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::write(&state, "ok\n").unwrap();
    let control = json!({
        "pushgateway_url": null, "trace_id": "trace-proxied",
        "remote_write_url": format!("{}/api/v1/write", prom.url()),
        "remote_write_proxy": proxy.url(),
        "remote_write_headers": {"X-Scope-OrgID": "team-a"}
    });
    let (out, _) = run(dir.path(), &experiment(&state, "ok", 0, &control));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(proxy.log().contains("/api/v1/write"), "{}", proxy.log());
    assert_eq!(
        single(
            prom.url(),
            r#"chaostoolkit_inprogress_experiment{chaostoolkit_run_trace_id="trace-proxied"}"#
        ),
        0.0
    );
    // Half a client certificate is refused, saying what goes with what.
    let control = json!({"pushgateway_url": null,
        "remote_write_url": format!("{}/api/v1/write", prom.url()),
        "remote_write_client_cert": "/nonexistent/client.pem"});
    let file = dir.path().join("half.json");
    std::fs::write(&file, experiment(&state, "ok", 0, &control).to_string()).unwrap();
    let out = Command::new(common::chaosprom())
        .arg("run")
        .arg(&file)
        .arg("--journal-path")
        .arg(dir.path().join("j.json"))
        .output()
        .unwrap();
    assert!(
        text(&out.stderr)
            .contains("'remote_write_client_cert' and 'remote_write_client_key' go together"),
        "{}",
        text(&out.stderr)
    );
}

/// Remote-write to a Prometheus that demands a client certificate: with
/// `remote_write_client_cert`/`_key` and `remote_write_ca_file` the
/// samples arrive; without the certificate the write is refused, logged,
/// and the run still completes.
#[test]
fn remote_write_with_mutual_tls() {
    use chaosprom_http::{ClientCert, HttpOptions, Method, Transport};
    use chaosprom_testkit::pki::Pki;

    let pki = Pki::new().unwrap();
    let prom = Prometheus::builder()
        .web_config(pki.web_config(true))
        .arg("--web.enable-remote-write-receiver")
        .start()
        .unwrap();
    assert!(prom.url().starts_with("https://"), "{}", prom.url());
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::write(&state, "ok\n").unwrap();
    let control = |trace: &str, with_cert: bool| {
        let mut control = json!({
            "pushgateway_url": null,
            "remote_write_url": format!("{}/api/v1/write", prom.url()),
            "remote_write_ca_file": pki.ca.display().to_string(),
            "trace_id": trace,
        });
        if with_cert {
            control["remote_write_client_cert"] = pki.client_cert.display().to_string().into();
            control["remote_write_client_key"] = pki.client_key.display().to_string().into();
        }
        control
    };
    let (out, journal) = run(
        dir.path(),
        &experiment(&state, "ok", 0, &control("trace-mtls", true)),
    );
    assert_eq!(journal["status"], "completed", "{}", text(&out.stderr));
    assert!(text(&out.stderr).is_empty(), "{}", text(&out.stderr));

    let file = dir.path().join("no-cert.json");
    std::fs::write(
        &file,
        experiment(&state, "ok", 0, &control("trace-no-cert", false)).to_string(),
    )
    .unwrap();
    let journal_path = dir.path().join("no-cert-journal.json");
    let refused = Command::new(common::chaosprom())
        .args(["run", "--journal-path"])
        .arg(&journal_path)
        .arg(&file)
        .output()
        .unwrap();
    let log = text(&refused.stderr);
    assert!(refused.status.success(), "{log}");
    assert!(log.contains("could not write the run's metrics"), "{log}");
    assert!(log.contains("client certificate"), "{log}");

    // Read back through the same mutual TLS.
    let mut options = HttpOptions::default();
    options.tls.ca_file = Some(pki.ca.clone());
    options.tls.client_cert = Some(ClientCert {
        cert_file: pki.client_cert.clone(),
        key_file: pki.client_key.clone(),
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let transport = Transport::new(prom.url(), options).unwrap();
    let count = |trace: &str| -> usize {
        runtime.block_on(async {
            let mut url = transport.endpoint("api/v1/query");
            url.query_pairs_mut().append_pair(
                "query",
                &format!(
                    r#"chaostoolkit_experiment_status{{chaostoolkit_run_trace_id="{trace}"}}"#
                ),
            );
            let answer = transport
                .send(Method::GET, &url, &[], Default::default(), |_| false)
                .await
                .unwrap();
            let body: Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
            assert_eq!(body["status"], "success", "{body}");
            body["data"]["result"].as_array().map_or(0, Vec::len)
        })
    };
    assert_eq!(count("trace-mtls"), 4, "one series per state");
    assert_eq!(count("trace-no-cert"), 0);
}
