//! What tests read of a process or a configuration that more than one suite needs.

use pushcast_core::ServerProfile;

/// This process's resident memory, in bytes (`VmRSS` of `/proc/self/status`).
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    kb * 1024
}

/// `profile` with every limit at its largest value (`usize::MAX`): the engine's arithmetic
/// must not overflow on any of them.
pub fn with_largest_limits(mut profile: ServerProfile) -> ServerProfile {
    profile.max_events_per_batch = Some(usize::MAX);
    profile.max_channels_per_event = Some(usize::MAX);
    profile.max_event_data_bytes = Some(usize::MAX);
    profile.max_body_bytes = Some(usize::MAX);
    profile.max_request_bytes = Some(usize::MAX);
    profile
}
