//! Delivery seen by the real pusher-js client (npm), not only by our own subscriber.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use pushcast_client::{Client, ClientConfig};
use pushcast_core::Event;
use pushcast_testkit::{workspace_root, Sockudo, APP_KEY};

#[test]
fn pusher_js_receives_every_event_in_order() {
    let js = workspace_root().join("tests/js");
    assert!(
        js.join("node_modules/pusher-js").is_dir(),
        "pusher-js is not installed: run scripts/test (or `npm ci --prefix tests/js`)"
    );
    let server = Sockudo::start();
    const N: usize = 1_000;
    let mut node = Command::new("node")
        .arg(js.join("count-events.js"))
        .args([
            &server.port.to_string(),
            APP_KEY,
            "js-feed",
            "Tick",
            &N.to_string(),
            "30000",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("node is needed for this test");
    let mut lines = BufReader::new(node.stdout.take().unwrap()).lines();
    let ready = lines.next().unwrap().unwrap();
    assert!(ready.starts_with("ready "), "{ready}");

    let client = Client::new(ClientConfig::new(server.app(), server.url())).unwrap();
    for seq in 0..N {
        client
            .publish(Event::new(
                ["js-feed"],
                "Tick",
                format!(r#"{{"seq":{seq},"text":"José/ü 😀"}}"#),
            ))
            .unwrap();
    }
    assert_eq!(client.flush(Duration::from_secs(20)).pending, 0);
    let report: Vec<String> = lines.map(Result::unwrap).collect();
    let status = node.wait().unwrap();
    assert_eq!(
        report,
        [
            format!("count {N}"),
            "duplicates 0".into(),
            "out_of_order 0".into()
        ]
    );
    assert!(status.success());
}
