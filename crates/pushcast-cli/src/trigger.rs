//! `pushcast trigger`: one event, confirmed (wait for the server's answer) or async (queue,
//! flush with a deadline, report what was delivered).

use std::time::Duration;

use pushcast_core::Event;
use serde_json::json;

use crate::cli::TriggerArgs;
use crate::client::{build, report_failures, seconds};
use crate::config::Resolved;
use crate::error::{CliError, CliResult, Exit};
use crate::input;

/// Publishes the event the arguments describe.
pub fn run(config: &Resolved, args: &TriggerArgs) -> CliResult {
    let name = args
        .event
        .as_deref()
        .ok_or_else(|| CliError::usage("an event name is needed"))?;
    let data = input::event_data(args.data.as_deref())?;
    let mut event = Event::new(args.channels.iter().map(|c| c.trim()), name, data);
    if let Some(socket_id) = &args.socket_id {
        event = event.excluding(socket_id.as_str());
    }
    let timeout = seconds(args.timeout, "--timeout")?;
    let client = build(config)?;
    if args.confirmed {
        if let Some(info) = &args.info {
            event = event.with_info(info.as_str());
        }
        let answer = client.publish_confirmed(event, timeout)?;
        println!("{}", json!({ "channels": answer.channels }));
        return Ok(());
    }
    client.publish(event)?;
    let report = client.flush(timeout);
    let stats = &report.stats;
    println!(
        "{}",
        json!({
            "delivered": stats.delivered,
            "failed": stats.failed,
            "pending": report.pending,
        })
    );
    report_failures(&client.drain_failures(), 20);
    client.shutdown(Duration::ZERO);
    if stats.failed > 0 || report.pending > 0 {
        return Err(CliError::new(
            Exit::Delivery,
            format!(
                "not delivered: {} failed, {} still pending after {:?}",
                stats.failed, report.pending, timeout
            ),
        ));
    }
    Ok(())
}
