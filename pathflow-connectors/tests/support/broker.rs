//! A real Kafka-protocol broker (tansu) for tests: started on a free loopback port, killed on
//! drop. Tests fail, never skip, when tansu is missing: `scripts/test.sh` installs it.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::ClientConfig;

/// A running tansu broker.
pub struct Broker {
    child: Option<Child>,
    port: u16,
    storage: String,
    dir: Option<PathBuf>,
}

fn tansu() -> PathBuf {
    if let Some(path) = std::env::var_os("PATHFLOW_TANSU") {
        return PathBuf::from(path);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let cargo_bin = home.join(".cargo/bin/tansu");
    if cargo_bin.exists() {
        return cargo_bin;
    }
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("tansu"))
        .find(|path| path.exists());
    found.unwrap_or_else(|| {
        panic!(
            "the Kafka tests need the tansu broker, which is not installed: run scripts/test.sh \
             (it installs it), or `cargo install tansu --locked --features dynostore,libsql`"
        )
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

impl Broker {
    /// A broker keeping its data in memory.
    pub fn memory() -> Broker {
        Broker::start(free_port(), "memory://tansu/".to_owned(), None)
    }

    /// The port a broker started later with [`Broker::memory_on`] will listen on.
    pub fn reserve_port() -> u16 {
        free_port()
    }

    /// A broker keeping its data in memory, on a given port.
    pub fn memory_on(port: u16) -> Broker {
        Broker::start(port, "memory://tansu/".to_owned(), None)
    }

    /// A broker keeping its data in an SQLite file in `dir`, so it survives a restart.
    pub fn sqlite(dir: &Path) -> Broker {
        // tansu resolves the file against its working directory, even for absolute paths.
        Broker::start(
            free_port(),
            "sqlite://broker.db".to_owned(),
            Some(dir.to_owned()),
        )
    }

    fn start(port: u16, storage: String, dir: Option<PathBuf>) -> Broker {
        let mut broker = Broker {
            child: None,
            port,
            storage,
            dir,
        };
        broker.spawn();
        broker
    }

    fn spawn(&mut self) {
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let mut command = Command::new(tansu());
        if let Some(dir) = &self.dir {
            command.current_dir(dir);
        }
        let child = command
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", &self.storage])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tansu");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "tansu did not listen on port {} within 30 s",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `host:port` for clients.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Kills the broker (it does not exit on SIGTERM).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the broker again on the same port and storage.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Creates a topic with `partitions` partitions.
    pub fn create_topic(&self, name: &str, partitions: u32) {
        let status = Command::new(tansu())
            .args([
                "topic",
                "create",
                "--broker",
                &format!("tcp://{}", self.address()),
            ])
            .args(["--partitions", &partitions.to_string(), name])
            .stdout(Stdio::null())
            .status()
            .expect("run tansu topic create");
        assert!(status.success(), "tansu topic create {name} failed");
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", self.address())
            .create()
            .expect("consumer");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = consumer
                .fetch_metadata(Some(name), Duration::from_secs(2))
                .ok()
                .and_then(|m| m.topics().first().map(|t| t.partitions().len()))
                == Some(partitions as usize);
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "topic {name} did not appear within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Produces messages `(partition, key, payload)` and waits until all are acknowledged.
    pub fn produce(&self, topic: &str, messages: &[(i32, Option<&str>, Option<&str>)]) {
        let producer: BaseProducer = ClientConfig::new()
            .set("bootstrap.servers", self.address())
            .create()
            .expect("producer");
        for (partition, key, payload) in messages {
            let mut record: BaseRecord<'_, str, str> = BaseRecord::to(topic).partition(*partition);
            if let Some(key) = key {
                record = record.key(key);
            }
            if let Some(payload) = payload {
                record = record.payload(payload);
            }
            loop {
                match producer.send(record) {
                    Ok(()) => break,
                    Err((_, returned)) => {
                        producer.poll(Duration::from_millis(50));
                        record = returned;
                    }
                }
            }
        }
        producer.flush(Duration::from_secs(30)).expect("flush");
    }
}

/// Reads a topic from the beginning, every partition, until `done` holds for the payloads
/// read so far (in partition-then-offset order per poll), or panics after `timeout`.
pub fn consume_until(
    address: &str,
    topic: &str,
    timeout: Duration,
    done: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    use rdkafka::message::Message;
    use rdkafka::{Offset, TopicPartitionList};
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", address)
        .set("group.id", "pathflow-test-reader")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(5))
        .expect("metadata");
    let partitions = metadata.topics()[0].partitions().len() as i32;
    let mut assignment = TopicPartitionList::new();
    for partition in 0..partitions {
        assignment
            .add_partition_offset(topic, partition, Offset::Beginning)
            .expect("partition");
    }
    consumer.assign(&assignment).expect("assign");
    let deadline = Instant::now() + timeout;
    let mut payloads = Vec::new();
    loop {
        if done(&payloads) {
            return payloads;
        }
        assert!(
            Instant::now() < deadline,
            "topic {topic}: condition not met within {timeout:?}; read {} messages: {payloads:?}",
            payloads.len()
        );
        if let Some(message) = consumer.poll(Duration::from_millis(100)) {
            let message = message.expect("consume");
            payloads
                .push(String::from_utf8_lossy(message.payload().unwrap_or_default()).into_owned());
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.kill();
    }
}
