//! A database URL parsed once into connect options that never print their
//! password.
//!
//! Both binaries read `DATABASE_URL` into a [`secrecy::SecretString`] (its
//! `Debug` prints `[REDACTED]`) and parse it here before anything is
//! logged. From then on only host, port, database and user are shown. The
//! password, whether it came from the user-info part, a `?password=`
//! parameter or `PGPASSWORD`, lives only inside [`PgConnectOptions`], whose
//! derived `Debug` would print it, so those options are never formatted.

use std::fmt;
use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;

use crate::{Error, Result};

/// The query parameters sqlx's PostgreSQL driver understands (besides
/// `options[NAME]`). sqlx logs any other parameter *with its value*, so a
/// misspelt `passwd=` would put a password in the log; such a URL is
/// refused here instead, naming only the key.
const KNOWN_PARAMETERS: &[&str] = &[
    "sslmode",
    "ssl-mode",
    "sslrootcert",
    "ssl-root-cert",
    "ssl-ca",
    "sslcert",
    "ssl-cert",
    "sslkey",
    "ssl-key",
    "statement-cache-capacity",
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "application_name",
    "options",
];

/// Where to connect, parsed from a PostgreSQL URL. `Display` and `Debug`
/// show `user@host:port/database` and never the password.
#[derive(Clone)]
pub struct DatabaseUrl {
    options: PgConnectOptions,
}

impl DatabaseUrl {
    /// Parses `url` (`PGPASSWORD` and the other `PG*` variables fill what
    /// it leaves out, as in libpq). The error never repeats the URL.
    pub fn parse(url: &str) -> Result<Self> {
        let parsed = url::Url::parse(url).map_err(|e| Error::Url {
            reason: e.to_string(),
        })?;
        if let Some((key, _)) = parsed.query_pairs().find(|(key, _)| !is_known(key)) {
            return Err(Error::Url {
                reason: format!("unknown parameter `{key}`"),
            });
        }
        let options = PgConnectOptions::from_str(url).map_err(|e| Error::Url {
            reason: e.to_string(),
        })?;
        Ok(Self { options })
    }

    /// The same target with `settings` added to the session's run-time
    /// parameters (e.g. `statement_timeout`).
    pub fn with_session_settings<K, V>(self, settings: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: fmt::Display,
        V: fmt::Display,
    {
        Self {
            options: self.options.options(settings),
        }
    }

    /// The same target with the session's `application_name` set to `name`
    /// (shown in `pg_stat_activity`).
    pub fn with_application_name(self, name: &str) -> Self {
        Self {
            options: self.options.application_name(name),
        }
    }

    /// The options to hand to sqlx. They hold the password: never format them.
    pub fn connect_options(&self) -> &PgConnectOptions {
        &self.options
    }

    /// The host name, address or Unix socket directory.
    pub fn host(&self) -> String {
        match self.options.get_socket() {
            Some(socket) => socket.display().to_string(),
            None => self.options.get_host().to_owned(),
        }
    }

    /// The TCP port (or the socket's port number).
    pub fn port(&self) -> u16 {
        self.options.get_port()
    }

    /// The database name; PostgreSQL uses the user name when it is unset.
    pub fn database(&self) -> &str {
        self.options
            .get_database()
            .unwrap_or_else(|| self.username())
    }

    /// The login.
    pub fn username(&self) -> &str {
        self.options.get_username()
    }
}

fn is_known(key: &str) -> bool {
    KNOWN_PARAMETERS.contains(&key) || (key.starts_with("options[") && key.ends_with(']'))
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (user, host) = (self.username(), self.host());
        write!(f, "{user}@{host}:{}/{}", self.port(), self.database())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseUrl")
            .field("host", &self.host())
            .field("port", &self.port())
            .field("database", &self.database())
            .field("user", &self.username())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "s3cret-pw";

    #[test]
    fn shows_host_port_database_and_user_but_never_the_password() {
        let cases = [
            format!("postgres://svc:{SECRET}@db.internal:6432/app"),
            format!("postgres://svc@db.internal:6432/app?password={SECRET}"),
            format!("postgres://db.internal:6432/app?user=svc&password={SECRET}&sslmode=prefer"),
            format!("postgresql://svc:{SECRET}@db.internal:6432/app?options[lock_timeout]=5s"),
        ];
        for url in cases {
            let parsed = DatabaseUrl::parse(&url).expect(&url);
            let shown = format!("{parsed} {parsed:?} {parsed:#?}");
            assert!(!shown.contains(SECRET), "{shown}");
            assert_eq!(parsed.to_string(), "svc@db.internal:6432/app", "{url}");
        }
    }

    #[test]
    fn keeps_the_password_for_the_driver() {
        let url = format!("postgres://svc@h/app?password={SECRET}");
        let parsed = DatabaseUrl::parse(&url).unwrap();
        // sqlx's derived Debug shows it: the reason the options stay private.
        let with_password = format!("{:?}", parsed.connect_options());
        assert!(with_password.contains(SECRET), "the password reaches sqlx");
    }

    #[test]
    fn a_database_defaults_to_the_user_name_and_a_socket_shows_its_directory() {
        let parsed = DatabaseUrl::parse("postgres:///?host=/run/postgresql&user=svc").unwrap();
        assert_eq!(parsed.database(), "svc");
        assert_eq!(parsed.host(), "/run/postgresql");
    }

    #[test]
    fn refuses_unknown_parameters_naming_the_key_not_the_value() {
        let url = format!("postgres://svc@h/app?passwd={SECRET}");
        let error = DatabaseUrl::parse(&url).unwrap_err().to_string();
        assert!(error.contains("unknown parameter `passwd`"), "{error}");
        assert!(!error.contains(SECRET), "{error}");
    }

    #[test]
    fn parse_errors_never_repeat_the_url() {
        for url in [
            format!("postgres://svc:{SECRET}@h:notaport/app"),
            format!("not a url {SECRET}"),
            format!("postgres://svc:{SECRET}@h/app?sslmode=sometimes"),
        ] {
            let error = DatabaseUrl::parse(&url).unwrap_err().to_string();
            assert!(error.starts_with("invalid database URL"), "{error}");
            assert!(!error.contains(SECRET), "{error}");
        }
    }

    #[test]
    fn session_settings_reach_the_driver() {
        let parsed = DatabaseUrl::parse("postgres://svc@h/app")
            .unwrap()
            .with_session_settings([("statement_timeout", "5000")]);
        let line = parsed.connect_options().get_options().unwrap_or_default();
        assert!(line.contains("statement_timeout=5000"), "{line}");
    }
}
