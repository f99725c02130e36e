//! A ledger line in esc's own plain form, read without serde.
//!
//! Reading every line is the floor of every whole-ledger command, and serde's reader spends
//! most of a line on machinery: finding each field by name through the derived visitors,
//! copying each string through its own scan for escapes. Most lines of a large ledger are
//! `opened` events that esc wrote itself: one flat object, no spaces, no escapes. Such a line
//! is read here in one scan of its bytes.
//!
//! The rule that keeps this safe: [`read`] answers only when the line is plainly in that form
//! and serde would read it to the same record; at anything else (an escape, a space, a nested
//! value, a duplicate or missing field, a wrong type, another event, a time not in esc's own
//! form) it answers `None` and the line goes to serde's reader, which gives the record or the
//! error exactly as before. Unknown keys with plain values are ignored, as serde ignores them.

use super::event::{Event, Record, fast_utc};
use super::record_de::EnvelopeKey;
use crate::name::Name;
use crate::policy::Step;
use serde::Deserialize;

/// A value as the scan takes it: only the plain kinds; anything else ends the scan.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Val<'a> {
    /// A string without escapes or control characters.
    Str(&'a str),
    /// A non-negative integer that fits in a `u64`.
    Num(u64),
    /// `true` or `false` (read only for unknown keys, so its value is not kept).
    Bool,
    Null,
    /// An array of plain strings: the text between its brackets.
    Strs(&'a str),
}

/// The fields of `opened` this reader takes; each has its slot after the envelope's.
#[derive(Clone, Copy)]
enum F {
    Event,
    Title,
    Severity,
    Type,
    Account,
    Reporter,
    Channel,
    Labels,
    Description,
    Path,
    Tier,
    Owner,
    DedupKey,
}

/// How many slots: the envelope's fields, then [`F`]'s (`DedupKey` is the last).
const FIELDS: usize = EnvelopeKey::COUNT + F::DedupKey as usize + 1;

/// The key of each slot: the envelope's ([`EnvelopeKey`]'s order), then [`F`]'s. It is also
/// the order esc writes them in, so a line of its own is read key after expected key.
const NAMES: [&str; FIELDS] = [
    "seq",
    "at",
    "actor",
    "case",
    "step",
    "policy",
    "login",
    "event",
    "title",
    "severity",
    "type",
    "account",
    "reporter",
    "channel",
    "labels",
    "description",
    "path",
    "tier",
    "owner",
    "dedup_key",
];

/// The slot of a key: the envelope's and `opened`'s fields; `None` for any other key.
fn slot(key: &str) -> Option<usize> {
    NAMES.iter().position(|name| *name == key)
}

/// The record a ledger line holds: by [`read`] where it can, else by serde's reader (whose
/// error it is when the line is not a valid event).
pub fn read_line(line: &str) -> serde_json::Result<Record> {
    match read(line) {
        Some(record) => Ok(record),
        None => serde_json::from_str(line),
    }
}

/// The record `line` holds, when it is an `opened` event in esc's plain form; `None` sends
/// the line to serde's reader (see the module's doc).
pub fn read(line: &str) -> Option<Record> {
    let fields = scan(line)?;
    let get = |f: F| fields[EnvelopeKey::COUNT + f as usize];
    let envelope = |k: EnvelopeKey| fields[k as usize];
    if get(F::Event)? != Val::Str("opened") {
        return None;
    }
    Some(Record {
        seq: match envelope(EnvelopeKey::Seq)? {
            Val::Num(n) => n,
            _ => return None,
        },
        at: fast_utc(text(envelope(EnvelopeKey::At))?)?,
        actor: text(envelope(EnvelopeKey::Actor))?.into(),
        case: text(envelope(EnvelopeKey::Case))?.into(),
        step: Step::deserialize(
            serde::de::value::StrDeserializer::<serde::de::value::Error>::new(text(envelope(
                EnvelopeKey::Step,
            ))?),
        )
        .ok()?,
        policy: maybe(envelope(EnvelopeKey::Policy))?.map(Name::new),
        login: maybe(envelope(EnvelopeKey::Login))?.map(Name::new),
        event: Event::Opened {
            title: text(get(F::Title))?.into(),
            severity: text(get(F::Severity))?.into(),
            case_type: text(get(F::Type))?.into(),
            account: maybe(get(F::Account))?.map(Name::new),
            reporter: maybe(get(F::Reporter))?.map(str::to_owned),
            channel: maybe(get(F::Channel))?.map(str::to_owned),
            labels: match get(F::Labels) {
                None => Vec::new(),
                Some(Val::Strs(inside)) => strings(inside),
                Some(_) => return None,
            },
            description: maybe(get(F::Description))?.map(str::to_owned),
            path: text(get(F::Path))?.into(),
            tier: text(get(F::Tier))?.into(),
            owner: text(get(F::Owner))?.into(),
            dedup_key: maybe(get(F::DedupKey))?.map(str::to_owned),
        },
    })
}

/// A required string field: `None` when absent or of another kind.
fn text(v: Option<Val<'_>>) -> Option<&str> {
    match v? {
        Val::Str(s) => Some(s),
        _ => None,
    }
}

/// An optional string field (`Option<_>` with `#[serde(default)]`): absent or `null` is
/// `Some(None)`; any kind but a string is `None` (serde's reader decides).
fn maybe(v: Option<Val<'_>>) -> Option<Option<&str>> {
    match v {
        None | Some(Val::Null) => Some(None),
        Some(Val::Str(s)) => Some(Some(s)),
        Some(_) => None,
    }
}

/// The strings of an array's inside as [`Scan::value`] found it: `"a","b"`, each without
/// escapes or quotes, so the items are what lies between `","`.
fn strings(inside: &str) -> Vec<String> {
    match inside.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(items) => items.split("\",\"").map(str::to_owned).collect(),
        None => Vec::new(),
    }
}

/// The fields of `line` this reader takes, when the whole line is one flat object of plain
/// values with no field twice; `None` otherwise.
fn scan(line: &str) -> Option<[Option<Val<'_>>; FIELDS]> {
    let mut s = Scan {
        text: line,
        bytes: line.as_bytes(),
        at: 0,
    };
    let mut fields = [None; FIELDS];
    // The slot after the last one read: where esc's next key would be.
    let mut next = 0;
    s.expect(b'{')?;
    loop {
        let at = match s.known_key(next) {
            Some(at) => Some(at),
            None => {
                let key = s.string()?;
                s.expect(b':')?;
                slot(key)
            }
        };
        let value = s.value()?;
        if let Some(at) = at {
            let slot = &mut fields[at];
            if slot.is_some() {
                return None;
            }
            *slot = Some(value);
            next = at + 1;
        }
        if s.expect(b',').is_none() {
            s.expect(b'}')?;
            break;
        }
    }
    (s.at == s.bytes.len()).then_some(fields)
}

/// A cursor over a line.
struct Scan<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Scan<'a> {
    /// Steps over `byte` when it is next.
    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.bytes.get(self.at) == Some(&byte)).then(|| self.at += 1)
    }

    /// Steps over `word` when it is next.
    fn word(&mut self, word: &[u8]) -> Option<()> {
        let end = self.at + word.len();
        (self.bytes.get(self.at..end) == Some(word)).then(|| self.at = end)
    }

    /// Steps over `"key":` when `key` is the name of a slot from `from` on (the first such):
    /// that slot. What [`Scan::string`], `:` and [`slot`] read, found by comparing the
    /// text with the keys esc writes next rather than by scanning it.
    fn known_key(&mut self, from: usize) -> Option<usize> {
        let rest = self.bytes.get(self.at..)?;
        let inside = rest.strip_prefix(b"\"")?;
        let (at, after) = NAMES
            .get(from..)?
            .iter()
            .enumerate()
            .find_map(|(i, name)| {
                let after = inside.strip_prefix(name.as_bytes())?.strip_prefix(b"\":")?;
                Some((from + i, after))
            })?;
        self.at += rest.len() - after.len();
        Some(at)
    }

    /// A string without escapes or control characters (serde refuses the latter, and reads
    /// the former into new text): its inside, borrowed from the line.
    fn string(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        let start = self.at;
        self.at += crate::json_plain::plain_len(self.bytes.get(start..)?);
        // The first byte that is not plain must be the closing quote.
        if self.bytes.get(self.at) != Some(&b'"') {
            return None;
        }
        let inside = self.text.get(start..self.at)?;
        self.at += 1;
        Some(inside)
    }

    /// A plain value (see [`Val`]).
    fn value(&mut self) -> Option<Val<'a>> {
        match *self.bytes.get(self.at)? {
            b'"' => self.string().map(Val::Str),
            b'0'..=b'9' => self.number().map(Val::Num),
            b't' => self.word(b"true").map(|()| Val::Bool),
            b'f' => self.word(b"false").map(|()| Val::Bool),
            b'n' => self.word(b"null").map(|()| Val::Null),
            b'[' => {
                self.at += 1;
                let start = self.at;
                if self.expect(b']').is_none() {
                    loop {
                        self.string()?;
                        if self.expect(b',').is_none() {
                            self.expect(b']')?;
                            break;
                        }
                    }
                }
                self.text.get(start..self.at - 1).map(Val::Strs)
            }
            _ => None,
        }
    }

    /// Digits without a leading zero (JSON's rule), up to `u64::MAX`. A fraction or exponent
    /// after them is not a separator, so the caller's next step refuses the line.
    fn number(&mut self) -> Option<u64> {
        let start = self.at;
        let mut n: u64 = 0;
        while let Some(d @ b'0'..=b'9') = self.bytes.get(self.at).copied() {
            n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
            self.at += 1;
        }
        let leading_zero = self.bytes.get(start) == Some(&b'0') && self.at - start > 1;
        (!leading_zero).then_some(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// serde's reading of `line` (what [`read`] must agree with).
    fn serde(line: &str) -> Option<Record> {
        serde_json::from_str(line).ok()
    }

    const OPENED: &str = r#"{"seq":1,"at":"2026-10-02T03:05:00Z","actor":"bench","case":"ESC-1","step":"open","policy":"1832e3f57e10","login":"root","event":"opened","title":"Imported case 0","severity":"sev1","type":"technical","account":"acme","path":"technical","tier":"L1","owner":"ana","more":true}"#;

    #[test]
    fn reads_esc_s_own_opened_line_as_serde_does() {
        let quick = read(OPENED).expect("esc's own line is read quickly");
        assert_eq!(Some(&quick), serde(OPENED).as_ref());
        assert_eq!(quick.seq, 1);
        assert_eq!(quick.case, "ESC-1");
        let Event::Opened {
            account, labels, ..
        } = &quick.event
        else {
            panic!("opened");
        };
        assert_eq!(account.as_deref(), Some("acme"));
        assert!(labels.is_empty());
    }

    #[test]
    fn reads_every_optional_field_and_labels() {
        let line = r#"{"seq":12,"at":"2026-10-02T03:05:00Z","actor":"ana","case":"ESC-7","step":"open","event":"opened","title":"t","severity":"sev2","type":"incident","account":null,"reporter":"r@x","channel":"email","labels":["a","b c","é"],"description":"d","path":"technical","tier":"L2","owner":"bo","dedup_key":"k","policy":null}"#;
        let quick = read(line).expect("plain");
        assert_eq!(Some(quick), serde(line));
        let empty = line.replace(r#"["a","b c","é"]"#, "[]");
        let quick = read(&empty).expect("plain");
        assert_eq!(Some(quick), serde(&empty));
    }

    #[test]
    fn leaves_everything_else_to_serde() {
        let swap = |from: &str, to: &str| OPENED.replacen(from, to, 1);
        let others = [
            // escapes, spaces, nesting: serde reads them
            swap("Imported case 0", r#"Imported \"case\" 0"#),
            swap(r#""seq":1,"#, r#""seq": 1,"#),
            swap(r#""more":true"#, r#""more":{"a":1}"#),
            swap(r#""more":true"#, r#""more":[1]"#),
            swap(r#""more":true"#, r#""more":-1"#),
            swap(r#""more":true"#, r#""more":1.5"#),
            format!("{OPENED} "),
            // another event, another time form
            swap(r#""event":"opened""#, r#""event":"noted","text":"x""#),
            swap("2026-10-02T03:05:00Z", "2026-10-02T04:05:00+01:00"),
            // serde refuses these: a duplicate, a missing or mistyped field, bad numbers
            swap(r#""title":"Imported case 0""#, r#""title":"a","title":"b""#),
            swap(r#""seq":1,"#, r#""seq":1,"seq":2,"#),
            swap(r#""tier":"L1","#, ""),
            swap(r#""seq":1,"#, r#""seq":"1","#),
            swap(r#""seq":1,"#, r#""seq":01,"#),
            swap(r#""seq":1,"#, r#""seq":99999999999999999999,"#),
            swap(r#""account":"acme""#, r#""account":7"#),
            swap(r#""step":"open""#, r#""step":"opening""#),
            swap("2026-10-02T03:05:00Z", "2026-02-30T03:05:00Z"),
            swap(r#""login":"root""#, r#""login":true"#),
            format!("{OPENED}}}"),
            OPENED.trim_end_matches('}').to_string(),
        ];
        for line in &others {
            assert_eq!(read(line), None, "{line}");
        }
        // Unknown keys with plain values are ignored, as serde ignores them.
        let extra = swap(r#""more":true"#, r#""more":false,"x":null,"y":[],"z":3"#);
        assert_eq!(read(&extra), serde(&extra));
        assert!(read(&extra).is_some());
    }

    #[test]
    fn each_slot_is_named_once_and_the_envelope_s_as_serde_s_reader_names_them() {
        for (at, name) in NAMES.iter().enumerate() {
            assert_eq!(slot(name), Some(at), "{name}");
            if at < EnvelopeKey::COUNT {
                assert_eq!(
                    EnvelopeKey::of(name).map(|k| k as usize),
                    Some(at),
                    "{name}"
                );
            } else {
                assert_eq!(EnvelopeKey::of(name), None, "{name}");
            }
        }
    }

    #[test]
    fn each_field_of_opened_has_its_name_in_its_slot() {
        let fields = [
            (F::Event, "event"),
            (F::Title, "title"),
            (F::Severity, "severity"),
            (F::Type, "type"),
            (F::Account, "account"),
            (F::Reporter, "reporter"),
            (F::Channel, "channel"),
            (F::Labels, "labels"),
            (F::Description, "description"),
            (F::Path, "path"),
            (F::Tier, "tier"),
            (F::Owner, "owner"),
            (F::DedupKey, "dedup_key"),
        ];
        assert_eq!(EnvelopeKey::COUNT + fields.len(), FIELDS);
        for (f, name) in fields {
            assert_eq!(NAMES[EnvelopeKey::COUNT + f as usize], name);
        }
    }

    #[test]
    fn keys_in_another_order_or_like_an_expected_one_read_as_serde_reads_them() {
        let swap = |from: &str, to: &str| OPENED.replacen(from, to, 1);
        let lines = [
            // the event's fields backwards, then the envelope's
            r#"{"owner":"bo","tier":"L2","path":"management","account":"acme","type":"technical","severity":"sev1","title":"t","event":"opened","login":"root","policy":"1832e3f57e10","step":"open","case":"ESC-1","actor":"bench","at":"2026-10-02T03:05:00Z","seq":1}"#.to_string(),
            // keys that start as an expected one does
            swap(r#""more":true"#, r#""atx":1,"tiers":"x","more":true"#),
            swap(r#""seq":1,"#, r#""seq":1,"s":2,"seqq":3,"#),
        ];
        for line in &lines {
            assert_eq!(read(line), serde(line), "{line}");
            assert!(read(line).is_some(), "{line}");
        }
        // A key read already, again after others: left to serde, as any duplicate is.
        for again in [
            r#""seq":2"#,
            r#""title":"again""#,
            r#""more":1,"owner":"x""#,
        ] {
            assert_eq!(read(&swap(r#""more":true"#, again)), None, "{again}");
        }
    }

    /// Pieces that make a line's edits likely to land on what matters.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just("\"".into()),
            Just("\\".into()),
            Just(",".into()),
            Just(":".into()),
            Just(" ".into()),
            Just("{".into()),
            Just("}".into()),
            Just("[".into()),
            Just("]".into()),
            Just("null".into()),
            Just("0".into()),
            Just(r#","title":"x""#.into()),
            Just(r#","labels":["a"]"#.into()),
            Just(r#","account":null"#.into()),
            Just("\u{1}".into()),
            Just("é".into()),
            "[a-z0-9]{1,3}",
        ]
    }

    proptest! {
        /// Whatever is done to esc's own line, the quick reader either leaves the line to
        /// serde or reads exactly what serde reads.
        #[test]
        fn agrees_with_serde_or_stays_out(
            edits in proptest::collection::vec((0usize..400, 0usize..4, piece()), 1..4)
        ) {
            let mut line = OPENED.to_string();
            for (at, cut, with) in edits {
                let mut at = at.min(line.len());
                while !line.is_char_boundary(at) {
                    at -= 1;
                }
                let mut end = (at + cut).min(line.len());
                while !line.is_char_boundary(end) {
                    end += 1;
                }
                line.replace_range(at..end, &with);
            }
            if let Some(quick) = read(&line) {
                prop_assert_eq!(Some(quick), serde(&line), "{}", line);
            }
        }

        /// Any `opened` record esc writes whose strings need no escapes is read quickly, to
        /// itself.
        #[test]
        fn reads_what_esc_writes(
            seq in 0u64..u64::MAX,
            title in "[ -!#-\\[\\]-~é]{0,12}",
            labels in proptest::collection::vec("[a-z ]{0,4}", 0..3),
            account in proptest::option::of("[a-z]{1,5}"),
            reporter in proptest::option::of("[a-z@.]{1,5}"),
            login in proptest::option::of("[a-z]{1,5}"),
        ) {
            let record = Record {
                seq,
                at: fast_utc("2026-10-02T03:05:07Z").expect("time"),
                actor: "ana".into(),
                case: "ESC-3".into(),
                step: Step::Open,
                policy: Some("abc".into()),
                login: login.map(Into::into),
                event: Event::Opened {
                    title: title.into(),
                    severity: "sev2".into(),
                    case_type: "technical".into(),
                    account: account.map(Into::into),
                    reporter,
                    channel: None,
                    labels,
                    description: None,
                    path: "technical".into(),
                    tier: "L1".into(),
                    owner: "bo".into(),
                    dedup_key: None,
                },
            };
            let line = serde_json::to_string(&record).expect("json");
            prop_assert_eq!(read(&line), Some(record), "{}", line);
        }
    }
}
