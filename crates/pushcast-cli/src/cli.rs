//! The command line, as clap reads it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::ConfigFlags;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  other failure (local file, decryption, unreadable server answer)
  2  bad command line or bad input (nothing was sent)
  3  missing or unusable configuration
  4  delivery failure: the server refused, was unreachable, or events were not all delivered
  5  the webhook did not pass verification
  6  the server refused a subscription or the connection (tail)
  7  nothing arrived within --timeout (tail)

Configuration: flags, then the environment (PUSHCAST_*, then Laravel's REVERB_* and PUSHER_*),
then a Laravel .env file (--env-file, default ./.env). `pushcast config` shows what was found.";

/// Publish, watch and check Pusher-protocol traffic (Reverb, Pusher, sockudo, soketi).
#[derive(Debug, Parser)]
#[command(name = "pushcast", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// Connection and credentials.
    #[command(flatten)]
    pub config: ConfigFlags,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Publish an event (or replay a file of events).
    Trigger(TriggerArgs),
    /// Subscribe over WebSocket and print events as they arrive.
    Tail(TailArgs),
    /// Print the auth JSON an auth endpoint would answer.
    #[command(subcommand)]
    Auth(AuthCommand),
    /// Webhooks.
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// List occupied channels.
    Channels(ChannelsArgs),
    /// List the users of a presence channel.
    Users(UsersArgs),
    /// Publish a load and report throughput; live stats go to a file `pushcast stats` reads.
    Bench(BenchArgs),
    /// Print the live stats of a running (or finished) `pushcast bench`.
    Stats(StatsArgs),
    /// Print the resolved configuration (secret masked) and where each value came from.
    Config,
}

/// `pushcast trigger`.
#[derive(Debug, Args)]
pub struct TriggerArgs {
    /// Channel(s): repeat the flag or separate with commas.
    #[arg(
        short,
        long = "channel",
        value_delimiter = ',',
        required_unless_present = "from_file"
    )]
    pub channels: Vec<String>,
    /// Event name.
    #[arg(required_unless_present = "from_file")]
    pub event: Option<String>,
    /// Event data (JSON text, sent as given); `-` or absent with a piped stdin: read stdin.
    pub data: Option<String>,
    /// Exclude this connection (socket id) from delivery (per line in --from-file).
    #[arg(long, conflicts_with = "from_file")]
    pub socket_id: Option<String>,
    /// Wait for the server's acknowledgement and print its answer.
    #[arg(long, conflicts_with = "from_file")]
    pub confirmed: bool,
    /// With --confirmed: ask for channel attributes (e.g. subscription_count,user_count).
    #[arg(long, requires = "confirmed")]
    pub info: Option<String>,
    /// Replay a JSON-lines file: one {"channel"|"channels", "name", "data", "socket_id"} a line.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["channels", "event", "data"])]
    pub from_file: Option<PathBuf>,
    /// How long to wait for delivery, in seconds.
    #[arg(long, default_value_t = 30.0)]
    pub timeout: f64,
}

/// `pushcast tail`.
#[derive(Debug, Args)]
pub struct TailArgs {
    /// Channels to subscribe to: public, private-, presence- and private-encrypted-.
    #[arg(required = true, value_delimiter = ',')]
    pub channels: Vec<String>,
    /// Presence channels: the user id to join as.
    #[arg(long)]
    pub user_id: Option<String>,
    /// Presence channels: user info JSON.
    #[arg(long)]
    pub user_info: Option<String>,
    /// Exit after this many events.
    #[arg(long)]
    pub count: Option<u64>,
    /// Exit with code 7 when no event arrives for this many seconds (also bounds connecting).
    #[arg(long)]
    pub timeout: Option<f64>,
    /// Print the server's frames as received (no decryption, internal events included).
    #[arg(long)]
    pub raw: bool,
}

/// `pushcast auth ...`.
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// A private- or private-encrypted- channel (the latter carries shared_secret).
    #[command(visible_alias = "encrypted")]
    Private {
        /// The channel.
        channel: String,
        /// The subscriber's socket id.
        #[arg(long)]
        socket_id: String,
    },
    /// A presence- channel.
    Presence {
        /// The channel.
        channel: String,
        /// The subscriber's socket id.
        #[arg(long)]
        socket_id: String,
        /// The member's user id.
        #[arg(long)]
        user_id: String,
        /// The member's info, JSON.
        #[arg(long)]
        user_info: Option<String>,
    },
    /// User sign-in (pusher:signin).
    User {
        /// The subscriber's socket id.
        #[arg(long)]
        socket_id: String,
        /// The user's id (user_data becomes {"id": ..} plus --user-info fields).
        #[arg(long, required_unless_present = "user_data")]
        user_id: Option<String>,
        /// Extra user_data fields, JSON object.
        #[arg(long, requires = "user_id")]
        user_info: Option<String>,
        /// Already-encoded user_data, signed as given.
        #[arg(long, conflicts_with = "user_id")]
        user_data: Option<String>,
    },
}

/// `pushcast webhook ...`.
#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Check a webhook's signature and print its events.
    Verify(WebhookVerifyArgs),
}

/// `pushcast webhook verify`.
#[derive(Debug, Args)]
pub struct WebhookVerifyArgs {
    /// The raw body: a file, or `-` / absent for stdin.
    pub body: Option<PathBuf>,
    /// The X-Pusher-Key header (default: the configured app key).
    #[arg(long)]
    pub key: Option<String>,
    /// The X-Pusher-Signature header.
    #[arg(long)]
    pub signature: String,
    /// Also reject a body whose time_ms is further than this from now, in seconds.
    #[arg(long)]
    pub max_age: Option<u64>,
}

/// `pushcast channels`.
#[derive(Debug, Args)]
pub struct ChannelsArgs {
    /// Only channels starting with this prefix (e.g. presence-).
    #[arg(long)]
    pub prefix: Option<String>,
    /// Attributes to ask for (e.g. user_count, subscription_count).
    #[arg(long)]
    pub info: Option<String>,
}

/// `pushcast users`.
#[derive(Debug, Args)]
pub struct UsersArgs {
    /// The presence channel.
    pub channel: String,
}

/// `pushcast bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Events to publish.
    #[arg(short = 'n', long, default_value_t = 10_000)]
    pub events: u64,
    /// Events per second (0: as fast as the queue takes them).
    #[arg(long, default_value_t = 0)]
    pub rate: u64,
    /// Bytes of data per event.
    #[arg(long, default_value_t = 100)]
    pub payload_size: usize,
    /// Channels to spread the events over (`<prefix>0`, `<prefix>1`, ...).
    #[arg(long, default_value_t = 1)]
    pub channels: usize,
    /// Channel name prefix.
    #[arg(long, default_value = "bench-")]
    pub channel_prefix: String,
    /// Where to write live stats (default: printed at start, under the temp dir).
    #[arg(long, value_name = "PATH")]
    pub stats_file: Option<PathBuf>,
    /// How long to wait for the last deliveries, in seconds.
    #[arg(long, default_value_t = 60.0)]
    pub timeout: f64,
}

/// `pushcast stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// The bench's stats file (default: the most recently started bench's).
    #[arg(long, value_name = "PATH")]
    pub stats_file: Option<PathBuf>,
    /// Keep printing until the bench finishes.
    #[arg(long)]
    pub watch: bool,
    /// Seconds between prints with --watch.
    #[arg(long, default_value_t = 1.0)]
    pub interval: f64,
    /// Print the snapshot JSON as written by the bench.
    #[arg(long)]
    pub json: bool,
}
