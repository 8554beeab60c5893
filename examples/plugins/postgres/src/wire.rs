//! A small PostgreSQL client over the guest's own TCP socket: the startup
//! handshake with trust, cleartext, md5 or SCRAM-SHA-256 authentication, and
//! the simple query protocol. Messages are encoded and decoded by
//! `postgres-protocol`; the socket is a WASI socket the host lets reach only
//! the granted `host:port` pairs.
//!
//! Every failure becomes an SDK [`Error`] that names the server (`host:port`)
//! and, for errors the server reports, its severity, SQLSTATE and message.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use bytes::BytesMut;
use fallible_iterator::FallibleIterator;
use paved_plugin_sdk::Error;
use postgres_protocol::authentication::{md5_hash, sasl};
use postgres_protocol::message::backend::{ErrorFields, Message};
use postgres_protocol::message::frontend;

/// Where to connect and as whom.
pub struct Target<'a> {
    pub host: &'a str,
    pub port: u16,
    pub user: &'a str,
    pub database: &'a str,
    pub connect_timeout: Duration,
}

impl Target<'_> {
    /// `host:port` of the server.
    pub fn server(&self) -> String {
        server_address(self.host, self.port)
    }
}

/// `host:port`, with brackets around an IPv6 address.
pub fn server_address(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// An error the server reported (`ErrorResponse`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerError {
    /// Non-localised severity (`ERROR`, `FATAL`, `PANIC`).
    pub severity: String,
    /// SQLSTATE, e.g. `42P04`.
    pub code: String,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

impl ServerError {
    fn parse(mut fields: ErrorFields<'_>) -> std::io::Result<Self> {
        let mut e = ServerError {
            severity: String::new(),
            code: String::new(),
            message: String::new(),
            detail: None,
            hint: None,
        };
        let mut localized = String::new();
        while let Some(field) = fields.next()? {
            let value = String::from_utf8_lossy(field.value_bytes()).into_owned();
            match field.type_() {
                b'V' => e.severity = value,
                b'S' => localized = value,
                b'C' => e.code = value,
                b'M' => e.message = value,
                b'D' => e.detail = Some(value),
                b'H' => e.hint = Some(value),
                _ => {}
            }
        }
        if e.severity.is_empty() {
            e.severity = localized;
        }
        Ok(e)
    }
}

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.severity, self.code, self.message)?;
        if let Some(d) = &self.detail {
            write!(f, " (detail: {d})")?;
        }
        if let Some(h) = &self.hint {
            write!(f, " (hint: {h})")?;
        }
        Ok(())
    }
}

/// Largest backend message accepted, in bytes (the rows this plugin reads
/// are a few hundred bytes).
const MAX_MESSAGE: u32 = 1 << 20;

/// One statement's result rows, each column as text (`None` for NULL).
pub type Rows = Vec<Vec<Option<String>>>;

/// Connect to one address within `timeout`.
fn connect_one(addr: &SocketAddr, timeout: Duration) -> std::io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(addr, timeout)?;
    // On wasm32-wasip2 `connect_timeout` can report success for a
    // connection the server refused; the socket knows better.
    if let Some(e) = stream.take_error()? {
        return Err(e);
    }
    match stream.peer_addr() {
        Ok(_) => Ok(stream),
        // Not connected after all: a blocking connect says why (a refusal
        // comes back at once).
        Err(_) => {
            drop(stream);
            TcpStream::connect(addr)
        }
    }
}

/// An open, authenticated session.
pub struct Conn {
    stream: TcpStream,
    buf: BytesMut,
    server: String,
}

fn io_failed(server: &str, what: &str, e: std::io::Error) -> Error {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => Error::CapabilityDenied(format!(
            "{what} PostgreSQL at {server}: {e} (is '{server}' in the plugin's grants.network?)"
        )),
        _ => Error::failed(format!("{what} PostgreSQL at {server}: {e}")),
    }
}

impl Conn {
    /// Connect and authenticate. `password` is asked for only when the
    /// server wants one (trust authentication needs none).
    pub fn connect(
        target: &Target<'_>,
        password: impl FnOnce() -> Result<Option<String>, Error>,
    ) -> Result<Self, Error> {
        let server = target.server();
        let addrs: Vec<SocketAddr> = (target.host, target.port)
            .to_socket_addrs()
            .map_err(|e| io_failed(&server, "cannot resolve the address of", e))?
            .collect();
        let mut last = None;
        let mut stream = None;
        for addr in &addrs {
            match connect_one(addr, target.connect_timeout) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let stream = match (stream, last) {
            (Some(s), _) => s,
            (None, Some(e)) => return Err(io_failed(&server, "cannot connect to", e)),
            (None, None) => {
                return Err(Error::failed(format!(
                    "cannot connect to PostgreSQL at {server}: the name has no address"
                )));
            }
        };
        let _ = stream.set_nodelay(true);
        let mut conn = Conn {
            stream,
            buf: BytesMut::with_capacity(8192),
            server,
        };
        conn.startup(target, password)?;
        Ok(conn)
    }

    /// `host:port` of the server.
    pub fn server(&self) -> &str {
        &self.server
    }

    fn send(&mut self, out: &BytesMut) -> Result<(), Error> {
        self.stream
            .write_all(out)
            .map_err(|e| io_failed(&self.server, "lost the connection to", e))
    }

    fn recv(&mut self) -> Result<Message, Error> {
        loop {
            // `Message::parse` reserves what the header announces; refuse a
            // length no answer of ours comes near (a peer that is not
            // PostgreSQL, e.g. an HTTP proxy) before it becomes an allocation.
            if let Some(len) = self.buf.get(1..5) {
                let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]);
                if len > MAX_MESSAGE {
                    return Err(Error::failed(format!(
                        "{} answered with a {len}-byte message (tag {:?}): \
                         it does not look like a PostgreSQL server",
                        self.server,
                        char::from(self.buf[0])
                    )));
                }
            }
            match Message::parse(&mut self.buf) {
                Ok(Some(m)) => return Ok(m),
                Ok(None) => {}
                Err(e) => {
                    return Err(Error::failed(format!(
                        "PostgreSQL at {} sent a malformed message: {e}",
                        self.server
                    )));
                }
            }
            let mut chunk = [0u8; 8192];
            let n = self
                .stream
                .read(&mut chunk)
                .map_err(|e| io_failed(&self.server, "lost the connection to", e))?;
            if n == 0 {
                return Err(Error::failed(format!(
                    "PostgreSQL at {} closed the connection",
                    self.server
                )));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    fn server_error(&self, fields: ErrorFields<'_>) -> ServerError {
        ServerError::parse(fields).unwrap_or_else(|e| ServerError {
            severity: "ERROR".into(),
            code: "XX000".into(),
            message: format!("unreadable error response: {e}"),
            detail: None,
            hint: None,
        })
    }

    fn encode_failed(&self, e: std::io::Error) -> Error {
        Error::failed(format!(
            "cannot encode a message for PostgreSQL at {}: {e}",
            self.server
        ))
    }

    fn startup(
        &mut self,
        target: &Target<'_>,
        password: impl FnOnce() -> Result<Option<String>, Error>,
    ) -> Result<(), Error> {
        let mut out = BytesMut::new();
        frontend::startup_message(
            [
                ("user", target.user),
                ("database", target.database),
                ("application_name", "paved-postgres"),
                ("client_encoding", "UTF8"),
            ],
            &mut out,
        )
        .map_err(|e| self.encode_failed(e))?;
        self.send(&out)?;

        let who = format!(
            "as user '{}' to database '{}'",
            target.user, target.database
        );
        let mut password = Some(password);
        let mut need_password = |method: &str| -> Result<String, Error> {
            let get = password.take().ok_or_else(|| {
                Error::failed(format!(
                    "PostgreSQL at {} asked for a password twice",
                    target.server()
                ))
            })?;
            get()?.ok_or_else(|| {
                Error::failed(format!(
                    "PostgreSQL at {} asks for a password ({method}) {who}, \
                     but the settings name no passwordSecret",
                    target.server()
                ))
            })
        };
        let mut scram: Option<sasl::ScramSha256> = None;
        loop {
            let mut out = BytesMut::new();
            match self.recv()? {
                Message::AuthenticationOk => {}
                Message::AuthenticationCleartextPassword => {
                    let pw = need_password("cleartext")?;
                    frontend::password_message(pw.as_bytes(), &mut out)
                        .map_err(|e| self.encode_failed(e))?;
                    self.send(&out)?;
                }
                Message::AuthenticationMd5Password(body) => {
                    let pw = need_password("md5")?;
                    let hash = md5_hash(target.user.as_bytes(), pw.as_bytes(), body.salt());
                    frontend::password_message(hash.as_bytes(), &mut out)
                        .map_err(|e| self.encode_failed(e))?;
                    self.send(&out)?;
                }
                Message::AuthenticationSasl(body) => {
                    let mechanisms: Vec<String> = body
                        .mechanisms()
                        .map(|m| Ok(m.to_owned()))
                        .collect()
                        .map_err(|e| self.auth_failed(&who, e))?;
                    if !mechanisms.iter().any(|m| m == sasl::SCRAM_SHA_256) {
                        return Err(Error::failed(format!(
                            "PostgreSQL at {} offers SASL mechanisms {mechanisms:?} {who}; \
                             only SCRAM-SHA-256 is supported",
                            self.server
                        )));
                    }
                    let pw = need_password("SCRAM-SHA-256")?;
                    let s =
                        sasl::ScramSha256::new(pw.as_bytes(), sasl::ChannelBinding::unsupported());
                    frontend::sasl_initial_response(sasl::SCRAM_SHA_256, s.message(), &mut out)
                        .map_err(|e| self.encode_failed(e))?;
                    self.send(&out)?;
                    scram = Some(s);
                }
                Message::AuthenticationSaslContinue(body) => {
                    let s = scram
                        .as_mut()
                        .ok_or_else(|| self.unexpected("SASLContinue"))?;
                    s.update(body.data())
                        .map_err(|e| self.auth_failed(&who, e))?;
                    frontend::sasl_response(s.message(), &mut out)
                        .map_err(|e| self.encode_failed(e))?;
                    self.send(&out)?;
                }
                Message::AuthenticationSaslFinal(body) => {
                    let s = scram.as_mut().ok_or_else(|| self.unexpected("SASLFinal"))?;
                    s.finish(body.data())
                        .map_err(|e| self.auth_failed(&who, e))?;
                }
                Message::AuthenticationGss
                | Message::AuthenticationKerberosV5
                | Message::AuthenticationScmCredential
                | Message::AuthenticationSspi
                | Message::AuthenticationGssContinue(_) => {
                    return Err(Error::failed(format!(
                        "PostgreSQL at {} asks for GSSAPI, SSPI, Kerberos or SCM authentication {who}; \
                         only trust, password, md5 and SCRAM-SHA-256 are supported",
                        self.server
                    )));
                }
                Message::ErrorResponse(body) => {
                    let e = self.server_error(body.fields());
                    return Err(Error::failed(format!(
                        "PostgreSQL at {} refused the connection {who}: {e}",
                        self.server
                    )));
                }
                Message::ReadyForQuery(_) => return Ok(()),
                // ParameterStatus, BackendKeyData, NoticeResponse
                _ => {}
            }
        }
    }

    fn auth_failed(&self, who: &str, e: std::io::Error) -> Error {
        Error::failed(format!(
            "SCRAM-SHA-256 authentication with PostgreSQL at {} {who} failed: {e}",
            self.server
        ))
    }

    fn unexpected(&self, what: &str) -> Error {
        Error::failed(format!(
            "PostgreSQL at {} sent an unexpected {what} message",
            self.server
        ))
    }

    /// Run `sql` (one or more statements) with the simple query protocol;
    /// the rows of each statement, in order. The first error the server
    /// reports fails the whole call (a multi-statement string runs in one
    /// implicit transaction, so nothing of it is kept then).
    pub fn query(&mut self, sql: &str) -> Result<Vec<Rows>, Error> {
        let mut out = BytesMut::new();
        frontend::query(sql, &mut out).map_err(|e| self.encode_failed(e))?;
        self.send(&out)?;
        let mut results = Vec::new();
        let mut rows: Rows = Vec::new();
        let mut error: Option<ServerError> = None;
        loop {
            match self.recv()? {
                Message::DataRow(body) => {
                    let buf = body.buffer();
                    let row: Vec<Option<String>> = body
                        .ranges()
                        .map(|r| Ok(r.map(|r| String::from_utf8_lossy(&buf[r]).into_owned())))
                        .collect()
                        .map_err(|e| {
                            Error::failed(format!(
                                "PostgreSQL at {} sent a malformed row: {e}",
                                self.server
                            ))
                        })?;
                    rows.push(row);
                }
                Message::CommandComplete(_) | Message::EmptyQueryResponse => {
                    results.push(std::mem::take(&mut rows));
                }
                Message::ErrorResponse(body) if error.is_none() => {
                    error = Some(self.server_error(body.fields()));
                }
                Message::ReadyForQuery(_) => break,
                Message::CopyInResponse(_) | Message::CopyOutResponse(_) => {
                    return Err(self.unexpected("COPY"));
                }
                // RowDescription, NoticeResponse, ParameterStatus, ...
                _ => {}
            }
        }
        match error {
            Some(e) => Err(Error::failed(format!("PostgreSQL at {}: {e}", self.server))),
            None => Ok(results),
        }
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        let mut out = BytesMut::new();
        frontend::terminate(&mut out);
        let _ = self.stream.write_all(&out);
    }
}
