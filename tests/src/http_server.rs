//! Runs an actix-web app on its own thread with its own actix system.
//!
//! The fakes must work the same from `#[tokio::test]` (any flavour) and `#[actix_web::test]`, and must
//! keep answering while a test blocks its own runtime (for example in `RedisServer::restart`). A
//! dedicated thread with its own `actix_rt::System` gives both: the fake never depends on the caller's
//! runtime. Signals are left to the test process so Ctrl-C still works.

use std::thread;

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpServer};

use crate::ports::bind_loopback;

/// An HTTP server on 127.0.0.1 running on a background thread; stopped when dropped.
#[derive(Debug)]
pub(crate) struct BackgroundServer {
    handle: ServerHandle,
    port: u16,
}

impl BackgroundServer {
    /// Binds a free loopback port and serves `App::new().configure(configure)` on it.
    pub(crate) fn start<C>(name: &str, configure: C) -> Self
    where
        C: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
    {
        let listener = bind_loopback();
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("{name}: cannot read the bound address: {e}"))
            .port();
        let (tx, rx) = std::sync::mpsc::channel();
        let thread_name = format!("{name}-{port}");
        let spawn_name = name.to_string();
        thread::Builder::new()
            .name(thread_name)
            .spawn(move || {
                let system = actix_rt::System::new();
                system.block_on(async move {
                    let server = HttpServer::new(move || App::new().configure(configure.clone()))
                        .workers(1)
                        .disable_signals()
                        .shutdown_timeout(0)
                        .listen(listener)
                        .unwrap_or_else(|e| panic!("{spawn_name}: cannot listen: {e}"))
                        .run();
                    // The receiver only goes away if the starting test already panicked.
                    let _ = tx.send(server.handle());
                    if let Err(e) = server.await {
                        eprintln!("{spawn_name}: server stopped with an error: {e}");
                    }
                });
            })
            .unwrap_or_else(|e| panic!("{name}: cannot spawn the server thread: {e}"));
        let handle = rx
            .recv()
            .unwrap_or_else(|_| panic!("{name}: the server thread died before it started"));
        Self { handle, port }
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for BackgroundServer {
    fn drop(&mut self) {
        // `stop` sends its command at once; the returned future only waits for completion, which the
        // server thread finishes by itself.
        drop(self.handle.stop(false));
    }
}
