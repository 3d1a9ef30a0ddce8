//! Member references: finding the member a request names, following merges, and locking
//! the member's accounts.

use jifen_ledger::ops::MemberBook;
use jifen_ledger::*;
use jifen_store::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{AppError, ProgramCtx};

use super::checks::{check_channel, check_id, normalize_external_id};

/// How a request names a member: by Jifen's id, or by an id in one of the merchant's channels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MemberRef {
    Id {
        member_id: i64,
    },
    External {
        channel: String,
        external_id: String,
    },
}

impl MemberRef {
    pub fn validate(&self) -> Result<(), AppError> {
        match self {
            MemberRef::Id { member_id } if *member_id <= 0 => {
                Err(AppError::invalid("member_id", "must be positive"))
            }
            MemberRef::Id { .. } => Ok(()),
            MemberRef::External {
                channel,
                external_id,
            } => {
                check_channel(channel)?;
                check_id("external_id", external_id)
            }
        }
    }

    /// The key that routes the member's commands to one writer.
    pub fn partition(&self) -> String {
        match self {
            MemberRef::Id { member_id } => format!("m:{member_id}"),
            MemberRef::External {
                channel,
                external_id,
            } => format!("e:{channel}:{external_id}"),
        }
    }
}

/// Finds the member a reference names, following merges to the surviving member.
pub fn resolve(tx: &mut Tx<'_>, ctx: &ProgramCtx, r: &MemberRef) -> Result<Member, AppError> {
    let program = ctx.program.id;
    let mut member = match r {
        MemberRef::Id { member_id } => tx.member(program, MemberId(*member_id))?,
        MemberRef::External {
            channel,
            external_id,
        } => tx.member_row_by_identity(program, channel, &normalize_external_id(external_id)?)?,
    }
    .ok_or_else(|| AppError::NotFound {
        what: "member",
        id: match r {
            MemberRef::Id { member_id } => member_id.to_string(),
            MemberRef::External {
                channel,
                external_id,
            } => format!("{channel}:{external_id}"),
        },
    })?;
    // A chain of merges is short; the bound only guards against a corrupt cycle.
    for _ in 0..16 {
        match member.merged_into {
            Some(next) => {
                member = tx
                    .member(program, next)?
                    .ok_or_else(|| AppError::NotFound {
                        what: "member",
                        id: next.to_string(),
                    })?
            }
            None => break,
        }
    }
    if member.status == "erased" {
        return Err(AppError::conflict(
            "member_erased",
            format!(
                "member {}'s personal data was erased at their request; the account is closed",
                member.id
            ),
            json!({"member_id": member.id}),
        ));
    }
    Ok(member)
}

/// A frozen member earns (into pending) but spends, reserves and transfers nothing until staff
/// unfreeze them.
pub(crate) fn refuse_frozen(m: &Member) -> Result<(), AppError> {
    if m.status == "frozen" {
        return Err(AppError::conflict(
            "member_frozen",
            format!(
                "member {} is frozen: no spending or transfers until staff unfreeze it",
                m.id
            ),
            json!({"member_id": m.id}),
        ));
    }
    Ok(())
}

/// The member `id` is now: itself, or the member it was merged into (followed to the end);
/// `None` when it does not exist.
pub(crate) fn survivor(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    id: MemberId,
) -> Result<Option<MemberId>, AppError> {
    let mut current = id;
    // A chain of merges is short; the bound only guards against a corrupt cycle.
    for _ in 0..16 {
        match tx.member(ctx.program.id, current)? {
            None => return Ok(None),
            Some(m) => match m.merged_into {
                Some(next) => current = next,
                None => return Ok(Some(current)),
            },
        }
    }
    Ok(None)
}

/// Resolves a member and locks its accounts, in one query when the member is live (active or
/// frozen), which is nearly always; otherwise (merged, erased) as `resolve` and `books` do.
pub(crate) fn resolve_locked(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    r: &MemberRef,
) -> Result<(Member, [MemberBook; 2]), AppError> {
    let normalized;
    let lookup = match r {
        MemberRef::Id { member_id } => MemberLookup::Id(MemberId(*member_id)),
        MemberRef::External {
            channel,
            external_id,
        } => {
            normalized = normalize_external_id(external_id)?;
            MemberLookup::External {
                channel,
                external_id: &normalized,
            }
        }
    };
    if let Some((m, [(pa, pd), (ga, gd)])) = tx.member_with_books(ctx.program.id, lookup, true)?
        && m.merged_into.is_none()
        && (m.status == "active" || m.status == "frozen")
    {
        let mk = |point_type, a: MemberAccounts, debt_owed| MemberBook {
            member: m.id,
            point_type,
            balance: a.balance,
            debt: a.debt,
            debt_owed,
        };
        let books = [mk(PointType::Points, pa, pd), mk(PointType::Growth, ga, gd)];
        return Ok((m, books));
    }
    let m = resolve(tx, ctx, r)?;
    let b = books(tx, ctx, m.id)?;
    Ok((m, b))
}

/// Locks the member's accounts of one point type and reads their debt.
pub(super) fn book(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    pt: PointType,
) -> Result<MemberBook, AppError> {
    let [points, growth] = books(tx, ctx, member)?;
    Ok(if pt == PointType::Points {
        points
    } else {
        growth
    })
}

/// Locks the member's accounts and reads both point types' books in one query.
pub(crate) fn books(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
) -> Result<[MemberBook; 2], AppError> {
    let [(pa, pd), (ga, gd)] = tx.member_books(ctx.program.id, member, true)?;
    let mk = |point_type, a: MemberAccounts, debt_owed| MemberBook {
        member,
        point_type,
        balance: a.balance,
        debt: a.debt,
        debt_owed,
    };
    Ok([mk(PointType::Points, pa, pd), mk(PointType::Growth, ga, gd)])
}
