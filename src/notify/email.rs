//! Delivery by email over SMTP (lettre): STARTTLS by default, TLS or (for a relay on the
//! same host) plain on request. Credentials come from `ESC_SMTP_USERNAME` and
//! `ESC_SMTP_PASSWORD` in esc's environment, never from the policy file.

use crate::policy::{EmailServer, SmtpSecurity};
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport};
use std::time::Duration;

/// The environment variables holding the SMTP credentials.
pub const USERNAME_VAR: &str = "ESC_SMTP_USERNAME";
pub const PASSWORD_VAR: &str = "ESC_SMTP_PASSWORD";

/// Why an email could not be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("email via {server}: {message}")]
pub struct EmailError {
    pub server: String,
    pub message: String,
}

/// One email to send.
#[derive(Debug, Clone)]
pub struct Mail<'a> {
    pub to: &'a [String],
    pub subject: &'a str,
    pub body: &'a str,
    /// Stable across retries (the notification id), so a mailbox can drop a duplicate.
    pub message_id: &'a str,
}

/// Send `mail` through `server` within `timeout`.
pub fn send(
    server: &EmailServer,
    mail: &Mail<'_>,
    timeout: Duration,
    credentials: Option<(String, String)>,
) -> Result<(), EmailError> {
    let err = |message: String| EmailError {
        server: format!("{}:{}", server.host, server.port),
        message,
    };
    let from: Mailbox = server.from.parse().map_err(|e| {
        err(format!(
            "the sender `{}` is not an address: {e}",
            server.from
        ))
    })?;
    let mut builder = Message::builder()
        .from(from)
        .subject(mail.subject)
        .message_id(Some(mail.message_id.to_string()))
        .header(ContentType::TEXT_PLAIN);
    for to in mail.to {
        let mbox: Mailbox = to
            .parse()
            .map_err(|e| err(format!("`{to}` is not an email address: {e}")))?;
        builder = builder.to(mbox);
    }
    let message = builder
        .body(mail.body.to_string())
        .map_err(|e| err(format!("could not build the message: {e}")))?;
    let transport = match server.security {
        SmtpSecurity::Starttls => SmtpTransport::starttls_relay(&server.host),
        SmtpSecurity::Tls => SmtpTransport::relay(&server.host),
        SmtpSecurity::None => Ok(SmtpTransport::builder_dangerous(&server.host)),
    }
    .map_err(|e| err(e.to_string()))?
    .port(server.port)
    .timeout(Some(timeout));
    let transport = match credentials {
        Some((user, password)) => transport.credentials(Credentials::new(user, password)),
        None => transport,
    }
    .build();
    transport
        .send(&message)
        .map(|_| ())
        .map_err(|e| err(e.to_string()))
}
