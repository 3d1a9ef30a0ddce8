//! An in-memory book that applies postings exactly as a store does: the reference the property
//! tests run against, and a model of what the SQL stores must do.

use std::collections::HashMap;

use crate::invariants::{AccountRow, Owner, TransferRow};
use crate::model::*;

#[derive(Debug, Default, Clone)]
pub struct MemoryBook {
    pub accounts: Vec<AccountRow>,
    pub transfers: Vec<(TransferRow, NewTransfer)>,
    pub lots: Vec<Lot>,
    /// (transfer, lot, amount)
    pub draws: Vec<(TransferId, LotId, i64)>,
}

impl MemoryBook {
    pub fn open_account(&mut self, point_type: PointType, owner: Owner) -> AccountId {
        let id = AccountId(self.accounts.len() as i64 + 1);
        self.accounts.push(AccountRow {
            id,
            point_type,
            owner,
            debits_pending: 0,
            debits_posted: 0,
            credits_pending: 0,
            credits_posted: 0,
        });
        id
    }

    pub fn account(&self, id: AccountId) -> &AccountRow {
        &self.accounts[(id.0 - 1) as usize]
    }

    pub fn lots_of(&self, account: AccountId) -> Vec<Lot> {
        self.lots
            .iter()
            .filter(|l| l.account == account)
            .cloned()
            .collect()
    }

    pub fn transfer(&self, id: TransferId) -> &(TransferRow, NewTransfer) {
        &self.transfers[(id.0 - 1) as usize]
    }

    pub fn draws_of(&self, id: TransferId) -> Vec<(LotId, i64)> {
        self.draws
            .iter()
            .filter(|d| d.0 == id)
            .map(|d| (d.1, d.2))
            .collect()
    }

    /// Stores a posting; returns the ids given to its new transfers and lots.
    pub fn apply(&mut self, p: &Posting) -> (Vec<TransferId>, Vec<LotId>) {
        let mut tids = Vec::new();
        for t in &p.transfers {
            let id = TransferId(self.transfers.len() as i64 + 1);
            let pending_of = t.pending_of.map(|r| match r {
                Ref::Stored(x) => x,
                Ref::New(i) => tids[i],
            });
            self.transfers.push((
                TransferRow {
                    id,
                    phase: t.phase,
                    point_type: t.point_type,
                    debit: t.debit,
                    credit: t.credit,
                    amount: t.amount,
                    pending_of,
                },
                t.clone(),
            ));
            tids.push(id);
        }
        for (acc, d) in p.account_deltas() {
            let a = &mut self.accounts[(acc.0 - 1) as usize];
            a.debits_pending += d.debits_pending;
            a.debits_posted += d.debits_posted;
            a.credits_pending += d.credits_pending;
            a.credits_posted += d.credits_posted;
        }
        let tref = |r: Ref<TransferId>| match r {
            Ref::Stored(x) => x,
            Ref::New(i) => tids[i],
        };
        let mut lids = Vec::new();
        for l in &p.lots {
            let id = LotId(self.lots.len() as i64 + 1);
            self.lots.push(Lot {
                id,
                account: l.account,
                member: l.member,
                point_type: l.point_type,
                status: l.status,
                amount: l.amount,
                remaining: l.amount,
                held: 0,
                spent: 0,
                expired: 0,
                reversed: 0,
                moved: 0,
                earned_at: l.earned_at,
                available_at: l.available_at,
                expires_at: l.expires_at,
                transfer: tref(l.transfer),
                source_account: l.source_account,
                order_ref: l.order_ref.clone(),
            });
            lids.push(id);
        }
        let lref = |r: Ref<LotId>| match r {
            Ref::Stored(x) => x,
            Ref::New(i) => lids[i],
        };
        let index: HashMap<LotId, usize> = self
            .lots
            .iter()
            .enumerate()
            .map(|(i, l)| (l.id, i))
            .collect();
        for c in &p.lot_changes {
            let l = &mut self.lots[index[&lref(c.lot)]];
            l.held += c.delta.held;
            l.spent += c.delta.spent;
            l.expired += c.delta.expired;
            l.reversed += c.delta.reversed;
            l.moved += c.delta.moved;
            l.remaining += c.delta.remaining();
            if c.delta.activate {
                l.status = LotStatus::Active;
            }
        }
        for d in &p.draws {
            self.draws.push((tref(d.transfer), lref(d.lot), d.amount));
        }
        (tids, lids)
    }
}
