//! The transport against real Prometheus servers (plain, TLS, mutual TLS,
//! basic auth) and, for faults, against mockito and a silent socket.

use std::time::{Duration, Instant};

use chaosprom_http::{Auth, ClientCert, Error, HttpOptions, Method, Transport, header};
use chaosprom_testkit::Prometheus;
use chaosprom_testkit::pki::Pki;

/// bcrypt of "hunter2", for Prometheus' `basic_auth_users`.
const HUNTER2_BCRYPT: &str = "$2b$04$kZXl1UGCLm57d6VzdYuqAuwZM/YqIWNcHyd.rduBFT5aZ5PQro1Em";

/// The test PKI's client certificate, as the transport takes it.
fn client_cert(pki: &Pki) -> ClientCert {
    ClientCert {
        cert_file: pki.client_cert.clone(),
        key_file: pki.client_key.clone(),
    }
}

fn pki() -> Pki {
    Pki::new().unwrap()
}

fn tls_prometheus(pki: &Pki, require_client_cert: bool) -> Prometheus {
    Prometheus::builder()
        .web_config(pki.web_config(require_client_cert))
        .start()
        .unwrap()
}

/// GET `path`, retrying 503 while the server finishes starting.
async fn get(transport: &Transport, path: &str) -> Result<(u16, String), Error> {
    let url = transport.endpoint(path);
    let started = Instant::now();
    loop {
        let answer = transport
            .send(Method::GET, &url, &[], Default::default(), |_| false)
            .await?;
        let status = answer.status().as_u16();
        let body = answer.bytes().await?;
        if status != 503 || started.elapsed() > Duration::from_secs(20) {
            return Ok((status, String::from_utf8_lossy(&body).into_owned()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn options() -> HttpOptions {
    let mut options = HttpOptions::default();
    options.request_timeout = Duration::from_secs(10);
    options
}

#[tokio::test]
async fn plain_http_against_a_real_prometheus() {
    let prom = Prometheus::start().unwrap();
    let transport = Transport::new(prom.url(), options()).unwrap();
    let (status, body) = get(&transport, "api/v1/status/buildinfo").await.unwrap();
    assert_eq!(status, 200);
    assert!(body.contains(r#""status":"success""#), "{body}");
}

#[tokio::test]
async fn tls_with_a_custom_ca_verifies_a_real_prometheus() {
    let pki = pki();
    let prom = tls_prometheus(&pki, false);
    assert!(
        prom.url().starts_with("https://127.0.0.1:"),
        "{}",
        prom.url()
    );

    let mut trusted = options();
    trusted.tls.ca_file = Some(pki.ca.clone());
    let transport = Transport::new(prom.url(), trusted).unwrap();
    let (status, _) = get(&transport, "-/ready").await.unwrap();
    assert_eq!(status, 200);

    let untrusted = Transport::new(prom.url(), options()).unwrap();
    let err = get(&untrusted, "-/ready").await.unwrap_err();
    assert!(err.is_tls(), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("TLS failure"), "{message}");
    assert!(message.contains("UnknownIssuer"), "{message}");

    let mut insecure = options();
    insecure.tls.verify = false;
    let transport = Transport::new(prom.url(), insecure).unwrap();
    assert_eq!(get(&transport, "-/ready").await.unwrap().0, 200);
}

#[tokio::test]
async fn a_client_certificate_is_presented_when_the_server_requires_one() {
    let pki = pki();
    let prom = tls_prometheus(&pki, true);

    let mut with_cert = options();
    with_cert.tls.ca_file = Some(pki.ca.clone());
    with_cert.tls.client_cert = Some(client_cert(&pki));
    let transport = Transport::new(prom.url(), with_cert).unwrap();
    assert_eq!(get(&transport, "-/ready").await.unwrap().0, 200);

    let mut without = options();
    without.tls.ca_file = Some(pki.ca.clone());
    let transport = Transport::new(prom.url(), without).unwrap();
    let err = get(&transport, "-/ready").await.unwrap_err();
    assert!(
        matches!(err, Error::Tls { .. } | Error::Io { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn bad_tls_files_are_refused_before_any_io() {
    let mut options = options();
    options.tls.ca_file = Some("/no/such/ca.pem".into());
    let err = Transport::new("https://127.0.0.1:1", options).unwrap_err();
    assert!(err.is_config() && err.is_tls(), "{err:?}");
    assert!(err.to_string().contains("/no/such/ca.pem"), "{err}");

    // A file without end is refused at the cap, never read to the end.
    let pki = pki();
    let mut options = self::options();
    options.tls.ca_file = Some("/dev/zero".into());
    let err = Transport::new("https://127.0.0.1:1", options).unwrap_err();
    assert!(err.is_config(), "{err:?}");
    assert!(
        err.to_string()
            .contains("reading /dev/zero: larger than 16777216 bytes"),
        "{err}"
    );
    let mut options = self::options();
    options.tls.client_cert = Some(ClientCert {
        cert_file: pki.client_cert.clone(),
        key_file: "/dev/zero".into(),
    });
    let err = Transport::new("http://127.0.0.1:1", options).unwrap_err();
    assert!(
        err.to_string()
            .contains("reading /dev/zero: larger than 16777216 bytes"),
        "{err}"
    );
}

#[tokio::test]
async fn basic_auth_from_url_credentials_against_a_real_prometheus() {
    let web = format!("basic_auth_users:\n  alice: {HUNTER2_BCRYPT}\n");
    let prom = Prometheus::builder().web_config(web).start().unwrap();
    let host = prom.url().trim_start_matches("http://");

    let good = Transport::new(&format!("http://alice:hunter2@{host}"), options()).unwrap();
    assert_eq!(get(&good, "-/ready").await.unwrap().0, 200);
    assert!(!format!("{good:?}").contains("hunter2"));

    let bad = Transport::new(&format!("http://alice:wrong@{host}"), options()).unwrap();
    assert_eq!(get(&bad, "-/ready").await.unwrap().0, 401);

    let mut explicit = options();
    explicit.auth = Some(Auth::Basic {
        username: "alice".into(),
        password: "hunter2".into(),
    });
    let transport = Transport::new(prom.url(), explicit).unwrap();
    assert_eq!(get(&transport, "-/ready").await.unwrap().0, 200);
}

#[tokio::test]
async fn auth_and_extra_headers_arrive_on_the_wire() {
    let mut server = mockito::Server::new_async().await;
    let basic = server
        .mock("GET", "/prefix/x")
        .match_header("authorization", "Basic YWxpY2U6aHVudGVyMg==")
        .match_header("x-scope-orgid", "tenant-1")
        .match_header("user-agent", mockito::Matcher::Regex("^chaosprom/".into()))
        .with_status(200)
        .create_async()
        .await;
    let mut options = options();
    options
        .headers
        .push(("X-Scope-OrgID".into(), "tenant-1".into()));
    let url = server.url().replace("http://", "http://alice:hunter2@") + "/prefix";
    let transport = Transport::new(&url, options.clone()).unwrap();
    let answer = get(&transport, "x").await.unwrap();
    assert_eq!(answer.0, 200);
    basic.assert_async().await;

    let bearer = server
        .mock("GET", "/y")
        .match_header("authorization", "Bearer s3cr3t-t0ken")
        .match_header("x-scope-orgid", "tenant-1")
        .with_status(200)
        .create_async()
        .await;
    options.auth = Some(Auth::Bearer("s3cr3t-t0ken".into()));
    let transport = Transport::new(&server.url(), options).unwrap();
    assert_eq!(get(&transport, "y").await.unwrap().0, 200);
    bearer.assert_async().await;
    let shown = format!("{transport:?}");
    assert!(
        !shown.contains("s3cr3t") && !shown.contains("tenant-1"),
        "{shown}"
    );
}

#[tokio::test]
async fn a_503_is_retried_and_a_400_is_not() {
    let mut server = mockito::Server::new_async().await;
    let unavailable = server
        .mock("GET", "/flaky")
        .with_status(503)
        .expect(1)
        .create_async()
        .await;
    let ok = server
        .mock("GET", "/flaky")
        .with_status(200)
        .with_body("fine")
        .expect(1)
        .create_async()
        .await;
    let mut options = options();
    options.retry_base_delay = Duration::from_millis(10);
    let transport = Transport::new(&server.url(), options).unwrap();
    let url = transport.endpoint("flaky");
    let retry = |s: http::StatusCode| matches!(s.as_u16(), 502..=504);
    let answer = transport
        .send(Method::GET, &url, &[], Default::default(), retry)
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(&answer.bytes().await.unwrap()[..], b"fine");
    unavailable.assert_async().await;
    ok.assert_async().await;

    let bad = server
        .mock("GET", "/bad")
        .with_status(400)
        .expect(1)
        .create_async()
        .await;
    let url = transport.endpoint("bad");
    let answer = transport
        .send(Method::GET, &url, &[], Default::default(), retry)
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    bad.assert_async().await;
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_in_the_configured_time() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let mut options = options();
    options.request_timeout = Duration::from_millis(500);
    let transport = Transport::new(&format!("http://{addr}"), options).unwrap();
    let started = Instant::now();
    let err = get(&transport, "api/v1/query").await.unwrap_err();
    let took = started.elapsed();
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        took >= Duration::from_millis(450) && took < Duration::from_millis(1500),
        "{took:?}"
    );
    assert!(
        err.to_string().contains("no complete answer within 500ms"),
        "{err}"
    );
    holder.abort();
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_reported_without_credentials() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut options = options();
    options.retry_base_delay = Duration::from_millis(20);
    let transport =
        Transport::new(&format!("http://bob:pa55word@127.0.0.1:{port}"), options).unwrap();
    let err = get(&transport, "-/ready").await.unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    let shown = format!("{err} {err:?}");
    assert!(
        shown.contains(&format!("GET http://127.0.0.1:{port}/-/ready")),
        "{shown}"
    );
    assert!(
        !shown.contains("pa55word") && !shown.contains("bob"),
        "{shown}"
    );
}

#[tokio::test]
async fn an_invalid_header_is_refused_before_any_io() {
    let mut options = options();
    options.headers.push(("bad header".into(), "x".into()));
    let err = Transport::new("http://127.0.0.1:1", options).unwrap_err();
    assert!(err.is_config(), "{err:?}");
    assert!(
        err.to_string().contains("invalid header 'bad header'"),
        "{err}"
    );
    let _ = header::AUTHORIZATION;
}
