//! YAML 1.2 core-schema scalar resolution.
//!
//! Plain scalars resolve to null (`null`, `Null`, `NULL`, `~`, empty), booleans
//! (`true`/`false` in three casings), integers (decimal, `0o` octal, `0x` hex)
//! and floats; everything else — including YAML 1.1's `yes`/`no`/`on`/`off` —
//! stays a string. Quoted and block scalars are always strings. The core tags
//! `!!str`, `!!int`, `!!float`, `!!bool` and `!!null` force a type; any other
//! tag leaves the text as a string (as Backstage's `yaml` package does).
//! `.inf` and `.nan` have no JSON form and stay strings.
//!
//! Mapping keys are resolved the same way and then written as JavaScript's
//! `String(value)` would (`null` → `""`, `1.50` → `"1.5"`, `0x1F` → `"31"`),
//! which is what Backstage's `yaml` package does, so `true:` and `True:` are
//! the same key there and here.

use saphyr_parser::{ScalarStyle, Tag};
use serde_json::{Number, Value};

/// Resolve a scalar's text to a JSON value; `Err` names what the tag expected.
pub(crate) fn resolve(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    match tag {
        None if style == ScalarStyle::Plain => Ok(resolve_plain(text)),
        None => Ok(Value::String(text.to_string())),
        Some(tag) if tag.is_yaml_core_schema() => {
            let expect = |value: Option<Value>, what: &str| {
                value.ok_or_else(|| {
                    format!("'{text}' is not {what}, but it is tagged !!{}", tag.suffix)
                })
            };
            match tag.suffix.as_str() {
                "null" => expect(is_null(text).then_some(Value::Null), "null"),
                "bool" => expect(as_bool(text).map(Value::Bool), "a boolean (true or false)"),
                "int" => expect(as_int(text), "an integer"),
                "float" => expect(as_int(text).or_else(|| as_float(text)), "a number"),
                _ => Ok(Value::String(text.to_string())),
            }
        }
        Some(_) => Ok(Value::String(text.to_string())),
    }
}

/// A resolved scalar used as a mapping key, as JavaScript's `String(value)`.
pub(crate) fn key_string(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) if n.is_f64() => js_number(n.as_f64().unwrap_or_default()),
        Value::Number(n) => n.to_string(),
        // Collections never reach here (refused as keys before).
        other => other.to_string(),
    }
}

/// JavaScript's `Number.prototype.toString()` for finite numbers: the shortest
/// round-trip digits, exponent form below 1e-6 and from 1e21.
fn js_number(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let s = format!("{f:e}");
        return match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
            _ => s,
        };
    }
    if f == 0.0 {
        return "0".to_string();
    }
    format!("{f}")
}

/// Resolve an untagged plain scalar.
pub fn resolve_plain(text: &str) -> Value {
    if is_null(text) {
        return Value::Null;
    }
    if let Some(b) = as_bool(text) {
        return Value::Bool(b);
    }
    as_int(text)
        .or_else(|| as_float(text))
        .unwrap_or_else(|| Value::String(text.to_string()))
}

fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

fn as_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn all_digits(s: &str, radix: u32) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_digit(radix))
}

fn as_int(text: &str) -> Option<Value> {
    if let Some(oct) = text.strip_prefix("0o") {
        return all_digits(oct, 8).then(|| radix_value(oct, 8))?;
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return all_digits(hex, 16).then(|| radix_value(hex, 16))?;
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !all_digits(digits, 10) {
        return None;
    }
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    if let Ok(i) = unsigned.parse::<i64>() {
        return Some(Value::from(i));
    }
    if let Ok(u) = unsigned.parse::<u64>() {
        return Some(Value::from(u));
    }
    // Too large for 64 bits: a float, as JavaScript would read it.
    unsigned
        .parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
}

fn radix_value(digits: &str, radix: u32) -> Option<Value> {
    u64::from_str_radix(digits, radix).ok().map(Value::from)
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn as_float(text: &str) -> Option<Value> {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (int.is_empty() && all_digits(frac, 10))
                || (all_digits(int, 10) && (frac.is_empty() || all_digits(frac, 10)))
        }
        None => all_digits(mantissa, 10),
    };
    let exponent_ok =
        exponent.is_none_or(|e| all_digits(e.strip_prefix(['-', '+']).unwrap_or(e), 10));
    if !(mantissa_ok && exponent_ok) {
        return None;
    }
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    unsigned
        .parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn core_schema_plain_scalars() {
        let cases = [
            ("null", json!(null)),
            ("~", json!(null)),
            ("", json!(null)),
            ("NULL", json!(null)),
            ("true", json!(true)),
            ("False", json!(false)),
            ("yes", json!("yes")),
            ("no", json!("no")),
            ("on", json!("on")),
            ("off", json!("off")),
            ("y", json!("y")),
            ("12", json!(12)),
            ("-12", json!(-12)),
            ("+12", json!(12)),
            ("012", json!(12)),
            ("0o17", json!(15)),
            ("0x1F", json!(31)),
            ("0x", json!("0x")),
            ("1_000", json!("1_000")),
            ("1.5", json!(1.5)),
            ("-.5", json!(-0.5)),
            ("1.", json!(1.0)),
            ("1e3", json!(1000.0)),
            ("2.5E-1", json!(0.25)),
            (".inf", json!(".inf")),
            (".nan", json!(".nan")),
            ("1.2.3", json!("1.2.3")),
            ("v1", json!("v1")),
            ("18446744073709551615", json!(18_446_744_073_709_551_615u64)),
            ("-", json!("-")),
            (".", json!(".")),
            ("e3", json!("e3")),
        ];
        for (text, expected) in cases {
            assert_eq!(resolve_plain(text), expected, "{text:?}");
        }
    }

    #[test]
    fn keys_are_written_like_javascript() {
        let key = |text: &str| key_string(&resolve_plain(text));
        assert_eq!(key("null"), "");
        assert_eq!(key("~"), "");
        assert_eq!(key("True"), "true");
        assert_eq!(key("1.50"), "1.5");
        assert_eq!(key("0x1F"), "31");
        assert_eq!(key("1e3"), "1000");
        assert_eq!(key("-0.0"), "0");
        assert_eq!(key("1e21"), "1e+21");
        assert_eq!(key("1.5e-7"), "1.5e-7");
        assert_eq!(key("0.000001"), "0.000001");
        assert_eq!(key("name"), "name");
    }

    #[test]
    fn quoted_scalars_stay_strings() {
        for style in [
            ScalarStyle::SingleQuoted,
            ScalarStyle::DoubleQuoted,
            ScalarStyle::Literal,
        ] {
            assert_eq!(resolve("true", style, None).unwrap(), json!("true"));
            assert_eq!(resolve("12", style, None).unwrap(), json!("12"));
        }
    }

    #[test]
    fn core_tags_force_types() {
        let tag = |suffix: &str| Tag {
            handle: "tag:yaml.org,2002:".into(),
            suffix: suffix.into(),
        };
        let plain = ScalarStyle::Plain;
        assert_eq!(
            resolve("12", plain, Some(&tag("str"))).unwrap(),
            json!("12")
        );
        assert_eq!(
            resolve("12", ScalarStyle::DoubleQuoted, Some(&tag("int"))).unwrap(),
            json!(12)
        );
        assert_eq!(resolve("3", plain, Some(&tag("float"))).unwrap(), json!(3));
        assert!(
            resolve("x", plain, Some(&tag("int")))
                .unwrap_err()
                .contains("not an integer")
        );
        let custom = Tag {
            handle: "!".into(),
            suffix: "Ref".into(),
        };
        assert_eq!(
            resolve("true", plain, Some(&custom)).unwrap(),
            json!("true")
        );
    }
}
