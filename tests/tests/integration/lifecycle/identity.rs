//! Alertmanager group identity (`receiver + groupKey`) with line breaks in either part: two different
//! pairs are two incidents, and an incident the previous release opened under its ambiguous key
//! (`sha256(receiver + "\n" + groupKey)`) is still found, so its resolve never misses it.

use redis::AsyncCommands;
use sha2::{Digest, Sha256};
use versus_tests::alertmanager_webhook::{labels, Notification, NotifiedAlert};
use versus_tests::alerts::{created, id_of, outcome_of};
use versus_tests::Topology;

const STARTS_AT: &str = "2024-01-02T15:04:05Z";
const ENDS_AT: &str = "2024-01-02T15:34:05Z";

fn firing(receiver: &str, group_key: &str) -> Notification {
    Notification::group(receiver, group_key, &[("alertname", "Split")]).alert(
        NotifiedAlert::firing(
            labels(&[("alertname", "Split"), ("severity", "critical")]),
            STARTS_AT,
            &format!(
                "fp-{}",
                hex::encode(Sha256::digest(format!("{receiver}|{group_key}")))
            ),
        ),
    )
}

/// The identity key the previous release wrote for a group: `dedup:am:` + hex SHA-256 of
/// `receiver\ngroupKey`.
fn previous_release_key(topo: &Topology, receiver: &str, group_key: &str) -> String {
    let digest = Sha256::digest(format!("{receiver}\n{group_key}"));
    topo.key(&format!("dedup:am:{}", hex::encode(digest)))
}

async fn identity_keys(topo: &Topology) -> Vec<String> {
    let mut conn = topo.redis_conn().await;
    let mut keys: Vec<String> = conn.keys(topo.key("dedup:*")).await.unwrap();
    keys.sort();
    keys
}

#[tokio::test]
async fn pairs_that_join_to_the_same_text_are_two_incidents_each_resolved_on_its_own() {
    let topo = Topology::builder().workers(0).start().await;
    let one = created(&topo, "", &firing("a\nb", "c").to_json()).await;
    let other = created(&topo, "", &firing("a", "b\nc").to_json()).await;
    assert_eq!(outcome_of(&one), "created");
    assert_eq!(outcome_of(&other), "created", "{other}");
    assert_ne!(id_of(&one), id_of(&other));

    let resolved = created(
        &topo,
        "",
        &firing("a", "b\nc").resolved_at(ENDS_AT).to_json(),
    )
    .await;
    assert_eq!(outcome_of(&resolved), "resolved");
    assert_eq!(id_of(&resolved), id_of(&other));
    assert_eq!(topo.incident(&id_of(&one)).await["state"], "pending");

    // A group without line breaks keeps the key the previous release gave it.
    created(
        &topo,
        "",
        &firing("versus-critical", "{}:{alertname=\"Split\"}").to_json(),
    )
    .await;
    let plain = previous_release_key(&topo, "versus-critical", "{}:{alertname=\"Split\"}");
    assert!(
        identity_keys(&topo).await.contains(&plain),
        "{:?}",
        identity_keys(&topo).await
    );
}

#[tokio::test]
async fn an_incident_opened_under_the_previous_encoding_is_joined_and_resolved_after_an_upgrade() {
    let topo = Topology::builder().workers(0).start().await;
    let (receiver, group_key) = ("team\nnight", "{}:{alertname=\"Split\"}");
    let opened = created(&topo, "", &firing(receiver, group_key).to_json()).await;
    let id = id_of(&opened);
    // Keyed the way the previous release keyed it: the record is the same, only its identity key differs.
    let keys = identity_keys(&topo).await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    let legacy = previous_release_key(&topo, receiver, group_key);
    assert_ne!(keys[0], legacy, "a pair with a line break gets the new key");
    let mut conn = topo.redis_conn().await;
    let _: () = conn.rename(&keys[0], &legacy).await.unwrap();

    // The other replica of an HA pair: the same group and alerts, another request.
    let mut replica = firing(receiver, group_key).to_json();
    replica["externalURL"] = "http://alertmanager-1:9093".into();
    let resent = created(&topo, "", &replica).await;
    assert_eq!(
        (outcome_of(&resent), id_of(&resent)),
        ("unchanged", id.clone()),
        "{resent}"
    );
    let resolved = created(
        &topo,
        "",
        &firing(receiver, group_key).resolved_at(ENDS_AT).to_json(),
    )
    .await;
    assert_eq!(
        (outcome_of(&resolved), id_of(&resolved)),
        ("resolved", id.clone()),
        "{resolved}"
    );
    assert_eq!(topo.incident(&id).await["state"], "resolved");
    assert!(
        identity_keys(&topo).await.is_empty(),
        "the old key goes with its incident: {:?}",
        identity_keys(&topo).await
    );
    assert_eq!(topo.incident_count().await, 1);

    // The group firing again opens a new incident, under the new key only.
    let mut again = firing(receiver, group_key).to_json();
    again["alerts"][0]["startsAt"] = "2024-01-03T00:00:00Z".into();
    let reopened = created(&topo, "", &again).await;
    assert_eq!(outcome_of(&reopened), "created");
    assert_ne!(id_of(&reopened), id);
    let keys = identity_keys(&topo).await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_ne!(keys[0], legacy);
}
