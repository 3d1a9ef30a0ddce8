//! Queries of the points mall: items, SKUs with stock, orders and their history.

use super::*;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRow {
    pub id: i64,
    pub definition: String,
    pub category: String,
    pub status: String,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkuRow {
    pub id: i64,
    pub item_id: i64,
    pub sku: String,
    pub points: i64,
    pub cash_minor: i64,
    pub stock: i64,
    pub sold: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MallOrderRow {
    pub id: i64,
    pub member: MemberId,
    pub request_id: String,
    pub item_id: i64,
    pub sku_id: i64,
    pub quantity: i64,
    pub points: i64,
    pub cash_minor: i64,
    pub state: String,
    pub reservation_id: Option<i64>,
    pub pay_deadline: Option<Millis>,
    pub payment_ref: Option<String>,
    pub address: Option<String>,
    pub carrier: Option<String>,
    pub tracking_no: Option<String>,
    pub coupon_code: Option<String>,
    pub refunded_points: i64,
    pub refunded_cash_minor: i64,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// An order to store.
pub struct NewMallOrder<'a> {
    pub member: MemberId,
    pub request_id: &'a str,
    pub item_id: i64,
    pub sku_id: i64,
    pub quantity: i64,
    pub points: i64,
    pub cash_minor: i64,
    pub state: &'a str,
    pub reservation_id: Option<i64>,
    pub pay_deadline: Option<Millis>,
    pub address: Option<&'a str>,
}

const ITEM_COLS: &str = "id, definition, category, status, created_at, updated_at";
const SKU_COLS: &str = "id, item_id, sku, points, cash_minor, stock, sold";
const ORDER_COLS: &str = "id, member_id, request_id, item_id, sku_id, quantity, points, cash_minor, state, \
     reservation_id, pay_deadline, payment_ref, address, carrier, tracking_no, coupon_code, refunded_points, \
     refunded_cash_minor, created_at, updated_at";

fn item_row(r: &Row) -> ItemRow {
    ItemRow {
        id: r.int(0),
        definition: r.text(1),
        category: r.text(2),
        status: r.text(3),
        created_at: r.int(4),
        updated_at: r.int(5),
    }
}

fn sku_row(r: &Row) -> SkuRow {
    SkuRow {
        id: r.int(0),
        item_id: r.int(1),
        sku: r.text(2),
        points: r.int(3),
        cash_minor: r.int(4),
        stock: r.int(5),
        sold: r.int(6),
    }
}

fn order_row(r: &Row) -> MallOrderRow {
    MallOrderRow {
        id: r.int(0),
        member: MemberId(r.int(1)),
        request_id: r.text(2),
        item_id: r.int(3),
        sku_id: r.int(4),
        quantity: r.int(5),
        points: r.int(6),
        cash_minor: r.int(7),
        state: r.text(8),
        reservation_id: r.opt_int(9),
        pay_deadline: r.opt_int(10),
        payment_ref: r.opt_text(11),
        address: r.opt_text(12),
        carrier: r.opt_text(13),
        tracking_no: r.opt_text(14),
        coupon_code: r.opt_text(15),
        refunded_points: r.int(16),
        refunded_cash_minor: r.int(17),
        created_at: r.int(18),
        updated_at: r.int(19),
    }
}

impl Tx<'_> {
    pub fn insert_mall_item(
        &mut self,
        program: ProgramId,
        definition: &str,
        category: &str,
        status: &str,
        now: Millis,
    ) -> StoreResult<i64> {
        self.writes += 1;
        self.conn.insert_id(
            "INSERT INTO mall_items (program_id, definition, category, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
            &[program.0.into(), definition.into(), category.into(), status.into(), now.into()],
        )
    }

    pub fn update_mall_item(
        &mut self,
        program: ProgramId,
        id: i64,
        definition: Option<&str>,
        category: Option<&str>,
        status: Option<&str>,
        now: Millis,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "UPDATE mall_items SET definition = COALESCE($3, definition), category = COALESCE($4, category), \
             status = COALESCE($5, status), updated_at = $6 WHERE program_id = $1 AND id = $2",
            &[program.0.into(), id.into(), definition.into(), category.into(), status.into(), now.into()],
        )?;
        Ok(())
    }

    pub fn mall_item(&mut self, program: ProgramId, id: i64) -> StoreResult<Option<ItemRow>> {
        Ok(self
            .conn
            .query_one(
                &format!("SELECT {ITEM_COLS} FROM mall_items WHERE program_id = $1 AND id = $2"),
                &[program.0.into(), id.into()],
            )?
            .map(|r| item_row(&r)))
    }

    /// Items by id after `after`, optionally of one status and category, at most `limit`.
    pub fn mall_items(
        &mut self,
        program: ProgramId,
        status: Option<&str>,
        category: Option<&str>,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<ItemRow>> {
        Ok(self
            .conn
            .query(
                &format!(
                    "SELECT {ITEM_COLS} FROM mall_items WHERE program_id = $1 AND (CAST($2 AS TEXT) IS NULL OR status = $2) \
                     AND (CAST($3 AS TEXT) IS NULL OR category = $3) AND id > $4 ORDER BY id LIMIT $5"
                ),
                &[program.0.into(), status.into(), category.into(), after.into(), limit.into()],
            )?
            .iter()
            .map(item_row)
            .collect())
    }

    pub fn insert_mall_sku(
        &mut self,
        program: ProgramId,
        item: i64,
        sku: &str,
        points: i64,
        cash_minor: i64,
        stock: i64,
    ) -> StoreResult<i64> {
        self.writes += 1;
        self.conn.insert_id(
            "INSERT INTO mall_skus (program_id, item_id, sku, points, cash_minor, stock, sold) \
             VALUES ($1, $2, $3, $4, $5, $6, 0) RETURNING id",
            &[
                program.0.into(),
                item.into(),
                sku.into(),
                points.into(),
                cash_minor.into(),
                stock.into(),
            ],
        )
    }

    pub fn update_mall_sku_price(
        &mut self,
        program: ProgramId,
        id: i64,
        points: i64,
        cash_minor: i64,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "UPDATE mall_skus SET points = $3, cash_minor = $4 WHERE program_id = $1 AND id = $2",
            &[
                program.0.into(),
                id.into(),
                points.into(),
                cash_minor.into(),
            ],
        )?;
        Ok(())
    }

    pub fn mall_sku_by_code(
        &mut self,
        program: ProgramId,
        sku: &str,
    ) -> StoreResult<Option<SkuRow>> {
        Ok(self
            .conn
            .query_one(
                &format!("SELECT {SKU_COLS} FROM mall_skus WHERE program_id = $1 AND sku = $2"),
                &[program.0.into(), sku.into()],
            )?
            .map(|r| sku_row(&r)))
    }

    pub fn mall_sku(&mut self, program: ProgramId, id: i64) -> StoreResult<Option<SkuRow>> {
        Ok(self
            .conn
            .query_one(
                &format!("SELECT {SKU_COLS} FROM mall_skus WHERE program_id = $1 AND id = $2"),
                &[program.0.into(), id.into()],
            )?
            .map(|r| sku_row(&r)))
    }

    pub fn mall_skus_of(&mut self, program: ProgramId, item: i64) -> StoreResult<Vec<SkuRow>> {
        Ok(self
            .conn
            .query(
                &format!("SELECT {SKU_COLS} FROM mall_skus WHERE program_id = $1 AND item_id = $2 ORDER BY id"),
                &[program.0.into(), item.into()],
            )?
            .iter()
            .map(sku_row)
            .collect())
    }

    /// Takes `quantity` units of a SKU if that many are in stock: one conditional update, so that
    /// concurrent orders on any node never oversell. Returns whether it took them.
    pub fn take_mall_stock(
        &mut self,
        program: ProgramId,
        sku: i64,
        quantity: i64,
    ) -> StoreResult<bool> {
        self.writes += 1;
        Ok(self.conn.execute(
            "UPDATE mall_skus SET stock = stock - $3, sold = sold + $3 WHERE program_id = $1 AND id = $2 AND stock >= $3",
            &[program.0.into(), sku.into(), quantity.into()],
        )? == 1)
    }

    /// Puts units back in stock (an order cancelled, timed out or returned), or adds a delivery.
    pub fn return_mall_stock(
        &mut self,
        program: ProgramId,
        sku: i64,
        quantity: i64,
        unsold: bool,
    ) -> StoreResult<()> {
        self.writes += 1;
        let sold = if unsold { quantity } else { 0 };
        self.conn.execute(
            "UPDATE mall_skus SET stock = stock + $3, sold = sold - $4 WHERE program_id = $1 AND id = $2",
            &[program.0.into(), sku.into(), quantity.into(), sold.into()],
        )?;
        Ok(())
    }

    pub fn insert_mall_order(
        &mut self,
        program: ProgramId,
        o: &NewMallOrder<'_>,
        now: Millis,
    ) -> StoreResult<i64> {
        self.writes += 1;
        self.conn.insert_id(
            "INSERT INTO mall_orders (program_id, member_id, request_id, item_id, sku_id, quantity, points, cash_minor, \
             state, reservation_id, pay_deadline, address, refunded_points, refunded_cash_minor, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, 0, $13, $13) RETURNING id",
            &[
                program.0.into(),
                o.member.0.into(),
                o.request_id.into(),
                o.item_id.into(),
                o.sku_id.into(),
                o.quantity.into(),
                o.points.into(),
                o.cash_minor.into(),
                o.state.into(),
                o.reservation_id.into(),
                o.pay_deadline.into(),
                o.address.into(),
                now.into(),
            ],
        )
    }

    pub fn mall_order(&mut self, program: ProgramId, id: i64) -> StoreResult<Option<MallOrderRow>> {
        Ok(self
            .conn
            .query_one(
                &format!("SELECT {ORDER_COLS} FROM mall_orders WHERE program_id = $1 AND id = $2"),
                &[program.0.into(), id.into()],
            )?
            .map(|r| order_row(&r)))
    }

    pub fn mall_order_by_request(
        &mut self,
        program: ProgramId,
        member: MemberId,
        request_id: &str,
    ) -> StoreResult<Option<MallOrderRow>> {
        Ok(self
            .conn
            .query_one(
                &format!(
                    "SELECT {ORDER_COLS} FROM mall_orders WHERE program_id = $1 AND member_id = $2 AND request_id = $3"
                ),
                &[program.0.into(), member.0.into(), request_id.into()],
            )?
            .map(|r| order_row(&r)))
    }

    /// Orders newest first, of one member and/or one state, before id `before`.
    pub fn mall_orders(
        &mut self,
        program: ProgramId,
        member: Option<MemberId>,
        state: Option<&str>,
        before: i64,
        limit: i64,
    ) -> StoreResult<Vec<MallOrderRow>> {
        Ok(self
            .conn
            .query(
                &format!(
                    "SELECT {ORDER_COLS} FROM mall_orders WHERE program_id = $1 AND (CAST($2 AS BIGINT) IS NULL OR member_id = $2) \
                     AND (CAST($3 AS TEXT) IS NULL OR state = $3) AND id < $4 ORDER BY id DESC LIMIT $5"
                ),
                &[program.0.into(), member.map(|m| m.0).into(), state.into(), before.into(), limit.into()],
            )?
            .iter()
            .map(order_row)
            .collect())
    }

    /// Orders shipped under tracking number `tracking`, newest first, at most `limit`.
    pub fn mall_orders_by_tracking(
        &mut self,
        program: ProgramId,
        tracking: &str,
        limit: i64,
    ) -> StoreResult<Vec<MallOrderRow>> {
        Ok(self
            .conn
            .query(
                &format!(
                    "SELECT {ORDER_COLS} FROM mall_orders WHERE program_id = $1 AND tracking_no = $2 ORDER BY id DESC LIMIT $3"
                ),
                &[program.0.into(), tracking.into(), limit.into()],
            )?
            .iter()
            .map(order_row)
            .collect())
    }

    /// Orders of a SKU in `state`, oldest first, at most `limit`.
    pub fn mall_orders_of_sku(
        &mut self,
        program: ProgramId,
        sku: i64,
        state: &str,
        limit: i64,
    ) -> StoreResult<Vec<MallOrderRow>> {
        Ok(self
            .conn
            .query(
                &format!("SELECT {ORDER_COLS} FROM mall_orders WHERE program_id = $1 AND sku_id = $2 AND state = $3 ORDER BY id LIMIT $4"),
                &[program.0.into(), sku.into(), state.into(), limit.into()],
            )?
            .iter()
            .map(order_row)
            .collect())
    }

    /// Units of an item sold since `since` in orders that still hold their stock.
    pub fn mall_units_sold_since(
        &mut self,
        program: ProgramId,
        item: i64,
        since: Millis,
    ) -> StoreResult<i64> {
        Ok(self
            .conn
            .query_one(
                "SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM mall_orders WHERE program_id = $1 AND item_id = $2 \
                 AND created_at >= $3 AND state NOT IN ('cancelled', 'timed_out')",
                &[program.0.into(), item.into(), since.into()],
            )?
            .map_or(0, |r| r.int(0)))
    }

    pub fn insert_mall_candidate(
        &mut self,
        program: ProgramId,
        name_zh: &str,
        name_en: &str,
        description: &str,
        now: Millis,
    ) -> StoreResult<i64> {
        self.writes += 1;
        self.conn.insert_id(
            "INSERT INTO mall_candidates (program_id, name_zh, name_en, description, status, created_at) \
             VALUES ($1, $2, $3, $4, 'open', $5) RETURNING id",
            &[program.0.into(), name_zh.into(), name_en.into(), description.into(), now.into()],
        )
    }

    pub fn set_mall_candidate_status(
        &mut self,
        program: ProgramId,
        id: i64,
        status: &str,
    ) -> StoreResult<bool> {
        self.writes += 1;
        Ok(self.conn.execute(
            "UPDATE mall_candidates SET status = $3 WHERE program_id = $1 AND id = $2",
            &[program.0.into(), id.into(), status.into()],
        )? == 1)
    }

    /// Candidates with their vote counts, most votes first: (id, zh, en, description, status, votes).
    pub fn mall_candidates(
        &mut self,
        program: ProgramId,
    ) -> StoreResult<Vec<(i64, String, String, String, String, i64)>> {
        Ok(self
            .conn
            .query(
                "SELECT c.id, c.name_zh, c.name_en, c.description, c.status, \
                 (SELECT COUNT(*) FROM mall_votes v WHERE v.program_id = c.program_id AND v.candidate_id = c.id) AS votes \
                 FROM mall_candidates c WHERE c.program_id = $1 ORDER BY votes DESC, c.id",
                &[program.0.into()],
            )?
            .iter()
            .map(|r| (r.int(0), r.text(1), r.text(2), r.text(3), r.text(4), r.int(5)))
            .collect())
    }

    /// A member's vote for a candidate; `false` when they voted for it before.
    pub fn insert_mall_vote(
        &mut self,
        program: ProgramId,
        candidate: i64,
        member: MemberId,
        now: Millis,
    ) -> StoreResult<bool> {
        self.writes += 1;
        Ok(self.conn.execute(
            "INSERT INTO mall_votes (program_id, candidate_id, member_id, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (program_id, candidate_id, member_id) DO NOTHING",
            &[program.0.into(), candidate.into(), member.0.into(), now.into()],
        )? == 1)
    }

    /// Units of an item a member bought since `since` in orders that still hold their stock.
    pub fn mall_units_bought(
        &mut self,
        program: ProgramId,
        member: MemberId,
        item: i64,
        since: Millis,
    ) -> StoreResult<i64> {
        Ok(self
            .conn
            .query_one(
                "SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM mall_orders WHERE program_id = $1 AND member_id = $2 \
                 AND item_id = $3 AND created_at >= $4 AND state NOT IN ('cancelled', 'timed_out')",
                &[program.0.into(), member.0.into(), item.into(), since.into()],
            )?
            .map_or(0, |r| r.int(0)))
    }

    /// Moves an order from `from` to `to` if it is still in `from`, with a history entry.
    /// Returns whether it moved (a concurrent action may have moved it first).
    pub fn move_mall_order(
        &mut self,
        program: ProgramId,
        id: i64,
        from: &str,
        to: &str,
        actor: Option<&str>,
        note: Option<&str>,
        now: Millis,
    ) -> StoreResult<bool> {
        self.writes += 1;
        let moved = self.conn.execute(
            "UPDATE mall_orders SET state = $4, updated_at = $5 WHERE program_id = $1 AND id = $2 AND state = $3",
            &[program.0.into(), id.into(), from.into(), to.into(), now.into()],
        )? == 1;
        if moved {
            self.mall_order_event(program, id, to, actor, note, now)?;
        }
        Ok(moved)
    }

    pub fn mall_order_event(
        &mut self,
        program: ProgramId,
        order: i64,
        state: &str,
        actor: Option<&str>,
        note: Option<&str>,
        now: Millis,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "INSERT INTO mall_order_events (program_id, order_id, state, actor, note, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            &[program.0.into(), order.into(), state.into(), actor.into(), note.into(), now.into()],
        )?;
        Ok(())
    }

    /// Sets an order's fulfilment details: payment reference, shipping, coupon, refunds.
    pub fn set_mall_order_details(
        &mut self,
        program: ProgramId,
        id: i64,
        payment_ref: Option<&str>,
        carrier: Option<&str>,
        tracking_no: Option<&str>,
        coupon_code: Option<&str>,
        now: Millis,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "UPDATE mall_orders SET payment_ref = COALESCE($3, payment_ref), carrier = COALESCE($4, carrier), \
             tracking_no = COALESCE($5, tracking_no), coupon_code = COALESCE($6, coupon_code), updated_at = $7 \
             WHERE program_id = $1 AND id = $2",
            &[program.0.into(), id.into(), payment_ref.into(), carrier.into(), tracking_no.into(), coupon_code.into(), now.into()],
        )?;
        Ok(())
    }

    pub fn add_mall_order_refund(
        &mut self,
        program: ProgramId,
        id: i64,
        points: i64,
        cash_minor: i64,
        now: Millis,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "UPDATE mall_orders SET refunded_points = refunded_points + $3, refunded_cash_minor = refunded_cash_minor + $4, \
             updated_at = $5 WHERE program_id = $1 AND id = $2",
            &[program.0.into(), id.into(), points.into(), cash_minor.into(), now.into()],
        )?;
        Ok(())
    }

    pub fn mall_order_events(
        &mut self,
        program: ProgramId,
        order: i64,
    ) -> StoreResult<Vec<(String, Option<String>, Option<String>, Millis)>> {
        Ok(self
            .conn
            .query(
                "SELECT state, actor, note, created_at FROM mall_order_events WHERE program_id = $1 AND order_id = $2 ORDER BY id",
                &[program.0.into(), order.into()],
            )?
            .iter()
            .map(|r| (r.text(0), r.opt_text(1), r.opt_text(2), r.int(3)))
            .collect())
    }

    /// Orders waiting for payment whose deadline passed by `now`, at most `limit`.
    pub fn mall_orders_past_deadline(
        &mut self,
        program: ProgramId,
        now: Millis,
        limit: i64,
    ) -> StoreResult<Vec<i64>> {
        Ok(self
            .conn
            .query(
                "SELECT id FROM mall_orders WHERE program_id = $1 AND state = 'pending_payment' AND pay_deadline <= $2 \
                 ORDER BY pay_deadline LIMIT $3",
                &[program.0.into(), now.into(), limit.into()],
            )?
            .iter()
            .map(|r| r.int(0))
            .collect())
    }
}

impl Tx<'_> {
    /// Stores an image once per programme (by its hash); returns its id.
    pub fn insert_mall_image(
        &mut self,
        program: ProgramId,
        content_type: &str,
        sha256: &str,
        data: &[u8],
        now: Millis,
    ) -> StoreResult<i64> {
        if let Some(r) = self.conn.query_one(
            "SELECT id FROM mall_images WHERE program_id = $1 AND sha256 = $2",
            &[program.0.into(), sha256.into()],
        )? {
            return Ok(r.int(0));
        }
        self.writes += 1;
        self.conn.insert_id(
            "INSERT INTO mall_images (program_id, content_type, sha256, bytes, data, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[
                program.0.into(),
                content_type.into(),
                sha256.into(),
                (data.len() as i64).into(),
                STANDARD.encode(data).into(),
                now.into(),
            ],
        )
    }

    /// An image by id (any programme: item images are public), as (content type, bytes).
    /// Names a picture's copy for the member centre.
    pub fn set_image_thumb(&mut self, program: ProgramId, id: i64, thumb: i64) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "UPDATE mall_images SET thumb_id = $3 WHERE program_id = $1 AND id = $2",
            &[program.0.into(), id.into(), thumb.into()],
        )?;
        Ok(())
    }

    /// The id of a picture's copy for the member centre: its own when none was made.
    pub fn image_thumb(&mut self, id: i64) -> StoreResult<Option<i64>> {
        Ok(self
            .conn
            .query_one(
                "SELECT COALESCE(thumb_id, id) FROM mall_images WHERE id = $1",
                &[id.into()],
            )?
            .map(|r| r.int(0)))
    }

    pub fn mall_image(&mut self, id: i64) -> StoreResult<Option<(String, Vec<u8>)>> {
        Ok(self
            .conn
            .query_one(
                "SELECT content_type, data FROM mall_images WHERE id = $1",
                &[id.into()],
            )?
            .and_then(|r| STANDARD.decode(r.text(1)).ok().map(|b| (r.text(0), b))))
    }

    pub fn mall_image_exists(&mut self, program: ProgramId, id: i64) -> StoreResult<bool> {
        Ok(self
            .conn
            .query_one(
                "SELECT 1 FROM mall_images WHERE program_id = $1 AND id = $2",
                &[program.0.into(), id.into()],
            )?
            .is_some())
    }
}

impl Tx<'_> {
    /// The merchant's payment link template and the minutes an order waits for its payment,
    /// as set; `None` when never set.
    pub fn mall_payment_settings(
        &mut self,
        program: ProgramId,
    ) -> StoreResult<Option<(Option<String>, i64)>> {
        Ok(self
            .conn
            .query_one(
                "SELECT payment_url, pay_window_minutes FROM mall_payment_settings WHERE program_id = $1",
                &[program.0.into()],
            )?
            .map(|r| (r.opt_text(0), r.int(1))))
    }

    pub fn put_mall_payment_settings(
        &mut self,
        program: ProgramId,
        payment_url: Option<&str>,
        pay_window_minutes: i64,
        now: Millis,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "INSERT INTO mall_payment_settings (program_id, payment_url, pay_window_minutes, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (program_id) DO UPDATE SET payment_url = excluded.payment_url, \
             pay_window_minutes = excluded.pay_window_minutes, updated_at = excluded.updated_at",
            &[program.0.into(), payment_url.into(), pay_window_minutes.into(), now.into()],
        )?;
        Ok(())
    }

    /// The programme's mall categories in the merchant's order, as (code, name_zh, name_en).
    pub fn mall_categories(
        &mut self,
        program: ProgramId,
    ) -> StoreResult<Vec<(String, String, String)>> {
        Ok(self
            .conn
            .query(
                "SELECT code, name_zh, name_en FROM mall_categories WHERE program_id = $1 ORDER BY position",
                &[program.0.into()],
            )?
            .iter()
            .map(|r| (r.text(0), r.text(1), r.text(2)))
            .collect())
    }

    /// Replaces the programme's mall categories with `list` (code, name_zh, name_en), in
    /// this order.
    pub fn put_mall_categories(
        &mut self,
        program: ProgramId,
        list: &[(&str, &str, &str)],
        now: Millis,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "DELETE FROM mall_categories WHERE program_id = $1",
            &[program.0.into()],
        )?;
        for (position, (code, name_zh, name_en)) in list.iter().enumerate() {
            self.conn.execute(
                "INSERT INTO mall_categories (program_id, code, position, name_zh, name_en, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    program.0.into(),
                    (*code).into(),
                    (position as i64).into(),
                    (*name_zh).into(),
                    (*name_en).into(),
                    now.into(),
                ],
            )?;
        }
        Ok(())
    }
}
