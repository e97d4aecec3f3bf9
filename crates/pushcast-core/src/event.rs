//! Events as the caller gives them, and as they go on the wire.

use serde::Serialize;

use crate::error::{Error, Result};

/// An event to publish: one or more channels, a name, and a `data` string.
///
/// `data` is sent as a JSON *string* (the protocol's rule): pass the JSON text you want the
/// subscriber to receive (a PHP host passes `json_encode` output unchanged), or build it from a
/// [`serde_json::Value`] with [`Event::with_json`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Target channels.
    pub channels: Vec<String>,
    /// Event name.
    pub name: String,
    /// The `data` string, sent verbatim (before encryption on encrypted channels).
    pub data: String,
    /// A connection to exclude from delivery (`toOthers()`).
    pub socket_id: Option<String>,
    /// Attributes to return per channel (`subscription_count`, `user_count`), comma-separated.
    pub info: Option<String>,
}

impl Event {
    /// An event whose `data` is already-encoded text.
    pub fn new(
        channels: impl IntoIterator<Item = impl Into<String>>,
        name: impl Into<String>,
        data: impl Into<String>,
    ) -> Self {
        Event {
            channels: channels.into_iter().map(Into::into).collect(),
            name: name.into(),
            data: data.into(),
            socket_id: None,
            info: None,
        }
    }

    /// An event whose `data` is the JSON encoding of `value`.
    pub fn with_json(
        channels: impl IntoIterator<Item = impl Into<String>>,
        name: impl Into<String>,
        value: &serde_json::Value,
    ) -> Result<Self> {
        let data = serde_json::to_string(value).map_err(|e| Error::InvalidJson {
            what: "event data",
            reason: e.to_string(),
        })?;
        Ok(Event::new(channels, name, data))
    }

    /// Excludes the connection `socket_id` from delivery.
    #[must_use]
    pub fn excluding(mut self, socket_id: impl Into<String>) -> Self {
        self.socket_id = Some(socket_id.into());
        self
    }

    /// Asks the server for per-channel attributes in its answer.
    #[must_use]
    pub fn with_info(mut self, info: impl Into<String>) -> Self {
        self.info = Some(info.into());
        self
    }
}

/// A validated event as it goes on the wire: `data` final (encrypted where needed).
///
/// An event for several encrypted channels becomes one `WireEvent` per channel, each sealed
/// with that channel's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireEvent {
    /// Target channels (exactly one for an encrypted event).
    pub channels: Vec<String>,
    /// Event name.
    pub name: String,
    /// The final `data` string.
    pub data: String,
    /// A connection to exclude.
    pub socket_id: Option<String>,
    /// Per-channel attributes to return.
    pub info: Option<String>,
}

#[derive(Serialize)]
struct TriggerBody<'a> {
    name: &'a str,
    data: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    channels: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    socket_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    info: Option<&'a str>,
}

#[derive(Serialize)]
struct BatchBody<'a> {
    batch: Vec<TriggerBody<'a>>,
}

/// Serializes into a buffer sized up front: escaping a 1 KB payload into a growing `Vec`
/// reallocates several times, which cost a third of the serialization time.
fn to_json_bytes(value: &impl Serialize, size_hint: usize, what: &'static str) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(size_hint + size_hint / 8 + 128);
    serde_json::to_writer(&mut out, value).map_err(|e| Error::InvalidJson {
        what,
        reason: e.to_string(),
    })?;
    Ok(out)
}

impl WireEvent {
    fn body(&self) -> TriggerBody<'_> {
        let (channel, channels) = match self.channels.as_slice() {
            [one] => (Some(one.as_str()), None),
            many => (None, Some(many)),
        };
        TriggerBody {
            name: &self.name,
            data: &self.data,
            channel,
            channels,
            socket_id: self.socket_id.as_deref(),
            info: self.info.as_deref(),
        }
    }

    /// The `POST /events` body: `channel` for one channel, `channels` for several.
    pub fn trigger_body(&self) -> Result<Vec<u8>> {
        to_json_bytes(&self.body(), self.approximate_len(), "trigger body")
    }

    /// Bytes of the unescaped fields, to size serialization buffers.
    pub(crate) fn approximate_len(&self) -> usize {
        self.data.len()
            + self.name.len()
            + self.channels.iter().map(|c| c.len() + 3).sum::<usize>()
            + self.socket_id.as_ref().map_or(0, String::len)
            + self.info.as_ref().map_or(0, String::len)
    }

    /// How many batch items this event becomes (one per channel).
    pub fn batch_item_count(&self) -> usize {
        self.channels.len()
    }
}

impl WireEvent {
    /// This event as `batch_events` items, one JSON object per channel, serialized.
    ///
    /// A batching publisher serializes each item once, then joins items with
    /// [`batch_body_from_items`]; the exact request size is known before it is built.
    pub fn batch_items_json(&self) -> Result<Vec<Vec<u8>>> {
        self.channels
            .iter()
            .map(|channel| self.batch_item_json(channel))
            .collect()
    }

    /// This event as the `batch_events` item for one of its channels, serialized.
    pub fn batch_item_json(&self, channel: &str) -> Result<Vec<u8>> {
        let item = TriggerBody {
            channel: Some(channel),
            channels: None,
            ..self.body()
        };
        to_json_bytes(&item, self.approximate_len() + 48, "batch item")
    }
}

/// Bytes `{"batch":[` and `]}` add around the items, plus one comma between each two.
pub fn batch_body_len<'a>(items: impl IntoIterator<Item = &'a [u8]>) -> usize {
    let mut len = BATCH_PREFIX.len() + BATCH_SUFFIX.len();
    for (i, item) in items.into_iter().enumerate() {
        len += item.len() + usize::from(i > 0);
    }
    len
}

const BATCH_PREFIX: &[u8] = b"{\"batch\":[";
const BATCH_SUFFIX: &[u8] = b"]}";

/// Joins serialized items (from [`WireEvent::batch_items_json`]) into a `batch_events` body.
pub fn batch_body_from_items<'a>(items: impl IntoIterator<Item = &'a [u8]> + Clone) -> Vec<u8> {
    let mut body = Vec::with_capacity(batch_body_len(items.clone()));
    body.extend_from_slice(BATCH_PREFIX);
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(item);
    }
    body.extend_from_slice(BATCH_SUFFIX);
    body
}

/// The `POST /batch_events` body: one item per (event, channel) pair, in order.
pub fn batch_body<'a>(events: impl IntoIterator<Item = &'a WireEvent>) -> Result<Vec<u8>> {
    let mut batch = Vec::new();
    let mut size_hint = 0;
    for event in events {
        // Each item repeats name, data and socket id beside its own channel.
        let per_item =
            event.approximate_len() - event.channels.iter().map(|c| c.len() + 3).sum::<usize>();
        size_hint += event
            .channels
            .iter()
            .map(|c| per_item + c.len() + 48)
            .sum::<usize>();
        for channel in &event.channels {
            batch.push(TriggerBody {
                channel: Some(channel),
                channels: None,
                ..event.body()
            });
        }
    }
    to_json_bytes(&BatchBody { batch }, size_hint, "batch body")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(channels: &[&str]) -> WireEvent {
        WireEvent {
            channels: channels.iter().map(|c| c.to_string()).collect(),
            name: "my_event".into(),
            data: r#"{"message":"hello"}"#.into(),
            socket_id: None,
            info: None,
        }
    }

    #[test]
    fn single_channel_body_matches_the_golden_vector_bytes() {
        assert_eq!(
            String::from_utf8(wire(&["my-channel"]).trigger_body().unwrap()).unwrap(),
            r#"{"name":"my_event","data":"{\"message\":\"hello\"}","channel":"my-channel"}"#
        );
    }

    #[test]
    fn several_channels_socket_and_info() {
        let mut w = wire(&["a", "b"]);
        w.socket_id = Some("1.2".into());
        w.info = Some("subscription_count".into());
        assert_eq!(
            String::from_utf8(w.trigger_body().unwrap()).unwrap(),
            r#"{"name":"my_event","data":"{\"message\":\"hello\"}","channels":["a","b"],"socket_id":"1.2","info":"subscription_count"}"#
        );
    }

    #[test]
    fn batch_has_one_channel_per_item_in_order() {
        let body = batch_body(&[wire(&["a", "b"]), wire(&["c"])]).unwrap();
        let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let channels: Vec<&str> = parsed["batch"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["channel"].as_str().unwrap())
            .collect();
        assert_eq!(channels, ["a", "b", "c"]);
        assert!(parsed["batch"][0].get("channels").is_none());
    }

    #[test]
    fn items_joined_equal_the_batch_body() {
        let events = [wire(&["a", "b"]), wire(&["c"])];
        let items: Vec<Vec<u8>> = events
            .iter()
            .flat_map(|e| e.batch_items_json().unwrap())
            .collect();
        let joined = batch_body_from_items(items.iter().map(Vec::as_slice));
        assert_eq!(joined, batch_body(&events).unwrap());
        assert_eq!(
            joined.len(),
            batch_body_len(items.iter().map(Vec::as_slice))
        );
    }

    #[test]
    fn json_data_is_sent_as_a_string() {
        let e = Event::with_json(["c"], "e", &serde_json::json!({"a": [1, 2]})).unwrap();
        assert_eq!(e.data, r#"{"a":[1,2]}"#);
    }
}
