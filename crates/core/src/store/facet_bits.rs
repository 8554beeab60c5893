//! Filtered facets and totals from bitmaps of entity ids, so a portal page
//! filtered by several broad facets (`type=service`, `lifecycle=production`,
//! `tag=pci`: thousands of matches each) costs bitmap operations, not
//! thousands of index probes.
//!
//! [`Bits`] holds, for every kept field of [`facets::FIELDS`] and every label
//! (`metadata.labels.tier`), and each of its values, the set of entities with
//! that value (a [`RoaringBitmap`] of their ids), and the set of all
//! entities. A filter made only of conditions on those fields (`=`, `$in`,
//! `$all`, `$any`, `$not`) is evaluated on the sets
//! ([`Bits::matches`]); a facet count is then the size of the matches'
//! intersection with each value's set ([`Bits::facets`]), and a total the
//! matches' size. Any other filter is answered by SQL as
//! before.
//!
//! The sets are a cache of one process, kept in step with the store by the
//! audit log: every commit that changes an entity appends a record naming
//! it, with a sequence number, in the same transaction (`store::plan`), and
//! commits are serialised, so records appear in sequence order. The sets
//! remember the sequence number they reflect. They are built at the second
//! ask of a process (the first is answered by SQL), so a one-shot command
//! never pays for them. Before answering, a store
//! reads the log's head ([`HEAD`]); if it moved, the entities named by the
//! newer records are read again ([`Need::Changes`]), whoever wrote them (this
//! process or another one sharing the database), or everything is read again
//! when too much changed ([`Need::Rebuild`]). Reading an entity's current rows
//! is idempotent, so a commit landing while the sets are being brought up to
//! date is read again the next time, never lost.

use std::collections::HashMap;

use roaring::RoaringBitmap;

use super::facets::{self, FIELDS};
use crate::model::EntityRef;
use crate::query::{FacetCount, Predicate, Query};

/// The audit log's head: one row, the last sequence number (0 when empty).
pub const HEAD: &str = "SELECT CAST(coalesce(max(seq), 0) AS BIGINT) FROM audit";

/// Changed entities a catch-up reads one by one; beyond this the sets are
/// built again from every entity (one pass, cheaper than many lookups).
pub const CATCH_UP: u64 = 5_000;

/// What a store must read to bring the sets up to the log's head.
#[derive(Debug, PartialEq, Eq)]
pub enum Need {
    /// First ask in this process: answer by SQL, and keep [`Bits::asked`]
    /// (a process that asks once, a CLI command, never pays for the sets).
    NotYet,
    /// The sets reflect the head.
    Nothing,
    /// Read every entity ([`Bits::build`]).
    Rebuild,
    /// Read the entities named by audit records after this sequence number
    /// ([`Bits::apply`]).
    Changes { after: u64 },
}

/// The kept fields' values as sets of entity ids.
#[derive(Debug, Default)]
pub struct Bits {
    /// The audit sequence number the sets reflect.
    seq: u64,
    all: RoaringBitmap,
    /// Per field (a kept field of [`FIELDS`], or a label), lower-cased:
    /// value -> entities.
    fields: HashMap<String, HashMap<String, RoaringBitmap>>,
    /// Entity key -> id, to find what a deleted or re-created entity had.
    ids: HashMap<String, u32>,
    state: State,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Asked for once; built at the next ask.
    #[default]
    Asked,
    Built,
    /// An id did not fit a set: this process answers every filter by SQL.
    Unusable,
}

/// A field the sets hold, as a filter or facet spells it: a kept field of
/// [`FIELDS`] or a label (`metadata.labels.<key>`), lower-cased as the
/// search index keys it.
fn set_field(field: &str) -> Option<String> {
    let f = field.trim().to_lowercase();
    let label = f
        .strip_prefix(facets::LABELS)
        .is_some_and(|key| !key.is_empty());
    (label || FIELDS.contains(&f.as_str())).then_some(f)
}

/// Entity keys of audit subjects (subjects that are not entity refs, such
/// as a resource's, are left out).
pub fn keys_of(subjects: &[String]) -> Vec<String> {
    let mut keys: Vec<String> = subjects
        .iter()
        .filter_map(|s| EntityRef::parse(s).ok())
        .map(|r| r.key())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Whether the sets can answer a filter: only kept fields and labels, only
/// `=`, `$in`, `$all`, `$any` and `$not`.
pub fn answers(filter: &Predicate) -> bool {
    match filter {
        Predicate::All(c) | Predicate::Any(c) => c.iter().all(answers),
        Predicate::Not(inner) => answers(inner),
        Predicate::Eq { key, .. } | Predicate::In { key, .. } => set_field(key).is_some(),
        // `exists` also counts rows without a value; prefixes and
        // substrings are left to the indexes.
        Predicate::Exists { .. } | Predicate::HasPrefix { .. } | Predicate::Contains { .. } => {
            false
        }
    }
}

/// The field and filter of a facet query the sets should answer: a kept
/// field, with a filter the kept counts do not answer (`store::facets`)
/// and the sets can.
pub fn for_facets(field: &str, filter: Option<&Predicate>) -> Option<(String, Predicate)> {
    let f = filter?;
    (facets::kept(field) && facets::scope(filter).is_none() && answers(f))
        .then(|| (field.to_string(), f.clone()))
}

/// The filter of a query whose total the sets should count: no text
/// search, and a filter the kept totals do not answer and the sets can.
pub fn for_total(q: &Query) -> Option<&Predicate> {
    let f = q.filter.as_ref()?;
    (q.text.is_none() && facets::total(Some(f)).is_none() && answers(f)).then_some(f)
}

/// An id as the sets hold it; `None` beyond `u32` (then no sets are kept).
fn small(id: i64) -> Option<u32> {
    u32::try_from(id).ok()
}

impl Bits {
    /// What `bits` need to reflect the log's `head`.
    pub fn need(bits: Option<&Bits>, head: u64) -> Need {
        match bits {
            None => Need::NotYet,
            Some(b) if b.state == State::Unusable => Need::Nothing,
            Some(b) if b.state == State::Asked => Need::Rebuild,
            Some(b) if b.seq == head => Need::Nothing,
            Some(b) if b.seq < head && head - b.seq <= CATCH_UP => Need::Changes { after: b.seq },
            _ => Need::Rebuild,
        }
    }

    /// What a process keeps after its first ask ([`Need::NotYet`]).
    pub fn asked() -> Bits {
        Bits::default()
    }

    /// Sets of every entity: `entities` as `(id, key)`, `rows` as
    /// `(entity_id, field, value)` of the kept fields, reflecting `seq`.
    /// Unusable (answering nothing) when an id does not fit a set.
    pub fn build(seq: u64, entities: Vec<(i64, String)>, rows: Vec<(i64, String, String)>) -> Bits {
        let mut bits = Bits {
            seq,
            state: State::Built,
            ..Bits::default()
        };
        let built = (|| {
            for (id, key) in entities {
                let id = small(id)?;
                bits.all.insert(id);
                bits.ids.insert(key, id);
            }
            bits.add_rows(rows)
        })();
        if built.is_none() {
            return Bits::unusable();
        }
        bits
    }

    fn unusable() -> Bits {
        Bits {
            state: State::Unusable,
            ..Bits::default()
        }
    }

    fn add_rows(&mut self, rows: Vec<(i64, String, String)>) -> Option<()> {
        for (id, field, value) in rows {
            let id = small(id)?;
            if let Some(f) = set_field(&field) {
                self.fields
                    .entry(f)
                    .or_default()
                    .entry(value)
                    .or_default()
                    .insert(id);
            }
        }
        Some(())
    }

    /// Bring the sets to `seq`: the entities of `keys` changed; `present`
    /// are those of them that exist now, as `(id, key)`, and `rows` their
    /// kept rows. Unusable from then on when an id does not fit a set.
    pub fn apply(
        &mut self,
        seq: u64,
        keys: &[String],
        present: Vec<(i64, String)>,
        rows: Vec<(i64, String, String)>,
    ) {
        if self.changes(seq, keys, present, rows).is_none() {
            *self = Bits::unusable();
        }
    }

    fn changes(
        &mut self,
        seq: u64,
        keys: &[String],
        present: Vec<(i64, String)>,
        rows: Vec<(i64, String, String)>,
    ) -> Option<()> {
        let mut gone = RoaringBitmap::new();
        for key in keys {
            if let Some(id) = self.ids.remove(key) {
                gone.insert(id);
            }
        }
        let mut now = RoaringBitmap::new();
        for (id, key) in present {
            let id = small(id)?;
            now.insert(id);
            self.ids.insert(key, id);
        }
        gone |= &now;
        // Forget what the changed entities had, then add what they have.
        self.fields.retain(|_, values| {
            values.retain(|_, set| {
                *set -= &gone;
                !set.is_empty()
            });
            !values.is_empty()
        });
        self.all -= &gone;
        self.all |= now;
        self.add_rows(rows)?;
        self.seq = seq;
        Some(())
    }

    /// The entities matching `filter`, when [`answers`] says the sets can.
    pub fn matches(&self, filter: &Predicate) -> Option<RoaringBitmap> {
        if self.state != State::Built {
            return None;
        }
        Some(match filter {
            Predicate::All(children) => {
                let mut out = self.all.clone();
                for c in children {
                    out &= self.matches(c)?;
                }
                out
            }
            Predicate::Any(children) => {
                let mut out = RoaringBitmap::new();
                for c in children {
                    out |= self.matches(c)?;
                }
                out
            }
            Predicate::Not(inner) => &self.all - &self.matches(inner)?,
            Predicate::Eq { key, value } => self.with(key, std::slice::from_ref(value))?,
            Predicate::In { key, values } => self.with(key, values)?,
            _ => return None,
        })
    }

    /// Entities with any of `values` in the field `key` (none when no
    /// entity has the field).
    fn with(&self, key: &str, values: &[String]) -> Option<RoaringBitmap> {
        let mut out = RoaringBitmap::new();
        let Some(sets) = self.fields.get(&set_field(key)?) else {
            return Some(out);
        };
        for v in values {
            if let Some(set) = sets.get(&v.to_lowercase()) {
                out |= set;
            }
        }
        Some(out)
    }

    /// Counts of the kept `field`'s values among the entities matching
    /// `filter`: most frequent first, then by value; values with none left
    /// out; the first `limit`.
    pub fn facets(
        &self,
        field: &str,
        filter: &Predicate,
        limit: Option<usize>,
    ) -> Option<Vec<FacetCount>> {
        let matches = self.matches(filter)?;
        let empty = HashMap::new();
        let sets = self.fields.get(&set_field(field)?).unwrap_or(&empty);
        let mut out: Vec<FacetCount> = sets
            .iter()
            .map(|(value, set)| FacetCount {
                value: value.clone(),
                count: matches.intersection_len(set),
            })
            .filter(|c| c.count > 0)
            .collect();
        out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        out.truncate(limit.unwrap_or(usize::MAX));
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eq(key: &str, value: &str) -> Predicate {
        Predicate::Eq {
            key: key.into(),
            value: value.into(),
        }
    }

    fn rows(id: i64, pairs: &[(&str, &str)]) -> Vec<(i64, String, String)> {
        pairs
            .iter()
            .map(|(f, v)| (id, f.to_string(), v.to_string()))
            .collect()
    }

    fn count(bits: &Bits, filter: &Predicate) -> Option<u64> {
        bits.matches(filter).map(|m| m.len())
    }

    fn sample() -> Bits {
        let mut all = rows(1, &[("kind", "component"), ("spec.type", "service")]);
        all.extend(rows(2, &[("kind", "component"), ("spec.type", "library")]));
        all.extend(rows(3, &[("kind", "api"), ("spec.type", "service")]));
        let entities = vec![
            (1, "component:default/a".to_string()),
            (2, "component:default/b".to_string()),
            (3, "api:default/c".to_string()),
        ];
        Bits::build(7, entities, all)
    }

    #[test]
    fn filters_and_facets_follow_the_sets() {
        let bits = sample();
        let f = Predicate::All(vec![eq("Kind", "Component")]);
        assert_eq!(count(&bits, &f), Some(2));
        let facets = bits.facets("spec.type", &f, None).unwrap();
        assert_eq!(
            facets,
            vec![
                FacetCount {
                    value: "library".into(),
                    count: 1
                },
                FacetCount {
                    value: "service".into(),
                    count: 1
                }
            ]
        );
        let not = Predicate::Not(Box::new(eq("spec.type", "service")));
        assert_eq!(count(&bits, &not), Some(1));
        assert_eq!(count(&bits, &Predicate::Any(vec![])), Some(0));
        assert_eq!(count(&bits, &Predicate::All(vec![])), Some(3));
        assert!(!answers(&eq("metadata.name", "a")));
        assert!(answers(&Predicate::Not(Box::new(eq("spec.owner", "x")))));
        assert!(!answers(&eq("metadata.labels.", "a")));
    }

    #[test]
    fn labels_are_sets_too() {
        let mut all = rows(
            1,
            &[("kind", "component"), ("metadata.labels.tier", "gold")],
        );
        all.extend(rows(
            2,
            &[("kind", "component"), ("metadata.labels.tier", "silver")],
        ));
        all.extend(rows(
            3,
            &[("kind", "api"), ("metadata.labels.tier", "gold")],
        ));
        let entities = (1..=3)
            .map(|i| (i, format!("component:default/e{i}")))
            .collect();
        let mut bits = Bits::build(1, entities, all);
        let f = Predicate::All(vec![
            eq("kind", "component"),
            eq("Metadata.Labels.Tier", "GOLD"),
        ]);
        assert!(answers(&f));
        assert_eq!(count(&bits, &f), Some(1));
        // A label no entity has matches nothing.
        assert_eq!(count(&bits, &eq("metadata.labels.team", "a")), Some(0));
        // e1 loses its label: the set follows.
        let keys = keys_of(&["component:default/e1".into()]);
        bits.apply(
            2,
            &keys,
            vec![(1, "component:default/e1".into())],
            rows(1, &[("kind", "component")]),
        );
        assert_eq!(count(&bits, &f), Some(0));
        assert_eq!(count(&bits, &eq("metadata.labels.tier", "gold")), Some(1));
    }

    #[test]
    fn changes_replace_what_an_entity_had() {
        let mut bits = sample();
        // b deleted, a now a library, d created with a new id.
        let keys = keys_of(&[
            "component:default/a".into(),
            "component:default/b".into(),
            "component:default/d".into(),
            "resource-lease:x".into(),
        ]);
        let present = vec![
            (1, "component:default/a".to_string()),
            (4, "component:default/d".to_string()),
        ];
        let mut now = rows(1, &[("kind", "component"), ("spec.type", "library")]);
        now.extend(rows(4, &[("kind", "component"), ("spec.type", "worker")]));
        bits.apply(9, &keys, present, now);
        assert_eq!(Bits::need(Some(&bits), 9), Need::Nothing);
        assert_eq!(Bits::need(Some(&bits), 12), Need::Changes { after: 9 });
        assert_eq!(Bits::need(Some(&bits), 9 + CATCH_UP + 1), Need::Rebuild);
        assert_eq!(Bits::need(None, 0), Need::NotYet);
        assert_eq!(Bits::need(Some(&Bits::asked()), 0), Need::Rebuild);
        assert_eq!(count(&Bits::asked(), &Predicate::All(vec![])), None);
        let components = eq("kind", "component");
        let got: Vec<(String, u64)> = bits
            .facets("spec.type", &components, None)
            .unwrap()
            .into_iter()
            .map(|c| (c.value, c.count))
            .collect();
        assert_eq!(
            got,
            vec![("library".to_string(), 1), ("worker".to_string(), 1)]
        );
        assert_eq!(count(&bits, &Predicate::All(vec![])), Some(3));
    }

    #[test]
    fn ids_beyond_u32_keep_no_sets() {
        let bits = Bits::build(1, vec![(1 << 40, "component:default/a".into())], vec![]);
        assert_eq!(count(&bits, &Predicate::All(vec![])), None);
        // and it is never built again by this process
        assert_eq!(Bits::need(Some(&bits), 1000), Need::Nothing);
    }
}
