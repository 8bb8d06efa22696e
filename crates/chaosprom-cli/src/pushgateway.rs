//! The Pushgateway commands: push and delete.

use std::io::Read;
use std::path::PathBuf;

use chaosprometheus::pushgateway::{PushMethod, Pushgateway};

use crate::Failure;
use crate::flags::Group;

/// The most `push` reads and sends: a Pushgateway keeps every group in
/// memory and serves it at every scrape, for a handful of series.
const MAX_PUSH: usize = 64 << 20;

/// `push`.
pub(crate) async fn push(
    group: &Group,
    method: PushMethod,
    allow_empty: bool,
    file: Option<PathBuf>,
) -> Result<(), Failure> {
    let source = file
        .as_ref()
        .map_or_else(|| "standard input".to_owned(), |p| p.display().to_string());
    let input: Box<dyn Read> = match &file {
        Some(path) => Box::new(std::fs::File::open(path).map_err(|e| Failure {
            code: 2,
            message: format!("cannot read {source}: {e}"),
        })?),
        None => {
            let stdin = std::io::stdin();
            if std::io::IsTerminal::is_terminal(&stdin) {
                crate::print_err!(
                    "chaosprom: reading metrics from standard input (end with Ctrl-D)"
                );
            }
            Box::new(stdin)
        }
    };
    let mut text = Vec::new();
    input
        .take(MAX_PUSH as u64 + 1)
        .read_to_end(&mut text)
        .map_err(|e| Failure {
            code: 2,
            message: format!("cannot read {source}: {e}"),
        })?;
    if text.len() > MAX_PUSH {
        return Err(Failure {
            code: 2,
            message: format!(
                "cannot read {source}: more than {MAX_PUSH} bytes, the most `push` sends"
            ),
        });
    }
    if !allow_empty && text.iter().all(u8::is_ascii_whitespace) {
        return Err(Failure {
            code: 2,
            message: format!(
                "no metrics in {source}: a push of nothing would empty the group \
                 (pass --allow-empty to do that on purpose)"
            ),
        });
    }
    let gateway = gateway(group)?;
    gateway
        .push_text(method, &group.job, group.grouping_key.clone(), text)
        .await
        .map_err(|e| push_failure("push", &e, &group.gateway))?;
    tracing::info!(gateway = gateway.url(), job = group.job, "pushed");
    Ok(())
}

/// `delete`.
pub(crate) async fn delete(group: &Group) -> Result<(), Failure> {
    let gateway = gateway(group)?;
    gateway
        .delete(&group.job, group.grouping_key.clone())
        .await
        .map_err(|e| push_failure("delete", &e, &group.gateway))
}

/// A Pushgateway client for the group's flags.
fn gateway(group: &Group) -> Result<Pushgateway, Failure> {
    let c = &group.connection;
    if group.gateway.trim_end_matches('/').ends_with("/metrics") {
        tracing::warn!(
            "--gateway {} ends in /metrics, but the path /metrics/job/… is added for you: \
             give the gateway's base URL",
            chaosprometheus::api::redact_url(&group.gateway)
        );
    }
    let mut builder = Pushgateway::builder(group.gateway.clone()).verify_tls(!c.insecure);
    for (name, value) in &c.headers {
        builder = builder.header(name.clone(), value.clone());
    }
    if let Some(user) = &c.user {
        builder = builder.basic_auth(user.clone(), group.password.clone().unwrap_or_default());
    }
    if let Some(token) = &group.token {
        builder = builder.bearer_token(token.clone());
    }
    if let Some(ca) = &c.ca_file {
        builder = builder.ca_file(ca);
    }
    if let Some(seconds) = c.client_timeout {
        builder = builder.timeout(
            std::time::Duration::try_from_secs_f64(seconds).unwrap_or(chaosprometheus::MAX_TIMEOUT),
        );
    }
    if let Some(proxy) = &c.proxy {
        builder = builder.proxy_setting(chaosprometheus::pushgateway::Proxy::from_setting(proxy));
    }
    if let Some(limit) = c.max_body_size {
        builder = builder.max_body_size(limit);
    }
    builder.build().map_err(|e| Failure {
        code: 2,
        message: e.to_string(),
    })
}

fn push_failure(what: &str, e: &chaosprometheus::pushgateway::Error, gateway: &str) -> Failure {
    let hint = if gateway.trim_end_matches('/').ends_with("/metrics") {
        " (hint: --gateway ends in /metrics; give the gateway's base URL, the \
         /metrics/job/… path is added for you)"
    } else {
        ""
    };
    Failure {
        code: if e.is_invalid_input() { 2 } else { 1 },
        message: format!("{what} failed: {e}{hint}"),
    }
}
