//! A member's history as the member and staff read it: one line per business event. A purchase
//! whose points wait out the return window is one line, 待生效 then 已到账; an order's points
//! are one line, 冻结中 then 已兑换 (or 已释放). The ledger keeps every line
//! (`views::history`); this view folds the lines that settle a pending one into it.

use std::collections::HashMap;

use jifen_ledger::{MemberId, Millis, PointType, TransferId};
use jifen_store::{ActivityFilter, HistoryLine, Settlement, Tx};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::views::HISTORY_PAGE_MAX;
use crate::{AppError, ProgramCtx};

/// Where a history line stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineState {
    /// Done when it was made.
    Done,
    /// Points waiting to vest (the return window).
    Pending,
    /// Points held for review by the programme's risk checks.
    Held,
    /// Points that waited and then vested.
    Vested,
    /// Points that waited and never vested (a refund in the window, a rejected review).
    Voided,
    /// Points reserved by an order or a partner, not spent yet.
    Reserved,
    /// Reserved points that were spent.
    Redeemed,
    /// Reserved points given back.
    Released,
}

impl LineState {
    pub fn as_str(self) -> &'static str {
        match self {
            LineState::Done => "done",
            LineState::Pending => "pending",
            LineState::Held => "held",
            LineState::Vested => "vested",
            LineState::Voided => "voided",
            LineState::Reserved => "reserved",
            LineState::Redeemed => "redeemed",
            LineState::Released => "released",
        }
    }
}

/// One business event in a member's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ActivityLine {
    /// The ledger line that opened the event (what an appeal names).
    pub transfer_id: i64,
    /// `points` or `growth`.
    pub point_type: String,
    /// What the event is (`jifen_domain::words::LEDGER_CODES`); a reservation that was spent
    /// reads as the spend.
    pub code: String,
    pub state: LineState,
    /// The signed points of the event as it stands: what vested or was spent once settled,
    /// what waits while it waits, 0 when all of it was voided or released.
    pub amount: i64,
    /// The signed points when the event was made.
    pub original: i64,
    pub counterparty: Option<i64>,
    pub order_ref: Option<String>,
    pub reason: Option<String>,
    pub actor: Option<String>,
    pub created_at: Millis,
    /// While points wait: when they vest (none while held for review).
    pub available_at: Option<Millis>,
    /// When the event was settled (vested, spent, voided or released).
    pub settled_at: Option<Millis>,
}

/// A page of a member's history, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ActivityPage {
    pub member_id: i64,
    pub lines: Vec<ActivityLine>,
    /// The `before` of the next (older) page; none on the last.
    pub next_before: Option<i64>,
}

/// Which lines to read: older than `before`, at most `limit` (50 unless given), of one ledger
/// `code` and one `point_type`, made in `[from, to)`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityQuery {
    #[serde(default)]
    pub before: Option<i64>,
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default)]
    pub code: Option<String>,
    /// `points` or `growth`; both when not given.
    #[serde(default)]
    pub point_type: Option<String>,
    /// `in` (what added to the balance) or `out` (what took from it); both when not given.
    #[serde(default)]
    pub direction: Option<String>,
    #[serde(default)]
    pub from: Option<Millis>,
    #[serde(default)]
    pub to: Option<Millis>,
}

impl ActivityQuery {
    /// The newest `limit` points lines.
    pub fn points(limit: i64) -> Self {
        ActivityQuery {
            limit: Some(limit),
            point_type: Some("points".into()),
            ..Default::default()
        }
    }

    fn filter(&self) -> Result<ActivityFilter, AppError> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=HISTORY_PAGE_MAX).contains(&limit) {
            return Err(AppError::invalid(
                "limit",
                format!("must be between 1 and {HISTORY_PAGE_MAX}"),
            ));
        }
        if self.before.is_some_and(|b| b < 1) {
            return Err(AppError::invalid("before", "must be a line id, 1 or more"));
        }
        if let Some(c) = &self.code
            && (c.is_empty() || c.len() > 64)
        {
            return Err(AppError::invalid("code", "must be 1 to 64 characters"));
        }
        if let Some(p) = &self.point_type
            && PointType::parse(p).is_none()
        {
            return Err(AppError::invalid("point_type", "must be points or growth"));
        }
        let direction = match self.direction.as_deref() {
            None => 0,
            Some("in") => 1,
            Some("out") => -1,
            Some(_) => return Err(AppError::invalid("direction", "must be in or out")),
        };
        if let (Some(f), Some(t)) = (self.from, self.to)
            && f >= t
        {
            return Err(AppError::invalid("to", "must be after from"));
        }
        Ok(ActivityFilter {
            before: self.before,
            limit,
            code: self.code.clone(),
            point_type: self.point_type.clone(),
            direction,
            from: self.from,
            to: self.to,
        })
    }
}

/// A page of the member's history, one line per business event.
pub fn activity(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    q: &ActivityQuery,
) -> Result<ActivityPage, AppError> {
    let f = q.filter()?;
    let lines = tx.activity_lines(ctx.program.id, member, &f)?;
    let pending: Vec<TransferId> = lines
        .iter()
        .filter(|l| l.phase == "pending")
        .map(|l| l.transfer_id)
        .collect();
    let mut settled: HashMap<TransferId, Vec<Settlement>> = HashMap::new();
    for s in tx.settlements(ctx.program.id, &pending)? {
        settled.entry(s.pending).or_default().push(s);
    }
    let vests: HashMap<TransferId, Millis> = tx
        .pending_available_at(ctx.program.id, &pending)?
        .into_iter()
        .collect();
    let next_before = (lines.len() as i64 == f.limit)
        .then(|| lines.last().map(|l| l.transfer_id.0))
        .flatten();
    let lines = lines
        .into_iter()
        .map(|l| {
            let s = settled.remove(&l.transfer_id).unwrap_or_default();
            let vest = vests.get(&l.transfer_id).copied();
            fold(l, &s, vest)
        })
        .collect();
    Ok(ActivityPage {
        member_id: member.0,
        lines,
        next_before,
    })
}

/// One line with what settled it: its state, what it amounts to now, when it settled.
pub fn fold(l: HistoryLine, settled: &[Settlement], vests_at: Option<Millis>) -> ActivityLine {
    let original = l.amount;
    let (mut code, mut state, mut amount) = (l.code.clone(), LineState::Done, original);
    let (mut available_at, mut settled_at) = (None, None);
    if l.phase == "pending" {
        let sum = |phase: &str| -> i64 {
            settled
                .iter()
                .filter(|s| s.phase == phase)
                .map(|s| s.amount)
                .sum()
        };
        let (posted, voided) = (sum("post_pending"), sum("void_pending"));
        let open = original.abs() - posted - voided;
        let (sign, debit) = (if original < 0 { -1 } else { 1 }, original < 0);
        settled_at = settled.last().map(|s| s.created_at);
        state = match (open > 0, posted > 0, debit) {
            (true, _, true) => LineState::Reserved,
            (true, _, false) if vests_at == Some(crate::earn::HOLD_UNTIL) => LineState::Held,
            (true, _, false) => LineState::Pending,
            (false, true, true) => LineState::Redeemed,
            (false, true, false) => LineState::Vested,
            (false, false, true) => LineState::Released,
            (false, false, false) => LineState::Voided,
        };
        if open > 0 {
            settled_at = None;
            available_at = vests_at.filter(|v| !debit && *v != crate::earn::HOLD_UNTIL);
        }
        amount = sign * (posted + open.max(0));
        if state == LineState::Redeemed
            && let Some(s) = settled.iter().rev().find(|s| s.phase == "post_pending")
        {
            code = s.code.clone();
        }
    }
    ActivityLine {
        transfer_id: l.transfer_id.0,
        point_type: PointType::as_str(l.point_type).to_string(),
        code,
        state,
        amount,
        original,
        counterparty: l.counterparty.map(|m| m.0),
        order_ref: l.order_ref,
        reason: l.reason,
        actor: l.actor,
        created_at: l.created_at,
        available_at,
        settled_at,
    }
}
