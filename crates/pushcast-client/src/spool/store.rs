//! The spool's SQLite file: one table of events, written in WAL mode.
//!
//! Why SQLite (rusqlite, bundled) and not redb: a commit with `synchronous=OFF` has reached the
//! operating system when it returns, so it survives the death of the process for a few µs,
//! whereas redb's non-durable commits are lost with the process and its durable ones pay an
//! fsync each. Measured figures are in the README's spool section.
//!
//! Durability per [`SpoolSync`] level:
//! - `None`: `synchronous=OFF`. Survives the process being killed; an operating-system crash
//!   or power loss can lose recent events and may damage the file.
//! - `Interval`: `synchronous=NORMAL` (WAL stays consistent) plus an fsync of the WAL every
//!   interval by the spool thread: survives the process; a power loss loses at most the last
//!   interval, never the file. NORMAL fsyncs at checkpoints, so automatic checkpoints (which
//!   would run inside a caller's commit) are off and the spool thread checkpoints instead.
//! - `EveryEvent`: `synchronous=FULL`: every commit is fsynced before `publish` returns.

use std::path::Path;

use pushcast_core::{Error, Result, WireEvent};
use rusqlite::{params, Connection, OptionalExtension};

use super::SpoolSync;

/// One row read back from the spool.
pub(crate) struct Row {
    pub id: i64,
    pub size: u32,
    pub published_ms: i64,
    pub event: WireEvent,
}

pub(crate) fn sql_error(operation: &'static str) -> impl Fn(rusqlite::Error) -> Error {
    move |e| Error::Spool {
        operation,
        reason: e.to_string(),
    }
}

/// One spool file's connection. Every use of it, its drop included, holds the fork gate
/// ([`crate::fork::quiet`]).
pub(crate) struct Store {
    conn: Option<Connection>,
}

impl Drop for Store {
    fn drop(&mut self) {
        let _quiet = crate::fork::quiet();
        drop(self.conn.take());
    }
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    socket_id TEXT,
    info TEXT,
    published_ms INTEGER NOT NULL,
    size INTEGER NOT NULL
)";

const COLUMNS: &str = "channel, name, data, socket_id, info, published_ms, size";

/// The publish path's statement, spelled out so no string is built per event.
const INSERT: &str =
    "INSERT INTO events (channel, name, data, socket_id, info, published_ms, size) \
                      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

impl Store {
    /// Opens (creating) the spool file at `path` with the pragmas of `sync`.
    pub(crate) fn open(path: &Path, sync: SpoolSync) -> Result<Store> {
        let _quiet = crate::fork::quiet();
        let conn = Connection::open(path).map_err(sql_error("open"))?;
        let synchronous = match sync {
            SpoolSync::None => "OFF",
            SpoolSync::Interval(_) => "NORMAL",
            SpoolSync::EveryEvent => "FULL",
        };
        // Exclusive locking: this process alone uses the file while it lives (the owner lock
        // says so to other processes); the WAL index then lives in memory, no -shm file.
        let autocheckpoint = match sync {
            SpoolSync::Interval(_) => 0,
            SpoolSync::None | SpoolSync::EveryEvent => 1000,
        };
        conn.execute_batch(&format!(
            "PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL; \
             PRAGMA synchronous={synchronous}; PRAGMA wal_autocheckpoint={autocheckpoint}; \
             {SCHEMA};"
        ))
        .map_err(sql_error("open"))?;
        Ok(Store { conn: Some(conn) })
    }

    fn conn(&mut self, operation: &'static str) -> Result<&mut Connection> {
        self.conn.as_mut().ok_or(Error::Spool {
            operation,
            reason: "the spool is closed".into(),
        })
    }

    /// Writes `events` (one row each) in one transaction; returns their ids in order. A single
    /// row is one autocommit statement (no BEGIN and COMMIT of its own: a third of the cost).
    pub(crate) fn insert(
        &mut self,
        events: &[(&WireEvent, &str, u32)],
        now_ms: i64,
    ) -> Result<Vec<i64>> {
        let _quiet = crate::fork::quiet();
        let conn = self.conn("write")?;
        if let [one] = events {
            return Ok(vec![Self::insert_row(conn, one, now_ms)?]);
        }
        let tx = conn.transaction().map_err(sql_error("write"))?;
        let ids = (events.iter())
            .map(|row| Self::insert_row(&tx, row, now_ms))
            .collect::<Result<Vec<i64>>>()?;
        tx.commit().map_err(sql_error("write"))?;
        Ok(ids)
    }

    fn insert_row(
        conn: &Connection,
        (event, channel, size): &(&WireEvent, &str, u32),
        now_ms: i64,
    ) -> Result<i64> {
        let mut insert = conn.prepare_cached(INSERT).map_err(sql_error("write"))?;
        insert
            .execute(params![
                channel,
                event.name,
                event.data,
                event.socket_id,
                event.info,
                now_ms,
                size
            ])
            .map_err(sql_error("write"))?;
        Ok(conn.last_insert_rowid())
    }

    /// Up to `limit` rows after `after`, oldest first.
    pub(crate) fn read_after(&mut self, after: i64, limit: usize) -> Result<Vec<Row>> {
        let _quiet = crate::fork::quiet();
        let mut select = self
            .conn("read")?
            .prepare_cached(&format!(
                "SELECT id, {COLUMNS} FROM events WHERE id > ?1 ORDER BY id LIMIT ?2"
            ))
            .map_err(sql_error("read"))?;
        let rows = select
            .query_map(params![after, limit as i64], |r| {
                Ok(Row {
                    id: r.get(0)?,
                    published_ms: r.get(6)?,
                    size: r.get(7)?,
                    event: WireEvent {
                        channels: vec![r.get(1)?],
                        name: r.get(2)?,
                        data: r.get(3)?,
                        socket_id: r.get(4)?,
                        info: r.get(5)?,
                    },
                })
            })
            .map_err(sql_error("read"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(sql_error("read"))
    }

    /// Deletes these rows in one transaction.
    pub(crate) fn delete(&mut self, ids: &[i64]) -> Result<()> {
        let _quiet = crate::fork::quiet();
        let tx = self
            .conn("delete")?
            .transaction()
            .map_err(sql_error("delete"))?;
        {
            let mut delete = tx
                .prepare_cached("DELETE FROM events WHERE id = ?1")
                .map_err(sql_error("delete"))?;
            for id in ids {
                delete.execute([id]).map_err(sql_error("delete"))?;
            }
        }
        tx.commit().map_err(sql_error("delete"))
    }

    /// Copies the WAL back into the database file and starts the WAL over (what automatic
    /// checkpoints would do, run by the spool thread instead of a caller).
    pub(crate) fn checkpoint(&mut self) -> Result<()> {
        let _quiet = crate::fork::quiet();
        self.conn("checkpoint")?
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(sql_error("checkpoint"))
    }

    /// Moves every row of the spool file at `dead` (a dead process's) into this one, oldest
    /// first. A sound file is moved in one transaction and left empty. A damaged one (not a
    /// database, or malformed: a truncated file, say) gives what can still be read of it, in
    /// one transaction, and is left as it was for the caller to set aside.
    pub(crate) fn claim(&mut self, dead: &Path) -> Result<Claimed> {
        let error = sql_error("claim");
        let path = dead.to_str().ok_or_else(|| Error::Spool {
            operation: "claim",
            reason: format!("{} is not a UTF-8 path", dead.display()),
        })?;
        let _quiet = crate::fork::quiet();
        let conn = self.conn("claim")?;
        // Left attached by a detach that failed (it cannot once the transaction is over, but
        // an alias left behind would make every later claim fail).
        let _ = conn.execute("DETACH DATABASE dead", []);
        // Attaching reads the file's header and schema: damage met there is the dead file's.
        let reason = match conn.execute("ATTACH DATABASE ?1 AS dead", [path]) {
            Err(e) => damage(&e).ok_or_else(|| error(e))?,
            Ok(_) => {
                let moved = Self::move_from_attached(conn);
                let reason = match moved {
                    Ok(_) => None,
                    // Checked: damage met while copying might be this spool's own file's.
                    Err(ref e) => damage(e).filter(|_| Self::attached_is_damaged(conn)),
                };
                // Fails only inside a transaction, and there is none now; if it did, the
                // next claim detaches first.
                let _ = conn.execute("DETACH DATABASE dead", []);
                match (moved, reason) {
                    (Ok((rows, bytes)), _) => return Ok(Claimed::All { rows, bytes }),
                    (Err(e), None) => return Err(error(e)),
                    (Err(_), Some(reason)) => reason,
                }
            }
        };
        let (rows, bytes) = Self::salvage(conn, dead)?;
        Ok(Claimed::Damaged {
            rows,
            bytes,
            reason,
        })
    }

    fn move_from_attached(conn: &mut Connection) -> rusqlite::Result<(u64, u64)> {
        let tx = conn.transaction()?;
        let has_table: Option<i64> = tx
            .query_row(
                "SELECT 1 FROM dead.sqlite_master WHERE type = 'table' AND name = 'events'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        if has_table.is_none() {
            return Ok((0, 0));
        }
        let bytes: i64 =
            tx.query_row("SELECT COALESCE(SUM(size), 0) FROM dead.events", [], |r| {
                r.get(0)
            })?;
        let rows = tx.execute(
            &format!(
                "INSERT INTO main.events ({COLUMNS}) \
                 SELECT {COLUMNS} FROM dead.events ORDER BY id"
            ),
            [],
        )?;
        tx.execute("DELETE FROM dead.events", [])?;
        tx.commit()?;
        Ok((rows as u64, bytes.max(0) as u64))
    }

    /// Whether SQLite's own check of the attached file finds it damaged.
    fn attached_is_damaged(conn: &Connection) -> bool {
        let verdict: rusqlite::Result<String> =
            conn.query_row("PRAGMA dead.quick_check(1)", [], |r| r.get(0));
        !matches!(verdict.as_deref(), Ok("ok"))
    }

    /// Copies every row of the damaged file at `dead` that can still be read into this one
    /// (`conn`), in id order, in one transaction; returns (rows, bytes) copied. Nothing is
    /// written there.
    ///
    /// The file is read through a connection of its own: once a statement met damage in an
    /// attached file, SQLite refused every later write in that transaction, to this file too.
    /// Rows are read in id order until one cannot be (or comes out of order: a page cut
    /// mid-way gives rows of zeros); then the damaged stretch is skipped: a seek to a larger
    /// id succeeds once it lands in a readable page (a row found there but unreadable as an
    /// event is skipped alone). The first readable id past the damage is found by doubling
    /// the step, then halving the gap. Seeks are bounded, so a file damaged all over ends the
    /// salvage with what it gave so far.
    fn salvage(conn: &mut Connection, dead: &Path) -> Result<(u64, u64)> {
        const CHUNK: usize = 500;
        let error = sql_error("claim");
        let source = match Self::open_damaged(dead) {
            Ok(source) => source,
            Err(e) if damage(&e).is_some() => return Ok((0, 0)),
            Err(e) => return Err(error(e)),
        };
        let has_table: rusqlite::Result<Option<i64>> = source
            .query_row(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'",
                [],
                |r| r.get(0),
            )
            .optional();
        if !matches!(has_table, Ok(Some(_))) {
            // Not even its list of tables reads: nothing to salvage.
            return Ok((0, 0));
        }
        let mut salvage = Salvage {
            conn: &source,
            seeks_left: 20_000,
        };
        let tx = conn.transaction().map_err(&error)?;
        let (mut rows, mut bytes) = (0u64, 0u64);
        let mut after = 0i64;
        loop {
            let (chunk, broken) = salvage.read(after, CHUNK);
            for row in &chunk {
                let channel = row.event.channels.first().map_or("", String::as_str);
                Self::insert_row(&tx, &(&row.event, channel, row.size), row.published_ms)?;
                rows += 1;
                bytes += u64::from(row.size);
                after = row.id;
            }
            if broken && chunk.is_empty() {
                // The first row after `after` cannot be read (the next read starts with a
                // seek to it, so a break after some rows is first tried again that way).
                match salvage.skip(after) {
                    Some(next) => after = next,
                    None => break,
                }
            } else if !broken && chunk.len() < CHUNK {
                break;
            }
        }
        tx.commit().map_err(&error)?;
        Ok((rows, bytes))
    }

    /// A connection of its own to a damaged spool file, for reading.
    fn open_damaged(path: &Path) -> rusqlite::Result<Connection> {
        use rusqlite::OpenFlags;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // Exclusive, as its owner had it: the WAL index in memory, no -shm file. SQLite
        // refuses a file shorter than its header says (a truncated one) unless the schema is
        // writable; nothing here writes a schema.
        conn.execute_batch("PRAGMA locking_mode=EXCLUSIVE; PRAGMA writable_schema=ON;")?;
        Ok(conn)
    }
}

/// What a claim took from a dead process's file.
pub(crate) enum Claimed {
    /// Every row (the file is left empty).
    All { rows: u64, bytes: u64 },
    /// The file is damaged (SQLite's `reason`): what could be read of it; the rest is lost.
    Damaged {
        rows: u64,
        bytes: u64,
        reason: String,
    },
}

/// SQLite's message if this error says a file is damaged (not a database, or malformed).
fn damage(error: &rusqlite::Error) -> Option<String> {
    match error {
        rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error {
                code: rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt,
                ..
            },
            _,
        ) => Some(error.to_string()),
        _ => None,
    }
}

/// Reads rows of a damaged spool file.
struct Salvage<'a> {
    conn: &'a Connection,
    /// Seeks (reads of one id) still allowed.
    seeks_left: u32,
}

impl Salvage<'_> {
    /// Up to `limit` rows after id `after`, in order, up to the first that cannot be read as
    /// an event; `true` if one could not (the rest of this stretch is unread).
    fn read(&self, after: i64, limit: usize) -> (Vec<Row>, bool) {
        let mut out = Vec::new();
        let Ok(mut select) = self.conn.prepare(&format!(
            "SELECT id, {COLUMNS} FROM events WHERE id > ?1 ORDER BY id LIMIT ?2"
        )) else {
            return (out, true);
        };
        let Ok(mut rows) = select.query(params![after, limit as i64]) else {
            return (out, true);
        };
        let mut last = after;
        loop {
            match rows.next() {
                // Ids out of order come from a damaged page: the stretch ends there.
                Ok(Some(r)) => match Self::row(r) {
                    Some(row) if row.id > last => {
                        last = row.id;
                        out.push(row);
                    }
                    _ => return (out, true),
                },
                Ok(None) => return (out, false),
                Err(_) => return (out, true),
            }
        }
    }

    /// A row read as an event, if it reads as one whole: its stored size (the last column)
    /// must be the size of what was read, which a row cut short (its end zeroed) fails.
    fn row(r: &rusqlite::Row<'_>) -> Option<Row> {
        let event = WireEvent {
            channels: vec![r.get(1).ok()?],
            name: r.get(2).ok()?,
            data: r.get(3).ok()?,
            socket_id: r.get(4).ok()?,
            info: r.get(5).ok()?,
        };
        let size = event.channels.iter().map(String::len).sum::<usize>()
            + event.name.len()
            + event.data.len()
            + event.socket_id.as_ref().map_or(0, String::len)
            + event.info.as_ref().map_or(0, String::len);
        let size = u32::try_from(size).ok()?;
        let stored: i64 = r.get(7).ok()?;
        if stored != i64::from(size) {
            return None;
        }
        Some(Row {
            id: r.get(0).ok()?,
            published_ms: r.get(6).ok()?,
            size,
            event,
        })
    }

    /// The first id at or after `from`: `Ok(None)` when there is none, `Err` when the seek
    /// meets damage (or the seeks are used up).
    fn seek(&mut self, from: i64) -> std::result::Result<Option<i64>, ()> {
        if self.seeks_left == 0 {
            return Err(());
        }
        self.seeks_left -= 1;
        self.conn
            .query_row(
                "SELECT id FROM events WHERE id >= ?1 ORDER BY id LIMIT 1",
                [from],
                |r| r.get(0),
            )
            .optional()
            .map_err(drop)
    }

    /// The first row after id `after` cannot be read: where to read from next (after the
    /// returned id), or `None` when nothing readable follows.
    fn skip(&mut self, after: i64) -> Option<i64> {
        let from = after.checked_add(1)?;
        match self.seek(from) {
            // A seek finds a later row: read again from there (what lies before it is lost).
            Ok(Some(id)) if id > from => return Some(id - 1),
            // The very next row is found but does not read: skip it alone.
            Ok(Some(id)) if id == from => return Some(id),
            Ok(None) => return None,
            // An earlier id, out of order: damage like any other.
            Ok(Some(_)) | Err(()) => {}
        }
        if self.seeks_left == 0 {
            return None;
        }
        // `lo` meets damage, `hi` does not.
        let mut lo = from;
        let mut step = 1i64;
        let hi = loop {
            let probe = lo.checked_add(step).unwrap_or(i64::MAX);
            match self.seek(probe) {
                Ok(_) => break probe,
                Err(()) if probe == i64::MAX || self.seeks_left == 0 => return None,
                Err(()) => {
                    lo = probe;
                    step = step.saturating_mul(2);
                }
            }
        };
        let mut hi = hi;
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            match self.seek(mid) {
                Ok(_) => hi = mid,
                Err(()) if self.seeks_left == 0 => return None,
                Err(()) => lo = mid,
            }
        }
        Some(hi - 1)
    }
}
