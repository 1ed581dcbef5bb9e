//! Just enough of PostgreSQL's protocol to see what a client executes and
//! what it read back. From the client: `Parse` (statement text and
//! parameter types), `Bind` (parameter values, usually binary) and `Query`
//! (simple statements such as `BEGIN`); values are turned back into
//! PostgreSQL's text syntax so pgbench can send the same ones. From the
//! server: the first row each statement returned, as raw bytes, so a value
//! a call read and then bound again (an etag) can be told from a constant.

use std::collections::HashMap;

use anyhow::{Context, bail};

/// One statement as executed: its exact text and the values bound to it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Executed {
    /// The statement text exactly as the client sent it.
    pub text: String,
    /// `(type oid, value in text syntax or None for NULL)` per parameter.
    pub params: Vec<(u32, Option<String>)>,
    /// Each parameter's bytes exactly as bound (None for NULL).
    #[serde(skip)]
    pub raw: Vec<Option<Vec<u8>>>,
    /// The first row the statement returned (raw column values), if any.
    #[serde(skip)]
    pub returned: Option<Row>,
    /// The names of the statement's result columns (filled in by the caller).
    #[serde(skip)]
    pub columns: Vec<String>,
}

/// One row of raw column values as the server sent them (None for NULL).
pub type Row = Vec<Option<Vec<u8>>>;

impl Executed {
    /// A statement with its parameters and nothing known of its result.
    pub fn new(text: String, params: Vec<(u32, Option<String>)>) -> Self {
        Self {
            text,
            params,
            raw: Vec::new(),
            returned: None,
            columns: Vec::new(),
        }
    }
}

/// The frontend half of one connection, fed with the bytes the client sends.
#[derive(Default)]
pub struct Frontend {
    started: bool,
    buffer: Vec<u8>,
    prepared: HashMap<String, (String, Vec<u32>)>,
}

impl Frontend {
    /// Consumes `bytes`; every complete `Bind` or `Query` lands in `out`.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<anyhow::Result<Executed>>) {
        self.buffer.extend_from_slice(bytes);
        loop {
            // Startup-phase messages (SSLRequest, StartupMessage) have no type byte.
            let header = if self.started { 5 } else { 4 };
            if self.buffer.len() < header {
                return;
            }
            let at = header - 4;
            let len = u32::from_be_bytes(self.buffer[at..header].try_into().expect("4 bytes"));
            let total = at + len as usize;
            if self.buffer.len() < total {
                return;
            }
            let message: Vec<u8> = self.buffer.drain(..total).collect();
            if !self.started {
                // 196608 is protocol 3.0: the real startup message.
                self.started = message.get(4..8) == Some(&196_608u32.to_be_bytes()[..]);
                continue;
            }
            if let Some(executed) = self.message(message[0], &message[5..]) {
                out.push(executed);
            }
        }
    }

    fn message(&mut self, tag: u8, body: &[u8]) -> Option<anyhow::Result<Executed>> {
        let mut r = Reader(body);
        match tag {
            b'P' => {
                let parsed = (|| {
                    let name = r.cstr()?;
                    let text = r.cstr()?;
                    let types = (0..r.i16()?)
                        .map(|_| r.u32())
                        .collect::<anyhow::Result<_>>()?;
                    anyhow::Ok((name, text, types))
                })();
                if let Ok((name, text, types)) = parsed {
                    self.prepared.insert(name, (text, types));
                }
                None
            }
            b'B' => Some(self.bind(&mut r)),
            b'Q' => Some(r.cstr().map(|text| Executed::new(text, Vec::new()))),
            _ => None,
        }
    }

    fn bind(&self, r: &mut Reader) -> anyhow::Result<Executed> {
        let _portal = r.cstr()?;
        let name = r.cstr()?;
        let (text, types) = self
            .prepared
            .get(&name)
            .with_context(|| format!("bind of unknown statement {name:?}"))?;
        let formats: Vec<i16> = (0..r.i16()?)
            .map(|_| r.i16())
            .collect::<anyhow::Result<_>>()?;
        let count = r.i16()? as usize;
        let mut params = Vec::with_capacity(count);
        let mut raw = Vec::with_capacity(count);
        for i in 0..count {
            let oid = types.get(i).copied().unwrap_or(0);
            let binary = match formats.len() {
                0 => false,
                1 => formats[0] == 1,
                _ => formats.get(i) == Some(&1),
            };
            let bytes = match r.i32()? {
                -1 => None,
                len => Some(r.take(len as usize)?.to_vec()),
            };
            let value = bytes
                .as_deref()
                .map(|bytes| decode(oid, bytes, binary))
                .transpose()?;
            params.push((oid, value));
            raw.push(bytes);
        }
        let mut executed = Executed::new(text.clone(), params);
        executed.raw = raw;
        Ok(executed)
    }
}

/// What one statement returned: its first row, if it returned any.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply(pub Option<Row>);

/// The backend half of one connection, fed with the bytes the server sends.
#[derive(Default)]
pub struct Backend {
    started: bool,
    buffer: Vec<u8>,
    first_row: Option<Row>,
}

impl Backend {
    /// Consumes `bytes`; every finished statement (`CommandComplete`,
    /// `EmptyQueryResponse` or an error) lands in `out`.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<Reply>) {
        self.buffer.extend_from_slice(bytes);
        if !self.started {
            // The one-byte answer to an SSLRequest has no length.
            if self.buffer.first() == Some(&b'N') && self.buffer.len() == 1 {
                self.buffer.clear();
                return;
            }
            self.started = true;
        }
        while self.buffer.len() >= 5 {
            let len = u32::from_be_bytes(self.buffer[1..5].try_into().expect("4 bytes"));
            let total = 1 + len as usize;
            if self.buffer.len() < total {
                return;
            }
            let message: Vec<u8> = self.buffer.drain(..total).collect();
            match message[0] {
                b'D' if self.first_row.is_none() => {
                    self.first_row = data_row(&message[5..]).ok();
                }
                b'C' | b'I' | b'E' => out.push(Reply(self.first_row.take())),
                _ => {}
            }
        }
    }
}

/// The raw column values of a `DataRow` body.
fn data_row(body: &[u8]) -> anyhow::Result<Row> {
    let mut r = Reader(body);
    (0..r.i16()?)
        .map(|_| {
            Ok(match r.i32()? {
                -1 => None,
                len => Some(r.take(len as usize)?.to_vec()),
            })
        })
        .collect()
}

/// A value in PostgreSQL's text syntax.
fn decode(oid: u32, bytes: &[u8], binary: bool) -> anyhow::Result<String> {
    if !binary {
        return Ok(String::from_utf8(bytes.to_vec())?);
    }
    let int = |n: usize| -> anyhow::Result<i64> {
        let array: [u8; 8] = {
            let mut a = [0u8; 8];
            let pad = if bytes.first().is_some_and(|b| b & 0x80 != 0) {
                0xff
            } else {
                0
            };
            a[..8 - n].fill(pad);
            a[8 - n..].copy_from_slice(bytes.get(..n).context("short integer")?);
            a
        };
        Ok(i64::from_be_bytes(array))
    };
    Ok(match oid {
        16 => (if bytes.first() == Some(&1) { "t" } else { "f" }).to_owned(),
        20 => int(8)?.to_string(),
        23 => int(4)?.to_string(),
        21 => int(2)?.to_string(),
        25 | 1043 | 19 | 1042 => String::from_utf8(bytes.to_vec())?,
        2950 => uuid::Uuid::from_slice(bytes)?.hyphenated().to_string(),
        1114 | 1184 => timestamp(int(8)?)?,
        1009 | 1015 | 2951 | 1016 | 1007 => array(bytes)?,
        _ => bail!("no decoder for binary parameters of type oid {oid}"),
    })
}

/// Microseconds since 2000-01-01 UTC as `YYYY-MM-DD HH:MM:SS.ffffff+00`.
fn timestamp(micros: i64) -> anyhow::Result<String> {
    let epoch_2000 = 946_684_800i128 * 1_000_000_000;
    let at =
        time::OffsetDateTime::from_unix_timestamp_nanos(epoch_2000 + i128::from(micros) * 1000)?;
    let format = time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:6]+00"
    );
    Ok(at.format(&format)?)
}

/// A one-dimensional binary array as an array literal of quoted elements.
fn array(bytes: &[u8]) -> anyhow::Result<String> {
    let mut r = Reader(bytes);
    let dims = r.i32()?;
    let (_has_null, element) = (r.i32()?, r.u32()?);
    if dims == 0 {
        return Ok("{}".into());
    }
    if dims != 1 {
        bail!("only one-dimensional arrays are decoded");
    }
    let (count, _lower) = (r.i32()?, r.i32()?);
    let mut items = Vec::new();
    for _ in 0..count {
        items.push(match r.i32()? {
            -1 => "NULL".to_owned(),
            len => {
                let text = decode(element, r.take(len as usize)?, true)?;
                format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
            }
        });
    }
    Ok(format!("{{{}}}", items.join(",")))
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> anyhow::Result<&[u8]> {
        if self.0.len() < n {
            bail!("truncated message");
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }
    fn cstr(&mut self) -> anyhow::Result<String> {
        let end = self
            .0
            .iter()
            .position(|b| *b == 0)
            .context("unterminated string")?;
        let text = String::from_utf8(self.0[..end].to_vec())?;
        self.0 = &self.0[end + 1..];
        Ok(text)
    }
    fn i16(&mut self) -> anyhow::Result<i16> {
        Ok(i16::from_be_bytes(self.take(2)?.try_into()?))
    }
    fn i32(&mut self) -> anyhow::Result<i32> {
        Ok(i32::from_be_bytes(self.take(4)?.try_into()?))
    }
    fn u32(&mut self) -> anyhow::Result<u32> {
        Ok(u32::from_be_bytes(self.take(4)?.try_into()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        out.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn keeps_the_first_row_of_each_statement() {
        let row = |value: &[u8]| {
            let mut body = 2i16.to_be_bytes().to_vec();
            body.extend_from_slice(&(value.len() as i32).to_be_bytes());
            body.extend_from_slice(value);
            body.extend_from_slice(&(-1i32).to_be_bytes());
            message(b'D', &body)
        };
        let mut bytes = message(b'2', b"");
        bytes.extend(row(b"first"));
        bytes.extend(row(b"second"));
        bytes.extend(message(b'C', b"SELECT 2\0"));
        bytes.extend(message(b'C', b"UPDATE 0\0"));
        let mut backend = Backend::default();
        let mut replies = Vec::new();
        // Split mid-message: replies come whole whatever the reads.
        backend.feed(&bytes[..9], &mut replies);
        backend.feed(&bytes[9..], &mut replies);
        assert_eq!(
            replies,
            vec![
                Reply(Some(vec![Some(b"first".to_vec()), None])),
                Reply(None)
            ]
        );
    }
}
