//! Answers that are not what they should be are errors, never successes:
//! HTML without a content type, an error envelope in a 200, compression
//! that was not asked for, a compressed answer that inflates past the
//! limit. Served by the test kit's scripted fault server.

use std::io::Write as _;

use chaosprom_api::{Client, Error};
use chaosprom_testkit::fault::{FaultServer, Reply};

fn client(url: &str) -> Client {
    Client::builder(url).retries(0).no_proxy().build().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

const OK: &str = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;

#[tokio::test]
async fn a_200_html_page_without_a_content_type_is_refused_and_nothing_is_written() {
    let html = "<html><body><h1>Welcome to nginx!</h1></body></html>";
    let server = FaultServer::start(vec![Reply::status("200 OK", "", html)]).unwrap();
    let client = client(&server.url());
    let err = client.query("up").raw().await.unwrap_err();
    assert!(err.is_decode(), "{err:?}");
    assert!(
        err.to_string()
            .contains("at byte 0: expected a JSON object, found '<'"),
        "{err}"
    );
    let mut out = Vec::new();
    let err = client.query("up").write_to(&mut out).await.unwrap_err();
    assert!(out.is_empty(), "{}", String::from_utf8_lossy(&out));
    assert!(!err.to_string().contains("already written"), "{err}");
}

#[tokio::test]
async fn an_error_envelope_in_a_200_is_prometheus_error() {
    let body = r#"{"status":"error","errorType":"execution","error":"query processing would load too many samples"}"#;
    let server = FaultServer::start(vec![Reply::json(body)]).unwrap();
    let client = client(&server.url());
    for err in [
        client.query("up").raw().await.unwrap_err(),
        client.query("up").send().await.unwrap_err(),
    ] {
        let Error::Api {
            status,
            error_type,
            error,
            ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!((*status, error_type.as_str()), (200, "execution"));
        assert!(error.contains("too many samples"), "{err}");
    }
    let mut out = Vec::new();
    let err = client
        .query("up")
        .write_to_sync(&mut out)
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), Some("execution"), "{err}");
    assert!(out.is_empty());
}

#[tokio::test]
async fn gzip_is_inflated_only_when_it_was_asked_for() {
    let server = FaultServer::start(vec![Reply::status(
        "200 OK",
        "content-type: application/json\r\ncontent-encoding: gzip\r\n",
        gzip(OK.as_bytes()),
    )])
    .unwrap();
    let err = client(&server.url()).query("up").raw().await.unwrap_err();
    assert!(
        err.to_string()
            .contains("the answer is 'gzip'-encoded, which this request did not ask for"),
        "{err}"
    );
    let asked = Client::builder(server.url())
        .gzip(true)
        .no_proxy()
        .build()
        .unwrap();
    assert_eq!(asked.query("up").raw().await.unwrap(), OK.as_bytes());
    let request = server.requests().pop().unwrap().to_ascii_lowercase();
    assert!(request.contains("accept-encoding: gzip"), "{request}");
}

#[tokio::test]
async fn a_compressed_answer_may_not_inflate_past_the_limit() {
    // 64 MiB of spaces inside a JSON string, about 64 KiB compressed.
    let mut bomb = br#"{"status":"success","data":""#.to_vec();
    bomb.extend(std::iter::repeat_n(b' ', 64 << 20));
    bomb.extend_from_slice(br#""}"#);
    let compressed = gzip(&bomb);
    assert!(compressed.len() < 1 << 20, "{}", compressed.len());
    let server = FaultServer::start(vec![Reply::status(
        "200 OK",
        "content-type: application/json\r\ncontent-encoding: gzip\r\n",
        compressed,
    )])
    .unwrap();
    let client = Client::builder(server.url())
        .gzip(true)
        .max_body_size(8 << 20)
        .no_proxy()
        .build()
        .unwrap();
    let limited = |err: &Error| err.to_string().contains("larger than 8388608 bytes");
    let err = client.query("up").raw().await.unwrap_err();
    assert!(limited(&err), "{err}");
    // Streamed too: a small body must not become gigabytes on disk.
    let mut sink = std::io::sink();
    let err = client
        .query("up")
        .write_to_sync(&mut sink)
        .await
        .unwrap_err();
    assert!(limited(err.cause()), "{err}");
}

#[tokio::test]
async fn answers_held_whole_are_capped_and_streamed_ones_are_not() {
    let mut big = br#"{"status":"success","data":""#.to_vec();
    big.extend(std::iter::repeat_n(b'a', 3 << 20));
    big.extend_from_slice(br#""}"#);
    let body = String::from_utf8(big).unwrap();
    let server = FaultServer::start(vec![Reply::json(&body)]).unwrap();
    let client = Client::builder(server.url())
        .max_body_size(1 << 20)
        .retries(0)
        .no_proxy()
        .build()
        .unwrap();
    let err = client.query("up").raw().await.unwrap_err();
    assert!(
        err.to_string().contains("larger than 1048576 bytes"),
        "{err}"
    );
    let err = client.labels().send().await.unwrap_err();
    assert!(err.to_string().contains("max_body_size"), "{err}");
    let mut out = Vec::new();
    let written = client.query("up").write_to_sync(&mut out).await.unwrap();
    assert_eq!(written as usize, body.len());
}

#[tokio::test]
async fn a_503_that_closes_the_connection_is_reported_with_its_status() {
    let server = FaultServer::start(vec![
        Reply::status(
            "503 Service Unavailable",
            "content-type: text/plain\r\n",
            "Service Unavailable",
        )
        .close(),
    ])
    .unwrap();
    let client = Client::builder(server.url())
        .retry_delay(std::time::Duration::from_millis(10))
        .no_proxy()
        .build()
        .unwrap();
    let err = client.query("up").raw().await.unwrap_err();
    assert_eq!(err.status(), Some(503), "{err}");
    assert!(err.to_string().contains("HTTP 503"), "{err}");
    assert!(!err.to_string().contains("reset"), "{err}");
}
