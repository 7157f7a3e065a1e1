//! Wall-clock time as Kafka counts it: milliseconds since the Unix epoch. Timers use tokio's
//! monotonic clock; this is only for timestamps that are stored or sent to clients.

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
