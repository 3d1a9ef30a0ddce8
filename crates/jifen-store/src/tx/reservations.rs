//! Reservations: recording them, their owner and state, and the ones due to time out.

use super::*;

impl Tx<'_> {
    pub fn insert_reservation(&mut self, r: &Reservation) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "INSERT INTO reservations (program_id, transfer_id, member_id, amount, state, expires_at, order_ref, created_at, owner_kind, owner_ref) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                r.program.0.into(),
                r.transfer.0.into(),
                r.member.0.into(),
                r.amount.into(),
                r.state.as_str().into(),
                r.expires_at.into(),
                r.order_ref.clone().into(),
                r.created_at.into(),
                r.owner.as_ref().map(|o| o.kind()).into(),
                r.owner.as_ref().map(|o| o.reference()).into(),
            ],
        )?;
        Ok(())
    }

    /// Gives a reservation to its owner (a mall order is numbered after its reservation).
    pub fn set_reservation_owner(
        &mut self,
        program: ProgramId,
        id: TransferId,
        owner: &ReservationOwner,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "UPDATE reservations SET owner_kind = $3, owner_ref = $4 WHERE program_id = $1 AND transfer_id = $2",
            &[
                program.0.into(),
                id.0.into(),
                owner.kind().into(),
                owner.reference().into(),
            ],
        )?;
        Ok(())
    }

    fn reservation_from(r: &Row) -> StoreResult<Reservation> {
        Ok(Reservation {
            program: ProgramId(r.int(0)),
            transfer: TransferId(r.int(1)),
            member: MemberId(r.int(2)),
            amount: r.int(3),
            state: ReservationState::parse(&r.text(4))
                .ok_or_else(|| corrupt("reservation state"))?,
            expires_at: r.int(5),
            order_ref: r.opt_text(6),
            created_at: r.int(7),
            owner: match (r.opt_text(8), r.opt_text(9)) {
                (Some(kind), Some(reference)) => Some(
                    ReservationOwner::parse(&kind, &reference)
                        .ok_or_else(|| corrupt("reservation owner"))?,
                ),
                _ => None,
            },
        })
    }

    pub fn reservation(
        &mut self,
        program: ProgramId,
        id: TransferId,
    ) -> StoreResult<Option<Reservation>> {
        self.conn
            .query_one(
                "SELECT program_id, transfer_id, member_id, amount, state, expires_at, order_ref, created_at, owner_kind, owner_ref FROM reservations \
                 WHERE program_id = $1 AND transfer_id = $2",
                &[program.0.into(), id.0.into()],
            )?
            .map(|r| Self::reservation_from(&r))
            .transpose()
    }

    pub fn set_reservation_state(
        &mut self,
        program: ProgramId,
        id: TransferId,
        state: ReservationState,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "UPDATE reservations SET state = $3 WHERE program_id = $1 AND transfer_id = $2",
            &[program.0.into(), id.0.into(), state.as_str().into()],
        )?;
        Ok(())
    }

    pub fn reservations_due(
        &mut self,
        program: ProgramId,
        now: Millis,
        limit: i64,
    ) -> StoreResult<Vec<Reservation>> {
        self.conn
            .query(
                "SELECT program_id, transfer_id, member_id, amount, state, expires_at, order_ref, created_at, owner_kind, owner_ref FROM reservations \
                 WHERE program_id = $1 AND state = 'open' AND expires_at <= $2 \
                 AND (owner_kind IS NULL OR owner_kind <> 'mall_order') ORDER BY expires_at LIMIT $3",
                &[program.0.into(), now.into(), limit.into()],
            )?
            .iter()
            .map(Self::reservation_from)
            .collect()
    }

    pub fn open_reservation_count(
        &mut self,
        program: ProgramId,
        member: MemberId,
    ) -> StoreResult<i64> {
        Ok(self
            .conn
            .query_one(
                "SELECT COUNT(*) FROM reservations WHERE program_id = $1 AND member_id = $2 AND state = 'open'",
                &[program.0.into(), member.0.into()],
            )?
            .map_or(0, |r| r.int(0)))
    }
}
