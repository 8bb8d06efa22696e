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
