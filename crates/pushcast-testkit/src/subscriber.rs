//! Our own Pusher subscriber (tokio-tungstenite), with a blocking API for tests.
//!
//! It connects to `/app/{key}`, answers pings, signs private and presence subscriptions with
//! the core's channel auth (as `/broadcasting/auth` would), and records every event it receives
//! with its arrival time.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use parking_lot::{Condvar, Mutex};
use pushcast_core::App;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// An event as the subscriber received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub channel: String,
    pub event: String,
    pub data: String,
    pub at: Instant,
}

#[derive(Default)]
struct State {
    socket_id: Option<String>,
    subscribed: HashSet<String>,
    events: Vec<Received>,
    closed: bool,
}

/// A connected subscriber. Its connection lives on its own runtime thread.
pub struct Subscriber {
    state: Arc<(Mutex<State>, Condvar)>,
    outgoing: mpsc::UnboundedSender<String>,
    _runtime: tokio::runtime::Runtime,
}

impl Subscriber {
    /// Connects to the server on `port` as app `key`, waiting for the socket id.
    pub fn connect(port: u16, key: &str) -> Subscriber {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let url = format!(
            "ws://127.0.0.1:{port}/app/{key}?protocol=7&client=pushcast-testkit&version=0.1"
        );
        let (ws, _) = runtime
            .block_on(tokio_tungstenite::connect_async(&url))
            .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
        let (mut sink, mut stream) = ws.split();
        let state: Arc<(Mutex<State>, Condvar)> = Arc::default();
        let (outgoing, mut outgoing_rx) = mpsc::unbounded_channel::<String>();
        let pong = outgoing.clone();
        runtime.spawn(async move {
            while let Some(text) = outgoing_rx.recv().await {
                if sink.send(Message::Text(text)).await.is_err() {
                    break;
                }
            }
        });
        let reader_state = Arc::clone(&state);
        runtime.spawn(async move {
            while let Some(Ok(message)) = stream.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                let Ok(frame) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                let event = frame["event"].as_str().unwrap_or_default().to_owned();
                let channel = frame["channel"].as_str().unwrap_or_default().to_owned();
                let data = match &frame["data"] {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let (lock, signal) = &*reader_state;
                let mut s = lock.lock();
                match event.as_str() {
                    "pusher:connection_established" => {
                        let parsed: Value = serde_json::from_str(&data).unwrap_or_default();
                        s.socket_id = parsed["socket_id"].as_str().map(str::to_owned);
                    }
                    "pusher:ping" => {
                        let _ = pong.send(json!({"event": "pusher:pong", "data": {}}).to_string());
                    }
                    "pusher_internal:subscription_succeeded" => {
                        s.subscribed.insert(channel);
                    }
                    e if e.starts_with("pusher") => {}
                    _ => s.events.push(Received {
                        channel,
                        event,
                        data,
                        at: Instant::now(),
                    }),
                }
                signal.notify_all();
            }
            let (lock, signal) = &*reader_state;
            lock.lock().closed = true;
            signal.notify_all();
        });
        let sub = Subscriber {
            state,
            outgoing,
            _runtime: runtime,
        };
        sub.wait(Duration::from_secs(10), |s| s.socket_id.is_some())
            .expect("no pusher:connection_established");
        sub
    }

    fn wait(&self, limit: Duration, done: impl Fn(&State) -> bool) -> Option<()> {
        let deadline = Instant::now() + limit;
        let (lock, signal) = &*self.state;
        let mut s = lock.lock();
        while !done(&s) {
            if s.closed || signal.wait_until(&mut s, deadline).timed_out() {
                return done(&s).then_some(());
            }
        }
        Some(())
    }

    /// This connection's socket id.
    pub fn socket_id(&self) -> String {
        self.state.0.lock().socket_id.clone().unwrap_or_default()
    }

    fn subscribe_with(&self, channel: &str, data: Value) {
        self.outgoing
            .send(json!({"event": "pusher:subscribe", "data": data}).to_string())
            .unwrap();
        self.wait(Duration::from_secs(10), |s| s.subscribed.contains(channel))
            .unwrap_or_else(|| panic!("subscription to {channel} not confirmed"));
    }

    /// Subscribes to a channel, signing private channels with `app`; waits for confirmation.
    pub fn subscribe(&self, app: &App, channel: &str) {
        let mut data = json!({"channel": channel});
        if channel.starts_with("private-") {
            let auth = app
                .authorize_channel(&self.socket_id(), channel, None)
                .unwrap();
            data["auth"] = json!(auth.auth);
        }
        self.subscribe_with(channel, data);
    }

    /// Joins a presence channel as `user_id`.
    pub fn join_presence(&self, app: &App, channel: &str, user_id: &str, info: &Value) {
        let auth = app
            .authorize_presence_channel(&self.socket_id(), channel, user_id, Some(info))
            .unwrap();
        self.subscribe_with(
            channel,
            json!({"channel": channel, "auth": auth.auth, "channel_data": auth.channel_data}),
        );
    }

    /// A copy of every event received so far.
    pub fn events(&self) -> Vec<Received> {
        self.state.0.lock().events.clone()
    }

    /// How many events arrived so far.
    pub fn count(&self) -> usize {
        self.state.0.lock().events.len()
    }

    /// Waits until at least `n` events arrived or `limit` passed; returns the count.
    pub fn wait_for(&self, n: usize, limit: Duration) -> usize {
        let _ = self.wait(limit, |s| s.events.len() >= n);
        self.count()
    }

    /// Whether the server closed the connection.
    pub fn closed(&self) -> bool {
        self.state.0.lock().closed
    }
}
