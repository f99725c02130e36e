//! Reading `[notify]` (command, timeout, max_age, env, `[notify.on]`, `[notify.webhook]`,
//! `[notify.email]`) and `[people.NAME]` (contact methods).
//!
//! Credentials are never read from the policy: an SMTP password or a webhook token in a file
//! that is committed to a repository would leak. A key that looks like one is an error that
//! says which environment variable to use instead.

use super::model::{Contact, EmailServer, NoticeKind, Notify, Recipient, SmtpSecurity, Webhook};
use super::parse::{Names, read_duration, read_party, section};
use super::source::{Table, Val, suggestion};
use chrono::TimeDelta;
use std::collections::BTreeMap;

/// Read `[notify]`.
pub fn read(root: &Table<'_, '_>, names: &Names) -> Notify {
    let mut out = Notify {
        command: None,
        timeout: TimeDelta::seconds(10),
        max_age: TimeDelta::hours(24),
        env: Vec::new(),
        on: BTreeMap::new(),
        webhook: None,
        email: None,
    };
    let Some(t) = section(root, "notify") else {
        return out;
    };
    if let Some(v) = t.get("command") {
        if v.is_str() {
            v.sink.error(
                v.span(),
                "`notify.command` is a string: write an argv list, e.g. [\"./notify.sh\", \"--channel\", \"support\"]; it is never run by a shell",
            );
        } else if let Some(items) = v.array() {
            let argv: Vec<String> = items
                .iter()
                .filter_map(Val::str)
                .map(|s| s.value.to_string())
                .collect();
            if argv.is_empty() || argv[0].trim().is_empty() {
                v.sink.error(
                    v.span(),
                    "the notify command is empty: name the program to run, e.g. [\"./notify.sh\"], or remove `command`",
                );
            } else {
                out.command = Some(argv);
            }
        }
    }
    if let Some(d) = t.get("timeout").and_then(|v| read_duration(&v, &[], None)) {
        out.timeout = d;
    }
    if let Some(d) = t.get("max_age").and_then(|v| read_duration(&v, &[], None)) {
        out.max_age = d;
    }
    if let Some(v) = t.get("env") {
        for s in v.str_list() {
            let ok = !s.value.is_empty()
                && s.value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_');
            if ok {
                out.env.push(s.value.to_string());
            } else {
                v.sink.error(
                    s.span,
                    format!(
                        "`notify.env` entry `{}` is not an environment variable name: use letters, digits and `_`",
                        s.value
                    ),
                );
            }
        }
    }
    if let Some(on) = t.get("on").and_then(|v| v.table()) {
        out.on = read_on(&on, names);
    }
    if let Some(w) = t.get("webhook").and_then(|v| v.table()) {
        out.webhook = read_webhook(&w);
    }
    if let Some(e) = t.get("email").and_then(|v| v.table()) {
        out.email = read_email(&e);
    }
    t.finish("key");
    out
}

/// `[notify.on]`: event kind → who is told.
fn read_on(t: &Table<'_, '_>, names: &Names) -> BTreeMap<NoticeKind, Vec<Recipient>> {
    let mut out = BTreeMap::new();
    let kinds: Vec<&str> = NoticeKind::ALL.iter().map(|k| k.as_str()).collect();
    for (key, v) in t.entries() {
        let Some(kind) = NoticeKind::parse(key.value) else {
            t.sink.error(
                key.span.clone(),
                format!(
                    "unknown event kind `{}` in `notify.on`{}; kinds are: {}",
                    key.value,
                    suggestion(key.value, kinds.iter().copied()),
                    kinds.join(", ")
                ),
            );
            continue;
        };
        let mut who: Vec<Recipient> = Vec::new();
        for s in v.str_list() {
            let r = match s.value {
                "responsible" => Some(Recipient::Responsible),
                "accountable" => Some(Recipient::Accountable),
                "consulted" => Some(Recipient::Consulted),
                "informed" => Some(Recipient::Informed),
                "previous_owner" => Some(Recipient::PreviousOwner),
                _ => read_party(t.sink, &s, names, true).map(Recipient::Party),
            };
            let Some(r) = r else { continue };
            if matches!(&r, Recipient::Party(p) if p.is_customer()) && kind.internal_only() {
                t.sink.error(
                    s.span.clone(),
                    format!(
                        "`notify.on.{}` names `{}`, but a {} is internal and never reaches the customer: remove `{}`",
                        key.value, s.value, key.value, s.value
                    ),
                );
                continue;
            }
            if !who.contains(&r) {
                who.push(r);
            }
        }
        out.insert(kind, who);
    }
    out
}

fn read_webhook(t: &Table<'_, '_>) -> Option<Webhook> {
    let url = t
        .require(
            "url",
            "the address to POST to, e.g. `url = \"https://hooks.example.com/T0/B0\"`",
        )
        .and_then(|v| v.str())
        .and_then(|s| {
            if s.value.starts_with("http://") || s.value.starts_with("https://") {
                Some(s.value.to_string())
            } else {
                t.sink.error(
                    s.span,
                    format!(
                        "`notify.webhook.url` is `{}`: give an http:// or https:// address",
                        s.value
                    ),
                );
                None
            }
        });
    let retries = match t.get("retries") {
        Some(v) => match v.int() {
            Some(n) if (0..=10).contains(&n) => u32::try_from(n).unwrap_or(2),
            Some(n) => {
                t.sink.error(
                    v.span(),
                    format!("`notify.webhook.retries` is {n}: give 0 to 10"),
                );
                2
            }
            None => 2,
        },
        None => 2,
    };
    t.finish("key");
    url.map(|url| Webhook { url, retries })
}

fn read_email(t: &Table<'_, '_>) -> Option<EmailServer> {
    for secret in ["password", "username", "user"] {
        if let Some(v) = t.get(secret) {
            t.sink.error(
                v.span(),
                format!(
                    "`notify.email.{secret}` would put a credential in the policy file: remove it and set ESC_SMTP_USERNAME and ESC_SMTP_PASSWORD in the environment of `esc sweep` instead"
                ),
            );
        }
    }
    let host = t
        .require(
            "host",
            "the SMTP server, e.g. `host = \"smtp.example.com\"`",
        )
        .and_then(|v| v.str())
        .map(|s| s.value.to_string());
    let from = t
        .require(
            "from",
            "the sender address, e.g. `from = \"support@example.com\"`",
        )
        .and_then(|v| v.str())
        .and_then(|s| {
            if s.value.contains('@') {
                Some(s.value.to_string())
            } else {
                t.sink.error(
                    s.span,
                    format!(
                        "`notify.email.from` is `{}`: give an email address",
                        s.value
                    ),
                );
                None
            }
        });
    let security = match t.get("security") {
        Some(v) => match v.str() {
            Some(s) => match s.value {
                "starttls" => SmtpSecurity::Starttls,
                "tls" => SmtpSecurity::Tls,
                "none" => SmtpSecurity::None,
                other => {
                    t.sink.error(
                        s.span,
                        format!(
                            "`notify.email.security` is \"{other}\": write \"starttls\" (the default), \"tls\" or \"none\""
                        ),
                    );
                    SmtpSecurity::Starttls
                }
            },
            None => SmtpSecurity::Starttls,
        },
        None => SmtpSecurity::Starttls,
    };
    let default_port = match security {
        SmtpSecurity::Starttls => 587,
        SmtpSecurity::Tls => 465,
        SmtpSecurity::None => 25,
    };
    let port = match t.get("port") {
        Some(v) => match v.int().map(u16::try_from) {
            Some(Ok(p)) if p > 0 => p,
            Some(_) => {
                t.sink.error(
                    v.span(),
                    "`notify.email.port` must be a port number, 1 to 65535",
                );
                default_port
            }
            None => default_port,
        },
        None => default_port,
    };
    t.finish("key");
    Some(EmailServer {
        host: host?,
        port,
        from: from?,
        security,
    })
}

/// Read `[people.NAME]`: contact methods of people named in roles.
pub fn read_people(root: &Table<'_, '_>, names: &Names) -> BTreeMap<String, Contact> {
    let mut out = BTreeMap::new();
    let Some(t) = section(root, "people") else {
        return out;
    };
    let people: Vec<&str> = names.people.iter().map(String::as_str).collect();
    for (key, v) in t.entries() {
        if !names.people.contains(key.value) {
            t.sink.error(
                key.span.clone(),
                format!(
                    "`people.{}` is not a person{}: a person is anyone listed as a member of a role",
                    key.value,
                    suggestion(key.value, people.iter().copied())
                ),
            );
            continue;
        }
        let Some(pt) = v.table() else { continue };
        let mut c = Contact::default();
        if let Some(s) = pt.get("email").and_then(|v| v.str()) {
            if s.value.contains('@') {
                c.email = Some(s.value.to_string());
            } else {
                t.sink.error(
                    s.span,
                    format!("`people.{}.email` is not an email address", key.value),
                );
            }
        }
        if let Some(s) = pt.get("webhook").and_then(|v| v.str()) {
            if s.value.starts_with("http://") || s.value.starts_with("https://") {
                c.webhook = Some(s.value.to_string());
            } else {
                t.sink.error(
                    s.span,
                    format!(
                        "`people.{}.webhook` is not an http:// or https:// address",
                        key.value
                    ),
                );
            }
        }
        pt.finish("key");
        out.insert(key.value.to_string(), c);
    }
    out
}
