//! Building the publisher from the resolved configuration.

use std::time::Duration;

use pushcast_client::{Backpressure, Client, ClientConfig, Failure};

use crate::config::Resolved;
use crate::error::CliResult;

/// A client for the configured server. Publishing waits for room in the queue rather than
/// failing: a command-line run should slow down, not drop events.
pub fn build(config: &Resolved) -> CliResult<Client> {
    let mut client_config = ClientConfig::new(config.app(true)?, config.http_url()?);
    client_config.backpressure = Backpressure::Block {
        timeout: Duration::from_secs(30),
    };
    // What is pending at exit was already reported by the command; do not wait again.
    client_config.shutdown_timeout = Duration::ZERO;
    Ok(Client::new(client_config)?)
}

/// Seconds from the command line, checked.
pub fn seconds(value: f64, flag: &str) -> CliResult<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        crate::error::CliError::usage(format!("{flag} must be a non-negative number of seconds"))
    })
}

/// Prints failures to stderr, at most `limit` of them, then how many more there were.
pub fn report_failures(failures: &[Failure], limit: usize) {
    for f in failures.iter().take(limit) {
        eprintln!(
            "pushcast: failed: event {:?} on channel {:?}: {}",
            f.event, f.channel, f.error
        );
    }
    if failures.len() > limit {
        eprintln!("pushcast: ... and {} more failures", failures.len() - limit);
    }
}
