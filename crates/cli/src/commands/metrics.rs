//! `paved metrics`: the figures a platform team is judged by, from the
//! golden-path runs and the catalogue (`platform.paths().metrics()`):
//! usage per template and team, success rate, median and p90 duration,
//! each team's time to its first provisioned resource, the share of
//! components a golden path made, provisioning time per resource type.

use std::process::ExitCode;

use paved::{Diagnostic, Error, MetricsOptions};

use crate::output::{Ctx, print_json, table};

/// `paved metrics` arguments.
#[derive(Debug, clap::Args)]
pub struct MetricsArgs {
    /// Only runs started at or after this time: RFC 3339 (2025-06-01,
    /// 2025-06-01T12:00:00Z) or a span back from now (90m, 24h, 7d)
    /// [default: every run].
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
}

/// A table of `Usage` by template or team (the type is the engine's; the
/// facade exports `Metrics`, whose fields these are).
macro_rules! usage_table {
    ($by:expr, $rows:expr) => {
        if !$rows.is_empty() {
            println!(
                "{}",
                table(
                    &[
                        $by,
                        "runs",
                        "succeeded",
                        "failed",
                        "running",
                        "success",
                        "p50",
                        "p90"
                    ],
                    $rows.iter().map(|(k, u)| vec![
                        k.clone(),
                        u.runs.to_string(),
                        u.succeeded.to_string(),
                        u.failed.to_string(),
                        u.running.to_string(),
                        u.success_rate.map(percent).unwrap_or_default(),
                        u.p50_ms.map(ms).unwrap_or_default(),
                        u.p90_ms.map(ms).unwrap_or_default(),
                    ])
                )
            );
        }
    };
}

/// Run `paved metrics`.
pub async fn run(args: MetricsArgs, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let since = args.since.as_deref().map(since).transpose()?;
    let platform = ctx.platform().await?;
    let m = platform.paths().metrics(&MetricsOptions { since }).await?;
    if ctx.json() {
        print_json(&m);
        return Ok(ExitCode::SUCCESS);
    }
    let t = &m.total;
    println!(
        "golden-path runs{}: {} ({} succeeded, {} failed, {} running){}",
        m.since
            .as_ref()
            .map(|s| format!(" since {s}"))
            .unwrap_or_default(),
        t.runs,
        t.succeeded,
        t.failed,
        t.running,
        match t.success_rate {
            Some(r) => format!("; success rate {}", percent(r)),
            None => String::new(),
        }
    );
    if let (Some(p50), Some(p90)) = (t.p50_ms, t.p90_ms) {
        println!("duration: p50 {}, p90 {}", ms(p50), ms(p90));
    }
    usage_table!("template", m.by_template);
    usage_table!("team", m.by_team);
    if !m.onboarding.is_empty() {
        println!("onboarding (first run to first provisioned resource):");
        println!(
            "{}",
            table(
                &["team", "first run", "first provisioned", "time"],
                m.onboarding.iter().map(|o| vec![
                    o.team.clone(),
                    o.first_run.clone(),
                    o.first_provisioned
                        .clone()
                        .unwrap_or_else(|| "not yet".into()),
                    o.time_to_first_provisioning_ms.map(ms).unwrap_or_default(),
                ])
            )
        );
    }
    println!(
        "golden-path share: {} of {} components made by a golden path{}",
        m.components_from_paths,
        m.components,
        m.golden_path_share
            .map(|s| format!(" ({})", percent(s)))
            .unwrap_or_default()
    );
    if !m.provisioning.is_empty() {
        println!("provisioning through golden paths:");
        println!(
            "{}",
            table(
                &["resource type", "resources", "p50", "p90"],
                m.provisioning.iter().map(|(kind, p)| vec![
                    kind.clone(),
                    p.resources.to_string(),
                    p.p50_ms.map(ms).unwrap_or_default(),
                    p.p90_ms.map(ms).unwrap_or_default(),
                ])
            )
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

fn ms(ms: i64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

/// `--since`: a time as given, or a span back from now as RFC 3339 UTC.
fn since(arg: &str) -> anyhow::Result<String> {
    let unit = |c: char| match c {
        's' => Some(1),
        'm' => Some(60),
        'h' => Some(3600),
        'd' => Some(86_400),
        'w' => Some(7 * 86_400),
        _ => None,
    };
    let span = arg
        .char_indices()
        .last()
        .and_then(|(i, c)| Some((arg[..i].parse::<u64>().ok()?, unit(c)?)));
    let Some((n, seconds)) = span else {
        let looks_like_time = arg.len() >= 10
            && arg.as_bytes()[4] == b'-'
            && arg.as_bytes()[7] == b'-'
            && arg[..4].bytes().all(|b| b.is_ascii_digit());
        if !looks_like_time {
            return Err(Error::invalid(Diagnostic::error(
                "--since",
                format!(
                    "'{arg}' is neither a time (2025-06-01T12:00:00Z) nor a span (90m, 24h, 7d)"
                ),
            ))
            .into());
        }
        return Ok(arg.to_string());
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    Ok(rfc3339(now.saturating_sub(n.saturating_mul(seconds))))
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Days to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_become_times() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_735_689_599), "2024-12-31T23:59:59Z");
        assert_eq!(since("2025-06-01").unwrap(), "2025-06-01");
        assert!(since("7d").unwrap().ends_with('Z'));
        assert!(since("yesterday").is_err());
    }
}
