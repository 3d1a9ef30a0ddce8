//! Pages of the console's CSV exports: ledger lines and mall orders, read by id after a cursor
//! and between two instants, so an export of any size costs one bounded query per page.

use super::*;

/// One ledger line (a transfer) as exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerExportRow {
    pub transfer_id: i64,
    pub created_at: Millis,
    pub member: Option<i64>,
    pub counterparty: Option<i64>,
    pub point_type: String,
    pub code: String,
    pub phase: String,
    /// The transfer's amount, always positive.
    pub amount: i64,
    /// The amount signed by its effect on the member's balance account: positive credits,
    /// negative debits, 0 when the line does not touch it (debt, system accounts only).
    pub balance_effect: i64,
    /// Kinds of the debited and credited accounts (`balance`, `debt`, `issuance` ...).
    pub debit_kind: String,
    pub credit_kind: String,
    pub order_ref: Option<String>,
    pub reason: Option<String>,
    pub actor: Option<String>,
    pub pending_of: Option<i64>,
    pub reversal_of: Option<i64>,
}

/// One mall order as exported, with its SKU code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderExportRow {
    pub order_id: i64,
    pub created_at: Millis,
    pub member: i64,
    pub item_id: i64,
    pub sku: Option<String>,
    pub quantity: i64,
    pub points: i64,
    pub cash_minor: i64,
    pub state: String,
    pub carrier: Option<String>,
    pub tracking_no: Option<String>,
    pub payment_ref: Option<String>,
    pub refunded_points: i64,
    pub refunded_cash_minor: i64,
    pub updated_at: Millis,
}

impl Tx<'_> {
    /// Ledger lines with id above `after`, made in `[from, to)`, oldest first, at most `limit`.
    pub fn ledger_export_page(
        &mut self,
        program: ProgramId,
        after: i64,
        from: Millis,
        to: Millis,
        limit: i64,
    ) -> StoreResult<Vec<LedgerExportRow>> {
        Ok(self
            .conn
            .query(
                "SELECT t.id, t.created_at, t.member_id, t.counterparty_id, t.point_type, t.code, t.phase, t.amount, \
                        CASE WHEN db.member_id = t.member_id AND db.kind = 'balance' THEN -1 \
                             WHEN cr.member_id = t.member_id AND cr.kind = 'balance' THEN 1 ELSE 0 END, \
                        db.kind, cr.kind, t.order_ref, t.reason, t.actor, t.pending_of, t.reversal_of \
                 FROM transfers t JOIN accounts db ON db.id = t.debit_account JOIN accounts cr ON cr.id = t.credit_account \
                 WHERE t.program_id = $1 AND t.id > $2 AND t.created_at >= $3 AND t.created_at < $4 \
                 ORDER BY t.id LIMIT $5",
                &[program.0.into(), after.into(), from.into(), to.into(), limit.into()],
            )?
            .iter()
            .map(|r| LedgerExportRow {
                transfer_id: r.int(0),
                created_at: r.int(1),
                member: r.opt_int(2),
                counterparty: r.opt_int(3),
                point_type: r.text(4),
                code: r.text(5),
                phase: r.text(6),
                amount: r.int(7),
                balance_effect: r.int(7) * r.int(8),
                debit_kind: r.text(9),
                credit_kind: r.text(10),
                order_ref: r.opt_text(11),
                reason: r.opt_text(12),
                actor: r.opt_text(13),
                pending_of: r.opt_int(14),
                reversal_of: r.opt_int(15),
            })
            .collect())
    }

    /// Mall orders with id above `after`, placed in `[from, to)`, oldest first, at most `limit`.
    pub fn order_export_page(
        &mut self,
        program: ProgramId,
        after: i64,
        from: Millis,
        to: Millis,
        limit: i64,
    ) -> StoreResult<Vec<OrderExportRow>> {
        Ok(self
            .conn
            .query(
                "SELECT o.id, o.created_at, o.member_id, o.item_id, s.sku, o.quantity, o.points, o.cash_minor, o.state, \
                        o.carrier, o.tracking_no, o.payment_ref, o.refunded_points, o.refunded_cash_minor, o.updated_at \
                 FROM mall_orders o LEFT JOIN mall_skus s ON s.id = o.sku_id AND s.program_id = o.program_id \
                 WHERE o.program_id = $1 AND o.id > $2 AND o.created_at >= $3 AND o.created_at < $4 \
                 ORDER BY o.id LIMIT $5",
                &[program.0.into(), after.into(), from.into(), to.into(), limit.into()],
            )?
            .iter()
            .map(|r| OrderExportRow {
                order_id: r.int(0),
                created_at: r.int(1),
                member: r.int(2),
                item_id: r.int(3),
                sku: r.opt_text(4),
                quantity: r.int(5),
                points: r.int(6),
                cash_minor: r.int(7),
                state: r.text(8),
                carrier: r.opt_text(9),
                tracking_no: r.opt_text(10),
                payment_ref: r.opt_text(11),
                refunded_points: r.int(12),
                refunded_cash_minor: r.int(13),
                updated_at: r.int(14),
            })
            .collect())
    }
}
