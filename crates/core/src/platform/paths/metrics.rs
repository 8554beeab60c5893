//! The figures a platform team is judged by, from the run records and the
//! catalogue: golden-path usage per template and team, success and failure
//! rates, median and p90 duration, each team's time from its first run to
//! its first successful provisioning, the share of catalogue components a
//! golden path made, and provisioning time per resource type.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::TryStreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Inner;
use super::run::record_of;
use crate::error::Result;
use crate::path::record::between;
use crate::path::{ANNOTATION_TEMPLATE, RunRecord, RunStatus, StepEffect};
use crate::query::{MAX_LIMIT, QuerySpec};
use crate::store::RunFilter;

/// Which runs to measure.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MetricsOptions {
    /// Only runs started at or after this time (RFC 3339).
    pub since: Option<String>,
}

/// Counts and durations of a group of runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub runs: usize,
    pub succeeded: usize,
    /// Failed or rolled back.
    pub failed: usize,
    /// Still running or interrupted.
    pub running: usize,
    /// Succeeded of finished runs (none if none finished).
    pub success_rate: Option<f64>,
    pub p50_ms: Option<i64>,
    pub p90_ms: Option<i64>,
}

/// A team's road to its first provisioned resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Onboarding {
    pub team: String,
    pub first_run: String,
    /// When its first run that provisioned something succeeded.
    pub first_provisioned: Option<String>,
    pub time_to_first_provisioning_ms: Option<i64>,
}

/// Provisioning time of one resource type, through golden paths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Provisioning {
    pub resources: usize,
    pub p50_ms: Option<i64>,
    pub p90_ms: Option<i64>,
}

/// Platform metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metrics {
    pub since: Option<String>,
    pub total: Usage,
    pub by_template: BTreeMap<String, Usage>,
    pub by_team: BTreeMap<String, Usage>,
    pub onboarding: Vec<Onboarding>,
    pub components: usize,
    pub components_from_paths: usize,
    /// Share of components a golden path made (none without components).
    pub golden_path_share: Option<f64>,
    pub provisioning: BTreeMap<String, Provisioning>,
}

/// The value at quantile `q` of sorted `xs` (nearest rank).
fn quantile(xs: &[i64], q: f64) -> Option<i64> {
    if xs.is_empty() {
        return None;
    }
    let rank = ((q * xs.len() as f64).ceil() as usize).clamp(1, xs.len());
    Some(xs[rank - 1])
}

fn usage<'a>(runs: impl Iterator<Item = &'a RunRecord>) -> Usage {
    let mut u = Usage::default();
    let mut durations = Vec::new();
    for r in runs {
        u.runs += 1;
        match r.status {
            RunStatus::Succeeded => u.succeeded += 1,
            RunStatus::Failed | RunStatus::RolledBack => u.failed += 1,
            RunStatus::Running => u.running += 1,
        }
        if let Some(d) = r
            .finished_at
            .as_deref()
            .and_then(|f| between(&r.started_at, f))
        {
            durations.push(d);
        }
    }
    durations.sort_unstable();
    let finished = u.succeeded + u.failed;
    u.success_rate = (finished > 0).then(|| u.succeeded as f64 / finished as f64);
    u.p50_ms = quantile(&durations, 0.5);
    u.p90_ms = quantile(&durations, 0.9);
    u
}

/// The resource type and provisioning time of each resource a run provisioned.
fn provisioned(r: &RunRecord) -> Vec<(String, i64)> {
    r.steps
        .iter()
        .flat_map(|s| &s.effects)
        .filter(|d| d.done)
        .filter_map(|d| match &d.effect {
            StepEffect::ApplyResource { entity } => Some((
                entity
                    .pointer("/spec/type")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown")
                    .to_string(),
                d.duration_ms as i64,
            )),
            _ => None,
        })
        .collect()
}

pub(super) async fn measure(inner: &Arc<Inner>, opts: &MetricsOptions) -> Result<Metrics> {
    let rows = inner
        .store
        .runs(&RunFilter {
            since: opts.since.clone(),
            limit: 10_000,
            ..RunFilter::default()
        })
        .await?;
    let mut runs: Vec<RunRecord> = rows.iter().map(record_of).collect::<Result<_>>()?;
    runs.sort_by(|a, b| a.started_at.cmp(&b.started_at));
    let mut by_template: BTreeMap<String, Vec<&RunRecord>> = BTreeMap::new();
    let mut by_team: BTreeMap<String, Vec<&RunRecord>> = BTreeMap::new();
    let mut times: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for r in &runs {
        by_template.entry(r.template.clone()).or_default().push(r);
        let team = r.team.clone().unwrap_or_else(|| "(no team)".into());
        by_team.entry(team).or_default().push(r);
        for (kind, ms) in provisioned(r) {
            times.entry(kind).or_default().push(ms);
        }
    }
    let onboarding = by_team
        .iter()
        .map(|(team, rs)| {
            let first_run = rs[0].started_at.clone();
            let first_provisioned = rs
                .iter()
                .filter(|r| r.status == RunStatus::Succeeded && !provisioned(r).is_empty())
                .filter_map(|r| r.finished_at.clone())
                .min();
            Onboarding {
                team: team.clone(),
                time_to_first_provisioning_ms: first_provisioned
                    .as_deref()
                    .and_then(|f| between(&first_run, f)),
                first_run,
                first_provisioned,
            }
        })
        .collect();
    let provisioning = times
        .into_iter()
        .map(|(kind, mut ms)| {
            ms.sort_unstable();
            (
                kind,
                Provisioning {
                    resources: ms.len(),
                    p50_ms: quantile(&ms, 0.5),
                    p90_ms: quantile(&ms, 0.9),
                },
            )
        })
        .collect();
    let spec = QuerySpec {
        limit: Some(MAX_LIMIT),
        ..QuerySpec::filter(["kind=component"])
    };
    let components: Vec<Value> = super::super::Catalog::new(inner.clone())
        .query_all(&spec)
        .try_collect()
        .await?;
    let from_paths = components
        .iter()
        .filter(|c| {
            c.pointer("/metadata/annotations")
                .and_then(|a| a.get(ANNOTATION_TEMPLATE))
                .is_some()
        })
        .count();
    Ok(Metrics {
        since: opts.since.clone(),
        total: usage(runs.iter()),
        by_template: by_template
            .into_iter()
            .map(|(k, v)| (k, usage(v.into_iter())))
            .collect(),
        by_team: by_team
            .into_iter()
            .map(|(k, v)| (k, usage(v.into_iter())))
            .collect(),
        onboarding,
        components: components.len(),
        components_from_paths: from_paths,
        golden_path_share: (!components.is_empty())
            .then(|| from_paths as f64 / components.len() as f64),
        provisioning,
    })
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn nearest_rank_quantiles() {
        let xs = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
        assert_eq!(quantile(&xs, 0.5), Some(50));
        assert_eq!(quantile(&xs, 0.9), Some(90));
        assert_eq!(quantile(&[7], 0.9), Some(7));
        assert_eq!(quantile(&[], 0.5), None);
    }
}
