//! What verification reads: every account and transfer, and orders reversed beyond what they
//! earned.

use super::*;

impl Tx<'_> {
    pub fn all_accounts(&mut self, program: ProgramId) -> StoreResult<Vec<AccountRow>> {
        let rows = self.conn.query(
            "SELECT id, point_type, member_id, kind, debits_pending, debits_posted, credits_pending, credits_posted \
             FROM accounts WHERE program_id = $1 ORDER BY id",
            &[program.0.into()],
        )?;
        rows.iter()
            .map(|r| {
                let kind = r.text(3);
                let owner = match kind.as_str() {
                    "balance" => Owner::Member(MemberId(r.int(2)), MemberAccountKind::Balance),
                    "debt" => Owner::Member(MemberId(r.int(2)), MemberAccountKind::Debt),
                    other => Owner::System(
                        SystemAccount::ALL
                            .into_iter()
                            .find(|k| k.as_str() == other)
                            .ok_or_else(|| corrupt(&format!("account kind {other:?}")))?,
                    ),
                };
                Ok(AccountRow {
                    id: AccountId(r.int(0)),
                    point_type: point_type(&r.text(1))?,
                    owner,
                    debits_pending: r.int(4),
                    debits_posted: r.int(5),
                    credits_pending: r.int(6),
                    credits_posted: r.int(7),
                })
            })
            .collect()
    }

    pub fn all_transfers(&mut self, program: ProgramId) -> StoreResult<Vec<TransferRow>> {
        self.conn
            .query(
                "SELECT id, phase, point_type, debit_account, credit_account, amount, pending_of FROM transfers \
                 WHERE program_id = $1 ORDER BY id",
                &[program.0.into()],
            )?
            .iter()
            .map(|r| {
                Ok(TransferRow {
                    id: TransferId(r.int(0)),
                    phase: Phase::parse(&r.text(1)).ok_or_else(|| corrupt("transfer phase"))?,
                    point_type: point_type(&r.text(2))?,
                    debit: AccountId(r.int(3)),
                    credit: AccountId(r.int(4)),
                    amount: r.int(5),
                    pending_of: r.opt_int(6).map(TransferId),
                })
            })
            .collect()
    }

    /// Orders whose reversals exceed their earnings (invariant 6); empty when all is well.
    pub fn orders_over_reversed(&mut self, program: ProgramId) -> StoreResult<Vec<String>> {
        Ok(self
            .conn
            .query(
                "SELECT order_id FROM orders WHERE program_id = $1 AND (points_reversed > points_earned OR growth_reversed > growth_earned \
                 OR refunded_minor > paid_minor OR points_expiry_covered > points_reversed)",
                &[program.0.into()],
            )?
            .iter()
            .map(|r| r.text(0))
            .collect())
    }
}
