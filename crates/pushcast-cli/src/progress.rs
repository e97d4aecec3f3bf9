//! The progress bar of long runs (bulk replay, bench): delivered per second and errors, drawn
//! on stderr only when stderr is a terminal.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use pushcast_client::StatsSnapshot;

/// A bar counting resolved (delivered or failed) events out of `total`.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar for `total` events; hidden when stderr is not a terminal.
    pub fn new(total: u64, label: &str) -> Self {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
        if std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        // A template error would be a bug in the literal below; fall back to the default style.
        if let Ok(style) = ProgressStyle::with_template(
            "{prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} {rate} {msg}",
        ) {
            bar.set_style(style.with_key(
                "rate",
                |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                    let _ = write!(out, "{:.0} delivered/s", state.per_sec());
                },
            ));
        }
        bar.set_prefix(label.to_owned());
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress { bar }
    }

    /// Shows the client's counters: position = delivered + failed, message = errors.
    pub fn update(&self, stats: &StatsSnapshot) {
        self.bar.set_position(stats.delivered + stats.failed);
        let errors = stats.failed + stats.rejected_queue_full + stats.dropped_newest;
        self.bar
            .set_message(format!("errors {errors} retried {}", stats.retried));
    }

    /// `n` events fewer than announced (a line refused before sending).
    pub fn shrink(&self, n: u64) {
        if let Some(len) = self.bar.length() {
            self.bar.set_length(len.saturating_sub(n));
        }
    }

    /// Removes the bar; the caller prints the summary line.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
