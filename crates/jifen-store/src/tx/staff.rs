//! Queries of staff accounts, their sessions, the audit log, and member search for the console.

use super::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRow {
    pub id: i64,
    pub program: ProgramId,
    pub login: String,
    pub name: String,
    pub password_hash: String,
    pub role: String,
    pub status: String,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub id: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub created_at: Millis,
}

const STAFF_COLS: &str = "id, program_id, login, name, password_hash, role, status, created_at";

fn staff_row(r: &Row) -> StaffRow {
    StaffRow {
        id: r.int(0),
        program: ProgramId(r.int(1)),
        login: r.text(2),
        name: r.text(3),
        password_hash: r.text(4),
        role: r.text(5),
        status: r.text(6),
        created_at: r.int(7),
    }
}

impl Tx<'_> {
    /// Stores a staff account; `None` when the login is taken in the programme.
    pub fn insert_staff(
        &mut self,
        program: ProgramId,
        login: &str,
        name: &str,
        password_hash: &str,
        role: &str,
        now: Millis,
    ) -> StoreResult<Option<i64>> {
        self.writes += 1;
        Ok(self
            .conn
            .query_one(
                "INSERT INTO staff (program_id, login, name, password_hash, role, status, created_at) \
                 VALUES ($1, $2, $3, $4, $5, 'active', $6) ON CONFLICT (program_id, login) DO NOTHING RETURNING id",
                &[program.0.into(), login.into(), name.into(), password_hash.into(), role.into(), now.into()],
            )?
            .map(|r| r.int(0)))
    }

    pub fn staff_by_login(
        &mut self,
        program: ProgramId,
        login: &str,
    ) -> StoreResult<Option<StaffRow>> {
        Ok(self
            .conn
            .query_one(
                &format!("SELECT {STAFF_COLS} FROM staff WHERE program_id = $1 AND login = $2"),
                &[program.0.into(), login.into()],
            )?
            .map(|r| staff_row(&r)))
    }

    pub fn staff_by_id(&mut self, program: ProgramId, id: i64) -> StoreResult<Option<StaffRow>> {
        Ok(self
            .conn
            .query_one(
                &format!("SELECT {STAFF_COLS} FROM staff WHERE program_id = $1 AND id = $2"),
                &[program.0.into(), id.into()],
            )?
            .map(|r| staff_row(&r)))
    }

    /// Sets an account `active` or `disabled`; false when it already was.
    pub fn set_staff_status(
        &mut self,
        program: ProgramId,
        id: i64,
        status: &str,
    ) -> StoreResult<bool> {
        self.writes += 1;
        Ok(self.conn.execute(
            "UPDATE staff SET status = $3 WHERE program_id = $1 AND id = $2 AND status <> $3",
            &[program.0.into(), id.into(), status.into()],
        )? == 1)
    }

    /// Ends every session of an account.
    pub fn delete_staff_sessions(&mut self, staff: i64) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "DELETE FROM staff_sessions WHERE staff_id = $1",
            &[staff.into()],
        )?;
        Ok(())
    }

    pub fn staff_members(&mut self, program: ProgramId) -> StoreResult<Vec<StaffRow>> {
        Ok(self
            .conn
            .query(
                &format!("SELECT {STAFF_COLS} FROM staff WHERE program_id = $1 ORDER BY id"),
                &[program.0.into()],
            )?
            .iter()
            .map(staff_row)
            .collect())
    }

    pub fn insert_staff_session(
        &mut self,
        token_hash: &str,
        staff: i64,
        program: ProgramId,
        csrf: &str,
        now: Millis,
        expires_at: Millis,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "INSERT INTO staff_sessions (token_hash, staff_id, program_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
            &[token_hash.into(), staff.into(), program.0.into(), csrf.into(), now.into(), expires_at.into()],
        )?;
        Ok(())
    }

    /// The live session of a token: its staff account and CSRF token.
    pub fn staff_session(
        &mut self,
        token_hash: &str,
        now: Millis,
    ) -> StoreResult<Option<(StaffRow, String)>> {
        let Some(r) = self.conn.query_one(
            "SELECT staff_id, csrf FROM staff_sessions WHERE token_hash = $1 AND expires_at > $2",
            &[token_hash.into(), now.into()],
        )?
        else {
            return Ok(None);
        };
        let (id, csrf) = (r.int(0), r.text(1));
        Ok(self
            .conn
            .query_one(
                &format!("SELECT {STAFF_COLS} FROM staff WHERE id = $1 AND status = 'active'"),
                &[id.into()],
            )?
            .map(|r| (staff_row(&r), csrf)))
    }

    pub fn delete_staff_session(&mut self, token_hash: &str) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "DELETE FROM staff_sessions WHERE token_hash = $1",
            &[token_hash.into()],
        )?;
        Ok(())
    }

    /// Writes one entry of the audit log: who did what to what, with the state before and after.
    pub fn audit(
        &mut self,
        program: ProgramId,
        actor: &str,
        action: &str,
        target: &str,
        before: Option<&str>,
        after: Option<&str>,
        now: Millis,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "INSERT INTO audit_log (program_id, actor, action, target, before_json, after_json, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[program.0.into(), actor.into(), action.into(), target.into(), before.into(), after.into(), now.into()],
        )?;
        Ok(())
    }

    /// Audit entries newest first before id `before`, optionally of one actor or action.
    pub fn audit_entries(
        &mut self,
        program: ProgramId,
        actor: Option<&str>,
        action: Option<&str>,
        before: i64,
        limit: i64,
    ) -> StoreResult<Vec<AuditRow>> {
        Ok(self
            .conn
            .query(
                "SELECT id, actor, action, target, before_json, after_json, created_at FROM audit_log WHERE program_id = $1 \
                 AND (CAST($2 AS TEXT) IS NULL OR actor = $2) AND (CAST($3 AS TEXT) IS NULL OR action = $3) AND id < $4 \
                 ORDER BY id DESC LIMIT $5",
                &[program.0.into(), actor.into(), action.into(), before.into(), limit.into()],
            )?
            .iter()
            .map(|r| AuditRow {
                id: r.int(0),
                actor: r.text(1),
                action: r.text(2),
                target: r.text(3),
                before: r.opt_text(4),
                after: r.opt_text(5),
                created_at: r.int(6),
            })
            .collect())
    }

    /// Members whose phone or external id is `q`, whose phone ends in `q` when it is four
    /// digits (手机尾号), or whose name starts with it, newest first; each through an index, so
    /// a page stays fast with millions of members.
    pub fn search_members(
        &mut self,
        program: ProgramId,
        q: &str,
        limit: i64,
    ) -> StoreResult<Vec<MemberId>> {
        let mut ids: Vec<i64> = Vec::new();
        let tail = (q.len() == 4 && q.bytes().all(|b| b.is_ascii_digit())).then_some((
            "SELECT id FROM members WHERE program_id = $1 AND phone_tail = $2 ORDER BY id DESC LIMIT $3",
            q.to_string(),
        ));
        for (sql, arg) in [
            (
                "SELECT id FROM members WHERE program_id = $1 AND phone = $2 ORDER BY id DESC LIMIT $3",
                q.to_string(),
            ),
            (
                "SELECT member_id FROM identities WHERE program_id = $1 AND external_id = $2 ORDER BY member_id DESC LIMIT $3",
                q.to_string(),
            ),
            (
                "SELECT id FROM members WHERE program_id = $1 AND name >= $2 AND name < $2 || '\u{10ffff}' ORDER BY name, id LIMIT $3",
                q.to_string(),
            ),
        ]
        .into_iter()
        .chain(tail)
        {
            for r in self
                .conn
                .query(sql, &[program.0.into(), arg.into(), limit.into()])?
            {
                let id = r.int(0);
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        ids.truncate(limit as usize);
        Ok(ids.into_iter().map(MemberId).collect())
    }

    /// Members whose phone is `phone`, newest first, at most `limit`.
    pub fn members_by_phone(
        &mut self,
        program: ProgramId,
        phone: &str,
        limit: i64,
    ) -> StoreResult<Vec<MemberId>> {
        Ok(self
            .conn
            .query(
                "SELECT id FROM members WHERE program_id = $1 AND phone = $2 ORDER BY id DESC LIMIT $3",
                &[program.0.into(), phone.into(), limit.into()],
            )?
            .iter()
            .map(|r| MemberId(r.int(0)))
            .collect())
    }

    /// Members by id, newest first, before id `before`: a page of the console's list.
    pub fn member_page(
        &mut self,
        program: ProgramId,
        before: i64,
        limit: i64,
    ) -> StoreResult<Vec<MemberId>> {
        Ok(self
            .conn
            .query(
                "SELECT id FROM members WHERE program_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
                &[program.0.into(), before.into(), limit.into()],
            )?
            .iter()
            .map(|r| MemberId(r.int(0)))
            .collect())
    }
}

impl Tx<'_> {
    /// Points members hold now (posted balance, net of debts owed is not subtracted).
    pub fn points_outstanding(&mut self, program: ProgramId) -> StoreResult<i64> {
        Ok(self
            .conn
            .query_one(
                "SELECT CAST(COALESCE(SUM(credits_posted - debits_posted), 0) AS BIGINT) FROM accounts \
                 WHERE program_id = $1 AND kind = 'balance' AND point_type = 'points' AND member_id > 0",
                &[program.0.into()],
            )?
            .map_or(0, |r| r.int(0)))
    }

    /// Points moved per day in `[from, to)` by transfer code: (day index, code, points), the
    /// day counted from `from` in whole days.
    pub fn daily_points(
        &mut self,
        program: ProgramId,
        from: Millis,
        to: Millis,
    ) -> StoreResult<Vec<(i64, String, i64)>> {
        Ok(self
            .conn
            .query(
                "SELECT CAST((created_at - $2) / 86400000 AS BIGINT) AS day, code, CAST(SUM(amount) AS BIGINT) FROM transfers \
                 WHERE program_id = $1 AND point_type = 'points' AND created_at >= $2 AND created_at < $3 AND phase = 'posted' \
                 GROUP BY day, code ORDER BY day",
                &[program.0.into(), from.into(), to.into()],
            )?
            .iter()
            .map(|r| (r.int(0), r.text(1), r.int(2)))
            .collect())
    }
}

impl Tx<'_> {
    pub fn set_staff_password(
        &mut self,
        program: ProgramId,
        login: &str,
        hash: &str,
    ) -> StoreResult<bool> {
        self.writes += 1;
        Ok(self.conn.execute(
            "UPDATE staff SET password_hash = $3 WHERE program_id = $1 AND login = $2",
            &[program.0.into(), login.into(), hash.into()],
        )? == 1)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdjustmentRequest {
    pub id: i64,
    pub member: MemberId,
    pub delta: i64,
    pub reason: String,
    pub requested_by: String,
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<Millis>,
    pub transfer_id: Option<i64>,
    pub created_at: Millis,
    pub point_type: PointType,
}

const REQUEST_COLS: &str = "id, member_id, delta, reason, requested_by, status, decided_by, decided_at, transfer_id, created_at, point_type";

fn request_row(r: &Row) -> AdjustmentRequest {
    AdjustmentRequest {
        id: r.int(0),
        member: MemberId(r.int(1)),
        delta: r.int(2),
        reason: r.text(3),
        requested_by: r.text(4),
        status: r.text(5),
        decided_by: r.opt_text(6),
        decided_at: r.opt_int(7),
        transfer_id: r.opt_int(8),
        created_at: r.int(9),
        point_type: PointType::parse(&r.text(10)).unwrap_or(PointType::Points),
    }
}

impl Tx<'_> {
    /// The points above which a manual adjustment needs a second person; `None` for the default.
    pub fn approval_threshold(&mut self, program: ProgramId) -> StoreResult<Option<i64>> {
        Ok(self
            .conn
            .query_one(
                "SELECT approval_threshold FROM console_settings WHERE program_id = $1",
                &[program.0.into()],
            )?
            .map(|r| r.int(0)))
    }

    pub fn set_approval_threshold(&mut self, program: ProgramId, points: i64) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "INSERT INTO console_settings (program_id, approval_threshold) VALUES ($1, $2) \
             ON CONFLICT (program_id) DO UPDATE SET approval_threshold = excluded.approval_threshold",
            &[program.0.into(), points.into()],
        )?;
        Ok(())
    }

    /// The merchant's sign-up address for invite links, if set.
    pub fn referral_url(&mut self, program: ProgramId) -> StoreResult<Option<String>> {
        Ok(self
            .conn
            .query_one(
                "SELECT referral_url FROM console_settings WHERE program_id = $1",
                &[program.0.into()],
            )?
            .and_then(|r| r.opt_text(0)))
    }

    /// Whether webhooks may post to loopback and private addresses.
    pub fn webhooks_private(&mut self, program: ProgramId) -> StoreResult<bool> {
        Ok(self
            .conn
            .query_one(
                "SELECT webhooks_private FROM console_settings WHERE program_id = $1",
                &[program.0.into()],
            )?
            .is_some_and(|r| r.int(0) != 0))
    }

    /// Sets the approval threshold, the invite address and the webhook targets' reach together.
    pub fn set_centre_settings(
        &mut self,
        program: ProgramId,
        approval_threshold: i64,
        referral_url: Option<&str>,
        webhooks_private: bool,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "INSERT INTO console_settings (program_id, approval_threshold, referral_url, webhooks_private) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (program_id) DO UPDATE SET approval_threshold = excluded.approval_threshold, \
             referral_url = excluded.referral_url, webhooks_private = excluded.webhooks_private",
            &[program.0.into(), approval_threshold.into(), referral_url.into(), webhooks_private.into()],
        )?;
        Ok(())
    }

    pub fn insert_adjustment_request(
        &mut self,
        program: ProgramId,
        member: MemberId,
        delta: i64,
        point_type: PointType,
        reason: &str,
        by: &str,
        now: Millis,
    ) -> StoreResult<i64> {
        self.writes += 1;
        self.conn.insert_id(
            "INSERT INTO adjustment_requests (program_id, member_id, delta, reason, requested_by, status, created_at, point_type) \
             VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7) RETURNING id",
            &[program.0.into(), member.0.into(), delta.into(), reason.into(), by.into(), now.into(), point_type.as_str().into()],
        )
    }

    /// Points of one type one actor moved by manual adjustments to a member since a time,
    /// either way, leaving out those a second person approved. The actor is matched by its
    /// start (`actor_prefix`), so that an API key's adjustments count together whoever it
    /// names as on whose behalf.
    pub fn adjusted_since(
        &mut self,
        program: ProgramId,
        member: MemberId,
        point_type: PointType,
        since: Millis,
        actor_prefix: &str,
    ) -> StoreResult<i64> {
        Ok(self
            .conn
            .query_one(
                "SELECT CAST(COALESCE(SUM(t.amount), 0) AS BIGINT) FROM transfers t WHERE t.program_id = $1 AND t.member_id = $2 \
                 AND t.code = 'manual_adjustment' AND t.point_type = $3 AND t.created_at >= $4 \
                 AND substr(t.actor, 1, length(CAST($5 AS TEXT))) = $5 \
                 AND NOT EXISTS (SELECT 1 FROM adjustment_requests r WHERE r.program_id = t.program_id AND r.transfer_id = t.id)",
                &[program.0.into(), member.0.into(), point_type.as_str().into(), since.into(), actor_prefix.into()],
            )?
            .map_or(0, |r| r.int(0)))
    }

    pub fn adjustment_request(
        &mut self,
        program: ProgramId,
        id: i64,
    ) -> StoreResult<Option<AdjustmentRequest>> {
        Ok(self
            .conn
            .query_one(
                &format!("SELECT {REQUEST_COLS} FROM adjustment_requests WHERE program_id = $1 AND id = $2"),
                &[program.0.into(), id.into()],
            )?
            .map(|r| request_row(&r)))
    }

    pub fn adjustment_requests(
        &mut self,
        program: ProgramId,
        status: &str,
        limit: i64,
    ) -> StoreResult<Vec<AdjustmentRequest>> {
        Ok(self
            .conn
            .query(
                &format!("SELECT {REQUEST_COLS} FROM adjustment_requests WHERE program_id = $1 AND status = $2 ORDER BY id DESC LIMIT $3"),
                &[program.0.into(), status.into(), limit.into()],
            )?
            .iter()
            .map(request_row)
            .collect())
    }

    /// Decided adjustment requests (approved or rejected), the latest decision first.
    pub fn decided_adjustment_requests(
        &mut self,
        program: ProgramId,
        limit: i64,
    ) -> StoreResult<Vec<AdjustmentRequest>> {
        Ok(self
            .conn
            .query(
                &format!("SELECT {REQUEST_COLS} FROM adjustment_requests WHERE program_id = $1 AND decided_at IS NOT NULL ORDER BY decided_at DESC, id DESC LIMIT $2"),
                &[program.0.into(), limit.into()],
            )?
            .iter()
            .map(request_row)
            .collect())
    }

    /// What waits in the console's queues, each an indexed count: adjustment requests pending,
    /// appeals open, risk holds open, mall orders paid and not shipped.
    pub fn queue_counts(&mut self, program: ProgramId) -> StoreResult<[i64; 4]> {
        let r = self.conn.query_one(
            "SELECT (SELECT COUNT(*) FROM adjustment_requests WHERE program_id = $1 AND status = 'pending'), \
                    (SELECT COUNT(*) FROM appeals WHERE program_id = $1 AND status = 'open'), \
                    (SELECT COUNT(*) FROM risk_holds WHERE program_id = $1 AND status = 'open'), \
                    (SELECT COUNT(*) FROM mall_orders WHERE program_id = $1 AND state = 'paid')",
            &[program.0.into()],
        )?;
        Ok(r.map_or([0; 4], |r| [r.int(0), r.int(1), r.int(2), r.int(3)]))
    }

    pub fn set_adjustment_transfer(
        &mut self,
        program: ProgramId,
        id: i64,
        transfer: Option<i64>,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "UPDATE adjustment_requests SET transfer_id = $3 WHERE program_id = $1 AND id = $2",
            &[program.0.into(), id.into(), transfer.into()],
        )?;
        Ok(())
    }

    /// Decides a pending request; `false` when it was decided already.
    pub fn decide_adjustment_request(
        &mut self,
        program: ProgramId,
        id: i64,
        status: &str,
        by: &str,
        transfer: Option<i64>,
        now: Millis,
    ) -> StoreResult<bool> {
        self.writes += 1;
        Ok(self.conn.execute(
            "UPDATE adjustment_requests SET status = $3, decided_by = $4, decided_at = $5, transfer_id = $6 \
             WHERE program_id = $1 AND id = $2 AND status = 'pending'",
            &[program.0.into(), id.into(), status.into(), by.into(), now.into(), transfer.into()],
        )? == 1)
    }
}

impl Tx<'_> {
    /// The programme's member-centre signing secret, created on first use.
    pub fn centre_secret(&mut self, program: ProgramId, fresh: &str) -> StoreResult<String> {
        if let Some(r) = self.conn.query_one(
            "SELECT secret FROM centre_secrets WHERE program_id = $1",
            &[program.0.into()],
        )? {
            return Ok(r.text(0));
        }
        self.writes += 1;
        self.conn.execute(
            "INSERT INTO centre_secrets (program_id, secret) VALUES ($1, $2) ON CONFLICT (program_id) DO NOTHING",
            &[program.0.into(), fresh.into()],
        )?;
        Ok(self
            .conn
            .query_one(
                "SELECT secret FROM centre_secrets WHERE program_id = $1",
                &[program.0.into()],
            )?
            .map(|r| r.text(0))
            .unwrap_or_else(|| fresh.to_string()))
    }

    /// The secret if it exists (reads never create it).
    /// Links of a member issued up to this time no longer open.
    pub fn revoke_centre_links(
        &mut self,
        program: ProgramId,
        member: MemberId,
        issued_until: Millis,
    ) -> StoreResult<()> {
        self.writes += 1;
        self.conn.execute(
            "INSERT INTO centre_revocations (program_id, member_id, issued_until) VALUES ($1, $2, $3) \
             ON CONFLICT (program_id, member_id) DO UPDATE SET issued_until = excluded.issued_until",
            &[program.0.into(), member.0.into(), issued_until.into()],
        )?;
        Ok(())
    }

    /// Until when a member's links were revoked, if ever.
    pub fn centre_links_revoked(
        &mut self,
        program: ProgramId,
        member: MemberId,
    ) -> StoreResult<Option<Millis>> {
        Ok(self
            .conn
            .query_one(
                "SELECT issued_until FROM centre_revocations WHERE program_id = $1 AND member_id = $2",
                &[program.0.into(), member.0.into()],
            )?
            .map(|r| r.int(0)))
    }

    pub fn centre_secret_existing(&mut self, program: ProgramId) -> StoreResult<Option<String>> {
        Ok(self
            .conn
            .query_one(
                "SELECT secret FROM centre_secrets WHERE program_id = $1",
                &[program.0.into()],
            )?
            .map(|r| r.text(0)))
    }
}

/// One member row of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberExportRow {
    pub id: i64,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub status: String,
    pub created_at: Millis,
    /// Posted points minus reserved ones.
    pub available: i64,
}

impl Tx<'_> {
    /// Members by id after `after` with their points balance, in one query per page.
    pub fn member_export_page(
        &mut self,
        program: ProgramId,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<MemberExportRow>> {
        Ok(self
            .conn
            .query(
                "SELECT m.id, m.name, m.phone, m.email, m.status, m.created_at, \
                 COALESCE(a.credits_posted - a.debits_posted - a.debits_pending, 0) \
                 FROM members m LEFT JOIN accounts a ON a.program_id = m.program_id AND a.member_id = m.id \
                 AND a.kind = 'balance' AND a.point_type = 'points' \
                 WHERE m.program_id = $1 AND m.id > $2 ORDER BY m.id LIMIT $3",
                &[program.0.into(), after.into(), limit.into()],
            )?
            .iter()
            .map(|r| MemberExportRow {
                id: r.int(0),
                name: r.opt_text(1),
                phone: r.opt_text(2),
                email: r.opt_text(3),
                status: r.text(4),
                created_at: r.int(5),
                available: r.int(6),
            })
            .collect())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppealRow {
    pub id: i64,
    pub member: MemberId,
    pub subject: String,
    pub subject_id: i64,
    pub message: String,
    pub status: String,
    pub answer: Option<String>,
    pub delta: Option<i64>,
    pub decided_by: Option<String>,
    pub decided_at: Option<Millis>,
    pub due_at: Millis,
    pub created_at: Millis,
}

const APPEAL_COLS: &str = "id, member_id, subject, subject_id, message, status, answer, delta, decided_by, decided_at, due_at, created_at";

fn appeal_row(r: &Row) -> AppealRow {
    AppealRow {
        id: r.int(0),
        member: MemberId(r.int(1)),
        subject: r.text(2),
        subject_id: r.int(3),
        message: r.text(4),
        status: r.text(5),
        answer: r.opt_text(6),
        delta: r.opt_int(7),
        decided_by: r.opt_text(8),
        decided_at: r.opt_int(9),
        due_at: r.int(10),
        created_at: r.int(11),
    }
}

impl Tx<'_> {
    pub fn insert_appeal(
        &mut self,
        program: ProgramId,
        member: MemberId,
        subject: &str,
        subject_id: i64,
        message: &str,
        due_at: Millis,
        now: Millis,
    ) -> StoreResult<i64> {
        self.writes += 1;
        self.conn.insert_id(
            "INSERT INTO appeals (program_id, member_id, subject, subject_id, message, status, due_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, 'open', $6, $7) RETURNING id",
            &[program.0.into(), member.0.into(), subject.into(), subject_id.into(), message.into(), due_at.into(), now.into()],
        )
    }

    pub fn appeal(&mut self, program: ProgramId, id: i64) -> StoreResult<Option<AppealRow>> {
        Ok(self
            .conn
            .query_one(
                &format!("SELECT {APPEAL_COLS} FROM appeals WHERE program_id = $1 AND id = $2"),
                &[program.0.into(), id.into()],
            )?
            .map(|r| appeal_row(&r)))
    }

    /// Appeals of one status, the soonest due first.
    pub fn appeals_by_status(
        &mut self,
        program: ProgramId,
        status: &str,
        limit: i64,
    ) -> StoreResult<Vec<AppealRow>> {
        Ok(self
            .conn
            .query(
                &format!("SELECT {APPEAL_COLS} FROM appeals WHERE program_id = $1 AND status = $2 ORDER BY due_at, id LIMIT $3"),
                &[program.0.into(), status.into(), limit.into()],
            )?
            .iter()
            .map(appeal_row)
            .collect())
    }

    /// Answered appeals (resolved or rejected), the latest answer first.
    pub fn decided_appeals(
        &mut self,
        program: ProgramId,
        limit: i64,
    ) -> StoreResult<Vec<AppealRow>> {
        Ok(self
            .conn
            .query(
                &format!("SELECT {APPEAL_COLS} FROM appeals WHERE program_id = $1 AND decided_at IS NOT NULL ORDER BY decided_at DESC, id DESC LIMIT $2"),
                &[program.0.into(), limit.into()],
            )?
            .iter()
            .map(appeal_row)
            .collect())
    }

    pub fn member_appeals(
        &mut self,
        program: ProgramId,
        member: MemberId,
        limit: i64,
    ) -> StoreResult<Vec<AppealRow>> {
        Ok(self
            .conn
            .query(
                &format!("SELECT {APPEAL_COLS} FROM appeals WHERE program_id = $1 AND member_id = $2 ORDER BY id DESC LIMIT $3"),
                &[program.0.into(), member.0.into(), limit.into()],
            )?
            .iter()
            .map(appeal_row)
            .collect())
    }

    /// Answers an open appeal; `false` when it was answered already.
    pub fn answer_appeal(
        &mut self,
        program: ProgramId,
        id: i64,
        status: &str,
        answer: &str,
        delta: Option<i64>,
        by: &str,
        now: Millis,
    ) -> StoreResult<bool> {
        self.writes += 1;
        Ok(self.conn.execute(
            "UPDATE appeals SET status = $3, answer = $4, delta = $5, decided_by = $6, decided_at = $7 \
             WHERE program_id = $1 AND id = $2 AND status = 'open'",
            &[program.0.into(), id.into(), status.into(), answer.into(), delta.into(), by.into(), now.into()],
        )? == 1)
    }

    /// Whether a transfer is a line of a member's history.
    pub fn transfer_of_member(
        &mut self,
        program: ProgramId,
        transfer: i64,
        member: MemberId,
    ) -> StoreResult<bool> {
        Ok(self
            .conn
            .query_one(
                "SELECT 1 FROM transfers WHERE program_id = $1 AND id = $2 AND (member_id = $3 OR counterparty_id = $3)",
                &[program.0.into(), transfer.into(), member.0.into()],
            )?
            .is_some())
    }
}
