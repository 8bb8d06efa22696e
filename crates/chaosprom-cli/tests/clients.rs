//! The command line's HTTP side, as a user meets it: time-span flags and
//! exit codes, broken answers that must not pass, Pushgateway pushes that
//! must not wipe or miss a group, and proxies from the environment.

mod common;

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use chaosprom_testkit::fault::{FaultServer, Reply};
use chaosprom_testkit::{ForwardProxy, Prometheus, Pushgateway, http};

/// Runs `chaosprom` with a clean environment plus `env`, feeding `stdin`.
fn run(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Output {
    let mut command = Command::new(common::chaosprom());
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in [
        "PROMETHEUS_URL",
        "PROMETHEUS_TOKEN",
        "PROMETHEUS_PASSWORD",
        "PUSHGATEWAY_URL",
        "RUST_LOG",
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
    ] {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    let mut child = command.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn chaosprom(args: &[&str]) -> Output {
    run(args, &[], b"")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn time_span_flags_take_durations_and_refuse_what_is_not_one() {
    for bad in ["NaN", "inf", "-1", "0", "1e30", "2 mns", "90000"] {
        let o = chaosprom(&[
            "query",
            "up",
            "--url",
            "http://127.0.0.1:1",
            "--client-timeout",
            bad,
        ]);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", text(&o.stderr));
        let err = text(&o.stderr);
        assert!(err.contains("--client-timeout"), "{bad}: {err}");
        assert!(!err.contains("panicked"), "{bad}: {err}");
    }
    let o = chaosprom(&[
        "query",
        "up",
        "--url",
        "http://127.0.0.1:1",
        "--timeout",
        "-5",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let prom = Prometheus::start().unwrap();
    for good in ["5s", "1m30s", "2.5", "10"] {
        let o = chaosprom(&[
            "query",
            "1+1",
            "--url",
            prom.url(),
            "--client-timeout",
            good,
            "--timeout",
            good,
        ]);
        assert_eq!(o.status.code(), Some(0), "{good}: {}", text(&o.stderr));
        assert!(text(&o.stdout).contains(r#""status":"success""#), "{good}");
    }
}

#[test]
fn a_bad_url_header_or_ca_file_is_bad_usage() {
    for args in [
        &["query", "up", "--url", "ftp://127.0.0.1:1"][..],
        &["query", "up", "--url", "not a url"],
        &[
            "query",
            "up",
            "--url",
            "http://127.0.0.1:1",
            "--header",
            "bad name=x",
        ],
        &[
            "query",
            "up",
            "--url",
            "https://127.0.0.1:1",
            "--ca-file",
            "/no/such/ca.pem",
        ],
        &[
            "query",
            "up",
            "--url",
            "http://127.0.0.1:1",
            "--proxy",
            "socks5://127.0.0.1:1",
        ],
        &["delete", "--gateway", "ftp://x", "--job", "j"],
        &[
            "delete",
            "--gateway",
            "http://127.0.0.1:1",
            "--job",
            "j",
            "--ca-file",
            "/no/such",
        ],
    ] {
        let o = chaosprom(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
    }
}

#[test]
fn broken_answers_exit_1_and_say_what_was_wrong() {
    let truncated = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{}"#;
    let html = "<html><body>Welcome</body></html>";
    let error = r#"{"status":"error","errorType":"execution","error":"out of memory"}"#;
    let cases = [
        (Reply::json(truncated), "cut short", true),
        (
            Reply::status("200 OK", "", html),
            "expected a JSON object, found '<'",
            false,
        ),
        (Reply::json(error), "execution: out of memory", false),
    ];
    for (reply, reason, partly) in cases {
        let server = FaultServer::start(vec![reply]).unwrap();
        let url = server.url();
        for command in ["query", "query-range"] {
            let mut args = vec![command, "up", "--url", &url];
            if command == "query-range" {
                args.extend(["--start", "1 minute ago", "--end", "now"]);
            }
            let o = chaosprom(&args);
            let err = text(&o.stderr);
            assert_eq!(o.status.code(), Some(1), "{command} {reason}: {err}");
            assert!(err.contains(reason), "{command}: {err}");
            if partly {
                assert_eq!(text(&o.stdout), truncated, "{command}");
                assert!(
                    err.contains("already written and cannot be taken back"),
                    "{err}"
                );
            } else {
                assert!(o.stdout.is_empty(), "{command}: {}", text(&o.stdout));
            }
        }
        let o = chaosprom(&["mean", "up", "--url", &server.url()]);
        assert_eq!(
            o.status.code(),
            Some(1),
            "mean {reason}: {}",
            text(&o.stderr)
        );
    }
}

#[test]
fn a_503_that_closes_the_connection_is_reported_as_a_503() {
    let server = FaultServer::start(vec![
        Reply::status("503 Service Unavailable", "", "overloaded").close(),
    ])
    .unwrap();
    let o = chaosprom(&["query", "up", "--url", &server.url()]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("HTTP 503"), "{err}");
    assert!(!err.contains("reset"), "{err}");
}

#[test]
fn an_empty_push_is_refused_unless_asked_for() {
    let gateway = Pushgateway::start().unwrap();
    let push = |extra: &[&str], stdin: &[u8]| {
        let mut args = vec!["push", "--gateway", gateway.url(), "--job", "j"];
        args.extend(extra);
        run(&args, &[], stdin)
    };
    let o = push(&[], b"backup_ok 1\n");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    for stdin in [&b""[..], b"\n  \n"] {
        let o = push(&[], stdin);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
        assert!(
            text(&o.stderr).contains("--allow-empty"),
            "{}",
            text(&o.stderr)
        );
    }
    let empty = tempfile::NamedTempFile::new().unwrap();
    let o = push(&[empty.path().to_str().unwrap()], b"");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let metrics = http::get(&format!("{}/metrics", gateway.url()))
        .unwrap()
        .body;
    assert!(
        metrics.contains("backup_ok{instance=\"\",job=\"j\"} 1"),
        "{metrics}"
    );
    let o = push(&["--allow-empty"], b"");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let metrics = http::get(&format!("{}/metrics", gateway.url()))
        .unwrap()
        .body;
    assert!(!metrics.contains("backup_ok"), "{metrics}");
}

#[test]
fn push_and_delete_take_the_auth_and_header_flags_and_keep_dot_values() {
    let server = FaultServer::start(vec![Reply::status("202 Accepted", "", "")]).unwrap();
    let url = server.url();
    let o = run(
        &[
            "push",
            "--gateway",
            &url,
            "--job",
            "j",
            "--grouping-key",
            "k=..",
            "--user",
            "al",
            "--password",
            "pw",
            "--header",
            "X-Org=a",
            "--header",
            "X-Team:  sre=on-call",
        ],
        &[],
        b"m 1\n",
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = chaosprom(&[
        "delete",
        "--gateway",
        &url,
        "--job",
        "..",
        "--grouping-key",
        "k=.",
        "--token",
        "t0k",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let requests = server.requests();
    let (push, delete) = (
        requests[0].to_ascii_lowercase(),
        requests[1].to_ascii_lowercase(),
    );
    assert!(
        push.starts_with("put /metrics/job/j/k@base64/li4= http/1.1"),
        "{push}"
    );
    // base64("al:pw"), lower-cased with the rest of the head.
    assert!(push.contains("authorization: basic yww6chc="), "{push}");
    assert!(push.contains("x-org: a"), "{push}");
    // As curl takes it, the value's leading blanks trimmed.
    assert!(push.contains("x-team: sre=on-call\r\n"), "{push}");
    assert!(
        delete.starts_with("delete /metrics/job@base64/li4=/k@base64/lg== http/1.1"),
        "{delete}"
    );
    assert!(delete.contains("authorization: bearer t0k"), "{delete}");
}

#[test]
fn a_gateway_url_ending_in_metrics_gets_a_hint() {
    let gateway = Pushgateway::start().unwrap();
    let url = format!("{}/metrics", gateway.url());
    let o = run(&["push", "--gateway", &url, "--job", "j"], &[], b"m 1\n");
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("give the gateway's base URL"), "{err}");
}

#[test]
fn proxies_come_from_the_environment_and_the_flag() {
    let prom = Prometheus::start().unwrap();
    let proxy = ForwardProxy::start(None).unwrap();
    let dead = format!(
        "http://{}",
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
    );
    let query = ["query", "1+1", "--url", prom.url()];
    let no_port = format!("example.com, {}", prom.url().trim_start_matches("http://"));
    for (env, extra, through) in [
        (vec![("HTTP_PROXY", proxy.url())], vec![], true),
        (vec![("http_proxy", proxy.url())], vec![], true),
        (vec![("ALL_PROXY", proxy.url())], vec![], true),
        (
            vec![("HTTP_PROXY", dead.as_str()), ("NO_PROXY", "127.0.0.1")],
            vec![],
            false,
        ),
        // As requests and curl read them: `*` is no proxy for anything (IP
        // addresses went through the proxy), `host:port` that port only.
        (
            vec![("HTTP_PROXY", dead.as_str()), ("NO_PROXY", "*")],
            vec![],
            false,
        ),
        (
            vec![("HTTP_PROXY", dead.as_str()), ("NO_PROXY", &no_port)],
            vec![],
            false,
        ),
        (
            vec![("HTTP_PROXY", proxy.url()), ("NO_PROXY", "127.0.0.1:1")],
            vec![],
            true,
        ),
        (
            vec![("HTTP_PROXY", dead.as_str())],
            vec!["--proxy", ""],
            false,
        ),
        (
            vec![("HTTP_PROXY", dead.as_str())],
            vec!["--proxy", proxy.url()],
            true,
        ),
    ] {
        let before = proxy.log().matches("1%2B1").count();
        let mut args = query.to_vec();
        args.extend(extra.iter().copied());
        let o = run(&args, &env, b"");
        assert_eq!(
            o.status.code(),
            Some(0),
            "{env:?} {extra:?}: {}",
            text(&o.stderr)
        );
        let after = proxy.log().matches("1%2B1").count();
        assert_eq!(
            after > before,
            through,
            "{env:?} {extra:?}: {}",
            proxy.log()
        );
    }
    let o = run(&query, &[("HTTP_PROXY", dead.as_str())], b"");
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("proxy"), "{}", text(&o.stderr));
    // A proxy variable the client cannot read is ignored, and said so,
    // naming the variable and never its value (it may hold a password).
    let unreadable = format!(" http://user:s3cret@{}", dead.trim_start_matches("http://"));
    let o = run(&query, &[("HTTP_PROXY", unreadable.as_str())], b"");
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("a proxy variable is set but is not a proxy URL this client can read")
            && err.contains("HTTP_PROXY"),
        "{err}"
    );
    assert!(!err.contains("s3cret"), "{err}");
}

#[test]
fn a_closed_pipe_ends_quietly_and_times_may_start_with_a_dash() {
    let big = format!(r#"{{"status":"success","data":"{}"}}"#, "x".repeat(1 << 20));
    let server = FaultServer::start(vec![Reply::json(&big)]).unwrap();
    let url = server.url();
    for args in [
        vec!["query", "up", "--url", &url, "--when", "-5m"],
        vec![
            "query-range",
            "up",
            "--url",
            &url,
            "--start",
            "-1h",
            "--end",
            "now",
        ],
    ] {
        let mut child = Command::new(common::chaosprom())
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // `| head -c 10`: read a little, then go away.
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 10];
        std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        assert_eq!(&first, b"{\"status\":", "{args:?}");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(out.stderr.is_empty(), "{args:?}: {}", text(&out.stderr));
    }
    let request = server.requests().join("\n");
    assert!(request.contains("time="), "{request}");
}

#[test]
fn query_range_defaults_like_promtool() {
    let ok = r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
    let server = FaultServer::start(vec![Reply::json(ok)]).unwrap();
    let url = server.url();
    for (args, step) in [
        (vec![], "15s"),
        (vec!["--start", "1 day ago"], "10m"),
        (vec!["--start", "30 days ago", "--end", "now"], "3h"),
        (vec!["--step", "7"], "7"),
    ] {
        let mut all = vec!["query-range", "up", "--url", url.as_str()];
        all.extend(args.iter().copied());
        let o = chaosprom(&all);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o.stderr));
        let request = server.requests().pop().unwrap();
        let line = request.lines().next().unwrap();
        assert!(
            line.contains(&format!("step={step} ")) || line.contains(&format!("step={step}&")),
            "{args:?}: {line}"
        );
    }
    // No --start and no --end: the hour before now.
    let request = server.requests()[0].clone();
    let query = request.lines().next().unwrap();
    let param = |name: &str| {
        let value = query
            .split(&format!("{name}="))
            .nth(1)
            .unwrap()
            .split(['&', ' '])
            .next()
            .unwrap();
        value
            .replace("%3A", ":")
            .parse::<jiff::Timestamp>()
            .unwrap()
    };
    assert_eq!(
        param("end").duration_since(param("start")),
        jiff::SignedDuration::from_hours(1)
    );
    let o = chaosprom(&["query-range", "up", "--url", &url, "--start", "2 mns ago"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
}

#[test]
fn metadata_commands_print_prometheus_answers() {
    let prom = Prometheus::start().unwrap();
    let url = prom.url();
    for args in [
        vec!["labels"],
        vec!["labels", "--match", "up", "--start", "-1h"],
        vec!["label-values", "job"],
        vec!["series", "up", "--end", "now"],
        vec!["targets", "--state", "active"],
        vec!["alerts"],
        vec!["rules", "--type", "alert"],
    ] {
        let mut all = args.clone();
        all.extend(["--url", url]);
        let o = chaosprom(&all);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o.stderr));
        let answer: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(answer["status"], "success", "{args:?}");
    }
    let o = chaosprom(&["label-values", "bad-name", "--url", url]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let o = chaosprom(&["series", "--url", url]);
    assert_eq!(o.status.code(), Some(2), "a selector is required");
}

#[test]
fn completions_and_the_man_page_come_from_the_flags() {
    for shell in ["bash", "zsh", "fish"] {
        let o = chaosprom(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        let script = text(&o.stdout);
        assert!(
            script.contains("query-range") && script.contains("client-timeout"),
            "{shell}"
        );
    }
    assert_eq!(chaosprom(&["completions", "tcsh"]).status.code(), Some(2));
    let o = chaosprom(&["man"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        text(&o.stdout).contains(".TH chaosprom 1"),
        "{}",
        text(&o.stdout)
    );
}

#[test]
fn answers_print_as_json_tables_or_csv() {
    let vector = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"a,b","instance":"x"},"value":[1700000000.5,"1"]}]}}"#;
    let matrix = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"p"},"values":[[1,"NaN"],[2,"+Inf"]]}]}}"#;
    let scalar = r#"{"status":"success","data":{"resultType":"scalar","result":[1700000000,"2"]}}"#;
    let server = FaultServer::start(vec![
        Reply::json(vector),
        Reply::json(vector),
        Reply::json(matrix),
        Reply::json(matrix),
        Reply::json(scalar),
        Reply::json(vector),
    ])
    .unwrap();
    let url = server.url();
    let out = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--url", url.as_str()]);
        let o = chaosprom(&all);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o.stderr));
        text(&o.stdout)
    };
    assert_eq!(
        out(&["query", "up", "-o", "table"]),
        "up{instance=\"x\", job=\"a,b\"} => 1 @[1700000000.5]\n"
    );
    assert_eq!(
        out(&["query", "up", "-o", "csv"]),
        "series,timestamp,value\n\"up{instance=\"\"x\"\", job=\"\"a,b\"\"}\",1700000000.5,1\n"
    );
    assert_eq!(
        out(&["query-range", "up", "-o", "table"]),
        "{job=\"p\"} =>\nNaN  @[1]\n+Inf @[2]\n"
    );
    assert_eq!(
        out(&["query-range", "up", "--output", "csv"]),
        "series,timestamp,value\n\"{job=\"\"p\"\"}\",1,NaN\n\"{job=\"\"p\"\"}\",2,+Inf\n"
    );
    assert_eq!(out(&["query", "1+1", "-o", "table"]), "2 @[1700000000]\n");
    // Not a terminal: JSON as-is by default.
    assert_eq!(out(&["query", "up"]), format!("{vector}\n"));

    // Several series: values and times in aligned columns.
    let two = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"a"},"value":[1,"1"]},{"metric":{"job":"long-name"},"value":[10,"0.25"]}]}}"#;
    let server = FaultServer::start(vec![Reply::json(two)]).unwrap();
    let o = chaosprom(&["query", "up", "-o", "table", "--url", &server.url()]);
    assert_eq!(
        text(&o.stdout),
        "{job=\"a\"}         => 1    @[1]\n{job=\"long-name\"} => 0.25 @[10]\n"
    );
}

/// A machine set up for the Python extension trusts its internal CA
/// through `REQUESTS_CA_BUNDLE` (requests reads it; curl reads
/// `CURL_CA_BUNDLE`): the same machine works here, and a load balancer's
/// redirect from `http` to `https` is followed, as requests follows it.
#[test]
fn the_ca_bundle_python_s_requests_reads_and_a_redirect_to_https() {
    let pki = chaosprom_testkit::pki::Pki::new().unwrap();
    let prom = Prometheus::builder()
        .web_config(pki.web_config(false))
        .start()
        .unwrap();
    let url = prom.url().to_owned();
    assert!(url.starts_with("https://"), "{url}");
    let ca = pki.ca.display().to_string();
    let query =
        |env: &[(&str, &str)], url: &str| run(&["query", "vector(1)", "--url", url], env, b"");
    let o = query(&[], &url);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("not signed by a CA this client trusts"),
        "{}",
        text(&o.stderr)
    );
    let folder = tempfile::tempdir().unwrap();
    std::fs::copy(&pki.ca, folder.path().join("internal-ca.pem")).unwrap();
    std::fs::write(folder.path().join("README"), "not a certificate").unwrap();
    let folder = folder.path().display().to_string();
    for env in [
        [("REQUESTS_CA_BUNDLE", ca.as_str())],
        [("CURL_CA_BUNDLE", ca.as_str())],
        [("REQUESTS_CA_BUNDLE", folder.as_str())],
    ] {
        let o = query(&env, &url);
        assert_eq!(o.status.code(), Some(0), "{env:?}: {}", text(&o.stderr));
        assert!(text(&o.stdout).contains(r#""1"]"#), "{}", text(&o.stdout));
    }
    let o = query(&[("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")], &url);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("reading /nonexistent/ca.pem (named by REQUESTS_CA_BUNDLE)"),
        "{}",
        text(&o.stderr)
    );

    // http to https: the TLS side needs roots the plain side never loaded.
    let front = FaultServer::start(vec![Reply::status(
        "301 Moved Permanently",
        &format!("location: {url}/api/v1/query?query=vector(1)\r\n"),
        "",
    )])
    .unwrap();
    let o = run(
        &[
            "query",
            "vector(1)",
            "--url",
            &front.url(),
            "--ca-file",
            &ca,
        ],
        &[],
        b"",
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains(r#""1"]"#), "{}", text(&o.stdout));
}
