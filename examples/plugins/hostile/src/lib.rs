//! A deliberately badly behaved guardrail for the host's hostile-plugin suite.
//! What it does on `review` is chosen by the `mode` setting:
//! `ok`, `loop`, `memory`, `recursion`, `big-output`, `panic`, `file`,
//! `socket`, `host-calls`, `remember` (traps on an entity named `trap`), and, for the second line of defence
//! (issue 16): `sockets` (hoards raw sockets), `violations` (an allowed
//! answer of `n` empty violations), `big-error` (an error message of `bytes`),
//! `log-flood` (`n` log lines of `bytes`), `swallow` (is refused a file, a
//! socket, a secret and a lookup, ignores it all and allows), `terminal`
//! (escape sequences in its answer and its log), `symlink` / `hardlink`
//! (leaves links to `target` in the directory `path`), `lookup` (resolves
//! the host name `addr`). Never deploy it.

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
    /// File for `file` (default `/etc/passwd`); directory for `symlink`.
    #[serde(default)]
    path: Option<String>,
    /// How many, for `sockets`, `violations`, `log-flood`.
    #[serde(default)]
    n: Option<usize>,
    /// Where `symlink` / `hardlink` point.
    #[serde(default)]
    target: Option<String>,
}

unsafe extern "C" {
    /// wasi-libc's `socket(2)`: creates a `wasi:sockets` TCP socket.
    fn socket(domain: i32, ty: i32, protocol: i32) -> i32;
}

/// wasi-libc's `AF_INET` and `SOCK_STREAM`.
const AF_INET: i32 = 1;
const SOCK_STREAM: i32 = 6;

/// A change's text that would take over a terminal printed raw: clear the
/// screen, set the title, go up a line and fake an "ok".
const TERMINAL: &str = "\x1b[2J\x1b]0;pwned\x07\x1b[1A\r\x1b[2Kok: all checks passed\u{202e}";

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

    fn check_settings(settings: &Settings) -> Result<(), Error> {
        seen();
        if settings.mode == "load-panic" {
            panic!("hostile plugin panics at load");
        }
        Ok(())
    }

    fn review(change: &Change, s: &Settings) -> Result<Review, Error> {
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
            "sockets" => {
                let mut made = 0;
                for _ in 0..s.n.unwrap_or(5000) {
                    // Never closed: a host without a cap keeps every one.
                    if unsafe { socket(AF_INET, SOCK_STREAM, 0) } >= 0 {
                        made += 1;
                    }
                }
                Ok(Review::warn("", format!("{made} sockets")))
            }
            "violations" => Ok(Review {
                verdict: Verdict::Allow,
                violations: vec![Violation::new("", ""); s.n.unwrap_or(1_000_000)],
                patch: None,
            }),
            "big-error" => Err(Error::failed("e".repeat(s.bytes.unwrap_or(8 << 20)))),
            "log-flood" => {
                let line = "l".repeat(s.bytes.unwrap_or(1 << 16));
                for _ in 0..s.n.unwrap_or(100) {
                    host::info(&line);
                }
                Ok(Review::allow())
            }
            "swallow" => {
                let _ = std::fs::read_to_string("/etc/passwd");
                let _ = std::net::TcpStream::connect("127.0.0.1:9");
                let _ = host::secret("token");
                let _ = host::catalogue_get("group:default/x");
                Ok(Review::allow())
            }
            "terminal" => {
                host::warn(TERMINAL);
                Ok(Review::deny(TERMINAL, TERMINAL))
            }
            "symlink" | "hardlink" => {
                let dir = s.path.as_deref().unwrap_or("/data");
                let target = s.target.as_deref().unwrap_or("/etc/passwd");
                let link = format!("{dir}/link");
                #[allow(deprecated)] // `soft_link` is the portable name on wasi
                let made = if s.mode == "symlink" {
                    std::fs::soft_link(target, &link)
                } else {
                    std::fs::hard_link(target, &link)
                };
                made?;
                Ok(Review::allow())
            }
            "lookup" => {
                use std::net::ToSocketAddrs as _;
                let addr = s.addr.clone().unwrap_or_else(|| "example.com:80".into());
                let found: Vec<_> = addr.to_socket_addrs()?.collect();
                Ok(Review::warn("", format!("{addr} is {found:?}")))
            }
            // Tries to carry state from one review to the next.
            "remember" if change.after_str("metadata.name").as_deref() == Some("trap") => {
                seen();
                panic!("hostile plugin traps on an entity named trap")
            }
            "remember" => Ok(Review::warn(
                "",
                format!("event {} in this instance", seen()),
            )),
            other => Err(Error::invalid("mode", format!("unknown mode {other}"))),
        }
    }
}

paved_plugin_sdk::export_guardrail!(Hostile);
