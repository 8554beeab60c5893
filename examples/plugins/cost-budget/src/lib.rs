//! Guardrail `cost-budget`: denies a change whose monthly cost, added to what
//! the owning team already spends, exceeds the team's budget.
//!
//! Settings: `{"budgets": {"group:default/payments": 500}, "defaultBudget": 100,
//! "includeExisting": true}`. With `includeExisting` (needs the `catalogue`
//! grant) the team's other resources are summed from their
//! `spec.monthlyCost`, found with the filter `kind=resource,spec.owner=<team>`.

use std::collections::BTreeMap;

use paved_plugin_sdk::prelude::*;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Settings {
    /// Monthly budget per owner ref.
    budgets: BTreeMap<String, f64>,
    /// Budget of owners not listed; no limit when absent.
    #[serde(default)]
    default_budget: Option<f64>,
    /// Add the cost of the owner's other resources from the catalogue.
    #[serde(default)]
    include_existing: bool,
}

struct CostBudget;

fn owner_of(change: &Change) -> Option<String> {
    match &change.subject {
        Subject::Resource(a) => a.owner.clone(),
        Subject::Entity(_) => change.after_str("spec.owner"),
    }
}

fn name_of(change: &Change) -> Option<String> {
    match &change.subject {
        Subject::Resource(a) => Some(a.name.clone()),
        Subject::Entity(_) => change.after_str("metadata.name"),
    }
}

impl Guardrail for CostBudget {
    type Settings = Settings;
    const DESCRIPTION: &'static str = "A team's monthly cost must stay within its budget";

    fn capabilities() -> Vec<Capability> {
        vec![Capability::Catalogue]
    }

    fn check_settings(settings: &Settings) -> Result<(), Error> {
        let bad: Vec<Violation> = settings
            .budgets
            .iter()
            .filter(|(_, b)| !b.is_finite() || **b < 0.0)
            .map(|(team, b)| {
                Violation::new(
                    format!("budgets.{team}"),
                    format!("budget must be a non-negative number, got {b}"),
                )
            })
            .collect();
        if bad.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(bad))
        }
    }

    fn review(change: &Change, settings: &Settings) -> Result<Review, Error> {
        let (Some(cost), Some(owner)) = (change.monthly_cost, owner_of(change)) else {
            return Ok(Review::allow());
        };
        if change.operation == Operation::Delete {
            return Ok(Review::allow());
        }
        let Some(budget) = settings
            .budgets
            .get(&owner)
            .copied()
            .or(settings.default_budget)
        else {
            return Ok(Review::allow());
        };
        let mut existing = 0.0;
        if settings.include_existing {
            let me = name_of(change);
            for r in host::catalogue_query(&format!("kind=resource,spec.owner={owner}"))? {
                let name = r.pointer("/metadata/name").and_then(Value::as_str);
                if name.is_some() && name.map(String::from) == me {
                    continue;
                }
                existing += r
                    .pointer("/spec/monthlyCost")
                    .and_then(Value::as_f64)
                    .unwrap_or(0.0);
            }
        }
        let total = existing + cost;
        if total > budget {
            return Ok(Review::deny(
                "monthlyCost",
                format!(
                    "{owner} would spend {total:.2} a month ({cost:.2} for this change + {existing:.2} already), over its budget of {budget:.2}"
                ),
            ));
        }
        if total > budget * 0.8 {
            return Ok(Review::warn(
                "monthlyCost",
                format!(
                    "{owner} would use {:.0}% of its monthly budget",
                    100.0 * total / budget
                ),
            ));
        }
        Ok(Review::allow())
    }
}

paved_plugin_sdk::export_guardrail!(CostBudget);
