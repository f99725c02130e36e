//! From a `postgres://` URL to connection settings, the way libpq reads them: the URL first,
//! then `PGUSER`, `PGHOST`, `PGPASSWORD` and `~/.pgpass` (or `$PGPASSFILE`) for what it
//! leaves out. The password is only ever handed to the driver, never formatted.

use postgres::Config;
use postgres::config::Host;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long to wait for the server before saying it is unreachable, unless the URL sets
/// `connect_timeout`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where Debian's and most distributions' servers put their socket.
const SOCKET_DIR: &str = "/var/run/postgresql";

/// The connection settings for `url`, or why the URL cannot be used (the message never
/// repeats the URL, so it cannot leak a password).
pub fn config(url: &str) -> Result<Config, String> {
    let mut config: Config = url
        .parse()
        .map_err(|e| format!("the URL is not a PostgreSQL URL in libpq's syntax ({e})"))?;
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if config.get_user().is_none() {
        let user = env("PGUSER")
            .or_else(|| whoami::username().ok())
            .unwrap_or_else(|| "postgres".to_owned());
        config.user(&user);
    }
    if config.get_hosts().is_empty() {
        match env("PGHOST") {
            Some(host) => {
                config.host(&host);
            }
            None if Path::new(SOCKET_DIR).is_dir() => {
                config.host_path(SOCKET_DIR);
            }
            None => {
                config.host("localhost");
            }
        }
    }
    if config.get_ports().is_empty()
        && let Some(port) = env("PGPORT").and_then(|p| p.parse().ok())
    {
        config.port(port);
    }
    if config.get_password().is_none() {
        let password = env("PGPASSWORD").or_else(|| pgpass_password(&config));
        if let Some(password) = password {
            config.password(password);
        }
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    Ok(config)
}

/// The password `~/.pgpass` (or `$PGPASSFILE`) gives for this connection, if any. Like
/// libpq, a file that others can read is ignored.
fn pgpass_password(config: &Config) -> Option<String> {
    let path = std::env::var_os("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|home| home.join(".pgpass")))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).ok()?.permissions().mode();
        if mode & 0o077 != 0 {
            return None;
        }
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(name)) => name.clone(),
        // libpq matches a socket connection as `localhost`.
        _ => "localhost".to_owned(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config.get_user().unwrap_or_default();
    let dbname = config.get_dbname().unwrap_or(user);
    pgpass_lookup(&text, [&host, &port, dbname, user])
}

/// The password of the first line of a `.pgpass` text matching host, port, database and
/// user (`*` matches anything; `\:` and `\\` are a literal colon and backslash).
pub fn pgpass_lookup(text: &str, wanted: [&str; 4]) -> Option<String> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(split_pgpass_line)
        .find(|fields| {
            fields[..4]
                .iter()
                .zip(wanted)
                .all(|(field, want)| field == "*" || field == want)
        })
        .map(|mut fields| fields.swap_remove(4))
}

fn split_pgpass_line(line: &str) -> Option<Vec<String>> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => fields.last_mut()?.push(chars.next().unwrap_or('\\')),
            ':' if fields.len() < 5 => fields.push(String::new()),
            _ => fields.last_mut()?.push(c),
        }
    }
    (fields.len() == 5).then_some(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgpass_matches_fields_and_wildcards() {
        let text = "# comment\n\
                    db.example:5432:esc:bo:first\n\
                    *:*:esc:*:second\n\
                    h\\:x:*:*:*:pa\\:ss\\\\word\n";
        let find = |w| pgpass_lookup(text, w);
        assert_eq!(
            find(["db.example", "5432", "esc", "bo"]).as_deref(),
            Some("first")
        );
        assert_eq!(
            find(["db.example", "5433", "esc", "bo"]).as_deref(),
            Some("second")
        );
        assert_eq!(
            find(["h:x", "1", "other", "al"]).as_deref(),
            Some("pa:ss\\word")
        );
        assert_eq!(find(["other", "5432", "other", "bo"]), None);
    }

    #[test]
    fn url_settings_and_defaults() {
        let config = config("postgres://bo:s3cret@db.example:6543/esc").unwrap();
        assert_eq!(config.get_user(), Some("bo"));
        assert_eq!(config.get_password(), Some(&b"s3cret"[..]));
        assert_eq!(config.get_ports(), [6543]);
        assert_eq!(config.get_dbname(), Some("esc"));
        assert_eq!(config.get_connect_timeout(), Some(&CONNECT_TIMEOUT));
        let err = config_err("postgres://bo:s3cret@db:notaport/esc");
        assert!(!err.contains("s3cret"), "{err}");
    }

    fn config_err(url: &str) -> String {
        match config(url) {
            Ok(_) => panic!("{url} should not parse"),
            Err(e) => e,
        }
    }
}
