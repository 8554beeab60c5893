//! A deliberately badly behaved guardrail for the host's hostile-plugin suite.
//! What it does on `review` is chosen by the `mode` setting:
//! `ok`, `loop`, `memory`, `recursion`, `big-output`, `panic`, `file`,
//! `socket`, `host-calls`, `remember`. Never deploy it.

use std::cell::Cell;
use std::hint::black_box;

use paved_plugin_sdk::prelude::*;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Settings {
    #[serde(default = "ok")]
    mode: String,
    /// Bytes for `big-output`.
    #[serde(default)]
    bytes: Option<usize>,
    /// Address for `socket`.
    #[serde(default)]
    addr: Option<String>,
    /// File for `file` (default `/etc/passwd`).
    #[serde(default)]
    path: Option<String>,
}

fn ok() -> String {
    "ok".into()
}

fn recurse(n: u64, pad: [u64; 16]) -> u64 {
    let pad = black_box(pad);
    if black_box(n) == u64::MAX {
        return 0;
    }
    recurse(n + 1, pad) + pad[(n % 16) as usize]
}

thread_local! {
    /// Counts `check_settings` and `remember` reviews in this instance, to
    /// show what state a review can see (mode `remember`).
    static SEEN: Cell<u32> = const { Cell::new(0) };
}

fn seen() -> u32 {
    SEEN.with(|n| {
        n.set(n.get() + 1);
        n.get()
    })
}

struct Hostile;

impl Guardrail for Hostile {
    type Settings = Settings;
    const DESCRIPTION: &'static str = "Misbehaves on purpose (host tests only)";

    fn check_settings(_settings: &Settings) -> Result<(), Error> {
        seen();
        Ok(())
    }

    fn review(_change: &Change, s: &Settings) -> Result<Review, Error> {
        match s.mode.as_str() {
            "ok" => Ok(Review::allow()),
            "loop" => {
                let mut i: u64 = 0;
                loop {
                    i = black_box(i.wrapping_add(1));
                }
            }
            "memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    black_box(&hoard);
                }
            }
            "recursion" => Ok(Review::deny("", recurse(0, [7; 16]).to_string())),
            "big-output" => {
                let n = s.bytes.unwrap_or(100 << 20);
                Ok(Review::deny("", "x".repeat(n)))
            }
            "panic" => panic!("hostile plugin panics on purpose"),
            "file" => {
                let path = s.path.as_deref().unwrap_or("/etc/passwd");
                let text = std::fs::read_to_string(path)?;
                Ok(Review::deny("", text))
            }
            "socket" => {
                let addr = s.addr.clone().unwrap_or_else(|| "127.0.0.1:9".into());
                let stream = std::net::TcpStream::connect(&addr)?;
                Ok(Review::deny(
                    "",
                    format!("connected to {:?}", stream.peer_addr()),
                ))
            }
            "host-calls" => loop {
                host::debug("spam");
            },
            // Tries to carry state from one review to the next.
            "remember" => Ok(Review::warn(
                "",
                format!("event {} in this instance", seen()),
            )),
            other => Err(Error::invalid("mode", format!("unknown mode {other}"))),
        }
    }
}

paved_plugin_sdk::export_guardrail!(Hostile);
