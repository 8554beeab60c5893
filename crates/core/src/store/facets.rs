//! Facet counts kept by the commit, so a portal's facets cost a lookup
//! whatever the catalogue's size.
//!
//! `facet_counts(scope, field, value, n)` holds, for every field of
//! [`FIELDS`], how many entities have each value: once over all entities
//! (scope `''`) and once per kind (scope = the lower-cased kind), so the
//! counts a catalogue page shows with no filter, or filtered to one kind,
//! are read, not computed. Any other filter is counted from the indexes
//! (`query::sql::facets`), over the entities that match.
//!
//! A commit tallies what each written entity had ([`old_rows_sql`], read
//! before its rows are replaced) and has ([`Tally::entity`] on its new rows),
//! and applies the differences in the same transaction: the counts are
//! never out of step with the entities. Migration 6 fills the table from
//! what is stored ([`FILL`]).
//!
//! A kept `relations.<type>` facet counts the relations an entity declares
//! about itself (rows it originates with itself as source). Only a type
//! that no other entity can declare about it may be kept, so that these are
//! all its rows of that type and the kept and the computed counts agree:
//! `ownedBy` comes only from an entity's own `spec.owner`.

use std::collections::HashMap;

use super::plan::Row;
use crate::query::Predicate;

/// Fields whose counts are kept, lower-cased: what a catalogue page shows.
pub const FIELDS: &[&str] = &[
    "kind",
    "metadata.namespace",
    "metadata.tags",
    "spec.type",
    "spec.owner",
    "spec.lifecycle",
    "relations.ownedby",
];

/// Whether `field` (as a caller spells it) has kept counts.
pub fn kept(field: &str) -> bool {
    let f = field.trim().to_lowercase();
    FIELDS.contains(&f.as_str())
}

/// The scope whose kept counts answer a facet query with this filter:
/// `Some("")` for no filter, `Some(kind)` for a filter that is exactly one
/// kind (`kind=component`, however nested in one-child `$all`/`$any`);
/// `None` when the counts must be computed.
pub fn scope(filter: Option<&Predicate>) -> Option<String> {
    fn one_kind(p: &Predicate) -> Option<String> {
        match p {
            Predicate::All(c) | Predicate::Any(c) if c.len() == 1 => one_kind(&c[0]),
            Predicate::Eq { key, value } if key.trim().eq_ignore_ascii_case("kind") => {
                Some(value.to_lowercase())
            }
            Predicate::In { key, values }
                if key.trim().eq_ignore_ascii_case("kind") && values.len() == 1 =>
            {
                Some(values[0].to_lowercase())
            }
            _ => None,
        }
    }
    match filter {
        None => Some(String::new()),
        Some(Predicate::All(c)) if c.is_empty() => Some(String::new()),
        Some(p) => one_kind(p),
    }
}

/// The kept count that is the number of entities matching `filter`, if
/// one is: `(scope, field, value)`, where `value` `None` means the sum over
/// the field `kind` (every entity of the scope). Answers no filter, one
/// kind, one kept field equal to a value, and both together
/// (`kind=component,spec.owner=team-a`).
pub fn total(filter: Option<&Predicate>) -> Option<(String, String, Option<String>)> {
    fn flat<'a>(p: &'a Predicate, out: &mut Vec<&'a Predicate>) -> bool {
        match p {
            Predicate::All(c) => c.iter().all(|c| flat(c, out)),
            Predicate::Any(c) if c.len() == 1 => flat(&c[0], out),
            Predicate::Eq { .. } => {
                out.push(p);
                true
            }
            _ => false,
        }
    }
    let mut leaves = Vec::new();
    if let Some(p) = filter
        && !flat(p, &mut leaves)
    {
        return None;
    }
    let mut kind = None;
    let mut other = None;
    for leaf in leaves {
        let Predicate::Eq { key, value } = leaf else {
            return None;
        };
        let key = key.trim().to_lowercase();
        let value = value.to_lowercase();
        if key == "kind" && kind.is_none() {
            kind = Some(value);
        } else if FIELDS.contains(&key.as_str()) && other.is_none() {
            other = Some((key, value));
        } else {
            return None;
        }
    }
    let scope = kind.clone().unwrap_or_default();
    Some(match other {
        Some((field, value)) => (scope, field, Some(value)),
        None => match kind {
            Some(k) => (scope, "kind".to_string(), Some(k)),
            None => (scope, "kind".to_string(), None),
        },
    })
}

/// Relation types among [`FIELDS`] (`ownedby`), as stored.
fn relation_types() -> impl Iterator<Item = &'static str> {
    FIELDS.iter().filter_map(|f| f.strip_prefix("relations."))
}

/// `'a', 'b'`: SQL literals of constant names (never user input).
fn literals<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Search keys to read: `kind` and the fields kept from `search`.
fn search_keys() -> String {
    literals(
        FIELDS
            .iter()
            .copied()
            .filter(|f| !f.starts_with("relations.")),
    )
}

/// A statement returning `(entity_id, field, value)` for the kept fields of
/// the entities whose ids are bound as the one parameter: `?1` for one id
/// (SQLite), `$1` for an array of ids (PostgreSQL).
pub fn old_rows_sql(postgres: bool) -> String {
    rows_sql(Some(ids_param(postgres)), false)
}

/// The rows of the facet sets (`store::facet_bits`) of the entities whose
/// ids are bound as in [`old_rows_sql`]: the kept fields and every label
/// (`metadata.labels.*`).
pub fn set_rows_sql(postgres: bool) -> String {
    rows_sql(Some(ids_param(postgres)), true)
}

/// [`set_rows_sql`] for every entity (no parameter).
pub fn all_set_rows_sql() -> String {
    rows_sql(None, true)
}

fn ids_param(postgres: bool) -> &'static str {
    if postgres { "= ANY($1)" } else { "= ?1" }
}

/// The search keys of labels, as a `LIKE` pattern.
pub const LABELS: &str = "metadata.labels.";

fn rows_sql(ids: Option<&str>, labels: bool) -> String {
    let of_labels = if labels {
        format!(" OR s.key LIKE '{LABELS}%'")
    } else {
        String::new()
    };
    let (of_search, of_relations) = match ids {
        Some(ids) => (
            format!("s.entity_id {ids} AND "),
            format!("r.originating_entity_id {ids} AND "),
        ),
        None => (String::new(), String::new()),
    };
    format!(
        "SELECT s.entity_id, s.key, s.value FROM search s \
         WHERE {of_search}(s.key IN ({keys}){of_labels}) AND s.value IS NOT NULL \
         UNION ALL \
         SELECT r.originating_entity_id, 'relations.' || r.type, r.target_key FROM relations r \
         JOIN entities e ON e.id = r.originating_entity_id \
         WHERE {of_relations}r.source_key = e.key AND r.type IN ({types})",
        keys = search_keys(),
        types = literals(relation_types()),
    )
}

/// Fills `facet_counts` from stored rows (migration 6, both dialects); a
/// macro so the migrations can `concat!` it after their `CREATE TABLE`.
macro_rules! facet_fill {
    () => {
        "
INSERT INTO facet_counts (scope, field, value, n)
SELECT k.value, s.key, s.value, count(*) FROM search s
JOIN search k ON k.entity_id = s.entity_id AND k.key = 'kind' AND k.value IS NOT NULL
WHERE s.key IN ('kind', 'metadata.namespace', 'metadata.tags', 'spec.type', 'spec.owner', 'spec.lifecycle')
  AND s.value IS NOT NULL
GROUP BY k.value, s.key, s.value;
INSERT INTO facet_counts (scope, field, value, n)
SELECT k.value, 'relations.' || r.type, r.target_key, count(*) FROM relations r
JOIN entities e ON e.id = r.originating_entity_id AND e.key = r.source_key
JOIN search k ON k.entity_id = e.id AND k.key = 'kind' AND k.value IS NOT NULL
WHERE r.type IN ('ownedby')
GROUP BY k.value, r.type, r.target_key;
INSERT INTO facet_counts (scope, field, value, n)
SELECT '', field, value, sum(n) FROM facet_counts GROUP BY field, value;
"
    };
}
pub(crate) use facet_fill;

#[cfg(test)]
const FILL: &str = facet_fill!();

/// The kept fields an entity row has: `(field, value)`, each pair once.
pub fn rows_of<'a>(row: &'a Row<'a>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = row
        .search
        .iter()
        .filter_map(|s| Some((s.key.as_str(), s.value.as_deref()?)))
        .filter(|(k, _)| FIELDS.contains(k))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for r in &row.relations {
        if r.source_key == row.key && relation_types().any(|t| t == r.r#type) {
            out.push((format!("relations.{}", r.r#type), r.target_key.clone()));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Count changes of one commit, by `(scope, field, value)`.
#[derive(Debug, Default)]
pub struct Tally {
    counts: HashMap<(String, String, String), i64>,
}

impl Tally {
    /// Count one entity's kept `(field, value)` pairs (each once) as added
    /// (`sign` 1) or removed (-1), in its kind's scope and in the whole.
    pub fn entity(&mut self, pairs: &[(String, String)], sign: i64) {
        let Some(kind) = pairs.iter().find(|(f, _)| f == "kind").map(|(_, v)| v) else {
            return;
        };
        for (field, value) in pairs {
            for scope in [kind.as_str(), ""] {
                *self
                    .counts
                    .entry((scope.to_string(), field.clone(), value.clone()))
                    .or_default() += sign;
            }
        }
    }

    /// The non-zero changes: `(scope, field, value, change)`.
    pub fn changes(self) -> Vec<(String, String, String, i64)> {
        let mut out: Vec<_> = self
            .counts
            .into_iter()
            .filter(|(_, n)| *n != 0)
            .map(|((s, f, v), n)| (s, f, v, n))
            .collect();
        out.sort();
        out
    }
}

/// Rows `(entity_id, field, value)` grouped by entity, in first-seen order.
pub fn by_entity(rows: Vec<(i64, String, String)>) -> Vec<Vec<(String, String)>> {
    let mut index: HashMap<i64, usize> = HashMap::new();
    let mut out: Vec<Vec<(String, String)>> = Vec::new();
    for (id, f, v) in rows {
        let i = *index.entry(id).or_insert_with(|| {
            out.push(Vec::new());
            out.len() - 1
        });
        out[i].push((f, v));
    }
    for pairs in &mut out {
        pairs.sort();
        pairs.dedup();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fill_and_the_reads_name_every_kept_field() {
        for f in FIELDS {
            match f.strip_prefix("relations.") {
                Some(t) => assert!(FILL.contains(&format!("'{t}'")), "{f} missing from FILL"),
                None => assert!(FILL.contains(&format!("'{f}'")), "{f} missing from FILL"),
            }
            let sql = old_rows_sql(false);
            let name = f.strip_prefix("relations.").unwrap_or(f);
            assert!(sql.contains(&format!("'{name}'")), "{f} missing from {sql}");
        }
    }

    #[test]
    fn one_kind_filters_read_kept_counts() {
        let eq = |k: &str, v: &str| Predicate::Eq {
            key: k.into(),
            value: v.into(),
        };
        assert_eq!(scope(None).as_deref(), Some(""));
        assert_eq!(
            scope(Some(&Predicate::Any(vec![Predicate::All(vec![eq(
                " Kind",
                "Component"
            )])])))
            .as_deref(),
            Some("component")
        );
        assert_eq!(
            scope(Some(&Predicate::All(vec![
                eq("kind", "component"),
                eq("spec.type", "service")
            ]))),
            None
        );
        assert_eq!(scope(Some(&eq("spec.type", "service"))), None);
        assert!(kept("Relations.OwnedBy") && kept(" spec.type") && !kept("spec.system"));
    }

    #[test]
    fn totals_come_from_kept_counts_when_one_answers() {
        let eq = |k: &str, v: &str| Predicate::Eq {
            key: k.into(),
            value: v.into(),
        };
        let s = |a: &str, b: &str, c: Option<&str>| Some((a.into(), b.into(), c.map(Into::into)));
        assert_eq!(total(None), s("", "kind", None));
        assert_eq!(
            total(Some(&eq("Kind", "API"))),
            s("api", "kind", Some("api"))
        );
        assert_eq!(
            total(Some(&Predicate::Any(vec![Predicate::All(vec![
                eq("kind", "component"),
                eq("Spec.Owner", "Team-A")
            ])]))),
            s("component", "spec.owner", Some("team-a"))
        );
        assert_eq!(
            total(Some(&eq("spec.type", "service"))),
            s("", "spec.type", Some("service"))
        );
        // Two kept fields, a field not kept, or anything but equality: counted.
        assert_eq!(
            total(Some(&Predicate::All(vec![
                eq("spec.type", "a"),
                eq("spec.owner", "b")
            ]))),
            None
        );
        assert_eq!(total(Some(&eq("metadata.labels.tier", "gold"))), None);
        assert_eq!(
            total(Some(&Predicate::Any(vec![
                eq("kind", "a"),
                eq("kind", "b")
            ]))),
            None
        );
        assert_eq!(
            total(Some(&Predicate::Exists {
                key: "kind".into(),
                exists: true
            })),
            None
        );
    }

    #[test]
    fn a_tally_counts_each_scope_and_drops_what_cancels() {
        let pairs = |kind: &str, ty: &str| {
            vec![
                ("kind".to_string(), kind.to_string()),
                ("spec.type".to_string(), ty.to_string()),
            ]
        };
        let mut t = Tally::default();
        t.entity(&pairs("component", "service"), 1);
        t.entity(&pairs("component", "website"), 1);
        t.entity(&pairs("component", "service"), -1);
        t.entity(&[("spec.type".into(), "x".into())], 1); // no kind: not counted
        let changes = t.changes();
        assert_eq!(
            changes,
            vec![
                ("".into(), "kind".into(), "component".into(), 1),
                ("".into(), "spec.type".into(), "website".into(), 1),
                ("component".into(), "kind".into(), "component".into(), 1),
                ("component".into(), "spec.type".into(), "website".into(), 1),
            ]
        );
    }
}
