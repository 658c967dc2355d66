//! Managed-Redis connection details against a real redis-server: TLS checked against a private CA
//! (`redis.ca_cert`), an ACL user (`redis.username`) with its password, for the shared connection and a
//! dedicated one. Without the CA bundle the same server is refused: the public roots do not know it.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use versus_shared::infra::config::RedisSettings;
use versus_shared::infra::redis_conn::{ping, RedisConnection};
use versus_shared::infra::secret::Secret;
use versus_tests::{free_port, RedisOptions, RedisServer};

const USER: &str = "versus-tls";
const PASSWORD: &str = "versus-tls-user-pw";

/// A CA, and a certificate it signed for `localhost` and 127.0.0.1, made with the openssl command.
fn make_certificates(dir: &Path) {
    let run = |args: &[&str]| {
        let output = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("run openssl (apt-get install -y openssl)");
        assert!(
            output.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=versus-test-ca",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
}

#[tokio::test]
async fn tls_with_a_private_ca_and_an_acl_user() {
    let certs = tempfile::tempdir().unwrap();
    make_certificates(certs.path());
    let tls_port = free_port();
    let file = |name: &str| certs.path().join(name).display().to_string();
    let _redis = RedisServer::start_with(RedisOptions {
        extra_args: vec![
            "--tls-port".into(),
            tls_port.to_string(),
            "--tls-cert-file".into(),
            file("server.crt"),
            "--tls-key-file".into(),
            file("server.key"),
            "--tls-ca-cert-file".into(),
            file("ca.crt"),
            "--tls-auth-clients".into(),
            "no".into(),
            "--user".into(),
            USER.into(),
            "on".into(),
            format!(">{PASSWORD}"),
            "~*".into(),
            "+@all".into(),
        ],
        ..RedisOptions::default()
    });
    let settings = RedisSettings {
        host: "localhost".into(),
        port: tls_port,
        tls: true,
        ca_cert: Some(certs.path().join("ca.crt")),
        username: Some(USER.into()),
        password: Some(Secret::new(PASSWORD)),
        timeout_ms: 2000,
        ..RedisSettings::default()
    };

    let mut shared = RedisConnection::from_settings(&settings).unwrap();
    let who: String = redis::cmd("ACL")
        .arg("WHOAMI")
        .query_async(&mut shared)
        .await
        .expect("the shared connection works over TLS");
    assert_eq!(who, USER, "Versus must authenticate as redis.username");
    let mut dedicated = RedisConnection::dedicated(&settings, Some(Duration::from_secs(2)))
        .await
        .expect("a dedicated connection over TLS");
    let who: String = redis::cmd("ACL")
        .arg("WHOAMI")
        .query_async(&mut dedicated)
        .await
        .unwrap();
    assert_eq!(who, USER);

    let public_roots_only = RedisSettings {
        ca_cert: None,
        ..settings.clone()
    };
    let mut refused = RedisConnection::from_settings(&public_roots_only).unwrap();
    assert!(
        !ping(&mut refused, Duration::from_secs(3)).await,
        "a server signed by an unknown CA must be refused"
    );
    let wrong_password = RedisSettings {
        password: Some(Secret::new("not-the-password")),
        ..settings
    };
    let error = RedisConnection::dedicated(&wrong_password, None)
        .await
        .err()
        .expect("a wrong password is refused");
    assert_eq!(
        error.kind(),
        redis::ErrorKind::AuthenticationFailed,
        "{error}"
    );
}
