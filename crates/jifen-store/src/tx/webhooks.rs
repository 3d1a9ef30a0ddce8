//! Queries of webhook endpoints and deliveries.

use super::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointRow {
    pub id: i64,
    pub url: String,
    pub secret: String,
    pub topics: String,
    pub status: String,
    pub after_outbox: i64,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRow {
    pub id: i64,
    pub endpoint_id: i64,
    pub outbox_id: i64,
    pub topic: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Millis,
    pub last_code: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<Millis>,
}

const ENDPOINT_COLS: &str = "id, url, secret, topics, status, after_outbox, created_at";
const DELIVERY_COLS: &str = "id, endpoint_id, outbox_id, topic, status, attempts, next_attempt_at, last_code, last_error, delivered_at";

fn endpoint_row(r: &Row) -> EndpointRow {
    EndpointRow {
        id: r.int(0),
        url: r.text(1),
        secret: r.text(2),
        topics: r.text(3),
        status: r.text(4),
        after_outbox: r.int(5),
        created_at: r.int(6),
    }
}

fn delivery_row(r: &Row) -> DeliveryRow {
    DeliveryRow {
        id: r.int(0),
        endpoint_id: r.int(1),
        outbox_id: r.int(2),
        topic: r.text(3),
        status: r.text(4),
        attempts: r.int(5),
        next_attempt_at: r.int(6),
        last_code: r.opt_int(7),
        last_error: r.opt_text(8),
        delivered_at: r.opt_int(9),
    }
}

impl Tx<'_> {
    /// Stores an endpoint that starts after the outbox's current last event.
    pub fn insert_webhook_endpoint(
        &mut self,
        program: ProgramId,
        url: &str,
        secret: &str,
        topics: &str,
        now: Millis,
    ) -> StoreResult<i64> {
        self.writes += 1;
        self.conn.insert_id(
            "INSERT INTO webhook_endpoints (program_id, url, secret, topics, status, after_outbox, created_at) \
             VALUES ($1, $2, $3, $4, 'active', (SELECT COALESCE(MAX(id), 0) FROM outbox WHERE program_id = $1), $5) RETURNING id",
            &[program.0.into(), url.into(), secret.into(), topics.into(), now.into()],
        )
    }

    pub fn webhook_endpoints(&mut self, program: ProgramId) -> StoreResult<Vec<EndpointRow>> {
        Ok(self
            .conn
            .query(
                &format!("SELECT {ENDPOINT_COLS} FROM webhook_endpoints WHERE program_id = $1 ORDER BY id"),
                &[program.0.into()],
            )?
            .iter()
            .map(endpoint_row)
            .collect())
    }

    pub fn webhook_endpoint(
        &mut self,
        program: ProgramId,
        id: i64,
    ) -> StoreResult<Option<EndpointRow>> {
        Ok(self
            .conn
            .query_one(
                &format!("SELECT {ENDPOINT_COLS} FROM webhook_endpoints WHERE program_id = $1 AND id = $2"),
                &[program.0.into(), id.into()],
            )?
            .map(|r| endpoint_row(&r)))
    }

    pub fn set_webhook_endpoint(
        &mut self,
        program: ProgramId,
        id: i64,
        status: Option<&str>,
        after_outbox: Option<i64>,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "UPDATE webhook_endpoints SET status = COALESCE($3, status), after_outbox = COALESCE($4, after_outbox) \
             WHERE program_id = $1 AND id = $2",
            &[program.0.into(), id.into(), status.into(), after_outbox.into()],
        )?;
        Ok(())
    }

    /// Queues an event for an endpoint, once.
    pub fn insert_webhook_delivery(
        &mut self,
        program: ProgramId,
        endpoint: i64,
        outbox: i64,
        topic: &str,
        now: Millis,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "INSERT INTO webhook_deliveries (program_id, endpoint_id, outbox_id, topic, status, attempts, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5) ON CONFLICT (endpoint_id, outbox_id) DO NOTHING",
            &[program.0.into(), endpoint.into(), outbox.into(), topic.into(), now.into()],
        )?;
        Ok(())
    }

    /// Deliveries still to be made (due now or waiting for a retry): the backlog.
    pub fn pending_webhook_deliveries(&mut self, program: ProgramId) -> StoreResult<i64> {
        Ok(self
            .conn
            .query_one(
                "SELECT COUNT(*) FROM webhook_deliveries WHERE program_id = $1 AND status = 'pending'",
                &[program.0.into()],
            )?
            .map_or(0, |r| r.int(0)))
    }

    /// Deliveries due by `now`, oldest first.
    pub fn due_webhook_deliveries(
        &mut self,
        program: ProgramId,
        now: Millis,
        limit: i64,
    ) -> StoreResult<Vec<DeliveryRow>> {
        Ok(self
            .conn
            .query(
                &format!(
                    "SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE program_id = $1 AND status = 'pending' \
                     AND next_attempt_at <= $2 ORDER BY next_attempt_at, id LIMIT $3"
                ),
                &[program.0.into(), now.into(), limit.into()],
            )?
            .iter()
            .map(delivery_row)
            .collect())
    }

    pub fn webhook_deliveries(
        &mut self,
        program: ProgramId,
        endpoint: i64,
        limit: i64,
    ) -> StoreResult<Vec<DeliveryRow>> {
        Ok(self
            .conn
            .query(
                &format!("SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE program_id = $1 AND endpoint_id = $2 ORDER BY id DESC LIMIT $3"),
                &[program.0.into(), endpoint.into(), limit.into()],
            )?
            .iter()
            .map(delivery_row)
            .collect())
    }

    /// Records an attempt: delivered, or the next try (or failed for good) with the error.
    pub fn record_webhook_attempt(
        &mut self,
        program: ProgramId,
        id: i64,
        status: &str,
        next_attempt_at: Millis,
        code: Option<i64>,
        error: Option<&str>,
        now: Millis,
    ) -> StoreResult<bool> {
        self.writes += 1;
        let delivered = (status == "delivered").then_some(now);
        Ok(self.conn.execute(
            "UPDATE webhook_deliveries SET status = $3, attempts = attempts + 1, next_attempt_at = $4, last_code = $5, \
             last_error = $6, delivered_at = $7 WHERE program_id = $1 AND id = $2 AND status = 'pending'",
            &[program.0.into(), id.into(), status.into(), next_attempt_at.into(), code.into(), error.into(), delivered.into()],
        )? == 1)
    }

    pub fn outbox_event(
        &mut self,
        program: ProgramId,
        id: i64,
    ) -> StoreResult<Option<(String, String, Millis)>> {
        Ok(self
            .conn
            .query_one(
                "SELECT topic, payload, created_at FROM outbox WHERE program_id = $1 AND id = $2",
                &[program.0.into(), id.into()],
            )?
            .map(|r| (r.text(0), r.text(1), r.int(2))))
    }
}
