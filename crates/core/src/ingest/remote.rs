//! Reading catalogue files over HTTP(S), from allowed hosts only
//! (Backstage's `reading.allow`).
//!
//! ```text
//! URL ──(scheme http/https? host[:port] and path in `Reading::allow`?)──> GET
//!   -> 3xx with Location: the next URL is checked the same way, then fetched
//!      (by hand, so every hop is checked; a URL seen before is a loop;
//!      more than `max_redirects` hops is an error)
//!   -> 404/410: not found (an optional Location skips it); other non-2xx: an error
//!   -> Content-Length over the limit: refused before the body is read;
//!      otherwise at most limit + 1 bytes are read, so an endless body stops there
//!   -> UTF-8 text, or an error
//! ```
//!
//! One [`Reading::timeout`] bounds the whole read of a URL (connecting, every
//! redirect, the body), so a server that never answers, or answers a byte at
//! a time, fails in bounded time. Every error says what to change: the
//! `reading` keys of `paved.yaml`, the server, or the target.
//!
//! The client is `ureq` (blocking, rustls with the webpki roots, no gzip:
//! the bytes counted are the bytes sent). Proxies named by `HTTPS_PROXY`,
//! `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` are used; the allow list is
//! checked against the URL asked for, not the proxy.

use std::io::Read;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use url::Url;

use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};

/// How long reading one URL may take by default, redirects and body included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How many redirects reading one URL follows by default.
pub const DEFAULT_MAX_REDIRECTS: u32 = 5;

/// Where, and how much, the loader may read over HTTP(S): `reading:` in
/// `paved.yaml` (see [`ReadingConfig`]). The default allows no host at all,
/// so nothing is read over the network unless configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// Hosts (and optionally path prefixes) URLs may be read from; every
    /// redirect must land on one too. Empty: no URL is read.
    pub allow: Vec<ReadingAllow>,
    /// The most bytes one URL's body may have; `None`: the loader's
    /// [`super::Limits::max_bytes`] (YAML longer than that is refused anyway).
    pub max_bytes: Option<u64>,
    /// The longest reading one URL may take, from connecting to the last byte
    /// of the body, across its redirects (default 10 s).
    pub timeout: Duration,
    /// Redirects followed for one URL (default 5; 0: none).
    pub max_redirects: u32,
}

impl Default for Reading {
    fn default() -> Self {
        Self {
            allow: Vec::new(),
            max_bytes: None,
            timeout: DEFAULT_TIMEOUT,
            max_redirects: DEFAULT_MAX_REDIRECTS,
        }
    }
}

/// One entry of `reading.allow`: a host, and optionally the path prefixes
/// allowed on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadingAllow {
    /// `example.com` (that host exactly), `*.example.com` (its subdomains,
    /// not `example.com` itself), with `:port` when the URL names a port
    /// that is not its scheme's default (`127.0.0.1:8123`), as in Backstage.
    pub host: String,
    /// Path prefixes allowed on the host (`/org/catalog/`); none: any path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paths: Option<Vec<String>>,
}

impl ReadingAllow {
    /// Any path on `host`.
    pub fn host(host: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            paths: None,
        }
    }

    fn host_matches(&self, host: &str) -> bool {
        let allowed = self.host.to_ascii_lowercase();
        match allowed.strip_prefix('*') {
            Some(suffix) if suffix.starts_with('.') => host.ends_with(suffix),
            _ => host == allowed,
        }
    }

    fn path_matches(&self, path: &str) -> bool {
        self.paths
            .as_ref()
            .is_none_or(|paths| paths.iter().any(|p| path.starts_with(p.as_str())))
    }
}

/// `host[:port]` of a URL as `reading.allow` names it (the port only when
/// it is not the scheme's default, like JavaScript's `URL.host`).
fn host_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}

impl Reading {
    /// Allow any path on each of `hosts`; the other settings are the defaults.
    pub fn allowing<S: Into<String>>(hosts: impl IntoIterator<Item = S>) -> Self {
        Self {
            allow: hosts.into_iter().map(ReadingAllow::host).collect(),
            ..Self::default()
        }
    }

    /// Whether `url` may be read: `Err` says why not and what to change.
    pub fn check(&self, url: &Url) -> std::result::Result<(), String> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "'{url}' has scheme '{}'; only http and https URLs are read",
                url.scheme()
            ));
        }
        let host = host_of(url);
        if host.is_empty() {
            return Err(format!("'{url}' names no host"));
        }
        let path = url.path();
        let for_host: Vec<&ReadingAllow> = self
            .allow
            .iter()
            .filter(|a| a.host_matches(&host))
            .collect();
        if for_host.iter().any(|a| a.path_matches(path)) {
            return Ok(());
        }
        if for_host.is_empty() {
            return Err(format!(
                "host '{host}' is not in reading.allow; add `- host: {host}` to \
                 reading.allow in paved.yaml to read from it"
            ));
        }
        let paths: Vec<&str> = for_host
            .iter()
            .flat_map(|a| a.paths.iter().flatten())
            .map(String::as_str)
            .collect();
        Err(format!(
            "path '{path}' is not under the paths reading.allow gives for host '{host}' \
             ({}); add a prefix of it to that entry's paths in paved.yaml to read it",
            paths.join(", ")
        ))
    }
}

/// The `reading:` section of `paved.yaml`, as written.
///
/// ```yaml
/// reading:
///   allow:
///     - host: raw.githubusercontent.com
///       paths: [/acme/catalog/]   # optional: path prefixes
///     - host: "*.internal.example.com"
///     - host: 127.0.0.1:8123      # a port other than the scheme's default
///   maxBytes: 1048576             # per URL (default: the YAML size limit)
///   timeout: 10s                  # per URL, redirects and body included
///   maxRedirects: 5
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ReadingConfig {
    /// Hosts URLs may be read from (none: no URL is read).
    #[serde(default)]
    pub allow: Vec<ReadingAllow>,
    /// The most bytes one URL's body may have.
    #[serde(default)]
    pub max_bytes: Option<u64>,
    /// The longest reading one URL may take: a whole number and a unit
    /// ms, s or m (default 10s).
    #[serde(default)]
    pub timeout: Option<String>,
    /// Redirects followed for one URL (default 5).
    #[serde(default)]
    pub max_redirects: Option<u32>,
}

fn problem(path: String, message: String) -> Error {
    Error::invalid(Diagnostic::error(path, message))
}

impl ReadingConfig {
    /// The settings this section asks for; errors name the field
    /// (`reading.allow[0].host`).
    pub fn settings(&self) -> Result<Reading> {
        let mut reading = Reading::default();
        for (i, entry) in self.allow.iter().enumerate() {
            let at = |field: &str| format!("reading.allow[{i}].{field}");
            let host = entry.host.trim();
            if host.is_empty() {
                return Err(problem(at("host"), "expected a host name".into()));
            }
            if host.contains("://") || host.contains('/') {
                return Err(problem(
                    at("host"),
                    format!(
                        "'{host}' is not a host name: give the host only (and a port if \
                         needed), such as example.com; put path prefixes in paths"
                    ),
                ));
            }
            if host.contains('*') && (!host.starts_with("*.") || host[1..].contains('*')) {
                return Err(problem(
                    at("host"),
                    format!("'{host}': a wildcard may only be a leading `*.`, as in *.example.com"),
                ));
            }
            if let Some(paths) = &entry.paths {
                for (j, path) in paths.iter().enumerate() {
                    if !path.starts_with('/') {
                        return Err(problem(
                            format!("reading.allow[{i}].paths[{j}]"),
                            format!("'{path}' must start with `/`, as in /acme/catalog/"),
                        ));
                    }
                }
            }
            reading.allow.push(ReadingAllow {
                host: host.to_ascii_lowercase(),
                paths: entry.paths.clone(),
            });
        }
        if let Some(max) = self.max_bytes {
            if max == 0 {
                return Err(problem(
                    "reading.maxBytes".into(),
                    "expected at least 1 byte".into(),
                ));
            }
            reading.max_bytes = Some(max);
        }
        if let Some(text) = &self.timeout {
            reading.timeout =
                parse_timeout(text).map_err(|why| problem("reading.timeout".into(), why))?;
        }
        if let Some(n) = self.max_redirects {
            reading.max_redirects = n;
        }
        Ok(reading)
    }
}

/// `500ms`, `10s`, `2m`: more than zero, at most 10 minutes.
fn parse_timeout(text: &str) -> std::result::Result<Duration, String> {
    let text = text.trim();
    let duration = crate::duration::parse(text)?;
    if duration.is_zero() {
        return Err(format!("'{text}' is zero: every read would time out"));
    }
    if duration > Duration::from_secs(600) {
        return Err(format!("'{text}' is longer than 10m"));
    }
    Ok(duration)
}

/// Why a URL could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReadError {
    /// The server said the target does not exist (404 or 410).
    pub not_found: bool,
    pub message: String,
}

impl ReadError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            not_found: false,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Reads URLs for one load, under a [`Reading`]; its HTTP agent (and its
/// connection pool) is made on the first read.
pub(crate) struct Remote<'a> {
    reading: &'a Reading,
    max_bytes: u64,
    agent: OnceLock<ureq::Agent>,
}

impl std::fmt::Debug for Remote<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("reading", self.reading)
            .field("max_bytes", &self.max_bytes)
            .finish()
    }
}

/// Whether `s` is an `http://` or `https://` URL (not a file path).
pub(crate) fn is_url(s: &str) -> bool {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

impl<'a> Remote<'a> {
    /// Read under `reading`; bodies at most `reading.max_bytes`, else `default_max_bytes`.
    pub(crate) fn new(reading: &'a Reading, default_max_bytes: usize) -> Self {
        Self {
            reading,
            max_bytes: reading.max_bytes.unwrap_or(default_max_bytes as u64),
            agent: OnceLock::new(),
        }
    }

    fn agent(&self) -> &ureq::Agent {
        self.agent.get_or_init(|| {
            ureq::Agent::config_builder()
                // Statuses and redirects are handled below, every hop checked.
                .http_status_as_error(false)
                .max_redirects(0)
                .timeout_global(Some(self.reading.timeout))
                .timeout_connect(Some(self.reading.timeout))
                .user_agent(concat!("paved/", env!("CARGO_PKG_VERSION")))
                .build()
                .new_agent()
        })
    }

    /// The body of `url` as text, following redirects to allowed places.
    pub(crate) fn read_text(&self, url: &Url) -> std::result::Result<String, ReadError> {
        let started = Instant::now();
        let mut hops: Vec<Url> = Vec::new();
        let mut current = url.clone();
        loop {
            if let Err(why) = self.reading.check(&current) {
                return Err(ReadError::new(if hops.is_empty() {
                    why
                } else {
                    format!("it redirects to {current}, which is not read: {why}")
                }));
            }
            hops.push(current.clone());
            let remaining = self.reading.timeout.saturating_sub(started.elapsed());
            if remaining.is_zero() {
                return Err(self.timed_out());
            }
            let response = self
                .agent()
                .get(current.as_str())
                .config()
                .timeout_global(Some(remaining))
                .build()
                .call()
                .map_err(|e| self.call_error(e, &current))?;
            let status = response.status();
            if status.is_redirection() {
                let next = self.redirect(&response, &current, &hops)?;
                current = next;
                continue;
            }
            if status.as_u16() == 404 || status.as_u16() == 410 {
                return Err(ReadError {
                    not_found: true,
                    message: format!("not found (HTTP {})", status.as_u16()),
                });
            }
            if !status.is_success() {
                let mut message = format!("the server answered HTTP {}", status.as_u16());
                if let Some(reason) = status.canonical_reason() {
                    message.push_str(&format!(" {reason}"));
                }
                if hops.len() > 1 {
                    message.push_str(&format!(" for {current}"));
                }
                return Err(ReadError::new(message));
            }
            return self.body(response);
        }
    }

    /// Where a 3xx response leads, or why it is not followed.
    fn redirect(
        &self,
        response: &ureq::http::Response<ureq::Body>,
        current: &Url,
        hops: &[Url],
    ) -> std::result::Result<Url, ReadError> {
        let status = response.status().as_u16();
        let Some(location) = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
        else {
            return Err(ReadError::new(format!(
                "the server answered HTTP {status} without a Location to redirect to"
            )));
        };
        let next = current.join(location.trim()).map_err(|e| {
            ReadError::new(format!(
                "the server redirects to '{location}', which is not a valid URL: {e}"
            ))
        })?;
        let chain = |next: &Url| {
            hops.iter()
                .chain(std::iter::once(next))
                .map(Url::as_str)
                .collect::<Vec<_>>()
                .join(" -> ")
        };
        if hops.contains(&next) {
            return Err(ReadError::new(format!(
                "redirect loop: {}; fix the redirects on the server, or point at the final URL",
                chain(&next)
            )));
        }
        let followed = hops.len() as u32 - 1;
        if followed >= self.reading.max_redirects {
            return Err(ReadError::new(format!(
                "more than {} redirects ({}); point at the final URL, or raise \
                 reading.maxRedirects in paved.yaml",
                self.reading.max_redirects,
                chain(&next)
            )));
        }
        Ok(next)
    }

    /// The body of a 2xx response: at most `max_bytes`, UTF-8.
    fn body(
        &self,
        response: ureq::http::Response<ureq::Body>,
    ) -> std::result::Result<String, ReadError> {
        let max = self.max_bytes;
        let body = response.into_body();
        if let Some(length) = body.content_length()
            && length > max
        {
            return Err(ReadError::new(format!(
                "the response is {length} bytes (its Content-Length), more than the limit \
                 of {max} bytes; split the file, or raise reading.maxBytes in paved.yaml"
            )));
        }
        let capacity = body.content_length().unwrap_or(8 * 1024).min(max) as usize;
        let mut bytes = Vec::with_capacity(capacity);
        body.into_reader()
            .take(max + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| self.io_error(e))?;
        if bytes.len() as u64 > max {
            return Err(ReadError::new(format!(
                "the response is longer than the limit of {max} bytes (reading stopped \
                 there); split the file, or raise reading.maxBytes in paved.yaml"
            )));
        }
        String::from_utf8(bytes).map_err(|_| ReadError::new("the response is not UTF-8 text"))
    }

    fn timed_out(&self) -> ReadError {
        ReadError::new(format!(
            "no complete answer within {:?} (reading.timeout); check that the server is up, \
             or raise reading.timeout in paved.yaml",
            self.reading.timeout
        ))
    }

    fn call_error(&self, e: ureq::Error, url: &Url) -> ReadError {
        match e {
            ureq::Error::Timeout(_) => self.timed_out(),
            ureq::Error::Io(io) => self.io_error(io),
            ureq::Error::HostNotFound => ReadError::new(format!(
                "host '{}' was not found (DNS); check the URL",
                host_of(url)
            )),
            ureq::Error::ConnectionFailed => ReadError::new(format!(
                "cannot connect to {}; check that the server is up",
                host_of(url)
            )),
            other => ReadError::new(format!("cannot read it: {other}")),
        }
    }

    fn io_error(&self, e: std::io::Error) -> ReadError {
        if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<ureq::Error>())
            && matches!(inner, ureq::Error::Timeout(_))
        {
            return self.timed_out();
        }
        match e.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => self.timed_out(),
            std::io::ErrorKind::ConnectionRefused => {
                ReadError::new("the connection was refused; check that the server is up")
            }
            _ => ReadError::new(format!("cannot read it: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn allow(host: &str, paths: Option<&[&str]>) -> ReadingAllow {
        ReadingAllow {
            host: host.into(),
            paths: paths.map(|p| p.iter().map(|s| s.to_string()).collect()),
        }
    }

    #[test]
    fn nothing_is_allowed_by_default() {
        let reading = Reading::default();
        assert_eq!(reading.timeout, Duration::from_secs(10));
        assert_eq!(reading.max_redirects, 5);
        assert_eq!(
            reading
                .check(&url("https://example.com/a.yaml"))
                .unwrap_err(),
            "host 'example.com' is not in reading.allow; add `- host: example.com` to \
             reading.allow in paved.yaml to read from it"
        );
    }

    #[test]
    fn hosts_match_as_in_backstage() {
        let reading = Reading {
            allow: vec![
                allow("example.com", None),
                allow("*.corp.example", None),
                allow("127.0.0.1:8123", None),
                allow("git.example", Some(&["/acme/catalog/"])),
            ],
            ..Reading::default()
        };
        let ok = |s: &str| reading.check(&url(s)).is_ok();
        assert!(ok("https://example.com/x.yaml"));
        assert!(ok("http://EXAMPLE.com/x.yaml"));
        // The default port is not part of the host; another port is.
        assert!(ok("https://example.com:443/x.yaml"));
        assert!(!ok("https://example.com:8443/x.yaml"));
        assert!(!ok("https://sub.example.com/x.yaml"));
        assert!(!ok("https://example.com.evil.example/x.yaml"));
        // A wildcard: subdomains, not the domain itself.
        assert!(ok("https://a.corp.example/x.yaml"));
        assert!(ok("https://a.b.corp.example/x.yaml"));
        assert!(!ok("https://corp.example/x.yaml"));
        assert!(!ok("https://evilcorp.example/x.yaml"));
        assert!(ok("http://127.0.0.1:8123/x.yaml"));
        assert!(!ok("http://127.0.0.1/x.yaml"));
        // Paths: prefixes, after `..` is resolved.
        assert!(ok("https://git.example/acme/catalog/x.yaml"));
        assert!(!ok("https://git.example/acme/catalog/../secrets/x.yaml"));
        assert!(!ok(
            "https://git.example/acme/catalog/%2e%2e/secrets/x.yaml"
        ));
        assert!(!ok("https://git.example/acme/other.yaml"));
        assert_eq!(
            reading
                .check(&url("https://git.example/acme/other.yaml"))
                .unwrap_err(),
            "path '/acme/other.yaml' is not under the paths reading.allow gives for host \
             'git.example' (/acme/catalog/); add a prefix of it to that entry's paths in \
             paved.yaml to read it"
        );
        // Only http and https.
        assert!(
            reading
                .check(&url("ftp://example.com/x.yaml"))
                .unwrap_err()
                .contains("only http and https URLs are read")
        );
        assert!(
            reading
                .check(&url("file:///etc/passwd"))
                .unwrap_err()
                .contains("scheme 'file'")
        );
    }

    #[test]
    fn urls_are_told_from_paths() {
        assert!(is_url("https://example.com/a.yaml"));
        assert!(is_url("HTTP://example.com"));
        assert!(!is_url("./https.yaml"));
        assert!(!is_url("/srv/http://x"));
        assert!(!is_url("ftp://example.com"));
    }

    #[test]
    fn the_configuration_section() {
        let config: ReadingConfig = serde_json::from_value(serde_json::json!({
            "allow": [{"host": "Example.com"}, {"host": "*.corp.example", "paths": ["/c/"]}],
            "maxBytes": 1000,
            "timeout": "500ms",
            "maxRedirects": 0,
        }))
        .unwrap();
        let reading = config.settings().unwrap();
        assert_eq!(
            reading,
            Reading {
                allow: vec![
                    allow("example.com", None),
                    allow("*.corp.example", Some(&["/c/"]))
                ],
                max_bytes: Some(1000),
                timeout: Duration::from_millis(500),
                max_redirects: 0,
            }
        );
        assert_eq!(
            ReadingConfig::default().settings().unwrap(),
            Reading::default()
        );

        let refused = |value: serde_json::Value| -> (String, String) {
            let config: ReadingConfig = serde_json::from_value(value).unwrap();
            match config.settings().unwrap_err() {
                Error::Invalid { diagnostics } => {
                    (diagnostics[0].path.clone(), diagnostics[0].message.clone())
                }
                other => panic!("{other}"),
            }
        };
        let (path, message) =
            refused(serde_json::json!({"allow": [{"host": "https://x.example/"}]}));
        assert_eq!(path, "reading.allow[0].host");
        assert!(message.contains("give the host only"), "{message}");
        let (path, _) = refused(serde_json::json!({"allow": [{"host": "a.*.example"}]}));
        assert_eq!(path, "reading.allow[0].host");
        let (path, message) =
            refused(serde_json::json!({"allow": [{"host": "x"}, {"host": "y", "paths": ["c/"]}]}));
        assert_eq!(path, "reading.allow[1].paths[0]");
        assert!(message.contains("must start with `/`"), "{message}");
        let (path, message) = refused(serde_json::json!({"timeout": "10"}));
        assert_eq!(path, "reading.timeout");
        assert!(message.contains("has no unit"), "{message}");
        let (path, _) = refused(serde_json::json!({"timeout": "0s"}));
        assert_eq!(path, "reading.timeout");
        let (path, _) = refused(serde_json::json!({"maxBytes": 0}));
        assert_eq!(path, "reading.maxBytes");
        assert!(
            serde_json::from_value::<ReadingConfig>(serde_json::json!({"allowed": []})).is_err()
        );
    }

    #[test]
    fn a_host_that_is_not_allowed_is_never_contacted() {
        // Port 9 (discard) on a documentation address: if the client tried,
        // this would time out or fail to connect instead.
        let reading = Reading::allowing(["example.com"]);
        let remote = Remote::new(&reading, 1024);
        let e = remote
            .read_text(&url("http://192.0.2.1:9/a.yaml"))
            .unwrap_err();
        assert!(!e.not_found);
        assert!(
            e.message
                .starts_with("host '192.0.2.1:9' is not in reading.allow"),
            "{e}"
        );
    }
}
