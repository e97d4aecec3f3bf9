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

    /// Moves every row of the spool file at `dead` (a dead process's) into this one, in one
    /// transaction, oldest first; returns (rows, bytes) moved. The dead file is left empty.
    pub(crate) fn claim(&mut self, dead: &Path) -> Result<(u64, u64)> {
        let error = sql_error("claim");
        let path = dead.to_str().ok_or_else(|| Error::Spool {
            operation: "claim",
            reason: format!("{} is not a UTF-8 path", dead.display()),
        })?;
        let _quiet = crate::fork::quiet();
        let conn = self.conn("claim")?;
        conn.execute("ATTACH DATABASE ?1 AS dead", [path])
            .map_err(&error)?;
        let moved = Self::move_from_attached(conn);
        let detached = conn.execute("DETACH DATABASE dead", []);
        let moved = moved?;
        detached.map_err(&error)?;
        Ok(moved)
    }

    fn move_from_attached(conn: &mut Connection) -> Result<(u64, u64)> {
        let error = sql_error("claim");
        let tx = conn.transaction().map_err(&error)?;
        let has_table: Option<i64> = tx
            .query_row(
                "SELECT 1 FROM dead.sqlite_master WHERE type = 'table' AND name = 'events'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(&error)?;
        if has_table.is_none() {
            return Ok((0, 0));
        }
        let bytes: i64 = tx
            .query_row("SELECT COALESCE(SUM(size), 0) FROM dead.events", [], |r| {
                r.get(0)
            })
            .map_err(&error)?;
        let rows = tx
            .execute(
                &format!(
                    "INSERT INTO main.events ({COLUMNS}) \
                     SELECT {COLUMNS} FROM dead.events ORDER BY id"
                ),
                [],
            )
            .map_err(&error)?;
        tx.execute("DELETE FROM dead.events", []).map_err(&error)?;
        tx.commit().map_err(&error)?;
        Ok((rows as u64, bytes.max(0) as u64))
    }
}
