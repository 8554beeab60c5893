//! The Rust side of `bench.py`: the calls the Python benchmark makes, made
//! from Rust through the facade on the same store, timed the same way.
//!
//! ```text
//! paved-python-bench-baseline STORE REF GETS QUERY_ROUNDS
//! -> {"get_seconds": …, "gets": …, "query_seconds": …, "query_rounds": …, "entities": …}
//! ```
//!
//! `get_seconds` covers GETS calls of `catalog().get(REF)`; `query_seconds`
//! covers QUERY_ROUNDS queries of every entity (one page of up to 10,000),
//! not the freeing of the pages.

use std::process::ExitCode;
use std::time::Instant;

use paved::{OpenOptions, QuerySpec};

fn usage() -> ExitCode {
    eprintln!("usage: paved-python-bench-baseline STORE REF GETS QUERY_ROUNDS");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [store, entity_ref, gets, rounds] = args.as_slice() else {
        return usage();
    };
    let (Ok(gets), Ok(rounds)) = (gets.parse::<u32>(), rounds.parse::<u32>()) else {
        return usage();
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(measure(store, entity_ref, gets, rounds)) {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn measure(
    store: &str,
    entity_ref: &str,
    gets: u32,
    rounds: u32,
) -> paved::Result<serde_json::Value> {
    let platform = paved::open(OpenOptions::default().store(store)).await?;
    let catalog = platform.catalog();
    // Warm up caches the way the Python side does.
    catalog.get(entity_ref).await?;
    let started = Instant::now();
    for _ in 0..gets {
        std::hint::black_box(catalog.get(entity_ref).await?);
    }
    let get_seconds = started.elapsed().as_secs_f64();
    let query = QuerySpec {
        limit: Some(paved::defaults::QUERY_MAX_LIMIT),
        ..QuerySpec::default()
    };
    let mut entities = 0;
    let mut query_seconds = 0.0;
    for _ in 0..rounds {
        let started = Instant::now();
        let page = std::hint::black_box(catalog.query(&query).await?);
        query_seconds += started.elapsed().as_secs_f64();
        // Freeing the page is not timed (the Python side frees it later too).
        entities = page.items.len();
    }
    Ok(serde_json::json!({
        "get_seconds": get_seconds,
        "gets": gets,
        "query_seconds": query_seconds,
        "query_rounds": rounds,
        "entities": entities,
    }))
}
