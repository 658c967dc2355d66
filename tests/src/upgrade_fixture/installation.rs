//! The API and worker of one release, run against a topology's Redis and fakes.

use std::path::Path;
use std::time::Duration;

use crate::process::VersusProcess;
use crate::topology::WORKER_STARTED_LOG;
use crate::{free_port, wait_until, Role, Topology};

/// How long a process may take to become healthy.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A `versus-api` and a `versus-worker` from the given executables, wired to a topology's Redis and fakes
/// (a topology started with no processes of its own). Ack links point at this API.
#[derive(Debug)]
pub struct Installation {
    pub api: VersusProcess,
    pub worker: Option<VersusProcess>,
    pub api_url: String,
    /// What the worker printed before [`stop_worker`](Self::stop_worker).
    stopped_worker_log: String,
}

impl Installation {
    pub async fn start(topo: &Topology, api: &Path, worker: &Path) -> Installation {
        let config = topo.config_path().display().to_string();
        let args = ["--config", config.as_str()];
        let (api_port, worker_port) = (free_port(), free_port());
        let api_url = format!("http://127.0.0.1:{api_port}");
        let env_of = |role, port| {
            let mut env = topo.process_env(role, port);
            env.push(("VERSUS_PUBLIC_HOST".into(), api_url.clone()));
            env
        };
        let mut api_process = VersusProcess::spawn_path(api, &args, &env_of(Role::Api, api_port));
        let mut worker_process =
            VersusProcess::spawn_path(worker, &args, &env_of(Role::Worker, worker_port));
        api_process
            .wait_http_ok(&format!("{api_url}/healthz"), START_TIMEOUT)
            .await;
        worker_process
            .wait_http_ok(
                &format!("http://127.0.0.1:{worker_port}/healthz"),
                START_TIMEOUT,
            )
            .await;
        wait_until(
            START_TIMEOUT,
            || {
                format!(
                    "the worker to log {WORKER_STARTED_LOG:?}; its log:\n{}",
                    worker_process.log_contents()
                )
            },
            async || worker_process.log_contents().contains(WORKER_STARTED_LOG),
        )
        .await;
        Installation {
            api: api_process,
            worker: Some(worker_process),
            api_url,
            stopped_worker_log: String::new(),
        }
    }

    /// SIGTERMs the worker and waits until it has handed back what it held and exited.
    pub async fn stop_worker(&mut self) {
        let Some(mut worker) = self.worker.take() else {
            return;
        };
        worker.sigterm();
        let status = worker.wait_exit(Duration::from_secs(40)).await;
        self.stopped_worker_log = worker.log_contents();
        assert!(
            status.is_some_and(|s| s.success()),
            "the worker did not stop cleanly ({status:?}); its log:\n{}",
            self.stopped_worker_log
        );
    }

    /// Everything the API and the worker printed.
    pub fn logs(&self) -> String {
        let worker = match &self.worker {
            Some(worker) => worker.log_contents(),
            None => self.stopped_worker_log.clone(),
        };
        format!(
            "----- versus-api -----\n{}\n----- versus-worker -----\n{worker}",
            self.api.log_contents()
        )
    }
}
