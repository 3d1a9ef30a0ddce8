//! What the console reads and records beyond the other use cases: the member list, the queues
//! (approvals, appeals), the audit log, staff, webhooks, the export pages, and the audit entries
//! staff actions write. Each read of restricted data takes the access handle that permits it
//! (`crate::access`), so the console and any other caller go through the same checks.

use jifen_ledger::{MemberId, Millis, PointType, ProgramId};
use jifen_store::Tx;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::access::{AuditReader, Exporter, IntegrationReader, MemberReader};
use crate::views::Balance;
use crate::{AppError, ProgramCtx};

/// The store's records the console shows as they are.
pub use jifen_store::{
    AdjustmentRequest, ApiKeyRow, AppealRow, AuditRow, DeliveryRow, EndpointRow, LedgerExportRow,
    Member, MemberExportRow, OrderExportRow, Program, StaffRow,
};

/// What a staff action tells the audit log besides who did it and when.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditEntry {
    pub action: String,
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Writes an audit entry in the transaction of the change it records.
pub(crate) fn record(
    tx: &mut Tx<'_>,
    program: ProgramId,
    actor: &str,
    entry: &AuditEntry,
    now: Millis,
) -> Result<(), AppError> {
    audit(
        tx,
        program,
        actor,
        &entry.action,
        &entry.target,
        entry.before.as_deref(),
        entry.after.as_deref(),
        now,
    )
}

/// Records a failed sign-in, with where it came from.
pub fn record_failed_sign_in(
    tx: &mut Tx<'_>,
    program: ProgramId,
    login: &str,
    source: &str,
    now: Millis,
) -> Result<(), AppError> {
    record(
        tx,
        program,
        &format!("login:{login}"),
        &AuditEntry {
            action: "staff.sign_in_failed".into(),
            target: format!("staff:{login}"),
            before: None,
            after: Some(serde_json::json!({"source": source}).to_string()),
        },
        now,
    )
}

/// The code of the first programme: the sign-in page's default.
pub fn default_programme(tx: &mut Tx<'_>) -> Result<Option<String>, AppError> {
    Ok(tx.programs()?.into_iter().next().map(|p| p.code))
}

/// A programme by its code.
pub fn programme(tx: &mut Tx<'_>, code: &str) -> Result<Option<Program>, AppError> {
    Ok(tx.program_by_code(code)?)
}

/// The member a staff member typed: an id (when it is a short number naming a member), else
/// the first match of a search by phone, its last four digits, external id or name.
pub fn find_member(tx: &mut Tx<'_>, ctx: &ProgramCtx, text: &str) -> Result<Option<i64>, AppError> {
    if let Ok(id) = text.parse::<i64>()
        && id > 0
        && text.len() < 11
        && tx.member(ctx.program.id, MemberId(id))?.is_some()
    {
        return Ok(Some(id));
    }
    Ok(tx
        .search_members(ctx.program.id, text, 1)?
        .first()
        .map(|m| m.0))
}

/// A member in the list (the console's and `GET /api/v1/members`): who, the points balance
/// and the tier.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MemberListRow {
    #[schemars(with = "i64")]
    pub member_id: MemberId,
    pub name: Option<String>,
    /// Whole, or masked (`138****8000`) for a reader who does not see phone numbers.
    pub phone: Option<String>,
    /// `active`, `frozen`, `merged` or `erased`.
    pub status: String,
    pub created_at: Millis,
    pub points: Balance,
    /// The tier's code, and its names (the code when the ladder does not know it).
    pub tier: String,
    pub tier_zh: String,
    pub tier_en: String,
}

/// How the console's member list is narrowed and sorted, as staff typed it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberListQuery {
    /// Phone, its last four digits, external id or name start: a search, the other filters
    /// then do not apply.
    pub text: Option<String>,
    pub tier: Option<String>,
    pub min_balance: Option<String>,
    pub max_balance: Option<String>,
    /// `YYYY-MM-DD`, both days included, in the programme's time zone.
    pub joined_from: Option<String>,
    pub joined_to: Option<String>,
    /// `balance` for the highest balance first; otherwise newest first.
    pub sort: Option<String>,
    /// 1-based.
    pub page: i64,
}

/// Most members a page of the list holds.
pub const MEMBER_PAGE_MAX: i64 = 200;

/// A page of the member list: its members, how many match in all, and the page (1-based) of
/// how many.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MemberListPage {
    pub members: Vec<MemberListRow>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// The filter of a query; a value that does not read names its field.
fn member_filter(
    ctx: &ProgramCtx,
    q: &MemberListQuery,
    now: Millis,
) -> Result<jifen_store::MemberFilter, AppError> {
    let blank = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let points = |field: &'static str, v: &Option<String>| -> Result<Option<i64>, AppError> {
        blank(v)
            .map(|v| {
                v.replace(',', "")
                    .parse::<i64>()
                    .map_err(|_| AppError::invalid(field, "a whole number of points"))
            })
            .transpose()
    };
    let day =
        |field: &'static str, v: &Option<String>, next: bool| -> Result<Option<Millis>, AppError> {
            blank(v)
                .map(|v| {
                    let d = v
                        .parse::<jiff::civil::Date>()
                        .map_err(|_| AppError::invalid(field, "a date as YYYY-MM-DD"))?;
                    let d = if next {
                        d.tomorrow()
                            .map_err(|_| AppError::invalid(field, "a date as YYYY-MM-DD"))?
                    } else {
                        d
                    };
                    Ok(crate::earn::start_of(d, &ctx.tz))
                })
                .transpose()
        };
    let ladder = ctx.earn.ladder.as_ref();
    let tier = blank(&q.tier);
    if let Some(t) = &tier
        && !ladder.is_some_and(|l| l.tiers.iter().any(|x| &x.code == t))
    {
        return Err(AppError::invalid("tier", "not a tier of this programme"));
    }
    let f = jifen_store::MemberFilter {
        tier,
        base_tier: ladder
            .and_then(|l| l.tiers.first())
            .map(|t| t.code.clone())
            .unwrap_or_default(),
        min_balance: points("min_balance", &q.min_balance)?,
        max_balance: points("max_balance", &q.max_balance)?,
        joined_from: day("joined_from", &q.joined_from, false)?,
        joined_before: day("joined_to", &q.joined_to, true)?,
        by_balance: q.sort.as_deref() == Some("balance"),
        now,
    };
    if let (Some(a), Some(b)) = (f.min_balance, f.max_balance)
        && a > b
    {
        return Err(AppError::invalid(
            "max_balance",
            "at least the lowest balance",
        ));
    }
    if let (Some(a), Some(b)) = (f.joined_from, f.joined_before)
        && a >= b
    {
        return Err(AppError::invalid("joined_to", "on or after the first day"));
    }
    Ok(f)
}

/// A page of members: those matching the query's text (name, phone, its last four digits,
/// external id; at most `limit`), or the page `q.page` of those its filters let through,
/// newest or highest balance first, with the count of all of them.
pub fn member_list(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    who: &MemberReader,
    q: &MemberListQuery,
    limit: i64,
    now: Millis,
) -> Result<MemberListPage, AppError> {
    let page = q.page.max(1);
    let (ids, total) = match q.text.as_deref() {
        Some(text) => {
            let ids = tx.search_members(ctx.program.id, text, limit)?;
            let n = ids.len() as i64;
            (ids, n)
        }
        None => {
            let f = member_filter(ctx, q, now)?;
            let offset = (page - 1).saturating_mul(limit);
            tx.filtered_members(ctx.program.id, &f, offset, limit)?
        }
    };
    let mut rows = Vec::new();
    for id in ids {
        let Some(member) = tx.member(ctx.program.id, id)? else {
            continue;
        };
        let balance = crate::views::balance(tx, ctx, id, PointType::Points, now, 30)?;
        let tier_code = crate::tiers::tier_code(tx, ctx, id, now)?;
        let tier = ctx
            .earn
            .ladder
            .as_ref()
            .and_then(|l| l.tiers.iter().find(|t| t.code == tier_code));
        let phone = member.profile.phone.map(|p| {
            if who.sees_phones() {
                p
            } else {
                crate::members::mask_phone(&p)
            }
        });
        rows.push(MemberListRow {
            member_id: member.id,
            name: member.profile.name,
            phone,
            status: member.status,
            created_at: member.created_at,
            points: balance,
            tier_zh: tier.map_or_else(|| tier_code.clone(), |t| t.name_zh.clone()),
            tier_en: tier.map_or_else(|| tier_code.clone(), |t| t.name_en.clone()),
            tier: tier_code,
        });
    }
    Ok(MemberListPage {
        members: rows,
        total,
        page,
        pages: ((total + limit - 1) / limit).max(1),
    })
}

/// A member's appeals, newest first.
pub fn member_appeals(
    tx: &mut Tx<'_>,
    who: &MemberReader,
    member: MemberId,
    limit: i64,
) -> Result<Vec<AppealRow>, AppError> {
    Ok(tx.member_appeals(who.program(), member, limit)?)
}

/// Adjustments waiting for a second person's approval.
pub fn pending_adjustments(
    tx: &mut Tx<'_>,
    who: &MemberReader,
    limit: i64,
) -> Result<Vec<AdjustmentRequest>, AppError> {
    Ok(tx.adjustment_requests(who.program(), "pending", limit)?)
}

/// Appeals waiting for an answer.
pub fn open_appeals(
    tx: &mut Tx<'_>,
    who: &MemberReader,
    limit: i64,
) -> Result<Vec<AppealRow>, AppError> {
    Ok(tx.appeals_by_status(who.program(), "open", limit)?)
}

/// Adjustment requests already decided (已处理), the latest decision first, with who decided
/// and when.
pub fn decided_adjustments(
    tx: &mut Tx<'_>,
    who: &MemberReader,
    limit: i64,
) -> Result<Vec<AdjustmentRequest>, AppError> {
    Ok(tx.decided_adjustment_requests(who.program(), limit)?)
}

/// Appeals already answered (已处理), the latest answer first, with who answered and when.
pub fn answered_appeals(
    tx: &mut Tx<'_>,
    who: &MemberReader,
    limit: i64,
) -> Result<Vec<AppealRow>, AppError> {
    Ok(tx.decided_appeals(who.program(), limit)?)
}

/// Audit entries newest first below id `before`, optionally of one actor or action.
pub fn audit_entries(
    tx: &mut Tx<'_>,
    who: &AuditReader,
    actor: Option<&str>,
    action: Option<&str>,
    before: i64,
    limit: i64,
) -> Result<Vec<AuditRow>, AppError> {
    Ok(tx.audit_entries(who.program(), actor, action, before, limit)?)
}

/// One entry of the audit log: who (`actor`) did what (`action`) to what (`target`), with the
/// state before and after as the change recorded it (JSON text or a word), and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AuditEntryView {
    pub id: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub created_at: Millis,
}

/// A page of the audit log, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntryView>,
    /// The `before` that reads the next (older) page; none on the last page.
    pub next_before: Option<i64>,
}

/// Entries per page of the audit log at most.
pub const AUDIT_PAGE_MAX: i64 = 200;

/// A page of the audit log: entries older than `before` (an entry id; none for the newest),
/// of one `actor` and one `action` when given, `limit` of them (50 unless given).
pub fn audit_page(
    tx: &mut Tx<'_>,
    who: &AuditReader,
    actor: Option<&str>,
    action: Option<&str>,
    before: Option<i64>,
    limit: Option<i64>,
) -> Result<AuditPage, AppError> {
    for (field, v) in [("actor", actor), ("action", action)] {
        if v.is_some_and(|v| v.is_empty() || v.chars().count() > 100) {
            return Err(AppError::invalid(field, "must be 1 to 100 characters"));
        }
    }
    if before.is_some_and(|b| b < 1) {
        return Err(AppError::invalid(
            "before",
            "must be an entry id, 1 or more",
        ));
    }
    let limit = limit.unwrap_or(50);
    if !(1..=AUDIT_PAGE_MAX).contains(&limit) {
        return Err(AppError::invalid(
            "limit",
            format!("must be between 1 and {AUDIT_PAGE_MAX}"),
        ));
    }
    let rows = tx.audit_entries(
        who.program(),
        actor,
        action,
        before.unwrap_or(i64::MAX),
        limit,
    )?;
    let next_before = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    let items = rows
        .into_iter()
        .map(|r| AuditEntryView {
            id: r.id,
            actor: r.actor,
            action: r.action,
            target: r.target,
            before: r.before,
            after: r.after,
            created_at: r.created_at,
        })
        .collect();
    Ok(AuditPage { items, next_before })
}

/// A member's history as staff read it, one line per business event
/// (`activity::activity`), for staff who may read members' records.
pub fn member_activity(
    tx: &mut Tx<'_>,
    who: &MemberReader,
    ctx: &ProgramCtx,
    member: i64,
    q: &crate::activity::ActivityQuery,
) -> Result<crate::activity::ActivityPage, AppError> {
    debug_assert_eq!(who.program(), ctx.program.id);
    let m = crate::commands::resolve(
        tx,
        ctx,
        &crate::commands::MemberRef::Id { member_id: member },
    )?;
    crate::activity::activity(tx, ctx, m.id, q)
}

/// The programme's staff accounts.
pub fn staff_list(tx: &mut Tx<'_>, who: &AuditReader) -> Result<Vec<StaffRow>, AppError> {
    Ok(tx.staff_members(who.program())?)
}

/// Each webhook endpoint with its latest `recent` deliveries.
pub fn webhooks(
    tx: &mut Tx<'_>,
    who: &IntegrationReader,
    recent: i64,
) -> Result<Vec<(EndpointRow, Vec<DeliveryRow>)>, AppError> {
    let program = who.program();
    let mut hooks = Vec::new();
    for e in tx.webhook_endpoints(program)? {
        let d = tx.webhook_deliveries(program, e.id, recent)?;
        hooks.push((e, d));
    }
    Ok(hooks)
}

/// What a CSV export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Members,
    Ledger,
    Orders,
}

impl ExportKind {
    /// The word the audit log names it by (`export.<word>`).
    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::Members => "members",
            ExportKind::Ledger => "ledger",
            ExportKind::Orders => "orders",
        }
    }
}

/// Records that `who` exports `kind` for the dates asked (`from` and `to` as typed, none for
/// everything), audited as `export.<kind>` before the first row is read: no export leaves
/// without its entry.
pub fn begin_export(
    tx: &mut Tx<'_>,
    who: &Exporter,
    kind: ExportKind,
    from: Option<&str>,
    to: Option<&str>,
    now: Millis,
) -> Result<(), AppError> {
    let after = (from.is_some() || to.is_some())
        .then(|| serde_json::json!({"from": from, "to": to}).to_string());
    let (action, target) = (format!("export.{}", kind.as_str()), kind.as_str());
    tx.audit(
        who.program(),
        who.actor(),
        &action,
        target,
        None,
        after.as_deref(),
        now,
    )?;
    Ok(())
}

/// Members by id above `after`, with their balance: a page of the members export.
pub fn member_export_page(
    tx: &mut Tx<'_>,
    who: &Exporter,
    after: i64,
    limit: i64,
) -> Result<Vec<MemberExportRow>, AppError> {
    Ok(tx.member_export_page(who.program(), after, limit)?)
}

/// Ledger lines above id `after` made in `[from, to)`: a page of the ledger export.
pub fn ledger_export_page(
    tx: &mut Tx<'_>,
    who: &Exporter,
    after: i64,
    from: Millis,
    to: Millis,
    limit: i64,
) -> Result<Vec<LedgerExportRow>, AppError> {
    Ok(tx.ledger_export_page(who.program(), after, from, to, limit)?)
}

/// Orders above id `after` made in `[from, to)`: a page of the orders export.
pub fn order_export_page(
    tx: &mut Tx<'_>,
    who: &Exporter,
    after: i64,
    from: Millis,
    to: Millis,
    limit: i64,
) -> Result<Vec<OrderExportRow>, AppError> {
    Ok(tx.order_export_page(who.program(), after, from, to, limit)?)
}

/// A mall item's name in English when `english`, else in Chinese; empty for an unknown item.
pub fn item_name(
    tx: &mut Tx<'_>,
    program: ProgramId,
    item: i64,
    english: bool,
) -> Result<String, AppError> {
    let key = if english { "name_en" } else { "name_zh" };
    Ok(tx
        .mall_item(program, item)?
        .and_then(|i| serde_json::from_str::<serde_json::Value>(&i.definition).ok())
        .and_then(|d| d[key].as_str().map(str::to_string))
        .unwrap_or_default())
}

/// A member's phone number in full, for staff who see it masked; the reveal is audited.
pub fn reveal_phone(
    tx: &mut Tx<'_>,
    who: &MemberReader,
    member: MemberId,
    now: Millis,
) -> Result<Option<String>, AppError> {
    let m = tx
        .member(who.program(), member)?
        .ok_or_else(|| AppError::NotFound {
            what: "member",
            id: member.0.to_string(),
        })?;
    record(
        tx,
        who.program(),
        who.actor(),
        &AuditEntry {
            action: "member.phone_revealed".into(),
            target: format!("member:{}", member.0),
            before: None,
            after: None,
        },
        now,
    )?;
    Ok(m.profile.phone)
}

/// Writes an audit entry in the transaction of the change it records: who (`actor`) did what
/// (`action`) to what (`target`), with the state before and after as JSON where it matters.
pub(crate) fn audit(
    tx: &mut Tx<'_>,
    program: ProgramId,
    actor: &str,
    action: &str,
    target: &str,
    before: Option<&str>,
    after: Option<&str>,
    now: Millis,
) -> Result<(), AppError> {
    tx.audit(program, actor, action, target, before, after, now)?;
    Ok(())
}

/// The mall item a SKU code belongs to.
pub fn item_of_sku(tx: &mut Tx<'_>, program: ProgramId, code: &str) -> Result<i64, AppError> {
    tx.mall_sku_by_code(program, code)?
        .map(|s| s.item_id)
        .ok_or_else(|| AppError::NotFound {
            what: "sku",
            id: code.to_string(),
        })
}
