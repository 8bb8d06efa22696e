//! Retries that keep their reason, `Retry-After`, the one retry on a new
//! connection, a pinned self-signed certificate on a real Prometheus, and
//! a real forward proxy (tinyproxy) for `http://` and `https://`.

use std::time::{Duration, Instant, SystemTime};

use chaosprom_http::{Bytes, Error, HttpOptions, Method, Proxy, Response, Transport};
use chaosprom_testkit::fault::{FaultServer, Reply};
use chaosprom_testkit::{ForwardProxy, Prometheus};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

fn options() -> HttpOptions {
    let mut options = HttpOptions::default();
    options.request_timeout = Duration::from_secs(10);
    options.retry_base_delay = Duration::from_millis(10);
    options.proxy = Proxy::None;
    options
}

async fn send(transport: &Transport, path: &str) -> Result<Response, Error> {
    transport
        .send(
            Method::GET,
            &transport.endpoint(path),
            &[],
            Bytes::new(),
            |s| s.is_server_error(),
        )
        .await
}

/// GET `path` on a real server, waiting out its 503 while it starts.
async fn ready_get(transport: &Transport, path: &str) -> Result<(u16, String), Error> {
    let started = Instant::now();
    loop {
        let answer = send(transport, path).await?;
        let status = answer.status().as_u16();
        let body = answer.bytes().await?;
        if status != 503 || started.elapsed() > Duration::from_secs(20) {
            return Ok((status, String::from_utf8_lossy(&body).into_owned()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

const OK: &str = r#"{"status":"success","data":[]}"#;

#[tokio::test]
async fn a_503_that_closes_its_connection_is_reported_as_a_503() {
    let server = FaultServer::start(vec![
        Reply::status("503 Service Unavailable", "", "overloaded").close(),
    ])
    .unwrap();
    let transport = Transport::new(&server.url(), options()).unwrap();
    let answer = send(&transport, "api/v1/query").await.unwrap();
    assert_eq!(answer.status(), 503);
    assert!(answer.attempts() >= 3, "{}", answer.attempts());
    assert_eq!(answer.bytes().await.unwrap(), "overloaded");
}

#[tokio::test]
async fn the_final_error_names_the_last_status_and_the_attempts() {
    // A 503, then connections closed without an answer.
    let server = FaultServer::start(vec![
        Reply::status("503 Service Unavailable", "", "").close(),
        Reply::new("").close(),
    ])
    .unwrap();
    let transport = Transport::new(&server.url(), options()).unwrap();
    let err = send(&transport, "api/v1/query").await.unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("attempts; an earlier attempt was answered HTTP 503 Service Unavailable"),
        "{message}"
    );
    let Error::Io {
        attempts,
        last_status,
        ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(last_status, Some(503));
    assert!(attempts >= 3, "{attempts}");
}

#[tokio::test]
async fn a_pooled_connection_that_fails_before_any_answer_is_retried_on_a_new_one() {
    // The second request arrives on the first, pooled connection, which the
    // server then closes without answering.
    let server = FaultServer::start(vec![
        Reply::json(OK),
        Reply::new("").close(),
        Reply::json(OK),
    ])
    .unwrap();
    let mut options = options();
    options.retries = 0;
    let transport = Transport::new(&server.url(), options).unwrap();
    let first = send(&transport, "api/v1/labels").await.unwrap();
    assert_eq!(first.bytes().await.unwrap(), OK);
    let second = send(&transport, "api/v1/labels").await.unwrap();
    assert_eq!(second.status(), 200);
    assert_eq!(second.attempts(), 2);
    assert_eq!(server.connections(), 2);
}

#[tokio::test]
async fn retry_after_is_honoured_in_seconds_and_as_an_http_date() {
    let server = FaultServer::start(vec![
        Reply::status("503 Service Unavailable", "retry-after: 1\r\n", ""),
        Reply::json(OK),
    ])
    .unwrap();
    let transport = Transport::new(&server.url(), options()).unwrap();
    let started = Instant::now();
    let answer = send(&transport, "api/v1/query").await.unwrap();
    assert_eq!(answer.status(), 200);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );

    let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    let server = FaultServer::start(vec![
        Reply::status(
            "429 Too Many Requests",
            &format!("retry-after: {date}\r\n"),
            "",
        ),
        Reply::json(OK),
    ])
    .unwrap();
    let transport = Transport::new(&server.url(), options()).unwrap();
    let started = Instant::now();
    let answer = transport
        .send(
            Method::GET,
            &transport.endpoint("x"),
            &[],
            Bytes::new(),
            |s| s == 429,
        )
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    // An HTTP date has whole seconds: at least one of the two is waited.
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_retry_after_past_the_deadline_ends_the_retries_at_once() {
    let server = FaultServer::start(vec![
        Reply::status("503 Service Unavailable", "retry-after: 3600\r\n", "later"),
        Reply::json(OK),
    ])
    .unwrap();
    let mut options = options();
    options.request_timeout = Duration::from_secs(2);
    let transport = Transport::new(&server.url(), options).unwrap();
    let started = Instant::now();
    let answer = send(&transport, "api/v1/query").await.unwrap();
    assert_eq!(answer.status(), 503);
    assert_eq!(answer.attempts(), 1);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn an_oversized_answer_held_whole_is_refused() {
    let body = "x".repeat(4096);
    let server = FaultServer::start(vec![Reply::status("200 OK", "", &body)]).unwrap();
    let mut small = options();
    small.max_body_size = 1000;
    let transport = Transport::new(&server.url(), small).unwrap();
    let err = send(&transport, "big")
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::BodyTooLarge { limit: 1000, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("larger than 1000 bytes"), "{err}");
    // A lying Content-Length reserves no memory beyond the limit.
    let server = FaultServer::start(vec![
        Reply::new("HTTP/1.1 200 OK\r\ncontent-length: 999999999999\r\n\r\nshort").close(),
    ])
    .unwrap();
    let transport = Transport::new(&server.url(), options()).unwrap();
    assert!(send(&transport, "x").await.unwrap().bytes().await.is_err());
}

/// What `openssl req -x509 -newkey rsa -subj /CN=localhost` makes: a
/// self-signed certificate whose basic constraints say CA, with no
/// subjectAltName. Returns (certificate file, key file).
fn self_signed_ca_as_server(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let (cert_file, key_file) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_file, cert.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    (cert_file, key_file)
}

/// A real Prometheus serving TLS with this certificate and key.
fn tls_prometheus(cert: &std::path::Path, key: &std::path::Path) -> Prometheus {
    Prometheus::builder()
        .web_config(format!(
            "tls_server_config:\n  cert_file: {}\n  key_file: {}\n",
            cert.display(),
            key.display()
        ))
        .start()
        .unwrap()
}

#[tokio::test]
async fn a_self_signed_ca_certificate_is_trusted_when_it_is_in_the_ca_file() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed_ca_as_server(dir.path());
    let prom = tls_prometheus(&cert, &key);

    let mut pinned = options();
    pinned.tls.ca_file = Some(cert.clone());
    let transport = Transport::new(prom.url(), pinned).unwrap();
    assert_eq!(ready_get(&transport, "-/ready").await.unwrap().0, 200);

    let transport = Transport::new(prom.url(), options()).unwrap();
    let err = ready_get(&transport, "-/ready").await.unwrap_err();
    assert!(err.is_tls(), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains(
            "TLS failure: the server presents a CA certificate as its own (a self-signed \
             certificate): put that exact certificate in the file given with --ca-file"
        ),
        "{message}"
    );

    // Another self-signed certificate in the file does not pin this one.
    let other = tempfile::tempdir().unwrap();
    let (other_cert, _) = self_signed_ca_as_server(other.path());
    let mut wrong = options();
    wrong.tls.ca_file = Some(other_cert);
    let transport = Transport::new(prom.url(), wrong).unwrap();
    assert!(ready_get(&transport, "-/ready").await.unwrap_err().is_tls());
}

#[tokio::test]
async fn plain_http_against_a_tls_port_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed_ca_as_server(dir.path());
    let prom = tls_prometheus(&cert, &key);
    let http = prom.url().replace("https://", "http://");
    let transport = Transport::new(&http, options()).unwrap();
    let answer = send(&transport, "-/ready").await.unwrap();
    // Go answers plain HTTP on a TLS port with a 400 that says so.
    assert_eq!(answer.status(), 400);
}

#[tokio::test]
async fn http_goes_through_a_forward_proxy_and_https_through_a_tunnel() {
    let proxy = ForwardProxy::start(None).unwrap();
    let prom = Prometheus::start().unwrap();
    let mut through = options();
    through.proxy = Proxy::Url(proxy.url().to_owned());
    let transport = Transport::new(prom.url(), through.clone()).unwrap();
    let (status, body) = ready_get(&transport, "api/v1/status/buildinfo")
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"success\""), "{body}");
    let log = proxy.log();
    assert!(
        log.contains(&format!("{}/api/v1/status/buildinfo", prom.url())),
        "{log}"
    );

    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed_ca_as_server(dir.path());
    let tls = tls_prometheus(&cert, &key);
    through.tls.ca_file = Some(cert);
    let transport = Transport::new(tls.url(), through).unwrap();
    assert_eq!(ready_get(&transport, "-/ready").await.unwrap().0, 200);
    let host = tls.url().trim_start_matches("https://").to_owned();
    let log = proxy.log();
    assert!(log.contains(&format!("CONNECT {host}")), "{log}");
}

#[tokio::test]
async fn a_proxy_that_asks_for_credentials_gets_them_from_its_url() {
    let proxy = ForwardProxy::start(Some(("alice", "s3cret"))).unwrap();
    let prom = Prometheus::start().unwrap();
    let with = proxy.url().replace("http://", "http://alice:s3cret@");
    let mut options = options();
    options.proxy = Proxy::Url(with);
    let transport = Transport::new(prom.url(), options.clone()).unwrap();
    assert_eq!(ready_get(&transport, "-/ready").await.unwrap().0, 200);

    options.proxy = Proxy::Url(proxy.url().to_owned());
    let transport = Transport::new(prom.url(), options.clone()).unwrap();
    let answer = send(&transport, "-/ready").await.unwrap();
    assert_eq!(answer.status(), 407);

    options.proxy = Proxy::Url("socks5://127.0.0.1:1".into());
    let err = Transport::new(prom.url(), options).unwrap_err();
    assert!(
        err.to_string().contains("expected an http:// proxy URL"),
        "{err}"
    );
}

#[tokio::test]
async fn a_dead_proxy_is_named_without_its_credentials() {
    let prom = Prometheus::start().unwrap();
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://u:pw@{}", dead.local_addr().unwrap());
    drop(dead);
    let mut options = options();
    options.proxy = Proxy::Url(dead_url.clone());
    let transport = Transport::new(prom.url(), options).unwrap();
    let err = send(&transport, "-/ready").await.unwrap_err();
    let message = err.to_string();
    assert!(err.is_connect(), "{err:?}");
    assert!(message.contains("proxy"), "{message}");
    assert!(!message.contains("pw@"), "{message}");
}
