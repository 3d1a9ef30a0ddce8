//! Queries of the earning rules: versions, counters, events, awards, sign-ins, referrals.

use super::*;

fn rule_from(r: &Row) -> RuleRow {
    RuleRow {
        id: r.int(0),
        program: ProgramId(r.int(1)),
        status: r.text(2),
        version: r.int(3),
        definition: r.text(4),
        created_at: r.int(5),
        updated_at: r.int(6),
    }
}

const RULE_SELECT: &str = "SELECT r.id, r.program_id, r.status, r.version, v.definition, r.created_at, r.updated_at \
     FROM rules r JOIN rule_versions v ON v.program_id = r.program_id AND v.rule_id = r.id AND v.version = r.version";

fn event_from(r: &Row) -> EventRow {
    EventRow {
        event_id: r.text(0),
        trigger: r.text(1),
        member: MemberId(r.int(2)),
        occurred_at: r.int(3),
        vars: r.text(4),
        points: r.int(5),
        growth: r.int(6),
    }
}

/// The SET clause of a counter upsert: a slot whose stored period is older (or absent) starts
/// over at the new period; the same period adds up; an event of an older period than the
/// stored one leaves the slot alone. Expressions see the row as it was before the update.
fn counter_upsert_sets() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        let mut sets: Vec<String> = Vec::new();
        for slot in &COUNTER_SLOTS[..4] {
            for v in ["points", "count"] {
                sets.push(format!(
                    "{slot}_{v} = CASE WHEN excluded.{slot}_key IS NULL THEN rule_counters.{slot}_{v} \
                     WHEN rule_counters.{slot}_key = excluded.{slot}_key THEN rule_counters.{slot}_{v} + excluded.{slot}_{v} \
                     WHEN rule_counters.{slot}_key IS NULL OR rule_counters.{slot}_key < excluded.{slot}_key THEN excluded.{slot}_{v} \
                     ELSE rule_counters.{slot}_{v} END"
                ));
            }
            sets.push(format!(
                "{slot}_key = CASE WHEN excluded.{slot}_key IS NULL OR rule_counters.{slot}_key > excluded.{slot}_key \
                 THEN rule_counters.{slot}_key ELSE excluded.{slot}_key END"
            ));
        }
        sets.push("all_points = rule_counters.all_points + excluded.all_points".into());
        sets.push("all_count = rule_counters.all_count + excluded.all_count".into());
        sets.join(", ")
    })
}

/// The columns `hold_from` reads, in its order.
const HOLD_COLS: &str = "id, member_id, event_id, reason, status, points, growth, created_at, decided_at, decided_by, note";

/// Rows per multi-row INSERT of awards and counters.
const ROWS_PER_INSERT: usize = 64;

/// `($1, $2), ($3, $4)` for `rows` rows of `cols` columns.
fn placeholders(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| {
            let cells: Vec<String> = (1..=cols).map(|c| format!("${}", r * cols + c)).collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl Tx<'_> {
    /// Creates a rule at version 1 and returns its id.
    pub fn insert_rule(
        &mut self,
        program: ProgramId,
        status: &str,
        definition: &str,
        actor: Option<&str>,
        now: Millis,
    ) -> StoreResult<i64> {
        self.writes += 1;
        let id = self.conn.insert_id(
            "INSERT INTO rules (program_id, status, version, created_at, updated_at) VALUES ($1, $2, 1, $3, $3) RETURNING id",
            &[program.0.into(), status.into(), now.into()],
        )?;
        self.insert_rule_version(program, id, 1, definition, actor, now)?;
        Ok(id)
    }

    /// Adds a version; versions are never changed once written, so awards can name them.
    pub fn insert_rule_version(
        &mut self,
        program: ProgramId,
        rule: i64,
        version: i64,
        definition: &str,
        actor: Option<&str>,
        now: Millis,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "INSERT INTO rule_versions (program_id, rule_id, version, definition, actor, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            &[program.0.into(), rule.into(), version.into(), definition.into(), actor.into(), now.into()],
        )?;
        Ok(())
    }

    pub fn set_rule_state(
        &mut self,
        program: ProgramId,
        rule: i64,
        status: &str,
        version: i64,
        now: Millis,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "UPDATE rules SET status = $3, version = $4, updated_at = $5 WHERE program_id = $1 AND id = $2",
            &[program.0.into(), rule.into(), status.into(), version.into(), now.into()],
        )?;
        Ok(())
    }

    pub fn rule(&mut self, program: ProgramId, id: i64) -> StoreResult<Option<RuleRow>> {
        let sql = format!("{RULE_SELECT} WHERE r.program_id = $1 AND r.id = $2");
        Ok(self
            .conn
            .query_one(&sql, &[program.0.into(), id.into()])?
            .map(|r| rule_from(&r)))
    }

    /// Locks a rule's row for a status change or a new version (PostgreSQL), so two edits of
    /// one rule cannot both take the same version number.
    pub fn lock_rule(&mut self, program: ProgramId, id: i64) -> StoreResult<Option<(String, i64)>> {
        let sql = match self.dialect() {
            Dialect::Postgres => {
                "SELECT status, version FROM rules WHERE program_id = $1 AND id = $2 FOR UPDATE"
            }
            Dialect::Sqlite => {
                "SELECT status, version FROM rules WHERE program_id = $1 AND id = $2"
            }
        };
        Ok(self
            .conn
            .query_one(sql, &[program.0.into(), id.into()])?
            .map(|r| (r.text(0), r.int(1))))
    }

    /// Rules of a programme, optionally of one status, by id.
    pub fn rules(&mut self, program: ProgramId, status: Option<&str>) -> StoreResult<Vec<RuleRow>> {
        let rows = match status {
            Some(s) => self.conn.query(
                &format!("{RULE_SELECT} WHERE r.program_id = $1 AND r.status = $2 ORDER BY r.id"),
                &[program.0.into(), s.into()],
            )?,
            None => self.conn.query(
                &format!("{RULE_SELECT} WHERE r.program_id = $1 ORDER BY r.id"),
                &[program.0.into()],
            )?,
        };
        Ok(rows.iter().map(rule_from).collect())
    }

    /// One version's definition.
    pub fn rule_version(
        &mut self,
        program: ProgramId,
        rule: i64,
        version: i64,
    ) -> StoreResult<Option<String>> {
        Ok(self
            .conn
            .query_one(
                "SELECT definition FROM rule_versions WHERE program_id = $1 AND rule_id = $2 AND version = $3",
                &[program.0.into(), rule.into(), version.into()],
            )?
            .map(|r| r.text(0)))
    }

    /// Every version of a rule, oldest first: (version, definition, actor, created_at).
    pub fn rule_versions(
        &mut self,
        program: ProgramId,
        rule: i64,
    ) -> StoreResult<Vec<(i64, String, Option<String>, Millis)>> {
        Ok(self
            .conn
            .query(
                "SELECT version, definition, actor, created_at FROM rule_versions WHERE program_id = $1 AND rule_id = $2 ORDER BY version",
                &[program.0.into(), rule.into()],
            )?
            .iter()
            .map(|r| (r.int(0), r.text(1), r.opt_text(2), r.int(3)))
            .collect())
    }

    pub fn earn_settings(&mut self, program: ProgramId) -> StoreResult<Option<String>> {
        Ok(self
            .conn
            .query_one(
                "SELECT settings FROM earn_settings WHERE program_id = $1",
                &[program.0.into()],
            )?
            .map(|r| r.text(0)))
    }

    pub fn put_earn_settings(
        &mut self,
        program: ProgramId,
        settings: &str,
        now: Millis,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "INSERT INTO earn_settings (program_id, settings, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (program_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at",
            &[program.0.into(), settings.into(), now.into()],
        )?;
        Ok(())
    }

    // ---- counters ----------------------------------------------------------------------------

    /// Reads one member's counters by name (member 0: the programme's budgets, locked on
    /// PostgreSQL so that two members' events cannot both spend the last of a budget). The
    /// member's own rows need no lock: the member's accounts are locked already.
    pub fn counters(
        &mut self,
        program: ProgramId,
        member: i64,
        names: &[String],
    ) -> StoreResult<Vec<CounterRow>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let mut params: Vec<Value> = vec![program.0.into(), member.into()];
        let mut marks = Vec::with_capacity(names.len());
        for n in names {
            params.push(n.as_str().into());
            marks.push(format!("${}", params.len()));
        }
        let mut sql = format!(
            "SELECT counter, day_key, day_points, day_count, week_key, week_points, week_count, month_key, month_points, month_count, \
             year_key, year_points, year_count, all_points, all_count FROM rule_counters \
             WHERE program_id = $1 AND member_id = $2 AND counter IN ({})",
            marks.join(", ")
        );
        if member == 0 && self.dialect() == Dialect::Postgres {
            sql.push_str(" ORDER BY counter FOR UPDATE");
        }
        Ok(self
            .conn
            .query(&sql, &params)?
            .iter()
            .map(|r| {
                let mut c = CounterRow {
                    member,
                    counter: r.text(0),
                    ..Default::default()
                };
                for i in 0..4 {
                    c.periods[i] = r.opt_text(1 + i * 3);
                    c.points[i] = r.int(2 + i * 3);
                    c.count[i] = r.int(3 + i * 3);
                }
                c.periods[4] = Some("all".into());
                c.points[4] = r.int(13);
                c.count[4] = r.int(14);
                c
            })
            .collect())
    }

    /// Counters of closed periods, by (counter, period), for one member.
    pub fn past_counters(
        &mut self,
        program: ProgramId,
        member: i64,
        keys: &[(String, String)],
    ) -> StoreResult<Vec<(String, String, i64, i64)>> {
        let mut out = Vec::with_capacity(keys.len());
        for (c, p) in keys {
            if let Some(r) = self.conn.query_one(
                "SELECT points, count FROM rule_counters_past WHERE program_id = $1 AND member_id = $2 AND counter = $3 AND period = $4",
                &[program.0.into(), member.into(), c.as_str().into(), p.as_str().into()],
            )? {
                out.push((c.clone(), p.clone(), r.int(0), r.int(1)));
            }
        }
        Ok(out)
    }

    /// Adds to (or with negative values takes from) counters of closed periods.
    pub fn add_past_counters(
        &mut self,
        program: ProgramId,
        rows: &[(i64, String, String, i64, i64)],
    ) -> StoreResult<()> {
        self.writes += 1;
        for (m, c, p, points, count) in rows {
            self.conn.execute(
                "INSERT INTO rule_counters_past (program_id, member_id, counter, period, points, count) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (program_id, member_id, counter, period) DO UPDATE \
                 SET points = rule_counters_past.points + excluded.points, count = rule_counters_past.count + excluded.count",
                &[program.0.into(), (*m).into(), c.as_str().into(), p.as_str().into(), (*points).into(), (*count).into()],
            )?;
        }
        Ok(())
    }

    /// Makes sure a counter row exists (a budget's, when its rule is activated), so that the
    /// lock in `counters` always has a row to take.
    pub fn ensure_counter(
        &mut self,
        program: ProgramId,
        member: i64,
        counter: &str,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "INSERT INTO rule_counters (program_id, member_id, counter) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[program.0.into(), member.into(), counter.into()],
        )?;
        Ok(())
    }

    /// Stored awards, counter increments and the event row, in one round trip where the
    /// backend pipelines.
    pub fn record_evaluation(
        &mut self,
        program: ProgramId,
        event: &EventRow,
        awards: &[AwardRow],
        increments: &[CounterRow],
        now: Millis,
    ) -> StoreResult<()> {
        self.writes += 1;
        let mut stmts: Vec<(&str, Vec<Value>)> =
            Vec::with_capacity(1 + awards.len() + increments.len());
        stmts.push((
            "INSERT INTO events (program_id, event_id, trigger, member_id, occurred_at, vars, points, growth, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            vec![
                program.0.into(),
                event.event_id.as_str().into(),
                event.trigger.as_str().into(),
                event.member.0.into(),
                event.occurred_at.into(),
                event.vars.as_str().into(),
                event.points.into(),
                event.growth.into(),
                now.into(),
            ],
        ));
        // Awards and counter increments go as one multi-row statement each (in chunks): a
        // purchase under many rules writes dozens of them.
        let mut sqls: Vec<String> = Vec::new();
        let mut groups: Vec<Vec<Value>> = Vec::new();
        for chunk in awards.chunks(ROWS_PER_INSERT) {
            let mut params = Vec::with_capacity(chunk.len() * 10);
            for a in chunk {
                params.extend([
                    program.0.into(),
                    a.member.0.into(),
                    a.event_id.as_str().into(),
                    a.order_id.clone().into(),
                    a.rule_id.into(),
                    a.rule_version.into(),
                    a.point_type.as_str().into(),
                    a.points.into(),
                    a.transfer.0.into(),
                    a.created_at.into(),
                ]);
            }
            sqls.push(format!(
                "INSERT INTO awards (program_id, member_id, event_id, order_id, rule_id, rule_version, point_type, points, transfer_id, created_at) VALUES {}",
                placeholders(chunk.len(), 10)
            ));
            groups.push(params);
        }
        for chunk in increments.chunks(ROWS_PER_INSERT) {
            let mut params = Vec::with_capacity(chunk.len() * 17);
            for c in chunk {
                params.extend([program.0.into(), c.member.into(), c.counter.as_str().into()]);
                for i in 0..4 {
                    params.extend([
                        c.periods[i].clone().into(),
                        c.points[i].into(),
                        c.count[i].into(),
                    ]);
                }
                params.extend([c.points[4].into(), c.count[4].into()]);
            }
            sqls.push(format!(
                "INSERT INTO rule_counters (program_id, member_id, counter, day_key, day_points, day_count, week_key, week_points, week_count, \
                 month_key, month_points, month_count, year_key, year_points, year_count, all_points, all_count) VALUES {} \
                 ON CONFLICT (program_id, member_id, counter) DO UPDATE SET {}",
                placeholders(chunk.len(), 17),
                counter_upsert_sets()
            ));
            groups.push(params);
        }
        for (sql, params) in sqls.iter().zip(groups) {
            stmts.push((sql.as_str(), params));
        }
        self.conn.execute_many(&stmts)
    }

    pub fn event(&mut self, program: ProgramId, event_id: &str) -> StoreResult<Option<EventRow>> {
        Ok(self
            .conn
            .query_one(
                "SELECT event_id, trigger, member_id, occurred_at, vars, points, growth FROM events WHERE program_id = $1 AND event_id = $2",
                &[program.0.into(), event_id.into()],
            )?
            .map(|r| event_from(&r)))
    }

    /// Events in `[from, to)` after the cursor `(occurred_at, event_id)`, oldest first: the
    /// pages a backtest replays.
    pub fn events_page(
        &mut self,
        program: ProgramId,
        from: Millis,
        to: Millis,
        after: Option<(Millis, String)>,
        limit: i64,
    ) -> StoreResult<Vec<EventRow>> {
        let (at, id) = after.unwrap_or((from - 1, String::new()));
        Ok(self
            .conn
            .query(
                "SELECT event_id, trigger, member_id, occurred_at, vars, points, growth FROM events \
                 WHERE program_id = $1 AND occurred_at >= $2 AND occurred_at < $3 \
                 AND (occurred_at > $4 OR (occurred_at = $4 AND event_id > $5)) \
                 ORDER BY occurred_at, event_id LIMIT $6",
                &[program.0.into(), from.into(), to.into(), at.into(), id.into(), limit.into()],
            )?
            .iter()
            .map(event_from)
            .collect())
    }

    pub fn count_events(
        &mut self,
        program: ProgramId,
        from: Millis,
        to: Millis,
    ) -> StoreResult<i64> {
        Ok(self
            .conn
            .query_one(
                "SELECT COUNT(*) FROM events WHERE program_id = $1 AND occurred_at >= $2 AND occurred_at < $3",
                &[program.0.into(), from.into(), to.into()],
            )?
            .map_or(0, |r| r.int(0)))
    }

    /// Awards of an order, oldest first.
    pub fn order_awards(
        &mut self,
        program: ProgramId,
        order_id: &str,
    ) -> StoreResult<Vec<AwardRow>> {
        self.awards_where("order_id = $2", &[program.0.into(), order_id.into()])
    }

    /// Awards of an event, oldest first.
    pub fn event_awards(
        &mut self,
        program: ProgramId,
        event_id: &str,
    ) -> StoreResult<Vec<AwardRow>> {
        self.awards_where("event_id = $2", &[program.0.into(), event_id.into()])
    }

    fn awards_where(&mut self, cond: &str, params: &[Value]) -> StoreResult<Vec<AwardRow>> {
        let sql = format!(
            "SELECT member_id, event_id, order_id, rule_id, rule_version, point_type, points, transfer_id, created_at, id, withdrawn \
             FROM awards WHERE program_id = $1 AND {cond} ORDER BY id"
        );
        self.conn
            .query(&sql, params)?
            .iter()
            .map(|r| {
                Ok(AwardRow {
                    id: r.int(9),
                    withdrawn: r.int(10),
                    member: MemberId(r.int(0)),
                    event_id: r.text(1),
                    order_id: r.opt_text(2),
                    rule_id: r.int(3),
                    rule_version: r.int(4),
                    point_type: point_type(&r.text(5))?,
                    points: r.int(6),
                    transfer: TransferId(r.int(7)),
                    created_at: r.int(8),
                })
            })
            .collect()
    }

    pub fn set_award_withdrawn(
        &mut self,
        program: ProgramId,
        award: i64,
        withdrawn: i64,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "UPDATE awards SET withdrawn = $3 WHERE program_id = $1 AND id = $2",
            &[program.0.into(), award.into(), withdrawn.into()],
        )?;
        Ok(())
    }

    /// Adds (or with negative values takes away) counter amounts in the slots whose current
    /// period is the one given, as a refund withdrawing an award gives its cap and budget back.
    /// A slot that has moved on to a later period is left alone.
    pub fn adjust_counter(&mut self, program: ProgramId, c: &CounterRow) -> StoreResult<()> {
        self.writes += 1;
        let mut params: Vec<Value> =
            vec![program.0.into(), c.member.into(), c.counter.as_str().into()];
        let mut sets = Vec::new();
        for (i, slot) in COUNTER_SLOTS.iter().enumerate().take(4) {
            params.extend([
                c.periods[i].clone().into(),
                c.points[i].into(),
                c.count[i].into(),
            ]);
            let (k, p, n) = (params.len() - 2, params.len() - 1, params.len());
            sets.push(format!(
                "{slot}_points = {slot}_points + CASE WHEN {slot}_key = ${k} THEN ${p} ELSE 0 END, \
                 {slot}_count = {slot}_count + CASE WHEN {slot}_key = ${k} THEN ${n} ELSE 0 END"
            ));
        }
        params.extend([c.points[4].into(), c.count[4].into()]);
        sets.push(format!(
            "all_points = all_points + ${}, all_count = all_count + ${}",
            params.len() - 1,
            params.len()
        ));
        let sql = format!(
            "UPDATE rule_counters SET {} WHERE program_id = $1 AND member_id = $2 AND counter = $3",
            sets.join(", ")
        );
        self.conn.execute(&sql, &params)?;
        // The same change on the rows of closed periods, where the award was counted there.
        for i in 0..4 {
            if let Some(p) = &c.periods[i] {
                self.conn.execute(
                    "UPDATE rule_counters_past SET points = points + $5, count = count + $6 \
                     WHERE program_id = $1 AND member_id = $2 AND counter = $3 AND period = $4",
                    &[
                        program.0.into(),
                        c.member.into(),
                        c.counter.as_str().into(),
                        p.as_str().into(),
                        c.points[i].into(),
                        c.count[i].into(),
                    ],
                )?;
            }
        }
        Ok(())
    }

    /// Members who joined in `[from, to)` with no event `prefix || id || suffix` yet, by id.
    pub fn members_joined_between_without_event(
        &mut self,
        program: ProgramId,
        from: Millis,
        to: Millis,
        prefix: &str,
        suffix: &str,
        limit: i64,
    ) -> StoreResult<Vec<MemberId>> {
        Ok(self
            .conn
            .query(
                "SELECT m.id FROM members m WHERE m.program_id = $1 AND m.status = 'active' AND m.created_at >= $2 AND m.created_at < $3 \
                 AND NOT EXISTS (SELECT 1 FROM events e WHERE e.program_id = m.program_id AND e.event_id = $4 || CAST(m.id AS TEXT) || $5) \
                 ORDER BY m.id LIMIT $6",
                &[program.0.into(), from.into(), to.into(), prefix.into(), suffix.into(), limit.into()],
            )?
            .iter()
            .map(|r| MemberId(r.int(0)))
            .collect())
    }

    /// Points and growth a rule gave in all, and to how many members.
    pub fn rule_totals(&mut self, program: ProgramId, rule: i64) -> StoreResult<(i64, i64, i64)> {
        Ok(self
            .conn
            .query_one(
                "SELECT CAST(COALESCE(SUM(CASE WHEN point_type = 'points' THEN points - withdrawn ELSE 0 END), 0) AS BIGINT), \
                 CAST(COALESCE(SUM(CASE WHEN point_type = 'growth' THEN points - withdrawn ELSE 0 END), 0) AS BIGINT), \
                 COUNT(DISTINCT member_id) FROM awards WHERE program_id = $1 AND rule_id = $2 AND withdrawn < points",
                &[program.0.into(), rule.into()],
            )?
            .map_or((0, 0, 0), |r| (r.int(0), r.int(1), r.int(2))))
    }

    // ---- orders seen by rules ----------------------------------------------------------------

    /// Purchases the member made up to `until` (inclusive).
    pub fn member_order_count(
        &mut self,
        program: ProgramId,
        member: MemberId,
        until: Millis,
    ) -> StoreResult<i64> {
        Ok(self
            .conn
            .query_one(
                "SELECT COUNT(*) FROM orders WHERE program_id = $1 AND member_id = $2 AND created_at <= $3",
                &[program.0.into(), member.0.into(), until.into()],
            )?
            .map_or(0, |r| r.int(0)))
    }

    /// The member's orders in `[from, until]` not fully refunded: how many, and their paid
    /// amount net of refunds.
    pub fn member_orders_between(
        &mut self,
        program: ProgramId,
        member: MemberId,
        from: Millis,
        until: Millis,
    ) -> StoreResult<(i64, i64)> {
        Ok(self
            .conn
            .query_one(
                "SELECT COUNT(*), CAST(COALESCE(SUM(paid_minor - refunded_minor), 0) AS BIGINT) FROM orders \
                 WHERE program_id = $1 AND member_id = $2 AND created_at >= $3 AND created_at <= $4 AND refunded_minor < paid_minor",
                &[program.0.into(), member.0.into(), from.into(), until.into()],
            )?
            .map_or((0, 0), |r| (r.int(0), r.int(1))))
    }

    /// Orders of the member in `[from, to)` other than `except` that carry rule awards.
    pub fn member_award_orders_between(
        &mut self,
        program: ProgramId,
        member: MemberId,
        from: Millis,
        to: Millis,
        except: &str,
    ) -> StoreResult<Vec<String>> {
        Ok(self
            .conn
            .query(
                "SELECT o.order_id FROM orders o WHERE o.program_id = $1 AND o.member_id = $2 AND o.created_at >= $3 \
                 AND o.created_at < $4 AND o.order_id <> $5 \
                 AND EXISTS (SELECT 1 FROM awards a WHERE a.program_id = o.program_id AND a.order_id = o.order_id) \
                 ORDER BY o.created_at, o.order_id",
                &[program.0.into(), member.0.into(), from.into(), to.into(), except.into()],
            )?
            .iter()
            .map(|r| r.text(0))
            .collect())
    }

    // ---- sign-ins and referrals --------------------------------------------------------------

    /// Days (`YYYY-MM-DD`) the member signed in on or after `from`.
    pub fn sign_in_days(
        &mut self,
        program: ProgramId,
        member: MemberId,
        from: &str,
    ) -> StoreResult<Vec<String>> {
        Ok(self
            .conn
            .query(
                "SELECT day FROM sign_ins WHERE program_id = $1 AND member_id = $2 AND day >= $3 ORDER BY day",
                &[program.0.into(), member.0.into(), from.into()],
            )?
            .iter()
            .map(|r| r.text(0))
            .collect())
    }

    pub fn count_sign_ins(&mut self, program: ProgramId, member: MemberId) -> StoreResult<i64> {
        Ok(self
            .conn
            .query_one(
                "SELECT COUNT(*) FROM sign_ins WHERE program_id = $1 AND member_id = $2",
                &[program.0.into(), member.0.into()],
            )?
            .map_or(0, |r| r.int(0)))
    }

    /// Records a sign-in day; false (writing nothing) when the day is signed already.
    pub fn insert_sign_in(
        &mut self,
        program: ProgramId,
        member: MemberId,
        day: &str,
        makeup: bool,
        now: Millis,
    ) -> StoreResult<bool> {
        let n = self.conn.execute(
            "INSERT INTO sign_ins (program_id, member_id, day, makeup, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            &[program.0.into(), member.0.into(), day.into(), makeup.into(), now.into()],
        )?;
        self.writes += n;
        Ok(n == 1)
    }

    pub fn insert_referral(
        &mut self,
        program: ProgramId,
        invitee: MemberId,
        inviter: MemberId,
        now: Millis,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "INSERT INTO referrals (program_id, invitee_id, inviter_id, created_at) VALUES ($1, $2, $3, $4)",
            &[program.0.into(), invitee.0.into(), inviter.0.into(), now.into()],
        )?;
        Ok(())
    }

    /// The inviter of a member and the order that counted as the first purchase, if any.
    pub fn referral_of(
        &mut self,
        program: ProgramId,
        invitee: MemberId,
    ) -> StoreResult<Option<(MemberId, Option<String>)>> {
        Ok(self
            .conn
            .query_one(
                "SELECT inviter_id, first_purchase_order FROM referrals WHERE program_id = $1 AND invitee_id = $2",
                &[program.0.into(), invitee.0.into()],
            )?
            .map(|r| (MemberId(r.int(0)), r.opt_text(1))))
    }

    /// Records (or with `None` forgets) the order that counted as the invitee's first purchase.
    pub fn set_referral_first_purchase(
        &mut self,
        program: ProgramId,
        invitee: MemberId,
        order: Option<&str>,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "UPDATE referrals SET first_purchase_order = $3 WHERE program_id = $1 AND invitee_id = $2",
            &[program.0.into(), invitee.0.into(), order.into()],
        )?;
        Ok(())
    }

    /// Active members whose birthday's month and day (`MM-DD`) falls in one of the inclusive
    /// ranges, with no event `prefix || id || suffix` yet, by id (through the birthday index).
    pub fn members_born_on_without_event(
        &mut self,
        program: ProgramId,
        ranges: &[(String, String)],
        prefix: &str,
        suffix: &str,
        limit: i64,
    ) -> StoreResult<Vec<MemberId>> {
        let mut params: Vec<Value> =
            vec![program.0.into(), prefix.into(), suffix.into(), limit.into()];
        let mut terms = Vec::new();
        for (from, to) in ranges {
            params.push(from.as_str().into());
            params.push(to.as_str().into());
            terms.push(format!(
                "(m.birthday_md >= ${} AND m.birthday_md <= ${})",
                params.len() - 1,
                params.len()
            ));
        }
        let sql = format!(
            "SELECT m.id FROM members m WHERE m.program_id = $1 AND m.birthday_md IS NOT NULL AND ({}) AND m.status = 'active' \
             AND NOT EXISTS (SELECT 1 FROM events e WHERE e.program_id = m.program_id AND e.event_id = $2 || CAST(m.id AS TEXT) || $3) \
             ORDER BY m.id LIMIT $4",
            terms.join(" OR ")
        );
        Ok(self
            .conn
            .query(&sql, &params)?
            .iter()
            .map(|r| MemberId(r.int(0)))
            .collect())
    }

    // ---- risk --------------------------------------------------------------------------------

    /// Events from a device or address since `since` (through the index on its time).
    pub fn risk_recent(
        &mut self,
        program: ProgramId,
        kind: &str,
        value: &str,
        since: Millis,
    ) -> StoreResult<i64> {
        Ok(self
            .conn
            .query_one(
                "SELECT COUNT(*) FROM risk_signals WHERE program_id = $1 AND kind = $2 AND value = $3 AND at >= $4",
                &[program.0.into(), kind.into(), value.into(), since.into()],
            )?
            .map_or(0, |r| r.int(0)))
    }

    /// Members who used a device or address, counted up to `cap` (enough to compare with a
    /// limit, without reading every signal of a shared address).
    pub fn risk_members(
        &mut self,
        program: ProgramId,
        kind: &str,
        value: &str,
        cap: i64,
    ) -> StoreResult<i64> {
        Ok(self
            .conn
            .query_one(
                "SELECT COUNT(*) FROM (SELECT DISTINCT member_id FROM risk_signals \
                 WHERE program_id = $1 AND kind = $2 AND value = $3 LIMIT $4) m",
                &[program.0.into(), kind.into(), value.into(), cap.into()],
            )?
            .map_or(0, |r| r.int(0)))
    }

    /// Whether a member used a device or address before.
    pub fn risk_seen(
        &mut self,
        program: ProgramId,
        kind: &str,
        value: &str,
        member: MemberId,
    ) -> StoreResult<bool> {
        Ok(self
            .conn
            .query_one(
                "SELECT 1 FROM risk_signals WHERE program_id = $1 AND kind = $2 AND value = $3 AND member_id = $4 LIMIT 1",
                &[program.0.into(), kind.into(), value.into(), member.0.into()],
            )?
            .is_some())
    }

    pub fn insert_risk_signal(
        &mut self,
        program: ProgramId,
        kind: &str,
        value: &str,
        member: MemberId,
        at: Millis,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "INSERT INTO risk_signals (program_id, kind, value, member_id, at) VALUES ($1, $2, $3, $4, $5)",
            &[program.0.into(), kind.into(), value.into(), member.0.into(), at.into()],
        )?;
        Ok(())
    }

    /// Members of the programme with this phone number.
    pub fn members_with_phone(&mut self, program: ProgramId, phone: &str) -> StoreResult<i64> {
        Ok(self
            .conn
            .query_one(
                "SELECT COUNT(*) FROM members WHERE program_id = $1 AND phone = $2",
                &[program.0.into(), phone.into()],
            )?
            .map_or(0, |r| r.int(0)))
    }

    pub fn insert_risk_hold(&mut self, program: ProgramId, h: &RiskHold) -> StoreResult<i64> {
        self.writes += 1;
        self.conn.insert_id(
            "INSERT INTO risk_holds (program_id, member_id, event_id, reason, status, points, growth, created_at) \
             VALUES ($1, $2, $3, $4, 'open', $5, $6, $7) RETURNING id",
            &[program.0.into(), h.member.0.into(), h.event_id.as_str().into(), h.reason.as_str().into(), h.points.into(), h.growth.into(), h.created_at.into()],
        )
    }

    fn hold_from(r: &Row) -> RiskHold {
        RiskHold {
            id: r.int(0),
            member: MemberId(r.int(1)),
            event_id: r.text(2),
            reason: r.text(3),
            status: r.text(4),
            points: r.int(5),
            growth: r.int(6),
            created_at: r.int(7),
            decided_at: r.opt_int(8),
            decided_by: r.opt_text(9),
            note: r.opt_text(10),
        }
    }

    pub fn risk_hold(&mut self, program: ProgramId, id: i64) -> StoreResult<Option<RiskHold>> {
        Ok(self
            .conn
            .query_one(
                &format!("SELECT {HOLD_COLS} FROM risk_holds WHERE program_id = $1 AND id = $2"),
                &[program.0.into(), id.into()],
            )?
            .map(|r| Self::hold_from(&r)))
    }

    /// Holds of one status, oldest first, after `after`.
    pub fn risk_holds(
        &mut self,
        program: ProgramId,
        status: &str,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<RiskHold>> {
        Ok(self
            .conn
            .query(
                &format!("SELECT {HOLD_COLS} FROM risk_holds WHERE program_id = $1 AND status = $2 AND id > $3 ORDER BY id LIMIT $4"),
                &[program.0.into(), status.into(), after.into(), limit.into()],
            )?
            .iter()
            .map(Self::hold_from)
            .collect())
    }

    /// Decided holds (released or rejected), the latest decision first.
    pub fn decided_risk_holds(
        &mut self,
        program: ProgramId,
        limit: i64,
    ) -> StoreResult<Vec<RiskHold>> {
        Ok(self
            .conn
            .query(
                &format!("SELECT {HOLD_COLS} FROM risk_holds WHERE program_id = $1 AND decided_at IS NOT NULL ORDER BY decided_at DESC, id DESC LIMIT $2"),
                &[program.0.into(), limit.into()],
            )?
            .iter()
            .map(Self::hold_from)
            .collect())
    }

    pub fn decide_risk_hold(
        &mut self,
        program: ProgramId,
        id: i64,
        status: &str,
        by: &str,
        note: Option<&str>,
        at: Millis,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "UPDATE risk_holds SET status = $3, decided_by = $4, note = $5, decided_at = $6 WHERE program_id = $1 AND id = $2",
            &[program.0.into(), id.into(), status.into(), by.into(), note.into(), at.into()],
        )?;
        Ok(())
    }

    /// The pending lots an event's awards credited with `available_at` (the hold date), found
    /// through the partial index of pending lots.
    pub fn held_lots(
        &mut self,
        program: ProgramId,
        event_id: &str,
        available_at: Millis,
    ) -> StoreResult<Vec<Lot>> {
        self.lots_where(
            concat!(
                "SELECT ",
                lot_cols!(),
                " FROM lots l WHERE l.program_id = $1 AND l.status = 'pending' AND l.available_at = $3 \
                 AND l.transfer_id IN (SELECT a.transfer_id FROM awards a WHERE a.program_id = $1 AND a.event_id = $2) \
                 ORDER BY l.id"
            ),
            &[program.0.into(), event_id.into(), available_at.into()],
        )
    }
}
