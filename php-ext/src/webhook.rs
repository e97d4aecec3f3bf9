//! `Pushcast\Webhook`: what `Pushcast\Client::webhook()` returns, like pusher-http-php's
//! `Pusher\Webhook` (`get_events()`, `get_time_ms()`).

use ext_php_rs::boxed::ZBox;
use ext_php_rs::exception::PhpResult;
use ext_php_rs::prelude::*;
use ext_php_rs::types::ZendHashTable;

use crate::errors::guard;

/// A verified webhook: its `time_ms` and its events, each an object as PHP's `json_decode`
/// reads it (`name`, `channel`, ... as the server sent them), with the data of encrypted
/// channels decrypted in place.
#[php_class]
#[php(name = "Pushcast\\Webhook")]
pub struct PhpWebhook {
    time_ms: i64,
    events: ZBox<ZendHashTable>,
}

impl PhpWebhook {
    pub(crate) fn new(time_ms: i64, events: ZBox<ZendHashTable>) -> Self {
        PhpWebhook { time_ms, events }
    }
}

#[php_impl]
impl PhpWebhook {
    /// `new Pushcast\Webhook($time_ms, $events)`, as `new Pusher\Webhook(...)`.
    pub fn __construct(time_ms: i64, events: &ZendHashTable) -> PhpResult<Self> {
        guard(|| Ok(PhpWebhook::new(time_ms, events.to_owned())))
    }

    /// The events (a list of objects).
    #[php(name = "get_events")]
    pub fn get_events(&self) -> PhpResult<ZBox<ZendHashTable>> {
        guard(|| Ok(self.events.to_owned()))
    }

    /// The webhook's `time_ms`.
    #[php(name = "get_time_ms")]
    pub fn get_time_ms(&self) -> PhpResult<i64> {
        guard(|| Ok(self.time_ms))
    }
}
