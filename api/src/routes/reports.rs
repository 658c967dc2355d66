//! `GET /api/reports/oncall?days=N`: the on-call report of the last N UTC days (today included), as JSON
//! (docs/reports.md). It reads two keys per day, never the incidents themselves, on a Redis connection of its
//! own (so a report's replies never queue behind or ahead of ingest's), one report at a time (`429` meanwhile),
//! and takes the ingest credentials when `ingest_auth` is set.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use versus_shared::domain::report::{today, ReportError};

/// Days when the request names none: a week, as the weekly review wants.
const DEFAULT_DAYS: u32 = 7;

/// The `days` the query asks for; every other parameter, a repeated `days` or a value that is not a whole
/// number from 1 to `max` is refused naming what is wrong.
fn requested_days(query: &str, max: u32) -> Result<u32, ApiError> {
    let range = || format!("days must be a whole number from 1 to {max} (reports.retention_days)");
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).map_err(|_| {
        ApiError::bad_request(
            "bad_query",
            format!("the query string does not parse; {}", range()),
        )
    })?;
    let mut days = None;
    for (name, value) in pairs {
        if name != "days" {
            return Err(ApiError::bad_request(
                "bad_query",
                format!("unknown query parameter {name:?}; this endpoint takes only `days`"),
            ));
        }
        if days.is_some() {
            return Err(ApiError::bad_request(
                "bad_query",
                "days is given more than once",
            ));
        }
        let parsed = value
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                let shown: String = value.chars().take(32).collect();
                ApiError::bad_request("bad_days", format!("{}; got {shown:?}", range()))
            })?;
        days = Some(parsed);
    }
    Ok(days.unwrap_or(DEFAULT_DAYS.min(max)))
}

pub async fn oncall(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let days = requested_days(req.query_string(), state.reports.max_days())?;
    let budget = state.settings.redis.request_budget();
    match tokio::time::timeout(budget, state.reports.report(days, today())).await {
        Ok(Ok(report)) => Ok(HttpResponse::Ok()
            .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
            .json(report)),
        Ok(Err(ReportError::Busy)) => Ok(HttpResponse::TooManyRequests()
            .insert_header((actix_web::http::header::RETRY_AFTER, "5"))
            .json(serde_json::json!({ "error": ReportError::Busy.to_string() }))),
        Ok(Err(ReportError::Days { .. })) => Err(ApiError::bad_request(
            "bad_days",
            format!(
                "days must be a whole number from 1 to {}",
                state.reports.max_days()
            ),
        )),
        Ok(Err(error)) => {
            tracing::error!(%error, "cannot read the on-call report");
            Err(ApiError::Unavailable)
        }
        Err(_) => Err(ApiError::Unavailable),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_must_be_a_whole_number_within_retention() {
        assert_eq!(requested_days("", 90).unwrap(), 7);
        assert_eq!(requested_days("", 3).unwrap(), 3);
        assert_eq!(requested_days("days=1", 90).unwrap(), 1);
        assert_eq!(requested_days("days=90", 90).unwrap(), 90);
        for bad in [
            "days=0",
            "days=91",
            "days=-1",
            "days=7.5",
            "days=abc",
            "days=",
            "days=1&days=2",
            "day=7",
            "days=99999999999999",
        ] {
            let error = requested_days(bad, 90).unwrap_err();
            assert!(
                matches!(error, ApiError::BadRequest { .. }),
                "{bad}: {error}"
            );
        }
        assert!(requested_days("days=0", 90)
            .unwrap_err()
            .to_string()
            .contains("from 1 to 90"));
    }
}
