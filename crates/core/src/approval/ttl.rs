//! Time-to-live of a held change: `30m`, `24h`, `7d`.

/// The longest a change may be held.
const MAX_DAYS: u64 = 90;

/// Parse a time-to-live: a positive whole number and a unit (`s`, `m`, `h`,
/// `d`), at most 90 days. The error says what was expected.
pub(crate) fn parse_ttl(text: &str) -> Result<chrono::Duration, String> {
    let text = text.trim();
    let seconds = crate::duration::parse(text)?.as_secs();
    if seconds == 0 {
        return Err(format!("'{text}' is zero: a held change must wait a while"));
    }
    if seconds > MAX_DAYS * 86_400 {
        return Err(format!("'{text}' is longer than {MAX_DAYS}d"));
    }
    Ok(chrono::Duration::seconds(seconds as i64))
}
