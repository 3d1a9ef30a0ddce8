//! Queries of lotteries, checkout settings and item votes.

use super::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotteryRow {
    pub id: i64,
    pub code: String,
    pub definition: String,
    pub status: String,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawRow {
    pub id: i64,
    pub member: MemberId,
    pub request_id: String,
    pub random: i64,
    pub ticket: i64,
    pub band: Option<i64>,
    pub prize: Option<i64>,
    pub cost_points: i64,
    pub used_chance: bool,
    pub result: String,
    pub created_at: Millis,
}

/// A draw to store.
pub struct NewDraw<'a> {
    pub lottery: i64,
    pub member: MemberId,
    pub request_id: &'a str,
    pub random: i64,
    pub ticket: i64,
    pub band: Option<i64>,
    pub prize: Option<i64>,
    pub cost_points: i64,
    pub used_chance: bool,
    pub result: &'a str,
}

const DRAW_COLS: &str = "id, member_id, request_id, random, ticket, band, prize, cost_points, used_chance, result, created_at";

fn lottery_row(r: &Row) -> LotteryRow {
    LotteryRow {
        id: r.int(0),
        code: r.text(1),
        definition: r.text(2),
        status: r.text(3),
        created_at: r.int(4),
    }
}

fn draw_row(r: &Row) -> DrawRow {
    DrawRow {
        id: r.int(0),
        member: MemberId(r.int(1)),
        request_id: r.text(2),
        random: r.int(3),
        ticket: r.int(4),
        band: r.opt_int(5),
        prize: r.opt_int(6),
        cost_points: r.int(7),
        used_chance: r.int(8) != 0,
        result: r.text(9),
        created_at: r.int(10),
    }
}

impl Tx<'_> {
    /// Stores a lottery and a stock row per prize; `None` when the code is taken.
    pub fn insert_lottery(
        &mut self,
        program: ProgramId,
        code: &str,
        definition: &str,
        prizes: usize,
        now: Millis,
    ) -> StoreResult<Option<i64>> {
        self.writes += 1;
        let Some(id) = self
            .conn
            .query_one(
                "INSERT INTO lotteries (program_id, code, definition, status, created_at) VALUES ($1, $2, $3, 'active', $4) \
                 ON CONFLICT (program_id, code) DO NOTHING RETURNING id",
                &[program.0.into(), code.into(), definition.into(), now.into()],
            )?
            .map(|r| r.int(0))
        else {
            return Ok(None);
        };
        for i in 0..prizes {
            self.conn.execute(
                "INSERT INTO lottery_prizes (program_id, lottery_id, prize, won) VALUES ($1, $2, $3, 0)",
                &[program.0.into(), id.into(), (i as i64).into()],
            )?;
        }
        Ok(Some(id))
    }

    pub fn lottery(&mut self, program: ProgramId, code: &str) -> StoreResult<Option<LotteryRow>> {
        Ok(self
            .conn
            .query_one(
                "SELECT id, code, definition, status, created_at FROM lotteries WHERE program_id = $1 AND code = $2",
                &[program.0.into(), code.into()],
            )?
            .map(|r| lottery_row(&r)))
    }

    pub fn lotteries(&mut self, program: ProgramId) -> StoreResult<Vec<LotteryRow>> {
        Ok(self
            .conn
            .query(
                "SELECT id, code, definition, status, created_at FROM lotteries WHERE program_id = $1 ORDER BY id",
                &[program.0.into()],
            )?
            .iter()
            .map(lottery_row)
            .collect())
    }

    /// How many of each prize were won, by prize index.
    pub fn lottery_won(&mut self, program: ProgramId, lottery: i64) -> StoreResult<Vec<i64>> {
        Ok(self
            .conn
            .query(
                "SELECT won FROM lottery_prizes WHERE program_id = $1 AND lottery_id = $2 ORDER BY prize",
                &[program.0.into(), lottery.into()],
            )?
            .iter()
            .map(|r| r.int(0))
            .collect())
    }

    /// Counts one more win of a prize unless its stock is used up (one conditional update).
    pub fn take_prize(
        &mut self,
        program: ProgramId,
        lottery: i64,
        prize: i64,
        stock: i64,
    ) -> StoreResult<bool> {
        self.writes += 1;
        Ok(self.conn.execute(
            "UPDATE lottery_prizes SET won = won + 1 WHERE program_id = $1 AND lottery_id = $2 AND prize = $3 AND won < $4",
            &[program.0.into(), lottery.into(), prize.into(), stock.into()],
        )? == 1)
    }

    /// Draws granted to a member and used, as (granted, used).
    pub fn lottery_chances(
        &mut self,
        program: ProgramId,
        lottery: i64,
        member: MemberId,
    ) -> StoreResult<(i64, i64)> {
        Ok(self
            .conn
            .query_one(
                "SELECT granted, used FROM lottery_chances WHERE program_id = $1 AND lottery_id = $2 AND member_id = $3",
                &[program.0.into(), lottery.into(), member.0.into()],
            )?
            .map_or((0, 0), |r| (r.int(0), r.int(1))))
    }

    pub fn grant_lottery_chances(
        &mut self,
        program: ProgramId,
        lottery: i64,
        member: MemberId,
        n: i64,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "INSERT INTO lottery_chances (program_id, lottery_id, member_id, granted, used) VALUES ($1, $2, $3, $4, 0) \
             ON CONFLICT (program_id, lottery_id, member_id) DO UPDATE SET granted = lottery_chances.granted + excluded.granted",
            &[program.0.into(), lottery.into(), member.0.into(), n.into()],
        )?;
        Ok(())
    }

    pub fn use_lottery_chance(
        &mut self,
        program: ProgramId,
        lottery: i64,
        member: MemberId,
    ) -> StoreResult<bool> {
        self.writes += 1;
        Ok(self.conn.execute(
            "UPDATE lottery_chances SET used = used + 1 WHERE program_id = $1 AND lottery_id = $2 AND member_id = $3 AND used < granted",
            &[program.0.into(), lottery.into(), member.0.into()],
        )? == 1)
    }

    pub fn insert_draw(
        &mut self,
        program: ProgramId,
        d: &NewDraw<'_>,
        now: Millis,
    ) -> StoreResult<i64> {
        self.writes += 1;
        self.conn.insert_id(
            "INSERT INTO lottery_draws (program_id, lottery_id, member_id, request_id, random, ticket, band, prize, \
             cost_points, used_chance, result, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
            &[
                program.0.into(),
                d.lottery.into(),
                d.member.0.into(),
                d.request_id.into(),
                d.random.into(),
                d.ticket.into(),
                d.band.into(),
                d.prize.into(),
                d.cost_points.into(),
                (d.used_chance as i64).into(),
                d.result.into(),
                now.into(),
            ],
        )
    }

    pub fn draw_by_request(
        &mut self,
        program: ProgramId,
        member: MemberId,
        request_id: &str,
    ) -> StoreResult<Option<DrawRow>> {
        Ok(self
            .conn
            .query_one(
                &format!("SELECT {DRAW_COLS} FROM lottery_draws WHERE program_id = $1 AND member_id = $2 AND request_id = $3"),
                &[program.0.into(), member.0.into(), request_id.into()],
            )?
            .map(|r| draw_row(&r)))
    }

    /// Draws of a lottery after id `after`, oldest first: the audit trail.
    pub fn lottery_draws(
        &mut self,
        program: ProgramId,
        lottery: i64,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<DrawRow>> {
        Ok(self
            .conn
            .query(
                &format!("SELECT {DRAW_COLS} FROM lottery_draws WHERE program_id = $1 AND lottery_id = $2 AND id > $3 ORDER BY id LIMIT $4"),
                &[program.0.into(), lottery.into(), after.into(), limit.into()],
            )?
            .iter()
            .map(draw_row)
            .collect())
    }

    /// A member's draws of a lottery since `since`.
    pub fn draws_since(
        &mut self,
        program: ProgramId,
        lottery: i64,
        member: MemberId,
        since: Millis,
    ) -> StoreResult<i64> {
        Ok(self
            .conn
            .query_one(
                "SELECT COUNT(*) FROM lottery_draws WHERE program_id = $1 AND lottery_id = $2 AND member_id = $3 AND created_at >= $4",
                &[program.0.into(), lottery.into(), member.0.into(), since.into()],
            )?
            .map_or(0, |r| r.int(0)))
    }

    pub fn checkout_settings(&mut self, program: ProgramId) -> StoreResult<Option<String>> {
        Ok(self
            .conn
            .query_one(
                "SELECT definition FROM checkout_settings WHERE program_id = $1",
                &[program.0.into()],
            )?
            .map(|r| r.text(0)))
    }

    pub fn put_checkout_settings(
        &mut self,
        program: ProgramId,
        definition: &str,
        now: Millis,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "INSERT INTO checkout_settings (program_id, definition, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (program_id) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at",
            &[program.0.into(), definition.into(), now.into()],
        )?;
        Ok(())
    }
}
