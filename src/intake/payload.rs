//! What monitoring sends: the Prometheus Alertmanager webhook payload (format version 4) and a
//! generic event (the shape the common incident tools' event APIs share). Parsing and
//! checking only; what a payload does to cases is [`super::route`] and [`super::decide`].

use super::IntakeError;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Labels or annotations: name → value.
pub type Labels = BTreeMap<String, String>;

/// One Alertmanager webhook notification: a group of alerts.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertmanagerPayload {
    /// `"4"`.
    pub version: String,
    #[serde(default)]
    pub receiver: String,
    /// `firing` while any alert of the group fires, else `resolved`.
    pub status: String,
    pub alerts: Vec<Alert>,
    #[serde(default)]
    pub group_labels: Labels,
    #[serde(default)]
    pub common_labels: Labels,
    #[serde(default)]
    pub common_annotations: Labels,
    #[serde(default, rename = "externalURL")]
    pub external_url: String,
    /// Identifies the group across notifications: the default de-duplication key.
    pub group_key: String,
    /// Alerts left out because of the receiver's `max_alerts`.
    #[serde(default)]
    pub truncated_alerts: u64,
}

/// One alert of a group.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// `firing` or `resolved`.
    pub status: String,
    #[serde(default)]
    pub labels: Labels,
    #[serde(default)]
    pub annotations: Labels,
    #[serde(default)]
    pub starts_at: Option<String>,
    #[serde(default)]
    pub ends_at: Option<String>,
    #[serde(default, rename = "generatorURL")]
    pub generator_url: Option<String>,
    /// Identifies the alert (its label set): the key with `per_alert = true`.
    #[serde(default)]
    pub fingerprint: String,
}

impl Alert {
    pub fn firing(&self) -> bool {
        self.status == "firing"
    }
}

/// What a generic event asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Trigger,
    Acknowledge,
    Resolve,
}

/// A generic event: `{"dedup_key": "db-1/disk", "action": "trigger", "summary": "…",
/// "severity": "critical", "source": "db-1", "custom_details": {…}}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenericEvent {
    pub dedup_key: String,
    pub action: Action,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub component: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub class: Option<String>,
    /// Any further fields; matched and templated as labels (non-strings as JSON text).
    #[serde(default)]
    pub custom_details: BTreeMap<String, Value>,
}

impl GenericEvent {
    /// The event's fields as labels, for routing and templates.
    pub fn labels(&self) -> Labels {
        let mut out = Labels::new();
        for (k, v) in &self.custom_details {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            out.insert(k.clone(), text);
        }
        for (k, v) in [
            ("severity", &self.severity),
            ("source", &self.source),
            ("component", &self.component),
            ("group", &self.group),
            ("class", &self.class),
        ] {
            if let Some(v) = v {
                out.insert(k.to_string(), v.clone());
            }
        }
        out
    }
}

/// Most characters of one text field (a label, a summary) that intake keeps.
const MAX_TEXT: usize = 4096;

fn json_error(what: &str, e: &serde_json::Error) -> IntakeError {
    IntakeError::Payload(format!(
        "{what} is not valid: {e}; see docs/intake.md for the shape"
    ))
}

fn too_long(what: &str, text: &str) -> Result<(), IntakeError> {
    if text.chars().count() > MAX_TEXT {
        return Err(IntakeError::Payload(format!(
            "{what} is longer than {MAX_TEXT} characters: shorten it"
        )));
    }
    Ok(())
}

fn check_labels(what: &str, labels: &Labels) -> Result<(), IntakeError> {
    for (k, v) in labels {
        too_long(&format!("{what} `{k}`"), v)?;
    }
    Ok(())
}

/// Parse and check an Alertmanager webhook body.
pub fn alertmanager(body: &[u8]) -> Result<AlertmanagerPayload, IntakeError> {
    let p: AlertmanagerPayload =
        serde_json::from_slice(body).map_err(|e| json_error("the Alertmanager payload", &e))?;
    if p.version != "4" {
        return Err(IntakeError::Payload(format!(
            "Alertmanager payload version \"{}\" is not supported: esc reads version \"4\" (Alertmanager 0.x `webhook_configs`)",
            p.version
        )));
    }
    if p.group_key.trim().is_empty() {
        return Err(IntakeError::Payload(
            "the Alertmanager payload has an empty `groupKey`: send the payload as Alertmanager writes it".into(),
        ));
    }
    if p.alerts.is_empty() {
        return Err(IntakeError::Payload(
            "the Alertmanager payload has no `alerts`: nothing to record".into(),
        ));
    }
    for (i, a) in p.alerts.iter().enumerate() {
        if a.status != "firing" && a.status != "resolved" {
            return Err(IntakeError::Payload(format!(
                "alert {} has status \"{}\": write \"firing\" or \"resolved\"",
                i + 1,
                a.status
            )));
        }
        check_labels("label", &a.labels)?;
        check_labels("annotation", &a.annotations)?;
    }
    Ok(p)
}

/// Parse and check a generic event body.
pub fn event(body: &[u8]) -> Result<GenericEvent, IntakeError> {
    let e: GenericEvent = serde_json::from_slice(body).map_err(|e| json_error("the event", &e))?;
    if e.dedup_key.trim().is_empty() {
        return Err(IntakeError::Payload(
            "the event's `dedup_key` is empty: give the key that identifies the problem, e.g. \"db-1/disk\"".into(),
        ));
    }
    too_long("`dedup_key`", &e.dedup_key)?;
    if e.action == Action::Trigger && e.summary.as_deref().is_none_or(|s| s.trim().is_empty()) {
        return Err(IntakeError::Payload(
            "a `trigger` event needs a `summary`: say what is wrong in a few words".into(),
        ));
    }
    if let Some(s) = &e.summary {
        too_long("`summary`", s)?;
    }
    check_labels("field", &e.labels())?;
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRING: &str = r#"{"receiver":"esc","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"ProbeFailure","instance":"web-1"},"annotations":{"summary":"web-1 down"},"startsAt":"2026-11-23T09:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://p/graph","fingerprint":"1a30ba71cca2921f"}],"groupLabels":{"alertname":"ProbeFailure"},"commonLabels":{"alertname":"ProbeFailure"},"commonAnnotations":{},"externalURL":"http://am:9093","version":"4","groupKey":"{}:{alertname=\"ProbeFailure\"}","truncatedAlerts":0}"#;

    #[test]
    fn reads_the_webhook_format() {
        let p = alertmanager(FIRING.as_bytes()).unwrap();
        assert_eq!(p.group_key, "{}:{alertname=\"ProbeFailure\"}");
        assert_eq!(p.alerts[0].fingerprint, "1a30ba71cca2921f");
        assert!(p.alerts[0].firing());
        assert_eq!(p.alerts[0].labels["instance"], "web-1");
    }

    #[test]
    fn refuses_other_versions_and_empty_groups() {
        let v3 = FIRING.replace(r#""version":"4""#, r#""version":"3""#);
        assert!(
            alertmanager(v3.as_bytes())
                .unwrap_err()
                .to_string()
                .contains("version \"3\"")
        );
        let none = r#"{"status":"firing","alerts":[],"version":"4","groupKey":"g"}"#;
        assert!(alertmanager(none.as_bytes()).is_err());
        assert!(alertmanager(b"{").is_err());
        let bad = FIRING.replace(r#"[{"status":"firing""#, r#"[{"status":"burning""#);
        assert!(alertmanager(bad.as_bytes()).is_err());
    }

    #[test]
    fn reads_generic_events_and_refuses_unknown_fields() {
        let e = event(br#"{"dedup_key":"db-1/disk","action":"trigger","summary":"disk full","severity":"critical","custom_details":{"free":0,"host":"db-1"}}"#).unwrap();
        let labels = e.labels();
        assert_eq!(labels["severity"], "critical");
        assert_eq!(labels["free"], "0");
        assert_eq!(labels["host"], "db-1");
        assert!(event(br#"{"dedup_key":"k","action":"trigger"}"#).is_err());
        assert!(event(br#"{"dedup_key":"k","action":"explode"}"#).is_err());
        assert!(event(br#"{"dedup_key":"k","action":"resolve","colour":"red"}"#).is_err());
        assert!(event(br#"{"dedup_key":" ","action":"resolve"}"#).is_err());
    }
}
