//! Backstage filter strings and predicate JSON (OWNER: store helper).

use serde_json::Value;

use super::Predicate;
use crate::diagnostic::Diagnostic;

/// Parse Backstage filter strings: within one string commas are AND; several strings are OR.
pub fn parse_filters(_filters: &[String]) -> Result<Option<Predicate>, Diagnostic> {
    Err(Diagnostic::error("", "filters are not implemented yet"))
}

/// Parse a predicate tree (`$all`, `$any`, `$not`, `$exists`, `$in`, `$hasPrefix`, `$contains`).
pub fn parse_predicate(_value: &Value) -> Result<Predicate, Diagnostic> {
    Err(Diagnostic::error("", "predicates are not implemented yet"))
}
