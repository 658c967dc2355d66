//! Building and running the HTTP server. `Application::build` can bind port 0, so tests run the real app.

use crate::auth::{require_ingest_auth, IngestCredentials};
use crate::ingest::budget::BodyBudget;
use crate::ingest::offload::Offload;
use crate::routes::ack_headers::ack_security_headers;
use crate::routes::link_answers::LINK_BODY_LIMIT;
use crate::routes::{ack, health, heartbeats, ingest, noise, reports, slack_interactions};
use crate::state::AppState;
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use std::net::TcpListener;
use std::sync::Arc;
use versus_shared::domain::ack_token::AckSigner;
use versus_shared::domain::heartbeat::HeartbeatStore;
use versus_shared::domain::incident::IncidentStore;
use versus_shared::domain::report::ReportReader;
use versus_shared::infra::config::Settings;
use versus_shared::infra::health::RedisHealth;
use versus_shared::infra::redis_conn::RedisConnection;
use versus_shared::infra::telemetry::Redactor;

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Binds `host:port` from the settings (port 0 picks a free one) and prepares the server.
    pub fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener =
            TcpListener::bind((settings.host.as_str(), settings.port)).with_context(|| {
                format!(
                    "cannot listen on {}:{}; is another process using the port?",
                    settings.host, settings.port
                )
            })?;
        let port = listener.local_addr()?.port();
        let state = app_state(settings)?;
        let server =
            HttpServer::new(move || App::new().configure(|cfg| configure(cfg, state.clone())))
                .listen(listener)?
                .shutdown_timeout(25)
                .run();
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

pub fn app_state(settings: Settings) -> anyhow::Result<AppState> {
    let redis =
        RedisConnection::from_settings(&settings.redis).context("invalid Redis settings")?;
    let incidents = IncidentStore::from_settings(redis.clone(), &settings);
    let heartbeats = HeartbeatStore::from_settings(redis.clone(), &settings);
    // A connection of its own: a report's day-sized replies must not hold up ingest's on the shared one.
    let report_conn =
        RedisConnection::from_settings(&settings.redis).context("invalid Redis settings")?;
    let reports = ReportReader::from_settings(report_conn, &settings);
    let signer = AckSigner::from_settings(&settings);
    Ok(AppState {
        body_budget: BodyBudget::new(settings.alert.body_budget_bytes),
        offload: Offload::default(),
        redactor: Redactor::from_settings(&settings),
        ingest_credentials: settings
            .ingest_auth
            .as_ref()
            .map(|auth| Arc::new(IngestCredentials::from_settings(auth))),
        settings: Arc::new(settings),
        incidents,
        heartbeats,
        reports,
        redis,
        health: RedisHealth::new(),
        signer,
        metrics: {
            let handle = versus_shared::infra::metrics::install();
            versus_shared::infra::metrics::describe_api();
            handle
        },
    })
}

/// All routes of versus-api.
pub fn configure(cfg: &mut web::ServiceConfig, state: AppState) {
    cfg.app_data(web::Data::new(state))
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(health::metrics))
        .route(
            "/api/slack/interactions",
            web::post().to(slack_interactions::interactions),
        );
    for path in ["/api/incidents", "/api/incidents/"] {
        cfg.service(
            web::resource(path)
                .wrap(from_fn(require_ingest_auth))
                .route(web::post().to(ingest::ingest)),
        );
    }
    // Beats and the list take the ingest credentials too: a beat is what keeps a page from being sent.
    cfg.service(
        web::resource("/api/heartbeats/{name}")
            .wrap(from_fn(require_ingest_auth))
            .route(web::post().to(heartbeats::beat)),
    );
    cfg.service(
        web::resource("/api/heartbeats")
            .wrap(from_fn(require_ingest_auth))
            .route(web::get().to(heartbeats::list)),
    );
    // The report tells who acked what: it takes the ingest credentials too.
    cfg.service(
        web::resource("/api/reports/oncall")
            .wrap(from_fn(require_ingest_auth))
            .route(web::get().to(reports::oncall)),
    );
    // HEAD answers as GET does (actix sends no body) and, like GET, changes nothing.
    for base in ["/api/incidents/ack/{token}", "/api/ack/{token}"] {
        cfg.service(
            web::resource(base)
                .app_data(web::PayloadConfig::new(LINK_BODY_LIMIT))
                .wrap(ack_security_headers())
                .route(web::get().to(ack::show))
                .route(web::head().to(ack::show))
                .route(web::post().to(ack::acknowledge)),
        );
    }
    for base in ["/api/incidents/noise/{token}", "/api/noise/{token}"] {
        cfg.service(
            web::resource(base)
                .app_data(web::PayloadConfig::new(LINK_BODY_LIMIT))
                .wrap(ack_security_headers())
                .route(web::post().to(noise::mark)),
        );
    }
}
