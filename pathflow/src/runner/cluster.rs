//! Connecting the processes of a cluster, with timeouts, and noticing when a peer goes away.
//!
//! Stock timely retries connections forever and parks the workers of a process whose peer
//! died. pathflow opens the sockets itself, with a deadline and a handshake that checks the
//! cluster's shape, hands them to timely, and watches timely's network threads: when one
//! fails, the run stops with an error naming the peer.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use crate::{Error, Result};

const MAGIC: &[u8; 8] = b"pathflw1";

/// The first failure of a connection to a peer process, if any.
#[derive(Default)]
pub(crate) struct PeerMonitor {
    addresses: Vec<String>,
    failure: Mutex<Option<String>>,
}

impl PeerMonitor {
    /// The error for the first peer failure seen, if any.
    pub(crate) fn failure(&self) -> Option<Error> {
        self.failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .map(Error::Cluster)
    }

    fn record(&self, peer: usize, what: &str) {
        let mut failure = self.failure.lock().unwrap_or_else(|e| e.into_inner());
        if failure.is_none() {
            let address = self.addresses.get(peer).map(String::as_str).unwrap_or("?");
            *failure = Some(format!(
                "lost the connection to process {peer} ({address}): {what}; stopping"
            ));
        }
    }
}

/// The monitor of the cluster this process is running, for the panic hook.
fn current_monitor() -> &'static Mutex<Option<Arc<PeerMonitor>>> {
    static CURRENT: OnceLock<Mutex<Option<Arc<PeerMonitor>>>> = OnceLock::new();
    CURRENT.get_or_init(|| Mutex::new(None))
}

/// Installs (once) a panic hook that turns panics of timely's network threads into a
/// recorded peer failure instead of noise on stderr; other panics go to the previous hook.
fn install_panic_hook() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let name = thread::current()
                .name()
                .map(str::to_owned)
                .unwrap_or_default();
            let peer = name
                .strip_prefix("timely:recv-")
                .or_else(|| name.strip_prefix("timely:send-"))
                .and_then(|index| index.parse::<usize>().ok());
            match peer {
                Some(peer) => {
                    let monitor = current_monitor()
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .clone();
                    if let Some(monitor) = monitor {
                        let message = crate::panic::panic_message(info.payload());
                        monitor.record(peer, &message);
                    }
                }
                None if name.starts_with("timely:work-") => {}
                None => previous(info),
            }
        }));
    });
}

/// Connects to every other process: lower indices by connecting, higher by accepting, all
/// before `timeout` runs out. Returns one stream per process (`None` for this one).
pub(crate) fn connect(
    addresses: &[String],
    me: usize,
    timeout: Duration,
) -> Result<(Vec<Option<TcpStream>>, Arc<PeerMonitor>)> {
    install_panic_hook();
    let deadline = Instant::now() + timeout;
    let processes = addresses.len();
    let listener = TcpListener::bind(&addresses[me]).map_err(|e| {
        Error::Cluster(format!(
            "cannot listen on {} (process {me}): {e}",
            addresses[me]
        ))
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|e| Error::Cluster(e.to_string()))?;

    let mut streams: Vec<Option<TcpStream>> = (0..processes).map(|_| None).collect();
    for (peer, address) in addresses.iter().enumerate().take(me) {
        let mut stream = connect_until(address, peer, deadline)?;
        hello(&mut stream, me, processes).map_err(|e| {
            Error::Cluster(format!(
                "handshake with process {peer} ({address}) failed: {e}"
            ))
        })?;
        expect_ack(&mut stream, peer, address)?;
        streams[peer] = Some(stream);
    }
    while streams
        .iter()
        .enumerate()
        .any(|(i, s)| i > me && s.is_none())
    {
        match listener.accept() {
            Ok((mut stream, _)) => {
                stream
                    .set_nonblocking(false)
                    .map_err(|e| Error::Cluster(e.to_string()))?;
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .map_err(|e| Error::Cluster(e.to_string()))?;
                let peer = read_hello(&mut stream, processes)?;
                if peer <= me || streams[peer].is_some() {
                    return Err(Error::Cluster(format!(
                        "process {peer} connected to process {me} twice or out of order: check \
                         that every process has a distinct --process index"
                    )));
                }
                stream
                    .write_all(MAGIC)
                    .map_err(|e| Error::Cluster(e.to_string()))?;
                stream
                    .set_read_timeout(None)
                    .map_err(|e| Error::Cluster(e.to_string()))?;
                streams[peer] = Some(stream);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    let missing: Vec<String> = streams
                        .iter()
                        .enumerate()
                        .filter(|(i, s)| *i > me && s.is_none())
                        .map(|(i, _)| format!("process {i} ({})", addresses[i]))
                        .collect();
                    return Err(Error::Cluster(format!(
                        "{} did not connect within {} s; is it running, with --processes {} and \
                         the same --addresses?",
                        missing.join(", "),
                        timeout.as_secs(),
                        processes
                    )));
                }
                thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(Error::Cluster(format!("accepting connections: {e}"))),
        }
    }
    for stream in streams.iter().flatten() {
        stream
            .set_nodelay(true)
            .map_err(|e| Error::Cluster(e.to_string()))?;
    }
    let monitor = Arc::new(PeerMonitor {
        addresses: addresses.to_vec(),
        failure: Mutex::new(None),
    });
    *current_monitor().lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(&monitor));
    Ok((streams, monitor))
}

fn connect_until(address: &str, peer: usize, deadline: Instant) -> Result<TcpStream> {
    let mut last_error = String::from("no address");
    loop {
        let now = Instant::now();
        if now >= deadline {
            return Err(Error::Cluster(format!(
                "cannot reach process {peer} at {address}: {last_error}; is it running, with the \
                 same --processes and --addresses?"
            )));
        }
        let remaining = deadline - now;
        match address.to_socket_addrs() {
            Ok(mut addrs) => match addrs.next() {
                Some(addr) => {
                    match TcpStream::connect_timeout(&addr, remaining.min(Duration::from_secs(1))) {
                        Ok(stream) => return Ok(stream),
                        Err(e) => last_error = e.to_string(),
                    }
                }
                None => last_error = "the address resolves to nothing".to_owned(),
            },
            Err(e) => last_error = e.to_string(),
        }
        thread::sleep(
            Duration::from_millis(100).min(deadline.saturating_duration_since(Instant::now())),
        );
    }
}

fn hello(stream: &mut TcpStream, me: usize, processes: usize) -> std::io::Result<()> {
    stream.write_all(MAGIC)?;
    stream.write_all(&(me as u64).to_be_bytes())?;
    stream.write_all(&(processes as u64).to_be_bytes())
}

fn expect_ack(stream: &mut TcpStream, peer: usize, address: &str) -> Result<()> {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| Error::Cluster(e.to_string()))?;
    let mut ack = [0u8; 8];
    stream.read_exact(&mut ack).map_err(|e| {
        Error::Cluster(format!(
            "process {peer} ({address}) did not accept the connection: {e}; does it run the same \
             pathflow version with the same --processes?"
        ))
    })?;
    stream
        .set_read_timeout(None)
        .map_err(|e| Error::Cluster(e.to_string()))?;
    if &ack != MAGIC {
        return Err(Error::Cluster(format!(
            "process {peer} ({address}) is not a pathflow process"
        )));
    }
    Ok(())
}

fn read_hello(stream: &mut TcpStream, processes: usize) -> Result<usize> {
    let mut magic = [0u8; 8];
    let mut index = [0u8; 8];
    let mut count = [0u8; 8];
    let read = stream
        .read_exact(&mut magic)
        .and_then(|_| stream.read_exact(&mut index))
        .and_then(|_| stream.read_exact(&mut count));
    read.map_err(|e| Error::Cluster(format!("a peer's handshake failed: {e}")))?;
    if &magic != MAGIC {
        return Err(Error::Cluster(
            "something that is not a pathflow process connected to the cluster port".to_owned(),
        ));
    }
    let peer = u64::from_be_bytes(index) as usize;
    let theirs = u64::from_be_bytes(count) as usize;
    if theirs != processes || peer >= processes {
        return Err(Error::Cluster(format!(
            "process {peer} runs with --processes {theirs}, this one with {processes}: start every \
             process with the same --processes and --addresses"
        )));
    }
    Ok(peer)
}
