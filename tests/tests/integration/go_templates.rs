//! The product documentation's Slack templates, pasted verbatim as the message template, post through the real
//! binaries the same text Go's `text/template` renders for the same payload (the golden files of
//! `tests/golden/gotemplate`, written by Go), after the layout every Slack message gets (line ends trimmed,
//! blank runs collapsed).

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;
use versus_shared::domain::mrkdwn::normalize_lines;
use versus_tests::alerts::created;
use versus_tests::slack_messages::wait_post;
use versus_tests::Topology;

/// The ack link the Go reference program puts into the data, escaped as payload text is.
const GOLDEN_ACK_URL: &str = "https://versus.example.com/ack/inc-1?sig=abc&amp;exp=1";

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden/gotemplate")
}

/// The real ack link in a posted text replaced by the golden one, so the texts can be compared.
fn with_golden_ack_url(text: &str) -> String {
    const LINK_TEXT: &str = "|Click here to acknowledge>";
    let Some(end) = text.find(LINK_TEXT) else {
        return text.to_string();
    };
    let start = text[..end].rfind('<').expect("the ack link opens with <") + 1;
    format!("{}{GOLDEN_ACK_URL}{}", &text[..start], &text[end..])
}

async fn posts_what_go_renders(template: &str, marker: &str) {
    let dir = std::env::temp_dir().join(format!("versus-go-template-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(dir.join("config")).unwrap();
    let template_path = dir.join("config/slack_message.tmpl");
    std::fs::copy(
        golden_dir().join(format!("templates/{template}.tmpl")),
        &template_path,
    )
    .unwrap();
    let topo = Topology::builder()
        .oncall_enabled()
        .env(
            "VERSUS__ALERT__SLACK__TEMPLATE_PATH",
            template_path.display().to_string(),
        )
        .start()
        .await;
    let payload: Value = serde_json::from_str(
        &std::fs::read_to_string(golden_dir().join("payloads/alertmanager.json")).unwrap(),
    )
    .unwrap();
    created(&topo, "", &payload).await;
    let post = wait_post(&topo.slack, "HighErrorRate", Duration::from_secs(15))
        .await
        .unwrap_or_else(|| {
            panic!(
                "{template}: nothing reached Slack; worker log:\n{}",
                topo.worker_log(0)
            )
        });
    let golden =
        std::fs::read_to_string(golden_dir().join(format!("golden/{template}__alertmanager.txt")))
            .unwrap()
            .replace("<no value>", "");
    let posted = with_golden_ack_url(post["text"].as_str().expect("a text field"));
    assert_eq!(
        posted,
        normalize_lines(&golden),
        "{marker}: {template} differs from Go"
    );
    let log = topo.worker_log(0);
    assert!(log.contains("syntax=Go text/template"), "{log}");
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn documentation_templates_pasted_verbatim_post_what_go_renders() {
    posts_what_go_renders("docs_basic", "basic").await;
    posts_what_go_renders("docs_enhanced", "enhanced").await;
}
