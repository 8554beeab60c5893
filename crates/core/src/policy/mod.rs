//! Policies: guardrails bound to the decision points of the one pipeline.
//!
//! A [`Binding`] names a guardrail (a wasm plugin, or a built-in Rego policy
//! wrapped by the facade), what it [`Match`]es (decision [`Point`]s, entity
//! kinds, namespaces, labels, owners, resource types, environments), its
//! settings (validated once, when the platform opens), a [`Mode`] and a
//! [`Failure`] policy. Bindings come from `paved.yaml` (`policies:`) and from
//! `Policy` entities in the catalogue ([`PolicySpec`]; see `entity.rs`).
//!
//! In the pipeline, between the access checks and the commit, every item of
//! a planned ChangeSet (entities created, updated, deleted; provider side
//! effects) is reviewed by each matching binding in declaration order:
//!
//! - `enforce`: a deny blocks the whole request (`DENIED`, the decisions in
//!   the error's details); a patch (RFC 6902) is applied to the item and
//!   the result validated again before the next binding sees it;
//! - `warn`: a deny is reported, not enforced; patches are applied;
//! - `audit`: recorded only; `off`: not consulted.
//!
//! A guardrail that fails (timeout, trap, garbage) denies, unless its binding
//! says `failure: open`; either way the decision says what failed. Every
//! decision is part of the ChangeSet (dry runs too) and, for real runs, an
//! audit record ([`DECISION_ACTION`]) hash-chained with the write it was
//! made for; a blocked write records its decisions and nothing else.

mod binding;
mod decision;
mod entity;
mod fixtures;
mod live;
mod review;

pub use binding::{Binding, Failure, Match, Mode, Point, RegoSource};
pub(crate) use binding::{Facets, owner_key};
pub use decision::{DECISION_ACTION, Decision};
pub(crate) use entity::REGO_MODULE_PATH;
pub(crate) use entity::is_policy;
pub use entity::{InlineRego, POLICY_API_VERSIONS, POLICY_KIND, PolicySpec};
pub(crate) use fixtures::{AccessAnswer, Case, CaseChange, load as fixtures_load};
pub use fixtures::{PolicyCaseResult, PolicyTestReport};
pub use live::RegoLoader;
pub(crate) use live::{LivePolicies, Resolver};
pub(crate) use review::{Approved, Item, Patched, PolicySet, denial_message};
