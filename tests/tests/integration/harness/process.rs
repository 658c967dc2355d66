//! Tests of `VersusProcess` and `aws_test_env`.
//!
//! They need a child program that listens on HTTP or uses the AWS SDK from its environment, without
//! depending on versus-api/versus-worker being built: this test executable re-runs itself with
//! `--exact <this module>::child_entry` and a mode in `VERSUS_HARNESS_CHILD`.

use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use versus_tests::{
    aws_test_env, aws_test_env_with, binary_path, free_port, FakeSsm, VersusProcess,
};

const MODE: &str = "VERSUS_HARNESS_CHILD";
const PLAN: &str = "arn:aws:ssm-incidents::123456789012:response-plan/EnvProbe";

/// Does nothing in a normal run; in a child run it plays the part its mode names and exits.
#[tokio::test]
async fn child_entry() {
    match std::env::var(MODE).as_deref() {
        Ok("http") => serve_http(),
        Ok("exit") => {
            println!("child giving up");
            std::process::exit(3);
        }
        Ok("ssm") => probe_ssm_from_env().await,
        _ => {}
    }
}

/// Answers every request with 200 after a short delay, so the parent must poll.
fn serve_http() -> ! {
    let port: u16 = std::env::var("VERSUS_HARNESS_PORT")
        .unwrap()
        .parse()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    println!("child listening on {port}");
    for stream in listener.incoming() {
        let mut stream = stream.unwrap();
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf);
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    }
    unreachable!("incoming() never ends")
}

/// Configures the SDK only from the environment, as versus-worker does, and starts an incident.
async fn probe_ssm_from_env() -> ! {
    let conf = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let client = aws_sdk_ssmincidents::Client::new(&conf);
    match client
        .start_incident()
        .response_plan_arn(PLAN)
        .client_token("env-probe")
        .send()
        .await
    {
        Ok(out) => {
            println!("ARN {}", out.incident_record_arn());
            std::process::exit(0)
        }
        Err(e) => {
            println!("StartIncident failed: {e:?}");
            std::process::exit(1)
        }
    }
}

/// The libtest name of [`child_entry`]: its module path without the crate's name.
fn child_entry_name() -> String {
    let module = module_path!()
        .split_once("::")
        .map_or("", |(_crate, module)| module);
    format!("{module}::child_entry")
}

fn spawn_child(mode: &str, extra_env: Vec<(String, String)>) -> VersusProcess {
    let exe = std::env::current_exe().unwrap();
    let entry = child_entry_name();
    let mut envs = vec![(MODE.to_string(), mode.to_string())];
    envs.extend(extra_env);
    VersusProcess::spawn_path(
        &exe,
        &["--exact", &entry, "--nocapture", "--test-threads", "1"],
        &envs,
    )
}

#[tokio::test]
async fn waits_for_http_captures_output_and_delivers_sigterm() {
    let port = free_port();
    let mut child = spawn_child(
        "http",
        vec![("VERSUS_HARNESS_PORT".into(), port.to_string())],
    );
    child
        .wait_http_ok(
            &format!("http://127.0.0.1:{port}/healthz"),
            Duration::from_secs(20),
        )
        .await;
    assert!(child
        .log_contents()
        .contains(&format!("child listening on {port}")));
    assert!(
        child.wait_exit(Duration::from_millis(100)).await.is_none(),
        "still running"
    );
    child.sigterm();
    let status = child
        .wait_exit(Duration::from_secs(5))
        .await
        .expect("exits after SIGTERM");
    assert_eq!(status.signal(), Some(15));
}

#[tokio::test]
async fn sigkill_ends_the_process() {
    let port = free_port();
    let mut child = spawn_child(
        "http",
        vec![("VERSUS_HARNESS_PORT".into(), port.to_string())],
    );
    child
        .wait_http_ok(
            &format!("http://127.0.0.1:{port}/"),
            Duration::from_secs(20),
        )
        .await;
    child.sigkill();
    let status = child
        .wait_exit(Duration::from_secs(5))
        .await
        .expect("exits after SIGKILL");
    assert_eq!(status.signal(), Some(9));
}

#[tokio::test]
#[should_panic(expected = "exited with")]
async fn wait_http_ok_fails_fast_when_the_process_dies() {
    let mut child = spawn_child("exit", vec![]);
    child
        .wait_http_ok(
            &format!("http://127.0.0.1:{}/", free_port()),
            Duration::from_secs(20),
        )
        .await;
}

#[tokio::test]
async fn exit_codes_are_reported() {
    let mut child = spawn_child("exit", vec![]);
    let status = child
        .wait_exit(Duration::from_secs(20))
        .await
        .expect("exits by itself");
    assert_eq!(status.code(), Some(3));
    assert!(child.log_contents().contains("child giving up"));
}

#[tokio::test]
async fn aws_test_env_points_the_sdk_at_fake_ssm() {
    let fake = FakeSsm::start();
    let mut child = spawn_child("ssm", aws_test_env(&fake.url()));
    let status = child
        .wait_exit(Duration::from_secs(30))
        .await
        .expect("the probe finishes");
    assert!(status.success(), "probe failed:\n{}", child.log_contents());
    let started = fake.started();
    assert_eq!(started.len(), 1);
    assert!(child
        .log_contents()
        .contains(&started[0].incident_record_arn));
    let call = &fake.calls()[0];
    assert!(call
        .header("authorization")
        .unwrap()
        .contains("/us-east-1/ssm-incidents/aws4_request"));
}

#[tokio::test]
async fn aws_test_env_with_a_wrong_secret_is_refused() {
    let fake = FakeSsm::start();
    let env = aws_test_env_with(&fake.url(), versus_tests::DEFAULT_ACCESS_KEY, "wrong");
    let mut child = spawn_child("ssm", env);
    let status = child
        .wait_exit(Duration::from_secs(30))
        .await
        .expect("the probe finishes");
    assert_eq!(status.code(), Some(1), "log:\n{}", child.log_contents());
    assert!(child.log_contents().contains("InvalidSignatureException"));
    assert_eq!(fake.incident_count(), 0);
}

#[test]
#[should_panic(expected = "run `cargo build --workspace --bins` first")]
fn a_missing_binary_says_how_to_build_it() {
    binary_path("versus-no-such-binary");
}
