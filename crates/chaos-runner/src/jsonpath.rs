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
//! segment   = "." name | ".*" | ".." (name | "*" | "[" selectors "]") | "[" selectors "]"
//! selectors = selector ("," selector)*
//! selector  = "*" | integer | [integer] ":" [integer] [":" [integer]]
//!           | string | "?(" expr ")"
//! expr      = or ;  or = and ("or" and)* ;  and = not ("and" not)*
//! not       = "not" not | "(" expr ")" | operand [op operand]
//! operand   = path | string | number | "true" | "false" | "null"
//! op        = "=" | "==" | "!=" | "<" | "<=" | ">" | ">="
//! ```
//!
//! A comparison holds when any value its path finds compares so with the
//! other side; a path alone holds when it finds anything.

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

    /// Every value the path finds in `root`, in document order.
    pub(crate) fn query<'v>(&self, root: &'v Value) -> Vec<&'v Value> {
        self.from(root, root)
    }

    fn from<'v>(&self, root: &'v Value, start: &'v Value) -> Vec<&'v Value> {
        let mut current = vec![start];
        for segment in &self.segments {
            let mut next = Vec::new();
            for value in current {
                match segment {
                    Segment::Child(selectors) => select(selectors, root, value, &mut next),
                    Segment::Descendants(selectors) => {
                        let mut all = Vec::new();
                        descendants(value, &mut all);
                        for v in all {
                            select(selectors, root, v, &mut next);
                        }
                    }
                }
            }
            current = next;
        }
        current
    }
}

/// `value` and everything below it, depth first.
fn descendants<'v>(value: &'v Value, out: &mut Vec<&'v Value>) {
    out.push(value);
    match value {
        Value::Array(items) => items.iter().for_each(|v| descendants(v, out)),
        Value::Object(map) => map.values().for_each(|v| descendants(v, out)),
        _ => {}
    }
}

fn select<'v>(selectors: &[Selector], root: &'v Value, value: &'v Value, out: &mut Vec<&'v Value>) {
    for selector in selectors {
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
            // jsonpath2: a filter tests the value itself.
            (Selector::Filter(expr), _) if eval(expr, root, value) => out.push(value),
            _ => {}
        }
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

fn eval(expr: &Expr, root: &Value, current: &Value) -> bool {
    match expr {
        Expr::Or(a, b) => eval(a, root, current) || eval(b, root, current),
        Expr::And(a, b) => eval(a, root, current) && eval(b, root, current),
        Expr::Not(e) => !eval(e, root, current),
        Expr::Test(operand) => match operand {
            Operand::Path(..) => !values(operand, root, current).is_empty(),
            Operand::Literal(v) => crate::run::truthy(v),
        },
        Expr::Compare(left, op, right) => {
            let (left, right) = (values(left, root, current), values(right, root, current));
            left.iter()
                .any(|l| right.iter().any(|r| compare(l, *op, r)))
        }
    }
}

fn values<'v>(operand: &'v Operand, root: &'v Value, current: &'v Value) -> Vec<&'v Value> {
    match operand {
        Operand::Path(true, path) => path.from(root, root),
        Operand::Path(false, path) => path.from(root, current),
        Operand::Literal(v) => vec![v],
    }
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
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        (a, b) if a == b => Some(std::cmp::Ordering::Equal),
        _ => None,
    };
    match op {
        Op::Eq => order == Some(std::cmp::Ordering::Equal),
        Op::Ne => order != Some(std::cmp::Ordering::Equal),
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
            if self.eat_str("..") {
                let selectors = if self.eat('[') {
                    self.selectors(depth)?
                } else if self.eat('*') {
                    vec![Selector::Wildcard]
                } else {
                    vec![Selector::Name(self.name()?)]
                };
                segments.push(Segment::Descendants(selectors));
            } else if self.eat('.') {
                if self.eat('*') {
                    segments.push(Segment::Child(vec![Selector::Wildcard]));
                } else {
                    segments.push(Segment::Child(vec![Selector::Name(self.name()?)]));
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
            let expr = self.or(depth + 1)?;
            self.skip_spaces();
            if parenthesized && !self.eat(')') {
                return Err(self.error("')' closing the filter"));
            }
            return Ok(Selector::Filter(Box::new(expr)));
        }
        if matches!(self.peek(), Some('"' | '\'')) {
            return Ok(Selector::Name(self.string()?));
        }
        let start = self.integer()?;
        if self.eat(':') {
            let end = self.integer()?;
            let step = if self.eat(':') { self.integer()? } else { None };
            return Ok(Selector::Slice(start, end, step));
        }
        start
            .map(Selector::Index)
            .ok_or_else(|| self.error("'*', an index, a slice, a quoted name or a filter"))
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

    fn or(&mut self, depth: usize) -> Result<Expr, String> {
        let mut left = self.and(depth)?;
        loop {
            self.skip_spaces();
            if self.keyword("or") || self.eat_str("||") {
                let right = self.and(depth)?;
                left = Expr::Or(Box::new(left), Box::new(right));
            } else {
                return Ok(left);
            }
        }
    }

    fn and(&mut self, depth: usize) -> Result<Expr, String> {
        let mut left = self.not(depth)?;
        loop {
            self.skip_spaces();
            if self.keyword("and") || self.eat_str("&&") {
                let right = self.not(depth)?;
                left = Expr::And(Box::new(left), Box::new(right));
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
            let inner = self.or(depth)?;
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
            .into_iter()
            .cloned()
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

    /// Answers recorded from jsonpath2 0.4.5 itself (the path it cannot
    /// parse, `$['data']`, is skipped).
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
        assert_eq!(compared, 108);
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(text in "[$@.\\[\\]*?()=!<>a-z0-9'\" :,-]{0,40}") {
            if let Ok(path) = JsonPath::parse(&text) {
                let _ = path.query(&json!({"a": [1, {"b": [2]}], "c": "d"}));
            }
        }
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
        ] {
            let err = JsonPath::parse(path).unwrap_err();
            assert!(err.contains(expected), "{path}: {err}");
        }
        let deep = format!("$.a{}", "[?(@.b".repeat(40));
        assert!(JsonPath::parse(&deep).is_err());
    }
}
