//! Where the ledger lives: a JSON Lines file or a PostgreSQL database named by a URL.
//!
//! `--ledger` / `ESC_LEDGER` take either. A value starting with `postgres://` or
//! `postgresql://` is a database URL in libpq's syntax; anything else is a file path. A URL
//! may carry a password; it is kept for connecting and never shown: [`Location`]'s
//! `Display` (and so every message that names the ledger) prints the URL without it.

use std::fmt;
use std::path::{Path, PathBuf};

/// The ledger's place, as given by the user.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// A JSON Lines file (missing = an empty ledger).
    File(PathBuf),
    /// A PostgreSQL database URL, password included if the user gave one.
    Postgres(String),
}

impl Location {
    /// Reads a `--ledger` value: a `postgres://` / `postgresql://` URL or a file path.
    pub fn parse(value: &Path) -> Location {
        match value.to_str() {
            Some(text) if is_database_url(text) => Location::Postgres(text.to_owned()),
            _ => Location::File(value.to_owned()),
        }
    }

    /// The name to show in messages: the path, or the URL without its password.
    pub fn display(&self) -> impl fmt::Display + '_ {
        self
    }

    /// Whether there may be a ledger there: the file exists, or it is a database (which is
    /// asked when opened).
    pub fn exists(&self) -> bool {
        match self {
            Location::File(path) => path.exists(),
            Location::Postgres(_) => true,
        }
    }

    /// The file path, for a file ledger.
    pub fn as_file(&self) -> Option<&Path> {
        match self {
            Location::File(path) => Some(path),
            Location::Postgres(_) => None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File(path) => write!(f, "{}", path.display()),
            Location::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

/// Never print a password, not even in a debug dump.
impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File(path) => write!(f, "File({path:?})"),
            Location::Postgres(_) => write!(f, "Postgres({:?})", self.to_string()),
        }
    }
}

/// Whether `text` is a PostgreSQL URL (`postgres://…` or `postgresql://…`).
pub fn is_database_url(text: &str) -> bool {
    let lower = text.get(..13).unwrap_or(text).to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// `url` with any password replaced by `***`: the one in the user-info part
/// (`user:secret@host`) and a `password=` query parameter.
pub fn redact(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    // The authority ends at the first '/', '?' or '#'; its user-info ends at its last '@'.
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            match userinfo.find(':') {
                Some(colon) => format!("{}:***{}", &userinfo[..colon], &authority[at..]),
                None => authority.to_owned(),
            }
        }
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let params: Vec<String> = query
                .split('&')
                .map(|param| match param.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => {
                        format!("{key}=***")
                    }
                    _ => param.to_owned(),
                })
                .collect();
            format!("{path}?{}", params.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}{authority}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_paths_are_told_apart() {
        let pg = Location::parse(Path::new("postgres://u@h/db"));
        assert!(matches!(pg, Location::Postgres(_)));
        let pg = Location::parse(Path::new("PostgreSQL://h/db"));
        assert!(matches!(pg, Location::Postgres(_)));
        let file = Location::parse(Path::new("postgres/ledger.jsonl"));
        assert_eq!(file.as_file(), Some(Path::new("postgres/ledger.jsonl")));
    }

    #[test]
    fn passwords_are_never_shown() {
        let cases = [
            (
                "postgres://bo:s3cret@db:5432/esc",
                "postgres://bo:***@db:5432/esc",
            ),
            ("postgresql://bo:p@ss@db/esc", "postgresql://bo:***@db/esc"),
            (
                "postgres://db/esc?user=bo&password=s3cret&sslmode=disable",
                "postgres://db/esc?user=bo&password=***&sslmode=disable",
            ),
            ("postgres://bo@db/esc", "postgres://bo@db/esc"),
            ("postgres:///esc", "postgres:///esc"),
        ];
        for (url, shown) in cases {
            let location = Location::parse(Path::new(url));
            assert_eq!(location.to_string(), shown);
            assert!(!format!("{location:?}").contains("s3cret"));
            assert!(!format!("{location:?}").contains("p@ss"));
        }
    }
}
