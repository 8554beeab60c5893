//! Opaque keyset cursors.
//!
//! A cursor is URL-safe base64 of a small JSON document: the sort values
//! and key of the last entity of a page, a fingerprint of the query it
//! belongs to (filter, text and ordering), and a checksum. Paging resumes
//! *after* that entity (see `query::sql::page`), so inserts and deletes
//! between pages never shift results the way offsets do. A cursor that was
//! edited, truncated or made for another query is refused with an
//! `Error::Invalid` naming `cursor`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::query::sql::After;
use crate::query::{Order, Query};

#[derive(Serialize, Deserialize)]
struct Wire {
    /// Sort values of the last row.
    v: Vec<Option<String>>,
    /// Its entity key.
    k: String,
    /// Query fingerprint.
    q: String,
    /// Checksum over the above.
    c: String,
}

fn short_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    hex::encode(&h.finalize()[..8])
}

/// Identifies what a cursor pages through: filter, text and (normalized) order.
fn fingerprint(query: &Query, order: &[Order]) -> String {
    let filter = serde_json::to_string(&query.filter).unwrap_or_default();
    let order = serde_json::to_string(order).unwrap_or_default();
    let text = query.text.as_deref().unwrap_or("").trim().to_lowercase();
    short_hash(&[&filter, &text, &order])
}

fn checksum(w: &Wire) -> String {
    let v = serde_json::to_string(&w.v).unwrap_or_default();
    short_hash(&[&v, &w.k, &w.q])
}

/// The cursor that resumes after `after`.
pub fn encode(query: &Query, order: &[Order], after: &After) -> String {
    let mut w = Wire {
        v: after.values.clone(),
        k: after.key.clone(),
        q: fingerprint(query, order),
        c: String::new(),
    };
    w.c = checksum(&w);
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&w).unwrap_or_default())
}

fn invalid(message: &str) -> Error {
    Error::invalid(Diagnostic::error("cursor", message))
}

/// Read a cursor made by [`encode`] for the same query.
pub fn decode(query: &Query, order: &[Order], cursor: &str) -> Result<After> {
    const DAMAGED: &str = "the cursor is damaged or was edited; pass back the next_cursor \
                           of the previous page unchanged, or start again without a cursor";
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.trim().trim_end_matches('='))
        .map_err(|_| invalid(DAMAGED))?;
    let w: Wire = serde_json::from_slice(&bytes).map_err(|_| invalid(DAMAGED))?;
    if checksum(&w) != w.c || w.v.len() != order.len() {
        return Err(invalid(DAMAGED));
    }
    if w.q != fingerprint(query, order) {
        return Err(invalid(
            "the cursor belongs to a query with another filter, search text or order; \
             use it with the same query, or start again without a cursor",
        ));
    }
    Ok(After {
        values: w.v,
        key: w.k,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::Predicate;

    fn query() -> Query {
        Query {
            filter: Some(Predicate::Eq {
                key: "kind".into(),
                value: "component".into(),
            }),
            ..Query::default()
        }
    }

    #[test]
    fn round_trips() {
        let order = vec![Order::parse("-metadata.name")];
        let after = After {
            values: vec![None],
            key: "component:default/a".into(),
        };
        let c = encode(&query(), &order, &after);
        assert_eq!(decode(&query(), &order, &c).unwrap(), after);
    }

    #[test]
    fn edits_and_other_queries_are_refused() {
        let order = vec![];
        let after = After {
            values: vec![],
            key: "component:default/a".into(),
        };
        let c = encode(&query(), &order, &after);
        let bytes = URL_SAFE_NO_PAD.decode(&c).unwrap();
        let edited = String::from_utf8(bytes)
            .unwrap()
            .replace("default/a", "default/b");
        let edited = URL_SAFE_NO_PAD.encode(edited);
        for bad in [edited.as_str(), "not a cursor", "e30"] {
            let e = decode(&query(), &order, bad).unwrap_err().to_string();
            assert!(e.contains("cursor: the cursor is damaged"), "{e}");
        }
        let e = decode(&Query::default(), &order, &c)
            .unwrap_err()
            .to_string();
        assert!(e.contains("another filter"), "{e}");
    }
}
