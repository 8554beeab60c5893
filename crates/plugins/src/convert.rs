//! Conversions between core's plugin types and the generated WIT types, in one
//! place. Going in, JSON documents are serialized to text. Coming out, the
//! answer is counted against the call's output budget as the host will
//! materialise and print it (every string at each occurrence, plus
//! [`ITEM_BYTES`] for every list item and every field), and every JSON
//! document is parsed; a malformed or oversized answer is a `BadOutput`
//! naming the field and the budget's use. The guest's own errors (messages,
//! violations) are read within the same budget.
//!
//! (wasmtime's hostcall fuel, set per call in `src/plugin.rs`, already caps
//! what lifting the answer out of the guest may allocate; this is the
//! budget of what is kept and shown.)

use paved_core::plugin as core;
use serde_json::Value;

use crate::bindings::{at, gt, pt, t};
use crate::error::{PluginError, Result};

// ---- into the guest ------------------------------------------------------------

/// A document as JSON text. `serde_json::to_string` writes straight into the
/// string; `Value::to_string` goes through `fmt` and takes about twice as
/// long, which shows on a review of a 1 KB entity.
fn text(v: &Value) -> String {
    // Serializing a `Value` cannot fail (its keys are strings).
    serde_json::to_string(v).unwrap_or_default()
}

pub fn address(a: &core::ResourceAddress) -> t::ResourceAddress {
    t::ResourceAddress {
        resource_type: a.resource_type.clone(),
        name: a.name.clone(),
        environment: a.environment.clone(),
        owner: a.owner.clone(),
    }
}

pub fn operation(o: core::Operation) -> t::Operation {
    match o {
        core::Operation::Create => t::Operation::Create,
        core::Operation::Update => t::Operation::Update,
        core::Operation::Replace => t::Operation::Replace,
        core::Operation::Delete => t::Operation::Delete,
        core::Operation::Import => t::Operation::Import,
        core::Operation::NoOp => t::Operation::NoOp,
    }
}

fn diff(d: &core::FieldDiff) -> t::FieldDiff {
    t::FieldDiff {
        path: d.path.clone(),
        before: d.before.as_ref().map(text),
        after: d.after.as_ref().map(text),
        requires_replace: d.requires_replace,
    }
}

pub fn change(c: &core::Change) -> t::Change {
    t::Change {
        subject: match &c.subject {
            core::Subject::Entity(r) => t::Subject::Entity(r.clone()),
            core::Subject::Resource(a) => t::Subject::ManagedResource(address(a)),
        },
        operation: operation(c.operation),
        before: c.before.as_ref().map(text),
        after: c.after.as_ref().map(text),
        diff: c.diff.iter().map(diff).collect(),
        monthly_cost: c.monthly_cost,
        actor: c.actor.clone(),
    }
}

pub fn plan_request(r: &core::PlanRequest) -> pt::PlanRequest {
    pt::PlanRequest {
        address: address(&r.address),
        params: text(&r.params),
        prior_state: r.prior_state.as_ref().map(text),
        prior_params: r.prior_params.as_ref().map(text),
    }
}

pub fn apply_request(r: &core::ApplyRequest) -> pt::ApplyRequest {
    pt::ApplyRequest {
        address: address(&r.address),
        params: text(&r.params),
        prior_state: r.prior_state.as_ref().map(text),
    }
}

pub fn resource_request(r: &core::ResourceRequest) -> pt::ResourceRequest {
    pt::ResourceRequest {
        address: address(&r.address),
        state: text(&r.state),
    }
}

pub fn action_request(r: &core::ActionRequest) -> at::ActionRequest {
    at::ActionRequest {
        action: r.action.clone(),
        input: text(&r.input),
        dry_run: r.dry_run,
    }
}

pub fn import_request(r: &core::ImportRequest) -> pt::ImportRequest {
    pt::ImportRequest {
        address: address(&r.address),
        external_id: r.external_id.clone(),
    }
}

// ---- out of the guest ---------------------------------------------------------------

/// What every list item and every string field costs on top of its bytes:
/// about what it takes printed as JSON (`{"path":"","message":""},`), so a
/// million empty violations cost what they would print.
pub const ITEM_BYTES: usize = 16;

/// Reads a guest's answer, counting bytes against the call's output budget.
pub struct Out<'a> {
    plugin: &'a str,
    left: usize,
    cap: usize,
    /// Bytes the call's log lines used.
    log: usize,
}

impl<'a> Out<'a> {
    pub fn new(plugin: &'a str, cap: usize) -> Self {
        Self {
            plugin,
            left: cap,
            cap,
            log: 0,
        }
    }

    /// The call's log lines used `bytes` of the budget.
    pub fn used_by_log(&mut self, bytes: usize) -> Result<()> {
        self.log = bytes;
        self.take("log lines", bytes)
    }

    fn take(&mut self, what: &str, len: usize) -> Result<()> {
        let len = len.saturating_add(ITEM_BYTES);
        if len > self.left {
            return Err(PluginError::bad_output(
                self.plugin,
                format!(
                    "the answer is larger than the output budget of {} bytes (at {what}: \
                     {} bytes used before it, {} of them by log lines)",
                    self.cap,
                    self.cap - self.left,
                    self.log
                ),
            ));
        }
        self.left -= len;
        Ok(())
    }

    pub fn text(&mut self, what: &str, s: String) -> Result<String> {
        self.take(what, s.len())?;
        Ok(s)
    }

    fn violations(&mut self, what: &str, v: Vec<t::Violation>) -> Result<Vec<core::Violation>> {
        v.into_iter()
            .map(|v| {
                Ok(core::Violation {
                    path: self.text(what, v.path)?,
                    message: self.text(what, v.message)?,
                })
            })
            .collect()
    }

    /// The error for a `plugin-error` the guest returned, read within the
    /// budget (an oversized one is `BadOutput` instead).
    pub fn plugin_error(&mut self, e: t::PluginError) -> Result<PluginError> {
        use t::PluginError as W;
        let plugin = self.plugin.to_owned();
        Ok(match e {
            W::Invalid(v) => PluginError::Invalid {
                violations: self.violations("error.invalid", v)?,
                plugin,
            },
            W::CapabilityDenied(m) => PluginError::CapabilityDenied {
                message: self.text("error.capability-denied", m)?,
                plugin,
            },
            W::NotFound(m) => PluginError::Guest {
                message: format!("not found: {}", self.text("error.not-found", m)?),
                plugin,
            },
            W::Unsupported(m) => PluginError::Guest {
                message: format!("unsupported: {}", self.text("error.unsupported", m)?),
                plugin,
            },
            W::Failed(m) => PluginError::Guest {
                message: self.text("error.failed", m)?,
                plugin,
            },
        })
    }

    fn texts(&mut self, what: &str, v: Vec<String>) -> Result<Vec<String>> {
        v.into_iter().map(|s| self.text(what, s)).collect()
    }

    pub fn json(&mut self, what: &str, s: String) -> Result<Value> {
        self.take(what, s.len())?;
        serde_json::from_str(&s).map_err(|e| {
            PluginError::bad_output(self.plugin, format!("{what} is not valid JSON: {e}"))
        })
    }

    pub fn opt_json(&mut self, what: &str, s: Option<String>) -> Result<Option<Value>> {
        s.map(|s| self.json(what, s)).transpose()
    }

    fn operation(o: t::Operation) -> core::Operation {
        match o {
            t::Operation::Create => core::Operation::Create,
            t::Operation::Update => core::Operation::Update,
            t::Operation::Replace => core::Operation::Replace,
            t::Operation::Delete => core::Operation::Delete,
            t::Operation::Import => core::Operation::Import,
            t::Operation::NoOp => core::Operation::NoOp,
        }
    }

    fn capabilities(&mut self, caps: Vec<t::Capability>) -> Result<Vec<core::Capability>> {
        caps.into_iter()
            .map(|c| {
                Ok(match c {
                    t::Capability::Network(s) => {
                        core::Capability::Network(self.text("capabilities", s)?)
                    }
                    t::Capability::Directory(s) => {
                        core::Capability::Directory(self.text("capabilities", s)?)
                    }
                    t::Capability::Secret(s) => {
                        core::Capability::Secret(self.text("capabilities", s)?)
                    }
                    t::Capability::Catalogue => core::Capability::Catalogue,
                })
            })
            .collect()
    }

    pub fn review(&mut self, r: gt::ReviewOutcome) -> Result<core::Review> {
        let patch = self.opt_json("review.patch", r.patch)?;
        if let Some(p) = &patch {
            let ok = p.as_array().is_some_and(|ops| {
                ops.iter().all(|op| {
                    op.get("op").is_some_and(Value::is_string)
                        && op.get("path").is_some_and(Value::is_string)
                })
            });
            if !ok {
                return Err(PluginError::bad_output(
                    self.plugin,
                    "review.patch must be an RFC 6902 JSON Patch: an array of objects with \"op\" and \"path\"",
                ));
            }
        }
        Ok(core::Review {
            verdict: match r.verdict {
                t::Verdict::Allow => core::Verdict::Allow,
                t::Verdict::Warn => core::Verdict::Warn,
                t::Verdict::Deny => core::Verdict::Deny,
            },
            violations: self.violations("review.violations", r.violations)?,
            patch,
        })
    }

    pub fn guardrail_info(&mut self, i: gt::GuardrailInfo) -> Result<core::GuardrailInfo> {
        Ok(core::GuardrailInfo {
            name: self.text("describe.name", i.name)?,
            version: self.text("describe.version", i.version)?,
            description: self.text("describe.description", i.description)?,
            settings_schema: self.json("describe.settings-schema", i.settings_schema)?,
            capabilities: self.capabilities(i.capabilities)?,
        })
    }

    pub fn provider_info(&mut self, i: pt::ProviderInfo) -> Result<core::ProviderInfo> {
        Ok(core::ProviderInfo {
            name: self.text("describe.name", i.name)?,
            version: self.text("describe.version", i.version)?,
            description: self.text("describe.description", i.description)?,
            resource_types: i
                .resource_types
                .into_iter()
                .map(|r| {
                    Ok(core::ResourceTypeInfo {
                        name: self.text("describe.resource-types.name", r.name)?,
                        description: self
                            .text("describe.resource-types.description", r.description)?,
                        params_schema: self
                            .json("describe.resource-types.params-schema", r.params_schema)?,
                        state_schema: self
                            .opt_json("describe.resource-types.state-schema", r.state_schema)?,
                    })
                })
                .collect::<Result<_>>()?,
            capabilities: self.capabilities(i.capabilities)?,
            settings_schema: self.json("describe.settings-schema", i.settings_schema)?,
        })
    }

    pub fn plan(&mut self, p: pt::ResourcePlan) -> Result<core::Plan> {
        Ok(core::Plan {
            operation: Self::operation(p.operation),
            diff: p
                .diff
                .into_iter()
                .map(|d| {
                    Ok(core::FieldDiff {
                        path: self.text("plan.diff.path", d.path)?,
                        before: self.opt_json("plan.diff.before", d.before)?,
                        after: self.opt_json("plan.diff.after", d.after)?,
                        requires_replace: d.requires_replace,
                    })
                })
                .collect::<Result<_>>()?,
            monthly_cost: p.monthly_cost,
            notes: self.texts("plan.notes", p.notes)?,
        })
    }

    pub fn applied(&mut self, a: pt::Applied) -> Result<core::Applied> {
        let outputs = self.json("applied.outputs", a.outputs)?;
        if !outputs.is_object() {
            return Err(PluginError::bad_output(
                self.plugin,
                "applied.outputs must be a JSON object",
            ));
        }
        Ok(core::Applied {
            state: self.json("applied.state", a.state)?,
            outputs,
            sensitive: self.texts("applied.sensitive", a.sensitive)?,
        })
    }

    pub fn imported(&mut self, i: pt::Imported) -> Result<core::Imported> {
        Ok(core::Imported {
            params: self.json("imported.params", i.params)?,
            applied: self.applied(i.applied)?,
        })
    }

    pub fn action_infos(&mut self, v: Vec<at::ActionInfo>) -> Result<Vec<core::ActionInfo>> {
        v.into_iter()
            .map(|i| {
                let input_schema = self.json("describe.input-schema", i.input_schema)?;
                if !input_schema.is_object() {
                    return Err(PluginError::bad_output(
                        self.plugin,
                        format!(
                            "describe: the input schema of '{}' must be a JSON object",
                            i.name
                        ),
                    ));
                }
                Ok(core::ActionInfo {
                    name: self.text("describe.name", i.name)?,
                    description: self.text("describe.description", i.description)?,
                    input_schema,
                    output_schema: self.opt_json("describe.output-schema", i.output_schema)?,
                })
            })
            .collect()
    }

    pub fn action_result(&mut self, r: at::ActionResult) -> Result<core::ActionResult> {
        Ok(core::ActionResult {
            files: r
                .files
                .into_iter()
                .map(|f| {
                    self.take("run.files.content", f.content.len())?;
                    Ok(core::GeneratedFile {
                        path: self.text("run.files.path", f.path)?,
                        content: f.content,
                    })
                })
                .collect::<Result<_>>()?,
            output: self.json("run.output", r.output)?,
            log: self.texts("run.log", r.log)?,
        })
    }
}
