//! Reports: `esc report sla | trends | reviews | triggers | escalations | desk`.
//!
//! [`metrics`] computes the figures (pure functions of policy, cases and now); this module
//! lays them out as [`Report`]s — titled sections of typed cells — and [`render`] prints a
//! report as a table, JSON, CSV or Markdown. Computing never formats; rendering never
//! computes.

pub mod desk;
pub mod metrics;
pub mod render;

use crate::case::Case;
use crate::policy::Policy;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
pub use desk::Every;
pub use metrics::GroupBy;

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Breaches,
    Sla,
    Trends,
    Reviews,
    Triggers,
    Escalations,
    Desk,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Breaches => "breaches",
            Kind::Sla => "sla",
            Kind::Trends => "trends",
            Kind::Reviews => "reviews",
            Kind::Triggers => "triggers",
            Kind::Escalations => "escalations",
            Kind::Desk => "desk",
        }
    }

    /// The grouping used when `--by` is not given.
    pub fn default_by(self) -> Option<GroupBy> {
        match self {
            Kind::Sla | Kind::Reviews | Kind::Escalations | Kind::Desk => Some(GroupBy::Severity),
            Kind::Trends => Some(GroupBy::Week),
            Kind::Triggers | Kind::Breaches => None,
        }
    }
}

/// What a report covers.
#[derive(Debug, Clone)]
pub struct Options {
    /// Only cases opened at or after this (trends: only what happened at or after it).
    pub since: Option<DateTime<Utc>>,
    /// Only cases opened before this (trends: only what happened before it).
    pub until: Option<DateTime<Utc>>,
    pub by: Option<GroupBy>,
    /// Repeat escalations: the same account and type escalated again within this.
    pub window: TimeDelta,
    /// The periods of the desk report's backlog series.
    pub every: Every,
}

/// One cell of a report.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(usize),
    /// A percentage; `None` when there was nothing to divide.
    Pct(Option<f64>),
    /// A duration in seconds; `None` when there was nothing to measure.
    Secs(Option<i64>),
    /// A plain number (an average); `None` when there was nothing to average.
    Num(Option<f64>),
    /// A whole number that may be missing (a satisfaction score not given).
    Score(Option<u8>),
    Date(NaiveDate),
    Bool(bool),
}

/// A column: its key in JSON and CSV, its heading in tables and Markdown (a `\n` in it
/// breaks the heading in tables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub key: &'static str,
    pub label: &'static str,
    /// Only in JSON and CSV (a detail that would crowd a table).
    pub detail: bool,
}

/// A bar chart drawn beside a table (table format only): one bar per listed column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    /// (column index, glyph)
    pub series: Vec<(usize, char)>,
}

/// A titled table of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Its key in JSON and for `--section`.
    pub key: &'static str,
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    pub chart: Option<Chart>,
}

/// A report: what it covers and its sections.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub kind: Kind,
    pub now: DateTime<Utc>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub by: Option<GroupBy>,
    /// Cases the report covers (opened since `since`, before `until`).
    pub cases: usize,
    pub sections: Vec<Section>,
    /// Explanations printed under the tables.
    pub notes: Vec<String>,
}

fn col(key: &'static str, label: &'static str) -> Column {
    Column {
        key,
        label,
        detail: false,
    }
}

fn detail(key: &'static str) -> Column {
    Column {
        key,
        label: key,
        detail: true,
    }
}

/// The sections of `esc report desk`.
fn desk_sections(d: &desk::Desk, group: Column, every: Every, policy: &Policy) -> Vec<Section> {
    let tz = policy.defaults.timezone;
    let date = |at: DateTime<Utc>| Cell::Date(at.with_timezone(&tz).date_naive());
    vec![
        Section {
            key: "groups",
            title: "First contact, reopens, handoffs, CSAT".into(),
            columns: vec![
                group,
                col("cases", "cases"),
                col("resolved", "resolved"),
                col("first_contact", "first\ncontact"),
                col("first_contact_pct", "first\ncontact %"),
                detail("ever_resolved"),
                col("reopened", "reopened"),
                col("reopen_pct", "reopen\nrate %"),
                col("handoffs", "handoffs"),
                col("accepted", "accepted"),
                col("accept_median", "accept\nmedian"),
                col("accept_p90", "accept\np90"),
                col("csat_avg", "CSAT\navg"),
                col("csat_responses", "CSAT\nn"),
                col("recurred", "recurred"),
            ],
            rows: d
                .rows
                .iter()
                .map(|r| {
                    vec![
                        Cell::Text(r.group.clone()),
                        Cell::Int(r.cases),
                        Cell::Int(r.resolved),
                        Cell::Int(r.first_contact),
                        Cell::Pct(r.first_contact_pct()),
                        Cell::Int(r.ever_resolved),
                        Cell::Int(r.reopened),
                        Cell::Pct(r.reopen_pct()),
                        Cell::Int(r.handoffs),
                        Cell::Int(r.accepted.count),
                        Cell::Secs(r.accepted.median),
                        Cell::Secs(r.accepted.p90),
                        Cell::Num(r.csat),
                        Cell::Int(r.csat_responses),
                        Cell::Int(r.recurred),
                    ]
                })
                .collect(),
            chart: None,
        },
        Section {
            key: "tiers",
            title: "Time in tier (business time)".into(),
            columns: vec![
                col("path", "path"),
                col("tier", "tier"),
                col("stints", "stays"),
                col("median", "median"),
                col("p90", "p90"),
                col("now", "there now"),
            ],
            rows: d
                .tiers
                .iter()
                .map(|t| {
                    vec![
                        Cell::Text(t.path.clone()),
                        Cell::Text(t.tier.clone()),
                        Cell::Int(t.time.count),
                        Cell::Secs(t.time.median),
                        Cell::Secs(t.time.p90),
                        Cell::Int(t.now),
                    ]
                })
                .collect(),
            chart: None,
        },
        Section {
            key: "people",
            title: "Per person".into(),
            columns: vec![
                col("person", "person"),
                col("owned", "owned"),
                col("resolved", "resolved"),
                col("handoffs", "handed\nto them"),
                col("accepted", "accepted"),
                col("accept_median", "accept\nmedian"),
                col("swarms", "swarms"),
                col("swarm_actions", "swarm\nactions"),
            ],
            rows: d
                .people
                .iter()
                .map(|p| {
                    vec![
                        Cell::Text(p.person.clone()),
                        Cell::Int(p.owned),
                        Cell::Int(p.resolved),
                        Cell::Int(p.handoffs),
                        Cell::Int(p.accepted.count),
                        Cell::Secs(p.accepted.median),
                        Cell::Int(p.swarms),
                        Cell::Int(p.swarm_actions),
                    ]
                })
                .collect(),
            chart: None,
        },
        Section {
            key: "backlog",
            title: format!("Open backlog at the end of each {}", every.as_str()),
            columns: vec![
                col(every.as_str(), every.as_str()),
                col("from", "from"),
                col("opened", "opened"),
                col("resolved", "resolved"),
                col("open", "open at end"),
            ],
            rows: d
                .backlog
                .iter()
                .map(|b| {
                    vec![
                        Cell::Text(b.period.clone()),
                        Cell::Date(b.start),
                        Cell::Int(b.opened),
                        Cell::Int(b.resolved),
                        Cell::Int(b.open),
                    ]
                })
                .collect(),
            chart: Some(Chart {
                series: vec![(4, '█')],
            }),
        },
        Section {
            key: "comments",
            title: "CSAT comments (lowest first)".into(),
            columns: vec![
                col("case", "case"),
                col("date", "date"),
                col("csat", "CSAT"),
                col("owner", "owner"),
                col("comment", "comment"),
            ],
            rows: d
                .comments
                .iter()
                .map(|c| {
                    vec![
                        Cell::Text(c.case.clone()),
                        date(c.at),
                        Cell::Score(c.csat),
                        Cell::Text(c.owner.clone()),
                        Cell::Text(c.comment.clone()),
                    ]
                })
                .collect(),
            chart: None,
        },
        Section {
            key: "recurrences",
            title: "Recurred root causes (the earlier review's actions were all done)".into(),
            columns: vec![
                col("case", "case"),
                col("opened", "opened"),
                col("root_cause", "root cause"),
                col("earlier", "earlier case"),
                col("actions_done", "actions done"),
            ],
            rows: d
                .recurrences
                .iter()
                .map(|r| {
                    vec![
                        Cell::Text(r.case.clone()),
                        date(r.opened_at),
                        Cell::Text(r.root_cause.clone()),
                        Cell::Text(r.earlier.clone()),
                        date(r.done_at),
                    ]
                })
                .collect(),
            chart: None,
        },
    ]
}

/// The cases a report covers: opened at or after `since` and before `until`.
pub fn select(
    cases: &[Case],
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> Vec<&Case> {
    cases
        .iter()
        .filter(|c| since.is_none_or(|s| c.opened_at >= s) && until.is_none_or(|u| c.opened_at < u))
        .collect()
}

/// Build a report. `cases` are every case of the ledger as of `now`, each with at least its
/// opened, escalated, de-escalated, resolved, SLA warning and trigger events; `trails`, for
/// the desk report, their steps ([`desk::Trails`]; other reports read none).
pub fn build(
    kind: Kind,
    policy: &Policy,
    cases: &[Case],
    trails: &desk::Trails,
    opts: &Options,
    now: DateTime<Utc>,
) -> Report {
    let selected = select(cases, opts.since, opts.until);
    let by = opts.by;
    let mut report = Report {
        kind,
        now,
        since: opts.since,
        until: opts.until,
        by,
        cases: selected.len(),
        sections: Vec::new(),
        notes: Vec::new(),
    };
    let group_col = || match by {
        Some(b) => col(b.as_str(), b.as_str()),
        None => col("group", "group"),
    };
    match kind {
        // Breaches are a view of the clocks now, built by `esc report breaches` itself.
        Kind::Breaches => {}
        Kind::Sla => {
            let rows = metrics::sla(policy, &selected, by, now);
            let mut columns = vec![group_col(), col("cases", "cases")];
            columns.extend([
                detail("response_met"),
                detail("response_breached"),
                col("response_pct", "response\nmet %"),
                detail("resolution_met"),
                detail("resolution_breached"),
                col("resolution_pct", "resolution\nmet %"),
                col("mtta_median", "MTTA\nmedian"),
                col("mtta_p90", "MTTA\np90"),
                col("mtta_business_median", "MTTA median\nbusiness"),
                col("mtta_business_p90", "MTTA p90\nbusiness"),
                col("mttr_median", "MTTR\nmedian"),
                col("mttr_p90", "MTTR\np90"),
                col("mttr_business_median", "MTTR median\nbusiness"),
                col("mttr_business_p90", "MTTR p90\nbusiness"),
            ]);
            let rows = rows
                .iter()
                .map(|r| {
                    vec![
                        Cell::Text(r.group.clone()),
                        Cell::Int(r.cases),
                        Cell::Int(r.response_met),
                        Cell::Int(r.response_breached),
                        Cell::Pct(r.response_pct()),
                        Cell::Int(r.resolution_met),
                        Cell::Int(r.resolution_breached),
                        Cell::Pct(r.resolution_pct()),
                        Cell::Secs(r.mtta.median),
                        Cell::Secs(r.mtta.p90),
                        Cell::Secs(r.mtta_business.median),
                        Cell::Secs(r.mtta_business.p90),
                        Cell::Secs(r.mttr.median),
                        Cell::Secs(r.mttr.p90),
                        Cell::Secs(r.mttr_business.median),
                        Cell::Secs(r.mttr_business.p90),
                    ]
                })
                .collect();
            report.sections.push(Section {
                key: "groups",
                title: "SLA compliance, MTTA and MTTR".into(),
                columns,
                rows,
                chart: None,
            });
            report.notes.push(
                "compliance counts targets met or breached (not those still running); MTTA: opened → acknowledged, MTTR: opened → resolved; business time is open time on the severity's calendar; median and p90 are nearest-rank".into(),
            );
        }
        Kind::Trends => {
            let weeks = metrics::trends(policy, cases, opts.since, opts.until, now);
            let rows = weeks
                .iter()
                .map(|w| {
                    vec![
                        Cell::Text(w.week.clone()),
                        Cell::Date(w.start),
                        Cell::Int(w.opened),
                        Cell::Int(w.escalated),
                        Cell::Int(w.breached),
                        Cell::Int(w.resolved),
                    ]
                })
                .collect();
            report.sections.push(Section {
                key: "weeks",
                title: "Week by week".into(),
                columns: vec![
                    col("week", "week"),
                    col("monday", "from"),
                    col("opened", "opened"),
                    col("escalated", "escalated"),
                    col("breached", "breached"),
                    col("resolved", "resolved"),
                ],
                rows,
                chart: Some(Chart {
                    series: vec![(2, '█'), (5, '░')],
                }),
            });
            report.notes.push(
                "ISO weeks in the policy's time zone; chart: █ opened, ░ resolved; breached counts response and resolution targets missed, in the week they fell due".into(),
            );
        }
        Kind::Reviews => {
            let r = metrics::reviews(policy, &selected, by, now);
            let rows = r
                .rows
                .iter()
                .map(|x| {
                    vec![
                        Cell::Text(x.group.clone()),
                        Cell::Int(x.required),
                        Cell::Int(x.recorded),
                        Cell::Int(x.waived),
                        Cell::Int(x.waiting),
                        Cell::Int(x.pending),
                        Cell::Int(x.overdue),
                        Cell::Int(x.actions),
                        Cell::Int(x.actions_open),
                        Cell::Int(x.actions_late),
                        Cell::Int(x.actions_done),
                    ]
                })
                .collect();
            report.sections.push(Section {
                key: "groups",
                title: "Reviews".into(),
                columns: vec![
                    group_col(),
                    col("required", "required"),
                    col("recorded", "recorded"),
                    col("waived", "waived"),
                    col("waiting", "waiting (unresolved)"),
                    col("pending", "pending"),
                    col("overdue", "overdue"),
                    col("actions", "actions"),
                    col("actions_open", "open"),
                    col("actions_late", "late"),
                    col("actions_done", "done"),
                ],
                rows,
                chart: None,
            });
            report.sections.push(Section {
                key: "root_causes",
                title: "Top root causes".into(),
                columns: vec![col("root_cause", "root cause"), col("cases", "cases")],
                rows: r
                    .root_causes
                    .iter()
                    .map(|c| vec![Cell::Text(c.cause.clone()), Cell::Int(c.cases)])
                    .collect(),
                chart: None,
            });
            report.sections.push(Section {
                key: "owners",
                title: "Action items by owner".into(),
                columns: vec![
                    col("owner", "owner"),
                    col("open", "open"),
                    col("late", "late"),
                    col("done", "done"),
                ],
                rows: r
                    .owners
                    .iter()
                    .map(|o| {
                        vec![
                            Cell::Text(o.owner.clone()),
                            Cell::Int(o.open),
                            Cell::Int(o.late),
                            Cell::Int(o.done),
                        ]
                    })
                    .collect(),
                chart: None,
            });
            report.notes.push(format!(
                "pending: resolved, not reviewed, due within {} of the resolution; overdue: past that; late: action items open after their due date; `esc review --pending` lists them",
                render::human_elapsed(policy.review.due)
            ));
        }
        Kind::Triggers => {
            let rows = metrics::triggers(policy, &selected);
            report.sections.push(Section {
                key: "triggers",
                title: "Triggers".into(),
                columns: vec![
                    col("trigger", "trigger"),
                    col("in_policy", "in policy"),
                    col("cases", "cases"),
                    col("fired", "fired"),
                    col("proposed", "proposed"),
                    col("approved", "approved"),
                    col("rejected", "rejected"),
                    col("pending", "pending"),
                    col("escalations", "escalations"),
                    col("deescalated", "later de-escalated"),
                    col("deescalated_pct", "de-escalated %"),
                ],
                rows: rows
                    .iter()
                    .map(|t| {
                        vec![
                            Cell::Text(t.trigger.clone()),
                            Cell::Bool(t.in_policy),
                            Cell::Int(t.cases),
                            Cell::Int(t.fired),
                            Cell::Int(t.proposed),
                            Cell::Int(t.approved),
                            Cell::Int(t.rejected),
                            Cell::Int(t.pending),
                            Cell::Int(t.escalations),
                            Cell::Int(t.deescalated),
                            Cell::Pct(metrics::pct(t.deescalated, t.escalations)),
                        ]
                    })
                    .collect(),
                chart: None,
            });
            report.notes.push(
                "fired: actions taken (directly, or a proposal approved); later de-escalated: the next move on that path was a de-escalation — a likely false positive".into(),
            );
        }
        Kind::Escalations => {
            let e = metrics::escalations(policy, &selected, by, opts.window, now);
            report.sections.push(Section {
                key: "tiers",
                title: "Escalation rate per tier".into(),
                columns: vec![
                    col("path", "path"),
                    col("tier", "tier"),
                    col("reached", "cases reached"),
                    col("escalated", "escalated from"),
                    col("rate_pct", "rate %"),
                    col("automatic", "by sweep"),
                ],
                rows: e
                    .tiers
                    .iter()
                    .map(|t| {
                        vec![
                            Cell::Text(t.path.clone()),
                            Cell::Text(t.tier.clone()),
                            Cell::Int(t.reached),
                            Cell::Int(t.escalated),
                            Cell::Pct(t.rate()),
                            Cell::Int(t.automatic),
                        ]
                    })
                    .collect(),
                chart: None,
            });
            report.sections.push(Section {
                key: "groups",
                title: "Escalations".into(),
                columns: vec![
                    group_col(),
                    col("cases", "cases"),
                    col("escalated", "escalated"),
                    col("rate_pct", "rate %"),
                    col("repeat", "repeat"),
                    col("prevented", "prevented"),
                    col("swarm_resolved", "swarm resolved"),
                    col("swarm_mttr_median", "swarm MTTR median"),
                    col("tiered_resolved", "tiered resolved"),
                    col("tiered_mttr_median", "tiered MTTR median"),
                    col("csat_avg", "CSAT avg"),
                    col("csat_responses", "CSAT n"),
                ],
                rows: e
                    .rows
                    .iter()
                    .map(|r| {
                        vec![
                            Cell::Text(r.group.clone()),
                            Cell::Int(r.cases),
                            Cell::Int(r.escalated),
                            Cell::Pct(r.rate()),
                            Cell::Int(r.repeat),
                            Cell::Int(r.prevented),
                            Cell::Int(r.swarm_mttr.count),
                            Cell::Secs(r.swarm_mttr.median),
                            Cell::Int(r.tiered_mttr.count),
                            Cell::Secs(r.tiered_mttr.median),
                            Cell::Num(r.csat),
                            Cell::Int(r.csat_responses),
                        ]
                    })
                    .collect(),
                chart: None,
            });
            report.sections.push(Section {
                key: "repeats",
                title: format!(
                    "Repeat escalations (same account and type within {})",
                    render::human_elapsed(opts.window)
                ),
                columns: vec![
                    col("account", "account"),
                    col("type", "type"),
                    col("escalated", "escalated cases"),
                    col("repeats", "repeats"),
                ],
                rows: e
                    .repeats
                    .iter()
                    .map(|r| {
                        vec![
                            Cell::Text(r.account.clone()),
                            Cell::Text(r.case_type.clone()),
                            Cell::Int(r.escalated),
                            Cell::Int(r.repeats),
                        ]
                    })
                    .collect(),
                chart: None,
            });
            report.notes.push(
                "prevented: an SLA warning was raised and the case was then resolved without another escalation on its home path and before that clock breached; tiered: escalated at least once, never swarmed".into(),
            );
        }
        Kind::Desk => {
            let span = desk::Span {
                since: opts.since,
                until: opts.until,
                every: opts.every,
            };
            let d = desk::desk(policy, cases, trails, &selected, by, span, now);
            report.sections = desk_sections(&d, group_col(), opts.every, policy);
            report.notes.push(
                "first contact: resolved without an escalation, a reassignment or a reopening; reopen rate: of the cases ever resolved; durations are business time on the case's calendar; accepted: the new owner's first action after a handoff; recurred: the root cause matches an earlier review whose action items were all done; median and p90 are nearest-rank".into(),
            );
        }
    }
    if by == Some(GroupBy::Label) {
        report.notes.push(
            "by label: a case with two labels counts in both groups; `all` counts it once".into(),
        );
    }
    report
}
