//! The test kit itself: every server starts, answers, keeps data, runs side
//! by side with another of its kind, and leaves nothing behind.

use std::path::Path;
use std::time::{Duration, Instant};

use chaosprom_testkit::binary::Binary;
use chaosprom_testkit::{Error, Prometheus, Pushgateway, VictoriaMetrics, http};

/// Polls `url` until its body contains `needle`, for at most `within`.
fn wait_for(url: &str, needle: &str, within: Duration) -> String {
    let started = Instant::now();
    loop {
        let body = http::get(url).map(|r| r.body).unwrap_or_default();
        if body.contains(needle) || started.elapsed() > within {
            return body;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn prometheus_starts_and_answers() {
    let prom = Prometheus::start().unwrap();
    assert!(
        prom.url().starts_with("http://127.0.0.1:"),
        "{}",
        prom.url()
    );
    let ready = http::get(&format!("{}/-/ready", prom.url())).unwrap();
    assert_eq!(ready.status, 200);
    let build = http::get(&format!("{}/api/v1/status/buildinfo", prom.url())).unwrap();
    assert_eq!(build.status, 200);
    assert!(
        build.body.contains(r#""status":"success""#),
        "{}",
        build.body
    );
}

#[test]
fn prometheus_history_from_promtool_is_queryable() {
    let end = chaosprom_testkit::now_secs() / 60 * 60 - 3600;
    let start = end - 59 * 60;
    let mut om = String::from("# HELP room_temp Temperature.\n# TYPE room_temp gauge\n");
    for (i, t) in (start..=end).step_by(60).enumerate() {
        om.push_str(&format!("room_temp{{room=\"a\"}} {}.5 {t}\n", 20 + i % 3));
    }
    om.push_str("# EOF\n");
    let prom = Prometheus::builder().history(om).start().unwrap();

    let url = format!(
        "{}/api/v1/query_range?query=room_temp&start={start}&end={end}&step=60",
        prom.url()
    );
    let answer = http::get(&url).unwrap().ok("GET", &url).unwrap();
    let body = answer.body;
    assert!(body.contains(r#""room":"a""#), "{body}");
    assert_eq!(body.matches("],[").count() + 1, 60, "60 points in {body}");
    assert!(body.contains(&format!(r#"[{start},"20.5"]"#)), "{body}");
    assert!(
        body.contains(&format!(r#"[{end},"{}.5"]"#, 20 + 59 % 3)),
        "{body}"
    );
}

#[test]
fn prometheus_scrapes_itself_and_a_pushgateway() {
    let gateway = Pushgateway::start().unwrap();
    let prom = Prometheus::builder()
        .self_scrape(true)
        .scrape("pushgateway", gateway.addr().to_string())
        .start()
        .unwrap();
    let url = format!("{}/api/v1/query?query=sum(up)", prom.url());
    let body = wait_for(&url, r#""2"]"#, Duration::from_secs(20));
    assert!(body.contains(r#""2"]"#), "both targets up: {body}");
}

#[test]
fn prometheus_under_a_route_prefix() {
    let prom = Prometheus::builder()
        .route_prefix("prometheus/")
        .lookback_delta("1h")
        .start()
        .unwrap();
    assert!(prom.url().ends_with("/prometheus"), "{}", prom.url());
    let url = format!("{}/api/v1/query?query=1%2B1", prom.url());
    let body = http::get(&url).unwrap().ok("GET", &url).unwrap().body;
    assert!(body.contains(r#""2"]"#), "{body}");
}

#[test]
fn prometheus_admin_api_is_off_unless_asked() {
    let off = Prometheus::start().unwrap();
    let on = Prometheus::builder().admin_api(true).start().unwrap();
    let path = "/api/v1/admin/tsdb/snapshot";
    let off_answer = http::send_body("POST", &format!("{}{path}", off.url()), "text/plain", "");
    let on_answer = http::send_body("POST", &format!("{}{path}", on.url()), "text/plain", "");
    let off_answer = off_answer.unwrap();
    assert_ne!(off_answer.status, 200);
    assert!(
        off_answer.body.contains("admin APIs disabled"),
        "{off_answer:?}"
    );
    assert_eq!(on_answer.unwrap().status, 200);
}

#[test]
fn a_server_that_exits_reports_its_output() {
    let err = Prometheus::builder()
        .arg("--no-such-flag")
        .start()
        .unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::Exited { .. }), "{message}");
    assert!(message.contains("prometheus exited"), "{message}");
    assert!(message.contains("no-such-flag"), "stderr in: {message}");
}

#[test]
fn a_bad_history_reports_promtool_output() {
    let err = Prometheus::builder()
        .history("this is not openmetrics\n")
        .start()
        .unwrap_err();
    assert!(matches!(err, Error::Promtool { .. }), "{err}");
}

#[test]
fn a_missing_binary_names_itself_and_setup() {
    let missing = Binary {
        name: "nothing",
        env: "CHAOSPROM_TEST_NO_SUCH_BIN",
        candidates: &["chaosprom-no-such-binary"],
        package: "nothing",
    };
    let message = missing.find().unwrap_err().to_string();
    assert!(message.contains("nothing binary not found"), "{message}");
    assert!(message.contains("CHAOSPROM_TEST_NO_SUCH_BIN"), "{message}");
    assert!(message.contains("cargo xtask setup"), "{message}");
}

#[test]
fn victoria_metrics_returns_imported_samples() {
    let vm = VictoriaMetrics::start().unwrap();
    let t = (chaosprom_testkit::now_secs() - 600) * 1000;
    vm.import_prometheus(&format!(
        "vm_temp{{room=\"b\"}} 19.25 {t}\nvm_temp{{room=\"c\"}} 23 {t}\n"
    ))
    .unwrap();
    let url = format!(
        "{}/api/v1/query?query=vm_temp{{room=%22b%22}}&time={}",
        vm.url(),
        t / 1000
    );
    let body = http::get(&url).unwrap().ok("GET", &url).unwrap().body;
    assert!(body.contains(r#""room":"b""#), "{body}");
    assert!(body.contains(r#""19.25"]"#), "{body}");
    assert!(!body.contains(r#""room":"c""#), "{body}");
}

#[test]
fn pushgateway_accepts_a_push_and_shows_it() {
    let gateway = Pushgateway::start().unwrap();
    let push = format!("{}/metrics/job/kit/instance/one", gateway.url());
    http::send_body("PUT", &push, "text/plain; version=0.0.4", "kit_pushed 42\n")
        .unwrap()
        .ok("PUT", &push)
        .unwrap();
    let metrics = http::get(&format!("{}/metrics", gateway.url()))
        .unwrap()
        .body;
    assert!(
        metrics.contains(r#"kit_pushed{instance="one",job="kit"} 42"#),
        "{metrics}"
    );
}

#[test]
fn two_servers_of_a_kind_run_side_by_side() {
    let a = Pushgateway::start().unwrap();
    let b = Pushgateway::start().unwrap();
    assert_ne!(a.addr(), b.addr());
    assert_ne!(a.dir(), b.dir());
    let push = format!("{}/metrics/job/only_a", a.url());
    http::send_body("PUT", &push, "text/plain", "side_by_side 1\n").unwrap();
    let a_metrics = http::get(&format!("{}/metrics", a.url())).unwrap().body;
    let b_metrics = http::get(&format!("{}/metrics", b.url())).unwrap().body;
    assert!(a_metrics.contains("side_by_side"), "{a_metrics}");
    assert!(!b_metrics.contains("side_by_side"), "{b_metrics}");

    let p = Prometheus::start().unwrap();
    let q = Prometheus::start().unwrap();
    assert_ne!(p.addr(), q.addr());
    for prom in [&p, &q] {
        assert_eq!(
            http::get(&format!("{}/-/ready", prom.url()))
                .unwrap()
                .status,
            200
        );
    }
    let v = VictoriaMetrics::start().unwrap();
    let w = VictoriaMetrics::start().unwrap();
    assert_ne!(v.addr(), w.addr());
}

fn gone(pid: u32, dir: &Path) {
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "process {pid} is still there"
    );
    assert!(!dir.exists(), "{} is still there", dir.display());
}

#[test]
fn dropping_a_handle_leaves_nothing_behind() {
    let prom = Prometheus::start().unwrap();
    let (pid, dir) = (prom.pid(), prom.dir().to_owned());
    assert!(dir.join("data").exists());
    let url = prom.url().to_owned();
    drop(prom);
    gone(pid, &dir);
    assert!(http::get(&format!("{url}/-/ready")).is_err(), "port closed");

    let gateway = Pushgateway::start().unwrap();
    let (pid, dir) = (gateway.pid(), gateway.dir().to_owned());
    drop(gateway);
    gone(pid, &dir);

    let vm = VictoriaMetrics::start().unwrap();
    let (pid, dir) = (vm.pid(), vm.dir().to_owned());
    drop(vm);
    gone(pid, &dir);
}
