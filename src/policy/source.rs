//! Reading a TOML document with source spans, collecting every problem at once.
//!
//! The policy parser walks the spanned tree of `toml::de::DeTable` through the small readers
//! here. A reader remembers which keys were asked for, so unknown keys are reported with a
//! "did you mean" from exactly the keys the parser knows — there is no second list of keys
//! to keep in sync. Problems are pushed to a shared [`Sink`] and never stop the walk.

use std::cell::RefCell;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// A problem found in a policy file: where (byte span) and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub span: Range<usize>,
    pub message: String,
}

/// Collects diagnostics while a document is walked.
#[derive(Debug, Default)]
pub struct Sink {
    diags: RefCell<Vec<Diagnostic>>,
    src: String,
}

impl Sink {
    /// A sink for problems in `src`.
    pub fn new(src: &str) -> Self {
        Sink {
            diags: RefCell::new(Vec::new()),
            src: src.to_string(),
        }
    }

    /// The source text being checked.
    pub fn src(&self) -> &str {
        &self.src
    }

    /// Record a problem at `span`.
    pub fn error(&self, span: Range<usize>, message: impl Into<String>) {
        self.diags.borrow_mut().push(Diagnostic {
            span,
            message: message.into(),
        });
    }

    /// How many problems were recorded so far.
    pub fn len(&self) -> usize {
        self.diags.borrow().len()
    }

    /// Whether anything was recorded.
    pub fn is_empty(&self) -> bool {
        self.diags.borrow().is_empty()
    }

    /// Every diagnostic, in source order.
    pub fn into_sorted(self) -> Vec<Diagnostic> {
        let mut d = self.diags.into_inner();
        d.sort_by_key(|d| (d.span.start, d.span.end));
        d.dedup();
        d
    }
}

/// The closest candidate to `word`, if one is close enough to suggest.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// `"; did you mean `x`?"` or nothing.
pub fn suggestion<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    match did_you_mean(word, candidates) {
        Some(c) => format!("; did you mean `{c}`?"),
        None => String::new(),
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = src.get(..offset).unwrap_or(src);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// The name of a TOML value's kind, for "expected X, found Y" messages.
fn kind(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// A value in the document, with its dotted key path for messages.
#[derive(Clone)]
pub struct Val<'s, 'a> {
    pub sink: &'s Sink,
    pub node: &'a Spanned<DeValue<'a>>,
    pub key_span: Option<Range<usize>>,
    pub path: String,
}

/// A string with its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Str<'a> {
    pub value: &'a str,
    pub span: Range<usize>,
}

impl<'s, 'a> Val<'s, 'a> {
    /// The value's span.
    pub fn span(&self) -> Range<usize> {
        self.node.span()
    }

    fn expected(&self, what: &str) {
        self.sink.error(
            self.span(),
            format!(
                "`{}` must be {what}, found {}",
                self.path,
                kind(self.node.get_ref())
            ),
        );
    }

    /// The value as a string, or an error.
    pub fn str(&self) -> Option<Str<'a>> {
        match self.node.get_ref() {
            DeValue::String(s) => Some(Str {
                value: s.as_ref(),
                span: self.span(),
            }),
            _ => {
                self.expected("a string");
                None
            }
        }
    }

    /// The value as a boolean, or an error.
    pub fn bool(&self) -> Option<bool> {
        match self.node.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                self.expected("true or false");
                None
            }
        }
    }

    /// The value as an integer, or an error.
    pub fn int(&self) -> Option<i64> {
        match self.node.get_ref() {
            DeValue::Integer(i) => match i64::from_str_radix(
                &i.as_str()
                    .replace('_', "")
                    .replace("0x", "")
                    .replace("0o", "")
                    .replace("0b", ""),
                i.radix(),
            ) {
                Ok(n) => Some(n),
                Err(_) => {
                    self.sink.error(
                        self.span(),
                        format!("`{}` is not a usable integer", self.path),
                    );
                    None
                }
            },
            _ => {
                self.expected("an integer");
                None
            }
        }
    }

    /// The value as a number (integer or float), or an error.
    pub fn number(&self) -> Option<f64> {
        match self.node.get_ref() {
            DeValue::Float(f) => match f.as_str().replace('_', "").parse::<f64>() {
                Ok(x) if x.is_finite() => Some(x),
                _ => {
                    self.sink.error(
                        self.span(),
                        format!("`{}` must be a finite number", self.path),
                    );
                    None
                }
            },
            DeValue::Integer(_) => self.int().map(|n| n as f64),
            _ => {
                self.expected("a number");
                None
            }
        }
    }

    /// The value as an array, or an error.
    pub fn array(&self) -> Option<Vec<Val<'s, 'a>>> {
        match self.node.get_ref() {
            DeValue::Array(items) => Some(
                items
                    .iter()
                    .map(|node| Val {
                        sink: self.sink,
                        node,
                        key_span: None,
                        path: self.path.clone(),
                    })
                    .collect(),
            ),
            _ => {
                self.expected("an array");
                None
            }
        }
    }

    /// A string or an array of strings, as a list; wrong items are reported and skipped.
    pub fn str_list(&self) -> Vec<Str<'a>> {
        match self.node.get_ref() {
            DeValue::String(_) => self.str().into_iter().collect(),
            DeValue::Array(_) => self
                .array()
                .unwrap_or_default()
                .iter()
                .filter_map(Val::str)
                .collect(),
            _ => {
                self.expected("a string or an array of strings");
                Vec::new()
            }
        }
    }

    /// The value as a table, or an error.
    pub fn table(&self) -> Option<Table<'s, 'a>> {
        match self.node.get_ref() {
            DeValue::Table(t) => Some(Table {
                sink: self.sink,
                table: t,
                span: self.span(),
                path: self.path.clone(),
                known: RefCell::new(Vec::new()),
            }),
            _ => {
                self.expected("a table");
                None
            }
        }
    }

    /// Whether the value is a string.
    pub fn is_str(&self) -> bool {
        matches!(self.node.get_ref(), DeValue::String(_))
    }

    /// Whether the value is an array.
    pub fn is_array(&self) -> bool {
        matches!(self.node.get_ref(), DeValue::Array(_))
    }

    /// Whether the value is a boolean.
    pub fn is_bool(&self) -> bool {
        matches!(self.node.get_ref(), DeValue::Boolean(_))
    }
}

/// A table in the document that tracks which keys the parser asked for.
pub struct Table<'s, 'a> {
    pub sink: &'s Sink,
    table: &'a DeTable<'a>,
    pub span: Range<usize>,
    pub path: String,
    known: RefCell<Vec<&'static str>>,
}

impl<'s, 'a> Table<'s, 'a> {
    /// The root table of a document.
    pub fn root(sink: &'s Sink, node: &'a Spanned<DeTable<'a>>) -> Self {
        Table {
            sink,
            table: node.get_ref(),
            span: node.span(),
            path: String::new(),
            known: RefCell::new(Vec::new()),
        }
    }

    fn child_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The value under `key`, if present; the key becomes known.
    pub fn get(&self, key: &'static str) -> Option<Val<'s, 'a>> {
        self.known.borrow_mut().push(key);
        self.table
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == key)
            .map(|(k, node)| Val {
                sink: self.sink,
                node,
                key_span: Some(k.span()),
                path: self.child_path(key),
            })
    }

    /// The value under `key`, or an error saying it is missing.
    pub fn require(&self, key: &'static str, what: &str) -> Option<Val<'s, 'a>> {
        let v = self.get(key);
        if v.is_none() {
            let place = if self.path.is_empty() {
                "the policy".to_string()
            } else {
                format!("`{}`", self.path)
            };
            self.sink.error(
                self.span.clone(),
                format!("{place} is missing `{key}`: add {what}"),
            );
        }
        v
    }

    /// Every entry, with its key; all keys become known.
    pub fn entries(&self) -> Vec<(Str<'a>, Val<'s, 'a>)> {
        self.table
            .iter()
            .map(|(k, node)| {
                let key = k.get_ref().as_ref();
                (
                    Str {
                        value: key,
                        span: k.span(),
                    },
                    Val {
                        sink: self.sink,
                        node,
                        key_span: Some(k.span()),
                        path: self.child_path(key),
                    },
                )
            })
            .collect()
    }

    /// Whether the table has no entries.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Report every key that was never asked for, naming it a `noun` ("key", "condition" …).
    pub fn finish(&self, noun: &str) {
        let known = self.known.borrow();
        for (k, _) in self.table.iter() {
            let key = k.get_ref().as_ref();
            if known.contains(&key) {
                continue;
            }
            let place = if self.path.is_empty() {
                "at the top level".to_string()
            } else {
                format!("in `{}`", self.path)
            };
            let hint = match did_you_mean(key, known.iter().copied()) {
                Some(c) => format!("; did you mean `{c}`?"),
                None => format!("; expected one of: {}", known.join(", ")),
            };
            self.sink
                .error(k.span(), format!("unknown {noun} `{key}` {place}{hint}"));
        }
    }
}
