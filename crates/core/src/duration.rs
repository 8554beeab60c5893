//! Durations as people write them in configuration and flags: `500ms`,
//! `30s`, `5m`, `24h`, `7d`.

use std::time::Duration;

/// What a duration looks like, for error messages.
pub const EXPECTED: &str =
    "expected a whole number and a unit ms, s, m, h or d, such as 30m, 24h or 7d";

/// Parse a whole number and a unit (`ms`, `s`, `m`, `h`, `d`). The error
/// says what was expected.
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("'{text}' has no unit: {EXPECTED}"))?;
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("'{text}' does not start with a number: {EXPECTED}"))?;
    let seconds_per: u64 = match unit {
        "ms" => return Ok(Duration::from_millis(n)),
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("'{text}' has unit '{unit}': {EXPECTED}")),
    };
    Ok(Duration::from_secs(n.saturating_mul(seconds_per)))
}
