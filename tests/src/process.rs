//! Running the real `versus-api` and `versus-worker` binaries as child processes.
//!
//! Cross-process tests exercise what a unit test cannot: signals, restarts, config loading from the
//! environment, and the real SDK and HTTP clients talking to the fakes. Each [`VersusProcess`]
//! captures its output in a log file that a failing test prints, and is killed when dropped.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use crate::fake_ssm::{DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};
use crate::wait::{poll_until, wait_until};

/// The name of the API binary.
pub const API_BIN: &str = "versus-api";
/// The name of the worker binary.
pub const WORKER_BIN: &str = "versus-worker";

/// AWS variables that could send the SDK to a real profile, role or metadata endpoint; removed from
/// every child's environment before the test's own variables are applied.
const AWS_VARS_TO_CLEAR: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
];

/// Environment for a child that uses the AWS SDK against FakeSsm with the fake's default credentials.
pub fn aws_test_env(fake_ssm_url: &str) -> Vec<(String, String)> {
    aws_test_env_with(fake_ssm_url, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)
}

/// Like [`aws_test_env`] with other credentials (for a FakeSsm started with `start_with`, or to
/// prove that a wrong secret is refused).
///
/// Static keys come first in the SDK's credential chain, the region is fixed, the endpoint is
/// overridden for `ssm-incidents` only, instance metadata is off, and the shared config and
/// credentials files are empty, so nothing can reach beyond 127.0.0.1.
pub fn aws_test_env_with(
    fake_ssm_url: &str,
    access_key: &str,
    secret_key: &str,
) -> Vec<(String, String)> {
    [
        ("AWS_ACCESS_KEY_ID", access_key),
        ("AWS_SECRET_ACCESS_KEY", secret_key),
        ("AWS_REGION", "us-east-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_ENDPOINT_URL_SSM_INCIDENTS", fake_ssm_url),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// The directory cargo put this workspace's binaries in (`target/<profile>/`).
///
/// Derived from the running test executable (`target/<profile>/deps/<test>`), or from
/// `CARGO_TARGET_DIR`; panics when the binary is in neither, saying how to build it.
pub fn binary_path(name: &str) -> PathBuf {
    let mut candidates = Vec::new();
    let exe =
        std::env::current_exe().unwrap_or_else(|e| panic!("cannot find the test executable: {e}"));
    let mut profile = "debug".to_string();
    if let Some(dir) = exe.parent() {
        let profile_dir = if dir.ends_with("deps") {
            dir.parent().unwrap_or(dir)
        } else {
            dir
        };
        if let Some(p) = profile_dir.file_name() {
            profile = p.to_string_lossy().into_owned();
        }
        candidates.push(profile_dir.join(name));
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        candidates.push(PathBuf::from(target).join(&profile).join(name));
    }
    candidates.into_iter().find(|p| p.is_file()).unwrap_or_else(|| {
        panic!("binary {name} not found next to the test executable or in CARGO_TARGET_DIR; run `cargo build --workspace --bins` first")
    })
}

/// A running Versus binary with its output captured to a log file.
#[derive(Debug)]
pub struct VersusProcess {
    name: String,
    pid: u32,
    child: Option<Child>,
    status: Option<ExitStatus>,
    log_path: PathBuf,
    _log_dir: TempDir,
}

impl VersusProcess {
    /// Spawns `binary` (a name such as [`API_BIN`], found with [`binary_path`]) with `args`, the
    /// test's environment minus AWS redirection variables, plus `envs`.
    pub fn spawn(binary: &str, args: &[&str], envs: &[(String, String)]) -> Self {
        Self::spawn_path(&binary_path(binary), args, envs)
    }

    /// Like [`spawn`](Self::spawn) for an executable given by path (a helper program, or the test
    /// executable itself re-run in a child mode).
    pub fn spawn_path(path: &Path, args: &[&str], envs: &[(String, String)]) -> Self {
        let binary = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let log_dir = tempfile::Builder::new()
            .prefix(&format!("{binary}-"))
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a log directory for {binary}: {e}"));
        let log_path = log_dir.path().join("output.log");
        let log = File::create(&log_path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", log_path.display()));
        let log_err = log
            .try_clone()
            .unwrap_or_else(|e| panic!("cannot duplicate a log handle: {e}"));
        let mut cmd = Command::new(path);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err);
        for var in AWS_VARS_TO_CLEAR {
            cmd.env_remove(var);
        }
        cmd.envs(envs.iter().map(|(k, v)| (k, v)));
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", path.display()));
        Self {
            name: binary,
            pid: child.id(),
            child: Some(child),
            status: None,
            log_path,
            _log_dir: log_dir,
        }
    }

    /// The OS process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Everything the process printed to stdout and stderr so far.
    pub fn log_contents(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Polls `url` with GET until it answers 2xx; panics with the process log if `timeout` passes or
    /// the process exits first.
    pub async fn wait_http_ok(&mut self, url: &str, timeout: Duration) {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .no_proxy()
            .build()
            .expect("reqwest client");
        let (name, log_path) = (self.name.clone(), self.log_path.clone());
        let awaited = || {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            format!("{name} to answer 2xx on {url}; its log:\n{log}")
        };
        wait_until(timeout, awaited, async || {
            if let Some(status) = self.try_status() {
                panic!(
                    "{} exited with {status} before {url} answered; its log:\n{}",
                    self.name,
                    self.log_contents()
                );
            }
            match client.get(url).send().await {
                Ok(resp) if resp.status().is_success() => Ok(()),
                Ok(resp) => Err(format!("HTTP {}", resp.status())),
                Err(e) => Err(e.to_string()),
            }
        })
        .await;
    }

    /// Sends SIGTERM (graceful shutdown).
    pub fn sigterm(&self) {
        if self.status.is_none() {
            send_sigterm(self.pid());
        }
    }

    /// Sends SIGKILL (a crash); does not wait.
    pub fn sigkill(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
        }
    }

    /// The exit status if the process has exited (reaping it).
    pub fn try_status(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            if let Some(child) = self.child.as_mut() {
                self.status = child.try_wait().ok().flatten();
            }
        }
        self.status
    }

    /// Waits up to `timeout` for the process to exit; `None` if it is still running.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        poll_until(timeout, async || self.try_status()).await
    }
}

impl Drop for VersusProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            let log = self.log_contents();
            let tail: String = log
                .chars()
                .rev()
                .take(20_000)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            eprintln!(
                "----- log of {} (pid was {}) -----\n{tail}\n----- end of log -----",
                self.name,
                self.pid()
            );
        }
    }
}

/// Sends SIGTERM to `pid` with the `kill` command (no libc bindings needed).
pub(crate) fn send_sigterm(pid: u32) {
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("cannot run `kill -TERM {pid}` (is procps installed?): {e}"));
    // A non-zero status means the process had already exited, which callers treat as done.
    let _ = status;
}
