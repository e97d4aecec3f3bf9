//! TLS through a local nginx in front of a real sockudo, certificates made for this run:
//! a server certificate from a CA the client does not trust, an expired one from the CA the
//! client does trust (`ca_file`), and a valid one. The bad ones must fail closed: a clear error
//! naming the certificate problem, every event counted as failed, no retry, and no request
//! reaching nginx's HTTP side (its access log stays empty).

use std::time::Duration;

use pushcast_client::Client;
use pushcast_core::Error;
use pushcast_testkit::{certs, CertKind, Sockudo, Subscriber, TlsProxy, APP_KEY};

use crate::ledger::{Ledger, Outcome};
use crate::setup::{collect, config};

const CHANNEL: &str = "tls";

/// The server certificate comes from one private CA, the client trusts (`ca_file`) another.
pub fn unknown_ca() -> Outcome {
    let other = std::env::temp_dir().join(format!("pushcast-other-ca-{}", std::process::id()));
    let trusted = certs::generate(&other, CertKind::Valid).ca;
    let outcome = refused("tls-unknown-ca", CertKind::Valid, trusted, "UnknownIssuer");
    let _ = std::fs::remove_dir_all(&other);
    outcome
}

/// The server certificate expired in 2021; its CA is the client's `ca_file`.
pub fn expired() -> Outcome {
    refused("tls-expired", CertKind::Expired, "", "certificate expired")
}

/// Publishes through a proxy whose certificate the client must refuse; `trusted` is the
/// client's `ca_file` (empty: the proxy's own CA).
fn refused(
    name: &str,
    kind: CertKind,
    trusted: impl Into<std::path::PathBuf>,
    problem: &str,
) -> Outcome {
    const EVENTS: usize = 20;
    let mut ledger = Ledger::new(name);
    let server = Sockudo::start();
    let app = server.app();
    let sub = Subscriber::connect(server.port, APP_KEY);
    sub.subscribe(&app, CHANNEL);
    let proxy = TlsProxy::start(server.port, kind);
    let trusted = trusted.into();
    let mut cfg = config(app, proxy.url());
    cfg.ca_file = Some(if trusted.as_os_str().is_empty() {
        proxy.ca_file.clone()
    } else {
        trusted
    });
    cfg.delivery_timeout = Duration::from_secs(20);
    let client = Client::new(cfg).unwrap();
    for i in 0..EVENTS {
        ledger.publish(&client, CHANNEL, format!("e{i}"));
    }
    let report = client.flush(Duration::from_secs(30));
    let stats = client.stats();
    collect(&mut ledger, &[&sub], 0, Duration::ZERO);
    ledger.failures(client.drain_failures());
    let errors: Vec<String> = ledger.failure_errors().map(Error::to_string).collect();
    let distinct: std::collections::BTreeSet<&String> = errors.iter().collect();
    let clear = ledger
        .failure_errors()
        .all(|e| matches!(e, Error::Transport { reason, .. } if reason.contains(problem)));
    ledger.check(
        report.pending == 0,
        format!("{} still pending", report.pending),
    );
    ledger.check(
        clear && errors.len() == EVENTS,
        format!("expected {EVENTS} transport errors naming {problem}: {} error(s), distinct: {distinct:?}", errors.len()),
    );
    ledger.check(stats.retried == 0, "a certificate failure was retried");
    let seen = proxy.requests_seen();
    ledger.check(
        seen == 0,
        format!("{seen} request(s) got past the handshake"),
    );
    ledger.check_stats(&stats);
    ledger.figure("requests_at_proxy", seen);
    ledger.figure(
        "error",
        format!("{:?}", errors.first().map(String::as_str).unwrap_or("none")),
    );
    ledger.finish()
}

/// A valid certificate from the CA in `ca_file`: everything is delivered through nginx.
pub fn valid() -> Outcome {
    const EVENTS: usize = 1_000;
    let mut ledger = Ledger::new("tls-valid");
    let server = Sockudo::start();
    let app = server.app();
    let sub = Subscriber::connect(server.port, APP_KEY);
    sub.subscribe(&app, CHANNEL);
    let proxy = TlsProxy::start(server.port, CertKind::Valid);
    let mut cfg = config(app, proxy.url());
    cfg.ca_file = Some(proxy.ca_file.clone());
    let client = Client::new(cfg).unwrap();
    for i in 0..EVENTS {
        ledger.publish(&client, CHANNEL, format!("e{i}"));
    }
    let report = client.flush(Duration::from_secs(30));
    let stats = client.stats();
    collect(
        &mut ledger,
        &[&sub],
        stats.delivered,
        Duration::from_secs(20),
    );
    ledger.failures(client.drain_failures());
    ledger.check(
        report.pending == 0,
        format!("{} still pending", report.pending),
    );
    let seen = proxy.requests_seen();
    ledger.check(seen > 0, "no request went through nginx");
    ledger.check_stats(&stats);
    ledger.figure("requests_at_proxy", seen);
    ledger.finish()
}
