//! JSON paths as chaoslib reads them, through jsonpath2.
//!
//! jsonpath2's meaning differs from RFC 9535's where it matters to
//! tolerances: a filter `[?(…)]` tests the value it is applied to, not
//! that value's children. `$.foo[?(@.baz)]` is `foo` itself when `foo` has
//! a `baz`; to filter the items of a list one writes `$.items.*[?(…)]`.
//! No Rust crate reads that dialect, so this module does, for the subset
//! experiments use:
//!
//! ```text
//! path      = ("$" | "@") segment*
//! segment   = "." (name | call) | ".*" | ".." (name | call | "*" | "[" selectors "]")
//!           | "[" selectors "]"
//! selectors = selector ("," selector)*
//! selector  = "*" | integer | [integer] ":" [integer] [":" [integer]]
//!           | string | "?(" expr ")" | call | path
//! call      = function "(" [operand ("," operand)*] ")"
//! function  = "charAt" | "entries" | "keys" | "length" | "substring" | "values"
//! expr      = and ;  and = or ("and" or)* ;  or = not ("or" not)*
//!             (`or` binds tighter than `and`, as in jsonpath2)
//! not       = "not" not | "(" expr ")" | operand [op operand]
//! operand   = path | string | number | "true" | "false" | "null"
//!           | a JSON list or mapping
//! op        = "=" | "==" | "!=" | "<" | "<=" | ">" | ">="
//! ```
//!
//! Spaces may stand between any two tokens. A path as a selector
//! (`$.items[$.index]`) selects the index (a whole number) or the name (a
//! string) each value it finds is.
//!
//! A comparison holds when any value its path finds compares so with the
//! other side; a path alone holds when it finds anything. The functions
//! are jsonpath2's: `length()` of a list or a string, `keys()`, `values()`
//! and `entries()` of a mapping or a list, `charAt(i)` and `substring(a[,
//! b])` of a string (Python's indexing and slicing); a function applied
//! to something else, or given other arguments, finds nothing. A function
//! whose arguments are paths is called once for each combination of the
//! values they find.

use std::borrow::Cow;
use std::cell::Cell;

use serde_json::Value;

/// A compiled path.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JsonPath {
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Child(Vec<Selector>),
    Descendants(Vec<Selector>),
}

#[derive(Debug, Clone, PartialEq)]
enum Selector {
    Name(String),
    Index(i64),
    Slice(Option<i64>, Option<i64>, Option<i64>),
    Wildcard,
    Filter(Box<Expr>),
    Call(Function, Vec<Operand>),
    /// `[$…]` or `[@…]` (true for `$`): the index or the name each value
    /// of the path is.
    Node(bool, JsonPath),
}

/// jsonpath2's callable subscripts.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Function {
    CharAt,
    Entries,
    Keys,
    Length,
    Substring,
    Values,
}

impl Function {
    fn named(name: &str) -> Option<Self> {
        Some(match name {
            "charAt" => Self::CharAt,
            "entries" => Self::Entries,
            "keys" => Self::Keys,
            "length" => Self::Length,
            "substring" => Self::Substring,
            "values" => Self::Values,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Test(Operand),
    Compare(Operand, Op, Operand),
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    /// `$…` (true) or `@…` (false).
    Path(bool, JsonPath),
    Literal(Value),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl JsonPath {
    /// Parses a path; the error says what was expected and where.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut parser = Parser {
            chars: text.trim().chars().collect(),
            at: 0,
        };
        parser.skip_spaces();
        if !parser.eat('$') {
            return Err(parser.error("a path starting with '$'"));
        }
        let path = parser.segments()?;
        parser.skip_spaces();
        if parser.at < parser.chars.len() {
            return Err(parser.error("the end of the path"));
        }
        Ok(path)
    }

    /// Every value the path finds in `root`, in document order: borrowed
    /// from it, or made by a function (`length()`, `keys()`, …). Fails
    /// only when the functions would copy more than [`MAX_COPIED`] values,
    /// rather than exhaust the memory.
    pub(crate) fn query<'v>(&self, root: &'v Value) -> Result<Vec<Cow<'v, Value>>, String> {
        self.query_within(root, MAX_COPIED)
    }

    fn query_within<'v>(
        &self,
        root: &'v Value,
        limit: usize,
    ) -> Result<Vec<Cow<'v, Value>>, String> {
        let query = Query {
            root,
            copied: Cell::new(0),
            limit,
        };
        let found = query.from(self, Cow::Borrowed(root));
        if query.over() {
            return Err(format!(
                "the path's functions would copy more than {limit} values"
            ));
        }
        Ok(found)
    }
}

/// How many values (each item of a list or mapping counts) one query's
/// functions may copy, and how many argument combinations they may try.
const MAX_COPIED: usize = 10_000_000;

/// One query over a document.
struct Query<'v> {
    root: &'v Value,
    copied: Cell<usize>,
    limit: usize,
}

// `&Cow`, not `&Value`: whether a value is borrowed from the document,
// for the document's lifetime, or was made by a function is what the
// methods need to know.
#[allow(clippy::ptr_arg)]
impl<'v> Query<'v> {
    fn from(&self, path: &JsonPath, start: Cow<'v, Value>) -> Vec<Cow<'v, Value>> {
        let mut current = vec![start];
        for segment in &path.segments {
            let mut next = Vec::new();
            for value in &current {
                match segment {
                    Segment::Child(selectors) => self.select(selectors, value, &mut next),
                    Segment::Descendants(selectors) => match value {
                        Cow::Borrowed(document) => {
                            let mut all = Vec::new();
                            descendants(document, &mut all);
                            for v in all {
                                self.select(selectors, &Cow::Borrowed(v), &mut next);
                            }
                        }
                        Cow::Owned(made) => {
                            let mut all = Vec::new();
                            descendants(made, &mut all);
                            for v in all {
                                let v = Cow::Owned(self.copy(v));
                                self.select(selectors, &v, &mut next);
                            }
                        }
                    },
                }
            }
            if self.over() {
                return Vec::new();
            }
            current = next;
        }
        current
    }

    /// Whether the query has copied too much; it then finds nothing more.
    fn over(&self) -> bool {
        self.copied.get() > self.limit
    }

    fn spend(&self, n: usize) {
        self.copied.set(self.copied.get().saturating_add(n));
    }

    fn copy(&self, value: &Value) -> Value {
        self.spend(crate::value_size(value));
        if self.over() {
            return Value::Null;
        }
        value.clone()
    }

    fn select(
        &self,
        selectors: &[Selector],
        value: &Cow<'v, Value>,
        out: &mut Vec<Cow<'v, Value>>,
    ) {
        for selector in selectors {
            match selector {
                // jsonpath2: a filter tests the value itself.
                Selector::Filter(expr) => {
                    if self.eval(expr, value) {
                        out.push(self.again(value));
                    }
                }
                Selector::Call(function, args) => self.call(*function, args, value, out),
                Selector::Node(rooted, path) => {
                    let keys = if *rooted {
                        self.from(path, Cow::Borrowed(self.root))
                    } else {
                        self.from(path, self.again(value))
                    };
                    for key in keys {
                        // jsonpath2: a whole number (or a boolean) is an
                        // index, a string a name, anything else nothing.
                        let selector = match &*key {
                            Value::String(name) => Selector::Name(name.clone()),
                            other => match python_int(other) {
                                Some(i) => Selector::Index(i),
                                None => continue,
                            },
                        };
                        self.pick(&selector, value, out);
                    }
                }
                _ => self.pick(selector, value, out),
            }
        }
    }

    /// What a name, index, slice or wildcard finds in `value`.
    fn pick(&self, selector: &Selector, value: &Cow<'v, Value>, out: &mut Vec<Cow<'v, Value>>) {
        match value {
            Cow::Borrowed(document) => {
                let mut found = Vec::new();
                children(selector, document, &mut found);
                out.extend(found.into_iter().map(Cow::Borrowed));
            }
            Cow::Owned(made) => {
                let mut found = Vec::new();
                children(selector, made, &mut found);
                out.extend(found.into_iter().map(|v| Cow::Owned(self.copy(v))));
            }
        }
    }

    /// The same value once more.
    fn again(&self, value: &Cow<'v, Value>) -> Cow<'v, Value> {
        match value {
            Cow::Borrowed(v) => Cow::Borrowed(v),
            Cow::Owned(v) => Cow::Owned(self.copy(v)),
        }
    }

    fn eval(&self, expr: &Expr, current: &Cow<'v, Value>) -> bool {
        match expr {
            Expr::Or(a, b) => self.eval(a, current) || self.eval(b, current),
            Expr::And(a, b) => self.eval(a, current) && self.eval(b, current),
            Expr::Not(e) => !self.eval(e, current),
            Expr::Test(operand) => match operand {
                Operand::Path(..) => !self.values(operand, current).is_empty(),
                Operand::Literal(v) => crate::run::truthy(v),
            },
            Expr::Compare(left, op, right) => {
                let (left, right) = (self.values(left, current), self.values(right, current));
                left.iter()
                    .any(|l| right.iter().any(|r| compare(l, *op, r)))
            }
        }
    }

    fn values(&self, operand: &Operand, current: &Cow<'v, Value>) -> Vec<Cow<'v, Value>> {
        match operand {
            Operand::Path(true, path) => self.from(path, Cow::Borrowed(self.root)),
            Operand::Path(false, path) => self.from(path, self.again(current)),
            Operand::Literal(v) => vec![Cow::Owned(v.clone())],
        }
    }

    /// A function on `value`, once for each combination of the values its
    /// arguments find, as jsonpath2 calls it.
    fn call(
        &self,
        function: Function,
        args: &[Operand],
        value: &Cow<'v, Value>,
        out: &mut Vec<Cow<'v, Value>>,
    ) {
        let mut combinations: Vec<Vec<Cow<'v, Value>>> = vec![Vec::new()];
        for arg in args {
            let found = self.values(arg, value);
            self.spend(combinations.len().saturating_mul(found.len()));
            if self.over() {
                return;
            }
            combinations = combinations
                .into_iter()
                .flat_map(|c| {
                    found.iter().map(move |v| {
                        let mut c = c.clone();
                        c.push(v.clone());
                        c
                    })
                })
                .collect();
        }
        for args in combinations {
            let args: Vec<&Value> = args.iter().map(|a| &**a).collect();
            if let Some(v) = self.apply(function, &args, value) {
                out.push(v);
            }
        }
    }

    fn apply(
        &self,
        function: Function,
        args: &[&Value],
        value: &Cow<'v, Value>,
    ) -> Option<Cow<'v, Value>> {
        let made = |v: Value| Some(Cow::Owned(v));
        match (function, &**value, args) {
            (Function::Length, Value::Array(items), []) => made(items.len().into()),
            (Function::Length, Value::String(s), []) => made(s.chars().count().into()),
            (Function::Keys, Value::Object(map), []) => {
                self.spend(map.len());
                made(map.keys().map(|k| Value::String(k.clone())).collect())
            }
            (Function::Keys, Value::Array(items), []) => {
                self.spend(items.len());
                made((0..items.len()).map(Value::from).collect())
            }
            (Function::Values, Value::Object(map), []) => {
                made(map.values().map(|v| self.copy(v)).collect())
            }
            (Function::Values, Value::Array(_), []) => Some(self.again(value)),
            (Function::Entries, Value::Object(map), []) => made(
                map.iter()
                    .map(|(k, v)| Value::Array(vec![Value::String(k.clone()), self.copy(v)]))
                    .collect(),
            ),
            (Function::Entries, Value::Array(items), []) => made(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| Value::Array(vec![i.into(), self.copy(v)]))
                    .collect(),
            ),
            (Function::CharAt, Value::String(s), [i]) => {
                let chars: Vec<char> = s.chars().collect();
                let i = python_index(python_int(i)?, chars.len())?;
                made(Value::String(chars.get(i)?.to_string()))
            }
            (Function::Substring, Value::String(s), [start, rest @ ..]) if rest.len() <= 1 => {
                let chars: Vec<char> = s.chars().collect();
                let len = chars.len();
                let start = python_bound(python_int(start)?, len);
                let end = match rest {
                    [end] => python_bound(python_int(end)?, len),
                    _ => len,
                };
                made(Value::String(
                    chars.get(start..end.max(start))?.iter().collect(),
                ))
            }
            _ => None,
        }
    }
}

/// Python's `int` of a JSON value, as jsonpath2 checks its arguments:
/// whole numbers, and booleans (0 and 1); not `1.0`.
fn python_int(value: &Value) -> Option<i64> {
    match value {
        Value::Bool(b) => Some(i64::from(*b)),
        Value::Number(n) if n.is_u64() => Some(
            n.as_u64()
                .map_or(i64::MAX, |n| i64::try_from(n).unwrap_or(i64::MAX)),
        ),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

/// Python's index `i` into `len` items: from the end when negative.
fn python_index(i: i64, len: usize) -> Option<usize> {
    let len = i64::try_from(len).ok()?;
    let i = if i < 0 { len.checked_add(i)? } else { i };
    if (0..len).contains(&i) {
        usize::try_from(i).ok()
    } else {
        None
    }
}

/// Python's slice bound `i` over `len` items.
fn python_bound(i: i64, len: usize) -> usize {
    let signed = i64::try_from(len).unwrap_or(i64::MAX);
    let i = if i < 0 {
        signed.saturating_add(i).max(0)
    } else {
        i.min(signed)
    };
    usize::try_from(i).unwrap_or(0)
}

/// `value` and everything below it, depth first.
fn descendants<'a>(value: &'a Value, out: &mut Vec<&'a Value>) {
    out.push(value);
    match value {
        Value::Array(items) => items.iter().for_each(|v| descendants(v, out)),
        Value::Object(map) => map.values().for_each(|v| descendants(v, out)),
        _ => {}
    }
}

/// What a name, index, slice or wildcard finds in `value`.
fn children<'a>(selector: &Selector, value: &'a Value, out: &mut Vec<&'a Value>) {
    match (selector, value) {
        (Selector::Name(name), Value::Object(map)) => out.extend(map.get(name)),
        (Selector::Index(i), Value::Array(items)) => {
            let i = if *i < 0 { items.len() as i64 + i } else { *i };
            out.extend(usize::try_from(i).ok().and_then(|i| items.get(i)));
        }
        (Selector::Slice(start, end, step), Value::Array(items)) => {
            out.extend(slice(items, *start, *end, *step));
        }
        (Selector::Wildcard, Value::Array(items)) => out.extend(items.iter()),
        (Selector::Wildcard, Value::Object(map)) => out.extend(map.values()),
        _ => {}
    }
}

/// jsonpath2's slice: Python's `range(start, end, step)` with `start`
/// defaulting to 0 and `end` to the length whatever the step (so `[::-1]`
/// is empty, as there), negative bounds counted from the end.
fn slice(items: &[Value], start: Option<i64>, end: Option<i64>, step: Option<i64>) -> Vec<&Value> {
    let len = items.len() as i64;
    let step = step.unwrap_or(1);
    let norm = |i: i64| if i < 0 { (len + i).max(0) } else { i.min(len) };
    let (mut i, end) = (norm(start.unwrap_or(0)), norm(end.unwrap_or(len)));
    let mut out = Vec::new();
    while (step > 0 && i < end) || (step < 0 && i > end) {
        out.extend(usize::try_from(i).ok().and_then(|i| items.get(i)));
        i += step;
    }
    out
}

fn compare(left: &Value, op: Op, right: &Value) -> bool {
    // Python's: booleans compare as 0 and 1.
    let number = |v: &Value| match v {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    };
    let order = match (left, right) {
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        (Value::Number(_) | Value::Bool(_), Value::Number(_) | Value::Bool(_)) => {
            number(left).partial_cmp(&number(right))
        }
        // jsonpath2 orders numbers only: `"b" > "a"`, and even
        // `"a" >= "a"`, are false there; `=` and `!=` compare the rest.
        _ => None,
    };
    // `1 = 1.0` and `true = 1` as numbers; strings, lists and the rest
    // as values.
    let equal = order == Some(std::cmp::Ordering::Equal) || left == right;
    match op {
        Op::Eq => equal,
        Op::Ne => !equal,
        Op::Lt => order == Some(std::cmp::Ordering::Less),
        Op::Le => matches!(
            order,
            Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
        ),
        Op::Gt => order == Some(std::cmp::Ordering::Greater),
        Op::Ge => matches!(
            order,
            Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)
        ),
    }
}

/// How deep filters may nest in a path.
const MAX_NESTING: usize = 32;

struct Parser {
    chars: Vec<char>,
    at: usize,
}

impl Parser {
    fn error(&self, expected: &str) -> String {
        let found = self
            .chars
            .get(self.at)
            .map_or_else(|| "the end".to_owned(), |c| format!("'{c}'"));
        format!(
            "expected {expected} at character {}, found {found}",
            self.at
        )
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn eat_str(&mut self, s: &str) -> bool {
        let n = s.chars().count();
        if self.chars.len() >= self.at + n
            && self.chars[self.at..self.at + n]
                .iter()
                .copied()
                .eq(s.chars())
        {
            self.at += n;
            true
        } else {
            false
        }
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.at += 1;
        }
    }

    fn segments(&mut self) -> Result<JsonPath, String> {
        self.segments_at(0)
    }

    fn segments_at(&mut self, depth: usize) -> Result<JsonPath, String> {
        let mut segments = Vec::new();
        loop {
            // jsonpath2 reads spaces between any two tokens.
            self.skip_spaces();
            if self.eat_str("..") {
                self.skip_spaces();
                let selectors = if self.eat('[') {
                    self.selectors(depth)?
                } else if self.eat('*') {
                    vec![Selector::Wildcard]
                } else {
                    vec![self.name_or_call(depth)?]
                };
                segments.push(Segment::Descendants(selectors));
            } else if self.eat('.') {
                self.skip_spaces();
                if self.eat('*') {
                    segments.push(Segment::Child(vec![Selector::Wildcard]));
                } else {
                    segments.push(Segment::Child(vec![self.name_or_call(depth)?]));
                }
            } else if self.eat('[') {
                let selectors = self.selectors(depth)?;
                segments.push(Segment::Child(selectors));
            } else {
                return Ok(JsonPath { segments });
            }
        }
    }

    fn name(&mut self) -> Result<String, String> {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-')
        {
            self.at += 1;
        }
        if self.at == start {
            return Err(self.error("a name"));
        }
        Ok(self.chars[start..self.at].iter().collect())
    }

    /// A name, or a function when `(` follows it.
    fn name_or_call(&mut self, depth: usize) -> Result<Selector, String> {
        let start = self.at;
        let name = self.name()?;
        let after = self.at;
        self.skip_spaces();
        if self.peek() == Some('(') {
            self.call(start, &name, depth)
        } else {
            self.at = after;
            Ok(Selector::Name(name))
        }
    }

    /// At `(` after the function `name`, which starts at `start`: its
    /// arguments up to `)`.
    fn call(&mut self, start: usize, name: &str, depth: usize) -> Result<Selector, String> {
        let Some(function) = Function::named(name) else {
            self.at = start;
            return Err(self.error(
                "one of jsonpath2's functions (charAt, entries, keys, length, substring, values)",
            ));
        };
        if depth >= MAX_NESTING {
            return Err(self.error("fewer nested arguments"));
        }
        self.eat('(');
        let mut args = Vec::new();
        self.skip_spaces();
        if !self.eat(')') {
            loop {
                args.push(self.operand(depth + 1)?);
                self.skip_spaces();
                if self.eat(')') {
                    break;
                }
                if !self.eat(',') {
                    return Err(self.error("',' or ')'"));
                }
            }
        }
        Ok(Selector::Call(function, args))
    }

    /// After `[`: selectors up to `]`.
    fn selectors(&mut self, depth: usize) -> Result<Vec<Selector>, String> {
        let mut selectors = Vec::new();
        loop {
            self.skip_spaces();
            selectors.push(self.selector(depth)?);
            self.skip_spaces();
            if self.eat(']') {
                return Ok(selectors);
            }
            if !self.eat(',') {
                return Err(self.error("',' or ']'"));
            }
        }
    }

    fn selector(&mut self, depth: usize) -> Result<Selector, String> {
        if self.eat('*') {
            return Ok(Selector::Wildcard);
        }
        if self.eat('?') {
            if depth >= MAX_NESTING {
                return Err(self.error("fewer nested filters"));
            }
            self.skip_spaces();
            let parenthesized = self.eat('(');
            let expr = self.and(depth + 1)?;
            self.skip_spaces();
            if parenthesized && !self.eat(')') {
                return Err(self.error("')' closing the filter"));
            }
            return Ok(Selector::Filter(Box::new(expr)));
        }
        if matches!(self.peek(), Some('"' | '\'')) {
            return Ok(Selector::Name(self.string()?));
        }
        if let Some(rooted) = self
            .eat('$')
            .then_some(true)
            .or_else(|| self.eat('@').then_some(false))
        {
            if depth >= MAX_NESTING {
                return Err(self.error("fewer nested paths"));
            }
            return Ok(Selector::Node(rooted, self.segments_at(depth + 1)?));
        }
        if self.peek().is_some_and(char::is_alphabetic) {
            let start = self.at;
            let name = self.name()?;
            if self.peek() != Some('(') {
                self.at = start;
                return Err(
                    self.error("'*', an index, a slice, a quoted name, a filter or a function")
                );
            }
            return self.call(start, &name, depth);
        }
        let start = self.integer()?;
        if self.eat(':') {
            let end = self.integer()?;
            let step = if self.eat(':') { self.integer()? } else { None };
            return Ok(Selector::Slice(start, end, step));
        }
        start.map(Selector::Index).ok_or_else(|| {
            self.error("'*', an index, a slice, a quoted name, a filter or a function")
        })
    }

    fn integer(&mut self) -> Result<Option<i64>, String> {
        self.skip_spaces();
        let start = self.at;
        self.eat('-');
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.at += 1;
        }
        let text: String = self.chars[start..self.at].iter().collect();
        if text.is_empty() {
            return Ok(None);
        }
        text.parse()
            .map(Some)
            .map_err(|_| format!("invalid index '{text}' at character {start}"))
    }

    fn string(&mut self) -> Result<String, String> {
        let quote = self.peek().unwrap_or('"');
        let start = self.at;
        self.at += 1;
        let mut raw = String::from('"');
        loop {
            match self.peek() {
                None => return Err(format!("unterminated string at character {start}")),
                Some(c) if c == quote => {
                    self.at += 1;
                    break;
                }
                Some('\\') => {
                    raw.push('\\');
                    self.at += 1;
                    if let Some(c) = self.peek() {
                        raw.push(c);
                        self.at += 1;
                    }
                }
                Some('"') => {
                    raw.push_str("\\\"");
                    self.at += 1;
                }
                Some(c) => {
                    raw.push(c);
                    self.at += 1;
                }
            }
        }
        raw.push('"');
        serde_json::from_str(&raw).map_err(|e| format!("invalid string at character {start}: {e}"))
    }

    /// jsonpath2's grammar: `or` binds tighter than `and`, so
    /// `a or b and c` is `(a or b) and c` (ANTLR's `andExpression: orExpression
    /// (AND andExpression)?`), and `a and b or c` is `a and (b or c)`.
    fn and(&mut self, depth: usize) -> Result<Expr, String> {
        let mut left = self.or(depth)?;
        loop {
            self.skip_spaces();
            if self.keyword("and") || self.eat_str("&&") {
                let right = self.or(depth)?;
                left = Expr::And(Box::new(left), Box::new(right));
            } else {
                return Ok(left);
            }
        }
    }

    fn or(&mut self, depth: usize) -> Result<Expr, String> {
        let mut left = self.not(depth)?;
        loop {
            self.skip_spaces();
            if self.keyword("or") || self.eat_str("||") {
                let right = self.not(depth)?;
                left = Expr::Or(Box::new(left), Box::new(right));
            } else {
                return Ok(left);
            }
        }
    }

    /// `word` followed by something that cannot continue a name.
    fn keyword(&mut self, word: &str) -> bool {
        let save = self.at;
        if self.eat_str(word) && !self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            return true;
        }
        self.at = save;
        false
    }

    fn not(&mut self, depth: usize) -> Result<Expr, String> {
        self.skip_spaces();
        if self.keyword("not")
            || (self.peek() == Some('!')
                && self.chars.get(self.at + 1) != Some(&'=')
                && self.eat('!'))
        {
            return Ok(Expr::Not(Box::new(self.not(depth)?)));
        }
        if self.eat('(') {
            let inner = self.and(depth)?;
            self.skip_spaces();
            if !self.eat(')') {
                return Err(self.error("')'"));
            }
            return Ok(inner);
        }
        let left = self.operand(depth)?;
        self.skip_spaces();
        let op = if self.eat_str("==") || self.eat('=') {
            Op::Eq
        } else if self.eat_str("!=") {
            Op::Ne
        } else if self.eat_str("<=") {
            Op::Le
        } else if self.eat_str(">=") {
            Op::Ge
        } else if self.eat('<') {
            Op::Lt
        } else if self.eat('>') {
            Op::Gt
        } else {
            return Ok(Expr::Test(left));
        };
        let right = self.operand(depth)?;
        Ok(Expr::Compare(left, op, right))
    }

    fn operand(&mut self, depth: usize) -> Result<Operand, String> {
        self.skip_spaces();
        if self.eat('@') {
            return Ok(Operand::Path(false, self.segments_at(depth)?));
        }
        if self.eat('$') {
            return Ok(Operand::Path(true, self.segments_at(depth)?));
        }
        if matches!(self.peek(), Some('"' | '\'')) {
            return Ok(Operand::Literal(Value::String(self.string()?)));
        }
        if matches!(self.peek(), Some('{' | '[')) {
            // A JSON list or mapping, as jsonpath2 takes one.
            let rest: String = self.chars[self.at..].iter().collect();
            let mut stream = serde_json::Deserializer::from_str(&rest).into_iter::<Value>();
            return match stream.next() {
                Some(Ok(value)) => {
                    self.at += rest
                        .get(..stream.byte_offset())
                        .unwrap_or("")
                        .chars()
                        .count();
                    Ok(Operand::Literal(value))
                }
                _ => Err(self.error("a JSON list or mapping")),
            };
        }
        for (word, value) in [
            ("true", Value::Bool(true)),
            ("false", Value::Bool(false)),
            ("null", Value::Null),
        ] {
            if self.keyword(word) {
                return Ok(Operand::Literal(value));
            }
        }
        let start = self.at;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
        {
            self.at += 1;
        }
        let text: String = self.chars[start..self.at].iter().collect();
        serde_json::from_str::<serde_json::Number>(&text)
            .map(|n| Operand::Literal(Value::Number(n)))
            .map_err(|_| {
                self.at = start;
                self.error("a path, a string, a number, true, false or null")
            })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn find(path: &str, value: &Value) -> Vec<Value> {
        JsonPath::parse(path)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .query(value)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .into_iter()
            .map(Cow::into_owned)
            .collect()
    }

    /// The cases of chaoslib's `test_tolerance.py`, and jsonpath2's
    /// meaning of a filter.
    #[test]
    fn jsonpath2_semantics() {
        let list = json!({"foo": [{"baz": 1}, {"baz": 2}]});
        assert_eq!(
            find("$.foo.*[?(@.baz)]", &list),
            vec![json!({"baz": 1}), json!({"baz": 2})]
        );
        assert!(find("$.notsofoo.*[?(@.baz)].baz", &list).is_empty());
        let object = json!({"foo": {"baz": "hello"}});
        assert_eq!(find("$.foo[?(@.baz)].baz", &object), vec![json!("hello")]);
        assert_eq!(find(r#"$.foo[?(@.baz="hello")]"#, &object).len(), 1);
        assert!(find(r#"$.foo[?(@.baz="bonjour")]"#, &object).is_empty());
        assert_eq!(find("$.foo.*[?(@.baz=2)]", &list).len(), 1);
        assert_eq!(find("$.foo[*].baz", &list), vec![json!(1), json!(2)]);
        // A filter on a list tests the list, as in jsonpath2.
        assert!(find("$.foo[?(@.baz)]", &list).is_empty());
    }

    #[test]
    fn prometheus_payload_paths() {
        let payload = json!({"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {"job": "api", "instance": "a"}, "value": [1.5, "0.02"]},
            {"metric": {"job": "db", "instance": "b"}, "value": [1.5, "3"]}
        ]}});
        assert_eq!(find("$.status", &payload), vec![json!("success")]);
        assert_eq!(
            find("$.data.result[0].value[1]", &payload),
            vec![json!("0.02")]
        );
        assert_eq!(
            find("$.data.result[-1].metric.job", &payload),
            vec![json!("db")]
        );
        assert_eq!(
            find("$.data.result[*].metric.job", &payload),
            vec![json!("api"), json!("db")]
        );
        assert_eq!(
            find(
                r#"$.data.result.*[?(@.metric.job="api")].value[1]"#,
                &payload
            ),
            vec![json!("0.02")]
        );
        assert_eq!(
            find(
                r#"$.data.result.*[?(@.metric.job!="api" and @.metric.instance=="b")].metric.job"#,
                &payload
            ),
            vec![json!("db")]
        );
        assert_eq!(find("$..job", &payload), vec![json!("api"), json!("db")]);
        assert_eq!(
            find("$.data.result[0:1].metric.instance", &payload),
            vec![json!("a")]
        );
        assert_eq!(
            find("$['data']['resultType']", &payload),
            vec![json!("vector")]
        );
        assert_eq!(
            find(
                "$.data.result.*[?(@.value[0] >= 1)].metric.instance",
                &payload
            )
            .len(),
            2
        );
        assert_eq!(
            find(
                "$.data.result.*[?(not @.metric.nope)].metric.instance",
                &payload
            )
            .len(),
            2
        );
    }

    /// Answers recorded from jsonpath2 0.4.5 itself, functions included.
    /// What it cannot parse is refused here too, but `$['data']`, which
    /// this runner reads on purpose.
    #[test]
    fn agrees_with_jsonpath2_itself() {
        let recorded: Value =
            serde_json::from_str(include_str!("../tests/fixtures/jsonpath2-0.4.5.json")).unwrap();
        let mut compared = 0;
        for (i, doc) in recorded["docs"].as_array().unwrap().iter().enumerate() {
            for path in recorded["paths"].as_array().unwrap() {
                let path = path.as_str().unwrap();
                let expected = &recorded["out"][format!("{i} {path}")];
                if expected == "ERROR" {
                    if !path.starts_with("$['") {
                        assert!(JsonPath::parse(path).is_err(), "{path} parsed");
                    }
                    continue;
                }
                let mut ours = find(path, doc);
                let mut theirs = expected.as_array().unwrap().clone();
                let key = |v: &Value| v.to_string();
                ours.sort_by_key(key);
                theirs.sort_by_key(key);
                assert_eq!(ours, theirs, "document {i}, {path}");
                compared += 1;
            }
        }
        assert_eq!(compared, 435);
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(text in "[$@.\\[\\]{}*?()=!<>a-z0-9'\" :,-]{0,40}") {
            if let Ok(path) = JsonPath::parse(&text) {
                let _ = path.query(&json!({"a": [1, {"b": [2]}], "c": "d"}));
            }
        }

        #[test]
        fn functions_never_panic(
            path in "\\$(\\.(a|c|\\*|length\\(\\)|keys\\(\\)|values\\(\\)|entries\\(\\)|charAt\\(-?[0-9]\\)|substring\\(-?[0-9](,-?[0-9])?\\))){0,6}",
        ) {
            if let Ok(path) = JsonPath::parse(&path) {
                let _ = path.query(&json!({"a": [1, {"b": [2]}, "xyz"], "c": "dé"}));
            }
        }
    }

    #[test]
    fn functions_on_a_prometheus_payload() {
        let payload = json!({"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {"job": "api"}, "value": [1.5, "0.02"]},
            {"metric": {"job": "db"}, "value": [1.5, "3"]}
        ]}});
        assert_eq!(find("$.data.result.length()", &payload), vec![json!(2)]);
        assert_eq!(
            find(
                "$.data.result.*[?(@.metric.job.length() = 2)].value[1]",
                &payload
            ),
            vec![json!("3")]
        );
        assert_eq!(
            find("$.data.result[0].metric.keys()", &payload),
            vec![json!(["job"])]
        );
        assert_eq!(
            find("$.data.result[0].metric.job.substring(0, 1)", &payload),
            vec![json!("a")]
        );
        // A key named like a function is still a key.
        assert_eq!(find("$.length", &json!({"length": 7})), vec![json!(7)]);
    }

    #[test]
    fn functions_copy_within_a_limit() {
        // Every level of this document copies all that is below it.
        let mut deep = json!(vec![0; 100]);
        for _ in 0..20 {
            deep = json!({"a": deep, "w": vec![0; 100]});
        }
        let path = JsonPath::parse("$..values()").unwrap();
        assert!(path.query_within(&deep, 100_000).is_ok());
        let err = path.query_within(&deep, 10_000).unwrap_err();
        assert_eq!(
            err,
            "the path's functions would copy more than 10000 values"
        );
        // Arguments found by paths multiply the calls, within the limit too.
        let many = json!({"s": "abc", "n": vec![0; 200]});
        let path = JsonPath::parse("$.s.substring($.n.*, $.n.*)").unwrap();
        assert_eq!(path.query_within(&many, 100_000).unwrap().len(), 40_000);
        assert!(path.query_within(&many, 1_000).is_err());
    }

    #[test]
    fn bad_paths_say_where() {
        for (path, expected) in [
            ("", "a path starting with '$'"),
            ("foo", "a path starting with '$'"),
            ("$.", "a name"),
            ("$[", "'*', an index"),
            ("$.a[?(@.b", "')'"),
            ("$.a[?(@.b = )]", "a path, a string"),
            ("$.a]", "the end of the path"),
            ("$.size()", "one of jsonpath2's functions (charAt, entries"),
            ("$[size()]", "one of jsonpath2's functions"),
            ("$[size]", "a filter or a function"),
            ("$.length(", "a path, a string"),
            ("$.charAt(1 2)", "',' or ')'"),
            ("$.a[?(@ = {\"n\": )]", "a JSON list or mapping"),
        ] {
            let err = JsonPath::parse(path).unwrap_err();
            assert!(err.contains(expected), "{path}: {err}");
        }
        let deep = format!("$.a{}", "[?(@.b".repeat(40));
        assert!(JsonPath::parse(&deep).is_err());
        let deep = format!("$.a{}", "[$".repeat(40));
        assert!(
            JsonPath::parse(&deep)
                .unwrap_err()
                .contains("fewer nested paths")
        );
    }
}
