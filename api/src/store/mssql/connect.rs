//! How the hub reaches its SQL Server database: `database.url` as a `sqlserver://` URL or as an
//! ADO.NET connection string, read into [`ConnectOptions`] and from there into tiberius.
//!
//! URL form (user, password and database percent-encoded where needed):
//!
//! ```text
//! sqlserver://USER:PASSWORD@HOST[:PORT]/DATABASE[?encrypt=…&trust_server_certificate=…]
//! ```
//!
//! | key | values | default |
//! |---|---|---|
//! | `encrypt` | `required` (TLS for everything, fail without it), `on` (TLS when the server offers it), `off` (only the login packet is encrypted), `none` (no TLS at all: a server with TLS switched off, such as a local test server); `true`/`yes` mean `required`, `false`/`no` mean `off`, as in ADO.NET | `required` |
//! | `trust_server_certificate` | `true`/`false` (`yes`/`no`, `1`/`0`): accept the server's certificate without checking it (a self-signed certificate) | `false` |
//! | `trust_server_certificate_ca` | path to a PEM/DER/CRT file: trust certificates signed by it | none |
//! | `application_name` | shown in the server's session list | `attaka-hub` |
//!
//! ADO.NET form, recognised by its first key (`Server=` or `Data Source=`):
//!
//! ```text
//! Server=tcp:HOST,1433;Database=attaka;User Id=USER;Password=PASSWORD;Encrypt=true;TrustServerCertificate=false
//! ```
//!
//! with the same meanings (`Encrypt` also takes `strict`/`mandatory` = `required`, `optional` =
//! `off`, and tiberius's `DANGER_PLAINTEXT` = `none`; `TrustServerCertificateCA`, `Application
//! Name`). Authentication is SQL Server authentication (a login and its password). Windows
//! integrated authentication is refused with an explanation: tiberius offers it only with its
//! `winauth` feature on Windows or with `integrated-auth-gssapi` and the system's GSSAPI
//! libraries on Linux, and this build has neither. Named instances (`HOST\INSTANCE`) need the SQL
//! Browser service; give the instance's port instead.

use std::fmt;

use anyhow::{anyhow, bail, Context};
use tiberius::{AuthMethod, EncryptionLevel};

/// What TLS the connection uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encrypt {
    /// No TLS at all (tiberius `NotSupported`).
    None,
    /// Only the login packet.
    Off,
    /// Everything, when the server supports it.
    On,
    /// Everything, or no connection.
    Required,
}

impl Encrypt {
    fn parse(v: &str) -> anyhow::Result<Encrypt> {
        Ok(match v.trim().to_ascii_lowercase().as_str() {
            "required" | "true" | "yes" | "strict" | "mandatory" => Encrypt::Required,
            "on" => Encrypt::On,
            "off" | "false" | "no" | "optional" => Encrypt::Off,
            "none" | "not_supported" | "danger_plaintext" => Encrypt::None,
            other => bail!("encrypt={other:?}: use required, on, off or none"),
        })
    }

    fn word(self) -> &'static str {
        match self {
            Encrypt::None => "none",
            Encrypt::Off => "off",
            Encrypt::On => "on",
            Encrypt::Required => "required",
        }
    }

    fn level(self) -> EncryptionLevel {
        match self {
            Encrypt::None => EncryptionLevel::NotSupported,
            Encrypt::Off => EncryptionLevel::Off,
            Encrypt::On => EncryptionLevel::On,
            Encrypt::Required => EncryptionLevel::Required,
        }
    }
}

/// A SQL Server connection, as configured.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectOptions {
    pub host: String,
    pub port: u16,
    /// None: the login's default database.
    pub database: Option<String>,
    pub user: String,
    pub password: String,
    pub encrypt: Encrypt,
    pub trust_server_certificate: bool,
    pub trust_server_certificate_ca: Option<String>,
    pub application_name: String,
}

impl fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Whether `url` names a SQL Server database (either form).
pub fn is_sql_server_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("sqlserver://") || lower.starts_with("server=") || lower.starts_with("data source=")
}

fn parse_bool(key: &str, v: &str) -> anyhow::Result<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        other => bail!("{key}={other:?}: use true or false"),
    }
}

const INTEGRATED_REFUSED: &str = "Windows integrated authentication is not built into this node \
     (tiberius supports it only with its winauth feature on Windows or with GSSAPI system \
     libraries on Linux): create a SQL Server login for the hub and give its user and password";

fn percent_decode(s: &str) -> anyhow::Result<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| anyhow!("bad percent-encoding in {s:?}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).context("percent-encoded text is not UTF-8")
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl ConnectOptions {
    /// Reads `database.url`: a `sqlserver://` URL or an ADO.NET connection string.
    pub fn parse(url: &str) -> anyhow::Result<ConnectOptions> {
        let trimmed = url.trim();
        if trimmed.to_ascii_lowercase().starts_with("sqlserver://") {
            Self::parse_url(&trimmed["sqlserver://".len()..])
        } else if is_sql_server_url(trimmed) {
            Self::parse_ado(trimmed)
        } else {
            bail!("not a SQL Server connection: expected sqlserver://… or Server=…;…")
        }
    }

    fn defaults(host: String, port: u16) -> ConnectOptions {
        ConnectOptions {
            host,
            port,
            database: None,
            user: String::new(),
            password: String::new(),
            encrypt: Encrypt::Required,
            trust_server_certificate: false,
            trust_server_certificate_ca: None,
            application_name: "attaka-hub".into(),
        }
    }

    fn parse_url(rest: &str) -> anyhow::Result<ConnectOptions> {
        let (before_query, query) = match rest.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (rest, None),
        };
        let (authority, path) = match before_query.split_once('/') {
            Some((a, p)) => (a, p),
            None => (before_query, ""),
        };
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (host, port) = if let Some(inner) = hostport.strip_prefix('[') {
            // [IPv6]:port
            let (h, after) = inner
                .split_once(']')
                .ok_or_else(|| anyhow!("unclosed [ in the host"))?;
            let port = after.strip_prefix(':');
            (h.to_owned(), port)
        } else {
            match hostport.split_once(':') {
                Some((h, p)) => (h.to_owned(), Some(p)),
                None => (hostport.to_owned(), None),
            }
        };
        if host.is_empty() {
            bail!("the URL names no host");
        }
        if host.contains('\\') {
            bail!("named instances (HOST\\INSTANCE) need the SQL Browser service: give the instance's port instead");
        }
        let port = match port {
            Some(p) => p.parse().with_context(|| format!("port {p:?}"))?,
            None => 1433,
        };
        let mut o = ConnectOptions::defaults(host, port);
        if let Some(userinfo) = userinfo {
            let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            o.user = percent_decode(user)?;
            o.password = percent_decode(password)?;
        }
        let database = percent_decode(path.trim_end_matches('/'))?;
        o.database = (!database.is_empty()).then_some(database);
        for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match key.to_ascii_lowercase().as_str() {
                "encrypt" => o.encrypt = Encrypt::parse(&value)?,
                "trust_server_certificate" | "trustservercertificate" => {
                    o.trust_server_certificate = parse_bool(&key, &value)?
                }
                "trust_server_certificate_ca" | "trustservercertificateca" => {
                    o.trust_server_certificate_ca = Some(value.into_owned())
                }
                "application_name" | "applicationname" => o.application_name = value.into_owned(),
                "authentication" | "integrated_security" | "integratedsecurity" => {
                    bail!("{INTEGRATED_REFUSED}")
                }
                other => bail!("unknown key {other:?} in the SQL Server URL"),
            }
        }
        o.check()
    }

    fn parse_ado(s: &str) -> anyhow::Result<ConnectOptions> {
        let mut server: Option<String> = None;
        let mut o = ConnectOptions::defaults(String::new(), 1433);
        for (key, value) in ado_pairs(s)? {
            match key.as_str() {
                "server" | "data source" | "address" | "addr" | "network address" => server = Some(value),
                "database" | "initial catalog" | "databasename" => {
                    o.database = (!value.is_empty()).then_some(value)
                }
                "user id" | "uid" | "user" | "username" => o.user = value,
                "password" | "pwd" => o.password = value,
                "encrypt" => o.encrypt = Encrypt::parse(&value)?,
                "trustservercertificate" | "trust server certificate" => {
                    o.trust_server_certificate = parse_bool(&key, &value)?
                }
                "trustservercertificateca" => o.trust_server_certificate_ca = Some(value),
                "application name" | "applicationname" => o.application_name = value,
                "integrated security" | "integratedsecurity" | "trusted_connection" => {
                    if value.eq_ignore_ascii_case("sspi") || parse_bool(&key, &value)? {
                        bail!("{INTEGRATED_REFUSED}");
                    }
                }
                other => bail!("unknown key {other:?} in the SQL Server connection string"),
            }
        }
        let server = server.ok_or_else(|| anyhow!("the connection string names no Server"))?;
        let server = server.trim();
        let server = server
            .strip_prefix("tcp:")
            .or_else(|| server.strip_prefix("TCP:"))
            .unwrap_or(server);
        if server.contains('\\') {
            bail!("named instances (HOST\\INSTANCE) need the SQL Browser service: give the instance's port instead (Server=tcp:HOST,PORT)");
        }
        let (host, port) = match server.split_once(',') {
            Some((h, p)) => (h.trim(), p.trim().parse().with_context(|| format!("port {p:?}"))?),
            None => (server, 1433),
        };
        o.host = host.to_owned();
        o.port = port;
        o.check()
    }

    fn check(self) -> anyhow::Result<ConnectOptions> {
        if self.host.is_empty() {
            bail!("the SQL Server connection names no host");
        }
        if self.user.is_empty() {
            bail!("the SQL Server connection names no user: the hub signs in with SQL Server authentication");
        }
        if self.trust_server_certificate && self.trust_server_certificate_ca.is_some() {
            bail!("trust_server_certificate and trust_server_certificate_ca exclude each other");
        }
        Ok(self)
    }

    /// The tiberius configuration.
    pub fn tiberius(&self) -> tiberius::Config {
        let mut c = tiberius::Config::new();
        c.host(&self.host);
        c.port(self.port);
        if let Some(db) = &self.database {
            c.database(db);
        }
        c.authentication(AuthMethod::sql_server(&self.user, &self.password));
        c.encryption(self.encrypt.level());
        if self.trust_server_certificate {
            c.trust_cert();
        }
        if let Some(ca) = &self.trust_server_certificate_ca {
            c.trust_cert_ca(ca);
        }
        c.application_name(&self.application_name);
        c
    }

    /// The same connection to another database, as a `sqlserver://` URL.
    pub fn with_database(&self, database: &str) -> ConnectOptions {
        ConnectOptions {
            database: Some(database.to_owned()),
            ..self.clone()
        }
    }

    /// As a `sqlserver://` URL.
    pub fn to_url(&self) -> String {
        self.url_with_password(&percent_encode(&self.password))
    }

    /// For logs and messages: the URL without the password.
    pub fn redacted(&self) -> String {
        self.url_with_password("***")
    }

    fn url_with_password(&self, password: &str) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let mut url = format!(
            "sqlserver://{}:{password}@{host}:{}/{}?encrypt={}&trust_server_certificate={}",
            percent_encode(&self.user),
            self.port,
            percent_encode(self.database.as_deref().unwrap_or("")),
            self.encrypt.word(),
            self.trust_server_certificate,
        );
        if let Some(ca) = &self.trust_server_certificate_ca {
            url.push_str("&trust_server_certificate_ca=");
            url.push_str(&percent_encode(ca));
        }
        if self.application_name != "attaka-hub" {
            url.push_str("&application_name=");
            url.push_str(&percent_encode(&self.application_name));
        }
        url
    }
}

/// `key=value;…` pairs of an ADO.NET connection string, keys lower-cased; a value may be quoted
/// with `"…"`, `'…'` or `{…}` (then it may hold `;`).
fn ado_pairs(s: &str) -> anyhow::Result<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    let mut rest = s;
    loop {
        rest = rest.trim_start_matches([';', ' ', '\t']);
        if rest.is_empty() {
            return Ok(pairs);
        }
        let (key, after) = rest
            .split_once('=')
            .ok_or_else(|| anyhow!("connection string: {rest:?} has no ="))?;
        let key = key.trim().to_ascii_lowercase();
        let after = after.trim_start();
        let close = match after.chars().next() {
            Some('"') => Some('"'),
            Some('\'') => Some('\''),
            Some('{') => Some('}'),
            _ => None,
        };
        let (value, next) = match close {
            Some(close) => {
                let body = &after[1..];
                let end = body
                    .find(close)
                    .ok_or_else(|| anyhow!("connection string: unclosed quote after {key}="))?;
                (body[..end].to_owned(), &body[end + 1..])
            }
            None => match after.split_once(';') {
                Some((v, n)) => (v.trim().to_owned(), n),
                None => (after.trim().to_owned(), ""),
            },
        };
        pairs.push((key, value));
        rest = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_gives_host_port_database_login_and_tls_settings() {
        let o = ConnectOptions::parse(
            "sqlserver://attaka%5Fhub:p%40ss%3Aword@db.pref.example:14330/attaka?encrypt=on&trust_server_certificate=true",
        )
        .unwrap();
        assert_eq!(o.host, "db.pref.example");
        assert_eq!(o.port, 14330);
        assert_eq!(o.database.as_deref(), Some("attaka"));
        assert_eq!(o.user, "attaka_hub");
        assert_eq!(o.password, "p@ss:word");
        assert_eq!(o.encrypt, Encrypt::On);
        assert!(o.trust_server_certificate);
    }

    #[test]
    fn a_url_without_settings_requires_tls_with_a_checked_certificate_on_port_1433() {
        let o = ConnectOptions::parse("sqlserver://u:p@localhost/attaka").unwrap();
        assert_eq!(
            (o.port, o.encrypt, o.trust_server_certificate),
            (1433, Encrypt::Required, false)
        );
    }

    #[test]
    fn every_encrypt_word_maps_to_a_tls_level() {
        for (word, level) in [
            ("required", Encrypt::Required),
            ("true", Encrypt::Required),
            ("on", Encrypt::On),
            ("off", Encrypt::Off),
            ("false", Encrypt::Off),
            ("none", Encrypt::None),
            ("DANGER_PLAINTEXT", Encrypt::None),
        ] {
            let o = ConnectOptions::parse(&format!("sqlserver://u:p@h/db?encrypt={word}")).unwrap();
            assert_eq!(o.encrypt, level, "{word}");
        }
        assert!(ConnectOptions::parse("sqlserver://u:p@h/db?encrypt=maybe").is_err());
    }

    #[test]
    fn an_ado_string_reads_the_same_as_the_url() {
        let ado = ConnectOptions::parse(
            "Server=tcp:db.pref.example,14330;Database=attaka;User Id=attaka_hub;Password={p@ss;word};Encrypt=true;TrustServerCertificate=yes",
        )
        .unwrap();
        assert_eq!(ado.host, "db.pref.example");
        assert_eq!(ado.port, 14330);
        assert_eq!(ado.database.as_deref(), Some("attaka"));
        assert_eq!(ado.password, "p@ss;word");
        assert_eq!(ado.encrypt, Encrypt::Required);
        assert!(ado.trust_server_certificate);
        // And back through its URL, unchanged.
        assert_eq!(ConnectOptions::parse(&ado.to_url()).unwrap(), ado);
    }

    #[test]
    fn integrated_authentication_and_named_instances_are_refused_with_a_reason() {
        let e = ConnectOptions::parse("Server=tcp:h,1433;Integrated Security=SSPI;Database=d").unwrap_err();
        assert!(e.to_string().contains("SQL Server login"), "{e}");
        let e = ConnectOptions::parse("Server=h\\SQLEXPRESS;User Id=u;Password=p").unwrap_err();
        assert!(e.to_string().contains("port"), "{e}");
        assert!(
            ConnectOptions::parse("sqlserver://h/db").is_err(),
            "a login is needed"
        );
    }

    #[test]
    fn the_redacted_form_hides_the_password() {
        let o = ConnectOptions::parse("sqlserver://u:secret@h/db").unwrap();
        assert!(!o.redacted().contains("secret"));
        assert!(!format!("{o:?}").contains("secret"));
        assert!(o.to_url().contains("secret"));
    }

    #[test]
    fn only_sql_server_urls_are_recognised() {
        assert!(is_sql_server_url("sqlserver://u:p@h/db"));
        assert!(is_sql_server_url("Server=tcp:h,1433;User Id=u"));
        assert!(is_sql_server_url("Data Source=h;User Id=u"));
        assert!(!is_sql_server_url("sqlite://data/attaka.sqlite3"));
        assert!(!is_sql_server_url("postgres://h/db"));
    }
}
