//! `pushcast trigger --from-file`: replays a JSON-lines file of events through the publisher.
//!
//! Each line is `{"channel": C}` or `{"channels": [..]}`, `"name"` (or `"event"`), `"data"`
//! (a string is sent as given, any other JSON value is encoded) and an optional `"socket_id"`.
//! Blank lines are skipped. A bad line is reported with its number and counted (`invalid`),
//! never dropped silently; the rest are still sent.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pushcast_client::Client;
use pushcast_core::Event;
use serde::Deserialize;
use serde_json::Value;

use crate::cli::TriggerArgs;
use crate::client::{build, report_failures, seconds};
use crate::config::Resolved;
use crate::error::{CliError, CliResult, Exit};
use crate::progress::Progress;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    channel: Option<String>,
    channels: Option<Vec<String>>,
    #[serde(alias = "event")]
    name: String,
    data: Value,
    socket_id: Option<String>,
}

/// Turns one line into an event, or says why it cannot.
fn parse_line(text: &str) -> Result<Event, String> {
    let line: Line = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let channels = match (line.channel, line.channels) {
        (Some(c), None) => vec![c],
        (None, Some(cs)) => cs,
        _ => return Err("needs exactly one of \"channel\" or \"channels\"".into()),
    };
    let data = match line.data {
        Value::String(s) => s,
        other => other.to_string(),
    };
    let mut event = Event::new(channels, line.name, data);
    if let Some(socket_id) = line.socket_id {
        event = event.excluding(socket_id);
    }
    Ok(event)
}

/// Updates the bar from the client's stats until told to stop.
fn watch(client: Arc<Client>, progress: Arc<Progress>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        progress.update(&client.stats());
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Replays the file named by `--from-file`.
pub fn run(config: &Resolved, args: &TriggerArgs) -> CliResult {
    let path = args
        .from_file
        .as_deref()
        .ok_or_else(|| CliError::usage("--from-file needs a path"))?;
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::new(
            Exit::Failure,
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    let timeout = seconds(args.timeout, "--timeout")?;

    let mut invalid = 0u64;
    let mut events = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(line) {
            Ok(event) => events.push((index + 1, event)),
            Err(why) => {
                invalid += 1;
                eprintln!("pushcast: {}:{}: skipped: {why}", path.display(), index + 1);
            }
        }
    }
    let total: u64 = events.iter().map(|(_, e)| e.channels.len() as u64).sum();

    let client = Arc::new(build(config)?);
    let progress = Arc::new(Progress::new(total, "replay"));
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (client, progress, stop) = (Arc::clone(&client), Arc::clone(&progress), stop.clone());
        std::thread::spawn(move || watch(client, progress, stop))
    };
    let started = Instant::now();
    let mut published = 0u64;
    for (number, event) in events {
        let channels = event.channels.len() as u64;
        match client.publish(event) {
            Ok(_) => published += 1,
            Err(e) => {
                invalid += 1;
                progress.shrink(channels);
                eprintln!("pushcast: {}:{number}: not sent: {e}", path.display());
            }
        }
    }
    let report = client.flush(timeout);
    stop.store(true, Ordering::Relaxed);
    let _ = watcher.join();
    progress.update(&report.stats);
    progress.finish();
    let elapsed = started.elapsed().as_secs_f64();
    let stats = &report.stats;
    report_failures(&client.drain_failures(), 20);
    client.shutdown(Duration::ZERO);
    println!(
        "replay published={published} delivered={} failed={} invalid={invalid} pending={} elapsed_s={elapsed:.2} delivered_per_s={:.0}",
        stats.delivered,
        stats.failed,
        report.pending,
        stats.delivered as f64 / elapsed.max(1e-9),
    );
    if stats.failed > 0 || report.pending > 0 {
        return Err(CliError::new(
            Exit::Delivery,
            format!(
                "{} event(s) failed and {} still pending",
                stats.failed, report.pending
            ),
        ));
    }
    if invalid > 0 {
        return Err(CliError::usage(format!(
            "{invalid} line(s) of {} were not sent (see above)",
            path.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_take_one_or_many_channels_and_any_json_data() {
        let e =
            parse_line(r#"{"channel":"a","name":"n","data":{"x":1},"socket_id":"1.2"}"#).unwrap();
        assert_eq!(e.channels, ["a"]);
        assert_eq!(e.data, r#"{"x":1}"#);
        assert_eq!(e.socket_id.as_deref(), Some("1.2"));
        let e = parse_line(r#"{"channels":["a","b"],"event":"n","data":"raw"}"#).unwrap();
        assert_eq!(e.channels, ["a", "b"]);
        assert_eq!(e.data, "raw");
    }

    #[test]
    fn bad_lines_say_why() {
        assert!(parse_line(r#"{"name":"n","data":1}"#)
            .unwrap_err()
            .contains("exactly one"));
        assert!(parse_line(r#"{"channel":"a","data":1}"#)
            .unwrap_err()
            .contains("name"));
        assert!(parse_line("not json").is_err());
    }
}
