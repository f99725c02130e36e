//! `[templates]`: text templates (minijinja syntax) with built-in defaults.
//!
//! The policy may override any built-in template by name. `esc policy check` compiles every
//! override and reports a syntax error at its line in the policy file.

use super::model::Templates;
use super::source::{Table, suggestion};

/// Built-in templates by name; an override must use one of these names.
pub const BUILTIN: [(&str, &str); 7] = [
    ("internal_notice", r#"{{ id }} {{ title }}: {{ text }}"#),
    (
        "customer_notice",
        r#"Your case {{ id }}: {{ title }}

{{ summary }}
{% if missed %}We are sorry that we did not keep to the time we gave you ({{ missed }}).
{% endif %}{% if promise %}{% if promise.what == "respond" %}We aim to respond by {{ promise.by }}.{% else %}We aim to resolve it by {{ promise.by }}.{% endif %}
{% endif %}"#,
    ),
    (
        "customer_status",
        r#"Your case {{ id }}: {{ title }}

{{ summary }}
{% if next %}
What happens next: {{ next }}{% if by %} by {{ by }}{% endif %}.
{% endif %}{% if update_by %}We will send you an update by {{ update_by }}.
{% endif %}"#,
    ),
    (
        "customer_update",
        r#"Update on your case {{ id }} ({{ title }}):

{{ text }}
{% if promise %}
{% if promise.what == "respond" %}We aim to respond by {{ promise.by }}.{% else %}We aim to resolve it by {{ promise.by }}.{% endif %}
{% endif %}"#,
    ),
    (
        "situation_update",
        r#"SITUATION UPDATE — {{ id }}: {{ title }}
Status:      {{ status }}
Impact:      {{ impact }}
Actions:     {{ actions }}
Next update: {{ next_update }}{% if bridge %}
Bridge:      {{ bridge }}{% endif %}{% if channel %}
Channel:     {{ channel }}{% endif %}{% if notes %}
Notes:       {{ notes }}{% endif %}"#,
    ),
    (
        "briefing",
        r#"# Executive briefing — {{ id }}: {{ title }}

**Customer:** {{ account.name }}{% if account.key %} (key account){% endif %} · **Severity:** {{ severity }} · **Status:** {{ status }} · **Owner:** {{ owner }}{% if sponsor %} · **Executive sponsor:** {{ sponsor | join(", ") }}{% if not sponsor_engaged %} (not yet engaged){% endif %}{% endif %}
{% if major and major.active %}**Major incident:** commander {{ major.commander }}{% if major.bridge %} · **Bridge:** {{ major.bridge }}{% endif %}{% if major.channel %} · **Channel:** {{ major.channel }}{% endif %}
{% endif %}
## Summary
{{ summary }}

## Customer and impact
{{ impact }} (opened {{ opened }})

## Escalations
{% for e in escalations %}- {{ e.at }}: {{ e.path }} {{ e.from }} → {{ e.to }} — {{ e.reason }}{% if e.summary %} ({{ e.summary }}){% endif %}
{% else %}- none so far
{% endfor %}
## SLA
{% for c in sla %}- {{ c.clock }}: {{ c.state }}{% if c.due %}, due {{ c.due }}{% endif %}
{% endfor %}
## What has been tried
{% for t in tried %}- {{ t }}
{% else %}- nothing recorded yet
{% endfor %}
## Decisions needed
{% for d in decisions %}- {{ d }}
{% else %}- none at this time
{% endfor %}"#,
    ),
    (
        "review",
        r#"# Post-escalation review: {{ id }} — {{ title }}

| | |
|---|---|
| Severity | {{ severity }}{% if severity_label %} ({{ severity_label }}){% endif %} |
| Type | {{ type }} |
| Account | {{ account or "—" }} |
| Owner | {{ owner }} |
| Opened | {{ opened_at }} |
| Acknowledged | {{ acknowledged_at or "—" }}{% if time_to_acknowledge %} (after {{ time_to_acknowledge }}){% endif %} |
| Resolved | {{ resolved_at or "—" }}{% if time_to_resolve %} (after {{ time_to_resolve }}){% endif %} |
| Escalations | {{ escalations }}{% if levels %} (reached {{ levels }}){% endif %} |
| Satisfaction | {% if csat %}{{ csat }}/5{% else %}—{% endif %} |
| Review | {% if reasons %}required: {{ reasons | join(", ") }}{% else %}optional{% endif %}; recorded {{ reviewed_at }} by {{ reviewed_by }} |

## Summary
{{ resolution or "—" }}

## Root cause
{{ root_cause }}

## What went well
{{ went_well or "—" }}

## What to improve
{{ improve or "—" }}

## Action items
{% for a in actions %}- [{% if a.state == "done" %}x{% else %} {% endif %}] {{ a.id }}: {{ a.text }} — {{ a.owner }}, due {{ a.due }}{% if a.state == "late" %} **(late)**{% endif %}
{% else %}None.
{% endfor %}{% if swarm %}
## Swarm
Facilitator {{ swarm.facilitator }}; members {{ swarm.members }}; from {{ swarm.started_at }}{% if swarm.ended_at %} to {{ swarm.ended_at }}{% endif %}.
{% if swarm.lessons %}
Lessons learned: {{ swarm.lessons }}
{% endif %}{% endif %}{% if major %}
## Major incident
Commander {{ major.commander }}; declared {{ major.declared_at }}{% if major.stood_down_at %}, stood down {{ major.stood_down_at }}{% endif %}.
{% for r in major.roles %}- {{ r.role }}: {{ r.person }}
{% endfor %}{% endif %}
## SLA
| clock | state | due | stopped |
|---|---|---|---|
{% for c in sla %}| {{ c.clock }} | {{ c.state }} | {{ c.due }} | {{ c.at or "—" }} |
{% endfor %}
## Timeline
| when | who | what |
|---|---|---|
{% for e in timeline %}| {{ e.when }} | {{ e.who }} | {{ e.what }} |
{% endfor %}"#,
    ),
];

/// The text of a template: the policy's override, else the built-in one.
pub fn source<'a>(templates: &'a Templates, name: &str) -> Option<&'a str> {
    templates
        .overrides
        .get(name)
        .map(String::as_str)
        .or_else(|| BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t))
}

/// Why a template could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "template `{name}` could not be rendered: {message}; fix it in [templates] and run `esc policy check`"
)]
pub struct RenderError {
    pub name: String,
    pub message: String,
}

/// How many steps one rendering may take: far more than any sensible template needs (the
/// built-in review of a case with a thousand events takes a few tens of thousands), far less
/// than a runaway loop would (nested `range(100000)` loops stop here in milliseconds).
pub const FUEL: u64 = 2_000_000;

/// Render the named template (the policy's override, else the built-in one) with `ctx`.
/// Missing values render as empty text, never as an error or a panic; a template that runs
/// out of [`FUEL`] is an error, so no template can hang a command.
pub fn render(
    templates: &Templates,
    name: &str,
    ctx: &serde_json::Value,
) -> Result<String, RenderError> {
    let err = |message: String| RenderError {
        name: name.to_string(),
        message,
    };
    let text = source(templates, name).ok_or_else(|| err("there is no such template".into()))?;
    render_text(text, ctx).map_err(err)
}

/// Render template text with `ctx` in the house setup: missing values render as empty text,
/// within [`FUEL`]. The error is minijinja's message (or the out-of-fuel explanation).
/// Each distinct text is compiled once per process: a sweep renders the same few templates
/// for every action it plans.
pub fn render_text(text: &str, ctx: &serde_json::Value) -> Result<String, String> {
    COMPILED.with(|env| {
        if env.borrow().get_template(text).is_err() {
            env.borrow_mut()
                .add_template_owned(text.to_owned(), text.to_owned())
                .map_err(|e| e.to_string())?;
        }
        let env = env.borrow();
        let tmpl = env.get_template(text).map_err(|e| e.to_string())?;
        tmpl.render(minijinja::value::Serde(ctx)).map_err(|e| {
            if e.kind() == minijinja::ErrorKind::OutOfFuel {
                format!(
                    "it ran longer than {FUEL} steps (a loop that never ends, or loops nested too deep); simplify its loops"
                )
            } else {
                e.to_string()
            }
        })
    })
}

thread_local! {
    /// The house setup, holding every template text rendered so far (named by its text).
    static COMPILED: std::cell::RefCell<minijinja::Environment<'static>> = {
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        env.set_fuel(Some(FUEL));
        std::cell::RefCell::new(env)
    };
}

/// Compile a template; on error, the byte offset within the template and the message.
pub fn compile_error(text: &str) -> Option<(usize, String)> {
    let env = minijinja::Environment::new();
    match env.template_from_str(text) {
        Ok(_) => None,
        Err(e) => {
            let offset = e.range().map(|r| r.start).unwrap_or_else(|| {
                // Fall back to the start of the reported line.
                let line = e.line().unwrap_or(1).saturating_sub(1);
                text.split_inclusive('\n').take(line).map(str::len).sum()
            });
            let msg = e.detail().unwrap_or("syntax error").to_string();
            Some((offset, format!("{}: {msg}", e.kind())))
        }
    }
}

/// Read `[templates]`, compiling every override.
pub fn read(root: &Table<'_, '_>) -> Templates {
    let mut out = Templates::default();
    let Some(t) = root.get("templates").and_then(|v| v.table()) else {
        return out;
    };
    let names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
    for (key, v) in t.entries() {
        if !names.contains(&key.value) {
            root.sink.error(
                key.span.clone(),
                format!(
                    "unknown template `{}`{}; templates are: {}",
                    key.value,
                    suggestion(key.value, names.iter().copied()),
                    names.join(", ")
                ),
            );
            continue;
        }
        let Some(s) = v.str() else { continue };
        if let Some((offset, msg)) = compile_error(s.value) {
            // Point into the string when the source text matches it byte for byte after the
            // opening quotes (literal and multi-line strings); else at the string itself.
            let src = root.sink.src();
            let at = value_offset(src, s.span.clone(), offset);
            let end = src[at..].chars().next().map_or(at, |c| at + c.len_utf8());
            root.sink.error(
                at..end,
                format!("template `{}` does not compile: {msg}", key.value),
            );
        } else if let Some(msg) = runs_away(s.value) {
            root.sink
                .error(s.span.clone(), format!("template `{}` {msg}", key.value));
        }
        out.overrides
            .insert(key.value.to_string(), s.value.to_string());
    }
    out
}

/// Render a template on a sample case; `Some` when it runs out of [`FUEL`] there (other
/// errors depend on the data and are left to run time, where they are reported clearly).
pub fn runs_away(text: &str) -> Option<String> {
    let item = serde_json::json!({
        "at": "2026-11-23 09:00", "when": "2026-11-23 09:00", "who": "someone", "what": "something",
        "path": "technical", "from": "L1", "to": "L2", "reason": "sample", "clock": "response",
        "state": "pending", "due": "2026-11-23 10:00", "id": "ESC-1.1", "text": "sample",
        "owner": "someone", "role": "commander", "person": "someone",
    });
    let ctx = serde_json::json!({
        "id": "ESC-1", "title": "Sample case", "text": "sample", "summary": "sample",
        "kind": "open", "status": "open", "severity": "sev1", "owner": "someone",
        "promise": {"what": "resolve", "by": "2026-11-23 17:00"}, "missed": null,
        "escalations": [item, item], "sla": [item, item], "tried": ["sample", "sample"],
        "decisions": ["sample"], "timeline": [item, item, item], "actions": [item],
        "account": {"id": "acme", "name": "ACME", "key": true}, "sponsor": ["someone"],
    });
    match render_text(text, &ctx) {
        Err(e) if e.contains("steps") => Some(format!("does not finish on a sample case: {e}")),
        _ => None,
    }
}

/// Best-effort position of byte `offset` of a string value whose token starts at `start`:
/// skips the opening quotes (and the newline TOML trims after `"""` / `'''`). Escapes in
/// basic strings can shift the position, but it never leaves the string and never splits a
/// character.
fn value_offset(src: &str, span: std::ops::Range<usize>, offset: usize) -> usize {
    let start = span.start;
    let token = src.get(start..).unwrap_or("");
    let open = if token.starts_with("\"\"\"") || token.starts_with("'''") {
        let rest = &token[3..];
        3 + if rest.starts_with("\r\n") {
            2
        } else {
            usize::from(rest.starts_with('\n'))
        }
    } else {
        1
    };
    let mut at = (start + open + offset)
        .min(span.end.saturating_sub(1).max(start))
        .min(src.len());
    while !src.is_char_boundary(at) {
        at -= 1;
    }
    at
}
