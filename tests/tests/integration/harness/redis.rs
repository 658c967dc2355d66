//! Tests of `RedisServer`: a private server that keeps its data across a kill -9 when AOF is on.

use redis::AsyncCommands;
use versus_tests::{RedisOptions, RedisServer};

#[tokio::test]
async fn starts_on_loopback_and_answers() {
    let redis = RedisServer::start();
    assert_eq!(redis.url(), format!("redis://127.0.0.1:{}/", redis.port()));
    let mut con = redis.conn().await;
    let _: () = con.set("versus:probe", "1").await.unwrap();
    let v: String = con.get("versus:probe").await.unwrap();
    assert_eq!(v, "1");
    assert!(
        redis.used_memory() > 100_000,
        "used_memory should be the real INFO figure"
    );
    let config: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("bind")
        .query_async(&mut con)
        .await
        .unwrap();
    assert_eq!(config[1], "127.0.0.1", "must listen on loopback only");
}

#[tokio::test]
async fn restart_after_kill_keeps_aof_data_on_the_same_port() {
    let mut redis = RedisServer::start();
    let port = redis.port();
    let pid = redis.pid().unwrap();
    {
        let mut con = redis.conn().await;
        for i in 0..100 {
            let _: () = con.set(format!("versus:k{i}"), i).await.unwrap();
        }
        let _: () = con.rpush("versus:list", &["a", "b", "c"]).await.unwrap();
    }
    redis.restart();
    assert_eq!(redis.port(), port);
    assert_ne!(redis.pid().unwrap(), pid, "restart must run a new process");
    let mut con = redis.conn().await;
    let v: i64 = con.get("versus:k99").await.unwrap();
    assert_eq!(v, 99);
    let list: Vec<String> = con.lrange("versus:list", 0, -1).await.unwrap();
    assert_eq!(list, ["a", "b", "c"]);
    assert!(
        redis.dir().join("appendonlydir").is_dir(),
        "AOF directory should exist"
    );
}

#[tokio::test]
async fn without_aof_a_restart_loses_data() {
    // The counterpart of the AOF test: it shows that the data above survived because of the AOF.
    let mut redis = RedisServer::start_with(RedisOptions {
        aof: false,
        ..Default::default()
    });
    {
        let mut con = redis.conn().await;
        let _: () = con.set("versus:gone", "x").await.unwrap();
    }
    redis.restart();
    let mut con = redis.conn().await;
    let v: Option<String> = con.get("versus:gone").await.unwrap();
    assert_eq!(v, None);
}

#[tokio::test]
async fn kill_makes_it_unreachable_until_started_again() {
    let mut redis = RedisServer::start();
    redis.kill();
    assert!(redis.pid().is_none());
    let client = redis.client();
    assert!(
        client
            .get_connection_with_timeout(std::time::Duration::from_millis(300))
            .is_err(),
        "a killed server must not accept connections"
    );
    redis.start_again();
    let mut con = redis.conn().await;
    let pong: String = redis::cmd("PING").query_async(&mut con).await.unwrap();
    assert_eq!(pong, "PONG");
}

#[tokio::test]
async fn stop_is_graceful_and_options_are_applied() {
    let mut redis = RedisServer::start_with(RedisOptions {
        maxmemory: Some(64 * 1024 * 1024),
        password: Some("s3cret".into()),
        ..Default::default()
    });
    assert_eq!(
        redis.url(),
        format!("redis://:s3cret@127.0.0.1:{}/", redis.port())
    );
    let mut con = redis.conn().await;
    let mm: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("maxmemory")
        .query_async(&mut con)
        .await
        .unwrap();
    assert_eq!(mm[1], (64 * 1024 * 1024).to_string());
    let _: () = con.set("versus:kept", "yes").await.unwrap();

    let anonymous = redis::Client::open(format!("redis://127.0.0.1:{}/", redis.port())).unwrap();
    let mut anon = anonymous.get_multiplexed_async_connection().await.unwrap();
    let denied: redis::RedisResult<String> = redis::cmd("GET")
        .arg("versus:kept")
        .query_async(&mut anon)
        .await;
    assert!(
        denied.is_err(),
        "requirepass must refuse unauthenticated commands"
    );

    redis.stop();
    assert!(
        redis.log_contents().contains("ready to exit"),
        "SIGTERM should shut redis down cleanly"
    );
    redis.start_again();
    let mut con = redis.conn().await;
    let v: String = con.get("versus:kept").await.unwrap();
    assert_eq!(v, "yes");
}
