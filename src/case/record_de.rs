//! Reading a ledger line into a [`Record`] in one pass.
//!
//! A line is the envelope (`seq`, `at`, `actor`, `case`, `step`, optionally `policy` and
//! `login`) and the
//! event's own fields, tagged by `event`, in one flat object. Derived with `#[serde(flatten)]`, serde first
//! copies every field of the line into a buffer of its generic `Content` and then reads the
//! envelope and the event from that buffer; reading the whole ledger is the floor of every
//! whole-ledger command, and that copy was a large share of it. Here the envelope's fields
//! are taken as they come, and only the event's own fields are handed on, in the same pass,
//! to [`Event`]'s derived reader. Any key order is accepted (a line edited by hand), unknown
//! keys are ignored as before, and a missing field is the same error as before.

use super::event::{Body, Event, Record, utc_time};
use crate::name::Name as Interned;
use crate::policy::Step;
use chrono::{DateTime, Utc};
use compact_str::CompactString;
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::borrow::Cow;
use std::fmt;

/// The envelope's fields, as far as they were read.
#[derive(Default)]
struct Envelope {
    seq: Option<u64>,
    at: Option<DateTime<Utc>>,
    actor: Option<Interned>,
    case: Option<CompactString>,
    step: Option<Step>,
    policy: Option<Interned>,
    login: Option<Interned>,
}

/// `at`, read like the derived field was (the fast path for esc's own form, else chrono).
struct At(DateTime<Utc>);

impl<'de> Deserialize<'de> for At {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        utc_time(d).map(At)
    }
}

/// A field of the envelope, named by its key (also the quick reader's, `case::record_quick`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EnvelopeKey {
    Seq,
    At,
    Actor,
    Case,
    Step,
    Policy,
    Login,
}

impl EnvelopeKey {
    /// How many there are (`Login` is the last).
    pub(super) const COUNT: usize = EnvelopeKey::Login as usize + 1;

    /// The envelope's field `name` names, if any.
    pub(super) fn of(name: &str) -> Option<Self> {
        Some(match name {
            "seq" => EnvelopeKey::Seq,
            "at" => EnvelopeKey::At,
            "actor" => EnvelopeKey::Actor,
            "case" => EnvelopeKey::Case,
            "step" => EnvelopeKey::Step,
            "policy" => EnvelopeKey::Policy,
            "login" => EnvelopeKey::Login,
            _ => return None,
        })
    }
}

/// A key of the line: one of the envelope's, or one for the event.
enum Key<'de> {
    Envelope(EnvelopeKey),
    Other(std::borrow::Cow<'de, str>),
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Name(name) = Name::deserialize(d)?;
        Ok(match EnvelopeKey::of(&name) {
            Some(key) => Key::Envelope(key),
            None => Key::Other(name),
        })
    }
}

/// The line's map as the event sees it: envelope fields are taken out on the way.
struct EventFields<'a, 'de, A> {
    map: A,
    envelope: &'a mut Envelope,
    /// A key already read whose value is next: handed out again first.
    pending: Option<Cow<'de, str>>,
    /// The tag was read: another `event` key is a duplicate, as serde's reader says.
    tagged: bool,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for EventFields<'_, 'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        if let Some(name) = self.pending.take() {
            return name_to(seed, name).map(Some);
        }
        loop {
            let Some(key) = self.map.next_key::<Key<'de>>()? else {
                return Ok(None);
            };
            let e = &mut *self.envelope;
            match key {
                Key::Envelope(k) => match k {
                    EnvelopeKey::Seq => e.seq = Some(self.map.next_value()?),
                    EnvelopeKey::At => e.at = Some(self.map.next_value::<At>()?.0),
                    EnvelopeKey::Actor => e.actor = Some(self.map.next_value()?),
                    EnvelopeKey::Case => e.case = Some(self.map.next_value()?),
                    EnvelopeKey::Step => e.step = Some(self.map.next_value()?),
                    EnvelopeKey::Policy => e.policy = self.map.next_value()?,
                    EnvelopeKey::Login => e.login = self.map.next_value()?,
                },
                Key::Other(name) if self.tagged && name == "event" => {
                    return Err(de::Error::duplicate_field("event"));
                }
                Key::Other(name) => return name_to(seed, name).map(Some),
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

/// Hands `name` (a key or the tag, borrowed from the line where it could be) to `seed`.
fn name_to<'de, S: DeserializeSeed<'de>, E: de::Error>(
    seed: S,
    name: Cow<'de, str>,
) -> Result<S::Value, E> {
    match name {
        Cow::Borrowed(name) => seed.deserialize(de::value::BorrowedStrDeserializer::new(name)),
        Cow::Owned(name) => seed.deserialize(de::value::StringDeserializer::new(name)),
    }
}

/// A key or string as it comes: borrowed from the line where it can be.
struct Name<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl<'de> Visitor<'de> for NameVisitor {
            type Value = Name<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Owned(v)))
            }
        }
        d.deserialize_str(NameVisitor)
    }
}

/// The event's fields after its tag, presented to [`Body`] as the tag's variant.
struct Tagged<'a, 'de, A> {
    tag: Cow<'de, str>,
    fields: EventFields<'a, 'de, A>,
}

impl<'de, A: MapAccess<'de>> Deserializer<'de> for Tagged<'_, 'de, A> {
    type Error = A::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_enum(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

impl<'a, 'de, A: MapAccess<'de>> de::EnumAccess<'de> for Tagged<'a, 'de, A> {
    type Error = A::Error;
    type Variant = EventFields<'a, 'de, A>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), A::Error> {
        Ok((name_to(seed, self.tag)?, self.fields))
    }
}

/// An event is read as a struct variant; any other shape is a wrong type.
fn not_fields<E: de::Error>() -> E {
    de::Error::invalid_type(de::Unexpected::Map, &"an event's fields")
}

impl<'de, A: MapAccess<'de>> de::VariantAccess<'de> for EventFields<'_, 'de, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        Err(not_fields())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _: T) -> Result<T::Value, A::Error> {
        Err(not_fields())
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, A::Error> {
        Err(not_fields())
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        visitor.visit_map(self)
    }
}

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct RecordVisitor;
        impl<'de> Visitor<'de> for RecordVisitor {
            type Value = Record;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a ledger event (an object with seq, at, actor, case, step, event)")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Record, A::Error> {
                let mut envelope = Envelope::default();
                let mut fields = EventFields {
                    map,
                    envelope: &mut envelope,
                    pending: None,
                    tagged: false,
                };
                // esc writes the tag before the event's own fields: then the variant is
                // read straight from the rest of the line. Any other order goes through
                // serde's reader of the internally tagged `Event`, the first key handed
                // out again.
                let event = match fields.next_key::<Name<'de>>()? {
                    Some(Name(key)) if key == "event" => {
                        let Name(tag) = fields.next_value()?;
                        fields.tagged = true;
                        Event::from(Body::deserialize(Tagged { tag, fields })?)
                    }
                    first => {
                        fields.pending = first.map(|Name(key)| key);
                        Event::deserialize(de::value::MapAccessDeserializer::new(fields))?
                    }
                };
                let missing = <A::Error as de::Error>::missing_field;
                Ok(Record {
                    seq: envelope.seq.ok_or_else(|| missing("seq"))?,
                    at: envelope.at.ok_or_else(|| missing("at"))?,
                    actor: envelope.actor.ok_or_else(|| missing("actor"))?,
                    case: envelope.case.ok_or_else(|| missing("case"))?,
                    step: envelope.step.ok_or_else(|| missing("step"))?,
                    policy: envelope.policy,
                    login: envelope.login,
                    event,
                })
            }
        }
        d.deserialize_map(RecordVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The derived reader this module replaces, kept to compare against.
    #[derive(Debug, PartialEq, Deserialize)]
    struct Derived {
        seq: u64,
        #[serde(deserialize_with = "utc_time")]
        at: DateTime<Utc>,
        actor: Interned,
        case: CompactString,
        step: Step,
        #[serde(default)]
        policy: Option<Interned>,
        #[serde(default)]
        login: Option<Interned>,
        #[serde(flatten)]
        event: Event,
    }

    fn both(line: &str) -> (Result<Record, String>, Result<Derived, String>) {
        (
            serde_json::from_str::<Record>(line).map_err(|e| e.to_string()),
            serde_json::from_str::<Derived>(line).map_err(|e| e.to_string()),
        )
    }

    #[test]
    fn reads_what_the_derived_reader_reads() {
        let lines = [
            r#"{"seq":1,"at":"2026-11-23T09:00:00Z","actor":"ana","case":"ESC-1","step":"open","event":"opened","title":"VPN \"down\"","severity":"sev2","type":"incident","labels":["a","b"],"path":"technical","tier":"l1","owner":"ana"}"#,
            r#"{"event":"noted","text":"x","step":"update","case":"ESC-2","actor":"bo","at":"2026-11-23T09:00:00+01:00","seq":7}"#,
            r#"{"seq":2,"at":"2026-11-23T09:00:00Z","actor":"esc","case":"ESC-1","step":"acknowledge","policy":"a1b2c3","event":"sla_warning","clock":"response","started":"2026-11-23T08:00:00Z","due":"2026-11-23T10:00:00Z","extra":[1,{"a":2}]}"#,
            r#"{"seq":3,"at":"2026-11-23T09:00:00Z","actor":"a\u00e9","case":"ESC-1","step":"update","event":"noted","text":"caf\u00e9"}"#,
            r#"{"seq":4,"at":"2026-11-23T09:00:00Z","actor":"esc","case":"ESC-3","step":"open","policy":"a1b2c3","event":"opened","title":"DiskFull","severity":"sev2","type":"incident","labels":[],"path":"technical","tier":"l1","owner":"ana","dedup_key":"am:{}:{alertname=\"DiskFull\"}"}"#,
            r#"{"seq":5,"at":"2026-11-23T09:01:00Z","actor":"esc","case":"ESC-3","step":"update","event":"alerted","key":"am:k","status":"firing","count":2,"text":"DiskFull firing","rule":"disk","storm":true}"#,
            r#"{"seq":6,"at":"2026-11-23T09:02:00Z","actor":"ana","case":"ESC-3","step":"close","policy":"a1b2c3","login":"svc-esc","event":"closed","review_waived":"covered by ESC-1's review"}"#,
            // The tag after the event's fields (a line edited by hand): serde's own reader.
            r#"{"seq":8,"at":"2026-11-23T09:00:00Z","actor":"ana","case":"ESC-1","step":"update","text":"late tag","event":"noted"}"#,
            r#"{"text":"first","event":"noted","seq":9,"at":"2026-11-23T09:00:00Z","actor":"ana","case":"ESC-1","step":"update"}"#,
            // Every kind of field: escapes, defaults, nested values, a field-less event.
            r#"{"seq":10,"at":"2026-11-23T09:00:00Z","actor":"esc","case":"ESC-1","step":"update","event":"notification_queued","action":"breach","recipients":["ana","bo"],"message":"line\nbreak \u00e9","due":"2026-11-23T10:00:00Z","audience":"customer","promise":"2026-11-24T10:00:00Z"}"#,
            r#"{"seq":11,"at":"2026-11-23T09:00:00Z","actor":"esc","case":"ESC-1","step":"acknowledge","event":"acknowledged"}"#,
            r#"{"seq":12,"at":"2026-11-23T09:00:00Z","actor":"esc","case":"ESC-1","step":"update","event":"edited","title":"t","previous":{"title":"old"}}"#,
        ];
        for line in lines {
            let (ours, derived) = both(line);
            let derived = derived.expect(line);
            let ours = ours.expect(line);
            assert_eq!(
                (
                    ours.seq,
                    ours.at,
                    &ours.actor,
                    &ours.case,
                    ours.step,
                    &ours.policy,
                    &ours.login,
                    &ours.event
                ),
                (
                    derived.seq,
                    derived.at,
                    &derived.actor,
                    &derived.case,
                    derived.step,
                    &derived.policy,
                    &derived.login,
                    &derived.event
                ),
                "{line}"
            );
        }
    }

    #[test]
    fn refuses_what_the_derived_reader_refuses() {
        let lines = [
            r#"{"at":"2026-11-23T09:00:00Z","actor":"ana","case":"ESC-1","step":"update","event":"noted","text":"x"}"#,
            r#"{"seq":1,"at":"yesterday","actor":"ana","case":"ESC-1","step":"update","event":"noted","text":"x"}"#,
            r#"{"seq":1,"at":"2026-11-23T09:00:00Z","actor":"ana","case":"ESC-1","step":"update","event":"no_such","text":"x"}"#,
            r#"{"seq":1,"at":"2026-11-23T09:00:00Z","actor":"ana","case":"ESC-1","step":"update","text":"x"}"#,
            r#"{"seq":"1","at":"2026-11-23T09:00:00Z","actor":"ana","case":"ESC-1","step":"update","event":"noted","text":"x"}"#,
            r#"[1,2]"#,
            r#"{"seq":1,"at":"2026-11-23T09:00:00Z","actor":"ana","case":"ESC-1","step":"update","event":"noted","text":"x","event":"noted"}"#,
            r#"{"seq":1,"at":"2026-11-23T09:00:00Z","actor":"ana","case":"ESC-1","step":"update","event":"noted"}"#,
            r#"{"seq":1,"at":"2026-11-23T09:00:00Z","actor":"ana","case":"ESC-1","step":"update","event":7,"text":"x"}"#,
        ];
        for line in lines {
            let (ours, derived) = both(line);
            assert!(ours.is_err(), "{line}");
            assert!(derived.is_err(), "{line}");
        }
    }
}
