//! Free TCP ports on the loopback interface.
//!
//! Processes that the harness spawns (redis-server, versus-api, versus-worker) take their port from
//! the command line or config, so the harness must pick one for them. Binding port 0 lets the kernel
//! choose an unused port; the listener is dropped at once so the child can bind it. There is a short
//! window in which another process could take the port, which is acceptable for tests on one machine.

use std::net::TcpListener;

/// Returns a TCP port on 127.0.0.1 that was free a moment ago.
///
/// Panics if the kernel cannot give a port (the loopback interface is down or ports are exhausted).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .unwrap_or_else(|e| panic!("cannot bind 127.0.0.1:0 to find a free port: {e}"));
    listener
        .local_addr()
        .unwrap_or_else(|e| panic!("cannot read the local address of a bound socket: {e}"))
        .port()
}

/// Returns a std listener already bound to a free port on 127.0.0.1.
///
/// The fake servers use this instead of [`free_port`] so that there is no window in which the port
/// could be taken between choosing it and binding it.
pub fn bind_loopback() -> TcpListener {
    TcpListener::bind(("127.0.0.1", 0))
        .unwrap_or_else(|e| panic!("cannot bind 127.0.0.1:0 for a fake server: {e}"))
}
