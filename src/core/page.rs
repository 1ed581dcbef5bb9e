//! Pages of list results: where a page starts and what came back. How a
//! position travels to clients (v1 offsets, opaque v2/app page tokens) is the
//! API layer's business; here a position is plain data.

use time::OffsetDateTime;

use super::fields::{Offset, PageSize};

/// Where a page starts and how large it may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest<C> {
    /// The start of the page.
    pub start: PageStart<C>,
    /// The most items the page holds.
    pub size: PageSize,
}

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageStart<C> {
    /// Skip this many items of the ordered list (v1).
    Offset(Offset),
    /// The first page of a keyset-paginated list.
    First,
    /// The items strictly after this position of the ordered list (keyset).
    After(C),
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items, in the list's order.
    pub items: Vec<T>,
    /// Whether more items follow the last one.
    pub has_more: bool,
}

impl<T> Page<T> {
    /// Builds a page from up to `size + 1` fetched items: the extra one only
    /// tells that more follow. Stores fetch one more row than the page size
    /// for this, which costs nothing extra in one round trip.
    pub fn from_overfetch(mut items: Vec<T>, size: PageSize) -> Self {
        let size = size.get() as usize;
        let has_more = items.len() > size;
        items.truncate(size);
        Self { items, has_more }
    }
}

/// A position in a list ordered by creation time, then id (members, tasks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CreatedCursor<Id> {
    /// The create time of the last item seen.
    pub create_time: OffsetDateTime,
    /// The id of the last item seen.
    pub id: Id,
}

/// A position in the list of teams, ordered by lower-cased name (compared
/// byte-wise, as PostgreSQL's "C" collation does), then id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameCursor<Id> {
    /// The name of the last team seen, as stored.
    pub name: String,
    /// The id of the last team seen.
    pub id: Id,
}
