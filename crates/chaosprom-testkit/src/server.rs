//! What every server handle shares: a child process with its output in a log
//! file, a temporary folder, a port, a bounded readiness wait, and cleanup on
//! drop.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::Error;

/// How long a server may take to become ready, unless told otherwise.
pub(crate) const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(60);

/// How many times a start is tried again when the chosen port was taken in
/// the meantime.
const PORT_RETRIES: usize = 5;

/// The accessors every server handle has, on its `server` field: the
/// address, the folder, the process id and the end of its output.
macro_rules! server_accessors {
    () => {
        /// The address it listens on.
        pub fn addr(&self) -> std::net::SocketAddr {
            self.server.addr()
        }

        /// Its folder (configuration, data, `server.log`).
        pub fn dir(&self) -> &std::path::Path {
            self.server.dir()
        }

        /// The process id.
        pub fn pid(&self) -> u32 {
            self.server.pid()
        }

        /// The last 4 KiB of what it printed.
        pub fn output(&self) -> String {
            self.server.output_tail()
        }
    };
}
pub(crate) use server_accessors;

/// A running server process. Dropping it kills the process and removes its
/// folder.
#[derive(Debug)]
pub(crate) struct Server {
    name: &'static str,
    child: ChildGuard,
    addr: SocketAddr,
    // Declared after `child`, so the folder goes after the process.
    dir: TempDir,
}

/// Builds a server's arguments for an address, given its folder.
pub(crate) type ArgsFn<'a> = &'a dyn Fn(SocketAddr, &Path) -> Result<Vec<String>, Error>;

/// What a server type tells the core to start it.
pub(crate) struct Launch<'a> {
    /// The server's name for messages.
    pub(crate) name: &'static str,
    /// The binary to run.
    pub(crate) binary: PathBuf,
    /// The folder the server owns (moved into the handle).
    pub(crate) dir: TempDir,
    /// How long to wait for readiness.
    pub(crate) ready_timeout: Duration,
    /// Builds the arguments for a given address; called again for every
    /// port that is tried. May write files into the folder.
    pub(crate) args: ArgsFn<'a>,
    /// The readiness path, e.g. `/-/ready`, answered with 200 over plain
    /// HTTP; `None`: ready once the port accepts connections (for servers
    /// behind TLS or authentication).
    pub(crate) ready_path: Option<&'a str>,
}

impl Server {
    /// Starts a server and waits until its readiness endpoint answers 200.
    pub(crate) fn start(launch: Launch<'_>) -> Result<Self, Error> {
        let Launch {
            name,
            binary,
            dir,
            ready_timeout,
            args,
            ready_path,
        } = launch;
        let mut dir = Some(dir);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let folder = dir.take().expect("the folder is put back on every retry");
            let addr = free_addr()?;
            let arguments = args(addr, folder.path())?;
            let log_path = folder.path().join("server.log");
            let log = File::create(&log_path)
                .map_err(|e| Error::io(format!("creating {}", log_path.display()), e))?;
            let log_err = log
                .try_clone()
                .map_err(|e| Error::io("duplicating the log file handle", e))?;
            let child = Command::new(&binary)
                .args(&arguments)
                .current_dir(folder.path())
                .stdin(Stdio::null())
                .stdout(log)
                .stderr(log_err)
                .spawn()
                .map_err(|source| Error::Spawn {
                    binary: binary.clone(),
                    source,
                })?;
            let mut server = Server {
                name,
                child: ChildGuard(child),
                addr,
                dir: folder,
            };
            match server.wait_ready(ready_path, ready_timeout) {
                Ok(()) => return Ok(server),
                Err(Error::Exited { output, .. })
                    if attempt < PORT_RETRIES && output.contains("address already in use") =>
                {
                    dir = Some(server.into_dir());
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The address the server listens on.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's folder.
    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.0.id()
    }

    /// The last 4 KiB of what the server printed.
    pub(crate) fn output_tail(&self) -> String {
        tail(&self.dir.path().join("server.log"), 4096)
    }

    /// Polls `path` until it answers 200 (or, without a path, until the
    /// port accepts connections), the process exits, or time is up.
    fn wait_ready(&mut self, path: Option<&str>, timeout: Duration) -> Result<(), Error> {
        let url = format!("http://{}{}", self.addr, path.unwrap_or(""));
        let started = Instant::now();
        loop {
            if let Some(status) = self
                .child
                .0
                .try_wait()
                .map_err(|e| Error::io(format!("checking on {}", self.name), e))?
            {
                return Err(Error::Exited {
                    name: self.name,
                    status,
                    output: self.output_tail(),
                });
            }
            let ready = match path {
                Some(_) => crate::http::get(&url).is_ok_and(|r| r.status == 200),
                None => {
                    std::net::TcpStream::connect_timeout(&self.addr, Duration::from_millis(200))
                        .is_ok()
                }
            };
            if ready {
                return Ok(());
            }
            if started.elapsed() >= timeout {
                return Err(Error::NotReady {
                    name: self.name,
                    url,
                    waited: timeout,
                    output: self.output_tail(),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the process and hands back its folder (for a retry).
    fn into_dir(self) -> TempDir {
        let Server { child, dir, .. } = self;
        drop(child);
        dir
    }
}

/// Kills and reaps the process when dropped.
#[derive(Debug)]
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free port on 127.0.0.1, found by binding port 0.
fn free_addr() -> Result<SocketAddr, Error> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| Error::io("binding 127.0.0.1:0 to find a free port", e))?;
    listener
        .local_addr()
        .map_err(|e| Error::io("reading the bound address", e))
}

/// Makes a new temporary folder for a server.
pub(crate) fn temp_dir(name: &str) -> Result<TempDir, Error> {
    tempfile::Builder::new()
        .prefix(&format!("chaosprom-{name}-"))
        .tempdir()
        .map_err(|e| Error::io("creating a temporary folder", e))
}

/// The last `max` bytes of a file, as text.
pub(crate) fn tail(path: &Path, max: u64) -> String {
    let Ok(mut file) = File::open(path) else {
        return String::new();
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(max)));
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}
