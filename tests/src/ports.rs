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

/// `n` distinct ports on 127.0.0.1, each free a moment ago together with port + 10000, which a Redis
/// Cluster node binds for its cluster bus. Taken from 20000-29999, below the kernel's ephemeral range, so
/// that the bus port is a valid port and [`free_port`] never hands either out. The listeners are held
/// until all `n` are found, so no port is given twice.
pub fn free_cluster_ports(n: usize) -> Vec<u16> {
    let start = u64::from(std::process::id()) * 7919 + now_nanos();
    let mut held = Vec::new();
    for i in 0..10_000u64 {
        if held.len() == n {
            break;
        }
        let port = 20_000 + ((start + i * 13) % 10_000) as u16;
        if let (Ok(a), Ok(b)) = (
            TcpListener::bind(("127.0.0.1", port)),
            TcpListener::bind(("127.0.0.1", port + 10_000)),
        ) {
            held.push((port, a, b));
        }
    }
    assert_eq!(
        held.len(),
        n,
        "not {n} free port pairs (p, p + 10000) in 20000-29999 on 127.0.0.1"
    );
    held.into_iter().map(|(port, _, _)| port).collect()
}

fn now_nanos() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::from(d.subsec_nanos()))
        .unwrap_or(0)
}
