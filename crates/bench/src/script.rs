//! Turns the statements one call executed into a pgbench script.
//!
//! Every statement keeps its exact text; each `$k` becomes a pgbench
//! variable cast to the type dbrepo bound, so `-M prepared` plans the same
//! parameterised statement (generic plans included) and sends the same
//! values:
//! * a seeded id becomes the id of a random row of the same range
//!   (`\set team random(lo, hi)`, rebuilt by [`Kind::param_sql`]);
//! * a seeded member's email follows the drawn member;
//! * a value the call read from an earlier statement's result and bound
//!   again (an etag, `updated_at`) is taken from that statement's result
//!   with `\gset`, as dbrepo took it: replaying the value captured once
//!   would make every later conditional write match no row;
//! * an id dbrepo generated (a new row) becomes a fresh time-ordered id,
//!   as dbrepo's UUIDv7 ids are;
//! * NULL is bound as `NULLIF(:p, 'NULL')` with `-D p=NULL` (pgbench
//!   cannot bind NULL), so it stays a parameter to the planner; an empty
//!   string likewise as `left(:p, 0)` (pgbench refuses an empty `-D`);
//! * anything else is the very value dbrepo sent, passed with `-D`.

use std::fmt::Write;

use crate::ids::{Kind, parse_member_email};
use crate::wire::Executed;

/// A pgbench script and the variables it needs defined.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Script {
    /// The script text (`\set` lines, then one statement per call made).
    pub text: String,
    /// `-D name=value` definitions.
    pub defines: Vec<(String, String)>,
}

/// A fresh, time-ordered id (48-bit millisecond prefix like UUIDv7).
const FRESH_ID: &str = "(lpad(to_hex(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') \
     || substr(replace(gen_random_uuid()::text, '-', ''), 13))::uuid";

/// The script replaying `statements`, drawing rows as `draws` says.
pub fn render(statements: &[Executed], draws: &[(Kind, u64, u64)]) -> Script {
    let mut script = Script {
        text: String::new(),
        defines: Vec::new(),
    };
    for (kind, lo, hi) in draws {
        let _ = writeln!(script.text, "\\set {} random({lo}, {hi})", var(*kind));
    }
    let mut gset = vec![false; statements.len()];
    let mut texts = Vec::with_capacity(statements.len());
    for (i, statement) in statements.iter().enumerate() {
        let mut expressions = Vec::new();
        for (k, (oid, value)) in statement.params.iter().enumerate() {
            let name = format!("s{i}p{}", k + 1);
            let expression = match read_earlier(&statements[..i], statement, k + 1) {
                Some((j, expression)) => {
                    gset[j] = true;
                    expression
                }
                None => parameter(&name, *oid, value.as_deref(), draws, &mut script.defines),
            };
            expressions.push(expression);
        }
        texts.push(substitute(
            statement.text.trim().trim_end_matches(';'),
            &expressions,
        ));
    }
    for (i, text) in texts.iter().enumerate() {
        if gset[i] {
            let _ = writeln!(script.text, "{text} \\gset {}", result_prefix(i));
        } else {
            let _ = writeln!(script.text, "{text};");
        }
    }
    script
}

/// Values shorter than this are never taken for ones read back: a small
/// number or a flag equal to a column is a coincidence, a timestamp is not.
const MIN_READ_BACK_LEN: usize = 8;

/// If parameter `k` (1-based) of `statement` is a value that an earlier
/// statement returned, that statement's index and the pgbench expression
/// reading it from the variables its `\gset` sets. Where several columns
/// hold the same bytes (a row never updated has `updated_at` equal to
/// `created_at`), the column the statement compares the parameter with
/// (`updated_at = $2`) wins. Seeded ids stay drawn (see [`parameter`]).
fn read_earlier(earlier: &[Executed], statement: &Executed, k: usize) -> Option<(usize, String)> {
    let (oid, _) = statement.params.get(k - 1)?;
    let raw = statement.raw.get(k - 1)?.as_deref();
    let raw = raw.filter(|raw| raw.len() >= MIN_READ_BACK_LEN)?;
    if *oid == 2950 {
        return None;
    }
    let compared = compared_column(&statement.text, k);
    earlier.iter().enumerate().find_map(|(j, statement)| {
        let row = statement.returned.as_ref()?;
        let holds = |column: &usize| row.get(*column).and_then(Option::as_deref) == Some(raw);
        let named = |column: &usize| statement.columns.get(*column).map(String::as_str) == compared;
        let column = (0..row.len())
            .filter(holds)
            .find(named)
            .or_else(|| (0..row.len()).find(holds))?;
        let name = statement.columns.get(column)?;
        let cast = type_name(*oid)
            .map(|t| format!("::{t}"))
            .unwrap_or_default();
        Some((j, format!("(:{}{name}{cast})", result_prefix(j))))
    })
}

/// The column `$k` is compared with in `text` (`updated_at` in
/// `… AND m.updated_at = $2`), if it is.
fn compared_column(text: &str, k: usize) -> Option<&str> {
    let placeholder = format!("${k}");
    text.match_indices(&placeholder).find_map(|(at, _)| {
        let after = text[at + placeholder.len()..].chars().next();
        if after.is_some_and(|c| c.is_ascii_digit()) {
            return None;
        }
        let before = text[..at].trim_end().strip_suffix('=')?.trim_end();
        let start = before
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map_or(0, |i| i + 1);
        Some(&before[start..]).filter(|name| !name.is_empty())
    })
}

/// The prefix of the variables `\gset` sets from statement `i`'s result.
fn result_prefix(i: usize) -> String {
    format!("r{i}_")
}

/// `text` with each `$k` replaced by `expressions[k - 1]` (whole numbers
/// only, so `$1` never matches the start of `$10`).
fn substitute(text: &str, expressions: &[String]) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let digits = rest[at + 1..].len()
            - rest[at + 1..]
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .len();
        let number: Option<usize> = rest[at + 1..at + 1 + digits].parse().ok();
        match number.and_then(|n| expressions.get(n.wrapping_sub(1))) {
            Some(expression) => out.push_str(expression),
            None => out.push_str(&rest[at..at + 1 + digits]),
        }
        rest = &rest[at + 1 + digits..];
    }
    out.push_str(rest);
    out
}

fn var(kind: Kind) -> &'static str {
    match kind {
        Kind::Team => "team",
        Kind::Member => "member",
        Kind::Task => "task",
    }
}

fn parameter(
    name: &str,
    oid: u32,
    value: Option<&str>,
    draws: &[(Kind, u64, u64)],
    defines: &mut Vec<(String, String)>,
) -> String {
    let drawn = |kind: Kind| draws.iter().any(|(k, _, _)| *k == kind);
    let cast = type_name(oid).map(|t| format!("::{t}")).unwrap_or_default();
    let Some(value) = value else {
        // pgbench refuses an empty -D value; NULLIF of a fixed word is NULL.
        defines.push((name.to_owned(), "NULL".into()));
        return format!("(NULLIF(:{name}, 'NULL'){cast})");
    };
    if oid == 2950 {
        match uuid::Uuid::parse_str(value)
            .ok()
            .and_then(|id| Kind::parse(&id))
        {
            Some((kind, _)) if drawn(kind) => {
                return kind.param_sql(&format!("CAST(:{} AS bigint)", var(kind)));
            }
            None => return FRESH_ID.to_owned(),
            Some(_) => {}
        }
    }
    if drawn(Kind::Member) && parse_member_email(value).is_some() {
        return format!("('m' || :member || '@bench.example'){cast}");
    }
    if value.is_empty() {
        // Nor an empty one: the first 0 characters of a placeholder.
        defines.push((name.to_owned(), "empty".into()));
        return format!("(left(:{name}, 0){cast})");
    }
    defines.push((name.to_owned(), value.to_owned()));
    match type_name(oid) {
        Some(t) => format!("CAST(:{name} AS {t})"),
        None => format!(":{name}"),
    }
}

/// SQL names of the types dbrepo binds.
fn type_name(oid: u32) -> Option<&'static str> {
    Some(match oid {
        16 => "bool",
        20 => "int8",
        21 => "int2",
        23 => "int4",
        25 => "text",
        1043 => "varchar",
        2950 => "uuid",
        1114 => "timestamp",
        1184 => "timestamptz",
        1009 => "text[]",
        1015 => "varchar[]",
        1016 => "int8[]",
        2951 => "uuid[]",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replays_with_drawn_rows_and_the_values_sent() {
        let sent = Executed::new(
            "SELECT * FROM t WHERE id = $1 AND n = $2 AND x = $10".into(),
            vec![
                (2950, Some(Kind::Member.id(3).to_string())),
                (20, Some("51".into())),
            ],
        );
        let script = render(&[sent], &[(Kind::Member, 1, 9)]);
        assert!(script.text.starts_with("\\set member random(1, 9)\n"));
        assert!(
            script.text.contains("id = (SELECT ('b0000002-"),
            "a drawn id is built once per execution: {}",
            script.text
        );
        assert!(script.text.contains("lpad(to_hex(CAST(:member AS bigint))"));
        assert!(script.text.contains("n = CAST(:s0p2 AS int8) AND x = $10;"));
        assert_eq!(script.defines, vec![("s0p2".to_owned(), "51".to_owned())]);
    }

    #[test]
    fn takes_a_value_read_back_from_the_earlier_result() {
        let stamp = 123_456_789_i64.to_be_bytes().to_vec();
        let mut read = Executed::new(
            "SELECT id, updated_at FROM m WHERE id = $1".into(),
            vec![(2950, Some(Kind::Member.id(3).to_string()))],
        );
        // Never updated: created_at holds the same bytes as updated_at.
        read.returned = Some(vec![
            Some(vec![7; 16]),
            Some(stamp.clone()),
            Some(stamp.clone()),
        ]);
        read.columns = vec!["id".into(), "created_at".into(), "updated_at".into()];
        let mut write = Executed::new(
            "UPDATE m SET n = $3 WHERE id = $1 AND m.updated_at = $2".into(),
            vec![
                (2950, Some(Kind::Member.id(3).to_string())),
                (1184, Some("2000-01-01 00:02:03.456789+00".into())),
                (20, Some("5".into())),
            ],
        );
        write.raw = vec![
            Some(vec![7; 16]),
            Some(stamp),
            Some(5_i64.to_be_bytes().to_vec()),
        ];
        let script = render(&[read, write], &[(Kind::Member, 1, 9)]);
        let lines: Vec<&str> = script.text.lines().collect();
        assert!(lines[1].ends_with(" \\gset r0_"), "{}", script.text);
        assert!(
            lines[2].contains("updated_at = (:r0_updated_at::timestamptz);"),
            "{}",
            script.text
        );
        assert!(
            lines[2].contains("n = CAST(:s1p3 AS int8)"),
            "a small number is a constant: {}",
            script.text
        );
        assert_eq!(script.defines, vec![("s1p3".to_owned(), "5".to_owned())]);
    }
}
