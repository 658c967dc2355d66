use super::*;

#[test]
fn heartbeats_load_with_their_defaults() {
    let (_dir, path) = write_config(
        "heartbeats:\n  - name: alertmanager\n    interval_minutes: 5\n  - { name: batch_2, interval_minutes: 0.05, oncall: false, wait_minutes: 1 }\n",
    );
    let settings = load_with_env(&path, &HashMap::new()).unwrap();
    let first = settings.heartbeat("alertmanager").unwrap();
    assert_eq!(first.interval(), std::time::Duration::from_secs(300));
    assert!(first.oncall);
    assert_eq!(first.wait_minutes, None);
    let second = settings.heartbeat("batch_2").unwrap();
    assert_eq!(second.interval(), std::time::Duration::from_secs(3));
    assert!(!second.oncall);
    assert!(settings.heartbeat("other").is_none());
}

#[test]
fn a_bad_heartbeat_entry_is_named() {
    let cases = [
        (
            "{ name: Bad.Name, interval_minutes: 5 }",
            "heartbeats[0].name",
        ),
        (
            "{ name: a, interval_minutes: 0 }",
            "heartbeats[0].interval_minutes",
        ),
        (
            "{ name: a, interval_minutes: 20000 }",
            "heartbeats[0].interval_minutes",
        ),
        (
            "{ name: a, interval_minutes: 5, wait_minutes: -1 }",
            "heartbeats[0].wait_minutes",
        ),
        (
            "{ name: a, interval_minutes: 5, response_plan: nope }",
            "heartbeats[0].response_plan",
        ),
        (
            "{ name: a, interval_minutes: 5, slack_channel_id: '<!here>' }",
            "heartbeats[0].slack_channel_id",
        ),
        (
            "{ name: a, interval_minutes: 5, intervall: 3 }",
            "heartbeats[0].intervall",
        ),
    ];
    for (entry, key) in cases {
        let (_dir, path) = write_config(&format!("heartbeats:\n  - {entry}\n"));
        let text = load_with_env(&path, &HashMap::new())
            .unwrap_err()
            .to_string();
        assert!(text.contains(key), "{entry}: {text}");
    }
    let long = "x".repeat(65);
    let (_dir, path) = write_config(&format!(
        "heartbeats:\n  - {{ name: {long}, interval_minutes: 5 }}\n"
    ));
    let text = load_with_env(&path, &HashMap::new())
        .unwrap_err()
        .to_string();
    assert!(text.contains("heartbeats[0].name"), "{text}");
}

#[test]
fn heartbeat_names_are_unique() {
    let (_dir, path) = write_config(
        "heartbeats:\n  - { name: am, interval_minutes: 5 }\n  - { name: am, interval_minutes: 6 }\n",
    );
    let text = load_with_env(&path, &HashMap::new())
        .unwrap_err()
        .to_string();
    assert!(text.contains("heartbeats[1].name"), "{text}");
    assert!(text.contains("unique"), "{text}");
}
