//! Zero-latency stand-ins for Slack and SSM Incidents, for the benchmark only.
//!
//! The harness fakes of `versus-tests` (FakeSlack, FakeSsm) check every call like the real services do
//! and keep every request with its headers, raw body and parsed JSON: right for tests, but at 100,000
//! calls that is hundreds of megabytes in the bench process and a SigV4 verification per call on the
//! same two cores as the system under test. These answer at once and keep one small record per call:
//! the incident id and the time of receipt.

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// When a call arrived: `at` for latencies against the bench's own clock, `epoch_ms` against Redis time.
#[derive(Debug, Clone, Copy)]
pub struct Receipt {
    pub at: Instant,
    pub epoch_ms: f64,
}

impl Receipt {
    fn now() -> Self {
        Self {
            at: Instant::now(),
            epoch_ms: epoch_ms(),
        }
    }
}

pub fn epoch_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
        * 1000.0
}

#[derive(Debug, Clone, Copy)]
pub struct Started {
    pub first: Receipt,
    pub calls: u32,
}

#[derive(Default)]
pub struct Record {
    /// chat.postMessage by incident id (found in the ack link); the first receipt wins.
    pub posts: Mutex<HashMap<String, Receipt>>,
    pub post_calls: AtomicU64,
    pub update_calls: AtomicU64,
    /// StartIncident by clientToken.
    pub started: Mutex<HashMap<String, Started>>,
    pub start_calls: AtomicU64,
    ts: AtomicU64,
}

impl Record {
    pub fn clear(&self) {
        self.posts.lock().expect("lock").clear();
        self.started.lock().expect("lock").clear();
        self.post_calls.store(0, Ordering::SeqCst);
        self.update_calls.store(0, Ordering::SeqCst);
        self.start_calls.store(0, Ordering::SeqCst);
    }

    pub fn post_count(&self) -> u64 {
        self.post_calls.load(Ordering::SeqCst)
    }

    pub fn update_count(&self) -> u64 {
        self.update_calls.load(Ordering::SeqCst)
    }
}

pub struct Fakes {
    pub record: Arc<Record>,
    pub slack_url: String,
    pub ssm_url: String,
    handles: Vec<ServerHandle>,
}

impl Fakes {
    /// Starts both fakes on 127.0.0.1, on a thread of their own with one actix worker each.
    pub fn start() -> anyhow::Result<Self> {
        let record = Arc::new(Record::default());
        let slack = TcpListener::bind(("127.0.0.1", 0))?;
        let ssm = TcpListener::bind(("127.0.0.1", 0))?;
        let slack_url = format!("http://{}", slack.local_addr()?);
        let ssm_url = format!("http://{}", ssm.local_addr()?);
        let (tx, rx) = std::sync::mpsc::channel();
        let data = web::Data::from(record.clone());
        std::thread::Builder::new()
            .name("bench-fakes".into())
            .spawn(move || {
                let system = actix_rt::System::new();
                system.block_on(async move {
                    let slack_data = data.clone();
                    let slack = HttpServer::new(move || {
                        App::new()
                            .app_data(slack_data.clone())
                            .app_data(web::PayloadConfig::new(4 << 20))
                            .default_service(web::to(slack_call))
                    })
                    .workers(1)
                    .disable_signals()
                    .shutdown_timeout(0)
                    .listen(slack)
                    .expect("listen")
                    .run();
                    let ssm = HttpServer::new(move || {
                        App::new()
                            .app_data(data.clone())
                            .app_data(web::PayloadConfig::new(4 << 20))
                            .default_service(web::to(ssm_call))
                    })
                    .workers(1)
                    .disable_signals()
                    .shutdown_timeout(0)
                    .listen(ssm)
                    .expect("listen")
                    .run();
                    let _ = tx.send(vec![slack.handle(), ssm.handle()]);
                    let _ = futures_join(slack, ssm).await;
                });
            })?;
        let handles = rx.recv()?;
        Ok(Self {
            record,
            slack_url,
            ssm_url,
            handles,
        })
    }
}

async fn futures_join(
    a: actix_web::dev::Server,
    b: actix_web::dev::Server,
) -> (std::io::Result<()>, std::io::Result<()>) {
    tokio::join!(a, b)
}

impl Drop for Fakes {
    fn drop(&mut self) {
        for handle in &self.handles {
            drop(handle.stop(false));
        }
    }
}

/// The incident id in the ack link `.../ack/{id}.{signature}` of a Slack message.
fn incident_in_message(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("/ack/")? + 5;
    let end = text[start..].find('.')? + start;
    Some(text[start..end].to_string())
}

async fn slack_call(req: HttpRequest, body: web::Bytes, record: web::Data<Record>) -> HttpResponse {
    let receipt = Receipt::now();
    let ts = record.ts.fetch_add(1, Ordering::Relaxed);
    let path = req.path();
    if path.ends_with("chat.postMessage") {
        if let Some(id) = incident_in_message(&body) {
            record
                .posts
                .lock()
                .expect("lock")
                .entry(id)
                .or_insert(receipt);
        }
        record.post_calls.fetch_add(1, Ordering::SeqCst);
    } else {
        record.update_calls.fetch_add(1, Ordering::SeqCst);
    }
    HttpResponse::Ok()
        .content_type("application/json")
        .body(format!(
            r#"{{"ok":true,"channel":"C0BENCH","ts":"1700000000.{ts:06}","message":{{}}}}"#
        ))
}

async fn ssm_call(req: HttpRequest, body: web::Bytes, record: web::Data<Record>) -> HttpResponse {
    let receipt = Receipt::now();
    if req.path().ends_with("/startIncident") {
        let token = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["clientToken"].as_str().map(str::to_string))
            .unwrap_or_default();
        let arn =
            format!("arn:aws:ssm-incidents::123456789012:incident-record/VersusBench/{token}");
        {
            let mut started = record.started.lock().expect("lock");
            let entry = started.entry(token).or_insert(Started {
                first: receipt,
                calls: 0,
            });
            entry.calls += 1;
        }
        record.start_calls.fetch_add(1, Ordering::SeqCst);
        return HttpResponse::Ok()
            .content_type("application/json")
            .body(serde_json::json!({ "incidentRecordArn": arn }).to_string());
    }
    HttpResponse::Ok()
        .content_type("application/json")
        .body("{}")
}
