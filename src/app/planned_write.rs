//! The one discipline of every writer whose decision renders templates (the case commands,
//! `esc approve` / `esc reject`, `esc sweep`): read and plan — decide, and compose the
//! notifications — *before* taking the ledger's write lock, so other writers never wait for
//! template rendering; and under the lock, keep that plan only if what it was planned on did
//! not change meanwhile. If it did, read and plan again outside the lock (a few times), and
//! on a ledger that keeps changing, at last under the lock (templates are bounded by their
//! fuel, so that is still bounded).
//!
//! What "what it was planned on" is, and how to tell it changed, is the caller's: one case
//! (its last `seq`) for a case command, the whole ledger ([`Writer::last_seq`]) for the sweep.

use super::settings::Settings;
use crate::case::{Record, Seen};
use crate::store::{Store, StoreError, Writer};
use anyhow::Result;

/// How often a writer plans again outside the lock before it plans under it.
const ATTEMPTS: usize = 3;

/// Where a snapshot is read from: the store (no lock held) or the writer (under the lock).
pub enum Source<'r, 'w> {
    Store(&'r dyn Store),
    Writer(&'r mut (dyn Writer + 'w)),
}

impl Source<'_, '_> {
    /// The events of one case (see [`Store::read_case`]).
    pub fn read_case(&mut self, case: &str) -> Result<Vec<Record>, StoreError> {
        match self {
            Source::Store(s) => s.read_case(case),
            Source::Writer(w) => w.read_case(case),
        }
    }

    /// About how many cases there are, if cheap to know (see [`Store::cases_hint`]).
    pub fn cases_hint(&self) -> Option<u64> {
        match self {
            Source::Store(s) => s.cases_hint(),
            Source::Writer(_) => None,
        }
    }

    /// Every event, in `seq` order, those `skim` names skimmed (see
    /// [`Store::visit_skimming`]).
    pub fn visit_skimming(
        &mut self,
        skim: fn(&str) -> bool,
        f: &mut dyn FnMut(Seen),
    ) -> Result<(), StoreError> {
        match self {
            Source::Store(s) => s.visit_skimming(skim, f),
            Source::Writer(w) => w.visit_skimming(skim, f),
        }
    }
}

/// A plan that stands, with the lock it may be written under.
pub struct Locked<'s, S, P> {
    /// The write lock, still held: append the plan through it.
    pub guard: Box<dyn Writer + 's>,
    /// The settings as a writer has them under the lock ([`Settings::for_write`]): date the
    /// events with its `now`.
    pub settings: Settings,
    /// What the plan was made on; as the ledger holds it now.
    pub seen: S,
    pub plan: P,
}

/// Read with `read` and plan with `plan` before taking the lock of `store`; under it, ask
/// `changed` whether the ledger changed since the snapshot was read (cheaply: a last `seq`),
/// and return the plan if not. A refusal from `plan` before the lock is only final under it
/// (it may come from a `now` that another writer has since passed).
pub fn plan_then_lock<'s, S, P>(
    store: &'s dyn Store,
    settings: &Settings,
    read: impl Fn(Source<'_, '_>, &Settings) -> Result<S>,
    changed: impl Fn(&mut dyn Writer, &S) -> Result<bool>,
    plan: impl Fn(&S, &Settings) -> Result<P>,
) -> Result<Locked<'s, S, P>> {
    let mut seen = read(Source::Store(store), settings)?;
    let mut planned = plan(&seen, settings).ok();
    let mut attempt = 0;
    loop {
        let mut guard = store.lock()?;
        // Now is read under the lock (unless fixed), so the events are dated after
        // everything written while this writer waited.
        let locked = settings.for_write()?;
        let stale = changed(&mut *guard, &seen)?;
        let plan = match planned {
            // Nothing changed meanwhile: the plan stands.
            Some(p) if !stale => p,
            // It changed: read and plan again outside the lock.
            Some(_) if attempt < ATTEMPTS => {
                attempt += 1;
                drop(guard);
                let fresh = settings.for_write()?;
                seen = read(Source::Store(store), &fresh)?;
                planned = plan(&seen, &fresh).ok();
                continue;
            }
            // Refused before, or a busy ledger: plan under the lock, on what is there now.
            _ => {
                if stale {
                    seen = read(Source::Writer(&mut *guard), &locked)?;
                }
                plan(&seen, &locked)?
            }
        };
        return Ok(Locked {
            guard,
            settings: locked,
            seen,
            plan,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Event, NewEvent};
    use crate::store::Location;
    use std::cell::Cell;

    fn settings(ledger: Location) -> Settings {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-23T09:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        Settings {
            policy: "policy.toml".into(),
            policies: vec!["policy.toml".into()],
            ledger,
            now,
            fixed_now: true,
            allow_future: true,
            actor: "tester".into(),
            json: false,
            quiet: true,
            color: false,
            stdout_tty: false,
            threads: None,
        }
    }

    fn note(s: &Settings, text: &str) -> NewEvent {
        NewEvent {
            at: s.now,
            actor: s.actor.clone(),
            case: "ESC-1".into(),
            event: Event::Noted { text: text.into() },
            policy: None,
        }
    }

    /// The number of events read; changed when the ledger's last seq moved.
    fn run<'s>(
        store: &'s dyn Store,
        s: &Settings,
        meanwhile: impl Fn(usize),
    ) -> (usize, Locked<'s, u64, usize>) {
        let plans = Cell::new(0);
        let locked = plan_then_lock(
            store,
            s,
            |mut from, _| {
                let mut last = 0;
                from.visit_skimming(|_| false, &mut |r| last = r.seq())?;
                Ok(last)
            },
            |w, seen| Ok(w.last_seq()? != *seen),
            |seen, _| {
                plans.set(plans.get() + 1);
                meanwhile(plans.get());
                Ok(usize::try_from(*seen)?)
            },
        )
        .expect("planned");
        (plans.get(), locked)
    }

    #[test]
    fn a_plan_made_before_the_lock_stands_unless_someone_wrote_meanwhile() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(Location::File(dir.path().join("ledger.jsonl")));
        let store = crate::store::open(&s.ledger).unwrap();
        store.create().unwrap();
        let policy =
            crate::policy::parse(include_str!("../../tests/fixtures/minimal.toml")).expect("valid");
        let request = crate::case::OpenRequest {
            title: "case".into(),
            ..Default::default()
        };
        let opened = crate::case::transition::open(&policy, &request, s.now).expect("opens");
        let first = NewEvent {
            event: opened,
            ..note(&s, "")
        };
        store.lock().unwrap().append(vec![first]).unwrap();
        // Nobody writes: planned once, before the lock.
        let (plans, locked) = run(&*store, &s, |_| {});
        assert_eq!((plans, locked.plan), (1, 1));
        drop(locked);
        // Another writer appends while the first plan is made: planned again, on what is
        // there now.
        let (plans, locked) = run(&*store, &s, |n| {
            if n == 1 {
                store
                    .lock()
                    .unwrap()
                    .append(vec![note(&s, "meanwhile")])
                    .unwrap();
            }
        });
        assert_eq!((plans, locked.seen, locked.plan), (2, 2, 2));
        drop(locked);
        // A ledger that keeps changing: after a few attempts, planned under the lock.
        let (plans, locked) = run(&*store, &s, |n| {
            if n <= ATTEMPTS + 1 {
                store
                    .lock()
                    .unwrap()
                    .append(vec![note(&s, "busy")])
                    .unwrap();
            }
        });
        assert_eq!(plans, ATTEMPTS + 2);
        assert_eq!(locked.seen, 2 + ATTEMPTS as u64 + 1, "read under the lock");
    }
}
