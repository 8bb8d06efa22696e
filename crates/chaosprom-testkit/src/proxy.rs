//! A real forward proxy: Debian's tinyproxy.

use std::net::SocketAddr;
use std::path::Path;

use crate::server::{DEFAULT_READY_TIMEOUT, Launch, Server, temp_dir};
use crate::{Error, binary};

/// A tinyproxy on 127.0.0.1 that forwards `http://` requests and tunnels
/// `CONNECT` to any port, optionally behind basic auth. Its log (one line
/// per request, with the URL it was asked for) is in [`log`](Self::log).
/// Dropping it stops the process and removes its folder.
///
/// ```no_run
/// let proxy = chaosprom_testkit::ForwardProxy::start(None)?;
/// println!("HTTP_PROXY={}", proxy.url());
/// # Ok::<(), chaosprom_testkit::Error>(())
/// ```
#[derive(Debug)]
pub struct ForwardProxy {
    server: Server,
    url: String,
}

impl ForwardProxy {
    /// Starts one; with `auth`, it asks for that user and password.
    pub fn start(auth: Option<(&str, &str)>) -> Result<Self, Error> {
        let binary = binary::TINYPROXY.find()?;
        let dir = temp_dir("tinyproxy")?;
        let auth = auth.map(|(u, p)| format!("BasicAuth {u} {p}\n"));
        let args = |addr: SocketAddr, folder: &Path| -> Result<Vec<String>, Error> {
            let config = folder.join("tinyproxy.conf");
            // No ConnectPort line: CONNECT is allowed to every port.
            let text = format!(
                "Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 50\n\
                 Allow 127.0.0.1\nLogLevel Info\nLogFile \"{log}\"\n\
                 PidFile \"{pid}\"\nDisableViaHeader Yes\n{auth}",
                port = addr.port(),
                log = folder.join("proxy.log").display(),
                pid = folder.join("tinyproxy.pid").display(),
                auth = auth.clone().unwrap_or_default(),
            );
            std::fs::write(&config, text)
                .map_err(|e| Error::io(format!("writing {}", config.display()), e))?;
            Ok(vec![
                "-d".to_owned(),
                "-c".to_owned(),
                config.display().to_string(),
            ])
        };
        let server = Server::start(Launch {
            name: "tinyproxy",
            binary,
            dir,
            ready_timeout: DEFAULT_READY_TIMEOUT,
            args: &args,
            ready_path: None,
        })?;
        let url = format!("http://{}", server.addr());
        Ok(Self { server, url })
    }

    /// The proxy's URL, e.g. `http://127.0.0.1:41235`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// What the proxy logged so far: one line per request it handled.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.server.dir().join("proxy.log")).unwrap_or_default()
    }
}
