//! Delivery by webhook: an HTTP POST of the JSON payload (with a Slack-compatible `text`
//! field), bounded by the policy's timeout, retried with a doubling pause on a failure that
//! may pass (a connection error, a timeout, a 5xx or 429 answer). A 2xx answer is delivery.

use serde_json::Value;
use std::time::Duration;

/// Why a webhook delivery failed (after its retries).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("webhook {url}: {message} (after {attempts} attempt{s})", s = if *.attempts == 1 { "" } else { "s" })]
pub struct WebhookError {
    pub url: String,
    pub message: String,
    pub attempts: u32,
}

/// The first pause between attempts; it doubles after each.
pub const FIRST_PAUSE: Duration = Duration::from_millis(250);

/// POST `payload` to `url`, retrying up to `retries` more times.
pub fn post(
    url: &str,
    payload: &Value,
    timeout: Duration,
    retries: u32,
) -> Result<(), WebhookError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .user_agent(concat!("esc/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut pause = FIRST_PAUSE;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let (message, retry) = match agent.post(url).send_json(payload) {
            Ok(resp) if resp.status().is_success() => return Ok(()),
            Ok(resp) => {
                let status = resp.status();
                (
                    format!("answered {status}"),
                    status.is_server_error() || status.as_u16() == 429,
                )
            }
            Err(ureq::Error::Timeout(_)) => (
                format!("no answer within {}s", timeout.as_secs().max(1)),
                true,
            ),
            Err(e) => (e.to_string(), true),
        };
        if !retry || attempts > retries {
            return Err(WebhookError {
                url: redact(url),
                message,
                attempts,
            });
        }
        std::thread::sleep(pause);
        pause *= 2;
    }
}

/// A webhook URL often carries its secret in the path (Slack: /services/T…/B…/secret): keep
/// only scheme, host and port for messages and the ledger.
pub fn redact(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or(host);
    if scheme.is_empty() {
        host.to_string()
    } else {
        format!("{scheme}://{host}/…")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn urls_lose_their_secrets_in_messages() {
        assert_eq!(
            super::redact("https://hooks.slack.com/services/T0/B0/s3cret"),
            "https://hooks.slack.com/…"
        );
        assert_eq!(
            super::redact("http://user:pw@127.0.0.1:8080/x?token=1"),
            "http://127.0.0.1:8080/…"
        );
    }
}
