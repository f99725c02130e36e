//! Pretty JSON as `serde_json`'s `PrettyFormatter` writes it (two spaces per level), byte for
//! byte, with fewer writes: `PrettyFormatter` writes a line's indent two spaces at a time, so
//! a key three levels deep costs five small writes (`,`, `\n` and three indents) before its
//! text; here it is one. `--json list` and `report breaches` over a large ledger write
//! hundreds of megabytes of pretty JSON, a million keys per 150,000 rows.
//!
//! The unit tests check the bytes against `serde_json::to_vec_pretty` on nested values of
//! every shape (empty and nested arrays and objects, deep nesting past the prepared indent).

use serde::Serialize;
use serde_json::ser::Formatter;
use std::io::{self, Write};

/// `,` then a new line and the indent of [`PREPARED`] levels: a separator and an indent of up
/// to that many levels are one slice of it.
const LINE: &[u8] = b",\n                                                                ";

/// Levels of indent [`LINE`] holds (two spaces each).
const PREPARED: usize = (LINE.len() - 2) / 2;

/// The formatter: `serde_json`'s `PrettyFormatter::new()` in its output.
#[derive(Debug, Default)]
pub struct Pretty {
    level: usize,
    has_value: bool,
}

impl Pretty {
    /// A new line and the current indent, after a `,` when `comma`.
    fn line<W: ?Sized + Write>(&self, w: &mut W, comma: bool) -> io::Result<()> {
        let from = usize::from(!comma);
        if self.level <= PREPARED {
            return w.write_all(&LINE[from..2 + 2 * self.level]);
        }
        w.write_all(&LINE[from..2])?;
        for _ in 0..self.level {
            w.write_all(b"  ")?;
        }
        Ok(())
    }

    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level = self.level.saturating_sub(1);
        if self.has_value {
            self.line(w, false)?;
        }
        w.write_all(bracket)
    }
}

impl Formatter for Pretty {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.line(w, !first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.line(w, !first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// `value` as pretty JSON into `w`: `serde_json::to_writer_pretty`'s bytes.
pub fn to_writer<W: Write, T: ?Sized + Serialize>(w: W, value: &T) -> serde_json::Result<()> {
    value.serialize(&mut serde_json::Serializer::with_formatter(
        w,
        Pretty::default(),
    ))
}

/// `value` as pretty JSON: `serde_json::to_vec_pretty`'s bytes.
pub fn to_vec<T: ?Sized + Serialize>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    to_writer(&mut out, value)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

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
            json!([1.5, -2, true, false, "é", {"": ""}]),
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
                assert_eq!(
                    String::from_utf8(to_vec(&value).unwrap()).unwrap(),
                    serde_json::to_string_pretty(&value).unwrap(),
                    "{value}"
                );
            }
        }
    }
}
