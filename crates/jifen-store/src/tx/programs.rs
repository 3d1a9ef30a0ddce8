//! Programmes: creating one with its system accounts, changing its policy, and reading
//! programmes and their system accounts.

use super::*;

impl Tx<'_> {
    pub fn insert_program(
        &mut self,
        code: &str,
        name: &str,
        currency: &str,
        timezone: &str,
        policy: &LedgerPolicy,
        now: Millis,
    ) -> StoreResult<ProgramId> {
        self.writes += 1;
        let policy = serde_json::to_string(policy).expect("policy serializes");
        let row = self.conn.insert_id(
            "INSERT INTO programs (code, name, currency, timezone, policy, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[code.into(), name.into(), currency.into(), timezone.into(), policy.into(), now.into()],
        )?;
        let id = ProgramId(row);
        for kind in SystemAccount::ALL {
            for pt in PointType::ALL {
                self.insert_account(id, SYSTEM_MEMBER, kind.as_str(), pt)?;
            }
        }
        Ok(id)
    }

    pub(super) fn insert_account(
        &mut self,
        program: ProgramId,
        member: i64,
        kind: &str,
        pt: PointType,
    ) -> StoreResult<AccountId> {
        let row = self.conn.insert_id(
            "INSERT INTO accounts (program_id, member_id, kind, point_type, debits_pending, debits_posted, credits_pending, credits_posted) \
             VALUES ($1, $2, $3, $4, 0, 0, 0, 0) RETURNING id",
            &[program.0.into(), member.into(), kind.into(), pt.as_str().into()],
        )?;
        Ok(AccountId(row))
    }

    pub fn update_program_policy(
        &mut self,
        program: ProgramId,
        name: &str,
        timezone: &str,
        policy: &LedgerPolicy,
    ) -> StoreResult<()> {
        self.writes += 1;
        let policy = serde_json::to_string(policy).expect("policy serializes");
        self.conn.execute(
            "UPDATE programs SET name = $2, timezone = $3, policy = $4 WHERE id = $1",
            &[
                program.0.into(),
                name.into(),
                timezone.into(),
                policy.into(),
            ],
        )?;
        Ok(())
    }

    fn program_from(r: &Row) -> StoreResult<Program> {
        Ok(Program {
            id: ProgramId(r.int(0)),
            code: r.text(1),
            name: r.text(2),
            currency: r.text(3),
            timezone: r.text(4),
            policy: serde_json::from_str(&r.text(5))
                .map_err(|e| corrupt(&format!("programme policy: {e}")))?,
            created_at: r.int(6),
        })
    }

    pub fn program(&mut self, id: ProgramId) -> StoreResult<Option<Program>> {
        self.conn
            .query_one("SELECT id, code, name, currency, timezone, policy, created_at FROM programs WHERE id = $1", &[id.0.into()])?
            .map(|r| Self::program_from(&r))
            .transpose()
    }

    pub fn program_by_code(&mut self, code: &str) -> StoreResult<Option<Program>> {
        self.conn
            .query_one("SELECT id, code, name, currency, timezone, policy, created_at FROM programs WHERE code = $1", &[code.into()])?
            .map(|r| Self::program_from(&r))
            .transpose()
    }

    pub fn programs(&mut self) -> StoreResult<Vec<Program>> {
        self.conn
            .query("SELECT id, code, name, currency, timezone, policy, created_at FROM programs ORDER BY id", &[])?
            .iter()
            .map(Self::program_from)
            .collect()
    }

    pub fn system_accounts(&mut self, program: ProgramId) -> StoreResult<SystemAccounts> {
        let rows = self.conn.query(
            "SELECT kind, point_type, id FROM accounts WHERE program_id = $1 AND member_id = $2",
            &[program.0.into(), SYSTEM_MEMBER.into()],
        )?;
        let mut out = Vec::new();
        for r in rows {
            let kind = SystemAccount::ALL
                .into_iter()
                .find(|k| k.as_str() == r.text(0))
                .ok_or_else(|| corrupt("unknown system account"))?;
            out.push((kind, point_type(&r.text(1))?, AccountId(r.int(2))));
        }
        Ok(SystemAccounts(out))
    }
}
