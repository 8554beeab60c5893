//! A provider with nothing behind it, for measuring the engine's own
//! overhead: it answers every call at once and counts applies.

use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use paved::plugins::{
    Applied, ApplyRequest, ImportRequest, Imported, Operation, Plan, PlanRequest, Provider,
    ProviderInfo, ResourceRequest,
};
use serde_json::{Value, json};

/// Owns one resource type with the given params schema; its state is the
/// params applied, its outputs the resource's name and a made-up path.
#[derive(Debug)]
pub struct NoOp {
    resource_type: &'static str,
    params_schema: Value,
    applied: AtomicUsize,
}

impl NoOp {
    pub fn new(resource_type: &'static str, params_schema: Value) -> Self {
        Self {
            resource_type,
            params_schema,
            applied: AtomicUsize::new(0),
        }
    }

    /// How many applies it answered.
    pub fn applied(&self) -> usize {
        self.applied.load(Ordering::Relaxed)
    }
}

#[async_trait]
impl Provider for NoOp {
    fn name(&self) -> &str {
        "noop"
    }
    async fn describe(&self) -> paved::Result<ProviderInfo> {
        Ok(serde_json::from_value(json!({
            "name": "noop", "version": "1", "description": "does nothing",
            "resourceTypes": [{"name": self.resource_type, "description": "nothing",
                               "paramsSchema": self.params_schema}],
            "capabilities": [], "settingsSchema": {}
        }))
        .expect("a valid description"))
    }
    async fn plan(&self, r: &PlanRequest) -> paved::Result<Plan> {
        let operation = match (&r.prior_state, &r.prior_params) {
            (Some(_), Some(p)) if *p == r.params => Operation::NoOp,
            (Some(_), _) => Operation::Update,
            (None, _) => Operation::Create,
        };
        Ok(Plan {
            operation,
            diff: Vec::new(),
            monthly_cost: None,
            notes: Vec::new(),
        })
    }
    async fn apply(&self, r: &ApplyRequest) -> paved::Result<Applied> {
        self.applied.fetch_add(1, Ordering::Relaxed);
        Ok(Applied {
            state: r.params.clone(),
            outputs: json!({"id": r.address.name, "path": format!("/data/{}", r.address.name)}),
            sensitive: Vec::new(),
        })
    }
    async fn read(&self, r: &ResourceRequest) -> paved::Result<Option<Value>> {
        Ok(Some(r.state.clone()))
    }
    async fn delete(&self, _r: &ResourceRequest) -> paved::Result<()> {
        Ok(())
    }
    async fn import(&self, r: &ImportRequest) -> paved::Result<Imported> {
        Ok(Imported {
            params: json!({}),
            applied: Applied {
                state: json!({}),
                outputs: json!({"id": r.external_id}),
                sensitive: Vec::new(),
            },
        })
    }
}
