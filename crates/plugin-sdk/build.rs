//! Writes the `export_guardrail!` / `export_provider!` macros with the
//! absolute path of the `paved:plugin` WIT package baked in, so that the
//! plugin crate expanding them finds the WIT wherever it lives.

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let wit = manifest.join("../../wit");
    let wit = wit
        .canonicalize()
        .unwrap_or_else(|e| panic!("the paved:plugin WIT package at {}: {e}", wit.display()));
    println!("cargo:rerun-if-changed={}", wit.display());
    let wit = wit.to_str().expect("WIT path is UTF-8").to_owned();
    let template = include_str!("src/export_macros.rs.in");
    let out = template.replace("@WIT_DIR@", &wit.replace('\\', "\\\\"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out_dir.join("export_macros.rs"), out).expect("write export_macros.rs");
}
