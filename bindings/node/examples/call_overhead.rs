//! The Rust side of the call-overhead benchmark (`bindings/node/bench.sh`):
//! the same trivial calls as `bench/call-overhead.mjs`, made from Rust, so the
//! difference is what crossing from Node costs.
//!
//! ```text
//! cargo run --release -p paved-node --example call_overhead -- [iterations]
//! ```
//! Prints one JSON line: nanoseconds per call for each call.

use std::path::PathBuf;
use std::time::Instant;

const REF: &str = "component:default/checkout-service";

#[tokio::main]
async fn main() -> paved::Result<()> {
    let iterations: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let catalog_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/catalog");
    let platform = paved::open(paved::OpenOptions::default().store("sqlite::memory:")).await?;
    platform
        .catalog()
        .import(&[catalog_dir], None, &Default::default())
        .await?;

    // A synchronous trivial call: the store's description.
    let mut sink = 0usize;
    for _ in 0..iterations / 10 {
        sink += platform.store_description().len();
    }
    let start = Instant::now();
    for _ in 0..iterations {
        sink += platform.store_description().len();
    }
    let describe_ns = start.elapsed().as_nanos() as f64 / f64::from(iterations);

    // An async call that reads one entity.
    let catalog = platform.catalog();
    for _ in 0..iterations / 10 {
        sink += catalog.get(REF).await?.metadata.name.len();
    }
    let start = Instant::now();
    for _ in 0..iterations {
        sink += catalog.get(REF).await?.metadata.name.len();
    }
    let get_ns = start.elapsed().as_nanos() as f64 / f64::from(iterations);

    println!(
        "{{\"iterations\":{iterations},\"storeDescription_ns\":{describe_ns:.1},\"get_ns\":{get_ns:.1},\"sink\":{sink}}}"
    );
    Ok(())
}
