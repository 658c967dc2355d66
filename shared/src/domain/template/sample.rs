//! The payloads `--check` and tests render templates against.

/// A realistic Alertmanager v4 webhook body: `--check` renders templates against it, and so do tests.
pub const SAMPLE_ALERTMANAGER_JSON: &str = include_str!("sample_alertmanager.json");

/// The ack link used when `--check` renders a template as if on-call applied.
pub const SAMPLE_ACK_URL: &str = "https://versus.example.com/api/incidents/ack/sample-token";

/// The wait before paging used when `--check` renders a template as if on-call applied: the default
/// `oncall.wait_minutes`.
pub const SAMPLE_ESCALATE_AFTER_MS: i64 = 3 * 60_000;

/// [`SAMPLE_ALERTMANAGER_JSON`], parsed.
pub fn sample_alertmanager_payload() -> serde_json::Value {
    // The file is checked by a unit test, so this cannot fail in a build that passed its tests.
    serde_json::from_str(SAMPLE_ALERTMANAGER_JSON).unwrap_or(serde_json::Value::Null)
}

/// A free-form body as the product documentation sends it with `curl`.
pub fn sample_freeform_payload() -> serde_json::Value {
    serde_json::json!({
        "Logs": "[CRITICAL] This is a critical alert that SHOULD trigger on-call",
        "ServiceName": "test-service",
        "Severity": "critical"
    })
}
