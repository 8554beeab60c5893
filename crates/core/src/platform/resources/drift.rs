//! Drift: read each resource through its provider and compare it with the
//! state recorded at its last apply. Each check is recorded in the audit
//! log (`resource.drift`, with the paths that changed, never their values'
//! secrets: providers keep none in state), so a portal shows the last drift
//! status without reading the real thing again.

use std::sync::Arc;

use serde_json::{Value, json};

use super::Inner;
use super::loaded::{Loaded, Providers};
use super::recover::recover;
use crate::error::{Error, Result};
use crate::plugin::ResourceRequest;
use crate::resource::ResourceOptions;
use crate::resource::state::{DriftItem, DriftReport, StateDoc, json_diff};
use crate::store::AuditOnly;

pub(super) async fn drift(
    inner: &Arc<Inner>,
    targets: &[String],
    opts: &ResourceOptions,
) -> Result<DriftReport> {
    let recovered = recover(inner, opts).await?;
    let loaded = Loaded::read(inner).await?;
    let mut keys = Vec::new();
    if targets.is_empty() {
        keys.extend(
            loaded
                .states
                .iter()
                .filter(|(_, (_, d))| d.status.exists())
                .map(|(k, _)| k.clone()),
        );
    } else {
        for t in targets {
            let key = super::resource_key(t)?;
            match loaded.states.get(&key) {
                Some((_, d)) if d.status.exists() => keys.push(key),
                _ => {
                    return Err(Error::NotFound {
                        what: "resource state",
                        id: t.clone(),
                        hint: None,
                    });
                }
            }
        }
    }
    let providers = Providers::read(inner).await?;
    let parallelism = opts
        .parallelism
        .unwrap_or(inner.resources.parallelism)
        .max(1);
    let providers = &providers;
    let loaded = &loaded;
    let mut items: Vec<DriftItem> = crate::parallel::bounded(keys, parallelism, |key| async move {
        check(providers, loaded.states[&key].1.clone()).await
    })
    .await;
    items.sort_by(|a, b| a.resource.cmp(&b.resource));
    let records = items
        .iter()
        .map(|i| AuditOnly {
            action: CHECKED.into(),
            subject: i.resource.to_lowercase(),
            details: json!({
                "status": i.status,
                "changes": i.changes.iter().map(|c| c.path.clone()).collect::<Vec<_>>(),
                "error": i.error,
            }),
            event: "resource.drift-checked".into(),
        })
        .collect::<Vec<_>>();
    if !records.is_empty() {
        let ctx = inner.context().await?;
        crate::pipeline::record_effects(&ctx, records, &opts.write_options()).await?;
    }
    Ok(DriftReport {
        resources: items,
        recovered,
    })
}

async fn check(providers: &Providers, doc: StateDoc) -> DriftItem {
    let item = |status: &str| DriftItem {
        resource: doc.resource.clone(),
        address: doc.address.clone(),
        status: status.to_string(),
        changes: Vec::new(),
        error: None,
    };
    let Some(entry) = providers.named(&doc.provider) else {
        let mut i = item("error");
        i.error = Some(json!({
            "code": "NOT_FOUND",
            "message": format!("provider '{}' is not configured", doc.provider),
        }));
        return i;
    };
    let read = entry
        .provider
        .read(&ResourceRequest {
            address: doc.address.clone(),
            state: doc.state.clone().unwrap_or_else(|| json!({})),
            idempotency_key: None,
        })
        .await;
    match read {
        Ok(None) => item("gone"),
        Ok(Some(found)) => {
            let mut changes = Vec::new();
            json_diff("state", doc.state.as_ref(), Some(&found), &mut changes);
            let mut i = item(if changes.is_empty() {
                "in-sync"
            } else {
                "drifted"
            });
            i.changes = changes;
            i
        }
        Err(e) => {
            let mut i = item("error");
            i.error = Some(super::run::error_value(&e));
            i
        }
    }
}

/// The audit action of a drift check.
pub(super) const CHECKED: &str = "resource.drift";

/// The last drift check recorded about a resource, for portals: `{status, changes, at}`.
pub(super) fn last_check(record: &crate::audit::AuditRecord) -> Value {
    json!({
        "status": record.details.get("status"),
        "changes": record.details.get("changes"),
        "at": record.at,
    })
}
