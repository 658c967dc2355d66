//! A private `redis-server` process per test.
//!
//! Versus's guarantees (nothing lost when Redis restarts, workers reconnect, memory stays bounded)
//! can only be shown against a real Redis that the test can kill, restart and inspect. Each
//! [`RedisServer`] owns its process, its port and its data directory, so tests never share state
//! and never touch a Redis that someone else runs on the machine.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::ports::free_port;

/// How long [`RedisServer`] waits for a started server to answer PING.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Options for [`RedisServer::start_with`].
#[derive(Debug, Clone)]
pub struct RedisOptions {
    /// Persist with the append-only file (`--appendonly yes`), as production does.
    pub aof: bool,
    /// `--maxmemory` in bytes; `None` leaves Redis unbounded.
    pub maxmemory: Option<u64>,
    /// `--requirepass`: clients must AUTH with this password; it is then part of [`RedisServer::url`].
    pub password: Option<String>,
    /// Further `redis-server` arguments, appended as given (for example `["--maxmemory-policy", "allkeys-lru"]`).
    pub extra_args: Vec<String>,
    /// The port to listen on; `None` takes a free one. Cluster nodes need one whose port + 10000 is free too
    /// ([`free_cluster_ports`](crate::ports::free_cluster_ports)).
    pub port: Option<u16>,
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            aof: true,
            maxmemory: None,
            password: None,
            extra_args: Vec::new(),
            port: None,
        }
    }
}

/// A `redis-server` child process listening on 127.0.0.1 only, with its data in a temporary directory.
///
/// Dropping it kills the process and removes the directory.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    opts: RedisOptions,
    // Declared after `child` so the process is killed (in Drop) before the directory goes away.
    dir: TempDir,
    log_path: PathBuf,
}

impl RedisServer {
    /// Starts a server with AOF persistence on, like production.
    pub fn start() -> Self {
        Self::start_with(RedisOptions::default())
    }

    /// Starts a server with the given options and waits until it answers PING.
    pub fn start_with(opts: RedisOptions) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("versus-redis-")
            .tempdir()
            .unwrap_or_else(|e| {
                panic!("cannot create a temporary directory for redis-server: {e}")
            });
        let log_path = dir.path().join("redis.log");
        let mut server = Self {
            child: None,
            port: opts.port.unwrap_or_else(free_port),
            opts,
            dir,
            log_path,
        };
        server.spawn_and_wait();
        server
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The connection URL, `redis://127.0.0.1:P/` (with `:password@` when one is set).
    pub fn url(&self) -> String {
        match &self.opts.password {
            Some(pw) => format!("redis://:{pw}@127.0.0.1:{}/", self.port),
            None => format!("redis://127.0.0.1:{}/", self.port),
        }
    }

    /// The data directory (holds `appendonlydir/` when AOF is on, and the log file).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The OS process id, while the server runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// A client for this server (no connection is made yet).
    pub fn client(&self) -> redis::Client {
        redis::Client::open(self.url())
            .unwrap_or_else(|e| panic!("invalid redis url {}: {e}", self.url()))
    }

    /// A multiplexed async connection, for tests that inspect or seed Redis.
    pub async fn conn(&self) -> redis::aio::MultiplexedConnection {
        self.client()
            .get_multiplexed_async_connection()
            .await
            .unwrap_or_else(|e| panic!("cannot connect to redis at {}: {e}", self.url()))
    }

    /// Everything redis-server printed so far (it appends across restarts).
    pub fn log_contents(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// SIGKILLs the server and waits for it to exit. Data not yet written to the AOF is lost, as in a crash.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // An error means the process already exited; wait() below still reaps it.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERMs the server (it writes what it must and exits) and waits up to 10 s, then SIGKILLs.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            crate::process::send_sigterm(child.id());
            let deadline = Instant::now() + START_TIMEOUT;
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the server with SIGKILL and starts it again on the same port and directory, so it
    /// reloads its AOF; returns once it answers PING and has finished loading.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn_and_wait();
    }

    /// Starts the server again after [`kill`](Self::kill) or [`stop`](Self::stop), on the same port and directory.
    pub fn start_again(&mut self) {
        assert!(
            self.child.is_none(),
            "redis-server is still running; kill or stop it first"
        );
        self.spawn_and_wait();
    }

    /// `used_memory` from `INFO memory`, in bytes.
    pub fn used_memory(&self) -> u64 {
        let info = self.info("memory");
        info_field(&info, "used_memory")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("INFO memory has no used_memory field:\n{info}"))
    }

    /// The text of `INFO <section>`, read over a blocking connection.
    pub fn info(&self, section: &str) -> String {
        let mut con = self
            .client()
            .get_connection_with_timeout(Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("cannot connect to redis at {}: {e}", self.url()));
        redis::cmd("INFO")
            .arg(section)
            .query(&mut con)
            .unwrap_or_else(|e| panic!("INFO {section} failed: {e}"))
    }

    fn spawn_and_wait(&mut self) {
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", self.log_path.display()));
        let log_err = log
            .try_clone()
            .unwrap_or_else(|e| panic!("cannot duplicate the redis log handle: {e}"));
        let mut cmd = Command::new("redis-server");
        cmd.arg("--bind")
            .arg("127.0.0.1")
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--save")
            .arg("")
            .arg("--appendonly")
            .arg(if self.opts.aof { "yes" } else { "no" })
            .arg("--appendfsync")
            .arg("everysec")
            .arg("--daemonize")
            .arg("no");
        if let Some(bytes) = self.opts.maxmemory {
            cmd.arg("--maxmemory").arg(bytes.to_string());
        }
        if let Some(pw) = &self.opts.password {
            cmd.arg("--requirepass").arg(pw);
        }
        cmd.args(&self.opts.extra_args)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err);
        let child = match cmd.spawn() {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                panic!("redis-server is not on PATH; install redis-server: apt-get install -y redis-server")
            }
            Err(e) => panic!("cannot start redis-server: {e}"),
        };
        self.child = Some(child);
        self.wait_ready();
    }

    /// Polls until PING answers PONG and `INFO persistence` says `loading:0`, or panics after 10 s.
    fn wait_ready(&mut self) {
        let deadline = Instant::now() + START_TIMEOUT;
        let mut last_error = String::from("no attempt yet");
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!(
                        "redis-server exited during startup ({status}); its log:\n{}",
                        self.log_contents()
                    );
                }
            }
            match self.ping_and_loaded() {
                Ok(true) => return,
                Ok(false) => last_error = "still loading the dataset".into(),
                Err(e) => last_error = e.to_string(),
            }
            sleep(Duration::from_millis(25));
        }
        panic!(
            "redis-server on port {} did not become ready within {START_TIMEOUT:?} (last: {last_error}); its log:\n{}",
            self.port,
            self.log_contents()
        );
    }

    fn ping_and_loaded(&self) -> redis::RedisResult<bool> {
        let mut con = self
            .client()
            .get_connection_with_timeout(Duration::from_millis(500))?;
        let pong: String = redis::cmd("PING").query(&mut con)?;
        if pong != "PONG" {
            return Ok(false);
        }
        let info: String = redis::cmd("INFO").arg("persistence").query(&mut con)?;
        Ok(info_field(&info, "loading") == Some("0"))
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Reads `name:value` from the text of an INFO reply.
fn info_field<'a>(info: &'a str, name: &str) -> Option<&'a str> {
    info.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key == name).then(|| value.trim())
    })
}
