//! Queries of the hash chain that seals each programme's transfers (see `jifen_app::chain`).

use super::*;

/// The columns of a transfer that its leaf hash covers, in this order.
const SEALED_COLS: &str = "id, program_id, point_type, code, phase, debit_account, credit_account, amount, \
     member_id, counterparty_id, pending_of, reversal_of, order_ref, reason, actor, created_at";

/// One link of a programme's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRow {
    pub seq: i64,
    pub prev_hash: String,
    /// Hex Merkle root of the link's transfers' leaf hashes, in id order.
    pub root: String,
    pub hash: String,
    pub transfer_count: i64,
    /// Transfers and points sealed up to and including this link.
    pub total_count: i64,
    pub total_amount: i64,
    pub created_at: Millis,
}

const LINK_COLS: &str =
    "seq, prev_hash, root, hash, transfer_count, total_count, total_amount, created_at";

fn link_row(r: &Row) -> LinkRow {
    LinkRow {
        seq: r.int(0),
        prev_hash: r.text(1),
        root: r.text(2),
        hash: r.text(3),
        transfer_count: r.int(4),
        total_count: r.int(5),
        total_amount: r.int(6),
        created_at: r.int(7),
    }
}

impl Tx<'_> {
    /// Transfers not sealed yet, oldest id first: (id, the sealed columns).
    pub fn unsealed_transfers(&mut self, program: ProgramId, limit: i64) -> StoreResult<Vec<Row>> {
        self.conn.query(
            &format!(
                "SELECT {SEALED_COLS} FROM transfers WHERE program_id = $1 AND link_seq IS NULL ORDER BY id LIMIT $2"
            ),
            &[program.0.into(), limit.into()],
        )
    }

    /// The sealed columns of a link's transfers, in id order.
    pub fn link_transfers(&mut self, program: ProgramId, seq: i64) -> StoreResult<Vec<Row>> {
        self.conn.query(
            &format!(
                "SELECT {SEALED_COLS} FROM transfers WHERE program_id = $1 AND link_seq = $2 ORDER BY id"
            ),
            &[program.0.into(), seq.into()],
        )
    }

    /// The link that sealed a transfer, if any.
    pub fn transfer_link(&mut self, program: ProgramId, transfer: i64) -> StoreResult<Option<i64>> {
        Ok(self
            .conn
            .query_one(
                "SELECT link_seq FROM transfers WHERE program_id = $1 AND id = $2",
                &[program.0.into(), transfer.into()],
            )?
            .and_then(|r| r.opt_int(0)))
    }

    /// The chain's last link; locked on PostgreSQL, so that two nodes seal one after the other.
    pub fn chain_head(&mut self, program: ProgramId) -> StoreResult<Option<LinkRow>> {
        let lock = if self.dialect() == Dialect::Postgres {
            " FOR UPDATE"
        } else {
            ""
        };
        Ok(self
            .conn
            .query_one(
                &format!(
                    "SELECT {LINK_COLS} FROM chain_links WHERE program_id = $1 ORDER BY seq DESC LIMIT 1{lock}"
                ),
                &[program.0.into()],
            )?
            .map(|r| link_row(&r)))
    }

    pub fn chain_link(&mut self, program: ProgramId, seq: i64) -> StoreResult<Option<LinkRow>> {
        Ok(self
            .conn
            .query_one(
                &format!("SELECT {LINK_COLS} FROM chain_links WHERE program_id = $1 AND seq = $2"),
                &[program.0.into(), seq.into()],
            )?
            .map(|r| link_row(&r)))
    }

    /// Links after `after`, in order.
    pub fn chain_links(
        &mut self,
        program: ProgramId,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<LinkRow>> {
        Ok(self
            .conn
            .query(
                &format!(
                    "SELECT {LINK_COLS} FROM chain_links WHERE program_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
                ),
                &[program.0.into(), after.into(), limit.into()],
            )?
            .iter()
            .map(link_row)
            .collect())
    }

    /// Adds a link and names it on its transfers.
    pub fn insert_link(
        &mut self,
        program: ProgramId,
        link: &LinkRow,
        transfers: &[i64],
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            &format!(
                "INSERT INTO chain_links (program_id, {LINK_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            ),
            &[
                program.0.into(),
                link.seq.into(),
                link.prev_hash.as_str().into(),
                link.root.as_str().into(),
                link.hash.as_str().into(),
                link.transfer_count.into(),
                link.total_count.into(),
                link.total_amount.into(),
                link.created_at.into(),
            ],
        )?;
        for chunk in transfers.chunks(500) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
            let mut params: Vec<Value> = vec![program.0.into(), link.seq.into()];
            params.extend(chunk.iter().map(|id| Value::Int(*id)));
            self.conn.execute(
                &format!(
                    "UPDATE transfers SET link_seq = $2 WHERE program_id = $1 AND link_seq IS NULL AND id IN ({})",
                    marks.join(", ")
                ),
                &params,
            )?;
        }
        Ok(())
    }

    /// Transfers not sealed yet.
    pub fn count_unsealed(&mut self, program: ProgramId) -> StoreResult<i64> {
        Ok(self
            .conn
            .query_one(
                "SELECT COUNT(*) FROM transfers WHERE program_id = $1 AND link_seq IS NULL",
                &[program.0.into()],
            )?
            .map_or(0, |r| r.int(0)))
    }

    /// Records the day's checkpoint once; false when the day has one.
    pub fn insert_checkpoint(
        &mut self,
        program: ProgramId,
        day: &str,
        seq: i64,
        hash: &str,
        now: Millis,
    ) -> StoreResult<bool> {
        let n = self.conn.execute(
            "INSERT INTO chain_checkpoints (program_id, day, seq, hash, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (program_id, day) DO NOTHING",
            &[program.0.into(), day.into(), seq.into(), hash.into(), now.into()],
        )?;
        self.writes += n;
        Ok(n == 1)
    }
}
