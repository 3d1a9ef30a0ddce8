//! The ledger's use cases. Each function runs inside a writer's transaction, reads what it needs
//! (locking the member's accounts first), decides with the pure ledger, and only then writes.
//! A function that returns an error has written nothing.

use jifen_ledger::ops::{
    self, CreditSpec, MemberBook, Refs, RestoreOutcome, ReversalAccounts, ReversalOutcome,
};
use jifen_ledger::policy::{ShortfallPolicy, base_rate_points, proportional_reversal};
use jifen_ledger::*;
use jifen_store::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{AppError, JobScope, ProgramCtx};

/// Longest text accepted for ids given by callers (order ids, external ids, references).
pub const ID_LEN_MAX: usize = 128;
/// Longest free-text reason.
pub const REASON_LEN_MAX: usize = 500;
/// Largest money amount in minor units (10^13 fen = 100 billion yuan): far beyond any order,
/// and small enough that `amount * rate` never overflows.
pub const MONEY_MINOR_MAX: i64 = 10_000_000_000_000;
/// How far ahead of the server's clock a purchase time may be (clock skew between systems).
pub const OCCURRED_AHEAD_MAX_MS: i64 = 5 * 60_000;
/// The earliest purchase time accepted (2000-01-01T00:00:00Z): older history is not loyalty data,
/// and the bound keeps every computed date far inside the calendar's range.
pub const OCCURRED_AT_MIN: i64 = 946_684_800_000;
/// Line items one purchase may carry.
pub const LINES_MAX: usize = 500;
/// How long a reservation stays open when the caller does not say.
pub const RESERVATION_TTL_DEFAULT_SECONDS: i64 = 30 * 60;
/// The longest a reservation may stay open.
pub const RESERVATION_TTL_MAX_SECONDS: i64 = 30 * 86_400;

pub(crate) fn check_id(field: &str, v: &str) -> Result<(), AppError> {
    if v.is_empty() || v.len() > ID_LEN_MAX {
        return Err(AppError::invalid(
            field,
            format!("must be 1 to {ID_LEN_MAX} characters"),
        ));
    }
    if v.chars().any(|c| c.is_control()) {
        return Err(AppError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// Invisible formatting and bidirectional controls: text that shows one id and stores another.
fn is_format_char(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// An external id as stored and looked up: NFKC-normalised and trimmed, so that lookalikes
/// (full-width letters and digits, a stray space) name the same member rather than a second
/// one; control, bidirectional and invisible formatting characters are refused.
pub fn normalize_external_id(v: &str) -> Result<String, AppError> {
    use unicode_normalization::UnicodeNormalization;
    let n: String = v.nfkc().collect::<String>().trim().to_string();
    check_id("external_id", &n)?;
    if n.chars().any(is_format_char) {
        return Err(AppError::invalid(
            "external_id",
            "must not contain bidirectional or invisible formatting characters",
        ));
    }
    Ok(n)
}

pub(crate) fn check_reason_pub(
    field: &str,
    v: &Option<String>,
    required: bool,
) -> Result<(), AppError> {
    check_reason(field, v, required)
}

fn check_reason(field: &str, v: &Option<String>, required: bool) -> Result<(), AppError> {
    match v {
        None if required => Err(AppError::invalid(field, "is required")),
        Some(s) if s.trim().is_empty() && required => {
            Err(AppError::invalid(field, "must not be empty"))
        }
        Some(s) if s.chars().count() > REASON_LEN_MAX => Err(AppError::invalid(
            field,
            format!("must be at most {REASON_LEN_MAX} characters"),
        )),
        Some(s) if s.chars().any(|c| c.is_control() || is_format_char(c)) => {
            Err(AppError::invalid(
                field,
                "must be one line without control or invisible formatting characters",
            ))
        }
        _ => Ok(()),
    }
}

pub(crate) fn check_channel(v: &str) -> Result<(), AppError> {
    if v.is_empty()
        || v.len() > 32
        || !v
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(AppError::invalid(
            "channel",
            "must be 1 to 32 characters of a-z, 0-9 and _ (e.g. app, web, mini_program, pos)",
        ));
    }
    Ok(())
}

fn check_money(field: &str, v: i64) -> Result<(), AppError> {
    if v <= 0 {
        return Err(AppError::invalid(
            field,
            format!("must be positive, got {v}"),
        ));
    }
    if v > MONEY_MINOR_MAX {
        return Err(AppError::invalid(
            field,
            format!("must be at most {MONEY_MINOR_MAX}"),
        ));
    }
    Ok(())
}

fn points(field: &str, v: i64) -> Result<Points, AppError> {
    Points::positive(v).map_err(|e| AppError::invalid(field, e.to_string()))
}

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
fn book(
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

// ---- members -------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMember {
    #[serde(flatten)]
    pub profile: MemberProfile,
    #[serde(default)]
    pub identities: Vec<Identity>,
    /// The member who invited this one (推荐人): referral rules pay both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<MemberRef>,
    /// The device and address the sign-up came from, for anti-fraud limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
}

pub fn validate_profile(p: &MemberProfile) -> Result<(), AppError> {
    for (field, v, max) in [
        ("name", &p.name, 100),
        ("phone", &p.phone, 32),
        ("email", &p.email, 254),
    ] {
        if let Some(v) = v
            && (v.chars().count() > max || v.chars().any(|c| c.is_control()))
        {
            return Err(AppError::invalid(
                field,
                format!("must be at most {max} characters without control characters"),
            ));
        }
    }
    if let Some(e) = &p.email
        && !e.contains('@')
    {
        return Err(AppError::invalid("email", "must contain @"));
    }
    if let Some(b) = &p.birthday
        && b.parse::<jiff::civil::Date>().is_err()
    {
        return Err(AppError::invalid("birthday", "must be a date YYYY-MM-DD"));
    }
    Ok(())
}

impl NewMember {
    pub fn validate(&self) -> Result<(), AppError> {
        validate_profile(&self.profile)?;
        if self.identities.len() > 32 {
            return Err(AppError::invalid("identities", "at most 32 per member"));
        }
        if let Some(r) = &self.referrer {
            r.validate()?;
        }
        for (f, v) in [("device_id", &self.device_id), ("ip", &self.ip)] {
            if let Some(v) = v {
                check_id(f, v)?;
            }
        }
        for (i, id) in self.identities.iter().enumerate() {
            check_channel(&id.channel)?;
            check_id("external_id", &id.external_id)?;
            if self.identities[..i].iter().any(|o| o == id) {
                return Err(AppError::invalid(
                    "identities",
                    format!("{}:{} is listed twice", id.channel, id.external_id),
                ));
            }
        }
        Ok(())
    }
}

fn identity_free(tx: &mut Tx<'_>, ctx: &ProgramCtx, id: &Identity) -> Result<(), AppError> {
    if let Some(owner) = tx.member_by_identity(ctx.program.id, &id.channel, &id.external_id)? {
        return Err(AppError::conflict(
            "identity_taken",
            format!(
                "{}:{} already belongs to member {owner}",
                id.channel, id.external_id
            ),
            json!({"member_id": owner}),
        ));
    }
    Ok(())
}

pub fn create_member(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    m: &NewMember,
) -> Result<serde_json::Value, AppError> {
    m.validate()?;
    // Identities as stored: normalised, and two that normalise alike are one listed twice.
    let mut identities: Vec<Identity> = Vec::with_capacity(m.identities.len());
    for id in &m.identities {
        let id = Identity {
            channel: id.channel.clone(),
            external_id: normalize_external_id(&id.external_id)?,
        };
        if identities.contains(&id) {
            return Err(AppError::invalid(
                "identities",
                format!("{}:{} is listed twice", id.channel, id.external_id),
            ));
        }
        identities.push(id);
    }
    for id in &identities {
        identity_free(tx, ctx, id)?;
    }
    let rules = ctx.earn.rules.clone();
    // The inviter is found and locked before the first write; a member cannot refer itself,
    // which for a new member means by the same phone number or email.
    let inviter = match &m.referrer {
        None => None,
        Some(r) => {
            let inviter = resolve(tx, ctx, r)?;
            let same = |a: &Option<String>, b: &Option<String>| {
                a.as_ref()
                    .is_some_and(|a| b.as_ref().is_some_and(|b| a.eq_ignore_ascii_case(b)))
            };
            if same(&inviter.profile.phone, &m.profile.phone)
                || same(&inviter.profile.email, &m.profile.email)
            {
                return Err(AppError::conflict(
                    "self_referral",
                    "a member cannot refer itself (the referrer has the same phone or email)",
                    json!({"referrer_id": inviter.id}),
                ));
            }
            let b = books(tx, ctx, inviter.id)?;
            Some((inviter, b))
        }
    };
    // Anti-fraud: a device shared by many members, or a phone many members share, holds the
    // sign-up and referral rewards for review. Decided before the first write.
    let traces = crate::earn::traces(m.device_id.as_deref(), m.ip.as_deref());
    let mut hold = crate::earn::assess(
        tx,
        ctx,
        MemberId(0),
        &jifen_rules::Trigger::Referral,
        &traces,
        now,
    )?;
    if hold.is_none()
        && let (Some(max), Some(phone)) = (
            ctx.earn.settings.risk.phone_members_max,
            m.profile.phone.as_deref(),
        )
    {
        let n = tx.members_with_phone(ctx.program.id, phone)? + 1;
        if n > max as i64 {
            hold = Some(format!("phone shared by {n} members (limit {max})"));
        }
    }
    let member = tx.insert_member(ctx.program.id, &m.profile, now)?;
    for id in &identities {
        tx.insert_identity(ctx.program.id, member, &id.channel, &id.external_id, now)?;
    }
    crate::earn::note_traces(tx, ctx, member, &traces, now)?;
    let mut rewards = Vec::new();
    let signs_up = !rules.for_trigger(&jifen_rules::Trigger::SignUp).is_empty();
    let refers = inviter.is_some()
        && !rules
            .for_trigger(&jifen_rules::Trigger::Referral)
            .is_empty();
    if signs_up || inviter.is_some() {
        let row = tx
            .member(ctx.program.id, member)?
            .expect("member just created");
        let mut own = books(tx, ctx, member)?;
        if signs_up {
            rewards.push(crate::earn::system_event(
                tx,
                ctx,
                &row,
                &mut own,
                &jifen_rules::Trigger::SignUp,
                &format!("sign_up:{member}"),
                &[],
                hold.as_deref(),
                None,
                now,
            )?);
        }
        if let Some((inviter, mut inviter_books)) = inviter {
            tx.insert_referral(ctx.program.id, member, inviter.id, now)?;
            if refers {
                rewards.extend(crate::earn::referral_rewards(
                    tx,
                    ctx,
                    (&row, &mut own),
                    (&inviter, &mut inviter_books),
                    "sign_up",
                    None,
                    hold.as_deref(),
                    now,
                )?);
            }
        }
    }
    let mut view = crate::views::member_view(tx, ctx, member, now)?;
    if !rewards.is_empty() {
        view["rewards"] = json!(rewards);
    }
    Ok(view)
}

pub fn add_identity(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    member: &MemberRef,
    id: &Identity,
) -> Result<serde_json::Value, AppError> {
    check_channel(&id.channel)?;
    let id = &Identity {
        channel: id.channel.clone(),
        external_id: normalize_external_id(&id.external_id)?,
    };
    let m = resolve(tx, ctx, member)?;
    identity_free(tx, ctx, id)?;
    tx.insert_identity(ctx.program.id, m.id, &id.channel, &id.external_id, now)?;
    crate::views::member_view(tx, ctx, m.id, now)
}

// ---- purchases and refunds -----------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineItem {
    pub sku: String,
    #[serde(default)]
    pub category: Option<String>,
    pub quantity: i64,
    /// Price of one unit in minor units.
    pub price_minor: i64,
    /// `item` (the default), `shipping` or `discount`: only items earn category and SKU points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

impl LineItem {
    pub fn is_item(&self) -> bool {
        self.kind.as_deref().is_none_or(|k| k == "item")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purchase {
    pub order_id: String,
    pub member: MemberRef,
    /// What the member paid, in minor units (fen, cents): points are earned on this.
    pub amount_minor: i64,
    pub currency: String,
    #[serde(default)]
    pub lines: Vec<LineItem>,
    /// When the purchase happened; defaults to now. Imports of history pass the original time.
    #[serde(default)]
    pub occurred_at: Option<Millis>,
    /// Shipping included in `amount_minor`: it earns no points. When absent, the sum of the
    /// lines of kind `shipping`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_minor: Option<i64>,
    /// The channel the order came from, for rules; the member reference's channel when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

impl Purchase {
    /// The amount points are earned on: what was paid, less shipping.
    pub fn points_base_minor(&self) -> i64 {
        let shipping = self.shipping_minor.unwrap_or_else(|| {
            self.lines
                .iter()
                .filter(|l| l.kind.as_deref() == Some("shipping"))
                .map(|l| l.price_minor.saturating_mul(l.quantity))
                .sum()
        });
        (self.amount_minor - shipping.clamp(0, self.amount_minor)).max(0)
    }

    pub fn validate(&self) -> Result<(), AppError> {
        check_id("order_id", &self.order_id)?;
        self.member.validate()?;
        check_money("amount_minor", self.amount_minor)?;
        if self.currency.len() != 3 || !self.currency.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(AppError::invalid(
                "currency",
                "must be a three-letter ISO 4217 code such as CNY",
            ));
        }
        if self.lines.len() > LINES_MAX {
            return Err(AppError::invalid(
                "lines",
                format!("at most {LINES_MAX} line items"),
            ));
        }
        for (i, l) in self.lines.iter().enumerate() {
            check_id(&format!("lines[{i}].sku"), &l.sku)?;
            if let Some(c) = &l.category {
                check_id(&format!("lines[{i}].category"), c)?;
            }
            if !(1..=1_000_000).contains(&l.quantity) {
                return Err(AppError::invalid(
                    format!("lines[{i}].quantity"),
                    "must be between 1 and 1000000",
                ));
            }
            if !(0..=MONEY_MINOR_MAX).contains(&l.price_minor) {
                return Err(AppError::invalid(
                    format!("lines[{i}].price_minor"),
                    format!("must be between 0 and {MONEY_MINOR_MAX}"),
                ));
            }
            if let Some(k) = &l.kind
                && !["item", "shipping", "discount"].contains(&k.as_str())
            {
                return Err(AppError::invalid(
                    format!("lines[{i}].kind"),
                    "must be item, shipping or discount",
                ));
            }
        }
        if let Some(s) = self.shipping_minor
            && !(0..=self.amount_minor).contains(&s)
        {
            return Err(AppError::invalid(
                "shipping_minor",
                "must be between 0 and amount_minor",
            ));
        }
        if let Some(c) = &self.channel {
            check_channel(c)?;
        }
        if self.tags.len() > crate::earn::EVENT_TAGS_MAX {
            return Err(AppError::invalid(
                "tags",
                format!("at most {}", crate::earn::EVENT_TAGS_MAX),
            ));
        }
        for t in &self.tags {
            check_id("tags", t)?;
        }
        Ok(())
    }
}

/// What the programme's base rate gives a purchase; earning rules add their awards to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EarnDecision {
    pub points: i64,
    pub growth: i64,
}

/// The programme's base rate: points and growth per currency unit paid, the points multiplied
/// by the member's tier multiplier (a percentage, rounded down). Growth is not multiplied: it is
/// what qualifies for tiers.
pub fn base_earn(ctx: &ProgramCtx, p: &Purchase, multiplier_pct: u32) -> EarnDecision {
    let policy = &ctx.program.policy;
    let base = p.points_base_minor();
    let points = base_rate_points(base, policy.points_per_unit);
    EarnDecision {
        points: (points as i128 * multiplier_pct as i128 / 100) as i64,
        growth: base_rate_points(base, policy.growth_per_unit),
    }
}

pub fn purchase(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    p: &Purchase,
) -> Result<serde_json::Value, AppError> {
    p.validate()?;
    let program = &ctx.program;
    if p.currency != program.currency {
        return Err(AppError::invalid(
            "currency",
            format!(
                "this programme takes {}, got {}",
                program.currency, p.currency
            ),
        ));
    }
    let occurred = p.occurred_at.unwrap_or(now);
    if occurred > now + OCCURRED_AHEAD_MAX_MS {
        return Err(AppError::invalid(
            "occurred_at",
            "must not be in the future",
        ));
    }
    if occurred < OCCURRED_AT_MIN {
        return Err(AppError::invalid(
            "occurred_at",
            "must be on or after 2000-01-01",
        ));
    }
    // A first purchase under referral rules also pays (and locks) the inviter: lock the two
    // members in id order, as transfers do, so that no two commands wait on each other.
    if !ctx
        .earn
        .rules
        .for_trigger(&jifen_rules::Trigger::Referral)
        .is_empty()
    {
        let pre = resolve(tx, ctx, &p.member)?;
        if let Some((inviter, None)) = tx.referral_of(program.id, pre.id)?
            && let Some(inviter) = survivor(tx, ctx, inviter)?
            && inviter < pre.id
        {
            self::books(tx, ctx, inviter)?;
        }
    }
    let (member, mut books) = resolve_locked(tx, ctx, &p.member)?;
    // The member's tier at the time of the purchase sets the multiplier and the validity.
    let tier = crate::tiers::tier_code(tx, ctx, member.id, occurred)?;
    let earn = base_earn(
        ctx,
        p,
        crate::tiers::benefits_of(ctx, &tier).earn_multiplier_pct,
    );
    // Everything that can refuse the purchase is decided before its first write.
    let mut posting = Posting::default();
    let refs = Refs {
        order_ref: Some(p.order_id.clone()),
        ..Default::default()
    };
    let mut earned = Vec::new();
    for (pt, amount) in [
        (PointType::Points, earn.points),
        (PointType::Growth, earn.growth),
    ] {
        if amount <= 0 {
            continue;
        }
        let b = &mut books[pt as usize];
        // Growth value counts toward tiers at once and never expires; points wait out the
        // return window and expire per the programme's validity.
        let (available_at, expires_at) = match pt {
            // A frozen member earns into pending; unfreezing releases them.
            PointType::Points if member.status == "frozen" => (
                crate::members::FROZEN_UNTIL,
                crate::tiers::points_expiry(ctx, &tier, occurred),
            ),
            PointType::Points => (
                program.policy.available_at(occurred),
                crate::tiers::points_expiry(ctx, &tier, occurred),
            ),
            PointType::Growth => (occurred, None),
        };
        let spec = CreditSpec {
            code: code::PURCHASE,
            source: ctx.system.get(SystemAccount::IssuancePurchase, pt),
            amount: points("amount_minor", amount)?,
            earned_at: occurred,
            available_at,
            expires_at,
        };
        let (t, _) = ops::credit(&mut posting, b, &spec, &refs, now);
        let Ref::New(index) = t else {
            unreachable!("a credit creates a transfer")
        };
        let status = if available_at > now {
            "pending"
        } else {
            "available"
        };
        earned.push((pt, index, json!({"amount": amount, "status": status, "available_at": available_at, "expires_at": expires_at})));
    }
    let rules = crate::earn::purchase_awards(
        tx,
        ctx,
        &mut posting,
        &mut books,
        &member,
        p,
        occurred,
        now,
        earn,
        &tier,
    )?;
    let from_rules = |pt| rules.eval.total(pt);
    // An order's points are reversed as one operation: its total stays within the maximum.
    for pt in PointType::ALL {
        let base = if pt == PointType::Points {
            earn.points
        } else {
            earn.growth
        };
        if base + from_rules(pt) > jifen_ledger::POINTS_PER_OPERATION_MAX {
            return Err(AppError::invalid(
                "amount_minor",
                format!(
                    "this purchase would earn more than {} {} in one order",
                    jifen_ledger::POINTS_PER_OPERATION_MAX,
                    pt.as_str()
                ),
            ));
        }
    }
    // Recording the order is the command's first write: a taken order id writes nothing.
    let recorded = tx.insert_order(&Order {
        program: program.id,
        order_id: p.order_id.clone(),
        member: member.id,
        paid_minor: p.amount_minor,
        currency: p.currency.clone(),
        refunded_minor: 0,
        points_earned: earn.points + from_rules(PointType::Points),
        points_reversed: 0,
        points_expiry_covered: 0,
        growth_earned: earn.growth + from_rules(PointType::Growth),
        growth_reversed: 0,
        lines_json: serde_json::to_string(&p.lines).expect("lines serialize"),
        created_at: occurred,
    })?;
    if !recorded {
        let existing = tx.order(program.id, &p.order_id)?.map(|o| o.member);
        return Err(AppError::conflict(
            "order_exists",
            format!("order {} was already recorded", p.order_id),
            json!({"order_id": p.order_id, "member_id": existing}),
        ));
    }
    let applied = tx.apply(program.id, &posting, &ctx.system, now)?;
    let mut views = serde_json::Map::new();
    for (pt, index, mut v) in earned {
        v["transfer_id"] = json!(applied.transfers[index]);
        views.insert(pt.as_str().into(), v);
    }
    let mut out = json!({
        "order_id": p.order_id,
        "member_id": member.id,
        "amount_minor": p.amount_minor,
        "currency": p.currency,
        "earned": views,
    });
    let mut rv = crate::earn::record_purchase(
        tx,
        ctx,
        &rules,
        member.id,
        p,
        occurred,
        &applied.transfers,
        now,
    )?;
    // The answer names the rules when the programme has purchase rules; otherwise it stays
    // the ledger's answer alone.
    if !ctx
        .earn
        .rules
        .for_trigger(&jifen_rules::Trigger::Purchase)
        .is_empty()
    {
        out["total"] = json!({
            "points": earn.points + from_rules(PointType::Points),
            "growth": earn.growth + from_rules(PointType::Growth),
        });
        out["awards"] = rv["awards"].take();
        out["rules"] = rv["rules"].take();
    }
    // Crossing a tier threshold upgrades the member in this same request.
    if let Some(change) = crate::tiers::check_upgrade(
        tx,
        ctx,
        member.id,
        &mut books,
        now,
        &format!("purchase {}", p.order_id),
    )? {
        out["tier_change"] = change;
    }
    if !ctx
        .earn
        .rules
        .for_trigger(&jifen_rules::Trigger::Referral)
        .is_empty()
        && let Some((inviter, None)) = tx.referral_of(program.id, member.id)?
    {
        // The invitee's first purchase: referral rules of stage first_purchase pay both.
        tx.set_referral_first_purchase(program.id, member.id, Some(&p.order_id))?;
        // A merged inviter is rewarded as the member it was merged into.
        if let Some(inviter) = survivor(tx, ctx, inviter)?
            && let Some(inviter) = tx.member(program.id, inviter)?
            && inviter.id != member.id
        {
            let mut inviter_books = self::books(tx, ctx, inviter.id)?;
            let rewards = crate::earn::referral_rewards(
                tx,
                ctx,
                (&member, &mut books),
                (&inviter, &mut inviter_books),
                "first_purchase",
                Some(&p.order_id),
                None,
                now,
            )?;
            out["referral_rewards"] = json!(rewards);
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub order_id: String,
    /// The refunded amount in minor units; the whole remaining amount when absent.
    #[serde(default)]
    pub amount_minor: Option<i64>,
    #[serde(default)]
    pub reason: Option<String>,
}

pub fn refund(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    r: &Refund,
) -> Result<serde_json::Value, AppError> {
    check_id("order_id", &r.order_id)?;
    check_reason("reason", &r.reason, false)?;
    let program = &ctx.program;
    let not_found = || AppError::NotFound {
        what: "order",
        id: r.order_id.clone(),
    };
    let mut order = tx.order(program.id, &r.order_id)?.ok_or_else(not_found)?;
    // Lock the order's member, then read the order again: what another node refunded or merged
    // meanwhile is then part of what this refund sees.
    let locked_member = order.member;
    // Refunding an invitee's first purchase takes referral rewards back from the inviter too:
    // lock the two in id order.
    if order.refunded_minor < order.paid_minor
        && let Some((inviter, Some(first))) = tx.referral_of(program.id, locked_member)?
        && first == order.order_id
        && let Some(inviter) = survivor(tx, ctx, inviter)?
        && inviter < locked_member
    {
        books(tx, ctx, inviter)?;
    }
    let mut locked = books(tx, ctx, locked_member)?;
    order = tx.order(program.id, &r.order_id)?.ok_or_else(not_found)?;
    if order.member != locked_member {
        // A merge moved the order between the two reads: start again on the new member.
        return Err(StoreError::Conflict(format!(
            "order {} moved to another member",
            order.order_id
        ))
        .into());
    }
    let refundable = order.paid_minor - order.refunded_minor;
    let amount = r.amount_minor.unwrap_or(refundable);
    if refundable == 0 {
        return Err(AppError::conflict(
            "order_fully_refunded",
            format!("order {} is already fully refunded", r.order_id),
            json!({"refundable_minor": 0}),
        ));
    }
    check_money("amount_minor", amount)?;
    if amount > refundable {
        return Err(AppError::conflict(
            "refund_exceeds_order",
            format!(
                "refund of {amount} exceeds the {refundable} still refundable on order {}",
                r.order_id
            ),
            json!({"refundable_minor": refundable, "requested_minor": amount}),
        ));
    }
    let refs = Refs {
        order_ref: Some(order.order_id.clone()),
        reason: r.reason.clone(),
        actor: None,
    };
    // What the refund takes back: in proportion for the base rate; for rule awards, what no
    // longer qualifies on the order as it stands after the refund, here and on later orders of
    // the month whose bonuses counted this one.
    let plan = crate::earn::refund_withdrawals(tx, ctx, &order, amount)?;
    let own: [i64; 2] = match &plan {
        Some(ws) => ws[0].to_reverse,
        None => PointType::ALL.map(|pt| {
            proportional_reversal(
                order.earned(pt),
                order.paid_minor,
                order.refunded_minor,
                amount,
                order.reversed(pt),
            )
        }),
    };
    let (posting, outcomes) = reverse_order(tx, ctx, &mut order, own, &mut locked, &refs, now)?;
    order.refunded_minor += amount;
    tx.update_order_refund(&order)?;
    tx.apply(program.id, &posting, &ctx.system, now)?;
    let mut bonuses = Vec::new();
    if let Some(ws) = plan {
        crate::earn::store_withdrawal(tx, ctx, &ws[0])?;
        for w in &ws[1..] {
            let mut other = tx
                .order(program.id, &w.order_id)?
                .ok_or_else(|| StoreError::Corrupt(format!("order {} vanished", w.order_id)))?;
            let other_refs = Refs {
                order_ref: Some(other.order_id.clone()),
                reason: Some(format!(
                    "bonus no longer qualifies after the refund of order {}",
                    order.order_id
                )),
                actor: None,
            };
            let (p2, out2) = reverse_order(
                tx,
                ctx,
                &mut other,
                w.to_reverse,
                &mut locked,
                &other_refs,
                now,
            )?;
            tx.update_order_refund(&other)?;
            tx.apply(program.id, &p2, &ctx.system, now)?;
            crate::earn::store_withdrawal(tx, ctx, w)?;
            bonuses.push(json!({"order_id": other.order_id, "reversed": out2}));
        }
    }
    // A first purchase refunded in full takes its referral rewards back from both sides.
    let referral = if order.refunded_minor >= order.paid_minor {
        crate::earn::withdraw_referral(tx, ctx, &order, &mut locked, now)?
    } else {
        None
    };
    // The growth it took back may no longer hold the member's tier.
    let tier =
        crate::tiers::check_after_refund(tx, ctx, order.member, &mut locked, now, &order.order_id)?;
    let mut out = json!({
        "order_id": order.order_id,
        "member_id": order.member,
        "refunded_minor": amount,
        "order_refunded_minor": order.refunded_minor,
        "order_paid_minor": order.paid_minor,
        "reversed": outcomes,
    });
    if !bonuses.is_empty() {
        out["bonuses_reversed"] = json!(bonuses);
    }
    if let Some(r) = referral {
        out["referral_reversed"] = r;
    }
    if let Some(t) = tier {
        out["tier_change"] = t;
    }
    Ok(out)
}

/// Takes `to_reverse` back from an order (per point type), through the ledger's reversal:
/// the order's pending points, its unspent points, what expired, then the member's others,
/// then debt or write-off. Updates the order's counters in memory.
fn reverse_order(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    order: &mut Order,
    to_reverse: [i64; 2],
    locked: &mut [MemberBook; 2],
    refs: &Refs,
    now: Millis,
) -> Result<(Posting, serde_json::Map<String, serde_json::Value>), AppError> {
    let mut posting = Posting::default();
    let mut outcomes = serde_json::Map::new();
    for pt in PointType::ALL {
        // Never more than what is still unreversed on the order.
        let to_reverse = to_reverse[pt as usize].min(order.earned(pt) - order.reversed(pt));
        if to_reverse <= 0 {
            continue;
        }
        let covered = match pt {
            PointType::Points => order.points_expiry_covered,
            PointType::Growth => 0,
        };
        let out = reverse_ref(
            tx,
            ctx,
            &mut posting,
            &mut locked[pt as usize],
            order.member,
            &order.order_id,
            to_reverse,
            covered,
            refs,
            now,
        )?;
        match pt {
            PointType::Points => {
                order.points_reversed += to_reverse;
                order.points_expiry_covered += out.covered_by_expiry;
            }
            PointType::Growth => order.growth_reversed += to_reverse,
        }
        outcomes.insert(
            pt.as_str().into(),
            serde_json::to_value(out).expect("serializes"),
        );
    }
    assert!(
        order.points_reversed <= order.points_earned
            && order.growth_reversed <= order.growth_earned
    );
    Ok((posting, outcomes))
}

/// Takes `amount` back from what was credited under `order_ref` (an order, or a bonus tied to
/// one), through the ledger's reversal: its pending points, its unspent points, what expired
/// beyond `covered` (counted once), then the member's other points, then debt or write-off.
pub(crate) fn reverse_ref(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    posting: &mut Posting,
    b: &mut MemberBook,
    member: MemberId,
    order_ref: &str,
    amount: i64,
    covered: i64,
    refs: &Refs,
    now: Millis,
) -> Result<ReversalOutcome, AppError> {
    let program = &ctx.program;
    let pt = b.point_type;
    let order_lots = tx.order_lots(b.balance, order_ref)?;
    let expired_uncovered = match pt {
        PointType::Points => tx.order_expired(program.id, member, order_ref)? - covered,
        PointType::Growth => 0,
    };
    let others: Vec<Lot> = tx
        .open_lots(b.balance)?
        .into_iter()
        .filter(|l| l.order_ref.as_deref() != Some(order_ref))
        .collect();
    let shortfall = match pt {
        PointType::Points => program.policy.shortfall,
        PointType::Growth => ShortfallPolicy::WriteOff,
    };
    let accounts = ReversalAccounts {
        reversal: ctx.system.get(SystemAccount::Reversal, pt),
        write_off: ctx.system.get(SystemAccount::WriteOff, pt),
    };
    Ok(ops::reverse_earn(
        posting,
        &order_lots,
        expired_uncovered,
        &others,
        b,
        points("amount", amount)?,
        shortfall,
        program.policy.clawback_pending_first,
        accounts,
        refs,
        now,
    ))
}

// ---- spending and reservations -------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spend {
    pub member: MemberRef,
    pub amount: i64,
    pub reason: Option<String>,
    /// The merchant's reference (a mall order, a checkout).
    #[serde(default)]
    pub order_ref: Option<String>,
}

impl Spend {
    pub fn validate(&self) -> Result<(), AppError> {
        self.member.validate()?;
        points("amount", self.amount)?;
        check_reason("reason", &self.reason, false)?;
        if let Some(o) = &self.order_ref {
            check_id("order_ref", o)?;
        }
        Ok(())
    }
}

pub fn spend(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    s: &Spend,
) -> Result<serde_json::Value, AppError> {
    s.validate()?;
    let (member, [b, _]) = resolve_locked(tx, ctx, &s.member)?;
    refuse_frozen(&member)?;
    let lots = tx.spendable_lots(b.balance, now)?;
    let mut posting = Posting::default();
    let refs = Refs {
        order_ref: s.order_ref.clone(),
        reason: s.reason.clone(),
        actor: None,
    };
    let sink = ctx.system.get(SystemAccount::Redemption, PointType::Points);
    let (_, draws) = ops::spend(
        &mut posting,
        &lots,
        &b,
        sink,
        points("amount", s.amount)?,
        code::REDEMPTION,
        Phase::Posted,
        &refs,
        now,
    )?;
    let applied = tx.apply(ctx.program.id, &posting, &ctx.system, now)?;
    Ok(json!({
        "transfer_id": applied.transfers[0],
        "member_id": member.id,
        "amount": s.amount,
        "draws": draws.iter().map(|(l, a)| json!({"lot_id": l, "amount": a})).collect::<Vec<_>>(),
    }))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reserve {
    pub member: MemberRef,
    pub amount: i64,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub order_ref: Option<String>,
    /// Seconds until an unsettled reservation is voided by the jobs.
    #[serde(default)]
    pub ttl_seconds: Option<i64>,
    /// Set by the use cases that reserve for an object of their own (a checkout deduction);
    /// never read from a request.
    #[serde(skip)]
    pub owner: Option<ReservationOwner>,
}

pub fn reserve(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    r: &Reserve,
) -> Result<serde_json::Value, AppError> {
    Spend {
        member: r.member.clone(),
        amount: r.amount,
        reason: r.reason.clone(),
        order_ref: r.order_ref.clone(),
    }
    .validate()?;
    let ttl = r.ttl_seconds.unwrap_or(RESERVATION_TTL_DEFAULT_SECONDS);
    if !(1..=RESERVATION_TTL_MAX_SECONDS).contains(&ttl) {
        return Err(AppError::invalid(
            "ttl_seconds",
            format!("must be between 1 and {RESERVATION_TTL_MAX_SECONDS}"),
        ));
    }
    let (member, [b, _]) = resolve_locked(tx, ctx, &r.member)?;
    refuse_frozen(&member)?;
    let lots = tx.spendable_lots(b.balance, now)?;
    let mut posting = Posting::default();
    let refs = Refs {
        order_ref: r.order_ref.clone(),
        reason: r.reason.clone(),
        actor: None,
    };
    let sink = ctx.system.get(SystemAccount::Redemption, PointType::Points);
    ops::spend(
        &mut posting,
        &lots,
        &b,
        sink,
        points("amount", r.amount)?,
        code::RESERVATION,
        Phase::Pending,
        &refs,
        now,
    )?;
    let applied = tx.apply(ctx.program.id, &posting, &ctx.system, now)?;
    let res = Reservation {
        program: ctx.program.id,
        transfer: applied.transfers[0],
        member: member.id,
        amount: r.amount,
        state: ReservationState::Open,
        expires_at: now + ttl * 1000,
        order_ref: r.order_ref.clone(),
        created_at: now,
        owner: r.owner.clone(),
    };
    tx.insert_reservation(&res)?;
    Ok(reservation_view(&res))
}

fn reservation_view(r: &Reservation) -> serde_json::Value {
    json!({
        "reservation_id": r.transfer,
        "member_id": r.member,
        "amount": r.amount,
        "state": r.state,
        "expires_at": r.expires_at,
        "order_ref": r.order_ref,
    })
}

/// Refuses to move a reservation that belongs to another object than the caller: points a mall
/// order or a checkout deduction holds move only through that order or deduction, so that its
/// state, its stock and its points never disagree.
fn check_owner(res: &Reservation, by: Option<&ReservationOwner>) -> Result<(), AppError> {
    if res.owner.as_ref() == by {
        return Ok(());
    }
    let id = res.transfer.0;
    Err(match &res.owner {
        Some(ReservationOwner::MallOrder { order_id }) => AppError::conflict(
            "reservation_owned",
            format!(
                "reservation {id} belongs to mall order {order_id}; cancel or refund the order \
                 (POST /api/v1/mall/orders/{order_id}/cancel or /refund)"
            ),
            json!({"reservation_id": id, "owner": {"kind": "mall_order", "order_id": order_id}}),
        ),
        Some(ReservationOwner::Checkout { order_id }) => AppError::conflict(
            "reservation_owned",
            format!(
                "reservation {id} belongs to the checkout deduction of order {order_id}; settle it \
                 through POST /api/v1/checkout/deductions/{id}/post, /void or /refunds"
            ),
            json!({"reservation_id": id, "owner": {"kind": "checkout", "order_id": order_id}}),
        ),
        None => AppError::conflict(
            "reservation_not_owned",
            format!("reservation {id} was made through the reservation API; settle it there"),
            json!({"reservation_id": id, "owner": null}),
        ),
    })
}

fn open_reservation(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    id: i64,
    by: Option<&ReservationOwner>,
) -> Result<(Reservation, ops::TransferInfo), AppError> {
    let res = tx
        .reservation(ctx.program.id, TransferId(id))?
        .ok_or_else(|| AppError::NotFound {
            what: "reservation",
            id: id.to_string(),
        })?;
    // Lock the member before reading the reservation's state for the decision.
    book(tx, ctx, res.member, PointType::Points)?;
    let res = tx
        .reservation(ctx.program.id, TransferId(id))?
        .expect("reservation still exists");
    check_owner(&res, by)?;
    if res.state != ReservationState::Open {
        return Err(AppError::conflict(
            "reservation_not_open",
            format!("reservation {id} is already {}", res.state.as_str()),
            json!({"reservation_id": id, "state": res.state}),
        ));
    }
    let t = tx
        .transfer(ctx.program.id, res.transfer)?
        .ok_or_else(|| StoreError::Corrupt(format!("reservation {id} has no transfer")))?;
    Ok((res, t))
}

/// Posts a reservation made through the reservation API (one with an owner is refused).
pub fn post_reservation(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    id: i64,
) -> Result<serde_json::Value, AppError> {
    post_reservation_by(tx, ctx, now, id, None)
}

/// Posts a reservation on behalf of its owner (`None`: the reservation API).
pub fn post_reservation_by(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    id: i64,
    by: Option<&ReservationOwner>,
) -> Result<serde_json::Value, AppError> {
    let (mut res, t) = open_reservation(tx, ctx, id, by)?;
    let draws: Vec<(LotId, i64)> = tx
        .draws(t.id)?
        .into_iter()
        .map(|(l, a)| (l.id, a))
        .collect();
    let mut posting = Posting::default();
    ops::post_reservation(&mut posting, &t, &draws, &Refs::default());
    tx.set_reservation_state(ctx.program.id, res.transfer, ReservationState::Posted)?;
    tx.apply(ctx.program.id, &posting, &ctx.system, now)?;
    res.state = ReservationState::Posted;
    Ok(reservation_view(&res))
}

/// Voids a reservation made through the reservation API (one with an owner is refused).
pub fn void_reservation(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    id: i64,
    reason: Option<String>,
) -> Result<serde_json::Value, AppError> {
    void_reservation_by(tx, ctx, now, id, reason, None)
}

/// Voids a reservation on behalf of its owner (`None`: the reservation API).
pub fn void_reservation_by(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    id: i64,
    reason: Option<String>,
    by: Option<&ReservationOwner>,
) -> Result<serde_json::Value, AppError> {
    check_reason("reason", &reason, false)?;
    let (mut res, t) = open_reservation(tx, ctx, id, by)?;
    let draws = tx.draws(t.id)?;
    let mut posting = Posting::default();
    let expiry = ctx.system.get(SystemAccount::Expiry, PointType::Points);
    let refs = Refs {
        reason,
        ..Default::default()
    };
    let expired = ops::void_reservation(&mut posting, &t, &draws, expiry, &refs, now);
    tx.set_reservation_state(ctx.program.id, res.transfer, ReservationState::Voided)?;
    tx.apply(ctx.program.id, &posting, &ctx.system, now)?;
    res.state = ReservationState::Voided;
    let mut v = reservation_view(&res);
    v["returned_expired"] = json!(expired);
    Ok(v)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedemptionRefund {
    /// The spend (`transfer_id` of a spend) or posted reservation (`reservation_id`) to refund.
    pub transfer_id: i64,
    /// Points to give back; all that is left when absent.
    #[serde(default)]
    pub amount: Option<i64>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// Refunds a spend, or a posted reservation made through the reservation API (one with an
/// owner is refused).
pub fn refund_redemption(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    r: &RedemptionRefund,
) -> Result<serde_json::Value, AppError> {
    refund_redemption_by(tx, ctx, now, r, None)
}

/// Refunds a spend or posted reservation on behalf of its owner (`None`: the API).
pub fn refund_redemption_by(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    r: &RedemptionRefund,
    by: Option<&ReservationOwner>,
) -> Result<serde_json::Value, AppError> {
    check_reason("reason", &r.reason, false)?;
    let program = ctx.program.id;
    let t = tx
        .transfer(program, TransferId(r.transfer_id))?
        .ok_or_else(|| AppError::NotFound {
            what: "spend",
            id: r.transfer_id.to_string(),
        })?;
    let refundable_kind = match (t.code.as_str(), t.phase) {
        (code::REDEMPTION, Phase::Posted) => true,
        (code::RESERVATION, Phase::Pending) => {
            let res = tx.reservation(program, t.id)?;
            if let Some(res) = &res {
                check_owner(res, by)?;
            }
            if res.as_ref().map(|r| r.state) != Some(ReservationState::Posted) {
                return Err(AppError::conflict(
                    "reservation_not_posted",
                    format!("reservation {} is not posted; void it instead", t.id),
                    json!({"reservation_id": t.id}),
                ));
            }
            true
        }
        _ => false,
    };
    if !refundable_kind {
        return Err(AppError::invalid(
            "transfer_id",
            format!("transfer {} is a {}, not a spend", t.id, t.code),
        ));
    }
    let member = t
        .member
        .ok_or_else(|| StoreError::Corrupt(format!("spend {} has no member", t.id)))?;
    // The spend's lots belong to the member who spent; once that member is merged into another,
    // restoring them would credit an account nobody can reach.
    if let Some(m) = tx.member(ctx.program.id, member)?
        && let Some(into) = m.merged_into
    {
        return Err(AppError::conflict(
            "member_merged",
            format!(
                "member {member} was merged into {into}; refund this spend with a manual adjustment"
            ),
            json!({"member_id": member, "merged_into": into}),
        ));
    }
    book(tx, ctx, member, PointType::Points)?;
    let draws = tx.spent_draws(t.id)?;
    let restorable: i64 = draws.iter().map(|d| d.drawn - d.restored).sum();
    let amount = r.amount.unwrap_or(restorable);
    if restorable == 0 {
        return Err(AppError::conflict(
            "spend_fully_refunded",
            format!("spend {} is already fully refunded", t.id),
            json!({"restorable": 0}),
        ));
    }
    let amount = points("amount", amount)?;
    let mut posting = Posting::default();
    let refs = Refs {
        order_ref: None,
        reason: r.reason.clone(),
        actor: None,
    };
    let expiry = ctx.system.get(SystemAccount::Expiry, PointType::Points);
    let out: RestoreOutcome =
        ops::reverse_spend(&mut posting, &t, &draws, amount, expiry, &refs, now)?;
    let applied = tx.apply(program, &posting, &ctx.system, now)?;
    Ok(json!({
        "transfer_id": applied.transfers[0],
        "refund_of": t.id,
        "member_id": member,
        "restored": out.restored,
        "restored_expired": out.restored_expired,
        "still_refundable": restorable - out.restored,
    }))
}

// ---- transfers, adjustments, merges --------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberTransfer {
    pub from: MemberRef,
    pub to: MemberRef,
    pub amount: i64,
    #[serde(default)]
    pub reason: Option<String>,
    /// Where the sender asked from, for the programme's risk checks (as behaviour events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
}

pub fn transfer(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    t: &MemberTransfer,
) -> Result<serde_json::Value, AppError> {
    t.from.validate()?;
    t.to.validate()?;
    check_reason("reason", &t.reason, false)?;
    let amount = points("amount", t.amount)?;
    let from = resolve(tx, ctx, &t.from)?;
    let to = resolve(tx, ctx, &t.to)?;
    refuse_frozen(&from)?;
    refuse_frozen(&to)?;
    if from.id == to.id {
        return Err(LedgerError::SameMember.into());
    }
    // Transferring points (积分转赠) is a tier benefit: tiers may withhold it.
    let tier = crate::tiers::tier_code(tx, ctx, from.id, now)?;
    if !crate::tiers::benefits_of(ctx, &tier).transfer_allowed {
        return Err(AppError::conflict(
            "transfer_not_allowed",
            format!("members at tier {tier} may not transfer points to other members"),
            json!({"member_id": from.id, "tier": tier}),
        ));
    }
    // Lock both members in id order so two opposite transfers cannot deadlock.
    let (first, second) = if from.id < to.id {
        (from.id, to.id)
    } else {
        (to.id, from.id)
    };
    let b1 = book(tx, ctx, first, PointType::Points)?;
    let b2 = book(tx, ctx, second, PointType::Points)?;
    let (from_book, mut to_book) = if first == from.id { (b1, b2) } else { (b2, b1) };
    // The limits are read under both members' locks, so concurrent transfers cannot pass them.
    check_transfer_limits(tx, ctx, now, from.id, to.id, t.amount)?;
    // The risk checks behaviour events get: velocity per device or address, and members per
    // device (accounts funnelling points through one phone). A transfer is refused, not held.
    let mut traces = Vec::new();
    for (key, v) in [
        (jifen_rules::signin::RiskKey::Device, &t.device_id),
        (jifen_rules::signin::RiskKey::Ip, &t.ip),
    ] {
        if let Some(v) = v {
            check_id(key.as_str(), v)?;
            traces.push((key, v.as_str()));
        }
    }
    if let Some(reason) = crate::earn::assess_traces(tx, ctx, from.id, true, &traces, now)? {
        return Err(AppError::conflict(
            "transfer_risk",
            format!("refused by the programme's risk checks: {reason}"),
            json!({"reason": reason}),
        ));
    }
    let lots = tx.spendable_lots(from_book.balance, now)?;
    let mut posting = Posting::default();
    let refs = Refs {
        order_ref: None,
        reason: t.reason.clone(),
        actor: None,
    };
    ops::transfer_between(
        &mut posting,
        &lots,
        &from_book,
        &mut to_book,
        amount,
        code::MEMBER_TRANSFER,
        &refs,
        now,
    )?;
    let applied = tx.apply(ctx.program.id, &posting, &ctx.system, now)?;
    crate::earn::note_traces(tx, ctx, from.id, &traces, now)?;
    Ok(
        json!({"transfer_id": applied.transfers[0], "from_member_id": from.id, "to_member_id": to.id, "amount": t.amount}),
    )
}

/// Refuses a transfer past the programme's limits (`transfer_limit`, naming the limit, what
/// was used and what is left).
fn check_transfer_limits(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    from: MemberId,
    to: MemberId,
    amount: i64,
) -> Result<(), AppError> {
    let l = &ctx.earn.settings.transfers;
    if *l == Default::default() {
        return Ok(());
    }
    let today = crate::earn::local_date(now, &ctx.tz);
    let day = crate::earn::start_of(today, &ctx.tz);
    let month = crate::earn::start_of(today.first_of_month(), &ctx.tz);
    let program = ctx.program.id;
    let refuse = |limit: &str, max: i64, used: i64, what: &str| {
        AppError::conflict(
            "transfer_limit",
            format!("{what}: at most {max}, {used} used"),
            json!({"limit": limit, "max": max, "used": used, "left": (max - used).max(0)}),
        )
    };
    if l.daily_points_max.is_some() || l.daily_count_max.is_some() {
        let (n, points) = tx.member_transfers_since(program, from, day, false)?;
        if let Some(max) = l.daily_count_max
            && n + 1 > max
        {
            return Err(refuse(
                "daily_count_max",
                max,
                n,
                "transfers a member makes in a day",
            ));
        }
        if let Some(max) = l.daily_points_max
            && points + amount > max
        {
            return Err(refuse(
                "daily_points_max",
                max,
                points,
                "points a member gives in a day",
            ));
        }
    }
    if let Some(max) = l.monthly_points_max {
        let (_, points) = tx.member_transfers_since(program, from, month, false)?;
        if points + amount > max {
            return Err(refuse(
                "monthly_points_max",
                max,
                points,
                "points a member gives in a month",
            ));
        }
    }
    if let Some(max) = l.received_daily_points_max {
        let (_, points) = tx.member_transfers_since(program, to, day, true)?;
        if points + amount > max {
            return Err(refuse(
                "received_daily_points_max",
                max,
                points,
                "points a member receives in a day",
            ));
        }
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjustment {
    pub member: MemberRef,
    /// Positive credits points, negative debits them.
    pub delta: i64,
    #[serde(default = "default_point_type")]
    pub point_type: PointType,
    pub reason: Option<String>,
    /// Who made the adjustment (a staff account or system name).
    pub actor: Option<String>,
}

fn default_point_type() -> PointType {
    PointType::Points
}

impl Adjustment {
    pub fn validate(&self) -> Result<(), AppError> {
        self.member.validate()?;
        check_reason("reason", &self.reason, true)?;
        check_reason("actor", &self.actor, true)?;
        if self.delta == 0 {
            return Err(AppError::invalid("delta", "must not be zero"));
        }
        points("delta", self.delta.checked_abs().unwrap_or(i64::MAX))?;
        Ok(())
    }
}

pub fn adjust(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    a: &Adjustment,
) -> Result<serde_json::Value, AppError> {
    a.validate()?;
    let amount = points("delta", a.delta.checked_abs().unwrap_or(i64::MAX))?;
    let member = resolve(tx, ctx, &a.member)?;
    let mut b = book(tx, ctx, member.id, a.point_type)?;
    let refs = Refs {
        order_ref: None,
        reason: a.reason.clone(),
        actor: a.actor.clone(),
    };
    let issuer = ctx.system.get(SystemAccount::IssuanceManual, a.point_type);
    let mut posting = Posting::default();
    if a.delta > 0 {
        let expires_at = match a.point_type {
            PointType::Points => ctx.program.policy.validity.expires_at(now, &ctx.tz),
            PointType::Growth => None,
        };
        let spec = CreditSpec {
            code: code::MANUAL_ADJUSTMENT,
            source: issuer,
            amount,
            earned_at: now,
            available_at: now,
            expires_at,
        };
        ops::credit(&mut posting, &mut b, &spec, &refs, now);
    } else {
        let lots = tx.spendable_lots(b.balance, now)?;
        ops::spend(
            &mut posting,
            &lots,
            &b,
            issuer,
            amount,
            code::MANUAL_ADJUSTMENT,
            Phase::Posted,
            &refs,
            now,
        )?;
    }
    let applied = tx.apply(ctx.program.id, &posting, &ctx.system, now)?;
    Ok(
        json!({"transfer_id": applied.transfers[0], "member_id": member.id, "delta": a.delta, "point_type": a.point_type}),
    )
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Merge {
    /// The member that disappears.
    pub from: MemberRef,
    /// The member that receives everything.
    pub into: MemberRef,
    pub reason: Option<String>,
    pub actor: Option<String>,
}

pub fn merge(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    m: &Merge,
) -> Result<serde_json::Value, AppError> {
    m.from.validate()?;
    m.into.validate()?;
    check_reason("reason", &m.reason, true)?;
    check_reason("actor", &m.actor, true)?;
    let from = resolve(tx, ctx, &m.from)?;
    let into = resolve(tx, ctx, &m.into)?;
    if from.id == into.id {
        return Err(AppError::invalid(
            "into",
            "cannot merge a member into itself",
        ));
    }
    let program = ctx.program.id;
    let (first, second) = if from.id < into.id {
        (from.id, into.id)
    } else {
        (into.id, from.id)
    };
    let mut books = Vec::new();
    for pt in PointType::ALL {
        books.push((book(tx, ctx, first, pt)?, book(tx, ctx, second, pt)?));
    }
    let open = tx.open_reservation_count(program, from.id)?;
    if open > 0 {
        return Err(AppError::conflict(
            "open_reservations",
            format!(
                "member {} has {open} open reservations; post or void them first",
                from.id
            ),
            json!({"open_reservations": open}),
        ));
    }
    let refs = Refs {
        order_ref: None,
        reason: m.reason.clone(),
        actor: m.actor.clone(),
    };
    let mut posting = Posting::default();
    let mut moved = serde_json::Map::new();
    for (b1, b2) in books {
        let (from_book, mut into_book) = if first == from.id { (b1, b2) } else { (b2, b1) };
        let lots = tx.open_lots(from_book.balance)?;
        let total: i64 = lots.iter().map(|l| l.remaining).sum();
        moved.insert(
            from_book.point_type.as_str().into(),
            json!({"points": total, "debt": from_book.debt_owed}),
        );
        ops::merge_into(&mut posting, &lots, &from_book, &mut into_book, &refs);
    }
    tx.mark_merged(program, from.id, into.id)?;
    tx.apply(program, &posting, &ctx.system, now)?;
    Ok(json!({"from_member_id": from.id, "into_member_id": into.id, "moved": moved}))
}

// ---- jobs ----------------------------------------------------------------------------------

/// Lots one job step handles in one transaction: bounded so that a job never holds the writer
/// for long, and the API keeps answering while a large backlog is worked off.
pub const JOB_STEP_LOTS: i64 = 500;

/// Vests pending lots whose return window ended. Returns the points vested in this step, or `None` when nothing was due.
pub fn vest_step(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    scope: &JobScope,
) -> Result<Option<i64>, AppError> {
    let lots = tx.lots_due_vest(ctx.program.id, now, scope.fetch(JOB_STEP_LOTS))?;
    let lots = scope.keep(lots, JOB_STEP_LOTS, |l| l.id.0);
    let mut by_member: std::collections::BTreeMap<(MemberId, PointType), Vec<Lot>> =
        Default::default();
    for l in lots {
        by_member
            .entry((l.member, l.point_type))
            .or_default()
            .push(l);
    }
    let mut total = 0;
    let mut posting = Posting::default();
    let mut count = 0;
    for ((member, pt), lots) in by_member {
        scope.at(lots[0].id.0);
        let mut b = book(tx, ctx, member, pt)?;
        total += ops::vest(&mut posting, &lots, &mut b, now);
        count += lots.len();
        // Debt repayments read the debt per member; apply per member so the next reads are fresh.
        tx.apply(
            ctx.program.id,
            &std::mem::take(&mut posting),
            &ctx.system,
            now,
        )?;
    }
    Ok((count > 0).then_some(total))
}

/// Expires the free points of lots past their date. Returns the points expired, or `None` when
/// nothing was due.
pub fn expire_step(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    scope: &JobScope,
) -> Result<Option<i64>, AppError> {
    let lots = tx.lots_due_expiry(ctx.program.id, now, scope.fetch(JOB_STEP_LOTS))?;
    let lots = scope.keep(lots, JOB_STEP_LOTS, |l| l.id.0);
    if lots.is_empty() {
        return Ok(None);
    }
    // One at a time, the lot is the item a failure is put on.
    scope.at(lots[0].id.0);
    let mut members: Vec<(MemberId, PointType)> =
        lots.iter().map(|l| (l.member, l.point_type)).collect();
    members.sort();
    members.dedup();
    for (m, pt) in members {
        book(tx, ctx, m, pt)?;
    }
    let mut posting = Posting::default();
    let expiry = |pt| ctx.system.get(SystemAccount::Expiry, pt);
    let mut total = 0;
    for pt in PointType::ALL {
        let of_type: Vec<Lot> = lots
            .iter()
            .filter(|l| l.point_type == pt)
            .cloned()
            .collect();
        total += ops::expire(&mut posting, &of_type, expiry(pt), now);
    }
    tx.apply(ctx.program.id, &posting, &ctx.system, now)?;
    Ok(Some(total))
}

/// Voids reservations left open past their time. Returns how many, or `None` when none were due.
pub fn reservation_timeout_step(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    scope: &JobScope,
) -> Result<Option<i64>, AppError> {
    let due = tx.reservations_due(ctx.program.id, now, scope.fetch(JOB_STEP_LOTS))?;
    let due = scope.keep(due, JOB_STEP_LOTS, |r| r.transfer.0);
    if due.is_empty() {
        return Ok(None);
    }
    let mut n = 0;
    for r in due {
        scope.at(r.transfer.0);
        // A checkout deduction's hold ends with its time, on the deduction's behalf; mall
        // orders time out through the mall's own step (the store leaves them out here).
        void_reservation_by(
            tx,
            ctx,
            now,
            r.transfer.0,
            Some("reservation timed out".into()),
            r.owner.as_ref(),
        )?;
        n += 1;
    }
    Ok(Some(n))
}
