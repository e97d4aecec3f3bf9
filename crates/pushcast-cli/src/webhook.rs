//! `pushcast webhook verify`: checks X-Pusher-Key / X-Pusher-Signature over a raw body with
//! the core's verifier and prints the parsed webhook.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pushcast_core::Freshness;

use crate::cli::WebhookVerifyArgs;
use crate::config::Resolved;
use crate::error::{CliError, CliResult, Exit};
use crate::input;

/// Verifies and prints; exit 5 (via the core error) when the webhook is not genuine.
pub fn verify(config: &Resolved, args: &WebhookVerifyArgs) -> CliResult {
    let app = config.app(false)?;
    let body = input::body(args.body.as_deref())?;
    let key = args
        .key
        .clone()
        .unwrap_or_else(|| app.credentials().key().to_owned());
    let headers = [
        ("X-Pusher-Key", key.as_str()),
        ("X-Pusher-Signature", args.signature.as_str()),
    ];
    let freshness = args.max_age.map(|secs| Freshness {
        now_ms: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_millis() as u64,
        max_age_ms: secs.saturating_mul(1000),
    });
    let webhook = app.verify_webhook(&headers, &body, freshness)?;
    let text = serde_json::to_string(&webhook)
        .map_err(|e| CliError::new(Exit::Failure, format!("cannot print the webhook: {e}")))?;
    println!("{text}");
    Ok(())
}
