//! Access control: who may make which change, decided before the guardrails.
//!
//! Actors are entities of the catalogue: a write's actor (`user:default/jane`)
//! is looked up with its Group memberships (`memberOf`, declared on the User
//! or as a Group's `members`), and through each group's `parent`, transitively.
//! [`AccessRules`] (the `access:` section of `paved.yaml`) say who may do what:
//!
//! ```yaml
//! access:
//!   unknown: deny              # an actor that is not in the catalogue: deny (default) | allow
//!   default: deny              # a change no rule matches: deny (default) | allow
//!   rules:
//!     - name: platform-team-does-anything
//!       actors: [group:default/platform]      # members of the group, transitively
//!     - name: owners-change-what-they-own
//!       actors: [owners]                      # members of the entity's owning group
//!       match: { operations: [entity.create, entity.update, entity.delete] }
//!     - name: nobody-deletes-systems
//!       effect: deny
//!       actors: ['*']                         # any actor
//!       match: { operations: [entity.delete], kinds: [System] }
//! ```
//!
//! A rule's `match` is a policy binding's (operations, kinds, namespaces,
//! labels, owners, resource types, environments). For an update the rule
//! must match the entity as it is and as it will be, so nobody moves an
//! entity into or out of what a rule lets them touch. Deny rules win over
//! allow rules, for every actor (an unknown
//! one included); a denial names its rule, or the default, and lists the rules
//! that would have allowed the change. Every item of a request is checked
//! (an import is refused whole when one entity is), dry runs too.
//!
//! The actor is what the front asserts: authenticating people is the job of
//! the application that embeds paved (its portal, bot or CI), as it is for a
//! database. Without an `access:` section there is no access control.

mod decide;
mod identity;
mod rules;

pub(crate) use decide::AccessControl;
pub(crate) use identity::{Identity, actor_key};
pub use rules::{AccessEffect, AccessRules, Rule};

#[cfg(test)]
mod tests;
