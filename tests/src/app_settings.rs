//! Settings for tests that run the real actix app in-process against a private Redis: on-call ready, with
//! a fixed ack secret and response plan, and Slack interactivity when a signing secret is given.

use crate::RedisServer;
use versus_shared::infra::config::Settings;
use versus_shared::infra::secret::Secret;

pub fn oncall_app_settings(redis: &RedisServer, signing_secret: Option<&str>) -> Settings {
    let mut settings = Settings::default();
    settings.redis.port = redis.port();
    settings.public_host = "https://versus.example.com".into();
    settings.oncall.enable = true;
    settings.oncall.ack_secret = Some(Secret::new("ack-secret-0123456789"));
    settings.oncall.aws_incident_manager.response_plan_arn =
        "arn:aws:ssm-incidents::123456789012:response-plan/P".into();
    settings.alert.slack.signing_secret = signing_secret.map(Secret::new);
    settings
}
