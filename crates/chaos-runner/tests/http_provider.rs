//! The http provider against a local server: requests on the wire,
//! outputs, and failures; and var files.

use chaos_runner::Runner;
use mockito::Matcher;
use serde_json::{Value, json};

fn experiment(server: &str, method: &Value) -> Value {
    json!({
        "title": "http",
        "description": "http provider",
        "configuration": {"server": server, "token": "t0k"},
        "method": method,
    })
}

#[tokio::test]
async fn requests_on_the_wire_and_outputs() {
    let mut server = mockito::Server::new_async().await;
    let get = server
        .mock("GET", "/status")
        .match_query(Matcher::AllOf(vec![
            Matcher::UrlEncoded("q".into(), "up".into()),
            Matcher::UrlEncoded("n".into(), "2".into()),
        ]))
        .match_header("authorization", "Bearer t0k")
        .with_header("content-type", "application/json")
        .with_body(r#"{"ok": true}"#)
        .create_async()
        .await;
    let post_json = server
        .mock("POST", "/json")
        .match_header("content-type", "application/json")
        .match_body(Matcher::Json(json!({"a": 1, "b": ["x"]})))
        .with_status(503)
        .with_body("down")
        .create_async()
        .await;
    let post_form = server
        .mock("PUT", "/form")
        .match_header("content-type", "application/x-www-form-urlencoded")
        .match_body(Matcher::AllOf(vec![
            Matcher::UrlEncoded("a".into(), "1".into()),
            Matcher::UrlEncoded("b".into(), "two".into()),
        ]))
        .with_status(201)
        .create_async()
        .await;
    let method = json!([
        {"type": "probe", "name": "get", "provider": {"type": "http", "url": "${server}/status",
            "headers": {"Authorization": "Bearer ${token}"}, "arguments": {"q": "up", "n": 2}}},
        {"type": "action", "name": "post-json", "provider": {"type": "http", "method": "post", "url": "${server}/json",
            "headers": {"Content-Type": "application/json"}, "arguments": {"a": 1, "b": ["x"]}}},
        {"type": "action", "name": "put-form", "provider": {"type": "http", "method": "PUT", "url": "${server}/form",
            "arguments": {"a": 1, "b": "two"}}},
        {"type": "probe", "name": "refused", "provider": {"type": "http", "url": "http://127.0.0.1:1/", "timeout": 2}}
    ]);
    let journal = Runner::new()
        .run(&experiment(&server.url(), &method))
        .await
        .unwrap();
    get.assert_async().await;
    post_json.assert_async().await;
    post_form.assert_async().await;
    let runs = journal["run"].as_array().unwrap();
    assert_eq!(runs[0]["output"]["status"], 200);
    assert_eq!(
        runs[0]["output"]["body"],
        json!({"ok": true}),
        "a JSON body is parsed"
    );
    assert_eq!(runs[1]["status"], "succeeded", "a 503 is an output");
    assert_eq!(runs[1]["output"]["status"], 503);
    assert_eq!(runs[1]["output"]["body"], "down");
    assert_eq!(runs[2]["output"]["status"], 201);
    assert_eq!(
        runs[3]["status"], "failed",
        "a refused connection fails the activity"
    );
    let exception = runs[3]["exception"][0].as_str().unwrap();
    assert!(
        exception.contains("activity 'refused' failed") && exception.contains("connection failed"),
        "{exception}"
    );
    assert_eq!(
        journal["status"], "completed",
        "a failed method activity does not change the status"
    );
}

#[tokio::test]
async fn var_files_feed_configuration_and_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vars.yaml");
    std::fs::write(
        &file,
        "configuration:\n  word: from-file\nsecrets:\n  s:\n    secret_token: hidden\n",
    )
    .unwrap();
    let vars = chaos_runner::load_var_file(&file).unwrap();
    let method = json!([{"type": "action", "name": "echo",
        "provider": {"type": "process", "path": "echo", "secrets": ["s"], "arguments": ["${word}", "${secret_token}"]}}]);
    // A var file overrides what the experiment declares (an undeclared
    // key is dropped, as chaoslib drops it).
    let mut declared = experiment("unused", &method);
    declared["configuration"] = json!({"word": "from-experiment"});
    let journal = Runner::new()
        .configuration(vars.configuration.clone())
        .secrets(vars.secrets.clone())
        .run(&declared)
        .await
        .unwrap();
    assert_eq!(journal["run"][0]["output"]["stdout"], "from-file hidden\n");
    let journal = Runner::new()
        .configuration(vars.configuration)
        .secrets(vars.secrets)
        .run(&experiment("unused", &method))
        .await
        .unwrap();
    assert_eq!(journal["run"][0]["output"]["stdout"], "${word} hidden\n");
}

/// Runs one HTTP probe and returns its journal entry.
async fn one(provider: Value) -> Value {
    let method = json!([{"type": "probe", "name": "p", "provider": provider}]);
    let journal = Runner::new()
        .run(&experiment("unused", &method))
        .await
        .unwrap();
    journal["run"][0].clone()
}

#[tokio::test]
async fn redirects_are_followed_as_requests_follows_them() {
    let mut server = mockito::Server::new_async().await;
    let url = server.url();
    // GET: a relative location, then a JSON answer.
    let moved = server
        .mock("GET", "/old")
        .with_status(301)
        .with_header("location", "/new")
        .create_async()
        .await;
    let new = server
        .mock("GET", "/new")
        .with_header("content-type", "application/json")
        .with_body(r#"{"here": true}"#)
        .create_async()
        .await;
    let run = one(json!({"type": "http", "url": format!("{url}/old")})).await;
    moved.assert_async().await;
    new.assert_async().await;
    assert_eq!(run["output"]["status"], 200, "{run}");
    assert_eq!(run["output"]["body"], json!({"here": true}));

    // A form POST answered 302 goes on as a GET without the body or its
    // type.
    let posted = server
        .mock("POST", "/form")
        .with_status(302)
        .with_header("location", format!("{url}/landing").as_str())
        .create_async()
        .await;
    let landing = server
        .mock("GET", "/landing")
        .match_header("content-type", Matcher::Missing)
        .match_body("")
        .with_body("landed")
        .create_async()
        .await;
    let run = one(
        json!({"type": "http", "method": "POST", "url": format!("{url}/form"),
        "arguments": {"a": 1}}),
    )
    .await;
    posted.assert_async().await;
    landing.assert_async().await;
    assert_eq!(run["output"]["body"], "landed", "{run}");

    // 307 keeps the method, the body and its type.
    let first = server
        .mock("PUT", "/keep")
        .with_status(307)
        .with_header("location", "/kept")
        .create_async()
        .await;
    let kept = server
        .mock("PUT", "/kept")
        .match_header("content-type", "application/json")
        .match_body(Matcher::Json(json!({"a": 1})))
        .with_status(204)
        .create_async()
        .await;
    let run = one(
        json!({"type": "http", "method": "PUT", "url": format!("{url}/keep"),
        "headers": {"Content-Type": "application/json"}, "arguments": {"a": 1}}),
    )
    .await;
    first.assert_async().await;
    kept.assert_async().await;
    assert_eq!(run["output"]["status"], 204, "{run}");
}

#[tokio::test]
async fn authorization_does_not_follow_to_another_host_and_loops_end() {
    let mut server = mockito::Server::new_async().await;
    let url = server.url();
    let port = url.rsplit(':').next().unwrap().to_owned();
    // 127.0.0.1 and localhost are the same server but not the same host.
    let away = server
        .mock("GET", "/away")
        .match_header("authorization", "Bearer t0k")
        .with_status(302)
        .with_header(
            "location",
            format!("http://localhost:{port}/there").as_str(),
        )
        .create_async()
        .await;
    let there = server
        .mock("GET", "/there")
        .match_header("authorization", Matcher::Missing)
        .with_body("no token here")
        .create_async()
        .await;
    let run = one(json!({"type": "http", "url": format!("{url}/away"),
        "headers": {"Authorization": "Bearer t0k"}}))
    .await;
    away.assert_async().await;
    there.assert_async().await;
    assert_eq!(run["output"]["body"], "no token here", "{run}");

    let looping = server
        .mock("GET", "/loop")
        .with_status(302)
        .with_header("location", "/loop")
        .expect(31)
        .create_async()
        .await;
    let run = one(json!({"type": "http", "url": format!("{url}/loop")})).await;
    looping.assert_async().await;
    assert_eq!(run["status"], "failed", "{run}");
    assert!(
        run["exception"][0]
            .as_str()
            .unwrap()
            .contains("Exceeded 30 redirects"),
        "{run}"
    );
}

#[tokio::test]
async fn headers_and_bodies_read_as_chaoslib_reads_them() {
    let mut server = mockito::Server::new_async().await;
    let url = server.url();
    server
        .mock("GET", "/dup")
        .with_header("x-dup", "a")
        .with_header("x-dup", "b")
        .with_header("content-type", "application/json; charset=utf-8")
        .with_body(r#"{"n": 1}"#)
        .create_async()
        .await;
    server
        .mock("GET", "/broken")
        .with_header("content-type", "application/json")
        .with_body("{not json")
        .create_async()
        .await;
    let run = one(json!({"type": "http", "url": format!("{url}/dup")})).await;
    let headers = &run["output"]["headers"];
    // Names as servers write them, repeats joined as requests joins them.
    assert_eq!(headers["X-Dup"], "a, b", "{run}");
    assert_eq!(headers["Content-Type"], "application/json; charset=utf-8");
    // chaoslib parses the body only for exactly application/json.
    assert_eq!(run["output"]["body"], r#"{"n": 1}"#);
    let run = one(json!({"type": "http", "url": format!("{url}/broken")})).await;
    assert_eq!(run["status"], "failed", "{run}");
    assert!(
        run["exception"][0]
            .as_str()
            .unwrap()
            .contains("says application/json, but its body is not JSON"),
        "{run}"
    );
}

#[tokio::test]
async fn query_arguments_are_encoded_as_requests_encodes_them() {
    let mut server = mockito::Server::new_async().await;
    // A list repeats its key, None is left out, True and 1e-05 are
    // written as Python writes them.
    let get = server
        .mock("GET", "/q")
        .match_query(Matcher::Exact("k=a&k=b&flag=True&small=1e-05".into()))
        .create_async()
        .await;
    let run = one(json!({"type": "http", "url": format!("{}/q", server.url()),
        "arguments": {"k": ["a", null, "b"], "none": null, "flag": true, "small": 0.00001}}))
    .await;
    get.assert_async().await;
    assert_eq!(run["output"]["status"], 200, "{run}");
}

#[tokio::test]
async fn a_timeout_pair_is_connect_and_read_as_requests_takes_it() {
    let mut server = mockito::Server::new_async().await;
    server.mock("GET", "/t").create_async().await;
    let url = format!("{}/t", server.url());
    let run = one(json!({"type": "http", "url": url, "timeout": [1, 5]})).await;
    assert_eq!(run["output"]["status"], 200, "{run}");
    for (timeout, message) in [
        (
            json!([1]),
            "expected seconds or a pair [connect, read], found 1 items",
        ),
        (
            json!([1, -2]),
            "timeout[1] (read): expected a number of seconds",
        ),
    ] {
        let experiment = json!({"title": "t", "description": "d", "method": [
            {"type": "probe", "name": "p", "provider": {"type": "http", "url": url, "timeout": timeout}}]});
        let problems = Runner::new().validate(&experiment);
        assert!(
            problems
                .iter()
                .any(|p| p.path == "$.method[0].provider.timeout" && p.message.contains(message)),
            "{timeout}: {problems:?}"
        );
    }
    // A placeholder inside the pair is checked when it runs.
    let experiment = json!({"title": "t", "description": "d", "method": [
        {"type": "probe", "name": "p", "provider": {"type": "http", "url": url, "timeout": [1, "${t}"]}}]});
    assert!(Runner::new().validate(&experiment).is_empty());
}

#[tokio::test]
async fn string_arguments_go_as_they_are() {
    let mut server = mockito::Server::new_async().await;
    let get = server
        .mock("GET", "/s")
        .match_query(Matcher::Exact("a=1&q=up%7Bjob%3D%22x%22%7D".into()))
        .create_async()
        .await;
    let post = server
        .mock("POST", "/s")
        .match_header("content-type", Matcher::Missing)
        .match_body("raw text, not JSON")
        .create_async()
        .await;
    let url = format!("{}/s?a=1", server.url());
    let run =
        one(json!({"type": "http", "url": url, "arguments": "q=up%7Bjob%3D%22x%22%7D"})).await;
    assert_eq!(run["output"]["status"], 200, "{run}");
    let run = one(
        json!({"type": "http", "method": "POST", "url": format!("{}/s", server.url()),
        "arguments": "raw text, not JSON"}),
    )
    .await;
    assert_eq!(run["output"]["status"], 200, "{run}");
    get.assert_async().await;
    post.assert_async().await;
}

#[tokio::test]
async fn credentials_in_the_url_are_basic_auth() {
    let mut server = mockito::Server::new_async().await;
    // base64("al:pw")
    let mock = server
        .mock("GET", "/c")
        .match_header("authorization", "Basic YWw6cHc=")
        .create_async()
        .await;
    let url = server.url().replace("http://", "http://al:pw@");
    // The fragment stays with the client, as requests keeps it.
    let run = one(json!({"type": "http", "url": format!("{url}/c#part")})).await;
    mock.assert_async().await;
    assert_eq!(run["output"]["status"], 200, "{run}");
}

#[tokio::test]
async fn the_experiment_types_the_body_and_only_exactly_json_is_json() {
    let mut server = mockito::Server::new_async().await;
    // requests sends a mapping as JSON only under exactly
    // application/json; under another type it is a form, typed as the
    // experiment typed it, once.
    let mock = server
        .mock("POST", "/typed")
        .match_header("content-type", "application/vnd.api+json")
        .match_body(Matcher::UrlEncoded("a".into(), "1".into()))
        .create_async()
        .await;
    let run = one(
        json!({"type": "http", "method": "POST", "url": format!("{}/typed", server.url()),
        "headers": {"Content-Type": "application/vnd.api+json"}, "arguments": {"a": 1}}),
    )
    .await;
    mock.assert_async().await;
    assert_eq!(run["output"]["status"], 200, "{run}");
}

#[tokio::test]
async fn nested_arguments_and_json_bodies_go_as_requests_sends_them() {
    // Each expected line is what `chaos run` sent to a capturing server.
    let mut server = mockito::Server::new_async().await;
    // requests iterates a mapping's keys and spreads a list's lists.
    let get = server
        .mock("GET", "/q")
        .match_query(Matcher::Exact("n=x&n=y&a=1&a=2&a=x&a=None".into()))
        .create_async()
        .await;
    let run = one(json!({"type": "http", "url": format!("{}/q", server.url()),
        "arguments": {"n": {"x": 1, "y": null}, "a": [[1, 2], {"x": 1}, [null]]}}))
    .await;
    get.assert_async().await;
    assert_eq!(run["output"]["status"], 200, "{run}");
    // json.dumps' separators and ensure_ascii, byte for byte (a signed
    // or hashed body must be the same).
    let json_body = server
        .mock("POST", "/json")
        .match_body(Matcher::Exact(
            r#"{"b": "\u00e9 \ud83d\ude00", "a": [true, 1.0, null, 1e+20]}"#.into(),
        ))
        .create_async()
        .await;
    let run = one(json!({"type": "http", "method": "POST", "url": format!("{}/json", server.url()),
        "headers": {"Content-Type": "application/json"}, "arguments": {"b": "é 😀", "a": [true, 1.0, null, 1e20]}}))
    .await;
    json_body.assert_async().await;
    assert_eq!(run["output"]["status"], 200, "{run}");
    // An empty mapping is no body and no type.
    let empty = server
        .mock("POST", "/empty")
        .match_header("content-type", Matcher::Missing)
        .match_body(Matcher::Exact(String::new()))
        .create_async()
        .await;
    let run = one(
        json!({"type": "http", "method": "POST", "url": format!("{}/empty", server.url()),
        "arguments": {}}),
    )
    .await;
    empty.assert_async().await;
    assert_eq!(run["output"]["status"], 200, "{run}");
}

#[tokio::test]
async fn an_answer_is_read_in_the_charset_it_declares() {
    // requests' r.text, as `chaos run` journaled each: the charset when
    // declared; without one, Latin-1 that is not UTF-8 reads as Latin-1.
    let mut server = mockito::Server::new_async().await;
    let cases: [(&str, &str, &[u8], &str); 6] = [
        (
            "/latin1",
            "text/plain; charset=ISO-8859-1",
            b"caf\xe9",
            "café",
        ),
        (
            "/cp1252",
            "text/plain; charset=\"windows-1252\"",
            b"\x93hi\x94",
            "\u{201c}hi\u{201d}",
        ),
        (
            "/ascii",
            "text/plain; charset=us-ascii",
            b"caf\xe9",
            "caf\u{fffd}",
        ),
        ("/bare-latin1", "text/plain", b"caf\xe9", "café"),
        ("/bare-utf8", "text/plain", "café".as_bytes(), "café"),
        (
            "/unknown",
            "text/plain; charset=no-such-thing",
            b"caf\xe9",
            "caf\u{fffd}",
        ),
    ];
    for (path, content_type, body, _) in &cases {
        server
            .mock("GET", *path)
            .with_header("content-type", content_type)
            .with_body(*body)
            .create_async()
            .await;
    }
    for (path, content_type, _, expected) in cases {
        let run = one(json!({"type": "http", "url": format!("{}{path}", server.url())})).await;
        assert_eq!(
            run["output"]["body"], expected,
            "{path} ({content_type}): {run}"
        );
    }
}

#[tokio::test]
async fn header_values_read_latin1_as_python_and_utf8_as_written() {
    // A raw answer: no server library writes Latin-1 header bytes.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        use std::io::{Read as _, Write as _};
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 4096];
        let _ = stream.read(&mut request);
        let _ = stream.write_all(
            b"HTTP/1.1 200 OK\r\nX-Latin: caf\xe9\r\nX-Utf8: caf\xc3\xa9\r\nContent-Length: 0\r\n\r\n",
        );
    });
    let run = one(json!({"type": "http", "url": url})).await;
    assert_eq!(run["output"]["headers"]["X-Latin"], "café", "{run}");
    assert_eq!(run["output"]["headers"]["X-Utf8"], "café", "{run}");
}
