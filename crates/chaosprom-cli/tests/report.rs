//! `chaosprom report`: a real run's journal against a real Prometheus,
//! rendered in a real headless Chromium.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use chaosprom_testkit::Prometheus;
use serde_json::{Value, json};

fn chaosprom(args: &[&str]) -> Output {
    Command::new(common::chaosprom())
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `report_temp{room="a"}` and `{room="b"}` every 15 s for two hours.
fn prometheus() -> Prometheus {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let recent = now / 15 * 15 - 15;
    let mut om = String::from("# TYPE report_temp gauge\n");
    for room in ["a", "b"] {
        for (i, t) in (recent - 7200..=recent).step_by(15).enumerate() {
            om.push_str(&format!(
                "report_temp{{room=\"{room}\"}} {} {t}\n",
                20 + i % 5
            ));
        }
    }
    om.push_str("# EOF\n");
    Prometheus::builder()
        .history(om)
        .lookback_delta("10m")
        .start()
        .unwrap()
}

fn experiment(url: &str) -> Value {
    let probe = |name: &str, func: &str, arguments: Value, tolerance: Value| {
        json!({"type": "probe", "name": name, "tolerance": tolerance,
               "provider": {"type": "python", "module": "chaosprometheus.probes",
                            "func": func, "arguments": arguments}})
    };
    json!({
        "title": "Rooms stay <warm> & dry",
        "description": "report test",
        "configuration": {"prometheus_base_url": url},
        "steady-state-hypothesis": {"title": "warm", "probes": [
            probe("room-temperature", "query", json!({"query": "report_temp"}),
                  json!({"type": "jsonpath", "path": "$.status", "expect": "success"})),
            probe("temperature-history", "query_interval",
                  json!({"query": "report_temp", "start": "10 minutes ago", "end": "now", "step": 60}),
                  json!({"type": "jsonpath", "path": "$.status", "expect": "success"})),
        ]},
        "method": [{"type": "action", "name": "open-the-window",
                    "provider": {"type": "process", "path": "sleep", "arguments": "0.2"}}],
        "rollbacks": [{"type": "action", "name": "close-the-window",
                       "provider": {"type": "process", "path": "true"}}]
    })
}

/// Points drawn in every chart of a document (one count per chart).
fn chart_points(doc: &str) -> Vec<usize> {
    doc.split("<svg class=\"chart\"")
        .skip(1)
        .map(|chart| {
            let chart = &chart[..chart.find("</svg>").unwrap()];
            chart
                .split("points=\"")
                .skip(1)
                .map(|p| p[..p.find('"').unwrap()].split_whitespace().count())
                .sum()
        })
        .collect()
}

fn chromium(args: &[&str], page: &Path, profile: &Path) -> Output {
    let bin = chaosprom_testkit::binary::CHROMIUM.find().unwrap();
    Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap()
}

#[test]
fn a_run_reads_as_a_report_in_a_real_browser() {
    let prom = prometheus();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("e.json");
    std::fs::write(&file, experiment(prom.url()).to_string()).unwrap();
    let journal = dir.path().join("journal.json");
    let journal_arg = journal.display().to_string();
    let out = chaosprom(&[
        "-q",
        "run",
        &file.display().to_string(),
        "--journal-path",
        &journal_arg,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    // HTML, re-queried from the Prometheus the experiment names.
    let page = dir.path().join("report.html");
    let out = chaosprom(&["report", &journal_arg, "-o", &page.display().to_string()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("Rooms stay &lt;warm&gt; &amp; dry"),
        "escaped title"
    );
    assert!(html.contains("Status: completed"));
    assert!(html.contains("Before the method: met; after: met."));
    assert!(html.contains("re-queried from http://127.0.0.1:"));
    assert!(html.contains(r#"report_temp{room="a"} = "#.replace('"', "&quot;").as_str()));
    for name in [
        "room-temperature",
        "temperature-history",
        "open-the-window",
        "close-the-window",
    ] {
        assert!(html.contains(name), "{name}");
    }
    // Self-contained: no script, no link, nothing to fetch, and a policy
    // that forbids fetching anyway.
    for banned in ["<script", "<link", "src=", "href=", "url(", "@import"] {
        assert!(!html.contains(banned), "{banned} in the report");
    }
    assert!(html.contains("default-src 'none'"));
    let points = chart_points(&html);
    assert_eq!(points.len(), 2, "one chart per Prometheus probe");
    assert!(points.iter().all(|&n| n >= 2 * 20), "{points:?}");

    // The real browser: the DOM it built has both charts with their
    // points, and the screenshot is a real picture.
    let profile = dir.path().join("profile");
    let dom = chromium(&["--dump-dom"], &page, &profile);
    assert!(dom.status.success(), "{}", text(&dom.stderr));
    let dom = text(&dom.stdout);
    assert_eq!(chart_points(&dom), points, "the browser's DOM");
    assert!(dom.contains("class=\"timeline\""));
    let shot = dir.path().join("report.png");
    let out = chromium(
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1100,1600",
        ],
        &page,
        &profile,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // Against a blank page of the same size: a drawn page compresses less.
    let blank_page = dir.path().join("blank.html");
    std::fs::write(&blank_page, "<!doctype html><title>blank</title>").unwrap();
    let blank_shot = dir.path().join("blank.png");
    let out = chromium(
        &[
            &format!("--screenshot={}", blank_shot.display()),
            "--window-size=1100,1600",
        ],
        &blank_page,
        &profile,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let blank = std::fs::read(&blank_shot).unwrap().len();
    assert!(
        png.len() > 3 * blank,
        "{} bytes against a blank page's {blank}",
        png.len()
    );

    // Offline, or with Prometheus gone: the journal's payloads.
    let offline = chaosprom(&["report", &journal_arg, "--offline"]);
    assert!(offline.status.success());
    let offline = text(&offline.stdout);
    assert!(offline.contains("drawn from the payloads in the journal"));
    let points = chart_points(&offline);
    // An instant probe run twice: 2 series × 2 points; the range probe's
    // payloads: 2 series × 11 points, twice.
    assert_eq!(points, vec![4, 44], "{offline}");
    drop(prom);
    let gone = chaosprom(&["report", &journal_arg]);
    assert!(gone.status.success());
    assert!(text(&gone.stdout).contains("drawn from the payloads in the journal"));

    // Markdown: tables, and the charts as SVG images inline.
    let md = chaosprom(&["report", &journal_arg, "--format", "markdown", "--offline"]);
    assert!(md.status.success());
    let md = text(&md.stdout);
    assert!(md.contains("| before | room-temperature |"), "{md}");
    // Text from the journal stays text where a renderer passes HTML on.
    assert!(md.contains("# Rooms stay &lt;warm&gt; &amp; dry"), "{md}");
    assert!(md.contains("| method | open-the-window | action | succeeded |"));
    let svgs: Vec<String> = md
        .split("](data:image/svg+xml;base64,")
        .skip(1)
        .map(|rest| {
            let b64 = &rest[..rest.find(')').unwrap()];
            text(
                &base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .unwrap(),
            )
        })
        .collect();
    assert_eq!(svgs.len(), 3, "a timeline and two charts");
    assert_eq!(chart_points(&svgs.concat()), vec![4, 44]);
}

#[test]
fn what_is_not_a_journal_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"not\": ").unwrap();
    let out = chaosprom(&["report", &bad.display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("is not a journal"),
        "{}",
        text(&out.stderr)
    );
    std::fs::write(&bad, "[1, 2]").unwrap();
    let out = chaosprom(&["report", &bad.display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("expected an object with an \"experiment\""));
    let out = chaosprom(&["report", "/nonexistent/journal.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read the journal /nonexistent/journal.json"));
    // A journal with odd values still gives a report.
    std::fs::write(
        &bad,
        r#"{"experiment": {"title": 5}, "run": [{"activity": 1, "start": "x"}], "steady_states": null}"#,
    )
    .unwrap();
    let out = chaosprom(&["report", &bad.display().to_string(), "--offline"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}
