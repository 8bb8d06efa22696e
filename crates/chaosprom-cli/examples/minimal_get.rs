//! The baseline `chaosprom query` is measured against: the smallest tokio +
//! hyper program that sends one GET and prints the body.
//!
//! ```text
//! cargo build --release -p chaosprom-cli --example minimal_get
//! hyperfine 'target/release/examples/minimal_get "http://127.0.0.1:9090/api/v1/query?query=up"' \
//!           'target/release/chaosprom query up --url http://127.0.0.1:9090'
//! ```

use std::io::Write as _;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

fn main() {
    let url = std::env::args().nth(1).expect("usage: minimal_get URL");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let body = runtime.block_on(async {
        let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
        let response = client
            .get(url.parse().expect("a URL"))
            .await
            .expect("an answer");
        response
            .into_body()
            .collect()
            .await
            .expect("a body")
            .to_bytes()
    });
    let mut out = std::io::stdout().lock();
    out.write_all(&body).expect("stdout");
    out.write_all(b"\n").expect("stdout");
}
