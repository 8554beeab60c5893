//! Time-to-live of a held change: `30m`, `24h`, `7d`.

/// The longest a change may be held.
const MAX_DAYS: i64 = 90;

/// Parse a time-to-live: a positive whole number and a unit (`s`, `m`, `h`,
/// `d`), at most 90 days. The error says what was expected.
pub(crate) fn parse_ttl(text: &str) -> Result<chrono::Duration, String> {
    let expected = "expected a whole number and a unit s, m, h or d, such as 30m, 24h or 7d";
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("'{text}' has no unit: {expected}"))?;
    let (number, unit) = text.split_at(split);
    let n: i64 = number
        .parse()
        .map_err(|_| format!("'{text}' does not start with a number: {expected}"))?;
    let seconds_per = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("'{text}' has unit '{unit}': {expected}")),
    };
    let seconds = n.saturating_mul(seconds_per);
    if n == 0 {
        return Err(format!("'{text}' is zero: a held change must wait a while"));
    }
    if seconds > MAX_DAYS * 86_400 {
        return Err(format!("'{text}' is longer than {MAX_DAYS}d"));
    }
    Ok(chrono::Duration::seconds(seconds))
}
