//! The `pushcast` binary against a real sockudo (started by pushcast-testkit), checked by the
//! testkit's subscriber or by `pushcast tail` itself.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command as StdCommand, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;
use pushcast_core::Credentials;
use pushcast_testkit::{Sockudo, Subscriber, APP_ID, APP_KEY, APP_SECRET};
use serde_json::{json, Value};

/// Only a guard against a hung child; no test asserts on time.
const HANG_GUARD: Duration = Duration::from_secs(30);

/// Environment pointing `pushcast` at `server`, nothing inherited.
fn env_for(server: &Sockudo) -> Vec<(&'static str, String)> {
    vec![
        ("PUSHCAST_APP_ID", APP_ID.to_owned()),
        ("PUSHCAST_KEY", APP_KEY.to_owned()),
        ("PUSHCAST_SECRET", APP_SECRET.to_owned()),
        ("PUSHCAST_HOST", "127.0.0.1".to_owned()),
        ("PUSHCAST_PORT", server.port.to_string()),
        ("PUSHCAST_PROFILE", "sockudo".to_owned()),
    ]
}

fn pushcast(server: &Sockudo) -> Command {
    let mut cmd = Command::cargo_bin("pushcast").unwrap();
    cmd.env_clear().arg("--no-env-file").envs(env_for(server));
    cmd.timeout(HANG_GUARD);
    cmd
}

fn bare() -> Command {
    let mut cmd = Command::cargo_bin("pushcast").unwrap();
    cmd.env_clear().arg("--no-env-file").timeout(HANG_GUARD);
    cmd
}

/// A `pushcast tail` child, its stderr lines streamed to a channel.
struct Tail {
    child: Child,
    stderr: mpsc::Receiver<String>,
}

impl Tail {
    fn start(server: &Sockudo, args: &[&str]) -> Tail {
        let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("pushcast"))
            .env_clear()
            .arg("--no-env-file")
            .envs(env_for(server))
            .arg("tail")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Tail { child, stderr: rx }
    }

    /// Waits for the "subscribed" line; returns the socket id it names.
    fn subscribed(&self) -> String {
        loop {
            let line = self
                .stderr
                .recv_timeout(HANG_GUARD)
                .expect("tail said nothing about its subscription");
            if let Some(rest) = line.strip_prefix("pushcast tail: subscribed to ") {
                return rest
                    .rsplit("(socket ")
                    .next()
                    .unwrap()
                    .trim_end_matches(')')
                    .to_owned();
            }
            assert!(!line.contains("error"), "tail failed: {line}");
        }
    }

    /// Waits for the child to exit; returns its code, stdout lines and remaining stderr.
    fn finish(mut self) -> (i32, Vec<Value>, String) {
        let status = self.child.wait().unwrap();
        let mut out = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let err: Vec<String> = self.stderr.try_iter().collect();
        let lines = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
            .collect();
        (status.code().unwrap_or(-1), lines, err.join("\n"))
    }
}

impl Drop for Tail {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn trigger_then_tail_round_trip_with_socket_exclusion() {
    let server = Sockudo::start();
    let tail = Tail::start(&server, &["orders.1", "--count", "1", "--timeout", "20"]);
    let socket_id = tail.subscribed();

    // Excluded: the tail's own connection must not receive this one.
    pushcast(&server)
        .args(["trigger", "-c", "orders.1", "Excluded", r#"{"n":0}"#])
        .args(["--socket-id", &socket_id])
        .assert()
        .success()
        .stdout(predicate::str::contains(r#""delivered":1"#));
    pushcast(&server)
        .args(["trigger", "-c", "orders.1", "OrderShipped", "--confirmed"])
        .write_stdin("{\"id\":1,\"status\":\"shipped\"}\n")
        .assert()
        .success()
        .stdout(predicate::str::contains(r#"{"channels":{}}"#));

    let (code, lines, err) = tail.finish();
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        lines,
        [
            json!({"channel": "orders.1", "event": "OrderShipped", "data": {"id": 1, "status": "shipped"}})
        ]
    );
}

#[test]
fn trigger_to_several_channels_reports_delivery() {
    let server = Sockudo::start();
    let sub = Subscriber::connect(server.port, APP_KEY);
    let app = server.app();
    sub.subscribe(&app, "a");
    sub.subscribe(&app, "b");
    pushcast(&server)
        .args(["trigger", "-c", "a,b", "-c", "c", "Hello", "{}"])
        .assert()
        .success()
        .stdout(predicate::str::contains(r#""delivered":3"#));
    assert_eq!(sub.wait_for(2, HANG_GUARD), 2);
}

#[test]
fn private_and_presence_subscriptions_signed_locally_are_accepted() {
    let server = Sockudo::start();
    let tail = Tail::start(
        &server,
        &[
            "private-orders.7,presence-chat.1",
            "--user-id",
            "7",
            "--user-info",
            r#"{"name":"Ada"}"#,
            "--count",
            "1",
            "--timeout",
            "20",
        ],
    );
    tail.subscribed();
    pushcast(&server)
        .args(["users", "presence-chat.1"])
        .assert()
        .success()
        .stdout(predicate::str::contains(r#"{"users":[{"id":"7"}]}"#));
    pushcast(&server)
        .args(["channels", "--prefix", "presence-", "--info", "user_count"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            r#""presence-chat.1":{"user_count":1}"#,
        ));
    pushcast(&server)
        .args([
            "trigger",
            "-c",
            "private-orders.7",
            "Paid",
            r#"{"total":42}"#,
            "--confirmed",
        ])
        .args(["--info", "subscription_count"])
        .assert()
        .success()
        .stdout(predicate::str::contains("subscription_count"));
    let (code, lines, err) = tail.finish();
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        lines,
        [json!({"channel": "private-orders.7", "event": "Paid", "data": {"total": 42}})]
    );
}

#[test]
fn a_wrong_secret_is_refused_by_the_server_with_a_clear_error() {
    let server = Sockudo::start();
    pushcast(&server)
        .args(["--app-secret", "not-the-secret", "tail", "private-orders.1"])
        .args(["--timeout", "20"])
        .assert()
        .code(6)
        .stderr(
            predicate::str::contains("refused the subscription to \"private-orders.1\"")
                .and(predicate::str::contains("check the app secret")),
        );
    // The same wrong secret on the HTTP API: a typed delivery failure.
    pushcast(&server)
        .args([
            "--app-secret",
            "not-the-secret",
            "trigger",
            "-c",
            "x",
            "E",
            "{}",
        ])
        .args(["--confirmed", "--timeout", "10"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("HTTP 401"));
}

#[test]
fn presence_without_user_id_is_a_usage_error_before_connecting() {
    bare()
        .args([
            "--app-key",
            "k",
            "--app-secret",
            "s",
            "--host",
            "127.0.0.1",
            "--port",
            "9",
        ])
        .args(["tail", "presence-room"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--user-id"));
}

#[test]
fn encrypted_channel_round_trip() {
    let server = Sockudo::start();
    let master = "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE="; // "a" x 32
    let tail = Tail::start(
        &server,
        &[
            "private-encrypted-orders.1",
            "--encryption-master-key",
            master,
            "--count",
            "1",
            "--timeout",
            "20",
        ],
    );
    tail.subscribed();
    // Published through the same master key: the server only ever sees ciphertext.
    pushcast(&server)
        .args(["--encryption-master-key", master])
        .args([
            "trigger",
            "-c",
            "private-encrypted-orders.1",
            "Secret",
            r#"{"card":"4242"}"#,
        ])
        .arg("--confirmed")
        .assert()
        .success();
    let (code, lines, err) = tail.finish();
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        lines,
        [
            json!({"channel": "private-encrypted-orders.1", "event": "Secret", "data": {"card": "4242"}})
        ]
    );
}

#[test]
fn webhook_verify_accepts_good_bodies_and_rejects_tampered_ones() {
    let body =
        r#"{"time_ms":1700000000000,"events":[{"name":"channel_occupied","channel":"orders.1"}]}"#;
    let signature = Credentials::new("1", APP_KEY, APP_SECRET)
        .unwrap()
        .sign_hex(&[body.as_bytes()]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("body.json");
    std::fs::write(&file, body).unwrap();
    let verify = || {
        let mut cmd = bare();
        cmd.args(["--app-key", APP_KEY, "--app-secret", APP_SECRET])
            .args(["webhook", "verify"]);
        cmd
    };
    verify()
        .arg(&file)
        .args(["--key", APP_KEY, "--signature", &signature])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            r#""events":[{"name":"channel_occupied","channel":"orders.1"}]"#,
        ));
    // From stdin, key header defaulting to the configured key.
    verify()
        .args(["--signature", &signature])
        .write_stdin(body)
        .assert()
        .success();
    let tampered = body.replace("orders.1", "orders.2");
    verify()
        .args(["-", "--signature", &signature])
        .write_stdin(tampered)
        .assert()
        .code(5)
        .stderr(predicate::str::contains(
            "X-Pusher-Signature does not match the body",
        ));
    verify()
        .arg(&file)
        .args(["--key", "other-key", "--signature", &signature])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("X-Pusher-Key does not match"));
    verify()
        .arg(&file)
        .args(["--signature", "zz"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("not 64 hexadecimal"));
    verify()
        .arg(&file)
        .args(["--signature", &signature, "--max-age", "60"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("time_ms"));
}

#[test]
fn auth_strings_match_the_protocol_vectors() {
    let auth = || {
        let mut cmd = bare();
        cmd.args([
            "--app-key",
            "thisisaauthkey",
            "--app-secret",
            "thisisasecret",
            "auth",
        ]);
        cmd
    };
    auth()
        .args([
            "user",
            "--socket-id",
            "12345.6789",
            "--user-data",
            r#"{"id":"123"}"#,
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "thisisaauthkey:fc713f433deb729d0d96f9e26ef054285cbc3e833ebe840b93722a2fa16a6a18",
        ));
    let expected =
        pushcast_core::App::new(Credentials::new("1", "thisisaauthkey", "thisisasecret").unwrap())
            .authorize_presence_channel("1.1", "presence-room", "7", Some(&json!({"name": "Ada"})))
            .unwrap()
            .to_json();
    auth()
        .args([
            "presence",
            "presence-room",
            "--socket-id",
            "1.1",
            "--user-id",
            "7",
        ])
        .args(["--user-info", r#"{"name":"Ada"}"#])
        .assert()
        .success()
        .stdout(format!("{expected}\n"));
    auth()
        .args([
            "--encryption-master-key",
            "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE=",
        ])
        .args([
            "encrypted",
            "private-encrypted-channel-a",
            "--socket-id",
            "1.1",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            r#""shared_secret":"Rp+wpkNpL89qhqco1JkIG31AVXyU8PUVJBr1B2MvdoA=""#,
        ));
    auth()
        .args(["private", "orders", "--socket-id", "1.1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is public"));
    auth()
        .args(["private", "private-x", "--socket-id", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid socket id"));
}

#[test]
fn config_precedence_flags_then_environment_then_dotenv() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "BROADCAST_CONNECTION=reverb\nREVERB_APP_ID=dotenv-id\nREVERB_APP_KEY=dotenv-key\nREVERB_APP_SECRET=dotenv-secret-value\nREVERB_HOST=localhost\nREVERB_PORT=8080\nREVERB_SCHEME=http\n",
    )
    .unwrap();
    let mut cmd = Command::cargo_bin("pushcast").unwrap();
    cmd.env_clear()
        .current_dir(dir.path())
        .env("PUSHER_APP_KEY", "env-key-ignored-reverb-first")
        .env("PUSHCAST_KEY", "env-key")
        .args(["--app-id", "flag-id", "config"])
        .assert()
        .success()
        .stdout(
            predicate::str::is_match(r"app_id\s+flag-id\s+\(flag --app-id\)")
                .unwrap()
                .and(
                    predicate::str::is_match(r"app_key\s+env-key\s+\(environment PUSHCAST_KEY\)")
                        .unwrap(),
                )
                .and(
                    predicate::str::is_match(
                        r"app_secret\s+\*+ \(19 chars\)\s+\(.*\.env REVERB_APP_SECRET\)",
                    )
                    .unwrap(),
                )
                .and(predicate::str::contains("http://localhost:8080"))
                .and(predicate::str::contains("dotenv-secret-value").not()),
        );
    // Missing settings are a configuration error (exit 3) naming every way to set them.
    bare()
        .args(["trigger", "-c", "x", "E", "{}"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "PUSHCAST_KEY, REVERB_APP_KEY or PUSHER_APP_KEY",
        ));
}

#[test]
fn bad_input_is_refused_before_anything_is_sent() {
    bare()
        .args([
            "--app-id",
            "1",
            "--app-key",
            "k",
            "--app-secret",
            "s",
            "--host",
            "127.0.0.1",
        ])
        .args(["--port", "9", "trigger", "-c", "bad channel", "E", "{}"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid channel name \"bad channel\"",
        ));
}

#[test]
fn bulk_replay_from_a_file_is_delivered_and_bad_lines_are_counted() {
    let server = Sockudo::start();
    let sub = Subscriber::connect(server.port, APP_KEY);
    let app = server.app();
    sub.subscribe(&app, "replay.a");
    sub.subscribe(&app, "replay.b");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.jsonl");
    let mut text = String::new();
    for i in 0..300 {
        let line = if i % 3 == 0 {
            json!({"channels": ["replay.a", "replay.b"], "name": "Both", "data": {"i": i}})
        } else {
            json!({"channel": "replay.a", "event": "One", "data": format!("{{\"i\":{i}}}")})
        };
        text.push_str(&line.to_string());
        text.push('\n');
    }
    text.push_str("{\"channel\":\"replay.a\"}\n\n");
    std::fs::write(&file, text).unwrap();
    // 100 lines to two channels + 200 to one = 400 deliveries; one line invalid (no name).
    pushcast(&server)
        .args(["trigger", "--from-file"])
        .arg(&file)
        .assert()
        .code(2)
        .stdout(predicate::str::contains(
            "replay published=300 delivered=400 failed=0 invalid=1 pending=0",
        ))
        .stderr(predicate::str::contains("events.jsonl:301: skipped"));
    assert_eq!(sub.wait_for(400, HANG_GUARD), 400);
}

#[test]
fn bench_writes_live_stats_that_stats_reads() {
    let server = Sockudo::start();
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("bench.json");
    let mut bench = StdCommand::new(assert_cmd::cargo::cargo_bin("pushcast"))
        .env_clear()
        .env("TMPDIR", dir.path())
        .arg("--no-env-file")
        .envs(env_for(&server))
        .args(["bench", "-n", "3000", "--rate", "3000", "--channels", "4"])
        .args(["--payload-size", "200", "--stats-file"])
        .arg(&stats)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err_line = String::new();
    BufReader::new(bench.stderr.as_mut().unwrap())
        .read_line(&mut err_line)
        .unwrap();
    assert!(err_line.contains("live stats in"), "{err_line}");
    // Follows the bench until it finishes (found through the "latest" pointer in TMPDIR).
    let watched = bare()
        .env("TMPDIR", dir.path())
        .args(["stats", "--watch", "--interval", "0.2"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let watched = String::from_utf8(watched).unwrap();
    let last = watched.lines().last().unwrap();
    assert!(
        last.contains(" finished ") && last.contains("delivered=3000 "),
        "{watched}"
    );
    let status = bench.wait().unwrap();
    let mut out = String::new();
    bench
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(status.success(), "{out}");
    assert!(
        out.contains("bench events=3000 published=3000 delivered=3000 failed=0"),
        "{out}"
    );
    let json: Value = serde_json::from_slice(
        &bare()
            .args(["stats", "--json", "--stats-file"])
            .arg(&stats)
            .assert()
            .success()
            .get_output()
            .stdout,
    )
    .unwrap();
    assert_eq!(json["finished"], true);
    assert_eq!(json["counters"]["delivered"], 3000);
    assert_eq!(json["counters"]["failed"], 0);
}

#[test]
fn tail_exits_7_when_nothing_arrives_within_its_timeout() {
    let server = Sockudo::start();
    pushcast(&server)
        .args(["tail", "quiet", "--timeout", "0.5"])
        .assert()
        .code(7)
        .stderr(
            predicate::str::contains("subscribed to quiet")
                .and(predicate::str::contains("no event within")),
        );
}

#[test]
fn undelivered_async_events_are_reported_with_exit_4() {
    let port = pushcast_testkit::free_port(); // nothing listens there
    bare()
        .args(["--app-id", "1", "--app-key", "k", "--app-secret", "s"])
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["trigger", "-c", "orders", "E", "{}", "--timeout", "1"])
        .assert()
        .code(4)
        .stdout(
            predicate::str::contains(r#""delivered":0"#)
                .and(predicate::str::contains(r#""pending":1"#)),
        )
        .stderr(predicate::str::contains("still pending"));
}
