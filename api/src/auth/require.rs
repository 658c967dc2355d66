//! The middleware that refuses a request without valid ingest credentials: `401` with one
//! `WWW-Authenticate` challenge per configured scheme, before the handler runs or the body is read.

use super::credentials::Refusal;
use crate::state::AppState;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use serde_json::json;

/// Use with `actix_web::middleware::from_fn`. Lets every request through when `ingest_auth` is not set.
pub async fn require_ingest_auth<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let credentials = req
        .app_data::<web::Data<AppState>>()
        .and_then(|state| state.ingest_credentials.clone());
    let Some(credentials) = credentials else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|value| value.as_bytes());
    match credentials.check(presented) {
        Ok(()) => Ok(next.call(req).await?.map_into_left_body()),
        Err(refusal) => {
            let response = unauthorized(refusal, &credentials.challenges());
            Ok(req.into_response(response).map_into_right_body())
        }
    }
}

fn unauthorized(refusal: Refusal, challenges: &[&'static str]) -> HttpResponse {
    metrics::counter!("versus_ingest_rejected_total", "reason" => "unauthorized").increment(1);
    tracing::warn!(
        reason = refusal.describe(),
        "webhook rejected: 401, check the sender's credentials against ingest_auth"
    );
    let mut response = HttpResponse::Unauthorized();
    for challenge in challenges {
        response.append_header((header::WWW_AUTHENTICATE, *challenge));
    }
    response.json(json!({
        "error": format!("{}; send Authorization: Bearer TOKEN or HTTP Basic credentials from ingest_auth", refusal.describe())
    }))
}
