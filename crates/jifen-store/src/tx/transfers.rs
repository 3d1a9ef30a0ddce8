//! Transfers and draws: reading them, applying a ledger posting (transfers, lots, draws,
//! account balances), and a member's history.

use super::*;

impl Tx<'_> {
    pub fn transfer(
        &mut self,
        program: ProgramId,
        id: TransferId,
    ) -> StoreResult<Option<TransferInfo>> {
        self.conn
            .query_one(
                concat!(
                    "SELECT ",
                    transfer_cols!(),
                    " FROM transfers WHERE program_id = $1 AND id = $2"
                ),
                &[program.0.into(), id.0.into()],
            )?
            .map(|r| transfer_from(&r))
            .transpose()
    }

    /// The lots a transfer drew from, with the amount drawn from each, in draw order.
    pub fn draws(&mut self, transfer: TransferId) -> StoreResult<Vec<(Lot, i64)>> {
        self.conn
            .query(
                concat!("SELECT ", lot_cols!(), ", d.amount FROM draws d JOIN lots l ON l.id = d.lot_id WHERE d.transfer_id = $1 ORDER BY d.id"),
                &[transfer.0.into()],
            )?
            .iter()
            .map(|r| Ok((lot_from(r, 0)?, r.int(LOT_COL_COUNT))))
            .collect()
    }

    /// A posted spend's draws with what refunds already restored to each lot.
    pub fn spent_draws(&mut self, spend: TransferId) -> StoreResult<Vec<SpentDraw>> {
        let restored: std::collections::HashMap<i64, i64> = self
            .conn
            .query(
                "SELECT d.lot_id, CAST(SUM(d.amount) AS BIGINT) FROM draws d JOIN transfers t ON t.id = d.transfer_id \
                 WHERE t.reversal_of = $1 AND t.code = $2 GROUP BY d.lot_id",
                &[spend.0.into(), code::REDEMPTION_REFUND.into()],
            )?
            .iter()
            .map(|r| (r.int(0), r.int(1)))
            .collect();
        Ok(self
            .draws(spend)?
            .into_iter()
            .map(|(lot, drawn)| SpentDraw {
                restored: restored.get(&lot.id.0).copied().unwrap_or(0),
                lot,
                drawn,
            })
            .collect())
    }

    /// Stores a posting: its transfers, account changes, lots, lot changes and draws.
    ///
    /// Where the backend hands out ids ahead (PostgreSQL), every row names its id and all the
    /// writes go out in one pipelined round trip; otherwise (SQLite, in process) rows are
    /// inserted one by one and take the ids the database gives them.
    pub fn apply(
        &mut self,
        program: ProgramId,
        p: &Posting,
        system: &SystemAccounts,
        now: Millis,
    ) -> StoreResult<Applied> {
        self.writes += 1;
        if self.system_ids.is_empty() {
            self.system_ids = system.0.iter().map(|x| x.2).collect();
        }
        let mut out = Applied::default();
        let preallocated = self.preallocate_ids(p, &mut out)?;
        let mut queued: Vec<(&'static str, Vec<Value>)> = Vec::new();
        self.insert_transfers(program, p, now, preallocated, &mut out, &mut queued)?;
        self.queue_account_deltas(p, &mut queued);
        if !preallocated {
            self.conn.execute_many(&std::mem::take(&mut queued))?;
        }
        self.insert_lots(program, p, preallocated, &mut out, &mut queued)?;
        queue_lot_changes_and_draws(program, p, &out, &mut queued);
        self.conn.execute_many(&queued)?;
        Ok(out)
    }

    /// Takes the posting's transfer and lot ids ahead where the backend hands them out; false
    /// where rows take their ids when inserted.
    fn preallocate_ids(&mut self, p: &Posting, out: &mut Applied) -> StoreResult<bool> {
        let preallocated = match self.conn.allocate_ids("transfers", p.transfers.len())? {
            Some(tids) => {
                let lids = self
                    .conn
                    .allocate_ids("lots", p.lots.len())?
                    .ok_or_else(|| corrupt("lot ids"))?;
                out.transfers = tids.into_iter().map(TransferId).collect();
                out.lots = lids.into_iter().map(LotId).collect();
                true
            }
            None => false,
        };
        Ok(preallocated)
    }

    /// The posting's transfers: queued with their ids when preallocated, else inserted now.
    fn insert_transfers(
        &mut self,
        program: ProgramId,
        p: &Posting,
        now: Millis,
        preallocated: bool,
        out: &mut Applied,
        queued: &mut Vec<(&'static str, Vec<Value>)>,
    ) -> StoreResult<()> {
        for (i, t) in p.transfers.iter().enumerate() {
            let pending_of = t.pending_of.map(|r| match r {
                Ref::Stored(x) => x.0,
                Ref::New(i) => out.transfers[i].0,
            });
            let mut params: Vec<Value> = vec![
                program.0.into(),
                t.point_type.as_str().into(),
                t.code.as_str().into(),
                t.phase.as_str().into(),
                t.debit.0.into(),
                t.credit.0.into(),
                t.amount.into(),
                t.member.map(|m| m.0).into(),
                t.counterparty.map(|m| m.0).into(),
                pending_of.into(),
                t.reversal_of.map(|x| x.0).into(),
                t.order_ref.clone().into(),
                t.reason.clone().into(),
                t.actor.clone().into(),
                now.into(),
            ];
            if preallocated {
                params.push(out.transfers[i].0.into());
                queued.push((
                    "INSERT INTO transfers (program_id, point_type, code, phase, debit_account, credit_account, amount, member_id, \
                     counterparty_id, pending_of, reversal_of, order_ref, reason, actor, created_at, id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
                    params,
                ));
            } else {
                let id = self.conn.insert_id(
                    "INSERT INTO transfers (program_id, point_type, code, phase, debit_account, credit_account, amount, member_id, \
                     counterparty_id, pending_of, reversal_of, order_ref, reason, actor, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
                    &params,
                )?;
                out.transfers.push(TransferId(id));
            }
        }
        Ok(())
    }

    /// The posting's account changes: member accounts queued for update, system accounts
    /// gathered until commit.
    fn queue_account_deltas(&mut self, p: &Posting, queued: &mut Vec<(&'static str, Vec<Value>)>) {
        for (acc, d) in p.account_deltas() {
            if self.system_ids.contains(&acc) {
                let e = self.system_deltas.entry(acc).or_default();
                e.debits_pending += d.debits_pending;
                e.debits_posted += d.debits_posted;
                e.credits_pending += d.credits_pending;
                e.credits_posted += d.credits_posted;
            } else {
                queued.push((UPDATE_ACCOUNT, account_params(acc, &d)));
            }
        }
    }

    /// The posting's new lots: queued with their ids when preallocated, else inserted now.
    fn insert_lots(
        &mut self,
        program: ProgramId,
        p: &Posting,
        preallocated: bool,
        out: &mut Applied,
        queued: &mut Vec<(&'static str, Vec<Value>)>,
    ) -> StoreResult<()> {
        for (i, l) in p.lots.iter().enumerate() {
            let transfer = match l.transfer {
                Ref::Stored(x) => x,
                Ref::New(i) => out.transfers[i],
            };
            let mut params: Vec<Value> = vec![
                program.0.into(),
                l.member.0.into(),
                l.account.0.into(),
                l.point_type.as_str().into(),
                l.status.as_str().into(),
                l.amount.into(),
                l.earned_at.into(),
                l.available_at.into(),
                l.expires_at.into(),
                transfer.0.into(),
                l.source_account.0.into(),
                l.order_ref.clone().into(),
                l.origin.map(|x| x.0).into(),
            ];
            if preallocated {
                params.push(out.lots[i].0.into());
                queued.push((
                    "INSERT INTO lots (program_id, member_id, account_id, point_type, status, amount, remaining, held, spent, expired, \
                     reversed, moved, earned_at, available_at, expires_at, transfer_id, source_account, order_ref, origin_lot, id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $6, 0, 0, 0, 0, 0, $7, $8, $9, $10, $11, $12, $13, $14)",
                    params,
                ));
            } else {
                let id = self.conn.insert_id(
                    "INSERT INTO lots (program_id, member_id, account_id, point_type, status, amount, remaining, held, spent, expired, \
                     reversed, moved, earned_at, available_at, expires_at, transfer_id, source_account, order_ref, origin_lot) \
                     VALUES ($1, $2, $3, $4, $5, $6, $6, 0, 0, 0, 0, 0, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
                    &params,
                )?;
                out.lots.push(LotId(id));
            }
        }
        Ok(())
    }

    /// One page of a member's history, newest first, before transfer `before` (exclusive): their
    /// own lines and those naming them as the counterparty (a transfer received). Each side is read newest first through its own index
    /// and cut at the page size before the two are merged, so a page costs the same however
    /// long the history.
    pub fn history(
        &mut self,
        program: ProgramId,
        member: MemberId,
        before: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<HistoryLine>> {
        let rows = self.conn.query(
            &format!(
                "{HISTORY_SELECT} WHERE t.id IN ( \
                 SELECT id FROM (SELECT id FROM transfers WHERE program_id = $1 AND member_id = $2 AND id < $3 ORDER BY id DESC LIMIT $4) AS own \
                 UNION \
                 SELECT id FROM (SELECT id FROM transfers WHERE program_id = $1 AND counterparty_id = $2 AND id < $3 ORDER BY id DESC LIMIT $4) AS other) \
                 ORDER BY t.id DESC LIMIT $4"
            ),
            &[program.0.into(), member.0.into(), before.unwrap_or(i64::MAX).into(), limit.into()],
        )?;
        rows.iter().map(history_line).collect()
    }
}

/// Queues the posting's lot changes and draws, naming new lots and transfers by their ids.
fn queue_lot_changes_and_draws(
    program: ProgramId,
    p: &Posting,
    out: &Applied,
    queued: &mut Vec<(&'static str, Vec<Value>)>,
) {
    let lot_id = |r: Ref<LotId>, out: &Applied| match r {
        Ref::Stored(x) => x,
        Ref::New(i) => out.lots[i],
    };
    for c in &p.lot_changes {
        let d = &c.delta;
        queued.push((
            "UPDATE lots SET held = held + $2, spent = spent + $3, expired = expired + $4, reversed = reversed + $5, \
             moved = moved + $6, remaining = remaining + $7, status = CASE WHEN $8 = 1 THEN 'active' ELSE status END \
             WHERE id = $1",
            vec![
                lot_id(c.lot, out).0.into(),
                d.held.into(),
                d.spent.into(),
                d.expired.into(),
                d.reversed.into(),
                d.moved.into(),
                d.remaining().into(),
                (d.activate as i64).into(),
            ],
        ));
    }
    for d in &p.draws {
        let transfer = match d.transfer {
            Ref::Stored(x) => x,
            Ref::New(i) => out.transfers[i],
        };
        queued.push((
            "INSERT INTO draws (program_id, transfer_id, lot_id, amount) VALUES ($1, $2, $3, $4)",
            vec![
                program.0.into(),
                transfer.0.into(),
                lot_id(d.lot, out).0.into(),
                d.amount.into(),
            ],
        ));
    }
}

/// The columns of a history line, the last one the sign of the line for the member (`$2`):
/// -1 when it debits the member's balance, 1 when it credits it.
pub(super) const HISTORY_SELECT: &str = "SELECT t.id, t.point_type, t.code, t.phase, t.amount, t.member_id, t.counterparty_id, t.pending_of, t.reversal_of, \
                    t.order_ref, t.reason, t.actor, t.created_at, \
                    CASE WHEN db.member_id = $2 AND db.kind = 'balance' THEN -1 \
                         WHEN cr.member_id = $2 AND cr.kind = 'balance' THEN 1 ELSE 0 END \
             FROM transfers t JOIN accounts db ON db.id = t.debit_account JOIN accounts cr ON cr.id = t.credit_account";

pub(super) fn history_line(r: &Row) -> StoreResult<HistoryLine> {
    Ok(HistoryLine {
        transfer_id: TransferId(r.int(0)),
        point_type: point_type(&r.text(1))?,
        code: r.text(2),
        phase: r.text(3),
        amount: r.int(4) * r.int(13),
        member: MemberId(r.int(5)),
        counterparty: r.opt_int(6).map(MemberId),
        pending_of: r.opt_int(7).map(TransferId),
        reversal_of: r.opt_int(8).map(TransferId),
        order_ref: r.opt_text(9),
        reason: r.opt_text(10),
        actor: r.opt_text(11),
        created_at: r.int(12),
    })
}
