//! Command-line definitions (clap). Doc comments here are the `--help` text; nothing here
//! decides anything — [`crate::app`] resolves these values into settings and runs commands.

use crate::complete::{Kind, case_candidates, policy_candidates, status_candidates};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Escalation management: policies in TOML, cases in an append-only JSON ledger.
#[derive(Debug, Parser)]
#[command(name = "esc", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes. The `ESC_*` variables are read when settings are resolved
/// (not by clap), so a value from the environment never shows in a usage line as if it had
/// to be typed.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Policy file [default: $ESC_POLICY, else .esc/policy.toml here or in a parent, else
    /// the config dir's esc/policy.toml]
    /// (`esc simulate` takes it twice to compare two policies side by side)
    #[arg(long, global = true, value_name = "PATH")]
    pub policy: Vec<PathBuf>,
    /// Ledger file, or a postgres:// URL of a shared ledger [default: $ESC_LEDGER, else
    /// .esc/ledger.jsonl beside a discovered policy, else the data dir's esc/ledger.jsonl]
    #[arg(long, global = true, value_name = "PATH|URL")]
    pub ledger: Option<PathBuf>,
    /// The time every command takes as now [default: $ESC_NOW, else the clock]: RFC 3339,
    /// a date, a local date and time (2026-12-21 09:30), -2h, yesterday 17:00
    #[arg(long, global = true, value_name = "TIME", allow_hyphen_values = true)]
    pub now: Option<String>,
    /// Let --now / ESC_NOW record events more than 5 minutes ahead of this machine's clock
    #[arg(
        long,
        global = true,
        env = "ESC_ALLOW_FUTURE",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub allow_future: bool,
    /// Who is acting [default: $ESC_ACTOR, else the login name]
    #[arg(long, global = true, value_name = "NAME")]
    pub actor: Option<String>,
    /// Machine-readable JSON on stdout
    #[arg(long, global = true)]
    pub json: bool,
    /// Print nothing on success (errors still go to stderr)
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// When to use colour (NO_COLOR is honoured by `auto`)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create DIR/.esc/policy.toml (a commented starter policy) and an empty ledger
    Init {
        /// Directory to set up [default: the current directory]
        dir: Option<PathBuf>,
    },
    #[command(flatten)]
    Case(CaseCommand),
    /// Work with policy files: check, explain, schema
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Work with the ledger itself
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Print shell completions
    Completions {
        /// The shell to complete for
        shell: clap_complete::Shell,
    },
    /// The cron job: check every open case against its SLA clocks and triggers, act, notify
    Sweep {
        /// Print the plan; write nothing and deliver nothing
        #[arg(long = "dry-run")]
        dry_run: bool,
        /// Stop delivering notifications after this long (the rest stay queued)
        #[arg(long = "delivery-budget", value_name = "DUR", default_value = "60s")]
        delivery_budget: String,
    },
    /// Approve a trigger's proposal on a case: its actions are taken
    Approve {
        /// Case id (ESC-7, esc-7 or 7)
        #[arg(add = case_candidates(), value_hint = clap::ValueHint::Other)]
        id: String,
        /// The trigger's name
        trigger: String,
    },
    /// Reject a trigger's proposal on a case
    Reject {
        /// Case id (ESC-7, esc-7 or 7)
        #[arg(add = case_candidates(), value_hint = clap::ValueHint::Other)]
        id: String,
        /// The trigger's name
        trigger: String,
        /// Why the proposal is rejected
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// The notification queue: list it, drop notifications, or retry them now
    Notifications(NotificationsArgs),
    /// Reports
    Report {
        #[command(subcommand)]
        report: ReportCommand,
    },
    /// Record a post-escalation review (flags, --file or $EDITOR), show it, or list those due
    Review(ReviewArgs),
    /// Action items from reviews: list them, or mark one done
    Actions(ActionsArgs),
    /// Cases from monitoring: take one Alertmanager webhook payload or generic event
    #[command(subcommand)]
    Intake(IntakeCommand),
    /// An HTTP receiver for monitoring: POST /v1/alertmanager, POST /v1/events, GET /healthz
    Serve(ServeArgs),
    /// The timeline the policy produces for a hypothetical case; nothing is written
    Simulate(SimulateArgs),
    /// Who is on duty for each role (now or --at a time) and why; or record an override
    Oncall(OncallArgs),
}

/// `esc intake …`.
#[derive(Debug, Subcommand)]
pub enum IntakeCommand {
    /// One Alertmanager webhook payload (format version 4), routed by the policy's [[intake]]
    /// rules: opens, notes, resolves or reopens cases by de-duplication key
    Alertmanager {
        /// The JSON payload ("-": stdin)
        #[arg(default_value = "-")]
        file: PathBuf,
    },
    /// One generic event: {"dedup_key", "action": trigger|acknowledge|resolve, "summary",
    /// "severity", "source", "custom_details"}
    Event {
        /// The JSON event ("-": stdin)
        #[arg(default_value = "-")]
        file: PathBuf,
    },
}

/// `esc serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; anything but loopback needs a token
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:9095")]
    pub listen: String,
    /// The environment variable holding the bearer token that POSTs must carry
    #[arg(
        long = "token-env",
        value_name = "NAME",
        default_value = "ESC_SERVE_TOKEN"
    )]
    pub token_env: String,
    /// Largest request body accepted (bytes; larger gets 413)
    #[arg(long = "max-body", value_name = "BYTES", default_value_t = 1024 * 1024)]
    pub max_body: usize,
    /// How long a request waits for the ledger (busy with a sweep, say) before 503
    #[arg(long = "busy-timeout", value_name = "DUR", default_value = "5s")]
    pub busy_timeout: String,
}

/// `esc oncall`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct OncallArgs {
    #[command(subcommand)]
    pub command: Option<OncallCommand>,
    /// The time to ask about: "YYYY-MM-DD HH:MM" in the policy's time zone, or RFC 3339
    /// [default: now]
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Only this role
    #[arg(long)]
    pub role: Option<String>,
}

/// `esc oncall …`.
#[derive(Debug, Subcommand)]
pub enum OncallCommand {
    /// Put PERSON on duty for ROLE from --from until --to (a swap or a vacation), recorded
    /// in the ledger; owners of new cases and notifications follow it
    Override {
        /// The role
        role: String,
        /// Who is on duty instead
        #[arg(long)]
        person: String,
        /// Start: "YYYY-MM-DD HH:MM" in the policy's time zone, or RFC 3339
        #[arg(long, value_name = "TIME")]
        from: String,
        /// End (exclusive), same forms
        #[arg(long, value_name = "TIME")]
        to: String,
    },
}

/// `esc simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// When the case opens: "YYYY-MM-DD HH:MM" in the policy's time zone, or RFC 3339
    #[arg(long, value_name = "TIME")]
    pub opened: String,
    /// Severity [default: the policy's default]
    #[arg(long)]
    pub severity: Option<String>,
    /// Escalation type [default: the policy's default]
    #[arg(long = "type", value_name = "TYPE")]
    pub case_type: Option<String>,
    /// Account
    #[arg(long)]
    pub account: Option<String>,
    /// A label (repeat for more)
    #[arg(long = "label", value_name = "LABEL")]
    pub labels: Vec<String>,
    /// Intake channel
    #[arg(long)]
    pub channel: Option<String>,
    /// Open this many identical cases at once (a pile-up on one account)
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub cases: u32,
    /// Stop at the resolution (`--resolve`), or this long after the opening
    #[arg(long, value_name = "resolved|DUR", default_value = "14d")]
    pub until: String,
    /// The first response: a time, or +DUR after the opening
    #[arg(long, value_name = "AT")]
    pub ack: Option<String>,
    /// The resolution: a time, or +DUR after the opening
    #[arg(long, value_name = "AT")]
    pub resolve: Option<String>,
    /// Something a person does: "AT ACTION [TEXT]", ACTION one of ack, note, update,
    /// escalate, deescalate, pause, resume, resolve, close, reopen (repeat for more)
    #[arg(long = "event", value_name = "AT ACTION [TEXT]")]
    pub events: Vec<String>,
    /// How often the sweep runs (your cron interval)
    #[arg(long, value_name = "DUR", default_value = "1m")]
    pub every: String,
}

/// `esc report …`.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Breached and at-risk cases now, with how long over or left
    Breaches {
        /// Exit 1 when any case is breached (for CI or monitoring)
        #[arg(long = "fail-if-any")]
        fail_if_any: bool,
        /// Output format (--json is the same as --format json)
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
    },
    /// Response and resolution compliance, MTTA and MTTR (median, p90; wall and business time)
    Sla(ReportArgs),
    /// Opened, escalated, breached and resolved per ISO week, with a bar chart
    Trends(ReportArgs),
    /// Reviews pending and overdue, top root causes, action items open and late
    Reviews(ReportArgs),
    /// Per trigger: fired, proposals approved or rejected, escalations later de-escalated
    Triggers(ReportArgs),
    /// Escalation rate per tier, repeat and prevented escalations, swarm vs tiered MTTR, CSAT
    Escalations {
        #[command(flatten)]
        args: ReportArgs,
        /// Repeat escalations: the same account and type escalated again within this
        #[arg(long, value_name = "DUR", default_value = "7d")]
        window: String,
    },
    /// A service desk's figures: first-contact resolution, reopen rate, time in tier,
    /// handoff acceptance, per person, open backlog, CSAT comments, recurred root causes
    Desk {
        #[command(flatten)]
        args: ReportArgs,
        /// The periods of the open-backlog series
        #[arg(long, value_enum, default_value_t = ReportEvery::Week)]
        every: ReportEvery,
    },
}

/// `esc report desk --every`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportEvery {
    Day,
    Week,
}

/// Options every report takes.
#[derive(Debug, Args, Clone)]
pub struct ReportArgs {
    /// Only cases opened since: a duration back from now (30d, 12w), a date (YYYY-MM-DD, in
    /// the policy's time zone), a local time (2026-12-21 09:30), -2h, yesterday 17:00 or an
    /// RFC 3339 time
    #[arg(long, value_name = "DUR|TIME", allow_hyphen_values = true)]
    pub since: Option<String>,
    /// Only cases opened before (trends: what happened before): the same forms as --since
    #[arg(long, value_name = "DUR|TIME", allow_hyphen_values = true)]
    pub until: Option<String>,
    /// Group the rows by (label: each label of a case, so a case with two labels is in
    /// both groups) [default: severity; trends: week]
    #[arg(long, value_enum)]
    pub by: Option<ReportBy>,
    /// Output format (--json is the same as --format json)
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Print only this section (e.g. root_causes; the JSON keys name them)
    #[arg(long, value_name = "NAME")]
    pub section: Option<String>,
}

/// `esc report --by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportBy {
    Tier,
    Severity,
    Type,
    Account,
    Week,
    /// The case's owner now
    Owner,
    /// Each label of the case (a product area)
    Label,
}

/// `esc report --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
    Csv,
    Md,
}

/// `esc review`.
#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// Case id (ESC-7, esc-7 or 7)
    #[arg(required_unless_present = "pending", add = case_candidates(), value_hint = clap::ValueHint::Other)]
    pub id: Option<String>,
    /// List the reviews due and overdue
    #[arg(long, conflicts_with_all = ["id", "show", "file", "root_cause", "went_well", "improve", "actions"])]
    pub pending: bool,
    /// Print the recorded review as a Markdown post-mortem (the `review` template)
    #[arg(long, visible_alias = "markdown", conflicts_with_all = ["file", "root_cause", "went_well", "improve", "actions"])]
    pub show: bool,
    /// The root cause (systems and processes, not people)
    #[arg(long = "root-cause", value_name = "TEXT")]
    pub root_cause: Option<String>,
    /// What went well
    #[arg(long = "went-well", value_name = "TEXT")]
    pub went_well: Option<String>,
    /// What to improve
    #[arg(long, value_name = "TEXT")]
    pub improve: Option<String>,
    /// An action item: "TEXT|OWNER|YYYY-MM-DD" (repeat for each; OWNER is a person)
    #[arg(long = "action", value_name = "TEXT|OWNER|DATE")]
    pub actions: Vec<String>,
    /// Read the review from a Markdown file in the form the editor shows ("-": stdin)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["root_cause", "went_well", "improve", "actions"])]
    pub file: Option<PathBuf>,
}

/// `esc actions`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ActionsArgs {
    #[command(subcommand)]
    pub command: Option<ActionsCommand>,
    /// Only items not done yet
    #[arg(long)]
    pub open: bool,
    /// Only items past their due date and not done
    #[arg(long)]
    pub late: bool,
    /// Only this person's items
    #[arg(long, value_name = "PERSON")]
    pub owner: Option<String>,
    /// Only this case's items
    #[arg(long, value_name = "ID")]
    pub case: Option<String>,
}

/// `esc actions …`.
#[derive(Debug, Subcommand)]
pub enum ActionsCommand {
    /// Mark an action item done
    Done {
        /// The item id, e.g. ESC-3.1 (case ESC-3, item 1)
        item: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Validate policy files; every problem in every file, with file:line:column
    Check {
        /// Policy files [default: the discovered policy]
        files: Vec<PathBuf>,
        /// Output format
        #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
        format: CheckFormat,
        /// Also check the ledger's cases against the (first) policy: name every case whose
        /// severity, type, tier, path or owner the policy no longer has
        #[arg(long)]
        cases: bool,
    },
    /// The escalation matrix, SLA targets, RACI, roles and triggers as tables
    Explain {
        /// Policy file [default: the discovered policy]
        file: Option<PathBuf>,
    },
    /// Print the JSON Schema of the policy format (for editors)
    Schema,
    /// What changing OLD into NEW does: changes in words; with a ledger (--ledger, or the
    /// discovered one if it exists), the open cases whose deadlines move, whose tier owner
    /// changes, that NEW no longer describes, and the triggers that would fire at once
    Diff {
        /// The policy as it is
        old: PathBuf,
        /// The policy as proposed
        new: PathBuf,
        /// Exit 1 when open cases would be orphaned (for CI on a policy change)
        #[arg(long = "fail-on", value_enum, value_name = "WHAT")]
        fail_on: Option<FailOn>,
    },
    /// The policy versions seen in the ledger, with their first and last use
    Log,
}

/// `esc policy diff --fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Open cases the new policy no longer describes
    Orphaned,
}

/// `esc policy check --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Human,
    Json,
    Github,
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Check the whole ledger: every line parses, seq is gap-free, every case folds
    Verify,
    /// Bring a database ledger's schema up to this esc's version (a file needs nothing)
    Migrate,
    /// Copy a ledger to an empty place: a file into a database or back, exactly
    Copy {
        /// The ledger to copy: a file or a postgres:// URL
        from: PathBuf,
        /// Where to copy it: a file that does not exist yet or a database with no events
        to: PathBuf,
    },
}

/// Commands that work on cases.
#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Open a case at the first tier of the default path
    Open(OpenArgs),
    /// First response: stops the response clock
    Ack {
        /// Case id (ESC-7, esc-7 or 7)
        #[arg(add = case_candidates(), value_hint = clap::ValueHint::Other)]
        id: String,
    },
    /// Give a case a new owner
    Assign {
        /// Case id (ESC-7, esc-7 or 7)
        #[arg(add = case_candidates(), value_hint = clap::ValueHint::Other)]
        id: String,
        /// The new owner (a person in the policy)
        #[arg(long, value_name = "PERSON", add = policy_candidates(Kind::Person), value_hint = clap::ValueHint::Other)]
        to: String,
    },
    /// Add a note to the timeline
    Note {
        /// Case id (ESC-7, esc-7 or 7)
        #[arg(add = case_candidates(), value_hint = clap::ValueHint::Other)]
        id: String,
        /// The note
        text: String,
    },
    /// Record a status update; restarts the update-cadence clock. On a major incident, give
    /// the situation-update form (--status, --impact, --actions, --next)
    Update(UpdateArgs),
    /// Move to the next tier (or --to a tier, if the severity may skip) with a handoff
    Escalate(EscalateArgs),
    /// Move back one tier
    Deescalate {
        /// Case id (ESC-7, esc-7 or 7)
        #[arg(add = case_candidates(), value_hint = clap::ValueHint::Other)]
        id: String,
        /// Why the case goes back
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// Path to step back on [default: the policy's default path]
        #[arg(long, value_name = "PATH", add = policy_candidates(Kind::Path), value_hint = clap::ValueHint::Other)]
        path: Option<String>,
    },
    /// Stop the SLA clocks (e.g. waiting on the customer)
    Pause {
        /// Case id (ESC-7, esc-7 or 7)
        #[arg(add = case_candidates(), value_hint = clap::ValueHint::Other)]
        id: String,
        /// Why the clocks stop (e.g. waiting on the customer)
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Restart the SLA clocks
    Resume {
        /// Case id (ESC-7, esc-7 or 7)
        #[arg(add = case_candidates(), value_hint = clap::ValueHint::Other)]
        id: String,
    },
    /// Mark a case resolved
    Resolve {
        /// Case id (ESC-7, esc-7 or 7)
        #[arg(add = case_candidates(), value_hint = clap::ValueHint::Other)]
        id: String,
        /// What fixed it
        #[arg(long, value_name = "TEXT")]
        resolution: String,
        /// The root cause, if known
        #[arg(long = "root-cause", value_name = "TEXT")]
        root_cause: Option<String>,
    },
    /// Record that the customer confirmed, with satisfaction
    Followup {
        /// Case id (ESC-7, esc-7 or 7)
        #[arg(add = case_candidates(), value_hint = clap::ValueHint::Other)]
        id: String,
        /// Satisfaction from 1 (poor) to 5 (excellent)
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
        csat: Option<u8>,
        /// The customer's words
        #[arg(long, value_name = "TEXT")]
        comment: Option<String>,
        /// Instead of recording the customer's answer, ask them to confirm the resolution
        /// and rate it (a customer notification)
        #[arg(long, conflicts_with_all = ["csat", "comment"])]
        request: bool,
    },
    /// Close a resolved case (its required review and follow-up recorded, or waived by
    /// someone who holds that authority)
    Close {
        /// Case id (ESC-7, esc-7 or 7)
        #[arg(add = case_candidates(), value_hint = clap::ValueHint::Other)]
        id: String,
        /// Close without the review the case requires, for this reason ([authority]
        /// waive_review; counted in `report reviews`)
        #[arg(long = "waive-review", value_name = "REASON")]
        waive_review: Option<String>,
        /// Close without the follow-up the policy requires, for this reason ([authority]
        /// close_without_followup)
        #[arg(long = "without-followup", value_name = "REASON")]
        without_followup: Option<String>,
    },
    /// Reopen a resolved or closed case
    Reopen {
        /// Case id (ESC-7, esc-7 or 7)
        #[arg(add = case_candidates(), value_hint = clap::ValueHint::Other)]
        id: String,
        /// Why the case is reopened
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Turn a case into a swarm, or end its swarm
    Swarm {
        /// Case id (ESC-7, esc-7 or 7)
        #[arg(add = case_candidates(), value_hint = clap::ValueHint::Other)]
        id: String,
        /// Members: roles (their on-duty member joins) or people
        #[arg(long = "with", num_args = 1.., value_name = "WHO")]
        with: Vec<String>,
        /// The facilitator [default: the on-duty member of [swarm] facilitator]
        #[arg(long, value_name = "PERSON", add = policy_candidates(Kind::Person), value_hint = clap::ValueHint::Other)]
        facilitator: Option<String>,
        /// End the running swarm
        #[arg(long, conflicts_with_all = ["with", "facilitator"])]
        end: bool,
        /// Lessons learned (with --end; required if the policy says so)
        #[arg(long, value_name = "TEXT", conflicts_with_all = ["with", "facilitator"])]
        lessons: Option<String>,
    },
    /// Declare a major incident, or stand it down
    Major {
        /// Case id (ESC-7, esc-7 or 7)
        #[arg(add = case_candidates(), value_hint = clap::ValueHint::Other)]
        id: String,
        /// The incident commander
        #[arg(long, value_name = "PERSON", required_unless_present = "stand_down", add = policy_candidates(Kind::Person), value_hint = clap::ValueHint::Other)]
        commander: Option<String>,
        /// Fill an incident role: ROLE=PERSON (repeat for each role)
        #[arg(long = "role", value_name = "ROLE=PERSON")]
        roles: Vec<String>,
        /// End the major incident
        #[arg(long = "stand-down", conflicts_with_all = ["commander", "roles", "bridge", "channel"])]
        stand_down: bool,
        /// The bridge: the URL of the incident call
        #[arg(long, value_name = "URL")]
        bridge: Option<String>,
        /// The incident's chat channel (e.g. #inc-checkout)
        #[arg(long, value_name = "NAME")]
        channel: Option<String>,
    },
    /// Change a case's title, severity, type, account or labels (recorded as an `edited`
    /// event; a new severity re-bases the SLA targets from the original open time)
    Edit(EditArgs),
    /// Where a case stands, in plain words, with the promised times
    Status {
        /// Case id (ESC-7, esc-7 or 7)
        #[arg(add = case_candidates(), value_hint = clap::ValueHint::Other)]
        id: String,
        /// For the customer: no internal tier names
        #[arg(long)]
        customer: bool,
    },
    /// An executive briefing for a customer's case
    Brief {
        /// Case id (ESC-7, esc-7 or 7)
        #[arg(add = case_candidates(), value_hint = clap::ValueHint::Other, required_unless_present = "digest", conflicts_with = "digest")]
        id: Option<String>,
        /// One executive page over every case with a sponsor engaged, a major incident or an
        /// SLA breach that was open in the period
        #[arg(long)]
        digest: bool,
        /// The period of the digest, back from now [default: 7d]
        #[arg(long, value_name = "DURATION", conflicts_with = "id")]
        since: Option<String>,
    },
    /// Everything about a case: levels, owner, RACI, timeline
    Show {
        /// Case id (ESC-7, esc-7 or 7)
        #[arg(add = case_candidates(), value_hint = clap::ValueHint::Other)]
        id: String,
    },
    /// Cases in a table
    List(ListArgs),
    /// Bulk import of existing cases (JSON Lines or CSV)
    Import {
        /// A .jsonl / .json or .csv file
        file: PathBuf,
    },
}

/// `esc open`.
#[derive(Debug, Args)]
pub struct OpenArgs {
    /// One line saying what is wrong
    pub title: String,
    /// Severity, as named in the policy [default: the policy's default severity]
    #[arg(long, value_name = "SEV", add = policy_candidates(Kind::Severity), value_hint = clap::ValueHint::Other)]
    pub severity: Option<String>,
    /// Escalation type, as named in the policy [default: the policy's default type]
    #[arg(long = "type", value_name = "TYPE", add = policy_candidates(Kind::Type), value_hint = clap::ValueHint::Other)]
    pub case_type: Option<String>,
    /// The customer account (key accounts get their policy settings)
    #[arg(long, value_name = "ACCOUNT", add = policy_candidates(Kind::Account), value_hint = clap::ValueHint::Other)]
    pub account: Option<String>,
    /// Who reported it
    #[arg(long, value_name = "NAME")]
    pub reporter: Option<String>,
    /// Intake channel (email, phone, chat, portal, monitoring …)
    #[arg(long, value_name = "CHANNEL")]
    pub channel: Option<String>,
    /// A label (repeat for each)
    #[arg(long = "label", value_name = "LABEL")]
    pub labels: Vec<String>,
    /// Longer description
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// A de-duplication key: while a case opened with this key is unresolved, opening again
    /// records nothing and names that case (monitoring scripts can run `esc open` freely)
    #[arg(long = "dedup-key", value_name = "KEY")]
    pub dedup_key: Option<String>,
}

/// `esc edit`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("change").required(true).multiple(true)
    .args(["title", "severity", "case_type", "account", "label", "unlabel"])))]
pub struct EditArgs {
    /// Case id (ESC-7, esc-7 or 7)
    #[arg(add = case_candidates(), value_hint = clap::ValueHint::Other)]
    pub id: String,
    /// The new title
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    /// The new severity (re-bases the SLA targets from the original open time)
    #[arg(long, value_name = "SEV", add = policy_candidates(Kind::Severity), value_hint = clap::ValueHint::Other)]
    pub severity: Option<String>,
    /// The new escalation type
    #[arg(long = "type", value_name = "TYPE", add = policy_candidates(Kind::Type), value_hint = clap::ValueHint::Other)]
    pub case_type: Option<String>,
    /// The new account
    #[arg(long, value_name = "ACCOUNT", add = policy_candidates(Kind::Account), value_hint = clap::ValueHint::Other)]
    pub account: Option<String>,
    /// Add a label (repeat or separate with commas)
    #[arg(long, value_name = "LABEL", value_delimiter = ',')]
    pub label: Vec<String>,
    /// Remove a label (repeat or separate with commas)
    #[arg(long, value_name = "LABEL", value_delimiter = ',')]
    pub unlabel: Vec<String>,
}

/// `esc update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Case id (ESC-7, esc-7 or 7)
    #[arg(add = case_candidates(), value_hint = clap::ValueHint::Other)]
    pub id: String,
    /// The update (on a major incident: extra notes after the form)
    pub text: Option<String>,
    /// A customer-facing update, sent through the case's channel
    #[arg(long)]
    pub customer: bool,
    /// Situation update: current status
    #[arg(long, value_name = "TEXT")]
    pub status: Option<String>,
    /// Situation update: customer and business impact
    #[arg(long, value_name = "TEXT")]
    pub impact: Option<String>,
    /// Situation update: actions under way
    #[arg(long, value_name = "TEXT")]
    pub actions: Option<String>,
    /// Situation update: when the next update comes
    #[arg(long, value_name = "TEXT")]
    pub next: Option<String>,
    /// With --customer: the time now promised to the customer (RFC 3339, or a duration from
    /// now such as 4h); recorded in the ledger and shown by `esc status --customer`
    #[arg(long, value_name = "TIME", requires = "customer")]
    pub eta: Option<String>,
}

/// `esc notifications`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct NotificationsArgs {
    #[command(subcommand)]
    pub action: Option<NotificationsAction>,
    /// Only notifications in this state
    #[arg(long, value_parser = ["pending", "failed", "delivered", "superseded", "expired", "dropped"])]
    pub state: Option<String>,
    /// Only this case's notifications
    #[arg(long, value_name = "ID", add = case_candidates(), value_hint = clap::ValueHint::Other)]
    pub case: Option<String>,
    /// Only notifications for this audience
    #[arg(long, value_parser = ["internal", "customer"])]
    pub audience: Option<String>,
}

/// `esc notifications drop|retry`.
#[derive(Debug, Subcommand)]
pub enum NotificationsAction {
    /// Drop queued notifications: they end as `dropped` and are never delivered
    Drop {
        /// Notification ids (N-12); with none, --case or --older-than selects
        ids: Vec<String>,
        /// Every undelivered notification of this case
        #[arg(long, value_name = "ID", add = case_candidates(), value_hint = clap::ValueHint::Other)]
        case: Option<String>,
        /// Every undelivered notification that fell due longer ago than this (e.g. 2d)
        #[arg(long = "older-than", value_name = "DUR")]
        older_than: Option<String>,
    },
    /// Deliver undelivered notifications now, ignoring their retry time
    Retry {
        /// Notification ids (N-12); with none, every undelivered one (or those of --case)
        ids: Vec<String>,
        /// Only this case's notifications
        #[arg(long, value_name = "ID", add = case_candidates(), value_hint = clap::ValueHint::Other)]
        case: Option<String>,
    },
}

/// `esc escalate`.
#[derive(Debug, Args)]
pub struct EscalateArgs {
    /// Case id (ESC-7, esc-7 or 7)
    #[arg(add = case_candidates(), value_hint = clap::ValueHint::Other)]
    pub id: String,
    /// Handoff: why the case goes up
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Handoff: what is known so far
    #[arg(long, value_name = "TEXT")]
    pub summary: Option<String>,
    /// Handoff: what has been tried
    #[arg(long, value_name = "TEXT")]
    pub tried: Option<String>,
    /// Path to escalate on [default: the policy's default path]
    #[arg(long, value_name = "PATH", add = policy_candidates(Kind::Path), value_hint = clap::ValueHint::Other)]
    pub path: Option<String>,
    /// Jump to this tier (only if the case's severity has skip_tiers)
    #[arg(long, value_name = "TIER", add = policy_candidates(Kind::Tier), value_hint = clap::ValueHint::Other)]
    pub to: Option<String>,
}

/// `esc list`.
#[derive(Debug, Args, Default)]
pub struct ListArgs {
    /// Only cases in these states: open, acknowledged, paused, resolved, closed, or
    /// unresolved (open, acknowledged or paused); repeat or separate with commas
    #[arg(long, value_name = "STATUS", value_delimiter = ',', add = status_candidates(), value_hint = clap::ValueHint::Other)]
    pub status: Vec<String>,
    /// Only cases of these severities (as named in the policy)
    #[arg(long, value_name = "SEV", value_delimiter = ',', add = policy_candidates(Kind::Severity), value_hint = clap::ValueHint::Other)]
    pub severity: Vec<String>,
    /// Only cases at these tiers on any path
    #[arg(long, value_name = "TIER", value_delimiter = ',', add = policy_candidates(Kind::Tier), value_hint = clap::ValueHint::Other)]
    pub tier: Vec<String>,
    /// Only cases owned by these people
    #[arg(long, value_name = "PERSON", value_delimiter = ',', add = policy_candidates(Kind::Person), value_hint = clap::ValueHint::Other)]
    pub owner: Vec<String>,
    /// Only cases owned by the actor (--actor / ESC_ACTOR / the login name)
    #[arg(long)]
    pub mine: bool,
    /// Only cases of these accounts
    #[arg(long, value_name = "ACCOUNT", value_delimiter = ',', add = policy_candidates(Kind::Account), value_hint = clap::ValueHint::Other)]
    pub account: Vec<String>,
    /// Only cases of these types
    #[arg(long = "type", value_name = "TYPE", value_delimiter = ',', add = policy_candidates(Kind::Type), value_hint = clap::ValueHint::Other)]
    pub case_type: Vec<String>,
    /// Only cases with any of these labels
    #[arg(long, value_name = "LABEL", value_delimiter = ',')]
    pub label: Vec<String>,
    /// Only cases whose title, description, account, reporter or labels contain TEXT
    /// (ignoring case)
    #[arg(long, value_name = "TEXT")]
    pub grep: Option<String>,
    /// Only cases with a breached SLA clock
    #[arg(long)]
    pub breached: bool,
    /// Only cases with a clock due within this duration (e.g. 2h)
    #[arg(long = "due-within", value_name = "DUR")]
    pub due_within: Option<String>,
    /// Include closed cases (hidden by default unless --status closed)
    #[arg(long)]
    pub all: bool,
    /// Output format (--json is the same as --format json)
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

/// `esc list --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ListFormat {
    #[default]
    Table,
    Json,
    Csv,
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Every argument and option of every command has a one-line help.
    #[test]
    fn every_argument_has_help() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if matches!(id, "help" | "version") || arg.is_hide_set() {
                    continue;
                }
                if arg
                    .get_help()
                    .is_none_or(|h| h.to_string().trim().is_empty())
                {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "esc", &mut missing);
        assert!(missing.is_empty(), "arguments without help: {missing:#?}");
    }
}
