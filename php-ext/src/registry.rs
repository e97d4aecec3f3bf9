//! One client per process and configuration, reused across requests (PHP-FPM) and jobs
//! (queue workers, Octane). Its engine starts on first publish, and again in a forked child.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use parking_lot::Mutex;
use pushcast_client::{Client, ClientConfig, StatsSnapshot};
use pushcast_core::Result;

/// Each client with its own shutdown timeout.
type Registry = Mutex<HashMap<String, (Arc<Client>, Duration)>>;

fn registry() -> &'static Registry {
    static CLIENTS: OnceLock<Registry> = OnceLock::new();
    CLIENTS.get_or_init(Registry::default)
}

/// The process's client for this configuration, created on first use.
pub(crate) fn client_for(fingerprint: String, config: ClientConfig) -> Result<Arc<Client>> {
    let mut clients = registry().lock();
    if let Some((existing, _)) = clients.get(&fingerprint) {
        return Ok(Arc::clone(existing));
    }
    let timeout = config.shutdown_timeout;
    let client = Arc::new(Client::new(config)?);
    clients.insert(fingerprint, (Arc::clone(&client), timeout));
    Ok(client)
}

/// Live stats of every client of this process, with its first endpoint.
pub(crate) fn all_stats() -> Vec<(String, StatsSnapshot)> {
    registry()
        .lock()
        .values()
        .map(|(c, _)| (format!("{c:?}"), c.stats()))
        .collect()
}

/// Module shutdown: flushes every client up to its own shutdown timeout, stops its threads
/// (they must be gone before PHP unloads the extension), and returns, per client, what it left
/// undelivered (the report's pending count; with a spool, its stats say how many of those stay
/// in the spool for the next process) and how long it waited.
pub(crate) fn shutdown_all() -> Vec<(String, pushcast_client::FlushReport, Duration)> {
    let clients: Vec<(Arc<Client>, Duration)> = registry().lock().drain().map(|(_, c)| c).collect();
    clients
        .into_iter()
        .map(|(client, timeout)| {
            let report = client.shutdown(timeout);
            (format!("{client:?}"), report, timeout)
        })
        .collect()
}
