//! Lotteries in use: a draw costs points (or uses a granted draw), takes a random input from the
//! operating system, maps it to an outcome by the published odds and the prizes still in stock,
//! pays the prize through the ledger or the coupons, and records the random input so that an
//! auditor can recompute every draw (`GET /lotteries/{code}/draws`).

use jifen_domain::lottery::{Consolation, LotteryDef, Outcome, Prize, Reward, Style, outcome};
use jifen_ledger::ops::{CreditSpec, MemberBook, Refs};
use jifen_ledger::{MemberId, Millis, PointType, Points, Posting, SystemAccount, ops};
use jifen_store::*;
use rand::Rng;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::commands::{self, MemberRef, check_id};
use crate::{AppError, ProgramCtx};

fn parse(r: &LotteryRow) -> Result<LotteryDef, AppError> {
    serde_json::from_str(&r.definition)
        .map_err(|e| StoreError::Corrupt(format!("lottery {}: {e}", r.code)).into())
}

fn lottery(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    code: &str,
) -> Result<(LotteryRow, LotteryDef), AppError> {
    let row = tx
        .lottery(ctx.program.id, code)?
        .ok_or_else(|| AppError::NotFound {
            what: "lottery",
            id: code.to_string(),
        })?;
    let def = parse(&row)?;
    Ok((row, def))
}

/// A prize with how many were won and are left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PrizeView {
    #[serde(flatten)]
    pub prize: Prize,
    pub won: i64,
    pub left: i64,
}

/// A lottery as staff, members and the API see it: its definition with each prize's stock
/// taken so far, the consolation's share of the odds and the status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LotteryView {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub style: Style,
    pub cost_points: i64,
    pub prizes: Vec<PrizeView>,
    pub consolation: Consolation,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_member_per_day: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_member_lifetime: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub granted_on: Vec<String>,
    /// The consolation's chance, in parts per million: what the prizes leave.
    pub consolation_ppm: u64,
    /// `active` or `archived`.
    pub status: String,
}

impl LotteryView {
    /// The definition the lottery was created from.
    pub fn definition(&self) -> LotteryDef {
        LotteryDef {
            code: self.code.clone(),
            name_zh: self.name_zh.clone(),
            name_en: self.name_en.clone(),
            style: self.style,
            cost_points: self.cost_points,
            prizes: self.prizes.iter().map(|p| p.prize.clone()).collect(),
            consolation: self.consolation.clone(),
            per_member_per_day: self.per_member_per_day,
            per_member_lifetime: self.per_member_lifetime,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            granted_on: self.granted_on.clone(),
        }
    }

    /// The name in English when `english` and there is one, else in Chinese.
    pub fn name(&self, english: bool) -> &str {
        jifen_domain::name_in(&self.name_zh, &self.name_en, english)
    }
}

/// The lotteries of a programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LotteryList {
    pub items: Vec<LotteryView>,
}

fn view(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    row: &LotteryRow,
    def: &LotteryDef,
) -> Result<LotteryView, AppError> {
    let won = tx.lottery_won(ctx.program.id, row.id)?;
    let prizes = def
        .prizes
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let w = won.get(i).copied().unwrap_or(0);
            PrizeView {
                prize: p.clone(),
                won: w,
                left: p.stock - w,
            }
        })
        .collect();
    Ok(LotteryView {
        code: def.code.clone(),
        name_zh: def.name_zh.clone(),
        name_en: def.name_en.clone(),
        style: def.style,
        cost_points: def.cost_points,
        prizes,
        consolation: def.consolation.clone(),
        per_member_per_day: def.per_member_per_day,
        per_member_lifetime: def.per_member_lifetime,
        starts_at: def.starts_at,
        ends_at: def.ends_at,
        granted_on: def.granted_on.clone(),
        consolation_ppm: def.consolation_ppm(),
        status: row.status.clone(),
    })
}

/// Creates a lottery in `actor`'s name (audited as `lottery.create`).
pub fn create(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    def: &LotteryDef,
) -> Result<LotteryView, AppError> {
    def.validate()
        .map_err(|e| AppError::invalid(e.field, e.message))?;
    let rewards = def
        .prizes
        .iter()
        .map(|p| &p.reward)
        .chain([&def.consolation.reward]);
    for (i, r) in rewards.enumerate() {
        if let Reward::Coupon { template } = r
            && tx.coupon_template(ctx.program.id, template)?.is_none()
        {
            let field = if i < def.prizes.len() {
                format!("prizes[{i}].reward.template")
            } else {
                "consolation.reward.template".into()
            };
            return Err(AppError::invalid(
                field,
                format!("coupon template {template:?} does not exist"),
            ));
        }
    }
    let text = serde_json::to_string(def).expect("lottery serializes");
    if tx
        .insert_lottery(ctx.program.id, &def.code, &text, def.prizes.len(), now)?
        .is_none()
    {
        return Err(AppError::conflict(
            "lottery_exists",
            format!("lottery {} exists", def.code),
            json!({"code": def.code}),
        ));
    }
    let target = format!("lottery:{}", def.code);
    tx.audit(
        ctx.program.id,
        actor,
        "lottery.create",
        &target,
        None,
        Some(&text),
        now,
    )?;
    let (row, def) = lottery(tx, ctx, &def.code)?;
    view(tx, ctx, &row, &def)
}

pub fn get(tx: &mut Tx<'_>, ctx: &ProgramCtx, code: &str) -> Result<LotteryView, AppError> {
    let (row, def) = lottery(tx, ctx, code)?;
    view(tx, ctx, &row, &def)
}

pub fn list(tx: &mut Tx<'_>, ctx: &ProgramCtx) -> Result<LotteryList, AppError> {
    let mut items = Vec::new();
    for row in tx.lotteries(ctx.program.id)? {
        let def = parse(&row)?;
        items.push(view(tx, ctx, &row, &def)?);
    }
    Ok(LotteryList { items })
}

/// Grants one free draw of each open lottery that behaviour events of `trigger` earn. Returns
/// the lottery codes granted.
pub fn grant_for_event(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: jifen_ledger::MemberId,
    trigger: &str,
    now: Millis,
) -> Result<Vec<String>, AppError> {
    let mut granted = Vec::new();
    for row in tx.lotteries(ctx.program.id)? {
        let def = parse(&row)?;
        if row.status == "active"
            && def.granted_on.iter().any(|t| t == trigger)
            && def.ends_at.is_none_or(|e| now < e)
        {
            tx.grant_lottery_chances(ctx.program.id, row.id, member, 1)?;
            granted.push(def.code);
        }
    }
    Ok(granted)
}

/// Free draws given to a member (by staff, or after a review or a purchase).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    pub member_id: i64,
    pub count: i64,
}

/// A member's free draws of a lottery after a grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DrawsGranted {
    pub member_id: i64,
    /// The lottery's code.
    pub lottery: String,
    /// The free draws the member has left, this grant's included.
    pub draws_left: i64,
}

pub fn grant(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    _now: Millis,
    code: &str,
    g: &Grant,
) -> Result<DrawsGranted, AppError> {
    if !(1..=100).contains(&g.count) {
        return Err(AppError::invalid("count", "must be between 1 and 100"));
    }
    let (row, _) = lottery(tx, ctx, code)?;
    let (m, _) = commands::resolve_locked(
        tx,
        ctx,
        &MemberRef::Id {
            member_id: g.member_id,
        },
    )?;
    tx.grant_lottery_chances(ctx.program.id, row.id, m.id, g.count)?;
    let (granted, used) = tx.lottery_chances(ctx.program.id, row.id, m.id)?;
    Ok(DrawsGranted {
        member_id: m.id.0,
        lottery: code.to_string(),
        draws_left: granted - used,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrawIn {
    pub member: MemberRef,
    /// A retry with the same id returns the first draw.
    pub request_id: String,
}

/// What a draw paid, as stored with it: the reward, which prizes were in stock when it was
/// drawn (so that an audit recomputes it), and the transfer or coupon that paid it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DrawResult {
    pub reward: Reward,
    /// Per prize, in the lottery's order: whether any was left when the draw was made.
    pub in_stock: Vec<bool>,
    /// The ledger transfer that credited a points reward.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_id: Option<i64>,
    /// The code of the coupon a coupon reward issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon: Option<String>,
    /// Why a coupon reward was not issued (the coupons refused it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon_skipped: Option<String>,
}

/// A draw: its random input and where it landed, the prize (or the consolation) with its
/// names, what it cost and what it paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DrawView {
    pub draw_id: i64,
    pub member_id: i64,
    /// A retry with the same id returns this draw.
    pub request_id: String,
    /// The random input (63 bits from the operating system).
    pub random: i64,
    /// The point on the odds scale the random input maps to (`random % 1000000`).
    pub ticket: i64,
    /// The prize whose band the ticket fell in; `null` for the consolation's share.
    pub band: Option<i64>,
    /// The code of the prize won; `null` for the consolation.
    pub prize: Option<String>,
    /// Whether the draw paid the consolation.
    pub consolation: bool,
    pub name_zh: String,
    pub name_en: String,
    /// The points the draw cost (0 for a granted draw).
    pub cost_points: i64,
    pub used_granted_draw: bool,
    pub result: DrawResult,
    /// When it was drawn (Unix ms).
    pub at: Millis,
}

impl DrawView {
    /// The prize's (or the consolation's) name in English when `english` and there is one,
    /// else in Chinese.
    pub fn name(&self, english: bool) -> &str {
        jifen_domain::name_in(&self.name_zh, &self.name_en, english)
    }
}

/// What a draw stored as its result.
fn draw_result(d: &DrawRow) -> Result<DrawResult, AppError> {
    serde_json::from_str(&d.result)
        .map_err(|e| StoreError::Corrupt(format!("draw {}: {e}", d.id)).into())
}

fn draw_view(def: &LotteryDef, d: &DrawRow) -> Result<DrawView, AppError> {
    let prize = d.prize.and_then(|p| def.prizes.get(p as usize));
    let (zh, en) = match prize {
        Some(p) => (p.name_zh.clone(), p.name_en.clone()),
        None => (
            def.consolation.name_zh.clone(),
            def.consolation.name_en.clone(),
        ),
    };
    Ok(DrawView {
        draw_id: d.id,
        member_id: d.member.0,
        request_id: d.request_id.clone(),
        random: d.random,
        ticket: d.ticket,
        band: d.band,
        prize: prize.map(|p| p.code.clone()),
        consolation: d.prize.is_none(),
        name_zh: zh,
        name_en: en,
        cost_points: d.cost_points,
        used_granted_draw: d.used_chance,
        result: draw_result(d)?,
        at: d.created_at,
    })
}

/// The draw `member` made with `request_id`, if any, as a draw of the lottery `code`.
pub fn draw_by_request(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    code: &str,
    member: MemberId,
    request_id: &str,
) -> Result<Option<DrawView>, AppError> {
    let (_, def) = lottery(tx, ctx, code)?;
    tx.draw_by_request(ctx.program.id, member, request_id)?
        .map(|d| draw_view(&def, &d))
        .transpose()
}

pub fn draw(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    code: &str,
    d: &DrawIn,
) -> Result<DrawView, AppError> {
    d.member.validate()?;
    check_id("request_id", &d.request_id)?;
    let (row, def) = lottery(tx, ctx, code)?;
    let (member, [mut book, _]) = commands::resolve_locked(tx, ctx, &d.member)?;
    if let Some(prev) = tx.draw_by_request(ctx.program.id, member.id, &d.request_id)? {
        return draw_view(&def, &prev);
    }
    let use_chance = check_may_draw(tx, ctx, now, &row, &def, member.id)?;
    // Everything that can refuse is decided; the cost is the first write (the ledger refuses
    // too few points before it writes).
    let cost = pay_cost(tx, ctx, now, &row, &def, member.id, &book, use_chance)?;
    // The random input: 63 bits from the operating system, stored with the draw.
    let random = rand::rng().random::<u64>() >> 1;
    let won = tx.lottery_won(ctx.program.id, row.id)?;
    let in_stock: Vec<bool> = def
        .prizes
        .iter()
        .zip(won.iter().chain(std::iter::repeat(&0)))
        .map(|(p, w)| *w < p.stock)
        .collect();
    let mut o = outcome(&def, random, &in_stock);
    // The stock row decides under concurrency: a prize taken meanwhile pays the consolation.
    if let Some(p) = o.prize
        && !tx.take_prize(ctx.program.id, row.id, p as i64, def.prizes[p].stock)?
    {
        o.prize = None;
    }
    let reward = match o.prize {
        Some(p) => def.prizes[p].reward.clone(),
        None => def.consolation.reward.clone(),
    };
    let mut result = DrawResult {
        reward: reward.clone(),
        in_stock,
        transfer_id: None,
        coupon: None,
        coupon_skipped: None,
    };
    pay_reward(
        tx,
        ctx,
        now,
        &row,
        &def,
        member.id,
        &mut book,
        &d.request_id,
        &o,
        &reward,
        &mut result,
    )?;
    let text = serde_json::to_string(&result).expect("a draw's result serializes");
    let id = tx.insert_draw(
        ctx.program.id,
        &NewDraw {
            lottery: row.id,
            member: member.id,
            request_id: &d.request_id,
            random: random as i64,
            ticket: o.ticket as i64,
            band: o.band.map(|b| b as i64),
            prize: o.prize.map(|p| p as i64),
            cost_points: cost,
            used_chance: use_chance,
            result: &text,
        },
        now,
    )?;
    tx.outbox_push(
        ctx.program.id,
        "lottery.draw",
        Some(member.id),
        &json!({"lottery": def.code, "member_id": member.id, "draw_id": id, "prize": o.prize.map(|p| def.prizes[p].code.clone())}).to_string(),
        now,
    )?;
    let d = tx
        .draw_by_request(ctx.program.id, member.id, &d.request_id)?
        .expect("draw just stored");
    draw_view(&def, &d)
}

/// Refuses a draw the lottery does not allow now (not open, ended, a limit reached, no draws
/// left); returns whether the draw uses a granted draw rather than points.
fn check_may_draw(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    row: &LotteryRow,
    def: &LotteryDef,
    member: MemberId,
) -> Result<bool, AppError> {
    let refuse = |code: &'static str, msg: String| {
        AppError::conflict(code, msg, json!({"lottery": def.code}))
    };
    if row.status != "active" || def.starts_at.is_some_and(|s| now < s) {
        return Err(refuse(
            "lottery_not_open",
            "this lottery is not open".into(),
        ));
    }
    if def.ends_at.is_some_and(|e| now >= e) {
        return Err(refuse("lottery_ended", "this lottery has ended".into()));
    }
    if let Some(l) = def.per_member_per_day
        && tx.draws_since(
            ctx.program.id,
            row.id,
            member,
            crate::day_start(now, &ctx.tz),
        )? >= l as i64
    {
        return Err(refuse(
            "draw_limit_reached",
            format!("at most {l} draws a day"),
        ));
    }
    if let Some(l) = def.per_member_lifetime
        && tx.draws_since(ctx.program.id, row.id, member, 0)? >= l as i64
    {
        return Err(refuse(
            "draw_limit_reached",
            format!("at most {l} draws in all"),
        ));
    }
    let (granted, used) = tx.lottery_chances(ctx.program.id, row.id, member)?;
    let use_chance = granted > used;
    if !use_chance && def.cost_points == 0 {
        return Err(refuse(
            "no_draws_left",
            "this lottery is entered with granted draws only".into(),
        ));
    }
    Ok(use_chance)
}

/// Pays for a draw: spends its points cost, or uses a granted draw. Returns the points spent.
fn pay_cost(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    row: &LotteryRow,
    def: &LotteryDef,
    member: MemberId,
    book: &MemberBook,
    use_chance: bool,
) -> Result<i64, AppError> {
    let mut posting = Posting::default();
    let cost = if use_chance { 0 } else { def.cost_points };
    if cost > 0 {
        let lots = tx.spendable_lots(book.balance, now)?;
        ops::spend(
            &mut posting,
            &lots,
            book,
            ctx.system.get(SystemAccount::Redemption, PointType::Points),
            Points::positive(cost).map_err(|e| AppError::Internal(e.to_string()))?,
            "lottery_draw",
            jifen_ledger::Phase::Posted,
            &Refs {
                order_ref: None,
                reason: Some(def.name_zh.clone()),
                actor: None,
            },
            now,
        )?;
        tx.apply(ctx.program.id, &posting, &ctx.system, now)?;
    } else {
        tx.use_lottery_chance(ctx.program.id, row.id, member)?;
    }
    Ok(cost)
}

/// Pays a draw's reward: points through the ledger, or a coupon (one the coupons refuse is
/// skipped and said in the result).
fn pay_reward(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    row: &LotteryRow,
    def: &LotteryDef,
    member: MemberId,
    book: &mut MemberBook,
    request_id: &str,
    o: &Outcome,
    reward: &Reward,
    result: &mut DrawResult,
) -> Result<(), AppError> {
    let mut posting = Posting::default();
    match reward {
        Reward::Points { points } => {
            let spec = CreditSpec {
                code: "lottery_prize",
                source: ctx
                    .system
                    .get(SystemAccount::IssuanceBehaviour, PointType::Points),
                amount: Points::positive(*points).map_err(|e| AppError::Internal(e.to_string()))?,
                earned_at: now,
                available_at: now,
                expires_at: ctx.program.policy.validity.expires_at(now, &ctx.tz),
            };
            let label = match o.prize {
                Some(p) => def.prizes[p].name_zh.clone(),
                None => def.consolation.name_zh.clone(),
            };
            ops::credit(
                &mut posting,
                book,
                &spec,
                &Refs {
                    order_ref: None,
                    reason: Some(label.to_string()),
                    actor: None,
                },
                now,
            );
            let applied = tx.apply(ctx.program.id, &posting, &ctx.system, now)?;
            result.transfer_id = Some(applied.transfers[0].0);
        }
        Reward::Coupon { template } => {
            match crate::coupons::issue(
                tx,
                ctx,
                now,
                member,
                template,
                &format!("lottery {}", def.code),
                &format!("lottery:{}:{}:{}", row.id, member, request_id),
            ) {
                Ok(c) => result.coupon = Some(c.code),
                Err(e) if crate::coupons::is_refusal(&e) => {
                    result.coupon_skipped = Some(e.to_string())
                }
                Err(e) => return Err(e),
            }
        }
        Reward::Nothing => {}
    }
    Ok(())
}

/// A draw as the audit trail shows it: the draw, and the outcome recomputed from its random
/// input and the stock it saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AuditedDraw {
    #[serde(flatten)]
    pub draw: DrawView,
    /// The prize whose band the recomputed ticket falls in; `null` for the consolation's share.
    pub recomputed_band: Option<i64>,
    /// Whether recomputing gives the stored outcome.
    pub recomputes: bool,
}

/// A page of a lottery's audit trail, in draw order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DrawAudit {
    /// The lottery's code.
    pub lottery: String,
    pub items: Vec<AuditedDraw>,
}

/// The audit trail: each draw with its random input, and whether recomputing its outcome from
/// that input and the stock it saw gives the stored result.
pub fn audit(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    code: &str,
    after: i64,
    limit: i64,
) -> Result<DrawAudit, AppError> {
    if !(1..=1000).contains(&limit) {
        return Err(AppError::invalid("limit", "must be between 1 and 1000"));
    }
    let (row, def) = lottery(tx, ctx, code)?;
    let mut items = Vec::new();
    for d in tx.lottery_draws(ctx.program.id, row.id, after, limit)? {
        let draw = draw_view(&def, &d)?;
        let o = outcome(&def, d.random as u64, &draw.result.in_stock);
        // A prize taken by a concurrent draw between the read and the stock row pays the
        // consolation: the band still matches.
        let recomputed_band = o.band.map(|b| b as i64);
        let recomputes = recomputed_band == d.band
            && (o.prize.map(|p| p as i64) == d.prize || d.prize.is_none());
        items.push(AuditedDraw {
            draw,
            recomputed_band,
            recomputes,
        });
    }
    Ok(DrawAudit {
        lottery: code.to_string(),
        items,
    })
}
