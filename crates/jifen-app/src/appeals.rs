//! Appeals (积分申诉): a member disputes a line of their points history or a mall order; staff
//! answer within one working day, resolving it (with an adjustment through the ledger when
//! warranted, under the same maker-checker rule as any adjustment) or rejecting it with a reason.

use jifen_ledger::{MemberId, Millis};
use jifen_store::*;
use jiff::ToSpan;
use jiff::civil::Weekday;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::staff::{Session, StaffAdjustmentResult};
use crate::{AppError, ProgramCtx};

/// The end of the next working day after `now` (Monday to Friday, in the programme's zone):
/// an appeal made on a Friday evening is due on Monday evening.
pub fn due_after(now: Millis, tz: &jiff::tz::TimeZone) -> Millis {
    let Ok(t) = jiff::Timestamp::from_millisecond(now) else {
        return now + 86_400_000;
    };
    let mut z = t.to_zoned(tz.clone());
    loop {
        z = match z.checked_add(1.day()) {
            Ok(n) => n,
            Err(_) => return now + 86_400_000,
        };
        if !matches!(z.weekday(), Weekday::Saturday | Weekday::Sunday) {
            return z.timestamp().as_millisecond();
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppealIn {
    /// `line` (a transfer of the member's history) or `order` (a mall order).
    pub subject: String,
    pub subject_id: i64,
    pub message: String,
}

pub fn submit(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    member: MemberId,
    a: &AppealIn,
) -> Result<AppealOpened, AppError> {
    let msg = a.message.trim();
    if msg.chars().count() < 5 || msg.chars().count() > 1000 {
        return Err(AppError::invalid(
            "message",
            "say what is wrong in 5 to 1000 characters",
        ));
    }
    let m = crate::commands::resolve(
        tx,
        ctx,
        &crate::commands::MemberRef::Id {
            member_id: member.0,
        },
    )?;
    let ok = match a.subject.as_str() {
        "line" => tx.transfer_of_member(ctx.program.id, a.subject_id, m.id)?,
        "order" => tx
            .mall_order(ctx.program.id, a.subject_id)?
            .is_some_and(|o| o.member == m.id),
        _ => return Err(AppError::invalid("subject", "must be line or order")),
    };
    if !ok {
        return Err(AppError::NotFound {
            what: if a.subject == "line" {
                "history line"
            } else {
                "mall order"
            },
            id: a.subject_id.to_string(),
        });
    }
    let due = due_after(now, &ctx.tz);
    let id = tx.insert_appeal(
        ctx.program.id,
        m.id,
        &a.subject,
        a.subject_id,
        msg,
        due,
        now,
    )?;
    tx.outbox_push(
        ctx.program.id,
        "appeal.opened",
        Some(m.id),
        &json!({"appeal_id": id, "member_id": m.id, "due_at": due}).to_string(),
        now,
    )?;
    Ok(AppealOpened {
        appeal_id: id,
        status: "open".into(),
        due_at: due,
    })
}

/// An appeal as it was opened: staff answer it by `due_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AppealOpened {
    pub appeal_id: i64,
    /// `open`.
    pub status: String,
    /// The end of the next working day in the programme's time zone.
    pub due_at: Millis,
}

/// Staff answering an appeal: `resolve` (optionally with a points adjustment) or `reject`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub appeal_id: i64,
    pub resolve: bool,
    pub answer: String,
    #[serde(default)]
    pub delta: Option<i64>,
}

/// The answer to an appeal: how staff answered it, and the adjustment made with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AppealAnswered {
    pub appeal_id: i64,
    /// `resolved` or `rejected`.
    pub status: String,
    /// The points adjustment a resolution made, applied or waiting for a second person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjustment: Option<StaffAdjustmentResult>,
}

pub fn answer(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    s: &Session,
    a: &Answer,
) -> Result<AppealAnswered, AppError> {
    if !s.role.manages_members() {
        return Err(AppError::conflict(
            "forbidden",
            "your role may not answer appeals",
            json!({}),
        ));
    }
    let text = a.answer.trim();
    if text.is_empty() || text.chars().count() > 1000 {
        return Err(AppError::invalid(
            "answer",
            "is required, at most 1000 characters",
        ));
    }
    let ap = tx
        .appeal(ctx.program.id, a.appeal_id)?
        .ok_or_else(|| AppError::NotFound {
            what: "appeal",
            id: a.appeal_id.to_string(),
        })?;
    if ap.status != "open" {
        return Err(AppError::conflict(
            "already_answered",
            format!("appeal {} is already {}", ap.id, ap.status),
            json!({}),
        ));
    }
    let delta = a.delta.filter(|d| *d != 0 && a.resolve);
    if let Some(d) = delta
        && d.abs() > crate::staff::ADJUSTMENT_MAX
    {
        return Err(AppError::invalid(
            "delta",
            format!("at most {} points either way", crate::staff::ADJUSTMENT_MAX),
        ));
    }
    // Claimed first: two staff answering at once answer it once.
    let status = if a.resolve { "resolved" } else { "rejected" };
    tx.answer_appeal(ctx.program.id, ap.id, status, text, delta, &s.actor(), now)?;
    let mut out = AppealAnswered {
        appeal_id: ap.id,
        status: status.into(),
        adjustment: None,
    };
    if let Some(d) = delta {
        let adj = crate::staff::StaffAdjustment {
            member_id: ap.member.0,
            delta: d,
            reason: format!("#{} · {text}", ap.id),
        };
        out.adjustment = Some(crate::staff::adjust(tx, ctx, now, s, &adj)?);
    }
    tx.audit(
        ctx.program.id,
        &s.actor(),
        &format!("appeal.{status}"),
        &format!("appeal:{}", ap.id),
        None,
        Some(&json!({"answer": text, "delta": delta}).to_string()),
        now,
    )?;
    tx.outbox_push(
        ctx.program.id,
        "appeal.answered",
        Some(ap.member),
        &json!({"appeal_id": ap.id, "status": status}).to_string(),
        now,
    )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Millis {
        s.parse::<jiff::Timestamp>().unwrap().as_millisecond()
    }

    #[test]
    fn appeals_are_due_by_the_end_of_the_next_working_day() {
        let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
        // Thursday 10:00 in Shanghai → Friday 10:00.
        assert_eq!(
            due_after(at("2026-01-01T02:00:00Z"), &tz),
            at("2026-01-02T02:00:00Z")
        );
        // Friday 20:00 → Monday 20:00; Saturday → Monday.
        assert_eq!(
            due_after(at("2026-01-02T12:00:00Z"), &tz),
            at("2026-01-05T12:00:00Z")
        );
        assert_eq!(
            due_after(at("2026-01-03T04:00:00Z"), &tz),
            at("2026-01-05T04:00:00Z")
        );
    }
}
