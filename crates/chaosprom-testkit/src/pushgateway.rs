//! A real Pushgateway.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use crate::server::{DEFAULT_READY_TIMEOUT, Launch, Server, temp_dir};
use crate::{Error, binary};

/// A Pushgateway on 127.0.0.1, persisting to its own temporary folder.
/// Dropping it stops the process and removes the folder.
///
/// ```no_run
/// let gateway = chaosprom_testkit::Pushgateway::start()?;
/// println!("Pushgateway is at {}", gateway.url());
/// # Ok::<(), chaosprom_testkit::Error>(())
/// ```
#[derive(Debug)]
pub struct Pushgateway {
    server: Server,
    url: String,
}

impl Pushgateway {
    /// Starts one and waits until `/-/ready` answers.
    pub fn start() -> Result<Self, Error> {
        Self::start_with_timeout(DEFAULT_READY_TIMEOUT)
    }

    /// Starts one, waiting at most `ready_timeout` for it.
    pub fn start_with_timeout(ready_timeout: Duration) -> Result<Self, Error> {
        let binary = binary::PUSHGATEWAY.find()?;
        let dir = temp_dir("pushgateway")?;
        let args = |addr: SocketAddr, folder: &Path| -> Result<Vec<String>, Error> {
            Ok(vec![
                format!("--web.listen-address={addr}"),
                // Debian's default is a shared file under /var/lib.
                format!(
                    "--persistence.file={}",
                    folder.join("pushgateway.data").display()
                ),
                "--log.level=warn".to_owned(),
            ])
        };
        let server = Server::start(Launch {
            name: "pushgateway",
            binary,
            dir,
            ready_timeout,
            args: &args,
            ready_path: Some("/-/ready"),
        })?;
        let url = format!("http://{}", server.addr());
        Ok(Self { server, url })
    }

    /// The base URL, e.g. `http://127.0.0.1:41235`.
    pub fn url(&self) -> &str {
        &self.url
    }

    crate::server::server_accessors!();
}
