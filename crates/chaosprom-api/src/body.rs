//! Reading an answer's body: inflating it when gzip was asked for, checking
//! it is a successful Prometheus answer as it passes, and telling
//! Prometheus JSON from anything else.

use std::io::Write as _;

use chaosprom_http::Bytes;
use chaosprom_http::header::{CONTENT_ENCODING, CONTENT_TYPE};
use flate2::write::GzDecoder;

use crate::Error;
use crate::validate::{Validator, Verdict};

/// How many compressed bytes go into the inflater at a time (deflate
/// inflates at most about 1,000 times).
const GZIP_SLICE: usize = 4096;

/// How much of a failed answer is read for its reason.
const FAILURE_PREFIX: usize = 64 * 1024;

/// The body of an answer, decoded chunk by chunk.
pub(crate) struct Body {
    response: chaosprom_http::Response,
    gunzip: Option<GzDecoder<Vec<u8>>>,
    /// An encoding that was not asked for and cannot be read.
    unreadable_encoding: Option<String>,
    validator: Option<Validator>,
    /// Decoded bytes so far.
    decoded: u64,
    done: bool,
}

/// A new inflater, built out of line: inflating needs a 43 KB state, which
/// inlined into [`Body::new`] made every answer's first read probe 13
/// pages of stack, gzipped or not.
#[inline(never)]
#[cold]
fn inflater() -> GzDecoder<Vec<u8>> {
    GzDecoder::new(Vec::new())
}

impl Body {
    /// `gzip_asked`: whether the request asked for gzip (only then is a
    /// gzipped answer inflated).
    pub(crate) fn new(response: chaosprom_http::Response, gzip_asked: bool) -> Self {
        let encoding = response
            .headers()
            .get(CONTENT_ENCODING)
            .map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .trim()
                    .to_ascii_lowercase()
            })
            .filter(|e| !e.is_empty() && e != "identity");
        let (gunzip, unreadable_encoding) = match encoding {
            None => (None, None),
            Some(e) if e == "gzip" && gzip_asked => (Some(inflater()), None),
            Some(e) => (None, Some(e)),
        };
        Self {
            gunzip,
            unreadable_encoding,
            response,
            validator: None,
            decoded: 0,
            done: false,
        }
    }

    /// Checks, as the bytes pass, that they are one JSON document with
    /// `"status": "success"` and `data`.
    pub(crate) fn validate(mut self) -> Self {
        self.validator = Some(Validator::new());
        self
    }

    pub(crate) fn status(&self) -> u16 {
        self.response.status().as_u16()
    }

    pub(crate) fn method(&self) -> String {
        self.response.method().to_string()
    }

    pub(crate) fn url(&self) -> String {
        self.response.url().to_owned()
    }

    pub(crate) fn content_type(&self) -> Option<String> {
        self.response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// Whether the answer says it is JSON.
    pub(crate) fn is_json(&self) -> Option<bool> {
        self.content_type()
            .map(|ct| ct.to_ascii_lowercase().contains("json"))
    }

    /// The next decoded (and, when asked, checked) piece, or `None` at the
    /// end of a good answer.
    pub(crate) async fn next(&mut self) -> Result<Option<Bytes>, Error> {
        let chunk = self.next_decoded().await?;
        let Some(validator) = self.validator.as_mut() else {
            return Ok(chunk);
        };
        let verdict = match &chunk {
            Some(data) => validator.feed(data),
            None => validator.finish(),
        };
        if verdict.is_ok() && !validator.failed_status() {
            return Ok(chunk);
        }
        if verdict.is_ok() {
            // `status` says the answer failed: read on (a little) for its
            // `errorType` and `error`, passing nothing more to the caller.
            let mut verdict = Ok(());
            let mut read = 0;
            while verdict.is_ok() && read < FAILURE_PREFIX {
                let next = self.next_decoded().await?;
                let Some(validator) = self.validator.as_mut() else {
                    break;
                };
                verdict = match &next {
                    Some(data) => {
                        read += data.len();
                        validator.feed(data)
                    }
                    None => validator.finish(),
                };
                if next.is_none() {
                    break;
                }
            }
            return Err(self.verdict_error(verdict.err()));
        }
        Err(self.verdict_error(verdict.err()))
    }

    fn verdict_error(&self, verdict: Option<Verdict>) -> Error {
        match verdict {
            Some(verdict) => verdict.into_error(self.method(), self.url(), self.status()),
            None => Error::Decode {
                method: self.method(),
                url: self.url(),
                offset: usize::try_from(self.decoded).unwrap_or(usize::MAX),
                reason: "the answer's status says it failed, but its reason could not be read"
                    .into(),
            },
        }
    }

    /// The next decoded piece, without checks beyond the encoding and the
    /// inflated size.
    async fn next_decoded(&mut self) -> Result<Option<Bytes>, Error> {
        if let Some(encoding) = &self.unreadable_encoding {
            return Err(Error::Decode {
                method: self.method(),
                url: self.url(),
                offset: 0,
                reason: format!(
                    "the answer is '{encoding}'-encoded, which this request did not ask for"
                ),
            });
        }
        loop {
            if self.done {
                return Ok(None);
            }
            let chunk = self.response.chunk().await?;
            let Some(gunzip) = self.gunzip.as_mut() else {
                self.done = chunk.is_none();
                if let Some(data) = &chunk {
                    self.decoded += data.len() as u64;
                }
                return Ok(chunk);
            };
            // A compressed answer may not inflate past the limit, streamed
            // or not: a small body must not become gigabytes. It is fed in
            // small slices so that the check comes before the memory goes.
            let limit = self.response.max_body_size() as u64;
            let mut result = Ok(());
            match &chunk {
                Some(data) => {
                    for slice in data.chunks(GZIP_SLICE) {
                        result = gunzip.write_all(slice).and_then(|()| gunzip.flush());
                        if result.is_err() || self.decoded + gunzip.get_ref().len() as u64 > limit {
                            break;
                        }
                    }
                }
                None => {
                    self.done = true;
                    result = gunzip.try_finish();
                }
            }
            if let Err(e) = result {
                return Err(Error::Decode {
                    method: self.method(),
                    url: self.url(),
                    offset: 0,
                    reason: format!("the gzip stream is broken: {e}"),
                });
            }
            let decoded = std::mem::take(gunzip.get_mut());
            self.decoded += decoded.len() as u64;
            self.response
                .check_size(usize::try_from(self.decoded).unwrap_or(usize::MAX))?;
            if !decoded.is_empty() {
                return Ok(Some(Bytes::from(decoded)));
            }
        }
    }

    /// The whole decoded body, at most the transport's `max_body_size`.
    pub(crate) async fn all(mut self) -> Result<Vec<u8>, Error> {
        let mut all = Vec::new();
        while let Some(chunk) = self.next().await? {
            self.response.check_size(all.len() + chunk.len())?;
            if all.is_empty() {
                all.reserve(chunk.len());
            }
            all.extend_from_slice(&chunk);
        }
        Ok(all)
    }

    /// At most `max` decoded bytes, unchecked.
    pub(crate) async fn prefix(mut self, max: usize) -> Result<Vec<u8>, Error> {
        let mut all = Vec::new();
        while all.len() < max {
            match self.next_decoded().await? {
                Some(chunk) => all.extend_from_slice(&chunk[..chunk.len().min(max - all.len())]),
                None => break,
            }
        }
        Ok(all)
    }
}
