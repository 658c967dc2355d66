//! A closed-loop HTTP/1.1 load generator: `connections` keep-alive connections, each sending its next
//! request as soon as the previous answer is read. Built on hyper's connection-level client, so that the
//! client spends a few microseconds per request and the API, not the generator, is what saturates.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{CONTENT_TYPE, HOST};
use hyper::Request;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// Builds request `seq`: its path with query, and its body.
pub type Factory = Arc<dyn Fn(u64) -> (String, Bytes) + Send + Sync>;

#[derive(Clone)]
pub struct Plan {
    pub addr: SocketAddr,
    pub connections: usize,
    /// Requests started before `warmup` has passed are sent but not counted.
    pub warmup: Duration,
    /// Nothing new is started after warmup + measure.
    pub measure: Duration,
    /// Nothing new is started after this many requests (warmup included).
    pub max_requests: u64,
    /// Keep the `id` of each `201` answer (with its request's seq).
    pub keep_ids: bool,
}

#[derive(Debug, Default)]
pub struct Outcome {
    /// `201`s completed inside the measurement window.
    pub ok: u64,
    /// Other statuses or transport errors, over the whole run.
    pub failed: u64,
    pub first_failure: Option<String>,
    /// Seconds from the end of warmup to the last counted completion.
    pub window: f64,
    /// Latency of each counted request, in milliseconds.
    pub latencies_ms: Vec<f64>,
    /// (seq, incident id, sent at) of every `201`, when asked for.
    pub ids: Vec<(u64, String, Instant)>,
    pub sent: u64,
}

impl Outcome {
    pub fn rate(&self) -> f64 {
        if self.window > 0.0 {
            self.ok as f64 / self.window
        } else {
            0.0
        }
    }
}

struct Shared {
    plan: Plan,
    factory: Factory,
    seq: Arc<AtomicU64>,
    issued: AtomicU64,
    start: Instant,
}

/// Runs the plan; `seq` numbers the requests (shared across runs so every body stays unique).
pub async fn run(plan: Plan, factory: Factory, seq: Arc<AtomicU64>) -> Outcome {
    let shared = Arc::new(Shared {
        plan: plan.clone(),
        factory,
        seq,
        issued: AtomicU64::new(0),
        start: Instant::now(),
    });
    let tasks: Vec<_> = (0..plan.connections)
        .map(|_| tokio::spawn(connection(shared.clone())))
        .collect();
    let mut total = Outcome::default();
    let mut last_done = shared.start + plan.warmup;
    for task in tasks {
        let (part, last) = task.await.expect("a load task panicked");
        total.ok += part.ok;
        total.failed += part.failed;
        total.sent += part.sent;
        if total.first_failure.is_none() {
            total.first_failure = part.first_failure;
        }
        total.latencies_ms.extend(part.latencies_ms);
        total.ids.extend(part.ids);
        last_done = last_done.max(last);
    }
    total.window = (last_done - (shared.start + plan.warmup)).as_secs_f64();
    total
}

async fn connect(
    addr: SocketAddr,
) -> Result<hyper::client::conn::http1::SendRequest<Full<Bytes>>, String> {
    let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

async fn connection(shared: Arc<Shared>) -> (Outcome, Instant) {
    let plan = &shared.plan;
    let measure_from = shared.start + plan.warmup;
    let stop_at = measure_from + plan.measure;
    let mut out = Outcome::default();
    let mut last_done = measure_from;
    let mut sender = None;
    let mut reconnects = 0;
    loop {
        if Instant::now() >= stop_at
            || shared.issued.fetch_add(1, Ordering::Relaxed) >= plan.max_requests
        {
            break;
        }
        if sender.is_none() {
            match connect(plan.addr).await {
                Ok(s) => sender = Some(s),
                Err(e) => {
                    out.failed += 1;
                    out.first_failure.get_or_insert(format!("connect: {e}"));
                    reconnects += 1;
                    if reconnects > 20 {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            }
        }
        let s = sender.as_mut().expect("connected above");
        let seq = shared.seq.fetch_add(1, Ordering::Relaxed);
        let (path, body) = (shared.factory)(seq);
        let request = Request::post(path)
            .header(HOST, "127.0.0.1")
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(body))
            .expect("a valid request");
        let started = Instant::now();
        out.sent += 1;
        let answer = async {
            s.ready().await.map_err(|e| e.to_string())?;
            let response = s.send_request(request).await.map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok::<_, String>((status, body))
        }
        .await;
        let done = Instant::now();
        match answer {
            Ok((201, body)) => {
                if started >= measure_from {
                    out.ok += 1;
                    out.latencies_ms
                        .push((done - started).as_secs_f64() * 1000.0);
                    last_done = last_done.max(done);
                }
                if plan.keep_ids {
                    if let Some(id) = incident_id(&body) {
                        out.ids.push((seq, id, started));
                    }
                }
            }
            Ok((status, body)) => {
                out.failed += 1;
                out.first_failure.get_or_insert_with(|| {
                    format!("HTTP {status}: {}", String::from_utf8_lossy(&body))
                });
            }
            Err(e) => {
                out.failed += 1;
                out.first_failure.get_or_insert(e);
                sender = None;
            }
        }
    }
    (out, last_done)
}

/// The `"id"` of an ingest answer, without parsing the whole JSON.
pub fn incident_id(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("\"id\":\"")? + 6;
    let end = text[start..].find('"')? + start;
    Some(text[start..end].to_string())
}
