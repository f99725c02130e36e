//! The sweep planner: (policy, cases, now) → the actions `esc sweep` must take. Pure.
//!
//! What was already done is read from the cases' own history (warnings and breaches are
//! recorded per clock run, trigger firings per trigger), so planning again after the plan
//! was carried out yields nothing: sweep is idempotent by construction. Actions on one case
//! are planned against a working copy of the case that already includes the earlier actions,
//! so two rules never both move a case from the same tier.

use crate::case::incident::involved;
use crate::case::{Case, Event, Mark, Record};
use crate::notify::compose::{self, Fact, Words};
use crate::policy::{
    Calendar, Conditions, NoticeKind, Policy, SlaCondition, Trigger, TriggerScope,
};
use crate::render::local_time;
use crate::sla::calendar;
use crate::sla::clock::{ClockKind, ClockState, Clocks, clocks};
use chrono::{DateTime, TimeDelta, Utc};
use compact_str::CompactString;
use std::collections::HashMap;

/// What kind of action, with the fields the SPEC's `sweep --json` names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ActionKind {
    Warning {
        clock: ClockKind,
    },
    Breach {
        clock: ClockKind,
    },
    Escalated {
        path: CompactString,
        from: Option<CompactString>,
        to: CompactString,
        by: CompactString,
    },
    Trigger {
        trigger: String,
    },
    Proposed {
        trigger: String,
    },
    /// The time last promised to the customer passed; `by` is the new one.
    PromiseMissed {
        by: DateTime<Utc>,
    },
    /// People were reminded of an overdue review (`item` absent) or a late action item.
    Reminder {
        item: Option<u32>,
    },
}

/// One planned action on one case, with the events that record it (notification included).
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    /// Short ids are kept inline: a catch-up plan holds hundreds of thousands of actions.
    pub case: CompactString,
    /// When it fell due.
    pub due: DateTime<Utc>,
    /// Sort key: `due`, raised to the previous action's on the same case so that a case's
    /// actions keep the order they were planned in (each builds on the one before).
    pub order: DateTime<Utc>,
    pub kind: ActionKind,
    pub events: Vec<Event>,
}

/// An action as it is shown: on which case, when it fell due, and what it is.
#[derive(Debug, Clone, Copy)]
pub struct Action<'a> {
    pub case: &'a str,
    pub due: DateTime<Utc>,
    pub kind: &'a ActionKind,
}

impl Planned {
    /// The action as it is shown.
    pub fn action(&self) -> Action<'_> {
        Action {
            case: &self.case,
            due: self.due,
            kind: &self.kind,
        }
    }
}

/// A plan's actions without their events, 12 bytes each (a [`Planned`] is about 170): a
/// catch-up after a long gap plans hundreds of thousands of them. They are kept case by
/// case, in the order they were planned: each action is when it fell due and its kind, by
/// its place in `kinds`, where each distinct kind is kept once (a catch-up repeats a few: the
/// same warnings, breaches and escalations on case after case). An action's case and its
/// place among the case's actions are where it is kept, and its [`Planned::order`] follows
/// from the dues before it on its case, so neither is stored; the order they are shown in is
/// a merge of the cases' actions ([`Outline::actions`]).
#[derive(Debug, Default)]
pub struct Outline {
    steps: Vec<Step>,
    /// Where each case's actions end in `steps`: the `i`th case's are
    /// `ends[i - 1]..ends[i]` (from 0 for the first).
    ends: Vec<u32>,
    kinds: Vec<ActionKind>,
    known: HashMap<ActionKind, u32>,
    /// The dues a step's nanoseconds cannot hold (before 1677, after 2262, or in a leap
    /// second), by the step's place: none in any ledger of this era.
    odd: HashMap<u32, DateTime<Utc>>,
}

/// An action of an [`Outline`]: when it fell due, as nanoseconds since the epoch in two
/// halves (so that a step is 12 bytes, not the 16 a `DateTime` and a kind would take: 3 MB
/// less over a catch-up of 600,000 actions), and its kind's place in `kinds`.
#[derive(Debug, Clone, Copy)]
struct Step {
    due: [u32; 2],
    kind: u32,
}

impl Step {
    fn nanos(self) -> i64 {
        (i64::from(self.due[0] as i32) << 32) | i64::from(self.due[1])
    }
}

impl Outline {
    /// An outline with room for `actions` actions on `cases` cases, if that much can be had
    /// (pages never written cost no memory; growing by doubling would copy a long plan,
    /// holding both).
    fn with_room(cases: usize, actions: usize) -> Outline {
        let mut outline = Outline::default();
        let _ = outline.steps.try_reserve(actions);
        let _ = outline.ends.try_reserve(cases);
        outline
    }

    /// Adds `p`, an action on the `case`th case (its events are dropped). Cases come in
    /// order ([`plan_each`]'s): an action on an earlier case than the last one's would have
    /// no place; a debug build (the tests) stops there, a release build leaves it out.
    fn push(&mut self, case: usize, p: Planned) {
        debug_assert!(
            case + 1 >= self.ends.len(),
            "an outline's cases come in order: case {case} after {}",
            self.ends.len() - 1
        );
        if case + 1 < self.ends.len() {
            return;
        }
        let next = u32::try_from(self.kinds.len()).unwrap_or(u32::MAX);
        let kind = *self.known.entry(p.kind).or_insert_with_key(|k| {
            self.kinds.push(k.clone());
            next
        });
        self.close(case);
        let at = u32::try_from(self.steps.len()).unwrap_or(u32::MAX);
        let nanos = p
            .due
            .timestamp_nanos_opt()
            .filter(|n| DateTime::from_timestamp_nanos(*n) == p.due)
            .unwrap_or_else(|| {
                self.odd.insert(at, p.due);
                0
            });
        // The high half's bits as they are (its sign comes back in `Step::nanos`).
        let due = [(nanos >> 32) as u32, nanos as u32];
        self.steps.push(Step { due, kind });
        if let Some(end) = self.ends.last_mut() {
            // A plan over more than 2^32 actions cannot be held in memory to begin with.
            *end = u32::try_from(self.steps.len()).unwrap_or(u32::MAX);
        }
    }

    /// Makes room in `ends` up to the `case`th case: the cases since the last one with
    /// actions have none.
    fn close(&mut self, case: usize) {
        let end = self.ends.last().copied().unwrap_or(0);
        while self.ends.len() <= case {
            self.ends.push(end);
        }
    }

    /// When the action at `at` in `steps` fell due.
    fn due(&self, at: usize, step: Step) -> DateTime<Utc> {
        let odd = u32::try_from(at).ok().and_then(|at| self.odd.get(&at));
        odd.copied()
            .unwrap_or_else(|| DateTime::from_timestamp_nanos(step.nanos()))
    }

    /// The places in `steps` of the `case`th case's actions.
    fn of(&self, case: usize) -> std::ops::Range<usize> {
        let end = |i: usize| self.ends.get(i).map_or(0, |&e| e as usize);
        match case.checked_sub(1) {
            Some(before) => end(before)..end(case).max(end(before)),
            None => 0..end(0),
        }
    }

    /// How many actions the `case`th case has.
    fn on(&self, case: usize) -> usize {
        self.of(case).len()
    }

    pub fn len(&self) -> usize {
        self.steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The actions in the order they fell due, ties in the order they were planned (case by
    /// case), shown on `cases` (the cases they were planned on): what a stable sort of the
    /// plan by [`Planned::order`] gives. Each case's actions are in that order already, so
    /// this merges them, holding the next action of each case (a sort would hold every
    /// action's order and case).
    pub fn actions<'a>(&'a self, cases: &'a [Case]) -> impl Iterator<Item = Action<'a>> + 'a {
        let heads = (0..self.ends.len()).filter_map(|i| {
            let places = self.of(i);
            let first = self
                .steps
                .get(places.start)
                .filter(|_| !places.is_empty())?;
            let due = self.due(places.start, *first);
            Some(std::cmp::Reverse((due, u32::try_from(i).ok()?, 0u32)))
        });
        let mut heads: std::collections::BinaryHeap<_> = heads.collect();
        std::iter::from_fn(move || {
            loop {
                let std::cmp::Reverse((order, case, nth)) = heads.pop()?;
                let places = self.of(case as usize);
                let at = places.start + nth as usize;
                let step = *self.steps.get(at)?;
                if let Some(next) = self.steps.get(at + 1).filter(|_| at + 1 < places.end) {
                    // Raised to this one's order, as the plan raised it.
                    let due = self.due(at + 1, *next);
                    heads.push(std::cmp::Reverse((due.max(order), case, nth + 1)));
                }
                let shown = cases
                    .get(case as usize)
                    .zip(self.kinds.get(step.kind as usize));
                if let Some((c, kind)) = shown {
                    return Some(Action {
                        case: &c.id,
                        due: self.due(at, step),
                        kind,
                    });
                }
            }
        })
    }
}

/// A plan for `esc sweep`: whole, with the events of every action, or (a catch-up of more
/// actions than one batch holds) an [`Outline`], whose events [`Planner::batch_events`]
/// makes again a batch of cases at a time (the same function of the same cases, so the
/// same events).
#[derive(Debug)]
pub enum Plan {
    Whole(Vec<Planned>),
    Outline(Outline),
}

impl Plan {
    pub fn len(&self) -> usize {
        match self {
            Plan::Whole(v) => v.len(),
            Plan::Outline(o) => o.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The actions in the order they fell due, shown on `cases` (the cases they were
    /// planned on).
    pub fn actions<'a>(&'a self, cases: &'a [Case]) -> Box<dyn Iterator<Item = Action<'a>> + 'a> {
        match self {
            Plan::Whole(v) => Box::new(v.iter().map(Planned::action)),
            Plan::Outline(o) => Box::new(o.actions(cases)),
        }
    }
}

impl ActionKind {
    /// The SPEC's action name.
    pub fn name(&self) -> &'static str {
        match self {
            ActionKind::Warning { .. } => "warning",
            ActionKind::Breach { .. } => "breach",
            ActionKind::Escalated { .. } => "escalated",
            ActionKind::Trigger { .. } => "trigger",
            ActionKind::Proposed { .. } => "proposed",
            ActionKind::PromiseMissed { .. } => "promise_missed",
            ActionKind::Reminder { .. } => "reminder",
        }
    }
}

/// Actions per case an [`outline`] makes room for at once: a catch-up over a ledger never
/// swept plans about six per case (warnings, breaches, escalations).
const ROOM_PER_CASE: usize = 8;

/// Plan every action due at `now`, in the order they fell due.
pub fn plan(policy: &Policy, cases: &[Case], now: DateTime<Utc>) -> Vec<Planned> {
    let planner = Planner::new(policy, cases, now);
    let mut out: Vec<Planned> = Vec::new();
    for i in 0..cases.len() {
        out.extend(planner.case(i, Words::Render));
    }
    // Stable: per-case order (monotone in `order`) is kept.
    out.sort_by_key(|p| p.order);
    out
}

/// The plan of [`plan`] in its order, without the events (what a dry run shows).
pub fn outline(policy: &Policy, cases: &[Case], now: DateTime<Utc>) -> Outline {
    let mut out = Outline::with_room(cases.len(), cases.len().saturating_mul(ROOM_PER_CASE));
    plan_each(policy, cases, now, |i, p| out.push(i, p));
    out
}

/// [`plan`] while it has at most `max` actions; above that (a catch-up after a long gap)
/// its [`Outline`], whose events are made again a batch at a time, never all at once.
pub fn plan_within(policy: &Policy, cases: &[Case], now: DateTime<Utc>, max: usize) -> Plan {
    let planner = Planner::new(policy, cases, now);
    let mut whole: Vec<Planned> = Vec::new();
    for i in 0..cases.len() {
        for p in planner.case(i, Words::Render) {
            if whole.len() >= max {
                // Too many to hold with their events: outline them all.
                drop(whole);
                return Plan::Outline(outline(policy, cases, now));
            }
            whole.push(p);
        }
    }
    // Stable: per-case order (monotone in `order`) is kept.
    whole.sort_by_key(|p| p.order);
    Plan::Whole(whole)
}

/// The actions of [`plan`], handed to `f` with the place of their case, one case at a time
/// (in case order, not sorted by due), so a caller that only counts them never holds them
/// all. Their notifications have no words ([`Words::Skip`]): everything else is the plan's.
pub fn plan_each(
    policy: &Policy,
    cases: &[Case],
    now: DateTime<Utc>,
    mut f: impl FnMut(usize, Planned),
) {
    let planner = Planner::new(policy, cases, now);
    for i in 0..cases.len() {
        for p in planner.case(i, Words::Skip) {
            f(i, p);
        }
    }
}

/// Plans the actions of a set of cases: every case alone, given what it depends on of the
/// others (the number of open cases per account).
pub struct Planner<'a> {
    policy: &'a Policy,
    cases: &'a [Case],
    now: DateTime<Utc>,
    open_per_account: HashMap<&'a str, u32>,
    /// Account-scoped triggers: which case carries each firing (made when first needed).
    scoped: std::cell::OnceCell<AccountScope>,
}

impl<'a> Planner<'a> {
    pub fn new(policy: &'a Policy, cases: &'a [Case], now: DateTime<Utc>) -> Planner<'a> {
        let mut open_per_account: HashMap<&str, u32> = HashMap::new();
        for c in cases.iter().filter(|c| c.is_active()) {
            if let Some(a) = &c.account {
                *open_per_account.entry(a.as_str()).or_default() += 1;
            }
        }
        Planner {
            policy,
            cases,
            now,
            open_per_account,
            scoped: std::cell::OnceCell::new(),
        }
    }

    /// The actions for `cases[i]`, in the order they fell due (none for a case sweep
    /// leaves alone, or an index out of range); `words` says whether messages are written.
    pub fn case(&self, i: usize, words: Words) -> Vec<Planned> {
        let Some(case) = self.cases.get(i) else {
            return Vec::new();
        };
        if !case.is_active() && !has_status_trigger(self.policy) && !crate::remind::may_need(case) {
            return Vec::new();
        }
        let open_for_account = case
            .account
            .as_deref()
            .and_then(|a| self.open_per_account.get(a))
            .copied()
            .unwrap_or(0);
        let scoped = self.scoped.get_or_init(|| {
            account_scope(self.policy, self.cases, self.now, &self.open_per_account)
        });
        plan_case(self.policy, case, self.now, open_for_account, scoped, words)
    }

    /// The events of `batch` (one of [`batches`] of `plan`), case by case in the batch's
    /// order: taken out of a whole plan, made again case by case for an outline.
    pub fn batch_events(&self, plan: &mut Plan, batch: &Batch) -> Vec<(String, Vec<Event>)> {
        let mut out: Vec<(String, Vec<Event>)> = Vec::new();
        for &i in &batch.places {
            match plan {
                Plan::Whole(actions) => {
                    if let Some(p) = actions.get_mut(i) {
                        out.push((p.case.to_string(), std::mem::take(&mut p.events)));
                    }
                }
                Plan::Outline(_) => {
                    if let Some(case) = self.cases.get(i) {
                        let events = self
                            .case(i, Words::Render)
                            .into_iter()
                            .flat_map(|a| a.events);
                        out.push((case.id.to_string(), events.collect()));
                    }
                }
            }
        }
        out
    }
}

/// One atomic write of a plan: `actions` actions, at `places` — in a whole plan, the
/// actions' places; in an outline, the places of the cases whose actions it writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub actions: usize,
    places: Vec<usize>,
}

/// The plan split into atomic batches for the ledger. A whole plan is one batch, in the
/// order its actions fell due. An outline (a catch-up after a long gap, which records a
/// great many events) is written whole cases at a time, in the order of their ids, about
/// `max` actions per batch (more only when one case alone has more).
pub fn batches(plan: &Plan, cases: &[Case], max: usize) -> Vec<Batch> {
    let outline = match plan {
        Plan::Whole(actions) if actions.is_empty() => return Vec::new(),
        Plan::Whole(actions) => {
            return vec![Batch {
                actions: actions.len(),
                places: (0..actions.len()).collect(),
            }];
        }
        Plan::Outline(outline) => outline,
    };
    let mut acting: Vec<usize> = (0..cases.len()).filter(|&i| outline.on(i) > 0).collect();
    acting.sort_by(|&a, &b| cases[a].id.cmp(&cases[b].id));
    let mut out: Vec<Batch> = Vec::new();
    let mut batch = Batch {
        actions: 0,
        places: Vec::new(),
    };
    for case in acting {
        let n = outline.on(case);
        if !batch.places.is_empty() && batch.actions + n > max {
            out.push(std::mem::replace(
                &mut batch,
                Batch {
                    actions: 0,
                    places: Vec::new(),
                },
            ));
        }
        batch.actions += n;
        batch.places.push(case);
    }
    if !batch.places.is_empty() {
        out.push(batch);
    }
    out
}

/// Account-scoped triggers (`scope = "account"`): per (trigger, account), the cases its
/// conditions hold on, in case order. The first carries the firing or proposal; the map
/// has no entry for an account where the trigger already acted (and is not due again).
pub type AccountScope = HashMap<(String, String), Vec<String>>;

/// Build the [`AccountScope`] of `cases` at `now`.
pub fn account_scope(
    policy: &Policy,
    cases: &[Case],
    now: DateTime<Utc>,
    open_per_account: &HashMap<&str, u32>,
) -> AccountScope {
    let mut out = AccountScope::new();
    let scoped: Vec<&Trigger> = policy
        .triggers
        .iter()
        .filter(|t| t.scope == TriggerScope::Account)
        .collect();
    if scoped.is_empty() {
        return out;
    }
    for t in scoped {
        // Accounts where the trigger already acted: a pending proposal, or a firing or a
        // rejection not yet due to repeat, on any of the account's cases.
        let mut done: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for c in cases {
            let (Some(a), Some(s)) = (&c.account, c.more().triggers.get(&t.name)) else {
                continue;
            };
            let again = match (t.repeat, s.last) {
                (Some(every), Some(last)) => now - last >= every,
                _ => false,
            };
            if s.pending.is_some() || ((s.fired > 0 || s.rejected > 0) && !again) {
                done.insert(a.as_str());
            }
        }
        for c in cases {
            let Some(a) = c.account.as_deref().filter(|a| !done.contains(a)) else {
                continue;
            };
            let n = open_per_account.get(a).copied().unwrap_or(0);
            if conditions_hold(policy, c, &t.when, now, n).is_some() {
                out.entry((t.name.clone(), a.to_string()))
                    .or_default()
                    .push(c.id.to_string());
            }
        }
    }
    out
}

fn has_status_trigger(policy: &Policy) -> bool {
    policy.triggers.iter().any(|t| !t.when.status.is_empty())
}

/// Apply events to the working copy so later rules see them.
fn apply(case: &mut Case, events: &[Event], now: DateTime<Utc>) {
    for e in events {
        let r = Record {
            seq: 0,
            at: now,
            actor: "esc".into(),
            case: case.id.clone(),
            step: e.step(),
            policy: None,
            login: None,
            event: e.clone(),
        };
        // Planned events are legal by construction; a fold error cannot happen here.
        let _ = case.apply(r, false);
    }
}

/// The actions for one case.
pub fn plan_case(
    policy: &Policy,
    original: &Case,
    now: DateTime<Utc>,
    open_for_account: u32,
    scoped: &AccountScope,
    words: Words,
) -> Vec<Planned> {
    let mut case = original.clone();
    case.events.clear();
    let mut out: Vec<Planned> = Vec::new();
    let mut last_due: Option<DateTime<Utc>> = None;
    let mut push = |case: &mut Case, mut p: Planned| {
        // Keep each case's actions in order even if a later one fell due earlier.
        p.order = last_due.map_or(p.due, |d| d.max(p.due));
        last_due = Some(p.order);
        apply(case, &p.events, now);
        out.push(p);
    };
    if case.is_active()
        && let Some(k) = clocks(policy, &case, now)
    {
        for p in clock_actions(policy, &case, &k, now, words) {
            push(&mut case, p);
        }
    }
    for t in &policy.triggers {
        if let Some(p) = trigger_action(policy, &case, t, now, open_for_account, scoped, words) {
            push(&mut case, p);
        }
    }
    if let Some(p) = promise_action(policy, &case, now, words) {
        push(&mut case, p);
    }
    for r in crate::remind::plan(policy, &case, now) {
        let p = Planned {
            case: case.id.clone(),
            due: r.due,
            order: r.due,
            kind: ActionKind::Reminder { item: r.item },
            events: r.events,
        };
        push(&mut case, p);
    }
    out
}

/// A promise to the customer that passed with the case still open: record the miss and the
/// new expected time (always ahead), and tell the customer and the owner.
fn promise_action(
    policy: &Policy,
    case: &Case,
    now: DateTime<Utc>,
    words: Words,
) -> Option<Planned> {
    let missed = crate::case::promise::missed(case, now)?;
    let mut next = crate::case::promise::current(policy, case, now)?;
    next.missed = Some(missed);
    let mut events = vec![Event::PromiseMissed {
        missed,
        by: next.by,
    }];
    let text = format!(
        "the time promised to the customer ({}) passed; new expected time {}",
        local_time(missed, policy.defaults.timezone),
        local_time(next.by, policy.defaults.timezone)
    );
    let notices = told(
        policy,
        case,
        &events,
        NoticeKind::PromiseMissed,
        || text,
        missed,
        now,
        words,
        |f| f.promise = Some(next),
    );
    events.extend(notices);
    Some(Planned {
        case: case.id.clone(),
        order: missed,
        due: missed,
        kind: ActionKind::PromiseMissed { by: next.by },
        events,
    })
}

/// The notifications telling people of a fact: `events` are what the fact records on
/// `before`; `with` adds the fact's particulars. Who is told and in which words is
/// [`compose`]'s to decide.
#[allow(clippy::too_many_arguments)]
fn told(
    policy: &Policy,
    before: &Case,
    events: &[Event],
    kind: NoticeKind,
    text: impl FnOnce() -> String,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
    words: Words,
    with: impl FnOnce(&mut Fact<'_>),
) -> Vec<Event> {
    if words == Words::Skip {
        // Who the customer is does not change with what the sweep records (reporter,
        // account and channel stay), so the case before tells whether there is a customer
        // notice — the one notice later rules see (its promise).
        let mut fact = Fact::new(kind, before, before, String::new(), due);
        with(&mut fact);
        if compose::customer_recipients(policy, &fact).is_empty() {
            return Vec::new();
        }
        let after = compose::after(before, events, now);
        let fact = Fact {
            after: &after,
            ..fact
        };
        return compose::compose_or_builtin(policy, &fact, now, words);
    }
    let after = compose::after(before, events, now);
    let mut fact = Fact::new(kind, before, &after, text(), due);
    with(&mut fact);
    compose::compose_or_builtin(policy, &fact, now, words)
}

fn clock_actions(
    policy: &Policy,
    case: &Case,
    k: &Clocks,
    now: DateTime<Utc>,
    words: Words,
) -> Vec<Planned> {
    let mut out = Vec::new();
    let mut running: Vec<_> = k
        .iter()
        .filter(|c| {
            c.at.is_none()
                && matches!(
                    c.state,
                    ClockState::Warning | ClockState::Breached | ClockState::Paused
                )
        })
        .collect();
    running.sort_by_key(|c| c.warn);
    for c in running {
        let marked = |m: Mark| case.more().marks.contains(&(c.kind, c.started, m));
        if let Some(warn) = c.warn
            && warn <= now
            && !marked(Mark::Warning)
            && !marked(Mark::Breach)
            && c.state != ClockState::Paused
        {
            let msg = || {
                format!(
                    "the {} clock is at {:.0}% of its target, due {}",
                    c.kind.as_str(),
                    policy
                        .severity(&case.severity)
                        .map_or(75.0, |s| s.warn_at * 100.0),
                    c.due
                        .map_or("-".into(), |d| local_time(d, policy.defaults.timezone))
                )
            };
            let mut events = vec![Event::SlaWarning {
                clock: c.kind,
                started: c.started,
                due: warn,
            }];
            let notices = told(
                policy,
                case,
                &events,
                NoticeKind::Warning,
                msg,
                warn,
                now,
                words,
                |f| f.clock = Some(c.kind),
            );
            events.extend(notices);
            out.push(Planned {
                case: case.id.clone(),
                order: warn,
                due: warn,
                kind: ActionKind::Warning { clock: c.kind },
                events,
            });
        }
        let Some(due) = c.due else { continue };
        if c.state != ClockState::Breached || marked(Mark::Breach) {
            continue;
        }
        if c.kind == ClockKind::Tier
            && let Some((from, to)) = step_up(policy, case, &case.home_path)
        {
            let owner = crate::case::transition::tier_owner(policy, &to, now);
            let msg = || {
                format!(
                    "the {} budget ran out; escalated to {} (now {})",
                    from.as_deref().unwrap_or("-"),
                    to,
                    owner
                )
            };
            let mut events = vec![Event::Escalated {
                path: case.home_path.to_string(),
                from: from.clone(),
                to: to.clone(),
                owner: owner.clone(),
                reason: format!(
                    "tier budget ran out (due {})",
                    local_time(due, policy.defaults.timezone)
                ),
                summary: None,
                tried: None,
                by: Some("budget".into()),
                due: Some(due),
            }];
            let notices = told(
                policy,
                case,
                &events,
                NoticeKind::Escalate,
                msg,
                due,
                now,
                words,
                |_| {},
            );
            events.extend(notices);
            out.push(Planned {
                case: case.id.clone(),
                order: due,
                due,
                kind: ActionKind::Escalated {
                    path: case.home_path.into(),
                    from: from.as_deref().map(CompactString::from),
                    to: to.as_str().into(),
                    by: "budget".into(),
                },
                events,
            });
            continue;
        }
        // A breach (at the last tier, a spent budget).
        let msg = || {
            if c.kind == ClockKind::Tier {
                format!(
                    "the budget of {} ran out and it is the last tier of the {} path",
                    case.tier_on(&case.home_path).unwrap_or("-"),
                    case.home_path
                )
            } else {
                format!(
                    "the {} target was breached (due {})",
                    c.kind.as_str(),
                    local_time(due, policy.defaults.timezone)
                )
            }
        };
        let mut events = vec![Event::SlaBreach {
            clock: c.kind,
            started: c.started,
            due,
        }];
        let notices = told(
            policy,
            case,
            &events,
            NoticeKind::Breach,
            msg,
            due,
            now,
            words,
            |f| f.clock = Some(c.kind),
        );
        events.extend(notices);
        out.push(Planned {
            case: case.id.clone(),
            order: due,
            due,
            kind: ActionKind::Breach { clock: c.kind },
            events,
        });
    }
    // In the order they fell due (one clock's breach may come after another's warning).
    out.sort_by_key(|p| p.due);
    out
}

/// The next tier up on a path: (current tier, next tier), or `None` at the top.
pub fn step_up(policy: &Policy, case: &Case, path: &str) -> Option<(Option<String>, String)> {
    let p = policy.path(path)?;
    let current = case.tier_on(path);
    let next = match current {
        None => p.tiers.first()?,
        Some(c) => {
            let i = p.tiers.iter().position(|t| t == c)?;
            p.tiers.get(i + 1)?
        }
    };
    Some((current.map(str::to_string), next.clone()))
}

/// Open time on the case's calendar since `from`, and when `d` of it was used up.
fn held_for(
    cal: Option<&Calendar>,
    from: DateTime<Utc>,
    d: TimeDelta,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let cal = cal?;
    let due = calendar::add_open_time(cal, from, d)?;
    (due <= now).then_some(due)
}

/// The earliest time after `after` at which the planner could have something new to do for
/// these cases, if nothing else happens to them: a clock reaching its warning share or its
/// target, a trigger's time condition coming to hold, a repeating trigger's next turn, a
/// promise to the customer falling due. `None`
/// when no time alone will ever bring new work (every clock stopped or spent). `esc simulate`
/// steps the planner from one such time to the next instead of every minute.
pub fn next_due(policy: &Policy, cases: &[Case], after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut next: Option<DateTime<Utc>> = None;
    let mut consider = |t: Option<DateTime<Utc>>| {
        if let Some(t) = t.filter(|t| *t > after) {
            next = Some(next.map_or(t, |n| n.min(t)));
        }
    };
    for case in cases {
        if !case.is_active() && !has_status_trigger(policy) {
            continue;
        }
        if case.is_active()
            && let Some(k) = clocks(policy, case, after)
        {
            for c in k.iter().filter(|c| c.at.is_none()) {
                consider(c.warn);
                consider(c.due);
            }
        }
        consider(crate::case::promise::due(case));
        let cal = policy.case_calendar(&case.severity, case.account.as_deref());
        let entered = case
            .levels
            .get(&case.home_path)
            .map_or(case.opened_at, |l| l.entered_at);
        let last_update = [
            Some(case.opened_at),
            case.acknowledged_at,
            case.last_update_at,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(case.opened_at);
        let open_after = |from: DateTime<Utc>, d: TimeDelta| {
            cal.and_then(|cal| calendar::add_open_time(cal, from, d))
        };
        for t in &policy.triggers {
            let w = &t.when;
            consider(w.age.and_then(|d| open_after(case.opened_at, d)));
            consider(
                w.unacknowledged_for
                    .and_then(|d| open_after(case.opened_at, d)),
            );
            consider(w.in_tier_for.and_then(|d| open_after(entered, d)));
            consider(w.since_update.and_then(|d| open_after(last_update, d)));
            if let (Some(every), Some(s)) = (t.repeat, case.more().triggers.get(&t.name)) {
                consider(s.last.map(|l| l + every));
            }
        }
    }
    next
}

/// Whether a trigger's conditions hold at `now`, and since when (the latest time condition).
pub fn conditions_hold(
    policy: &Policy,
    case: &Case,
    w: &Conditions,
    now: DateTime<Utc>,
    open_for_account: u32,
) -> Option<DateTime<Utc>> {
    let status_ok = if w.status.is_empty() {
        case.is_active()
    } else {
        w.status.contains(&case.status)
    };
    let account = policy.accounts.get(case.account.as_deref().unwrap_or(""));
    let facts = status_ok
        && (w.severity.is_empty() || w.severity.iter().any(|s| *s == case.severity))
        && (w.case_type.is_empty() || w.case_type.iter().any(|t| *t == case.case_type))
        && (w.tier.is_empty()
            || case
                .levels
                .values()
                .any(|l| w.tier.iter().any(|t| *t == l.tier)))
        && (w.account.is_empty()
            || (case.account.as_deref()).is_some_and(|a| w.account.iter().any(|x| x == a)))
        && w.account_key
            .is_none_or(|k| account.is_some_and(|a| a.key) == k)
        && w.labels.iter().all(|l| case.labels.contains(l))
        && w.reopened.is_none_or(|n| case.reopened >= n)
        && w.escalations.is_none_or(|n| case.escalations >= n)
        && w.open_cases_for_account
            .is_none_or(|n| case.account.is_some() && open_for_account >= n);
    if !facts {
        return None;
    }
    let cal = policy.case_calendar(&case.severity, case.account.as_deref());
    let mut since: Vec<DateTime<Utc>> = Vec::new();
    if let Some(d) = w.age {
        since.push(held_for(cal, case.opened_at, d, now)?);
    }
    if let Some(d) = w.unacknowledged_for {
        if case.acknowledged_at.is_some() {
            return None;
        }
        since.push(held_for(cal, case.opened_at, d, now)?);
    }
    if let Some(d) = w.in_tier_for {
        let entered = case
            .levels
            .get(&case.home_path)
            .map_or(case.opened_at, |l| l.entered_at);
        since.push(held_for(cal, entered, d, now)?);
    }
    if let Some(d) = w.since_update {
        let last = [
            Some(case.opened_at),
            case.acknowledged_at,
            case.last_update_at,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(case.opened_at);
        since.push(held_for(cal, last, d, now)?);
    }
    if let Some(sla) = w.sla {
        let k = clocks(policy, case, now)?;
        let at = match sla {
            SlaCondition::Breached => k
                .iter()
                .filter(|c| c.state == ClockState::Breached)
                .filter_map(|c| c.due)
                .min()?,
            SlaCondition::Warning => k
                .iter()
                .filter(|c| c.state == ClockState::Warning)
                .filter_map(|c| c.warn)
                .min()?,
        };
        since.push(at);
    }
    Some(since.into_iter().max().unwrap_or(now).min(now))
}

/// Whether a trigger does more than notify.
fn has_effects(t: &Trigger) -> bool {
    let a = &t.then;
    a.escalate.is_some()
        || a.to.is_some()
        || a.swarm.is_some()
        || a.major
        || a.sponsor
        || !a.label.is_empty()
}

/// The events a trigger's actions record on a case (without the trigger record itself).
pub fn trigger_events(
    policy: &Policy,
    case: &Case,
    t: &Trigger,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<Event> {
    let mut events: Vec<Event> = Vec::new();
    let a = &t.then;
    let mut work = case.clone();
    let mut escalate = |work: &mut Case, path: &str, to: Option<String>| {
        let step = match &to {
            Some(tier) => {
                let p = policy.path(path);
                let cur = work
                    .tier_on(path)
                    .and_then(|c| p?.tiers.iter().position(|x| x == c));
                let target = p.and_then(|p| p.tiers.iter().position(|x| x == tier));
                match (cur, target) {
                    (Some(c), Some(tg)) if tg <= c => None,
                    (_, Some(_)) => Some((work.tier_on(path).map(str::to_string), tier.clone())),
                    _ => None,
                }
            }
            None => step_up(policy, work, path),
        };
        if let Some((from, to)) = step {
            let e = Event::Escalated {
                path: path.to_string(),
                from,
                owner: crate::case::transition::tier_owner(policy, &to, now),
                to,
                reason: format!("trigger {}", t.name),
                summary: None,
                tried: None,
                by: Some(format!("trigger:{}", t.name)),
                due: Some(due),
            };
            apply(work, std::slice::from_ref(&e), now);
            events.push(e);
        }
    };
    if let Some(path) = &a.escalate {
        escalate(&mut work, path, None);
    }
    if let Some(tier) = &a.to
        && let Some(tt) = policy.tier(tier)
    {
        escalate(&mut work, &tt.path.clone(), Some(tier.clone()));
    }
    if let Some(members) = &a.swarm {
        let with: Vec<String> = members.iter().map(|p| p.as_str().to_string()).collect();
        if let Ok(e) =
            crate::case::incident::start_swarm(policy, &work, &with, None, Some(&t.name), now)
        {
            apply(&mut work, std::slice::from_ref(&e), now);
            events.push(e);
        }
    }
    if a.major
        && let Some(e) = crate::case::incident::automatic_major(policy, &work, &t.name, now)
    {
        apply(&mut work, std::slice::from_ref(&e), now);
        events.push(e);
    }
    if a.sponsor {
        let sponsor = crate::case::incident::sponsors(policy, &work, now);
        if !sponsor.is_empty() && sponsor.iter().any(|p| !work.more().sponsor.contains(p)) {
            events.push(Event::SponsorEngaged {
                sponsor,
                trigger: Some(t.name.clone()),
            });
        }
    }
    let new_labels: Vec<String> = a
        .label
        .iter()
        .filter(|l| !case.labels.contains(l))
        .cloned()
        .collect();
    if !new_labels.is_empty() {
        events.push(Event::Labelled {
            labels: new_labels,
            trigger: Some(t.name.clone()),
        });
    }
    events
}

/// A trigger's actions (fired, or approved) and the notifications: one telling the escalate
/// step's Consulted and Informed, the trigger's `notify` and everyone the actions bring in;
/// and for each escalation it made, the escalation's own (the new owner, the customer …).
fn take_actions(
    policy: &Policy,
    case: &Case,
    t: &Trigger,
    text: String,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
    words: Words,
) -> Vec<Event> {
    let mut events = trigger_events(policy, case, t, due, now);
    let brought = involved(&events);
    let mut notices = told(
        policy,
        case,
        &events,
        NoticeKind::Trigger,
        || text,
        due,
        now,
        words,
        |f| {
            f.also = t.then.notify.clone();
            f.involved = brought;
        },
    );
    let mut work = case.clone();
    work.events.clear();
    for e in &events {
        if let Event::Escalated { path, .. } = e {
            let internal_only = *path != work.home_path;
            notices.extend(told(
                policy,
                &work,
                std::slice::from_ref(e),
                NoticeKind::Escalate,
                || crate::case::describe::event(e),
                due,
                now,
                words,
                |f| f.internal_only = internal_only,
            ));
        }
        work = compose::after(&work, std::slice::from_ref(e), now);
    }
    events.extend(notices);
    events
}

/// `esc approve` / `esc reject`: the events deciding a trigger's pending proposal on a case.
/// Approving takes the trigger's actions as if it had fired; `by` names who decided.
pub fn decide_proposal(
    policy: &Policy,
    case: &Case,
    trigger: &str,
    approve: bool,
    by: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, crate::case::Refusal> {
    use crate::case::Refusal;
    let Some(t) = policy.triggers.iter().find(|t| t.name == trigger) else {
        let names: Vec<&str> = policy.triggers.iter().map(|t| t.name.as_str()).collect();
        return Err(Refusal::Unknown {
            what: "trigger",
            name: trigger.to_string(),
            hint: format!("the policy's triggers are: {}", names.join(", ")),
        });
    };
    let Some(due) = case.more().triggers.get(trigger).and_then(|s| s.pending) else {
        return Err(Refusal::Invalid(format!(
            "{} has no proposal from trigger `{trigger}` waiting for a decision; `esc show {}` lists its timeline",
            case.id, case.id
        )));
    };
    crate::case::transition::not_before_last_event(case, now)?;
    if !approve {
        return Ok(vec![Event::Rejected {
            trigger: trigger.to_string(),
            reason: reason
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_string),
        }]);
    }
    let message = format!(
        "proposal of trigger {} approved by {by}: {}",
        t.name,
        crate::policy::explain::describe_trigger(t)
    );
    let mut events = vec![Event::Approved {
        trigger: trigger.to_string(),
    }];
    events.extend(take_actions(
        policy,
        case,
        t,
        message,
        due,
        now,
        Words::Render,
    ));
    Ok(events)
}

fn trigger_action(
    policy: &Policy,
    case: &Case,
    t: &Trigger,
    now: DateTime<Utc>,
    open_for_account: u32,
    scoped: &AccountScope,
    words: Words,
) -> Option<Planned> {
    // Once per account: only the account's first matching case acts, naming the others.
    let mut others: Vec<String> = Vec::new();
    if t.scope == TriggerScope::Account
        && let Some(account) = &case.account
    {
        let cases = scoped.get(&(t.name.clone(), account.to_string()))?;
        if cases.first().map(String::as_str) != Some(case.id.as_str()) {
            return None;
        }
        others = cases[1..].to_vec();
    }
    let state = case.more().triggers.get(&t.name);
    if let Some(s) = state {
        if s.pending.is_some() {
            return None;
        }
        let done = s.fired > 0 || s.rejected > 0;
        if done {
            let again = match (t.repeat, s.last) {
                (Some(every), Some(last)) => now - last >= every,
                _ => false,
            };
            if !again {
                return None;
            }
        }
    }
    let due = conditions_hold(policy, case, &t.when, now, open_for_account)?;
    // A trigger whose actions would all change nothing (a major incident already declared,
    // the sponsor already engaged, the case already at that tier …) proposes nothing, and
    // fires only if it also notifies (a repeating page goes on); one that only notifies
    // always fires.
    if has_effects(t)
        && (t.then.confirm || t.then.notify.is_empty())
        && trigger_events(policy, case, t, due, now).is_empty()
    {
        return None;
    }
    let mut describe = crate::policy::explain::describe_trigger(t);
    if let Some(account) = case
        .account
        .as_deref()
        .filter(|_| t.scope == TriggerScope::Account)
    {
        let mut all = vec![case.id.to_string()];
        all.extend(others);
        describe = format!("{describe} (for account {account}: {})", all.join(", "));
    }
    if t.then.confirm {
        let mut events = vec![Event::Proposed {
            trigger: t.name.clone(),
            due,
        }];
        let msg = format!(
            "trigger {} proposes: {describe}; decide with `esc approve {} {}` or `esc reject {} {}`",
            t.name, case.id, t.name, case.id, t.name
        );
        let notices = told(
            policy,
            case,
            &events,
            NoticeKind::Proposed,
            || msg,
            due,
            now,
            words,
            |f| f.also = t.then.notify.clone(),
        );
        events.extend(notices);
        return Some(Planned {
            case: case.id.clone(),
            order: due,
            due,
            kind: ActionKind::Proposed {
                trigger: t.name.clone(),
            },
            events,
        });
    }
    let mut events = vec![Event::TriggerFired {
        trigger: t.name.clone(),
        due,
    }];
    let msg = format!("trigger {} fired: {describe}", t.name);
    events.extend(take_actions(policy, case, t, msg, due, now, words));
    Some(Planned {
        case: case.id.clone(),
        order: due,
        due,
        kind: ActionKind::Trigger {
            trigger: t.name.clone(),
        },
        events,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Event, Record};
    use chrono::TimeDelta;
    use proptest::prelude::*;

    fn policy() -> Policy {
        crate::policy::parse(include_str!("../tests/fixtures/spec-excerpt.toml")).expect("valid")
    }

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-23T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn opened(n: u64, severity: &str, account: Option<&str>, at: DateTime<Utc>) -> Record {
        crate::case::fixture::Opened {
            title: format!("case {n}"),
            severity: severity.into(),
            account: account.map(str::to_string),
            reporter: Some("zed".into()),
            ..Default::default()
        }
        .record(n, at)
    }

    proptest! {
        /// An outline shows its actions as a stable sort of the plan by `order` would,
        /// whatever the dues within a case (a later action that fell due earlier is raised
        /// to the one before it), with cases that have none, and with dues its steps'
        /// nanoseconds cannot hold (a leap second, centuries away).
        #[test]
        fn an_outline_merges_the_cases_in_the_order_of_a_stable_sort(
            per_case in proptest::collection::vec(
                proptest::collection::vec((0i64..50, 0u32..3, 0u8..5), 0..5),
                1..12,
            )
        ) {
            let cases: Vec<Case> = (0..per_case.len() as u64)
                .map(|n| Case::fold(vec![opened(n + 1, "sev2", None, t0())]).unwrap().unwrap())
                .collect();
            let mut outline = Outline::default();
            let mut planned: Vec<Planned> = Vec::new();
            for (i, actions) in per_case.iter().enumerate() {
                let mut last: Option<DateTime<Utc>> = None;
                for &(minutes, item, form) in actions {
                    let plain = t0() + TimeDelta::minutes(minutes);
                    let leap = chrono::NaiveDate::from_ymd_opt(2026, 12, 31)
                        .and_then(|d| d.and_hms_nano_opt(23, 59, 59, 1_000_000_000 + item))
                        .map(|t| t.and_utc());
                    let due = match form {
                        1 => plain + TimeDelta::nanoseconds(123_456_789),
                        2 => plain + TimeDelta::days(365 * 400),
                        3 => plain - TimeDelta::days(365 * 400),
                        4 => leap.expect("a leap second"),
                        _ => plain,
                    };
                    let order = last.map_or(due, |l| l.max(due));
                    last = Some(order);
                    let p = Planned {
                        case: cases[i].id.clone(),
                        due,
                        order,
                        kind: ActionKind::Reminder { item: Some(item) },
                        events: Vec::new(),
                    };
                    planned.push(p.clone());
                    outline.push(i, p);
                }
            }
            planned.sort_by_key(|p| p.order);
            prop_assert_eq!(outline.len(), planned.len());
            prop_assert_eq!(
                shown(outline.actions(&cases)),
                shown(planned.iter().map(Planned::action))
            );
        }
    }

    /// Carry a plan out on the cases, as `esc sweep` does through the ledger.
    fn carry_out(cases: &mut [Case], plan: &[Planned], now: DateTime<Utc>) {
        for p in plan {
            if let Some(c) = cases.iter_mut().find(|c| c.id == p.case) {
                apply(c, &p.events, now);
            }
        }
    }

    #[test]
    fn the_plan_outlined_and_in_batches_is_the_plan() {
        let p = policy();
        let cases: Vec<Case> = [
            ("sev1", None, 0),
            ("sev2", Some("acme"), 7),
            ("sev3", Some("acme"), 13),
            ("sev1", Some("globex"), 95),
            ("sev2", None, 300),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, (sev, account, minutes))| {
            let at = t0() + TimeDelta::minutes(minutes);
            Case::fold(vec![opened(i as u64 + 1, sev, account, at)])
                .unwrap()
                .unwrap()
        })
        .collect();
        let now = t0() + TimeDelta::days(3);
        let whole = plan(&p, &cases, now);
        assert!(whole.len() > cases.len(), "every case has several actions");
        let outlined = outline(&p, &cases, now);
        assert_eq!(
            shown(outlined.actions(&cases)),
            shown(whole.iter().map(Planned::action))
        );
        assert!(
            outlined.kinds.len() < outlined.len(),
            "each kind is kept once"
        );
        // Planned without words (what a dry run counts): the same actions, whose events
        // differ only in their notices — no internal one, and the customer's without its
        // message but with the same recipients and promise (what later rules see).
        let seen = |a: &Planned| {
            let mut a = a.clone();
            a.events.retain_mut(|e| match e {
                Event::NotificationQueued {
                    audience, message, ..
                } => {
                    message.clear();
                    *audience == crate::case::event::Audience::Customer
                }
                _ => true,
            });
            a
        };
        let mut counted: Vec<Planned> = Vec::new();
        plan_each(&p, &cases, now, |_, a| counted.push(a));
        counted.sort_by_key(|a| a.order);
        let promised = |plan: &[Planned]| {
            plan.iter()
                .flat_map(|a| &a.events)
                .filter(|e| {
                    matches!(
                        e,
                        Event::NotificationQueued {
                            promise: Some(_),
                            ..
                        }
                    )
                })
                .count()
        };
        assert!(promised(&whole) > 0, "the plan makes promises to customers");
        assert_ne!(
            whole,
            whole.iter().map(seen).collect::<Vec<_>>(),
            "the plan has words"
        );
        assert_eq!(counted, whole.iter().map(seen).collect::<Vec<_>>());
        let outlined = Plan::Outline(outlined);
        let per_case = |i: usize| whole.iter().filter(|a| a.case == cases[i].id).count();
        for max in [1, 2, 3, whole.len() - 1] {
            let mut all: Vec<usize> = Vec::new();
            for batch in batches(&outlined, &cases, max) {
                // Whole cases, in the order of their ids, about `max` actions a batch.
                let actions: usize = batch.places.iter().map(|&i| per_case(i)).sum();
                assert_eq!(batch.actions, actions, "batches of {max}");
                assert!(
                    actions <= max || batch.places.len() == 1,
                    "a batch of {actions} with max {max}"
                );
                let ids: Vec<&str> = batch.places.iter().map(|&i| cases[i].id.as_str()).collect();
                assert!(ids.is_sorted(), "{ids:?}");
                all.extend(&batch.places);
            }
            // Every case with actions once.
            let acting: Vec<usize> = (0..cases.len()).filter(|&i| per_case(i) > 0).collect();
            let mut sorted = all.clone();
            sorted.sort();
            assert_eq!(sorted, acting, "batches of {max}");
            assert_eq!(all.len(), acting.len(), "no case twice");
        }
        // A whole plan is one batch in its own order.
        let whole_plan = Plan::Whole(whole.clone());
        assert_eq!(
            batches(&whole_plan, &cases, 1),
            vec![Batch {
                actions: whole.len(),
                places: (0..whole.len()).collect()
            }]
        );
        assert!(batches(&Plan::Whole(Vec::new()), &cases, 4).is_empty());
    }

    /// What a list of actions shows.
    fn shown<'a>(
        actions: impl Iterator<Item = Action<'a>>,
    ) -> Vec<(String, DateTime<Utc>, ActionKind)> {
        actions
            .map(|a| (a.case.to_string(), a.due, a.kind.clone()))
            .collect()
    }

    #[test]
    fn a_plan_over_its_limit_is_kept_without_events_and_made_again_per_case() {
        let p = policy();
        let cases: Vec<Case> = (0..4u64)
            .map(|i| {
                let at = t0() + TimeDelta::minutes(7 * i as i64);
                Case::fold(vec![opened(i + 1, "sev2", None, at)])
                    .unwrap()
                    .unwrap()
            })
            .collect();
        let now = t0() + TimeDelta::days(3);
        let whole = plan(&p, &cases, now);
        assert!(whole.len() > 4);
        match plan_within(&p, &cases, now, whole.len()) {
            Plan::Whole(fits) => assert_eq!(fits, whole),
            Plan::Outline(_) => panic!("a plan that fits is whole"),
        }
        let mut outlined = plan_within(&p, &cases, now, 3);
        let Plan::Outline(o) = &outlined else {
            panic!("a plan over its limit is outlined");
        };
        assert_eq!(
            shown(o.actions(&cases)),
            shown(super::outline(&p, &cases, now).actions(&cases))
        );
        let planner = Planner::new(&p, &cases, now);
        // Made again batch by batch, the events are the whole plan's, case for case.
        let events_of = |id: &str| -> Vec<Event> {
            whole
                .iter()
                .filter(|a| a.case == id)
                .flat_map(|a| a.events.clone())
                .collect()
        };
        for max in [1, 3] {
            let all = batches(&outlined, &cases, max);
            for batch in all {
                let expected: Vec<(String, Vec<Event>)> = batch
                    .places
                    .iter()
                    .map(|&i| (cases[i].id.to_string(), events_of(&cases[i].id)))
                    .collect();
                assert_eq!(planner.batch_events(&mut outlined, &batch), expected);
            }
        }
        // From a whole plan, the events are taken out of it, action by action.
        let mut full = Plan::Whole(whole.clone());
        let all = batches(&full, &cases, 3);
        for batch in all {
            let taken = planner.batch_events(&mut full, &batch);
            let expected: Vec<(String, Vec<Event>)> = whole
                .iter()
                .map(|a| (a.case.to_string(), a.events.clone()))
                .collect();
            assert_eq!(taken, expected);
        }
    }

    #[test]
    fn a_missed_night_is_acted_on_in_due_order_and_only_once() {
        let p = policy();
        let mut cases = vec![
            Case::fold(vec![opened(1, "sev1", None, t0())])
                .unwrap()
                .unwrap(),
        ];
        let now = t0() + TimeDelta::hours(3);
        let plan = plan(&p, &cases, now);
        let kinds: Vec<String> = plan
            .iter()
            .map(|a| format!("{}@{}", a.kind.name(), a.due.format("%H:%M")))
            .collect();
        // Tier warning 09:07, budget escalation 09:10, response warning 09:11, the sev1
        // trigger 09:10 (planned after, so it sees the escalation), breaches later.
        assert!(
            kinds.starts_with(&["warning@09:07".to_string(), "escalated@09:10".to_string()]),
            "{kinds:?}"
        );
        assert!(plan.windows(2).all(|w| w[0].order <= w[1].order));
        carry_out(&mut cases, &plan, now);
        assert_eq!(super::plan(&p, &cases, now), Vec::new(), "idempotent");
    }

    proptest! {
        /// Whatever the cases and however often it runs, a sweep at the same `now` right after
        /// a sweep plans nothing.
        #[test]
        fn planning_after_carrying_out_plans_nothing(
            severities in proptest::collection::vec(0usize..3, 1..8),
            minutes in proptest::collection::vec(0i64..3000, 1..8),
            later in 1i64..5000,
        ) {
            let p = policy();
            let sevs = ["sev1", "sev2", "sev3"];
            let mut cases: Vec<Case> = severities
                .iter()
                .zip(minutes.iter().chain(std::iter::repeat(&0)))
                .enumerate()
                .map(|(i, (s, m))| {
                    let at = t0() + TimeDelta::minutes(*m);
                    Case::fold(vec![opened(i as u64 + 1, sevs[*s], Some("acme"), at)])
                        .unwrap()
                        .unwrap()
                })
                .collect();
            let now = t0() + TimeDelta::minutes(3000 + later);
            let first = plan(&p, &cases, now);
            carry_out(&mut cases, &first, now);
            prop_assert_eq!(plan(&p, &cases, now), Vec::new());
        }
    }
}
