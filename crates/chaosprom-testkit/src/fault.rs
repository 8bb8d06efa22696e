//! A scripted HTTP server for the faults real servers will not produce on
//! demand: an answer followed by a closed connection, a body cut short, a
//! header that lies.
//!
//! Each request, in order, gets the next [`Reply`] of the script (the last
//! one repeats). The server answers on 127.0.0.1 from a thread of its own
//! and records every request's head, so tests can check what went on the
//! wire.
//!
//! ```no_run
//! use chaosprom_testkit::fault::{FaultServer, Reply};
//!
//! let server = FaultServer::start(vec![
//!     Reply::new("HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n").close(),
//!     Reply::json(r#"{"status":"success","data":[]}"#),
//! ])?;
//! println!("{}", server.url());
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    bytes: Vec<u8>,
    close: bool,
    delay: Duration,
}

impl Reply {
    /// These exact bytes, status line and headers included.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self {
            bytes: bytes.into(),
            close: false,
            delay: Duration::ZERO,
        }
    }

    /// A 200 with a JSON body and a matching `Content-Length`.
    pub fn json(body: &str) -> Self {
        Self::new(format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        ))
    }

    /// A status with these extra header lines (each ending in `\r\n`) and
    /// body, with a matching `Content-Length`.
    pub fn status(status: &str, headers: &str, body: impl AsRef<[u8]>) -> Self {
        let body = body.as_ref();
        let mut bytes = format!(
            "HTTP/1.1 {status}\r\n{headers}content-length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        bytes.extend_from_slice(body);
        Self::new(bytes)
    }

    /// Closes the connection after this answer, without saying so in a
    /// `Connection: close` header (as a crashing or restarting server
    /// does).
    pub fn close(mut self) -> Self {
        self.close = true;
        self
    }

    /// Waits this long before answering.
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// The requests so far: each one's head and body.
type Recorded = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// The server; dropping it stops it.
#[derive(Debug)]
pub struct FaultServer {
    addr: SocketAddr,
    requests: Recorded,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl FaultServer {
    /// Starts answering with `script` on a free port.
    pub fn start(script: Vec<Reply>) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let next = Arc::new(AtomicUsize::new(0));
        let script = Arc::new(script);
        let (r, c, s) = (requests.clone(), connections.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                c.fetch_add(1, Ordering::SeqCst);
                let (r, script, next) = (r.clone(), script.clone(), next.clone());
                std::thread::spawn(move || serve(stream, &r, &script, &next));
            }
        });
        Ok(Self {
            addr,
            requests,
            connections,
            stop,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The heads (request line and headers) of the requests so far.
    pub fn requests(&self) -> Vec<String> {
        self.requests
            .lock()
            .map(|r| r.iter().map(|(head, _)| head.clone()).collect())
            .unwrap_or_default()
    }

    /// The bodies of the requests so far (a body sent with a
    /// `Content-Length`; empty otherwise).
    pub fn bodies(&self) -> Vec<Vec<u8>> {
        self.requests
            .lock()
            .map(|r| r.iter().map(|(_, body)| body.clone()).collect())
            .unwrap_or_default()
    }

    /// How many connections were accepted.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

fn serve(
    stream: TcpStream,
    requests: &Mutex<Vec<(String, Vec<u8>)>>,
    script: &[Reply],
    next: &AtomicUsize,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let mut head = String::new();
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if line == "\r\n" || line == "\n" {
                break;
            }
            head.push_str(&line);
        }
        let length = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        if let Ok(mut r) = requests.lock() {
            r.push((head, body));
        }
        let Some(reply) = script
            .get(next.fetch_add(1, Ordering::SeqCst))
            .or(script.last())
        else {
            return;
        };
        std::thread::sleep(reply.delay);
        if writer
            .write_all(&reply.bytes)
            .and_then(|()| writer.flush())
            .is_err()
            || reply.close
        {
            let _ = writer.shutdown(std::net::Shutdown::Both);
            return;
        }
    }
}
