//! Reading an answer's body: decompressing it when it came gzipped, and
//! telling Prometheus JSON from anything else.

use std::io::Write as _;

use chaosprom_http::Bytes;
use chaosprom_http::header::{CONTENT_ENCODING, CONTENT_TYPE};
use flate2::write::GzDecoder;

use crate::Error;

/// The body of an answer, decoded chunk by chunk.
pub(crate) struct Body {
    response: chaosprom_http::Response,
    gunzip: Option<GzDecoder<Vec<u8>>>,
    done: bool,
}

impl Body {
    pub(crate) fn new(response: chaosprom_http::Response) -> Self {
        let gzipped = response
            .headers()
            .get(CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
        Self {
            gunzip: gzipped.then(|| GzDecoder::new(Vec::new())),
            response,
            done: false,
        }
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

    /// The next decoded piece, or `None` at the end.
    pub(crate) async fn next(&mut self) -> Result<Option<Bytes>, Error> {
        loop {
            if self.done {
                return Ok(None);
            }
            let chunk = self.response.chunk().await?;
            let Some(gunzip) = self.gunzip.as_mut() else {
                self.done = chunk.is_none();
                return Ok(chunk);
            };
            let result = match &chunk {
                Some(data) => gunzip.write_all(data).and_then(|()| gunzip.flush()),
                None => {
                    self.done = true;
                    gunzip.try_finish()
                }
            };
            if let Err(e) = result {
                return Err(Error::Decode {
                    method: self.method(),
                    url: self.url(),
                    offset: 0,
                    reason: format!("the gzip stream is broken: {e}"),
                });
            }
            let decoded = std::mem::take(gunzip.get_mut());
            if !decoded.is_empty() {
                return Ok(Some(Bytes::from(decoded)));
            }
        }
    }

    /// The whole decoded body.
    pub(crate) async fn all(mut self) -> Result<Vec<u8>, Error> {
        let mut all = Vec::new();
        while let Some(chunk) = self.next().await? {
            if all.is_empty() {
                all.reserve(chunk.len());
            }
            all.extend_from_slice(&chunk);
        }
        Ok(all)
    }

    /// At most `max` decoded bytes.
    pub(crate) async fn prefix(mut self, max: usize) -> Result<Vec<u8>, Error> {
        let mut all = Vec::new();
        while all.len() < max {
            match self.next().await? {
                Some(chunk) => all.extend_from_slice(&chunk[..chunk.len().min(max - all.len())]),
                None => break,
            }
        }
        Ok(all)
    }
}
