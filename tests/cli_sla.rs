//! SLA clocks through the real binary (SPEC §3 targets on business calendars, §4 `show` /
//! `list` JSON): every deadline here was worked out by hand from the calendar, the target and
//! the time zone rules, and is compared with `sla.<clock>.due` of `esc show ID --json`.
//!
//! `tests/fixtures/spec-excerpt.toml`: sev1 on the 24x7 UTC calendar (response 15m,
//! resolution 4h, update every 30m, warn at 75%, L1 budget 10m); sev2 and sev3 on the office
//! calendar (Mon–Fri 09:00–17:30 Europe/London, holidays 2026-12-25, 2026-12-28, 2027-01-01;
//! sev2 response 1h / resolution 16h / L1 budget 1h, sev3 response 4h / resolution 40h /
//! L1 budget 8h; one office day is 8h30m of open time). The clock-change cases use small
//! policies written inline.

mod common;

use common::{TestEnv, ok_at};
use serde_json::Value;

const POLICY: &str = "tests/fixtures/spec-excerpt.toml";

fn spec_env() -> TestEnv {
    TestEnv::with_policy_file(POLICY)
}

/// Open a case at `now` with extra arguments; its id.
fn open_at(env: &TestEnv, now: &str, title: &str, extra: &[&str]) -> String {
    let mut args = vec!["open", title];
    args.extend_from_slice(extra);
    let case = ok_at(env, now, &args);
    case["id"].as_str().expect("id").to_string()
}

fn show_at(env: &TestEnv, now: &str, id: &str) -> Value {
    ok_at(env, now, &["show", id])
}

/// `(due, state, at)` of one clock of a case object.
fn clock<'a>(case: &'a Value, name: &str) -> (&'a str, &'a str, &'a Value) {
    let c = &case["sla"][name];
    assert!(c.is_object(), "sla.{name} in {case}");
    (
        c["due"]
            .as_str()
            .unwrap_or_else(|| panic!("sla.{name}.due in {c}")),
        c["state"].as_str().expect("state"),
        &c["at"],
    )
}

fn due(case: &Value, name: &str) -> String {
    clock(case, name).0.to_string()
}

fn state(case: &Value, name: &str) -> String {
    clock(case, name).1.to_string()
}

/// A small policy: one severity `sev3` on the calendar `cal` with the given time zone and
/// hours, the given response and resolution targets and an L1 budget.
fn calendar_policy(
    tz: &str,
    hours: &str,
    response: &str,
    resolution: &str,
    budget: &str,
) -> String {
    format!(
        r#"version = 1
name = "Calendar test"
types = ["technical"]

[defaults]
severity = "sev3"
type = "technical"
path = "technical"
timezone = "{tz}"

[calendars.cal]
timezone = "{tz}"
hours = {hours}

[severities.sev3]
calendar = "cal"
response = "{response}"
resolution = "{resolution}"

[roles.agent]
members = ["ana"]

[[tiers]]
id = "L1"
role = "agent"
escalate_after = {{ sev3 = "{budget}" }}

[raci.default]
open = {{ r = ["agent"], a = "agent" }}
"#
    )
}

const LONDON_WEEK: &str = r#"{ mon = "09:00-17:30", tue = "09:00-17:30", wed = "09:00-17:30", thu = "09:00-17:30", fri = "09:00-17:30" }"#;
const NEW_YORK_WEEK: &str = r#"{ mon = "09:00-17:00", tue = "09:00-17:00", wed = "09:00-17:00", thu = "09:00-17:00", fri = "09:00-17:00" }"#;

/// The (response, resolution, tier) due times of a case opened at `opened` under `policy`.
fn deadlines(policy: &str, opened: &str) -> (String, String, String) {
    let env = TestEnv::with_policy(policy);
    let id = open_at(&env, opened, "deadline", &[]);
    let case = show_at(&env, opened, &id);
    assert_eq!(case["opened_at"], opened);
    (
        due(&case, "response"),
        due(&case, "resolution"),
        due(&case, "tier"),
    )
}

#[test]
fn friday_evening_sev3_in_london_lands_on_monday() {
    let env = spec_env();
    // Friday 27 Nov 2026 18:00 GMT: closed until Monday 30 Nov 09:00 GMT.
    let fri = "2026-11-27T18:00:00Z";
    let id = open_at(&env, fri, "Friday evening", &["--severity", "sev3"]);
    let case = show_at(&env, fri, &id);
    assert_eq!(case["severity"], "sev3");
    // Response 4h: Monday 09:00 + 4h.
    assert_eq!(clock(&case, "response").0, "2026-11-30T13:00:00Z");
    assert_eq!(clock(&case, "response").1, "pending");
    assert!(clock(&case, "response").2.is_null());
    // Resolution 40h = 4 × 8h30m (Mon–Thu) + 6h on Friday 4 Dec → 15:00.
    assert_eq!(due(&case, "resolution"), "2026-12-04T15:00:00Z");
    // L1 budget 8h: Monday 09:00 + 8h.
    assert_eq!(due(&case, "tier"), "2026-11-30T17:00:00Z");
    // sev3 has no update cadence.
    assert!(case["sla"]["update"].is_null(), "{}", case["sla"]);

    // Friday 16:00: 1h30m of Friday is used, 2h30m on Monday.
    let id = open_at(&env, "2026-11-27T16:00:00Z", "Friday afternoon", &[]);
    let case = show_at(&env, "2026-11-27T16:00:00Z", &id);
    assert_eq!(due(&case, "response"), "2026-11-30T11:30:00Z");
    // Still pending over the weekend: no open time has passed since Friday 17:30.
    let sunday = show_at(&env, "2026-11-29T20:00:00Z", &id);
    assert_eq!(state(&sunday, "response"), "pending");
    assert_eq!(due(&sunday, "response"), "2026-11-30T11:30:00Z");
}

#[test]
fn a_deadline_that_uses_up_a_day_falls_at_its_end() {
    // Monday 09:00 with an 8h30m target: all of Monday → 17:30 Monday, not 09:00 Tuesday.
    let policy = calendar_policy("Europe/London", LONDON_WEEK, "8h30m", "17h", "9h");
    let (response, resolution, tier) = deadlines(&policy, "2026-11-23T09:00:00Z");
    assert_eq!(response, "2026-11-23T17:30:00Z");
    assert_eq!(resolution, "2026-11-24T17:30:00Z");
    assert_eq!(tier, "2026-11-24T09:30:00Z");
}

#[test]
fn christmas_holidays_are_skipped() {
    let env = spec_env();
    // Thursday 24 Dec 2026 15:00 GMT: 2h30m left that day; Friday 25 (holiday), the weekend
    // and Monday 28 (holiday) are closed; Tuesday 29 opens at 09:00.
    let thu = "2026-12-24T15:00:00Z";
    let id = open_at(&env, thu, "Christmas Eve", &["--severity", "sev3"]);
    let case = show_at(&env, thu, &id);
    // Response 4h: 2h30m Thursday + 1h30m Tuesday.
    assert_eq!(due(&case, "response"), "2026-12-29T10:30:00Z");
    // L1 budget 8h: 2h30m + 5h30m Tuesday.
    assert_eq!(due(&case, "tier"), "2026-12-29T14:30:00Z");
    // Resolution 40h: 2h30m Thu 24, 8h30m each Tue 29, Wed 30, Thu 31 (28h), Friday 1 Jan
    // is a holiday, 8h30m Mon 4 Jan (36h30m), 3h30m on Tue 5 Jan → 12:30.
    assert_eq!(due(&case, "resolution"), "2027-01-05T12:30:00Z");

    // A sev2 opened at 17:00 on Christmas Eve: 30 minutes that day.
    let id = open_at(
        &env,
        "2026-12-24T17:00:00Z",
        "late",
        &["--severity", "sev2"],
    );
    let case = show_at(&env, "2026-12-24T17:00:00Z", &id);
    assert_eq!(due(&case, "response"), "2026-12-29T09:30:00Z");
    // 16h: 30m + 8h30m Tuesday + 7h Wednesday.
    assert_eq!(due(&case, "resolution"), "2026-12-30T16:00:00Z");
    // Nothing of it runs on the holidays: still pending on Monday 28 Dec at noon.
    let monday = show_at(&env, "2026-12-28T12:00:00Z", &id);
    assert_eq!(state(&monday, "response"), "pending");
}

#[test]
fn london_clock_changes_over_a_weekend() {
    let policy = calendar_policy("Europe/London", LONDON_WEEK, "4h", "9h30m", "9h");
    // Friday 27 Mar 2026 16:30 GMT (1h left); clocks go forward on Sunday 29 Mar, so Monday
    // opens at 09:00 BST = 08:00 UTC.
    let (response, resolution, tier) = deadlines(&policy, "2026-03-27T16:30:00Z");
    assert_eq!(response, "2026-03-30T11:00:00Z"); // 12:00 BST
    assert_eq!(resolution, "2026-03-30T16:30:00Z"); // 17:30 BST: the end of Monday
    assert_eq!(tier, "2026-03-30T16:00:00Z"); // 17:00 BST
    // Friday 23 Oct 2026 16:30 BST = 15:30 UTC (1h left); clocks go back on Sunday 25 Oct,
    // so Monday opens at 09:00 GMT = 09:00 UTC.
    let (response, resolution, tier) = deadlines(&policy, "2026-10-23T15:30:00Z");
    assert_eq!(response, "2026-10-26T12:00:00Z");
    assert_eq!(resolution, "2026-10-26T17:30:00Z");
    assert_eq!(tier, "2026-10-26T17:00:00Z");
}

#[test]
fn london_clock_changes_inside_an_open_range() {
    // Sunday 00:00–06:00 local is 5 real hours on 29 Mar 2026 (01:00 GMT → 02:00 BST) and
    // 7 real hours on 25 Oct 2026 (02:00 BST → 01:00 GMT).
    let hours = r#"{ sun = "00:00-06:00", mon = "09:00-17:30" }"#;
    let policy = calendar_policy("Europe/London", hours, "4h", "8h30m", "8h");
    // Sunday 29 Mar 00:00 GMT; the range ends at 06:00 BST = 05:00 UTC.
    let (response, resolution, tier) = deadlines(&policy, "2026-03-29T00:00:00Z");
    assert_eq!(response, "2026-03-29T04:00:00Z"); // 4 real hours
    // 5h on Sunday, 3h30m from Monday 09:00 BST (08:00 UTC).
    assert_eq!(resolution, "2026-03-30T11:30:00Z");
    assert_eq!(tier, "2026-03-30T11:00:00Z");
    // Sunday 25 Oct 00:00 BST = Saturday 23:00 UTC; the range ends at 06:00 GMT = 06:00 UTC.
    let (response, resolution, tier) = deadlines(&policy, "2026-10-24T23:00:00Z");
    assert_eq!(response, "2026-10-25T03:00:00Z");
    // 7h on Sunday, 1h30m from Monday 09:00 GMT.
    assert_eq!(resolution, "2026-10-26T10:30:00Z");
    // 7h on Sunday, 1h on Monday.
    assert_eq!(tier, "2026-10-26T10:00:00Z");
    // 8h from Friday 23 Oct 16:30 BST: 1h Friday + all 7h of Sunday → the end of Sunday's
    // range (06:00 GMT), not Monday's opening.
    let hours = r#"{ sun = "00:00-06:00", fri = "09:00-17:30" }"#;
    let policy = calendar_policy("Europe/London", hours, "8h", "8h", "8h");
    let (response, _, _) = deadlines(&policy, "2026-10-23T15:30:00Z");
    assert_eq!(response, "2026-10-25T06:00:00Z");
}

#[test]
fn new_york_clock_changes() {
    let policy = calendar_policy("America/New_York", NEW_YORK_WEEK, "4h", "8h", "8h");
    // Friday 6 Mar 2026 16:00 EST = 21:00 UTC (1h left); Monday 9 Mar opens at 09:00 EDT
    // = 13:00 UTC after the change on Sunday 8 Mar.
    let (response, resolution, _) = deadlines(&policy, "2026-03-06T21:00:00Z");
    assert_eq!(response, "2026-03-09T16:00:00Z"); // 12:00 EDT
    assert_eq!(resolution, "2026-03-09T20:00:00Z"); // 16:00 EDT
    // Friday 30 Oct 2026 16:00 EDT = 20:00 UTC; Monday 2 Nov opens at 09:00 EST = 14:00 UTC
    // after the change on Sunday 1 Nov.
    let (response, resolution, _) = deadlines(&policy, "2026-10-30T20:00:00Z");
    assert_eq!(response, "2026-11-02T17:00:00Z"); // 12:00 EST
    assert_eq!(resolution, "2026-11-02T21:00:00Z"); // 16:00 EST

    // Sunday 00:00–04:00 local: 3 real hours on 8 Mar (05:00–08:00 UTC), 5 on 1 Nov
    // (04:00–09:00 UTC).
    let hours = r#"{ sun = "00:00-04:00" }"#;
    let policy = calendar_policy("America/New_York", hours, "2h30m", "4h", "4h");
    let (response, resolution, _) = deadlines(&policy, "2026-03-08T05:00:00Z");
    assert_eq!(response, "2026-03-08T07:30:00Z");
    // 3h on 8 Mar, 1h on Sunday 15 Mar from 00:00 EDT = 04:00 UTC.
    assert_eq!(resolution, "2026-03-15T05:00:00Z");
    let (response, resolution, _) = deadlines(&policy, "2026-11-01T04:00:00Z");
    assert_eq!(response, "2026-11-01T06:30:00Z");
    assert_eq!(resolution, "2026-11-01T08:00:00Z"); // 03:00 EST
}

#[test]
fn a_24x7_calendar_counts_real_hours_across_a_clock_change() {
    let policy = calendar_policy("Europe/London", "\"24x7\"", "4h", "2d", "90m");
    // 00:30 GMT on 29 Mar 2026; the clocks jump at 01:00 GMT, which changes nothing here.
    let (response, resolution, tier) = deadlines(&policy, "2026-03-29T00:30:00Z");
    assert_eq!(response, "2026-03-29T04:30:00Z");
    assert_eq!(resolution, "2026-03-31T00:30:00Z");
    assert_eq!(tier, "2026-03-29T02:00:00Z");
}

#[test]
fn sev1_response_goes_pending_warning_breached() {
    let env = spec_env();
    let id = open_at(
        &env,
        "2026-11-23T09:00:00Z",
        "Outage",
        &["--severity", "sev1"],
    );
    let case = show_at(&env, "2026-11-23T09:00:00Z", &id);
    assert_eq!(due(&case, "response"), "2026-11-23T09:15:00Z");
    assert_eq!(due(&case, "resolution"), "2026-11-23T13:00:00Z");
    assert_eq!(due(&case, "update"), "2026-11-23T09:30:00Z");
    assert_eq!(due(&case, "tier"), "2026-11-23T09:10:00Z");
    for clock_name in ["response", "resolution", "update", "tier"] {
        assert_eq!(state(&case, clock_name), "pending", "{clock_name}");
    }
    // warn_at 0.75 of 15m = 11m15s.
    let before = show_at(&env, "2026-11-23T09:11:14Z", &id);
    assert_eq!(state(&before, "response"), "pending");
    let warned = show_at(&env, "2026-11-23T09:11:15Z", &id);
    assert_eq!(state(&warned, "response"), "warning");
    assert_eq!(due(&warned, "response"), "2026-11-23T09:15:00Z");
    let late = show_at(&env, "2026-11-23T09:15:01Z", &id);
    assert_eq!(state(&late, "response"), "breached");
    assert!(clock(&late, "response").2.is_null(), "not stopped yet");
    // The tier budget (10m) ran out earlier; the update clock warns at 09:22:30.
    assert_eq!(state(&late, "tier"), "breached");
    assert_eq!(state(&late, "update"), "pending");
    assert_eq!(state(&late, "resolution"), "pending");
    // A late acknowledgement stops the clock, which stays breached, with its time.
    ok_at(&env, "2026-11-23T09:20:00Z", &["ack", &id]);
    let acked = show_at(&env, "2026-11-23T09:30:00Z", &id);
    let (d, s, at) = clock(&acked, "response");
    assert_eq!((d, s), ("2026-11-23T09:15:00Z", "breached"));
    assert_eq!(at, "2026-11-23T09:20:00Z");
}

#[test]
fn ack_in_time_meets_the_response_clock_and_restarts_the_update_clock() {
    let env = spec_env();
    let id = open_at(
        &env,
        "2026-11-23T09:00:00Z",
        "Outage",
        &["--severity", "sev1"],
    );
    ok_at(&env, "2026-11-23T09:10:00Z", &["ack", &id]);
    let case = show_at(&env, "2026-11-23T10:00:00Z", &id);
    assert_eq!(case["status"], "acknowledged");
    assert_eq!(case["acknowledged_at"], "2026-11-23T09:10:00Z");
    let (d, s, at) = clock(&case, "response");
    assert_eq!((d, s), ("2026-11-23T09:15:00Z", "met"));
    assert_eq!(at, "2026-11-23T09:10:00Z");
    // The update cadence runs from the acknowledgement: 09:40.
    assert_eq!(due(&case, "update"), "2026-11-23T09:40:00Z");
    assert_eq!(state(&case, "update"), "breached");
    // An update restarts it.
    ok_at(
        &env,
        "2026-11-23T10:05:00Z",
        &["update", &id, "working on it"],
    );
    let case = show_at(&env, "2026-11-23T10:05:00Z", &id);
    assert_eq!(due(&case, "update"), "2026-11-23T10:35:00Z");
    assert_eq!(state(&case, "update"), "pending");
}

#[test]
fn pause_resume_resolve_and_reopen_move_the_resolution_clock() {
    let env = spec_env();
    let id = open_at(
        &env,
        "2026-11-23T09:00:00Z",
        "Outage",
        &["--severity", "sev1"],
    );
    ok_at(&env, "2026-11-23T09:05:00Z", &["ack", &id]);
    assert_eq!(
        due(&show_at(&env, "2026-11-23T09:05:00Z", &id), "resolution"),
        "2026-11-23T13:00:00Z"
    );
    // Paused at 10:00 (1h used): while paused the clock shows when it would fall due if
    // it resumed now.
    ok_at(
        &env,
        "2026-11-23T10:00:00Z",
        &["pause", &id, "--reason", "waiting on the customer"],
    );
    let paused = show_at(&env, "2026-11-23T10:30:00Z", &id);
    assert_eq!(paused["status"], "paused");
    assert_eq!(state(&paused, "resolution"), "paused");
    assert_eq!(due(&paused, "resolution"), "2026-11-23T13:30:00Z");
    // A paused case does not breach while paused, even past its original due time.
    let long_pause = show_at(&env, "2026-11-23T14:00:00Z", &id);
    assert_eq!(state(&long_pause, "resolution"), "paused");
    assert_eq!(due(&long_pause, "resolution"), "2026-11-23T17:00:00Z");
    // Resumed at 11:00 after 1h paused: due 13:00 + 1h.
    ok_at(&env, "2026-11-23T11:00:00Z", &["resume", &id]);
    let resumed = show_at(&env, "2026-11-23T11:00:00Z", &id);
    assert_eq!(resumed["status"], "acknowledged");
    assert_eq!(due(&resumed, "resolution"), "2026-11-23T14:00:00Z");
    assert_eq!(state(&resumed, "resolution"), "pending");
    // Warning at 75% of 4h = 3h of running time: 09:00–10:00 + 11:00–13:00.
    assert_eq!(
        state(&show_at(&env, "2026-11-23T12:59:59Z", &id), "resolution"),
        "pending"
    );
    assert_eq!(
        state(&show_at(&env, "2026-11-23T13:00:00Z", &id), "resolution"),
        "warning"
    );
    // Resolved at 13:30 (before 14:00): met, with its time; it stays met later.
    ok_at(
        &env,
        "2026-11-23T13:30:00Z",
        &["resolve", &id, "--resolution", "restarted the service"],
    );
    let resolved = show_at(&env, "2026-11-23T18:00:00Z", &id);
    assert_eq!(resolved["status"], "resolved");
    let (d, s, at) = clock(&resolved, "resolution");
    assert_eq!((d, s), ("2026-11-23T14:00:00Z", "met"));
    assert_eq!(at, "2026-11-23T13:30:00Z");
    // Reopened at 15:00: 3h30m were used (09:00–10:00, 11:00–13:30), 30m are left.
    ok_at(
        &env,
        "2026-11-23T15:00:00Z",
        &["reopen", &id, "--reason", "back again"],
    );
    let reopened = show_at(&env, "2026-11-23T15:00:00Z", &id);
    assert_eq!(reopened["reopened"], 1);
    let (d, s, at) = clock(&reopened, "resolution");
    assert_eq!(d, "2026-11-23T15:30:00Z");
    assert_eq!(s, "warning"); // past 3h of 4h already
    assert!(at.is_null());
    assert_eq!(
        state(&show_at(&env, "2026-11-23T15:30:01Z", &id), "resolution"),
        "breached"
    );
    // The response clock is untouched by all of this.
    let (d, s, _) = clock(&reopened, "response");
    assert_eq!((d, s), ("2026-11-23T09:15:00Z", "met"));
}

#[test]
fn pause_on_a_business_calendar_shifts_by_open_time_only() {
    let env = spec_env();
    // sev2 on the office calendar, Monday 09:00: response 1h → 10:00.
    let id = open_at(
        &env,
        "2026-11-23T09:00:00Z",
        "Billing",
        &["--severity", "sev2"],
    );
    // Paused Monday 09:30 (30m used) until Tuesday 10:00: the 30 minutes left run from
    // Tuesday 10:00, not counting Monday's remaining open hours or the night.
    ok_at(
        &env,
        "2026-11-23T09:30:00Z",
        &["pause", &id, "--reason", "customer"],
    );
    ok_at(&env, "2026-11-24T10:00:00Z", &["resume", &id]);
    let case = show_at(&env, "2026-11-24T10:00:00Z", &id);
    assert_eq!(due(&case, "response"), "2026-11-24T10:30:00Z");
    // Resolution 16h: 30m used; 15h30m from Tuesday 10:00: 7h30m Tuesday, 8h Wednesday.
    assert_eq!(due(&case, "resolution"), "2026-11-25T17:00:00Z");
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|c| {
            assert!(c.get("events").is_none(), "list items carry no events");
            c["id"].as_str().expect("id").to_string()
        })
        .collect()
}

#[test]
fn list_breached_due_within_and_order() {
    let env = spec_env();
    let t0 = "2026-11-23T09:00:00Z";
    // ESC-1 sev3: next due 13:00 (response).
    open_at(&env, t0, "slow", &["--severity", "sev3"]);
    // ESC-2 sev1: tier due 09:10, response 09:15 → breached by 09:20.
    open_at(&env, t0, "fire", &["--severity", "sev1"]);
    // ESC-3 sev2: response due 10:00.
    open_at(&env, t0, "billing", &["--severity", "sev2"]);
    // ESC-4 sev3, resolved: no running clock.
    open_at(&env, t0, "done", &["--severity", "sev3"]);
    ok_at(&env, "2026-11-23T09:05:00Z", &["ack", "ESC-4"]);
    ok_at(
        &env,
        "2026-11-23T09:06:00Z",
        &["resolve", "ESC-4", "--resolution", "fixed"],
    );
    // ESC-5 sev1 opened later: tier due 09:25, response 09:30.
    open_at(
        &env,
        "2026-11-23T09:15:00Z",
        "fire 2",
        &["--severity", "sev1"],
    );

    let now = "2026-11-23T09:20:00Z";
    // Breached first (ESC-2), then by the next due time: ESC-5 (09:25), ESC-3 (10:00),
    // ESC-1 (13:00), then ESC-4 with nothing due.
    let all = ok_at(&env, now, &["list"]);
    assert_eq!(ids(&all), ["ESC-2", "ESC-5", "ESC-3", "ESC-1", "ESC-4"]);
    let esc2 = &all[0];
    assert_eq!(state(esc2, "response"), "breached");
    assert_eq!(state(esc2, "tier"), "breached");

    assert_eq!(ids(&ok_at(&env, now, &["list", "--breached"])), ["ESC-2"]);
    // Due within 1h (by 10:20): ESC-2's update clock (09:30), ESC-5 (09:25), ESC-3 (10:00).
    let soon = ok_at(&env, now, &["list", "--due-within", "1h"]);
    assert_eq!(ids(&soon), ["ESC-2", "ESC-5", "ESC-3"]);
    let very_soon = ok_at(&env, now, &["list", "--due-within", "6m"]);
    assert_eq!(ids(&very_soon), ["ESC-5"]);

    // Later both sev1 cases are breached; ESC-3's response is breached at 10:00 too.
    let later = ok_at(&env, "2026-11-23T10:30:00Z", &["list", "--breached"]);
    let mut breached = ids(&later);
    breached.sort();
    assert_eq!(breached, ["ESC-2", "ESC-3", "ESC-5"]);
    let all = ok_at(&env, "2026-11-23T10:30:00Z", &["list"]);
    assert_eq!(ids(&all).last().map(String::as_str), Some("ESC-4"));
    assert_eq!(ids(&all)[3], "ESC-1");
}
