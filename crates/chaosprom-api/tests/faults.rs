//! Faults a real server will not produce on demand, and what goes on the
//! wire, against mockito and a silent socket.

use std::time::{Duration, Instant};

use chaosprom_api::{Client, Error, QueryData};
use mockito::Matcher;

const OK: &str = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"x"},"value":[1,"1"]}]}}"#;

fn fast(url: String) -> Client {
    Client::builder(url)
        .retry_delay(Duration::from_millis(5))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_503_then_a_200_succeeds_after_a_retry() {
    let mut server = mockito::Server::new_async().await;
    let unavailable = server
        .mock("GET", "/api/v1/query")
        .match_query(Matcher::Any)
        .with_status(503)
        .with_body(r#"{"status":"error","errorType":"unavailable","error":"starting"}"#)
        .expect(1)
        .create_async()
        .await;
    let ok = server
        .mock("GET", "/api/v1/query")
        .match_query(Matcher::Any)
        .with_header("content-type", "application/json")
        .with_body(OK)
        .expect(1)
        .create_async()
        .await;
    let answer = fast(server.url()).query("up").send().await.unwrap();
    assert_eq!(answer.data.len(), 1);
    unavailable.assert_async().await;
    ok.assert_async().await;
}

#[tokio::test]
async fn a_400_is_not_retried_and_carries_prometheus_error() {
    let mut server = mockito::Server::new_async().await;
    let bad = server
        .mock("GET", "/api/v1/query")
        .match_query(Matcher::Any)
        .with_status(400)
        .with_header("content-type", "application/json")
        .with_body(r#"{"status":"error","errorType":"bad_data","error":"parse error at char 5"}"#)
        .expect(1)
        .create_async()
        .await;
    let err = fast(server.url()).query("sum(").send().await.unwrap_err();
    bad.assert_async().await;
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.error_type(), Some("bad_data"));
    let message = err.to_string();
    assert!(message.starts_with("GET http://"), "{message}");
    assert!(
        message.ends_with("Prometheus answered 400 bad_data: parse error at char 5"),
        "{message}"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_in_about_the_configured_time() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let client = Client::builder(format!("http://{addr}"))
        .timeout(Duration::from_millis(600))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client.query("up").raw().await.unwrap_err();
    let took = started.elapsed();
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        took >= Duration::from_millis(550) && took < Duration::from_millis(1600),
        "{took:?}"
    );
    holder.abort();
}

#[tokio::test]
async fn an_html_502_from_a_proxy_is_not_prometheus() {
    let mut server = mockito::Server::new_async().await;
    let page = "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>nginx</body></html>";
    let proxy = server
        .mock("GET", "/api/v1/query")
        .match_query(Matcher::Any)
        .with_status(502)
        .with_header("content-type", "text/html")
        .with_body(page)
        .expect(3)
        .create_async()
        .await;
    let err = fast(server.url()).query("up").raw().await.unwrap_err();
    proxy.assert_async().await;
    let Error::NotPrometheus {
        status,
        content_type,
        snippet,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*status, 502);
    assert_eq!(content_type.as_deref(), Some("text/html"));
    assert_eq!(
        snippet,
        "<html> <head><title>502 Bad Gateway</title></head> <body>nginx</body></html>"
    );
    assert!(
        err.to_string()
            .contains("HTTP 502 with a body that is not Prometheus JSON")
    );
}

#[tokio::test]
async fn a_200_html_page_is_not_prometheus_either() {
    let mut server = mockito::Server::new_async().await;
    server
        .mock("GET", "/api/v1/query")
        .match_query(Matcher::Any)
        .with_header("content-type", "text/html; charset=utf-8")
        .with_body("<html>login</html>")
        .create_async()
        .await;
    let err = fast(server.url()).query("up").raw().await.unwrap_err();
    assert!(
        matches!(err, Error::NotPrometheus { status: 200, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn truncated_and_invalid_bodies_are_decode_errors() {
    let mut server = mockito::Server::new_async().await;
    let truncated = &OK[..OK.len() - 20];
    server
        .mock("GET", "/api/v1/query")
        .match_query(Matcher::UrlEncoded("query".into(), "truncated".into()))
        .with_header("content-type", "application/json")
        .with_body(truncated)
        .create_async()
        .await;
    server
        .mock("GET", "/api/v1/query")
        .match_query(Matcher::UrlEncoded("query".into(), "invalid".into()))
        .with_header("content-type", "application/json")
        .with_body(r#"{"status":"success","data":{"resultType":"vector","result":[}}"#)
        .create_async()
        .await;
    let client = fast(server.url());
    let err = client.query("truncated").send().await.unwrap_err();
    let Error::Decode { offset, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(offset, truncated.len());
    let err = client.query("invalid").send().await.unwrap_err();
    assert!(err.is_decode(), "{err:?}");
    assert!(
        err.to_string()
            .contains("cannot decode the answer at byte 60"),
        "{err}"
    );
    // The as-is path does not parse, but it checks as the bytes pass: a
    // truncated answer whose Content-Length matches is not a success.
    let err = client.query("truncated").raw().await.unwrap_err();
    let Error::Decode { offset, reason, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*offset, truncated.len(), "{err}");
    assert!(reason.contains("cut short"), "{err}");
    let mut out = Vec::new();
    let err = client
        .query("truncated")
        .write_to(&mut out)
        .await
        .unwrap_err();
    assert_eq!(out, truncated.as_bytes());
    assert!(
        err.to_string().contains(&format!(
            "{} bytes of the answer were already written and cannot be taken back",
            truncated.len()
        )),
        "{err}"
    );
    assert!(err.is_decode(), "{err:?}");
    let err = client.query("invalid").raw().await.unwrap_err();
    assert!(err.to_string().contains("at byte 60"), "{err}");
}

#[tokio::test]
async fn auth_headers_and_parameters_arrive_as_configured() {
    let mut server = mockito::Server::new_async().await;
    let basic = server
        .mock("GET", "/prom/api/v1/query")
        .match_header("authorization", "Basic YWxpY2U6aHVudGVyMg==")
        .match_header("accept", "application/json")
        .match_header("x-scope-orgid", "team-a")
        .match_query(Matcher::AllOf(vec![
            Matcher::UrlEncoded("query".into(), "up".into()),
            Matcher::UrlEncoded("partial_response".into(), "false".into()),
        ]))
        .with_header("content-type", "application/json")
        .with_body(OK)
        .create_async()
        .await;
    let url = format!(
        "{}/prom",
        server.url().replace("http://", "http://alice:hunter2@")
    );
    let client = Client::builder(url)
        .header("X-Scope-OrgID", "team-a")
        .query_param("partial_response", "false")
        .build()
        .unwrap();
    client.query("up").send().await.unwrap();
    basic.assert_async().await;

    let bearer = server
        .mock("POST", "/api/v1/query")
        .match_header("authorization", "Bearer t0k3n-s3cr3t")
        .match_header("content-type", "application/x-www-form-urlencoded")
        .match_query(Matcher::UrlEncoded("nocache".into(), "1".into()))
        .match_body(Matcher::UrlEncoded("query".into(), "up".into()))
        .with_header("content-type", "application/json")
        .with_body(OK)
        .create_async()
        .await;
    let client = Client::builder(server.url())
        .bearer_token("t0k3n-s3cr3t")
        .query_param("nocache", "1")
        .build()
        .unwrap();
    client.query("up").post().send().await.unwrap();
    bearer.assert_async().await;
    assert!(!format!("{client:?}").contains("t0k3n"), "{client:?}");
}

#[tokio::test]
async fn a_long_query_goes_as_a_post() {
    let mut server = mockito::Server::new_async().await;
    let long = format!("up{{job=~\"{}\"}}", "x|".repeat(3000));
    let post = server
        .mock("POST", "/api/v1/query")
        .match_body(Matcher::UrlEncoded("query".into(), long.clone()))
        .with_header("content-type", "application/json")
        .with_body(OK)
        .create_async()
        .await;
    let short = server
        .mock("GET", "/api/v1/query")
        .match_query(Matcher::UrlEncoded("query".into(), "up".into()))
        .with_header("content-type", "application/json")
        .with_body(OK)
        .create_async()
        .await;
    let client = fast(server.url());
    client.query(long).send().await.unwrap();
    client.query("up").send().await.unwrap();
    post.assert_async().await;
    short.assert_async().await;
}

#[tokio::test]
async fn credentials_never_appear_in_errors() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::builder(format!("http://admin:pa55w0rd@127.0.0.1:{port}"))
        .bearer_token("t0k3n-s3cr3t")
        .header("X-Api-Key", "k3y-s3cr3t")
        .retry_delay(Duration::from_millis(1))
        .build()
        .unwrap();
    let err = client.query("up").send().await.unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    let mut server = mockito::Server::new_async().await;
    server
        .mock("GET", "/api/v1/query")
        .match_query(Matcher::Any)
        .with_status(400)
        .with_body(r#"{"status":"error","errorType":"bad_data","error":"nope"}"#)
        .create_async()
        .await;
    let api_err = Client::builder(server.url().replace("http://", "http://admin:pa55w0rd@"))
        .build()
        .unwrap()
        .query("up")
        .send()
        .await
        .unwrap_err();
    for shown in [
        err.to_string(),
        format!("{err:?}"),
        api_err.to_string(),
        format!("{api_err:?}"),
        format!("{client:?}"),
    ] {
        for secret in ["pa55w0rd", "admin", "t0k3n", "k3y-s3cr3t"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
}

#[tokio::test]
async fn invalid_arguments_are_refused_before_any_io() {
    let client = Client::new("http://127.0.0.1:1").unwrap();
    let now = chaosprom_api::Timestamp::now();
    let cases: Vec<(Error, &str)> = vec![
        (
            client.query(" ").raw().await.unwrap_err(),
            "invalid argument query",
        ),
        (
            client
                .query_range("up", now, now, 0u32)
                .raw()
                .await
                .unwrap_err(),
            "invalid argument step: expected a positive number of seconds, found 0",
        ),
        (
            client
                .query_range("up", now, now, "5 minutes")
                .raw()
                .await
                .unwrap_err(),
            "invalid argument step: expected seconds or a Prometheus duration",
        ),
        (
            client
                .query_range("up", now, now - jiff::SignedDuration::from_secs(1), 1u32)
                .raw()
                .await
                .unwrap_err(),
            "invalid argument end",
        ),
        (
            client.series(Vec::<String>::new()).raw().await.unwrap_err(),
            "invalid argument match[]",
        ),
        (
            client.label_values("bad-name").raw().await.unwrap_err(),
            "invalid argument label name",
        ),
    ];
    for (err, expected) in cases {
        assert!(err.is_invalid_argument(), "{err:?}");
        assert!(err.to_string().starts_with(expected), "{err}");
    }
    assert!(matches!(
        Client::new("localhost:9090").unwrap_err(),
        Error::Http(_)
    ));
    let _ = QueryData::Vector(Vec::new());
}

#[tokio::test]
async fn the_last_and_first_instants_rfc_3339_can_write_are_sent_as_such() {
    let mut server = mockito::Server::new_async().await;
    let mock = server
        .mock("GET", "/api/v1/query_range")
        .match_query(Matcher::AllOf(vec![
            Matcher::UrlEncoded("start".into(), "0000-01-01T00:00:00Z".into()),
            Matcher::UrlEncoded("end".into(), "9999-12-31T23:59:59.5Z".into()),
        ]))
        .with_header("content-type", "application/json")
        .with_body(r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#)
        .create_async()
        .await;
    let client = fast(server.url());
    let first = chaosprom_api::Time::from_unix(-62_167_219_200, 0).unwrap();
    let last = chaosprom_api::Time::from_unix(253_402_300_799, 500_000_000).unwrap();
    client
        .query_range("up", first, last, "1y")
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    let err = client
        .query_range("up", last, first, "1y")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("expected an end after the start"),
        "{err}"
    );
}

/// A `Location` redirect from `path` on `server`.
async fn redirect(
    server: &mut mockito::ServerGuard,
    method: &str,
    path: &str,
    status: usize,
    location: &str,
) -> mockito::Mock {
    server
        .mock(method, path)
        .match_query(Matcher::Any)
        .with_status(status)
        .with_header("location", location)
        .create_async()
        .await
}

/// Python's extension follows redirects (requests does), as a load
/// balancer's `http` to `https` or a proxy's moved path sends them: this
/// client answered "HTTP 301 with a body that is not Prometheus JSON".
#[tokio::test]
async fn redirects_are_followed_as_requests_follows_them() {
    // Another server, from a client without credentials: followed, to a
    // real Prometheus.
    let prom = chaosprom_testkit::Prometheus::start().unwrap();
    let mut front = mockito::Server::new_async().await;
    let moved = redirect(
        &mut front,
        "GET",
        "/api/v1/query",
        301,
        &format!("{}/api/v1/query?query=vector(7)", prom.url()),
    )
    .await;
    let raw = fast(front.url()).query("vector(7)").raw().await.unwrap();
    let raw = String::from_utf8_lossy(&raw);
    assert!(
        raw.starts_with(r#"{"status":"success""#) && raw.ends_with(r#""7"]}]}}"#),
        "{raw}"
    );
    moved.assert_async().await;

    // The same server, with a token: followed, the token along; a POST
    // keeps its method and body on a 307, and is a GET without a body on a
    // 303, as requests makes it.
    let mut server = mockito::Server::new_async().await;
    let relative = redirect(
        &mut server,
        "GET",
        "/api/v1/query",
        302,
        "/prom/api/v1/query?query=up",
    )
    .await;
    let kept = redirect(
        &mut server,
        "POST",
        "/api/v1/query",
        307,
        "/prom/api/v1/query",
    )
    .await;
    let posted = server
        .mock("POST", "/prom/api/v1/query")
        .match_header("authorization", "Bearer t0k3n")
        .match_body(Matcher::UrlEncoded("query".into(), "up".into()))
        .with_header("content-type", "application/json")
        .with_body(OK)
        .create_async()
        .await;
    let got = server
        .mock("GET", "/prom/api/v1/query")
        .match_header("authorization", "Bearer t0k3n")
        .match_query(Matcher::UrlEncoded("query".into(), "up".into()))
        .with_header("content-type", "application/json")
        .with_body(OK)
        .expect(1)
        .create_async()
        .await;
    let client = Client::builder(server.url())
        .bearer_token("t0k3n")
        .retry_delay(Duration::from_millis(5))
        .build()
        .unwrap();
    assert_eq!(client.query("up").send().await.unwrap().data.len(), 1);
    assert_eq!(
        client.query("up").post().send().await.unwrap().data.len(),
        1
    );
    relative.assert_async().await;
    kept.assert_async().await;
    posted.assert_async().await;
    got.assert_async().await;
    let mut other = mockito::Server::new_async().await;
    let seen = redirect(&mut other, "POST", "/api/v1/query", 303, "/api/v1/query").await;
    let as_get = other
        .mock("GET", "/api/v1/query")
        .with_status(400)
        .with_header("content-type", "application/json")
        .with_body(r#"{"status":"error","errorType":"bad_data","error":"query missing"}"#)
        .create_async()
        .await;
    let err = fast(other.url())
        .query("up")
        .post()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), Some("bad_data"), "{err}");
    seen.assert_async().await;
    as_get.assert_async().await;
}

#[tokio::test]
async fn a_redirect_elsewhere_keeps_credentials_home_and_loops_end() {
    // With a token, another server is refused: the token never leaves.
    let mut elsewhere = mockito::Server::new_async().await;
    let never = elsewhere
        .mock("GET", Matcher::Any)
        .expect(0)
        .create_async()
        .await;
    let mut server = mockito::Server::new_async().await;
    let away = redirect(
        &mut server,
        "GET",
        "/api/v1/query",
        308,
        &format!("{}/api/v1/query?query=up", elsewhere.url()),
    )
    .await;
    let client = Client::builder(server.url())
        .bearer_token("t0k3n")
        .build()
        .unwrap();
    let err = client.query("up").send().await.unwrap_err();
    let message = err.to_string();
    assert_eq!(err.status(), Some(308));
    assert!(
        message.contains(&format!(
            "HTTP 308 redirect to {}/api/v1/query?query=up, another server: not followed",
            elsewhere.url()
        )),
        "{message}"
    );
    assert!(!message.contains("t0k3n"), "{message}");
    away.assert_async().await;
    never.assert_async().await;

    // A redirect to itself ends after requests' 30.
    let mut looping = mockito::Server::new_async().await;
    let again = redirect(
        &mut looping,
        "GET",
        "/api/v1/query",
        302,
        "/api/v1/query?query=up",
    )
    .await
    .expect(31);
    let err = fast(looping.url()).query("up").send().await.unwrap_err();
    assert!(
        err.to_string()
            .contains("HTTP 302 redirect more than 30 redirects"),
        "{err}"
    );
    again.assert_async().await;
}
