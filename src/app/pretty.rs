//! Pretty JSON as `serde_json::to_writer_pretty` writes it (two spaces per level), byte for
//! byte, by a serializer of its own that writes into a buffer.
//!
//! `--json list` and `report breaches` over a large ledger write hundreds of megabytes of
//! pretty JSON, a million keys per 150,000 rows; through `serde_json`'s serializer each key
//! and string cost a handful of small writes and a byte-by-byte scan for characters to
//! escape, a third of such a command. Here a string is checked eight bytes at a time and
//! copied in one piece, and a key's line, indent and quotes go out with it.
//!
//! The output is `serde_json`'s: the same escapes (`\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`,
//! `\u00XX` for other control characters), integers by the same crate (`itoa`), floats by
//! `serde_json` itself (`null` for one that is not finite), map keys as `serde_json` takes them (strings,
//! and numbers, booleans and unit variants as strings; anything else is its error). The unit
//! and property tests compare the bytes with `serde_json::to_string_pretty` on values of
//! every shape. (`serde_json::value::RawValue`, which esc does not use, is not special here.)

use serde::ser::{self, Impossible, Serialize};
use std::io::Write;

type Error = serde_json::Error;
type Result<T> = std::result::Result<T, Error>;

/// A new line and the indent of up to [`PREPARED`] levels: one slice of it.
const LINE: &[u8] = b"\n                                                                ";

/// Levels of indent [`LINE`] holds (two spaces each).
const PREPARED: usize = (LINE.len() - 1) / 2;

/// The most of [`LINE`] copied as a piece of fixed size: the line and indent of up to
/// fifteen levels.
const SHORT_LINE: usize = 32;

/// Text made and not yet handed to the writer, at most (when there is one): big documents
/// go out as they are made.
const FLUSH_AT: usize = 64 * 1024;

/// `value` as pretty JSON into `w`: `serde_json::to_writer_pretty`'s bytes.
pub fn to_writer<W: Write, T: ?Sized + Serialize>(mut w: W, value: &T) -> Result<()> {
    let mut json = Json::new(Vec::with_capacity(FLUSH_AT + 1024), 0, Some(&mut w));
    value.serialize(&mut json)?;
    json.flush(0)
}

/// `value` as pretty JSON: `serde_json::to_vec_pretty`'s bytes.
pub fn to_vec<T: ?Sized + Serialize>(value: &T) -> Result<Vec<u8>> {
    let mut json = Json::new(Vec::with_capacity(128), 0, None);
    value.serialize(&mut json)?;
    Ok(json.out)
}

/// `items` as they lie between the brackets of a pretty array whose elements are `level`
/// levels deep: each on a new line at its indent, separated by `,` (nothing before the
/// first but its line). An array made of such runs joined by `,` is the array's text.
/// Written into `out`, emptied first (a buffer used before keeps its room).
pub fn elements_to_vec<T: Serialize>(
    level: usize,
    items: impl IntoIterator<Item = T>,
    mut out: Vec<u8>,
) -> Result<Vec<u8>> {
    out.clear();
    let mut json = Json::new(out, level, None);
    for (i, item) in items.into_iter().enumerate() {
        json.line(i == 0);
        item.serialize(&mut json)?;
    }
    Ok(json.out)
}

/// The serializer: the text so far, the depth, and where full buffers go.
struct Json<'w> {
    out: Vec<u8>,
    level: usize,
    sink: Option<&'w mut dyn Write>,
    /// The text last written before the values of struct fields: see [`Json::key`].
    keys: Box<[KeyText; KEYS]>,
}

/// Struct field keys remembered by a serializer ([`Json::key`]): [`WAYS`] to a set, so that
/// the few dozen keys of a document rarely push each other out.
const KEYS: usize = 512;

/// Keys a set holds.
const WAYS: usize = 2;

/// The text that goes before a struct field's value at one depth: its line, indent, the
/// key in quotes and `: `. A field's key is a `&'static str`, so its address names it.
#[derive(Clone, Copy)]
struct KeyText {
    at: usize,
    len: u16,
    level: u8,
    /// 0: nothing remembered here.
    text_len: u8,
    text: [u8; 48],
}

const NO_KEY: KeyText = KeyText {
    at: 0,
    len: 0,
    level: 0,
    text_len: 0,
    text: [0; 48],
};

impl<'w> Json<'w> {
    fn new(out: Vec<u8>, level: usize, sink: Option<&'w mut dyn Write>) -> Self {
        Json {
            out,
            level,
            sink,
            keys: Box::new([NO_KEY; KEYS]),
        }
    }

    /// A new line, the indent and `"key": ` before a struct field's value. A report of
    /// 100,000 cases writes the same few dozen keys millions of times: each is made once
    /// per depth and then copied as it was made (when it needed no escapes and fits).
    fn key(&mut self, key: &'static str) {
        let at = key.as_ptr() as usize;
        // The set: the key's address and the depth, mixed (Fibonacci hashing).
        let mixed = (at ^ self.level.wrapping_mul(0x9e37_79b9)) as u64;
        let set = (mixed.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as usize % (KEYS / WAYS);
        let ways = set * WAYS..(set + 1) * WAYS;
        let is_it = |k: &KeyText| {
            k.at == at
                && usize::from(k.len) == key.len()
                && usize::from(k.level) == self.level
                && k.text_len > 0
        };
        if let Some(known) = self.keys[ways.clone()].iter().find(|k| is_it(k)) {
            // All of the text's room, then back to its length: a copy of a fixed size,
            // made in a few moves rather than by a call.
            let end = self.out.len() + usize::from(known.text_len);
            self.out.extend_from_slice(&known.text);
            self.out.truncate(end);
            return;
        }
        let start = self.out.len();
        self.indent();
        string(&mut self.out, key);
        self.out.extend_from_slice(b": ");
        let made = &self.out[start..];
        // Escapes would make the text longer than the key: such a key is not remembered.
        let plain = made.len() == 1 + 2 * self.level + key.len() + 4;
        // A text that fits the entry's room has a key, depth and length that fit its fields.
        if plain
            && made.len() <= NO_KEY.text.len()
            && let (Ok(len), Ok(level), Ok(text_len)) = (
                u16::try_from(key.len()),
                u8::try_from(self.level),
                u8::try_from(made.len()),
            )
        {
            // An empty way, else the set's last.
            let set = &mut self.keys[ways];
            let free = set.iter().position(|k| k.text_len == 0).unwrap_or(WAYS - 1);
            let entry = &mut set[free];
            entry.text[..made.len()].copy_from_slice(made);
            (entry.at, entry.len, entry.level, entry.text_len) = (at, len, level, text_len);
        }
    }

    /// Hands the text made so far to the writer once there is more than `at` bytes of it.
    fn flush(&mut self, at: usize) -> Result<()> {
        if let Some(sink) = self.sink.as_mut()
            && self.out.len() > at
        {
            sink.write_all(&self.out).map_err(Error::io)?;
            self.out.clear();
        }
        Ok(())
    }

    /// A new line and the current indent, after a `,` unless `first`.
    fn line(&mut self, first: bool) {
        if !first {
            self.out.push(b',');
        }
        self.indent();
    }

    /// A new line and the current indent.
    fn indent(&mut self) {
        let len = 1 + 2 * self.level;
        if len <= SHORT_LINE {
            // As in `Json::key`: a copy of a fixed size, then back to the length.
            let end = self.out.len() + len;
            self.out.extend_from_slice(&LINE[..SHORT_LINE]);
            self.out.truncate(end);
        } else if self.level <= PREPARED {
            self.out.extend_from_slice(&LINE[..len]);
        } else {
            self.out.push(b'\n');
            for _ in 0..self.level {
                self.out.extend_from_slice(b"  ");
            }
        }
    }

    /// Opens an array or object (`[` or `{`); `len == Some(0)` writes it whole at once.
    fn open(&mut self, bracket: u8, len: Option<usize>) -> Compound<'_, 'w> {
        let close = if bracket == b'[' { b']' } else { b'}' };
        self.out.push(bracket);
        if len == Some(0) {
            self.out.push(close);
            return Compound {
                json: self,
                state: State::Empty,
                close,
                wrapped: false,
            };
        }
        self.level += 1;
        Compound {
            json: self,
            state: State::First,
            close,
            wrapped: false,
        }
    }

    /// `{`, a new line and `"variant": `: the start of an enum variant with content.
    fn open_variant(&mut self, variant: &str) {
        self.out.push(b'{');
        self.level += 1;
        self.indent();
        string(&mut self.out, variant);
        self.out.extend_from_slice(b": ");
    }

    /// The end of what [`Json::open_variant`] opened.
    fn close_variant(&mut self) {
        self.level = self.level.saturating_sub(1);
        self.indent();
        self.out.push(b'}');
    }

    fn integer(&mut self, n: impl itoa::Integer) -> Result<()> {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        Ok(())
    }
}

/// What an open array or object has had so far.
#[derive(PartialEq)]
enum State {
    /// Written whole when opened (`[]`, `{}`).
    Empty,
    First,
    Rest,
}

/// An open array or object.
struct Compound<'a, 'w> {
    json: &'a mut Json<'w>,
    state: State,
    /// `]` or `}`.
    close: u8,
    /// Inside `{"variant": …}`, closed with it.
    wrapped: bool,
}

impl Compound<'_, '_> {
    /// The new line (and `,`) before the next element or key.
    /// The `,` before every element or key but the first.
    fn comma(&mut self) {
        if self.state != State::First {
            self.json.out.push(b',');
        }
        self.state = State::Rest;
    }

    /// The `,` and the new line before the next element or key.
    fn next(&mut self) {
        self.comma();
        self.json.indent();
    }

    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.next();
        value.serialize(&mut *self.json)?;
        self.json.flush(FLUSH_AT)
    }

    fn key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<()> {
        self.next();
        key.serialize(Key(&mut *self.json))?;
        self.json.out.extend_from_slice(b": ");
        Ok(())
    }

    fn value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        value.serialize(&mut *self.json)?;
        self.json.flush(FLUSH_AT)
    }

    fn field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<()> {
        // The key's line, indent and text made (or copied) by `Json::key`.
        self.comma();
        self.json.key(key);
        self.value(value)
    }

    fn end(self) -> Result<()> {
        if self.state != State::Empty {
            self.json.level = self.json.level.saturating_sub(1);
            if self.state == State::Rest {
                self.json.indent();
            }
            self.json.out.push(self.close);
        }
        if self.wrapped {
            self.json.close_variant();
        }
        Ok(())
    }
}

/// `s` as a JSON string: quoted, with `serde_json`'s escapes.
fn string(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let clean = crate::json_plain::plain_len(bytes);
    if clean == bytes.len() {
        out.reserve(bytes.len() + 2);
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let rest = &bytes[clean..];
    out.push(b'"');
    out.extend_from_slice(&bytes[..clean]);
    let mut start = 0;
    for (at, &byte) in rest.iter().enumerate() {
        let escape = ESCAPE[usize::from(byte)];
        if escape == 0 {
            continue;
        }
        out.extend_from_slice(&rest[start..at]);
        if escape == b'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ]);
        } else {
            out.extend_from_slice(&[b'\\', escape]);
        }
        start = at + 1;
    }
    out.extend_from_slice(&rest[start..]);
    out.push(b'"');
}

/// What each byte is escaped as (`serde_json`'s table): `u` for `\u00XX`, 0 for none.
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b'u';
        b += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// The integer methods of a serializer whose `integer` writes any integer.
macro_rules! integers {
    ($($method:ident: $ty:ty),*) => {
        $(
            fn $method(self, v: $ty) -> Result<()> {
                self.integer(v)
            }
        )*
    };
}

impl<'a, 'w> ser::Serializer for &'a mut Json<'w> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, 'w>;
    type SerializeTuple = Compound<'a, 'w>;
    type SerializeTupleStruct = Compound<'a, 'w>;
    type SerializeTupleVariant = Compound<'a, 'w>;
    type SerializeMap = Compound<'a, 'w>;
    type SerializeStruct = Compound<'a, 'w>;
    type SerializeStructVariant = Compound<'a, 'w>;

    fn serialize_bool(self, v: bool) -> Result<()> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }

    integers!(
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_u128: u128
    );

    fn serialize_f32(self, v: f32) -> Result<()> {
        serde_json::to_writer(&mut self.out, &v)
    }

    fn serialize_f64(self, v: f64) -> Result<()> {
        serde_json::to_writer(&mut self.out, &v)
    }

    fn serialize_char(self, v: char) -> Result<()> {
        string(&mut self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<()> {
        string(&mut self.out, v);
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        use ser::SerializeSeq;
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for byte in v {
            seq.serialize_element(byte)?;
        }
        seq.end()
    }

    fn serialize_none(self) -> Result<()> {
        self.serialize_unit()
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<()> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<()> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<()> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<()> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<()> {
        self.open_variant(variant);
        value.serialize(&mut *self)?;
        self.close_variant();
        Ok(())
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a, 'w>> {
        Ok(self.open(b'[', len))
    }

    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, 'w>> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Compound<'a, 'w>> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'w>> {
        self.open_variant(variant);
        let mut seq = self.open(b'[', Some(len));
        seq.wrapped = true;
        Ok(seq)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'a, 'w>> {
        Ok(self.open(b'{', len))
    }

    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Compound<'a, 'w>> {
        self.serialize_map(Some(len))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'w>> {
        self.open_variant(variant);
        let mut map = self.open(b'{', Some(len));
        map.wrapped = true;
        Ok(map)
    }
}

/// The element-by-element traits (arrays, tuples), each a name for [`Compound::element`].
macro_rules! elements {
    ($($trait:ident :: $method:ident),*) => {
        $(
            impl ser::$trait for Compound<'_, '_> {
                type Ok = ();
                type Error = Error;

                fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
                    self.element(value)
                }

                fn end(self) -> Result<()> {
                    Compound::end(self)
                }
            }
        )*
    };
}

elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<()> {
        self.key(key)
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.value(value)
    }

    fn end(self) -> Result<()> {
        Compound::end(self)
    }
}

/// The field-by-field traits (structs, struct variants): [`Compound::field`].
macro_rules! fields {
    ($($trait:ident),*) => {
        $(
            impl ser::$trait for Compound<'_, '_> {
                type Ok = ();
                type Error = Error;

                fn serialize_field<T: ?Sized + Serialize>(
                    &mut self,
                    key: &'static str,
                    value: &T,
                ) -> Result<()> {
                    self.field(key, value)
                }

                fn end(self) -> Result<()> {
                    Compound::end(self)
                }
            }
        )*
    };
}

fields!(SerializeStruct, SerializeStructVariant);

/// A map key, as `serde_json` takes one: a string, or a number, boolean or unit variant
/// written as a string; anything else is the error `serde_json` gives.
struct Key<'a, 'w>(&'a mut Json<'w>);

impl Key<'_, '_> {
    /// `text` in quotes (numbers and booleans need no escapes).
    fn quoted(self, text: &[u8]) -> Result<()> {
        let out = &mut self.0.out;
        out.push(b'"');
        out.extend_from_slice(text);
        out.push(b'"');
        Ok(())
    }

    fn integer(self, n: impl itoa::Integer) -> Result<()> {
        self.quoted(itoa::Buffer::new().format(n).as_bytes())
    }

    /// A float key: its number as `serde_json` writes it, quoted; one that is not finite
    /// is `serde_json`'s error.
    fn float(self, finite: bool, text: &[u8]) -> Result<()> {
        if !finite {
            return Err(ser::Error::custom(
                "float key must be finite (got NaN or +/-inf)",
            ));
        }
        self.quoted(text)
    }
}

fn key_must_be_a_string() -> Error {
    ser::Error::custom("key must be a string")
}

impl ser::Serializer for Key<'_, '_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result<()> {
        string(&mut self.0.out, v);
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<()> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<()> {
        value.serialize(self)
    }

    fn serialize_bool(self, v: bool) -> Result<()> {
        self.quoted(if v { b"true" } else { b"false" })
    }

    integers!(
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_u128: u128
    );

    fn serialize_f32(self, v: f32) -> Result<()> {
        self.float(f64::from(v).is_finite(), &serde_json::to_vec(&v)?)
    }

    fn serialize_f64(self, v: f64) -> Result<()> {
        self.float(v.is_finite(), &serde_json::to_vec(&v)?)
    }

    fn serialize_char(self, v: char) -> Result<()> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<()> {
        Err(key_must_be_a_string())
    }

    fn serialize_unit(self) -> Result<()> {
        Err(key_must_be_a_string())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<()> {
        Err(key_must_be_a_string())
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<()> {
        Err(key_must_be_a_string())
    }

    fn serialize_none(self) -> Result<()> {
        Err(key_must_be_a_string())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(key_must_be_a_string())
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap> {
        Err(key_must_be_a_string())
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct> {
        Err(key_must_be_a_string())
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(key_must_be_a_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::Serialize;
    use serde_json::{Value, json};
    use std::collections::BTreeMap;

    fn ours<T: ?Sized + Serialize>(value: &T) -> String {
        String::from_utf8(to_vec(value).expect("serialises")).expect("UTF-8")
    }

    fn theirs<T: ?Sized + Serialize>(value: &T) -> String {
        serde_json::to_string_pretty(value).expect("serialises")
    }

    /// `depth` arrays and objects inside each other, alternating, around `inner`.
    fn nest(depth: usize, inner: Value) -> Value {
        (0..depth).fold(inner, |v, d| {
            if d % 2 == 0 {
                json!([v, 1, {"k": []}])
            } else {
                json!({"a": v, "b": {}, "c": "x\"y\n"})
            }
        })
    }

    #[test]
    fn the_bytes_are_serde_jsons_pretty_ones() {
        let shapes = [
            json!(null),
            json!([]),
            json!({}),
            json!([[]]),
            json!([{}]),
            json!({"a": {}}),
            json!({"a": [], "b": [1, 2, [3, {"c": null}]], "d": "\u{1}\\"}),
            json!([1.5, -2, true, false, "é", {"": ""}, 1e300, -0.0, u64::MAX, i64::MIN]),
            json!("every escape: \" \\ / \u{8} \u{c} \n \r \t \u{0} \u{1f} \u{7f} é ✓ 12345678"),
        ];
        for shape in shapes {
            for depth in [
                0,
                1,
                2,
                3,
                PREPARED - 1,
                PREPARED,
                PREPARED + 1,
                PREPARED + 5,
            ] {
                let value = nest(depth, shape.clone());
                assert_eq!(ours(&value), theirs(&value), "{value}");
            }
        }
    }

    #[derive(Serialize)]
    enum Shape {
        Unit,
        Newtype(u8),
        Tuple(i32, String),
        EmptyTuple(),
        Struct { a: Option<f64>, b: Vec<char> },
        EmptyStruct {},
    }

    #[derive(Serialize)]
    struct Typed<'a> {
        shapes: Vec<Shape>,
        bytes: &'a [u8],
        #[serde(with = "as_unit_struct")]
        unit: (),
        big: (i128, u128),
        floats: (f32, f64, f64, f32),
        keys: Keys,
        unit_keys: BTreeMap<Unit, u8>,
        skipped: Skips,
    }

    /// Maps with keys of the kinds `serde_json` writes as strings.
    type Keys = (
        BTreeMap<i64, u8>,
        BTreeMap<bool, ()>,
        BTreeMap<char, Option<u8>>,
    );

    #[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
    enum Unit {
        First,
        Second,
    }

    #[derive(Serialize)]
    struct Skips {
        #[serde(skip_serializing_if = "Option::is_none")]
        gone: Option<u8>,
    }

    mod as_unit_struct {
        pub fn serialize<S: serde::Serializer>(_: &(), s: S) -> Result<S::Ok, S::Error> {
            s.serialize_unit_struct("Nothing")
        }
    }

    #[test]
    fn every_kind_of_serde_value_is_written_as_serde_json_writes_it() {
        let typed = Typed {
            shapes: vec![
                Shape::Unit,
                Shape::Newtype(7),
                Shape::Tuple(-3, "t".into()),
                Shape::EmptyTuple(),
                Shape::Struct {
                    a: Some(f64::NAN),
                    b: vec!['x', '"'],
                },
                Shape::Struct {
                    a: Some(0.1),
                    b: vec![],
                },
                Shape::EmptyStruct {},
            ],
            bytes: &[0, 255],
            unit: (),
            big: (i128::MIN, u128::MAX),
            floats: (1.5, f64::INFINITY, 1e-7, f32::MAX),
            keys: (
                BTreeMap::from([(-1, 1), (2, 2)]),
                BTreeMap::from([(true, ()), (false, ())]),
                BTreeMap::from([('é', None), ('\n', Some(1))]),
            ),
            unit_keys: BTreeMap::from([(Unit::First, 1), (Unit::Second, 2)]),
            skipped: Skips { gone: None },
        };
        assert_eq!(ours(&typed), theirs(&typed));
    }

    #[test]
    fn keys_serde_json_refuses_are_refused() {
        struct KeyOf<K>(K);
        impl<K: Serialize> Serialize for KeyOf<K> {
            fn serialize<S: serde::Serializer>(
                &self,
                s: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                use ser::SerializeMap;
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry(&self.0, &1)?;
                m.end()
            }
        }
        fn refused<K: Serialize>(key: K) {
            assert!(to_vec(&KeyOf(&key)).is_err());
            assert!(serde_json::to_vec(&KeyOf(&key)).is_err());
        }
        refused(None::<u8>);
        refused(f64::NAN);
        refused(());
        refused(vec![1]);
        refused(Shape::Newtype(1));
    }

    #[derive(Serialize)]
    struct Keyed {
        id: u32,
        #[serde(rename = "quo\"ted\n")]
        quoted: bool,
        #[serde(rename = "a_key_long_enough_that_its_line_does_not_fit_the_memo")]
        long: u8,
        inner: Vec<Keyed>,
    }

    fn keyed(depth: usize, id: u32) -> Keyed {
        Keyed {
            id,
            quoted: id.is_multiple_of(2),
            long: 1,
            inner: if depth == 0 {
                vec![]
            } else {
                (0..3).map(|i| keyed(depth - 1, id * 3 + i)).collect()
            },
        }
    }

    #[test]
    fn remembered_keys_are_written_as_serde_json_writes_them() {
        // The same keys over and over, at every depth (past the prepared indent too), with
        // escapes and too long to remember.
        let rows: Vec<Keyed> = (0..40).map(|i| keyed(4, i)).collect();
        assert_eq!(ours(&rows), theirs(&rows));
        let chain = (0..PREPARED).fold(keyed(0, 1), |inner, i| Keyed {
            inner: vec![inner, keyed(0, i as u32)],
            ..keyed(0, 2)
        });
        assert_eq!(ours(&chain), theirs(&chain));
        let mut out = Vec::new();
        to_writer(&mut out, &rows).expect("writes");
        assert_eq!(String::from_utf8(out).expect("UTF-8"), theirs(&rows));
        let run = elements_to_vec(1, (0..50).map(|i| keyed(1, i)), b"left over".to_vec())
            .expect("elements");
        let whole = theirs(&(0..50).map(|i| keyed(1, i)).collect::<Vec<_>>());
        assert_eq!(
            format!("[{}\n]", String::from_utf8(run).expect("UTF-8")),
            whole
        );
    }

    #[test]
    fn a_large_document_goes_to_the_writer_as_it_is_made() {
        let value: Vec<String> = (0..20_000).map(|i| format!("row {i} \u{1}")).collect();
        let mut out = Vec::new();
        to_writer(&mut out, &value).expect("writes");
        assert_eq!(String::from_utf8(out).expect("UTF-8"), theirs(&value));
    }

    /// Any JSON value: nested arrays and objects of strings (any characters), numbers,
    /// booleans and nulls.
    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any::<String>().prop_map(Value::String),
            "[\\x00-\\x7f]{0,20}".prop_map(Value::String),
        ];
        leaf.prop_recursive(5, 64, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::vec(("[\\x00-\\x7f]{0,10}|\\PC{0,4}", inner), 0..6)
                    .prop_map(|fields| Value::Object(fields.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_value_is_written_as_serde_json_writes_it(v in value()) {
            prop_assert_eq!(ours(&v), theirs(&v));
        }
    }
}
