//! Realistic ledgers of any size, written directly (not by running `esc`), shared by
//! `examples/gen_ledger.rs` and the benchmark harness `bench/main.rs`.
//!
//! Every case is simulated on its own through the real state machine
//! ([`esc::case::transition::open`] and [`esc::case::transition::decide`]) and folded with
//! [`esc::case::Case::apply`], so each event is one `esc` would have accepted at its time, with
//! owners from [`esc::case::transition::tier_owner`]. The cases' event lists are then merged
//! by time, numbered with a gap-free `seq` from 1 and written as the ledger's JSON Lines.
//!
//! Same policy, options and seed give a byte-identical file.

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc, Weekday,
};
use chrono_tz::Tz;
use esc::case::transition::{self, OpenRequest, Request};
use esc::case::{Case, Event, NewEvent, Record};
use esc::policy::Policy;
use std::fs::{self, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    /// Number of cases, ESC-1 … ESC-N.
    pub cases: u64,
    pub seed: u64,
    /// The first day cases are opened on (its local date in the policy's time zone).
    pub start: DateTime<Utc>,
    /// Share of cases left unresolved (open, acknowledged or paused).
    pub open_share: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            cases: 1000,
            seed: 1,
            start: "2026-01-05T08:00:00Z".parse().expect("valid default start"),
            open_share: 0.3,
        }
    }
}

/// What was generated.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    /// Every event in ledger order, `seq` 1, 2, 3…
    pub records: Vec<Record>,
    /// Cases never acknowledged (`esc ack` accepts them), in case order.
    pub unacknowledged: Vec<String>,
    /// Cases left open, acknowledged or paused.
    pub unresolved: u64,
    /// Moves the state machine refused (a policy the simulation does not fit); 0 normally.
    pub refused: u64,
}

impl Ledger {
    /// The time of the last event, if any.
    pub fn last_at(&self) -> Option<DateTime<Utc>> {
        self.records.last().map(|r| r.at)
    }
}

/// A small deterministic PRNG (SplitMix64): the same seed gives the same ledger everywhere.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub fn u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.u64() >> 32) * n) >> 32
    }

    /// Uniform in `[0, 1)`.
    pub fn f64(&mut self) -> f64 {
        (self.u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f64()
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Index drawn with the given weights.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut x = self.below(total.max(1));
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        weights.len() - 1
    }
}

const CHANNELS: [&str; 6] = ["email", "email", "phone", "chat", "web", "monitoring"];
const LABELS: [&str; 10] = [
    "vip",
    "regression",
    "data",
    "login",
    "billing",
    "performance",
    "mobile",
    "api",
    "export",
    "security",
];
const SUBJECTS: [&str; 16] = [
    "Dashboard export fails",
    "Cannot log in after password reset",
    "Invoice shows the wrong amount",
    "API returns 502 intermittently",
    "Report totals do not match the source",
    "Scheduled email not delivered",
    "Slow page loads in the EU region",
    "User cannot be invited to the workspace",
    "Webhook retries flood our endpoint",
    "SSO certificate expired",
    "Charts blank on Safari",
    "Duplicate charge on card",
    "Data import stuck at 99%",
    "Mobile app crashes on launch",
    "Permissions lost after plan change",
    "Audit log missing entries",
];
const NOTES: [&str; 8] = [
    "Asked the customer for a HAR file and the workspace id.",
    "Reproduced on staging with the customer's settings.",
    "Checked the logs around the reported time; nothing obvious yet.",
    "Customer sent screenshots; attached to the ticket.",
    "Linked to a similar case from last month.",
    "Workaround offered: export in two smaller batches.",
    "Waiting on the engineering team's analysis.",
    "Customer confirms the issue affects several users.",
];
const UPDATES: [&str; 6] = [
    "We have reproduced the problem and are working on a fix.",
    "The cause is identified; a fix is being tested.",
    "Still investigating; next update within the agreed cadence.",
    "A workaround is available while we prepare the fix.",
    "The fix is deployed to staging; production rollout is scheduled.",
    "We are monitoring after the change; please tell us if it recurs.",
];
const REASONS: [&str; 5] = [
    "Needs access to production systems beyond this tier",
    "Tier budget running out without a fix",
    "Root cause is in the product, not configuration",
    "Customer impact is growing",
    "Requires a decision above this tier's authority",
];
const SUMMARIES: [&str; 4] = [
    "Customer reports the failure since yesterday; reproducible; several users affected.",
    "Intermittent errors, correlated with peak load; logs attached.",
    "Configuration verified as correct; behaviour contradicts documentation.",
    "Data mismatch confirmed on two reports; exports attached.",
];
const TRIED: [&str; 4] = [
    "Cleared caches, re-ran the job, checked the account settings.",
    "Restarted the integration and rotated the credentials.",
    "Followed the runbook up to step 4; no change.",
    "Reproduced on a fresh workspace; same result.",
];
const RESOLUTIONS: [&str; 6] = [
    "Fixed in release 4.12; verified with the customer.",
    "Configuration corrected on the customer's workspace.",
    "Credit note issued and invoice corrected.",
    "Hotfix deployed; error rate back to normal.",
    "Explained the intended behaviour; documentation updated.",
    "Data re-imported; totals now match.",
];
const ROOT_CAUSES: [&str; 4] = [
    "A missing index made the export query time out.",
    "Expired certificate not covered by monitoring.",
    "Race condition in the retry logic.",
    "Rounding applied twice in the invoice template.",
];
const PAUSES: [&str; 3] = [
    "Waiting on the customer for logs",
    "Customer on holiday until next week",
    "Waiting on a third-party vendor",
];
const COMMENTS: [&str; 4] = [
    "Thanks, all working now.",
    "Took longer than hoped but solved.",
    "Great help from the engineer.",
    "Please keep us informed earlier next time.",
];

/// Names drawn from the policy once.
struct Vocabulary {
    severity_weights: Vec<u32>,
    type_weights: Vec<u32>,
    policy_accounts: Vec<String>,
    labels: Vec<String>,
    /// Another path than the default one, for management escalations.
    other_path: Option<String>,
    default_path_tiers: usize,
    /// The policy's time zone: business hours are local to it.
    tz: Tz,
}

impl Vocabulary {
    fn of(policy: &Policy) -> Vocabulary {
        let n = policy.severities.len() as u32;
        // Most severe first by convention: the least severe is the most common.
        let severity_weights = (0..n).map(|i| 1 + 3 * i).collect();
        let t = policy.types.len() as u32;
        let type_weights = (0..t).map(|i| t - i).collect();
        let mut labels: Vec<String> = LABELS.iter().map(|s| s.to_string()).collect();
        for trigger in &policy.triggers {
            for l in trigger.when.labels.iter().chain(&trigger.then.label) {
                if !labels.contains(l) {
                    labels.push(l.clone());
                }
            }
        }
        Vocabulary {
            severity_weights,
            type_weights,
            policy_accounts: policy.accounts.keys().cloned().collect(),
            labels,
            other_path: policy
                .paths
                .iter()
                .find(|p| p.name != policy.defaults.path && !p.tiers.is_empty())
                .map(|p| p.name.clone()),
            default_path_tiers: policy
                .path(&policy.defaults.path)
                .map_or(0, |p| p.tiers.len()),
            tz: policy.defaults.timezone,
        }
    }
}

/// Generate the ledger's events in memory.
pub fn generate(policy: &Policy, opts: &Options) -> Ledger {
    let mut rng = Rng::new(opts.seed);
    let vocab = Vocabulary::of(policy);
    let tz: Tz = policy.defaults.timezone;
    let first_day = opts.start.with_timezone(&tz).date_naive();
    // About 300 cases a calendar day (a busy desk), over two weeks at least.
    let span_days = (opts.cases.div_ceil(300)).max(14) as i64;

    // Opening times first, sorted, so that ESC-n increases with time as in a real ledger.
    let mut openings: Vec<(DateTime<Utc>, usize)> = (0..opts.cases)
        .map(|_| {
            let sev = rng.weighted(&vocab.severity_weights);
            let around_the_clock = sev == 0 && rng.chance(0.3);
            let at = loop {
                let at = opening_time(&mut rng, tz, first_day, span_days, around_the_clock);
                if at >= opts.start {
                    break at;
                }
            };
            (at, sev)
        })
        .collect();
    openings.sort();

    let mut out = Ledger::default();
    // (at, case number, index in case) → the record; sorted below.
    let mut keyed: Vec<(DateTime<Utc>, u64, u32, Record)> =
        Vec::with_capacity(opts.cases as usize * 11);
    for (i, (at, sev)) in openings.into_iter().enumerate() {
        let n = i as u64 + 1;
        let sim = simulate(policy, &vocab, &mut rng, opts, n, at, sev);
        out.refused += sim.refused;
        if sim.case.acknowledged_at.is_none() && sim.case.is_active() {
            out.unacknowledged.push(sim.case.id.to_string());
        }
        if sim.case.is_active() {
            out.unresolved += 1;
        }
        for (k, r) in sim.records.into_iter().enumerate() {
            keyed.push((r.at, n, k as u32, r));
        }
    }
    keyed.sort_unstable_by_key(|k| (k.0, k.1, k.2));
    out.records = keyed
        .into_iter()
        .zip(1..)
        .map(|((_, _, _, mut r), seq)| {
            r.seq = seq;
            r
        })
        .collect();
    out
}

/// A time during business hours (08:00–18:00 local, Monday–Friday), or at any hour.
fn opening_time(
    rng: &mut Rng,
    tz: Tz,
    first_day: NaiveDate,
    span_days: i64,
    any_hour: bool,
) -> DateTime<Utc> {
    loop {
        let day = first_day + Duration::days(rng.below(span_days as u64) as i64);
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        if weekend && !any_hour {
            continue;
        }
        let minute = if any_hour {
            rng.below(24 * 60)
        } else {
            8 * 60 + rng.below(10 * 60)
        };
        let secs = (minute * 60 + rng.below(60)) as u32;
        let time = NaiveTime::from_num_seconds_from_midnight_opt(secs, 0).unwrap_or_default();
        if let Some(local) = tz.from_local_datetime(&day.and_time(time)).earliest() {
            return local.with_timezone(&Utc);
        }
    }
}

/// One case's simulation: its events in order, checked by the state machine.
struct Sim<'p> {
    policy: &'p Policy,
    case: Case,
    records: Vec<Record>,
    now: DateTime<Utc>,
    refused: u64,
    /// People work this case during business hours only (in this time zone), or around the
    /// clock (`None`).
    office: Option<Tz>,
}

/// Business hours of the simulation: Monday to Friday, 08:00–18:00 local.
const OFFICE_OPENS: u32 = 8 * 3600;
const OFFICE_CLOSES: u32 = 18 * 3600;

impl Sim<'_> {
    /// Move the clock on by `minutes` of working time (at least one second, plus some seconds):
    /// elapsed time around the clock, else time within business hours.
    fn wait(&mut self, rng: &mut Rng, minutes: f64) {
        let secs = (minutes.max(0.0) * 60.0) as i64 + 1 + rng.below(59) as i64;
        self.now = match self.office {
            None => self.now + Duration::seconds(secs),
            Some(tz) => office_add(tz, self.now, secs),
        };
    }

    /// Ask the state machine for `req` now, acting as `actor` (the owner if `None`); records
    /// the events if it accepts. Returns whether it did.
    fn act(&mut self, req: Request, actor: Option<&str>) -> bool {
        match transition::decide(self.policy, &self.case, &req, self.now) {
            Ok(mut events) => {
                // The notifications a real command queues with them.
                let notices =
                    esc::notify::compose::for_events(self.policy, &self.case, &events, self.now)
                        .unwrap_or_default();
                events.extend(notices);
                let actor = actor.unwrap_or(&self.case.owner).to_string();
                for event in events {
                    let record = NewEvent {
                        policy: None,
                        at: self.now,
                        actor: actor.clone(),
                        case: self.case.id.to_string(),
                        event,
                    }
                    .into_record(0);
                    self.case
                        .apply(record.clone(), false)
                        .expect("a decided event folds");
                    self.records.push(record);
                }
                true
            }
            Err(_) => {
                self.refused += 1;
                false
            }
        }
    }
}

/// `t` plus `secs` seconds counted only during business hours (a `t` outside them starts at
/// the next opening).
fn office_add(tz: Tz, t: DateTime<Utc>, mut secs: i64) -> DateTime<Utc> {
    let mut local = t.with_timezone(&tz).naive_local();
    loop {
        let weekend = matches!(local.weekday(), Weekday::Sat | Weekday::Sun);
        let s = local.time().num_seconds_from_midnight();
        if weekend || s >= OFFICE_CLOSES {
            local = (local.date() + Duration::days(1)).and_time(NaiveTime::MIN)
                + Duration::seconds(i64::from(OFFICE_OPENS));
            continue;
        }
        if s < OFFICE_OPENS {
            local += Duration::seconds(i64::from(OFFICE_OPENS - s));
            continue;
        }
        let left = i64::from(OFFICE_CLOSES - s);
        if secs < left {
            local += Duration::seconds(secs);
            break;
        }
        secs -= left;
        local += Duration::seconds(left);
    }
    let back = tz
        .from_local_datetime(&local)
        .earliest()
        .map_or(t, |l| l.with_timezone(&Utc));
    // A clock change never moves the case back in time.
    back.max(t + Duration::seconds(1))
}

fn text(rng: &mut Rng, pool: &[&str]) -> String {
    rng.pick(pool).to_string()
}

fn minutes(d: chrono::TimeDelta) -> f64 {
    d.num_seconds() as f64 / 60.0
}

#[derive(Clone, Copy)]
enum Work {
    Note,
    Update,
    Escalate,
    Manage,
    Pause,
    Assign,
}

fn simulate<'p>(
    policy: &'p Policy,
    vocab: &Vocabulary,
    rng: &mut Rng,
    opts: &Options,
    n: u64,
    opened_at: DateTime<Utc>,
    sev: usize,
) -> Sim<'p> {
    let severity = &policy.severities[sev];
    let case_type = policy.types[rng.weighted(&vocab.type_weights)].clone();
    let account = match rng.below(10) {
        0 => None,
        1 | 2 if !vocab.policy_accounts.is_empty() => {
            Some(rng.pick(&vocab.policy_accounts).clone())
        }
        _ => Some(format!("acct-{:03}", rng.below(400))),
    };
    let mut labels = Vec::new();
    for _ in 0..rng.weighted(&[50, 35, 15]) {
        let l = rng.pick(&vocab.labels).clone();
        if !labels.contains(&l) {
            labels.push(l);
        }
    }
    let subject = *rng.pick(&SUBJECTS);
    let title = match &account {
        Some(a) => format!("{subject} ({a})"),
        None => subject.to_string(),
    };
    let req = OpenRequest {
        title,
        severity: Some(severity.id.clone()),
        case_type: Some(case_type),
        account,
        reporter: Some(format!(
            "user{}@customer{}.example",
            rng.below(50),
            rng.below(400)
        )),
        channel: Some(rng.pick(&CHANNELS).to_string()),
        labels,
        description: rng
            .chance(0.4)
            .then(|| format!("{subject}. Reported via the portal; steps to reproduce attached.")),
        dedup_key: None,
    };
    let event = transition::open(policy, &req, opened_at).expect("the policy opens cases");
    let Event::Opened { owner, .. } = &event else {
        unreachable!("open gives an opened event")
    };
    let opened = NewEvent {
        policy: None,
        at: opened_at,
        actor: owner.to_string(),
        case: esc::case::id::format(n),
        event,
    }
    .into_record(0);
    let case = Case::fold(vec![opened.clone()])
        .expect("an opened event folds")
        .expect("one case");
    let mut sim = Sim {
        policy,
        case,
        records: vec![opened],
        now: opened_at,
        refused: 0,
        // Cases on a 24x7 calendar are worked around the clock.
        office: match policy.calendar_for(&severity.id).map(|c| &c.hours) {
            Some(esc::policy::Hours::Always) => None,
            _ => Some(vocab.tz),
        },
    };

    let stays_open = rng.chance(opts.open_share);
    let response = minutes(severity.response).max(1.0);
    let resolution = minutes(severity.resolution).max(response * 2.0);

    // Cases left open: a quarter never acknowledged, the rest acknowledged, some paused.
    if stays_open && rng.chance(0.25) {
        if rng.chance(0.3) {
            let m = rng.range(1.0, response);
            sim.wait(rng, m);
            let t = text(rng, &NOTES);
            sim.act(Request::Note { text: t }, None);
        }
        return sim;
    }
    let m = response * rng.range(0.05, 1.3);
    sim.wait(rng, m);
    sim.act(Request::Ack, None);

    // The work: notes, updates, escalations, a pause, now and then a reassignment.
    let mut work: Vec<Work> = Vec::new();
    work.extend(std::iter::repeat_n(
        Work::Note,
        rng.weighted(&[5, 15, 30, 30, 20]),
    ));
    work.extend(std::iter::repeat_n(
        Work::Update,
        1 + rng.weighted(&[15, 25, 30, 20, 10]),
    ));
    let mut steps = 0;
    while steps + 1 < vocab.default_path_tiers && rng.chance(if steps == 0 { 0.35 } else { 0.3 }) {
        steps += 1;
    }
    let mut escalations = vec![Work::Escalate; steps];
    if vocab.other_path.is_some() && rng.chance(if sev == 0 { 0.4 } else { 0.08 }) {
        escalations.push(Work::Manage);
    }
    if rng.chance(0.15) {
        work.push(Work::Pause);
    }
    if rng.chance(0.05) {
        work.push(Work::Assign);
    }
    // Shuffle the other work, then spread the escalations through it in order.
    for i in (1..work.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        work.swap(i, j);
    }
    for e in escalations {
        let at = rng.below(work.len() as u64 + 1) as usize;
        work.insert(at, e);
    }
    let working_time = resolution * rng.range(0.2, 1.4);
    let gap = working_time / (work.len() + 1) as f64;
    let cut = if stays_open {
        rng.below(work.len() as u64 + 1) as usize
    } else {
        work.len()
    };
    for w in &work[..cut] {
        let m = gap * rng.range(0.3, 1.7);
        sim.wait(rng, m);
        let owner = sim.case.owner;
        match w {
            Work::Note => {
                let t = text(rng, &NOTES);
                sim.act(Request::Note { text: t }, None);
            }
            Work::Update => {
                let t = text(rng, &UPDATES);
                let customer = rng.chance(0.5);
                sim.act(
                    Request::Update {
                        text: Some(t),
                        customer,
                        form: Default::default(),
                        eta: None,
                    },
                    None,
                );
            }
            Work::Escalate | Work::Manage => {
                let req = Request::Escalate {
                    reason: Some(text(rng, &REASONS)),
                    summary: Some(text(rng, &SUMMARIES)),
                    tried: Some(text(rng, &TRIED)),
                    path: match w {
                        Work::Manage => vocab.other_path.clone(),
                        _ => None,
                    },
                    to: None,
                };
                sim.act(req, Some(&owner));
            }
            Work::Pause => {
                let reason = text(rng, &PAUSES);
                if sim.act(Request::Pause { reason }, None) {
                    let m = rng.range(30.0, 2.0 * 24.0 * 60.0);
                    sim.wait(rng, m);
                    sim.act(Request::Resume, None);
                }
            }
            Work::Assign => {
                // Handed to a colleague in the role that owns the case's tier.
                let colleagues: Vec<String> = sim
                    .case
                    .tier_on(&sim.case.home_path)
                    .and_then(|t| policy.tier(t))
                    .and_then(|t| policy.roles.get(&t.role))
                    .map(|r| r.members.iter().filter(|m| **m != owner).cloned().collect())
                    .unwrap_or_default();
                if !colleagues.is_empty() {
                    let to = rng.pick(&colleagues).clone();
                    sim.act(Request::Assign { to }, None);
                }
            }
        }
    }
    if stays_open {
        if rng.chance(0.1) {
            sim.wait(rng, gap);
            let reason = text(rng, &PAUSES);
            sim.act(Request::Pause { reason }, None);
        }
        return sim;
    }

    // Resolved, sometimes reopened and resolved again; follow-up; close.
    let rounds = if rng.chance(0.03) { 2 } else { 1 };
    for round in 0..rounds {
        if round > 0 {
            let m = rng.range(60.0, 3.0 * 24.0 * 60.0);
            sim.wait(rng, m);
            let reason = "The customer reports the problem is back".to_string();
            sim.act(Request::Reopen { reason }, None);
            let m = resolution * rng.range(0.1, 0.5);
            sim.wait(rng, m);
            let t = text(rng, &NOTES);
            sim.act(Request::Note { text: t }, None);
        }
        let m = gap * rng.range(0.3, 1.7);
        sim.wait(rng, m);
        let root_cause = rng.chance(0.6).then(|| text(rng, &ROOT_CAUSES));
        let resolution = text(rng, &RESOLUTIONS);
        sim.act(
            Request::Resolve {
                resolution,
                root_cause,
            },
            None,
        );
    }
    if policy.closing.require_followup || rng.chance(0.75) {
        let m = rng.range(60.0, 3.0 * 24.0 * 60.0);
        sim.wait(rng, m);
        let csat = rng
            .chance(0.9)
            .then(|| [1u8, 2, 3, 4, 5][rng.weighted(&[3, 5, 12, 35, 45])]);
        let comment = rng.chance(0.3).then(|| text(rng, &COMMENTS));
        sim.act(Request::Followup { csat, comment }, None);
    }
    if rng.chance(0.95) {
        let m = rng.range(10.0, 2.0 * 24.0 * 60.0);
        sim.wait(rng, m);
        sim.act(
            Request::Close {
                waive_review: None,
                without_followup: None,
            },
            None,
        );
    }
    sim
}

/// Write `records` as a ledger at `path` (replacing any file there, mode 0600), and remove a
/// stale checkpoint `<path>.idx` and case index `<path>.cases` beside it. Returns the file's size in bytes.
pub fn write(path: &Path, records: &[Record]) -> io::Result<u64> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    for ext in [".idx", ".cases"] {
        let mut side = path.as_os_str().to_owned();
        side.push(ext);
        match fs::remove_file(&side) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    let mut w = BufWriter::with_capacity(1 << 20, file);
    w.write_all(b"{\"esc_ledger\":1}\n")?;
    for r in records {
        serde_json::to_writer(&mut w, r)?;
        w.write_all(b"\n")?;
    }
    let file = w.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    file.metadata().map(|m| m.len())
}

/// Read and check a policy file.
pub fn load_policy(path: &Path) -> Result<Policy, String> {
    let text =
        fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    esc::policy::parse(&text).map_err(|problems| {
        format!(
            "the policy {} has {} problem(s); run `esc policy check {}`",
            path.display(),
            problems.len(),
            path.display()
        )
    })
}
