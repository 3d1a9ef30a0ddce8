//! Queries of coupons (templates and issued coupons), benefit grants and the outbox.

use super::*;

/// A coupon template as stored: its definition is the domain's JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRow {
    pub id: i64,
    pub code: String,
    pub definition: String,
    pub status: String,
    pub issued: i64,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponRow {
    pub id: i64,
    pub template_id: i64,
    pub member: MemberId,
    pub code: String,
    pub status: String,
    pub valid_from: Millis,
    pub valid_until: Millis,
    pub source: String,
    pub issued_at: Millis,
    pub redeemed_at: Option<Millis>,
    pub order_ref: Option<String>,
    pub goods_off_minor: Option<i64>,
    pub shipping_off_minor: Option<i64>,
}

/// A coupon to issue.
pub struct NewCoupon<'a> {
    pub template_id: i64,
    pub member: MemberId,
    pub code: &'a str,
    pub valid_from: Millis,
    pub valid_until: Millis,
    pub source: &'a str,
    pub source_key: &'a str,
}

const TEMPLATE_COLS: &str = "id, code, definition, status, issued, created_at";
const COUPON_COLS: &str = "id, template_id, member_id, code, status, valid_from, valid_until, source, \
     issued_at, redeemed_at, order_ref, goods_off_minor, shipping_off_minor";

fn template_row(r: &Row) -> TemplateRow {
    TemplateRow {
        id: r.int(0),
        code: r.text(1),
        definition: r.text(2),
        status: r.text(3),
        issued: r.int(4),
        created_at: r.int(5),
    }
}

fn coupon_row(r: &Row) -> CouponRow {
    CouponRow {
        id: r.int(0),
        template_id: r.int(1),
        member: MemberId(r.int(2)),
        code: r.text(3),
        status: r.text(4),
        valid_from: r.int(5),
        valid_until: r.int(6),
        source: r.text(7),
        issued_at: r.int(8),
        redeemed_at: r.opt_int(9),
        order_ref: r.opt_text(10),
        goods_off_minor: r.opt_int(11),
        shipping_off_minor: r.opt_int(12),
    }
}

impl Tx<'_> {
    /// Stores a new template; `None` when its code is taken.
    pub fn insert_coupon_template(
        &mut self,
        program: ProgramId,
        code: &str,
        definition: &str,
        now: Millis,
    ) -> StoreResult<Option<i64>> {
        self.writes += 1;
        Ok(self
            .conn
            .query_one(
                "INSERT INTO coupon_templates (program_id, code, definition, status, issued, created_at, updated_at) \
                 VALUES ($1, $2, $3, 'active', 0, $4, $4) ON CONFLICT (program_id, code) DO NOTHING RETURNING id",
                &[program.0.into(), code.into(), definition.into(), now.into()],
            )?
            .map(|r| r.int(0)))
    }

    pub fn update_coupon_template(
        &mut self,
        program: ProgramId,
        id: i64,
        definition: Option<&str>,
        status: Option<&str>,
        now: Millis,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "UPDATE coupon_templates SET definition = COALESCE($3, definition), status = COALESCE($4, status), \
             updated_at = $5 WHERE program_id = $1 AND id = $2",
            &[program.0.into(), id.into(), definition.into(), status.into(), now.into()],
        )?;
        Ok(())
    }

    pub fn coupon_templates(&mut self, program: ProgramId) -> StoreResult<Vec<TemplateRow>> {
        Ok(self
            .conn
            .query(
                &format!(
                    "SELECT {TEMPLATE_COLS} FROM coupon_templates WHERE program_id = $1 ORDER BY id"
                ),
                &[program.0.into()],
            )?
            .iter()
            .map(template_row)
            .collect())
    }

    pub fn coupon_template(
        &mut self,
        program: ProgramId,
        code: &str,
    ) -> StoreResult<Option<TemplateRow>> {
        Ok(self
            .conn
            .query_one(
                &format!("SELECT {TEMPLATE_COLS} FROM coupon_templates WHERE program_id = $1 AND code = $2"),
                &[program.0.into(), code.into()],
            )?
            .map(|r| template_row(&r)))
    }

    pub fn coupon_template_by_id(
        &mut self,
        program: ProgramId,
        id: i64,
    ) -> StoreResult<Option<TemplateRow>> {
        Ok(self
            .conn
            .query_one(
                &format!(
                    "SELECT {TEMPLATE_COLS} FROM coupon_templates WHERE program_id = $1 AND id = $2"
                ),
                &[program.0.into(), id.into()],
            )?
            .map(|r| template_row(&r)))
    }

    /// Counts one more coupon issued from a template, unless its stock (if any) is used up: one
    /// conditional update, so that concurrent issues never pass the stock. Returns whether it
    /// counted.
    pub fn take_coupon_stock(
        &mut self,
        program: ProgramId,
        template: i64,
        stock: Option<i64>,
    ) -> StoreResult<bool> {
        self.writes += 1;
        Ok(self.conn.execute(
            "UPDATE coupon_templates SET issued = issued + 1 \
             WHERE program_id = $1 AND id = $2 AND (CAST($3 AS BIGINT) IS NULL OR issued < $3)",
            &[program.0.into(), template.into(), stock.into()],
        )? == 1)
    }

    /// How many coupons of a template a member was ever issued.
    pub fn coupons_of_member_and_template(
        &mut self,
        program: ProgramId,
        member: MemberId,
        template: i64,
    ) -> StoreResult<i64> {
        Ok(self
            .conn
            .query_one(
                "SELECT COUNT(*) FROM coupons WHERE program_id = $1 AND member_id = $2 AND template_id = $3",
                &[program.0.into(), member.0.into(), template.into()],
            )?
            .map_or(0, |r| r.int(0)))
    }

    /// Issues a coupon; `None` when a coupon with the same source key exists (issued once).
    pub fn insert_coupon(
        &mut self,
        program: ProgramId,
        c: &NewCoupon<'_>,
        now: Millis,
    ) -> StoreResult<Option<i64>> {
        self.writes += 1;
        Ok(self
            .conn
            .query_one(
                "INSERT INTO coupons (program_id, template_id, member_id, code, status, valid_from, valid_until, \
                 source, source_key, issued_at) VALUES ($1, $2, $3, $4, 'issued', $5, $6, $7, $8, $9) \
                 ON CONFLICT (program_id, source_key) DO NOTHING RETURNING id",
                &[
                    program.0.into(),
                    c.template_id.into(),
                    c.member.0.into(),
                    c.code.into(),
                    c.valid_from.into(),
                    c.valid_until.into(),
                    c.source.into(),
                    c.source_key.into(),
                    now.into(),
                ],
            )?
            .map(|r| r.int(0)))
    }

    pub fn coupon_by_source(
        &mut self,
        program: ProgramId,
        source_key: &str,
    ) -> StoreResult<Option<CouponRow>> {
        Ok(self
            .conn
            .query_one(
                &format!(
                    "SELECT {COUPON_COLS} FROM coupons WHERE program_id = $1 AND source_key = $2"
                ),
                &[program.0.into(), source_key.into()],
            )?
            .map(|r| coupon_row(&r)))
    }

    pub fn coupon_by_code(
        &mut self,
        program: ProgramId,
        code: &str,
    ) -> StoreResult<Option<CouponRow>> {
        Ok(self
            .conn
            .query_one(
                &format!("SELECT {COUPON_COLS} FROM coupons WHERE program_id = $1 AND code = $2"),
                &[program.0.into(), code.into()],
            )?
            .map(|r| coupon_row(&r)))
    }

    /// A member's coupons, newest first, optionally of one status.
    pub fn member_coupons(
        &mut self,
        program: ProgramId,
        member: MemberId,
        status: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<CouponRow>> {
        Ok(self
            .conn
            .query(
                &format!(
                    "SELECT {COUPON_COLS} FROM coupons WHERE program_id = $1 AND member_id = $2 \
                     AND (CAST($3 AS TEXT) IS NULL OR status = $3) ORDER BY id DESC LIMIT $4"
                ),
                &[
                    program.0.into(),
                    member.0.into(),
                    status.into(),
                    limit.into(),
                ],
            )?
            .iter()
            .map(coupon_row)
            .collect())
    }

    /// Marks an issued coupon redeemed, if it still is: concurrent redemptions of one coupon
    /// see one success. Returns whether this one redeemed it.
    pub fn redeem_coupon(
        &mut self,
        program: ProgramId,
        id: i64,
        order_ref: &str,
        goods_off: i64,
        shipping_off: i64,
        now: Millis,
    ) -> StoreResult<bool> {
        self.writes += 1;
        Ok(self.conn.execute(
            "UPDATE coupons SET status = 'redeemed', redeemed_at = $3, order_ref = $4, goods_off_minor = $5, \
             shipping_off_minor = $6 WHERE program_id = $1 AND id = $2 AND status = 'issued'",
            &[program.0.into(), id.into(), now.into(), order_ref.into(), goods_off.into(), shipping_off.into()],
        )? == 1)
    }

    /// Puts a redeemed coupon back (its order was cancelled or refunded in full).
    pub fn release_coupon(&mut self, program: ProgramId, id: i64) -> StoreResult<bool> {
        self.writes += 1;
        Ok(self.conn.execute(
            "UPDATE coupons SET status = 'issued', redeemed_at = NULL, order_ref = NULL, goods_off_minor = NULL, \
             shipping_off_minor = NULL WHERE program_id = $1 AND id = $2 AND status = 'redeemed'",
            &[program.0.into(), id.into()],
        )? == 1)
    }

    pub fn void_coupon(&mut self, program: ProgramId, id: i64) -> StoreResult<bool> {
        self.writes += 1;
        Ok(self.conn.execute(
            "UPDATE coupons SET status = 'void' WHERE program_id = $1 AND id = $2 AND status = 'issued'",
            &[program.0.into(), id.into()],
        )? == 1)
    }

    /// Marks up to `limit` issued coupons whose window ended by `now` as expired; returns how many.
    pub fn expire_coupons(
        &mut self,
        program: ProgramId,
        now: Millis,
        limit: i64,
    ) -> StoreResult<u64> {
        self.writes += 1;
        self.conn.execute(
            "UPDATE coupons SET status = 'expired' WHERE id IN (SELECT id FROM coupons \
             WHERE program_id = $1 AND status = 'issued' AND valid_until <= $2 LIMIT $3)",
            &[program.0.into(), now.into(), limit.into()],
        )
    }

    /// Records a benefit granted once (a tier-up gift, a month's coupons); `false` when it was
    /// granted before.
    pub fn insert_benefit_grant(
        &mut self,
        program: ProgramId,
        key: &str,
        member: MemberId,
        points: i64,
        coupons: i64,
        now: Millis,
    ) -> StoreResult<bool> {
        self.writes += 1;
        Ok(self.conn.execute(
            "INSERT INTO benefit_grants (program_id, grant_key, member_id, points, coupons, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (program_id, grant_key) DO NOTHING",
            &[program.0.into(), key.into(), member.0.into(), points.into(), coupons.into(), now.into()],
        )? == 1)
    }

    /// A grant's points and coupons, if it was paid.
    pub fn benefit_grant(
        &mut self,
        program: ProgramId,
        key: &str,
    ) -> StoreResult<Option<(i64, i64)>> {
        Ok(self
            .conn
            .query_one(
                "SELECT points, coupons FROM benefit_grants WHERE program_id = $1 AND grant_key = $2",
                &[program.0.into(), key.into()],
            )?
            .map(|r| (r.int(0), r.int(1))))
    }

    /// Forgets a grant that was taken back, so that it is paid again when earned again.
    pub fn delete_benefit_grant(&mut self, program: ProgramId, key: &str) -> StoreResult<bool> {
        let n = self.conn.execute(
            "DELETE FROM benefit_grants WHERE program_id = $1 AND grant_key = $2",
            &[program.0.into(), key.into()],
        )?;
        self.writes += n;
        Ok(n == 1)
    }

    /// Writes an event to the outbox, in the transaction of the change it reports.
    pub fn outbox_push(
        &mut self,
        program: ProgramId,
        topic: &str,
        member: Option<MemberId>,
        payload: &str,
        now: Millis,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "INSERT INTO outbox (program_id, topic, member_id, payload, created_at) VALUES ($1, $2, $3, $4, $5)",
            &[program.0.into(), topic.into(), member.map(|m| m.0).into(), payload.into(), now.into()],
        )?;
        Ok(())
    }

    /// Outbox events after id `after`, oldest first, optionally of one topic.
    pub fn outbox_after(
        &mut self,
        program: ProgramId,
        after: i64,
        topic: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<(i64, String, Option<i64>, String, Millis)>> {
        Ok(self
            .conn
            .query(
                "SELECT id, topic, member_id, payload, created_at FROM outbox WHERE program_id = $1 AND id > $2 \
                 AND (CAST($3 AS TEXT) IS NULL OR topic = $3) ORDER BY id LIMIT $4",
                &[program.0.into(), after.into(), topic.into(), limit.into()],
            )?
            .iter()
            .map(|r| (r.int(0), r.text(1), r.opt_int(2), r.text(3), r.int(4)))
            .collect())
    }
}
