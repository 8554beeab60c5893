//! Refreshing a large catalogue (issue 12's figures).
//!
//! Writes the synthetic organisation of N entities (default 100,000) as
//! files of 100 entities, imports them into SQLite (a file) and PostgreSQL,
//! then times `catalog.refresh` of that location:
//! - when nothing changed (rows written must be 0),
//! - when 1% of the files changed (each changed entity written once, nothing
//!   else),
//!
//! three rounds each (medians), against the first import of the same files
//! as the baseline.
//!
//! Run: `cargo run --release -p paved-bench --bin refresh -- [N] [--skip-postgres]`

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use paved::{OpenOptions, RefreshReport, WriteOptions};
use paved_bench::synthetic::write_catalog;
use paved_bench::{ScratchDb, fmt_duration, median};

const ROUNDS: usize = 3;

/// Change 1% of the files (every 100th, shifted by `round`): each entity
/// with a title gets a new one. Returns how many entities changed.
fn change_one_percent(files: &[PathBuf], round: usize) -> anyhow::Result<usize> {
    let mut changed = 0;
    for file in files.iter().skip(round).step_by(100) {
        let text = std::fs::read_to_string(file)?;
        changed += text.matches("\n  title: ").count();
        let text = text.replace("\n  title: ", &format!("\n  title: r{round} "));
        std::fs::write(file, text)?;
    }
    Ok(changed)
}

struct Figures {
    import: Duration,
    unchanged: Vec<(Duration, usize)>,
    changed: Vec<(Duration, usize, usize)>,
}

async fn refresh(platform: &paved::Platform) -> anyhow::Result<(Duration, RefreshReport)> {
    let start = Instant::now();
    let report = platform
        .catalog()
        .refresh(None, &WriteOptions::default())
        .await?;
    anyhow::ensure!(!report.has_failures(), "a refresh failed: {report:?}");
    Ok((start.elapsed(), report))
}

async fn store_figures(store: String, dir: &Path, files: &[PathBuf]) -> anyhow::Result<Figures> {
    let platform = paved::open(OpenOptions::default().store(store)).await?;
    let start = Instant::now();
    platform
        .catalog()
        .import(&[dir.to_path_buf()], None, &WriteOptions::default())
        .await?;
    let import = start.elapsed();
    let mut figures = Figures {
        import,
        unchanged: Vec::new(),
        changed: Vec::new(),
    };
    for round in 0..ROUNDS {
        let (took, report) = refresh(&platform).await?;
        figures.unchanged.push((took, report.written()));
        let expected = change_one_percent(files, round)?;
        let (took, report) = refresh(&platform).await?;
        figures.changed.push((took, report.written(), expected));
    }
    Ok(figures)
}

fn print_row(label: &str, f: &Figures) {
    let unchanged = median(f.unchanged.iter().map(|u| u.0.as_secs_f64()).collect());
    let changed = median(f.changed.iter().map(|c| c.0.as_secs_f64()).collect());
    let import = f.import.as_secs_f64();
    let written_unchanged: Vec<String> = f.unchanged.iter().map(|u| u.1.to_string()).collect();
    let written_changed: Vec<String> = f
        .changed
        .iter()
        .map(|c| format!("{} of {}", c.1, c.2))
        .collect();
    println!(
        "| {label} | {} | {} ({:.2}× the import) | {} | {} ({:.2}×) | {} |",
        fmt_duration(f.import),
        fmt_duration(Duration::from_secs_f64(unchanged)),
        unchanged / import,
        written_unchanged.join(", "),
        fmt_duration(Duration::from_secs_f64(changed)),
        changed / import,
        written_changed.join(", "),
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let total: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(100_000);
    let skip_pg = args.iter().any(|a| a == "--skip-postgres");
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("catalog");
    let files = write_catalog(&dir, total, 100)?;
    println!(
        "## Refresh at scale\n\n{total} entities in {} files; command: \
         `cargo run --release -p paved-bench --bin refresh -- {total}`\n",
        files.len()
    );
    println!(
        "| store | first import (baseline) | refresh, nothing changed (median of {ROUNDS}) | entities written | refresh, 1% of files changed (median of {ROUNDS}) | entities written of changed |"
    );
    println!("|---|---|---|---|---|---|");
    let sqlite = format!("sqlite:{}", tmp.path().join("bench.db").display());
    print_row(
        "SQLite (file, WAL)",
        &store_figures(sqlite, &dir, &files).await?,
    );
    if !skip_pg {
        // The files changed in the SQLite rounds: write them afresh.
        std::fs::remove_dir_all(&dir)?;
        let files = write_catalog(&dir, total, 100)?;
        let admin = std::env::var("PAVED_BENCH_PG")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
        let scratch = ScratchDb::create(&admin).await?;
        let figures = store_figures(scratch.url.clone(), &dir, &files).await;
        scratch.drop_db().await?;
        print_row("PostgreSQL (127.0.0.1)", &figures?);
    }
    Ok(())
}
