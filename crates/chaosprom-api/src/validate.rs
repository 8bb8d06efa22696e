//! Checking an answer as it streams past: one complete JSON document, an
//! object whose `status` is `"success"` and that has `data`.
//!
//! A push parser: bytes go in chunk by chunk, in constant memory (a stack
//! of open containers, bounded, and a few captured strings, bounded), at
//! the speed of a scan (strings are skipped with `memchr`). It checks JSON
//! syntax and UTF-8, not what the data means.

/// Why the bytes are not a successful Prometheus answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Not JSON, or not a Prometheus envelope: what was wrong and where.
    Invalid {
        /// The byte offset in the (decoded) body.
        offset: u64,
        /// What was expected and what was found.
        reason: String,
    },
    /// A well-formed envelope whose `status` is not `success`.
    Failed {
        /// The `status` value.
        status: String,
        /// `errorType`.
        error_type: String,
        /// `error`.
        error: String,
    },
}

impl Verdict {
    /// The error this verdict stands for.
    pub(crate) fn into_error(self, method: String, url: String, status: u16) -> crate::Error {
        match self {
            Verdict::Failed {
                status: envelope_status,
                error_type,
                error,
            } => crate::Error::Api {
                method,
                url,
                status,
                error_type: if error_type.is_empty() {
                    format!("(status '{envelope_status}')")
                } else {
                    error_type
                },
                error,
            },
            Verdict::Invalid { offset, reason } => crate::Error::Decode {
                method,
                url,
                offset: usize::try_from(offset).unwrap_or(usize::MAX),
                reason,
            },
        }
    }
}

/// How deep containers may nest (Prometheus answers nest about 6 deep).
const MAX_DEPTH: usize = 512;
/// How much of `error` is kept.
const MAX_CAPTURE: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// A value must come.
    Value,
    /// After `[`: a value or `]`.
    FirstItem,
    /// After `{`: a key or `}`.
    FirstKey,
    /// After `,` in an object: a key.
    Key,
    /// After a key: `:`.
    Colon,
    /// After a value: `,`, a closing bracket, or the end.
    AfterValue,
    /// Inside a string.
    Str { key: bool },
    /// After a backslash in a string.
    Escape { key: bool },
    /// Inside `\uXXXX`, with this many hex digits to come.
    Unicode { key: bool, left: u8 },
    /// Inside a number.
    Num(Num),
    /// Inside `true`, `false` or `null`: the rest to come.
    Literal { word: &'static [u8], at: u8 },
    /// After the top-level value.
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Num {
    /// After `-`.
    Minus,
    /// After a leading `0`.
    Zero,
    /// In the integer digits.
    Int,
    /// After `.`.
    Dot,
    /// In the fraction digits.
    Frac,
    /// After `e`.
    Exp,
    /// After `e+` or `e-`.
    ExpSign,
    /// In the exponent digits.
    ExpDigits,
}

impl Num {
    /// The number's state after byte `b`, or `None` when `b` is not part of
    /// it.
    #[inline]
    fn step(self, b: u8) -> Option<Num> {
        match (self, b) {
            (Num::Minus, b'0') => Some(Num::Zero),
            (Num::Minus | Num::Int, b'1'..=b'9') | (Num::Int, b'0') => Some(Num::Int),
            (Num::Zero | Num::Int, b'.') => Some(Num::Dot),
            (Num::Zero | Num::Int | Num::Frac, b'e' | b'E') => Some(Num::Exp),
            (Num::Dot | Num::Frac, b'0'..=b'9') => Some(Num::Frac),
            (Num::Exp, b'+' | b'-') => Some(Num::ExpSign),
            (Num::Exp | Num::ExpSign | Num::ExpDigits, b'0'..=b'9') => Some(Num::ExpDigits),
            _ => None,
        }
    }

    /// Whether the number may end here.
    #[inline]
    fn can_end(self) -> bool {
        matches!(self, Num::Zero | Num::Int | Num::Frac | Num::ExpDigits)
    }

    /// Whether a run of digits keeps this state.
    #[inline]
    fn in_digits(self) -> bool {
        matches!(self, Num::Int | Num::Frac | Num::ExpDigits)
    }
}

/// The end of the sample pairs from `chunk[i]`: of one, or, `in_array`
/// (a series' `values`, where a `,` comes before a value, not a key), of
/// every pair that follows it after a `,`, without a turn through the
/// machine per pair; `None` when there is no pair at `i`.
#[inline(never)]
fn sample_pairs(chunk: &[u8], i: usize, in_array: bool) -> Option<usize> {
    let mut end = None;
    let mut at = i;
    while let Some(next) = sample_pair(chunk, at) {
        end = Some(next);
        if !in_array || chunk.get(next) != Some(&b',') {
            break;
        }
        at = next + 1;
    }
    end
}

/// The end (one past `]`) of a sample pair that starts at `chunk[i]` and
/// ends in this chunk: `[`, a number without sign or exponent
/// (`(0|[1-9]\d*)(\.\d+)?`), `,`, `"`, a string without `\` or control
/// characters, `"`, `]`, and no whitespace; `None` for anything else,
/// which the byte-by-byte machine then reads (and judges) as usual. It
/// accepts nothing the machine would refuse and leaves it where the
/// machine would be: after a value.
///
/// The usual time (ten digits, and a fraction or not) is read in two
/// loads; any other goes through the digits one word, then one byte, at a
/// time. Branches, not arithmetic on the bytes, find where digits end: the
/// times of a series have one length, which the processor predicts and
/// runs ahead on.
#[inline(always)]
fn sample_pair(chunk: &[u8], i: usize) -> Option<usize> {
    let mut j = match usual_time(chunk, i) {
        Some(j) => j,
        None => general_time(chunk, i)?,
    };
    // Sample values are short ("0.84", "NaN", "+Inf", "1e+06"): the
    // closing quote within 32 bytes, looked for two words at a time, the
    // first two as one 128-bit mask (values of 7 and of 8 bytes alternate,
    // and a branch on which word holds the quote would be mispredicted).
    let stops = |at: usize| -> Option<u128> {
        let bytes: [u8; 16] = chunk.get(at..at + 16)?.try_into().ok()?;
        let word = |half: &[u8]| {
            let x = u64::from_le_bytes(half.try_into().unwrap_or_default());
            u128::from(has_byte(x, b'"') | has_byte(x, b'\\') | has_below(x, 0x20))
        };
        Some(word(&bytes[..8]) | word(&bytes[8..]) << 64)
    };
    let mut found = stops(j)?;
    if found == 0 {
        j += 16;
        found = stops(j)?;
    }
    if found == 0 {
        return None;
    }
    let quote = j + (found.trailing_zeros() / 8) as usize;
    (chunk[quote] == b'"' && chunk.get(quote + 1) == Some(&b']')).then_some(quote + 2)
}

/// Where the value of a pair at `chunk[i]` starts (after `,"`), read the
/// general way: `[`, a number without sign or exponent, `,"`.
#[inline(always)]
fn general_time(chunk: &[u8], i: usize) -> Option<usize> {
    if chunk.get(i) != Some(&b'[') {
        return None;
    }
    let digits = |mut j: usize| {
        // Eight at a time while a whole word is digits (a Unix time has
        // ten), then one by one.
        while let Some(word) = chunk.get(j..j + 8) {
            let x = u64::from_le_bytes(word.try_into().unwrap_or_default());
            if !all_digits(x) {
                break;
            }
            j += 8;
        }
        while chunk.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        j
    };
    // No `-`: a time before 1970 is left to the machine, and where the
    // digits start stays a constant offset, not a load's result.
    let mut j = i + 1;
    j = match chunk.get(j)? {
        b'0' => j + 1,
        b'1'..=b'9' => digits(j + 1),
        _ => return None,
    };
    if chunk.get(j) == Some(&b'.') {
        let after = digits(j + 1);
        if after == j + 1 {
            return None;
        }
        j = after;
    }
    if chunk.get(j..j + 2)? != b",\"" {
        return None;
    }
    j += 2;
    Some(j)
}

/// Where the value of a pair at `chunk[i]` starts when its time is the
/// usual one: ten digits not starting with `0` (2001 to 2286), read in two
/// loads, then `,"` or a fraction and `,"`; `None` for anything else.
#[inline(always)]
fn usual_time(chunk: &[u8], i: usize) -> Option<usize> {
    let head = chunk.get(i..i + 13)?;
    let digits = u64::from_le_bytes(head[1..9].try_into().unwrap_or_default());
    let rest = u32::from_le_bytes(head[9..13].try_into().unwrap_or_default());
    let two = u64::from(rest & 0xFFFF) | 0x3030_3030_3030_0000;
    if head[0] != b'[' || head[1] == b'0' || !all_digits(digits) || !all_digits(two) {
        return None;
    }
    if rest >> 16 == 0x222C {
        return Some(i + 13);
    }
    if head[11] != b'.' {
        return None;
    }
    let mut j = i + 12;
    while chunk.get(j).is_some_and(u8::is_ascii_digit) {
        j += 1;
    }
    (j > i + 12 && chunk.get(j..j + 2)? == b",\"").then_some(j + 2)
}

/// Whether every byte of `x` is an ASCII digit: each byte minus `'0'` is
/// below 10 with nothing borrowed, which adding 6 (0x76 - 0x70) shows in
/// the high half of each byte.
#[inline]
fn all_digits(x: u64) -> bool {
    const HIGHS: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    let low = x.wrapping_sub(0x3030_3030_3030_3030);
    (x & HIGHS) == 0x3030_3030_3030_3030 && (low.wrapping_add(0x0606_0606_0606_0606) & HIGHS) == 0
}

/// The high bit of each byte of `x` below `n` (at most 0x80), at least for
/// the lowest such byte (a borrow may also mark bytes above it, never
/// below).
#[inline]
fn has_below(x: u64, n: u8) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    x.wrapping_sub(ONES * u64::from(n)) & !x & HIGHS
}

/// The high bit of each byte of `x` that equals `b` set, at least for the
/// lowest such byte (a borrow may also mark bytes above it, never below):
/// its trailing zeros divided by eight give the first match.
#[inline]
fn has_byte(x: u64, b: u8) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let y = x ^ (ONES * u64::from(b));
    y.wrapping_sub(ONES) & !y & HIGHS
}

/// Where the plain text of a string that goes on at `chunk[i]` stops: at
/// `"`, at `\`, at a control character (which JSON wants escaped), or at
/// the chunk's end.
#[inline]
fn string_stop(chunk: &[u8], mut i: usize) -> usize {
    // Most strings are short (sample values, label values): a plain loop
    // first, then memchr for long ones.
    let n = chunk.len();
    let short_end = n.min(i + 24);
    while i < short_end && !matches!(chunk[i], b'"' | b'\\' | 0..0x20) {
        i += 1;
    }
    if i < short_end || i == n {
        return i;
    }
    let end = memchr::memchr2(b'"', b'\\', &chunk[i..]).map_or(n, |at| i + at);
    let text = &chunk[i..end];
    // Looked for without stopping early, which vectorises.
    if text.iter().fold(false, |seen, &b| seen | (b < 0x20)) {
        return i + text.iter().position(|&b| b < 0x20).unwrap_or(text.len());
    }
    end
}

/// Which top-level field a string being read belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    None,
    Status,
    ErrorType,
    Error,
}

/// The validator.
#[derive(Debug)]
pub(crate) struct Validator {
    state: State,
    /// Open containers: `b'{'` or `b'['`.
    stack: Vec<u8>,
    /// Bytes consumed before the current chunk.
    offset: u64,
    /// An incomplete UTF-8 sequence at the end of the last chunk.
    utf8_tail: Vec<u8>,
    /// The top-level key being read, when short enough to matter.
    key: Vec<u8>,
    key_overflow: bool,
    /// Which top-level field the value being read belongs to.
    field: Field,
    /// The raw text of the string being captured.
    capture: Vec<u8>,
    status: Option<String>,
    error_type: String,
    error: String,
    has_data: bool,
}

impl Validator {
    pub(crate) fn new() -> Self {
        Self {
            state: State::Value,
            stack: Vec::with_capacity(16),
            offset: 0,
            utf8_tail: Vec::new(),
            key: Vec::new(),
            key_overflow: false,
            field: Field::None,
            capture: Vec::new(),
            status: None,
            error_type: String::new(),
            error: String::new(),
            has_data: false,
        }
    }

    /// Whether the `status` read so far says the answer failed (its
    /// `errorType` and `error` may still be to come).
    pub(crate) fn failed_status(&self) -> bool {
        self.status.as_deref().is_some_and(|s| s != "success")
    }

    /// Checks the next chunk.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Result<(), Verdict> {
        self.check_utf8(chunk)?;
        let mut i = 0;
        let n = chunk.len();
        while i < n {
            if self.stack.len() >= 2 {
                i = self.nested(chunk, i);
                if i == n {
                    break;
                }
            }
            let b = chunk[i];
            match self.state {
                State::Str { key } => {
                    let start = i;
                    i = string_stop(chunk, i);
                    if self.stack.len() == 1 {
                        self.capture_bytes(key, &chunk[start..i]);
                    }
                    if i == n {
                        continue;
                    }
                    match chunk[i] {
                        b'"' => self.end_string(key),
                        b'\\' => {
                            if self.stack.len() == 1 {
                                self.capture_bytes(key, b"\\");
                            }
                            self.state = State::Escape { key };
                        }
                        b => {
                            return Err(self.invalid(
                                i,
                                "text or '\"' in a string (a control character must be escaped)",
                                b,
                            ));
                        }
                    }
                }
                State::Escape { key } => {
                    self.capture_bytes(key, &[b]);
                    self.state = match b {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {
                            State::Str { key }
                        }
                        b'u' => State::Unicode { key, left: 4 },
                        _ => return Err(self.invalid(i, "a valid escape after '\\'", b)),
                    };
                }
                State::Unicode { key, left } => {
                    if !b.is_ascii_hexdigit() {
                        return Err(self.invalid(i, "a hex digit in '\\u'", b));
                    }
                    self.capture_bytes(key, &[b]);
                    self.state = if left == 1 {
                        State::Str { key }
                    } else {
                        State::Unicode {
                            key,
                            left: left - 1,
                        }
                    };
                }
                State::Num(num) => {
                    if num.in_digits() {
                        // A run of digits changes nothing.
                        while i < n && chunk[i].is_ascii_digit() {
                            i += 1;
                        }
                        if i == n {
                            continue;
                        }
                    }
                    let b = chunk[i];
                    match num.step(b) {
                        Some(next) => self.state = State::Num(next),
                        None if num.can_end() => {
                            // The number ended: this byte is read afresh.
                            self.end_value();
                            continue;
                        }
                        None => return Err(self.invalid(i, "a digit", b)),
                    }
                }
                State::Literal { word, at } => {
                    if b != word[usize::from(at)] {
                        return Err(self.invalid(i, "true, false or null", b));
                    }
                    if usize::from(at) + 1 == word.len() {
                        self.end_value();
                    } else {
                        self.state = State::Literal { word, at: at + 1 };
                    }
                }
                _ if matches!(b, b' ' | b'\t' | b'\n' | b'\r') => {}
                State::Value | State::FirstItem => self.start_value(i, b)?,
                State::FirstKey | State::Key => {
                    if b == b'}' && self.state == State::FirstKey {
                        self.close(i, b'{')?;
                    } else if b == b'"' {
                        self.key.clear();
                        self.key_overflow = false;
                        self.state = State::Str { key: true };
                    } else {
                        return Err(self.invalid(i, "a key in double quotes", b));
                    }
                }
                State::Colon => {
                    if b != b':' {
                        return Err(self.invalid(i, "':'", b));
                    }
                    self.state = State::Value;
                }
                State::AfterValue => match (b, self.stack.last()) {
                    (b',', Some(b'{')) => self.state = State::Key,
                    (b',', Some(_)) => self.state = State::Value,
                    (b'}', Some(b'{')) => self.close(i, b'{')?,
                    (b']', Some(b'[')) => self.close(i, b'[')?,
                    (_, Some(b'{')) => return Err(self.invalid(i, "',' or '}'", b)),
                    _ => return Err(self.invalid(i, "',' or ']'", b)),
                },
                State::Done => {
                    return Err(self.invalid(i, "nothing after the JSON document", b));
                }
            }
            i += 1;
        }
        self.offset += n as u64;
        Ok(())
    }

    /// The fast path: bytes inside containers below the top level, where
    /// nothing is captured, with the state in a local. It makes only the
    /// transitions the general loop makes, and hands back (at the byte it
    /// returns) whatever else comes: whitespace, escapes, literals, errors,
    /// and the return to the top level.
    #[inline]
    fn nested(&mut self, chunk: &[u8], mut i: usize) -> usize {
        let n = chunk.len();
        let mut state = self.state;
        let stack = &mut self.stack;
        while i < n && stack.len() >= 2 {
            let b = chunk[i];
            match state {
                State::Str { key } => {
                    i = string_stop(chunk, i);
                    if i == n || chunk[i] != b'"' {
                        break;
                    }
                    state = if key { State::Colon } else { State::AfterValue };
                    i += 1;
                }
                State::Num(num) => {
                    if num.in_digits() {
                        while i < n && chunk[i].is_ascii_digit() {
                            i += 1;
                        }
                        if i == n {
                            break;
                        }
                    }
                    match num.step(chunk[i]) {
                        Some(next) => {
                            state = State::Num(next);
                            i += 1;
                        }
                        // The number ended: this byte is read afresh.
                        None if num.can_end() => state = State::AfterValue,
                        None => break,
                    }
                }
                State::AfterValue => match (b, stack.last()) {
                    (b',', Some(b'{')) => {
                        state = State::Key;
                        i += 1;
                    }
                    (b',', Some(_)) => {
                        state = State::Value;
                        i += 1;
                    }
                    (b']', Some(b'[')) | (b'}', Some(b'{')) => {
                        stack.pop();
                        i += 1;
                    }
                    _ => break,
                },
                State::Value | State::FirstItem => match b {
                    b'[' if stack.len() < MAX_DEPTH => {
                        // Most of a range answer is sample pairs: those
                        // whole in this chunk are read in one go, the
                        // rest byte by byte.
                        if let Some(end) = sample_pairs(chunk, i, stack.last() == Some(&b'[')) {
                            state = State::AfterValue;
                            i = end;
                        } else {
                            stack.push(b);
                            state = State::FirstItem;
                            i += 1;
                        }
                    }
                    b'"' => {
                        state = State::Str { key: false };
                        i += 1;
                    }
                    b'-' => {
                        state = State::Num(Num::Minus);
                        i += 1;
                    }
                    b'0' => {
                        state = State::Num(Num::Zero);
                        i += 1;
                    }
                    b'1'..=b'9' => {
                        state = State::Num(Num::Int);
                        i += 1;
                    }
                    b'[' | b'{' if stack.len() < MAX_DEPTH => {
                        stack.push(b);
                        state = if b == b'{' {
                            State::FirstKey
                        } else {
                            State::FirstItem
                        };
                        i += 1;
                    }
                    b']' if state == State::FirstItem => {
                        stack.pop();
                        state = State::AfterValue;
                        i += 1;
                    }
                    _ => break,
                },
                State::FirstKey | State::Key => match b {
                    b'"' => {
                        state = State::Str { key: true };
                        i += 1;
                    }
                    b'}' if state == State::FirstKey => {
                        stack.pop();
                        state = State::AfterValue;
                        i += 1;
                    }
                    _ => break,
                },
                State::Colon if b == b':' => {
                    state = State::Value;
                    i += 1;
                }
                _ => break,
            }
        }
        if stack.len() == 1 && state == State::AfterValue {
            // Back at the top level: what `end_value` does there.
            self.field = Field::None;
        }
        self.state = state;
        i
    }

    /// The verdict once the body has ended.
    pub(crate) fn finish(&mut self) -> Result<(), Verdict> {
        if let State::Num(num) = self.state {
            if num.can_end() {
                self.end_value();
            }
        }
        let at_end = |reason: String| Verdict::Invalid {
            offset: self.offset,
            reason,
        };
        if !self.utf8_tail.is_empty() {
            return Err(at_end("the answer ends inside a UTF-8 character".into()));
        }
        if self.state != State::Done {
            return Err(at_end(if self.offset == 0 {
                "the answer is empty; expected a JSON document".into()
            } else {
                format!(
                    "the answer ends before its JSON document does ({} still open): it was cut short",
                    self.open_description()
                )
            }));
        }
        match self.status.as_deref() {
            Some("success") if self.has_data => Ok(()),
            Some("success") => Err(at_end("a successful answer without 'data'".into())),
            Some(status) => Err(Verdict::Failed {
                status: status.to_owned(),
                error_type: self.error_type.clone(),
                error: self.error.clone(),
            }),
            None => Err(at_end(
                "a JSON document without a 'status' field: not a Prometheus API answer".into(),
            )),
        }
    }

    fn open_description(&self) -> String {
        match self.state {
            State::Str { .. } | State::Escape { .. } | State::Unicode { .. } => "a string".into(),
            _ => format!("{} container(s)", self.stack.len()),
        }
    }

    fn start_value(&mut self, i: usize, b: u8) -> Result<(), Verdict> {
        match b {
            b'{' | b'[' => {
                if self.stack.is_empty() && b != b'{' {
                    return Err(self.invalid(i, "a JSON object", b));
                }
                if self.stack.len() >= MAX_DEPTH {
                    return Err(
                        self.invalid_text(i, format!("containers nested deeper than {MAX_DEPTH}"))
                    );
                }
                self.stack.push(b);
                self.field = Field::None;
                self.state = if b == b'{' {
                    State::FirstKey
                } else {
                    State::FirstItem
                };
            }
            b']' if self.state == State::FirstItem => self.close(i, b'[')?,
            _ if self.stack.is_empty() => return Err(self.invalid(i, "a JSON object", b)),
            b'"' => {
                self.capture.clear();
                self.state = State::Str { key: false };
            }
            b'-' => self.state = State::Num(Num::Minus),
            b'0' => self.state = State::Num(Num::Zero),
            b'1'..=b'9' => self.state = State::Num(Num::Int),
            b't' => {
                self.state = State::Literal {
                    word: b"true",
                    at: 1,
                }
            }
            b'f' => {
                self.state = State::Literal {
                    word: b"false",
                    at: 1,
                }
            }
            b'n' => {
                self.state = State::Literal {
                    word: b"null",
                    at: 1,
                }
            }
            _ => return Err(self.invalid(i, "a JSON value", b)),
        }
        Ok(())
    }

    fn close(&mut self, i: usize, open: u8) -> Result<(), Verdict> {
        if self.stack.pop() != Some(open) {
            return Err(self.invalid_text(i, "a closing bracket that matches nothing".into()));
        }
        self.end_value();
        Ok(())
    }

    /// A value ended: after it comes `,`, a closing bracket, or the end.
    fn end_value(&mut self) {
        if self.stack.len() == 1 {
            self.field = Field::None;
        }
        self.state = if self.stack.is_empty() {
            State::Done
        } else {
            State::AfterValue
        };
    }

    fn capture_bytes(&mut self, key: bool, bytes: &[u8]) {
        if self.stack.len() != 1 {
            return;
        }
        if key {
            if self.key.len() + bytes.len() <= 16 {
                self.key.extend_from_slice(bytes);
            } else {
                self.key_overflow = true;
            }
        } else if self.field != Field::None {
            let room = MAX_CAPTURE.saturating_sub(self.capture.len());
            self.capture
                .extend_from_slice(&bytes[..bytes.len().min(room)]);
        }
    }

    fn end_string(&mut self, key: bool) {
        if key {
            self.state = State::Colon;
            if self.stack.len() == 1 {
                self.field = Field::None;
                if !self.key_overflow {
                    match self.key.as_slice() {
                        b"status" => self.field = Field::Status,
                        b"errorType" => self.field = Field::ErrorType,
                        b"error" => self.field = Field::Error,
                        b"data" => self.has_data = true,
                        _ => {}
                    }
                }
            }
            return;
        }
        if self.stack.len() == 1 && self.field != Field::None {
            let text = unescape(&self.capture);
            match self.field {
                Field::Status => self.status = Some(text),
                Field::ErrorType => self.error_type = text,
                Field::Error => self.error = text,
                Field::None => {}
            }
        }
        self.end_value();
    }

    /// Checks UTF-8 across chunk boundaries.
    fn check_utf8(&mut self, chunk: &[u8]) -> Result<(), Verdict> {
        let mut rest = chunk;
        if !self.utf8_tail.is_empty() {
            let need = utf8_width(self.utf8_tail[0]).saturating_sub(self.utf8_tail.len());
            let take = need.min(rest.len());
            self.utf8_tail.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if take < need {
                return Ok(());
            }
            if std::str::from_utf8(&self.utf8_tail).is_err() {
                return Err(Verdict::Invalid {
                    offset: self.offset,
                    reason: "invalid UTF-8".into(),
                });
            }
            self.utf8_tail.clear();
        }
        match std::str::from_utf8(rest) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_none() => {
                self.utf8_tail.extend_from_slice(&rest[e.valid_up_to()..]);
                Ok(())
            }
            Err(e) => Err(Verdict::Invalid {
                offset: self.offset + (chunk.len() - rest.len() + e.valid_up_to()) as u64,
                reason: "invalid UTF-8".into(),
            }),
        }
    }

    fn invalid(&self, i: usize, expected: &str, found: u8) -> Verdict {
        let found = if found.is_ascii_graphic() {
            format!("'{}'", char::from(found))
        } else {
            format!("byte 0x{found:02x}")
        };
        self.invalid_text(i, format!("expected {expected}, found {found}"))
    }

    fn invalid_text(&self, i: usize, reason: String) -> Verdict {
        Verdict::Invalid {
            offset: self.offset + i as u64,
            reason,
        }
    }
}

/// The width of the UTF-8 sequence a lead byte starts.
fn utf8_width(lead: u8) -> usize {
    match lead {
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

/// A captured string's text, escapes resolved.
fn unescape(raw: &[u8]) -> String {
    let mut quoted = Vec::with_capacity(raw.len() + 2);
    quoted.push(b'"');
    quoted.extend_from_slice(raw);
    quoted.push(b'"');
    serde_json::from_slice::<String>(&quoted)
        .unwrap_or_else(|_| String::from_utf8_lossy(raw).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(body: &[u8]) -> Result<(), Verdict> {
        let mut v = Validator::new();
        v.feed(body)?;
        v.finish()
    }

    /// Every split of the body into two chunks gives the same verdict.
    fn check_split(body: &[u8]) -> Result<(), Verdict> {
        let whole = check(body);
        for at in 0..=body.len() {
            let mut v = Validator::new();
            let split = v
                .feed(&body[..at])
                .and_then(|()| v.feed(&body[at..]))
                .and_then(|()| v.finish());
            assert_eq!(
                split,
                whole,
                "split at {at} of {}",
                String::from_utf8_lossy(body)
            );
        }
        whole
    }

    #[test]
    fn prometheus_answers_pass() {
        for body in [
            &br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"p\u00e9"},"value":[1700000000.123,"1"]}]}}"#[..],
            br#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"NaN"],[2,"+Inf"],[3,"-1.5e-3"]]}]},"warnings":["w"]}"#,
            br#"{"status":"success","data":[]}"#,
            b"{\"status\" : \"success\",\n \"data\": {\"x\": [true, false, null, -0.5E+10, 0, 12]}}\n",
            "{\"data\":\"é\",\"status\":\"success\"}".as_bytes(),
        ] {
            assert_eq!(check_split(body), Ok(()), "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn an_error_envelope_is_a_failure_with_its_reason() {
        let body = br#"{"status":"error","errorType":"execution","error":"query timed out \"x\""}"#;
        assert_eq!(
            check_split(body),
            Err(Verdict::Failed {
                status: "error".into(),
                error_type: "execution".into(),
                error: "query timed out \"x\"".into(),
            })
        );
        let mut v = Validator::new();
        v.feed(br#"{"status":"error","#).unwrap();
        assert!(v.failed_status());
    }

    #[test]
    fn broken_answers_say_what_and_where() {
        let cases: &[(&[u8], u64, &str)] = &[
            (b"", 0, "empty"),
            (
                b"<html><body>502</body></html>",
                0,
                "expected a JSON object, found '<'",
            ),
            (
                br#"{"status":"success","data":{"result":[1,2"#,
                41,
                "cut short",
            ),
            (
                br#"{"status":"success","data":[1,]}"#,
                30,
                "expected a JSON value, found ']'",
            ),
            (br#"{"status":"success","data":[1]}}"#, 31, "nothing after"),
            (
                br#"{"status":"success","data":01}"#,
                28,
                "expected ',' or '}', found '1'",
            ),
            (
                br#"{"status":"success","data":tru}"#,
                30,
                "true, false or null",
            ),
            (br#"{"status":"success"}"#, 20, "without 'data'"),
            (br#"{"data":1}"#, 10, "without a 'status'"),
            (br#"[{"status":"success"}]"#, 0, "expected a JSON object"),
            (br#"{"status":"success","data":"\x"}"#, 29, "valid escape"),
            (
                b"{\"status\":\"success\",\"data\":\"\xff\"}",
                28,
                "invalid UTF-8",
            ),
            (br#"{"status":"success","data":1e}"#, 29, "expected a digit"),
            (
                b"{\"status\":\"success\",\"data\":\"a\tb\"}",
                29,
                "found byte 0x09",
            ),
            (
                b"{\"status\":\"success\",\"data\":[[1,\"a\x01\"]]}",
                33,
                "a control character must be escaped",
            ),
            (
                b"{\"status\":\"success\",\"error\":\"\x1f\",\"data\":1}",
                29,
                "a control character must be escaped",
            ),
        ];
        for (body, offset, reason) in cases {
            match check_split(body) {
                Err(Verdict::Invalid {
                    offset: o,
                    reason: r,
                }) => {
                    assert_eq!(o, *offset, "{}: {r}", String::from_utf8_lossy(body));
                    assert!(r.contains(reason), "{}: {r}", String::from_utf8_lossy(body));
                }
                other => panic!("{}: {other:?}", String::from_utf8_lossy(body)),
            }
        }
    }

    #[test]
    fn sample_times_are_judged_as_json_judges_them() {
        // The usual time's two loads and the general path, on both sides
        // of what each takes.
        for time in [
            "1795614206",
            "1795614206.5",
            "1795614206.674",
            "1795614206.",
            "1795614206.x",
            "1795614206..5",
            "0795614206",
            "0",
            "0.5",
            "00",
            "17956142060",
            "179561420",
            "1795614206e1",
            "1795614206.5e1",
            "-1795614206",
            "1795614206 ",
            "1795614206.5 ",
            "17956142 6",
            "1795614206,",
        ] {
            let body = format!(
                r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{}},"values":[[{time},"1"],[{time},"2"],[{time},"3"]]}}]}}}}"#
            );
            let json = serde_json::from_str::<serde_json::Value>(&body).is_ok();
            assert_eq!(check_split(body.as_bytes()).is_ok(), json, "{body}");
        }
    }

    #[test]
    fn control_characters_in_strings_are_refused_on_every_path() {
        // A sample pair with pairs after it (the pairs' fast path, which
        // needs 16 bytes after a value's opening quote), a long string below
        // the top level and one at it (the memchr path).
        let pad = r#",[1,"2"]"#.repeat(10);
        let long = "x".repeat(40);
        for (body, offset) in [
            (
                format!("{{\"status\":\"success\",\"data\":[[1,\"a\x01\"]{pad}]}}"),
                33,
            ),
            (
                format!("{{\"status\":\"success\",\"data\":[\"{long}\x01\"{pad}]}}"),
                69,
            ),
            (
                format!("{{\"status\":\"success\",\"error\":\"{long}\x02\",\"data\":1}}"),
                69,
            ),
        ] {
            match check_split(body.as_bytes()) {
                Err(Verdict::Invalid { offset: o, reason }) => {
                    assert_eq!(o, offset, "{body:?}: {reason}");
                    assert!(reason.contains("control character"), "{reason}");
                }
                other => panic!("{body:?}: {other:?}"),
            }
        }
        // Escaped, they pass.
        let escaped = format!(r#"{{"status":"success","data":[[1,"a\u0001"]{pad}]}}"#);
        assert_eq!(check_split(escaped.as_bytes()), Ok(()));
    }

    #[test]
    fn nesting_is_bounded() {
        let mut body = br#"{"status":"success","data":"#.to_vec();
        body.extend(std::iter::repeat_n(b'[', 10_000));
        assert!(
            matches!(check(&body), Err(Verdict::Invalid { reason, .. }) if reason.contains("nested"))
        );
    }

    #[test]
    fn word_at_a_time_tests_agree_with_byte_tests() {
        for at in 0..8 {
            for b in 0..=255u8 {
                let mut word = *b"57a\"5x95";
                word[at] = b;
                let x = u64::from_le_bytes(word);
                let first = |wanted: u8| word.iter().position(|&c| c == wanted);
                let found = has_byte(x, b'"') | has_byte(x, b'\\');
                let expected = word.iter().position(|&c| c == b'"' || c == b'\\');
                assert_eq!(
                    (found != 0).then(|| found.trailing_zeros() as usize / 8),
                    expected,
                    "{word:?}"
                );
                assert_eq!(has_byte(x, b) != 0, first(b).is_some());
            }
        }
        // Two bytes changed at a time, from those around each boundary:
        // the first mark is always the first byte the test names.
        let bytes: Vec<u8> = (0..=0x40)
            .chain([0x5b, 0x5c, 0x5d, 0x7f, 0x80, 0x81, 0xff])
            .collect();
        for (at, also) in (0..8).flat_map(|a| (0..8).map(move |b| (a, b))) {
            for &b in &bytes {
                for &c in &bytes {
                    let mut digits = *b"01234567";
                    digits[at] = b;
                    digits[also] = c;
                    assert_eq!(
                        all_digits(u64::from_le_bytes(digits)),
                        digits.iter().all(u8::is_ascii_digit),
                        "{digits:?}"
                    );
                    let mut text = *b"ab cd ef";
                    text[at] = b;
                    text[also] = c;
                    let x = u64::from_le_bytes(text);
                    let marks = has_byte(x, b'"') | has_byte(x, b'\\') | has_below(x, 0x20);
                    assert_eq!(
                        (marks != 0).then(|| marks.trailing_zeros() as usize / 8),
                        text.iter()
                            .position(|&c| c == b'"' || c == b'\\' || c < 0x20),
                        "{text:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn agrees_with_serde_json_on_syntax() {
        // Small documents around the envelope: whatever serde_json accepts
        // as an object with status "success" and data, the validator does.
        for inner in [
            "1",
            "-0",
            "0.5",
            "1e5",
            "1E-5",
            "\"\\u00e9\\n\"",
            "[]",
            "{}",
            "[[],[{}]]",
            "01",
            "1.",
            ".5",
            "-",
            "+1",
            "\"\\u12\"",
            "[1 2]",
            "{\"a\" 1}",
            "{1:2}",
            "nul",
        ] {
            let body = format!(r#"{{"status":"success","data":{inner}}}"#);
            let serde_ok = serde_json::from_str::<serde_json::Value>(&body).is_ok();
            assert_eq!(check_split(body.as_bytes()).is_ok(), serde_ok, "{body}");
        }
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        fn json() -> impl Strategy<Value = serde_json::Value> {
            let leaf = prop_oneof![
                Just(serde_json::Value::Null),
                any::<bool>().prop_map(serde_json::Value::from),
                any::<i64>().prop_map(serde_json::Value::from),
                any::<f64>()
                    .prop_filter("finite", |f| f.is_finite())
                    .prop_map(serde_json::Value::from),
                ".{0,8}".prop_map(serde_json::Value::from),
            ];
            leaf.prop_recursive(4, 32, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                    prop::collection::btree_map(".{0,4}", inner, 0..4)
                        .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
                ]
            })
        }

        /// What the validator should say: serde_json parses it, and it is an
        /// object with status "success" and data.
        fn expected(body: &[u8]) -> bool {
            serde_json::from_slice::<serde_json::Value>(body).is_ok_and(|v| {
                v.get("status").and_then(serde_json::Value::as_str) == Some("success")
                    && v.get("data").is_some()
            })
        }

        fn verdict(body: &[u8], split: usize) -> bool {
            let at = split % (body.len() + 1);
            let mut v = Validator::new();
            v.feed(&body[..at])
                .and_then(|()| v.feed(&body[at..]))
                .and_then(|()| v.finish())
                .is_ok()
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            #[test]
            fn agrees_with_serde_json_on_mutated_sample_pairs(
                points in prop::collection::vec(
                    (any::<i32>(), 0u8..4, "[-+.0-9a-zA-Z\\\\\"]{0,12}"),
                    0..12,
                ),
                at: usize,
                byte in prop::sample::select(b"[],\"-.0123456789e \\x\x01\t".to_vec()),
                mutate: bool,
                split: usize,
            ) {
                // A matrix as Prometheus writes it, pairs of every shape
                // the fast path takes or hands back: integer, fractional and
                // negative times, escaped and long values.
                let mut body = String::from(r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":["#);
                for (n, (t, fraction, value)) in points.iter().enumerate() {
                    if n > 0 {
                        body.push(',');
                    }
                    let time = match fraction {
                        0 => t.to_string(),
                        1 => format!("{t}.5"),
                        2 => format!("{t}.125"),
                        _ => format!("{t}e1"),
                    };
                    body.push_str(&format!("[{time},{}]", serde_json::Value::from(value.as_str())));
                }
                body.push_str("]}]}}");
                let mut body = body.into_bytes();
                if mutate && !body.is_empty() {
                    let i = at % body.len();
                    body[i] = byte;
                }
                // A number too large for f64 is valid JSON that serde_json
                // refuses for its meaning, not its syntax.
                let parsed = serde_json::from_slice::<serde_json::Value>(&body);
                prop_assume!(!parsed.is_err_and(|e| e.to_string().contains("out of range")));
                prop_assert_eq!(verdict(&body, split), expected(&body), "{}", String::from_utf8_lossy(&body));
            }

            #[test]
            fn never_panics_on_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256), split: usize) {
                let _ = verdict(&bytes, split);
            }

            #[test]
            fn agrees_with_serde_json_on_mutated_answers(
                data in json(),
                pretty: bool,
                at: usize,
                byte in prop::sample::select(b"{}[]\",:0-9eE.+ \\ntfalsu\xc3\xa9\xff\x00\x1f\t\n".to_vec()),
                mutate: bool,
                split: usize,
            ) {
                let envelope = serde_json::json!({"status": "success", "data": data});
                let mut body = if pretty {
                    serde_json::to_vec_pretty(&envelope).unwrap()
                } else {
                    serde_json::to_vec(&envelope).unwrap()
                };
                if mutate && !body.is_empty() {
                    let i = at % body.len();
                    body[i] = byte;
                }
                // A number too large for f64 is valid JSON that serde_json
                // refuses for its meaning, not its syntax.
                let parsed = serde_json::from_slice::<serde_json::Value>(&body);
                prop_assume!(!parsed.is_err_and(|e| e.to_string().contains("out of range")));
                prop_assert_eq!(verdict(&body, split), expected(&body), "{}", String::from_utf8_lossy(&body));
            }
        }
    }
}
