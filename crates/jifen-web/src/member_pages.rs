//! The member pages: the list with search, one member with balance, lots, history, orders, coupons and appeals, and the staff actions on points (adjust, transfer, merge).

use super::*;

#[derive(Deserialize, Default)]
pub(super) struct MembersQuery {
    #[serde(default)]
    pub(super) q: Option<String>,
    #[serde(default)]
    pub(super) tier: Option<String>,
    #[serde(default)]
    pub(super) min_balance: Option<String>,
    #[serde(default)]
    pub(super) max_balance: Option<String>,
    #[serde(default)]
    pub(super) joined_from: Option<String>,
    #[serde(default)]
    pub(super) joined_to: Option<String>,
    #[serde(default)]
    pub(super) sort: Option<String>,
    #[serde(default)]
    pub(super) page: Option<String>,
    #[serde(default)]
    pub(super) lang: Option<String>,
}

/// Members listed per page.
pub const PAGE: i64 = 50;

pub(super) async fn members(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<MembersQuery>,
) -> Response {
    let (lang, set_lang) = lang_of(
        &headers,
        &LangQuery {
            lang: q.lang.clone(),
        },
    );
    let s = match require(&web, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(reader) = s.member_reader() else {
        return no_access(lang, &s, "members", L::Members.t(lang));
    };
    let ctx = match web.app.program_ctx(s.program).await {
        Ok(c) => c,
        Err(e) => return failure(lang, &s, e),
    };
    // A malformed page number is the first page, never an error page.
    let short = |v: &Option<String>| v.clone().filter(|v| v.chars().count() <= 64);
    let query = jifen_app::console::MemberListQuery {
        text: q
            .q
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty() && v.chars().count() <= 64)
            .map(str::to_string),
        tier: short(&q.tier),
        min_balance: short(&q.min_balance),
        max_balance: short(&q.max_balance),
        joined_from: short(&q.joined_from),
        joined_to: short(&q.joined_to),
        sort: short(&q.sort),
        page: q
            .page
            .as_deref()
            .and_then(|p| p.parse::<i64>().ok())
            .filter(|p| (1..=1_000_000).contains(p))
            .unwrap_or(1),
    };
    let tiers: Vec<(String, String, String)> = ctx
        .earn
        .ladder
        .as_ref()
        .map(|l| {
            l.tiers
                .iter()
                .map(|t| (t.code.clone(), t.name_zh.clone(), t.name_en.clone()))
                .collect()
        })
        .unwrap_or_default();
    let now = web.app.now();
    let qq = query.clone();
    let listed = web
        .app
        .read(move |tx| jifen_app::console::member_list(tx, &ctx, &reader, &qq, PAGE, now))
        .await;
    let (page, error, status) = match listed {
        Ok(p) => (Some(p), None, StatusCode::OK),
        Err(AppError::Invalid { field, message }) => (
            None,
            Some((field.clone(), member_filter_error(lang, &field, &message))),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => return failure(lang, &s, e),
    };
    let page = page::members(
        crate::frame::Frame::new(lang, &s, "members", L::Members.t(lang)),
        &query,
        page.as_ref(),
        error,
        &tiers,
    );
    crate::frame::respond(status, &page, &set_lang.into_iter().collect::<Vec<_>>())
}

/// The words next to a filter the list could not read.
fn member_filter_error(lang: Lang, field: &str, message: &str) -> String {
    let (zh, en) = match field {
        "tier" => ("请选择列表中的等级", "Choose a tier from the list"),
        "min_balance" | "max_balance" if message.starts_with("at least") => {
            ("不能小于最低积分", "Must not be below the lowest balance")
        }
        "min_balance" | "max_balance" => ("请填写整数积分", "Enter a whole number of points"),
        "joined_to" if message.starts_with("on or after") => {
            ("不能早于开始日期", "Must not be before the first day")
        }
        _ => ("请按 年-月-日 填写日期", "Enter a date as YYYY-MM-DD"),
    };
    page::pick(lang, zh, en).to_string()
}

#[derive(Deserialize, Default)]
pub(super) struct MemberQuery {
    #[serde(default)]
    pub(super) lang: Option<String>,
    #[serde(default)]
    pub(super) done: Option<String>,
    /// On a queue, `done` for what was decided (已处理).
    #[serde(default)]
    pub(super) tab: Option<String>,
}

pub(super) async fn member(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<MemberQuery>,
) -> Response {
    let (lang, set_lang) = lang_of(
        &headers,
        &LangQuery {
            lang: q.lang.clone(),
        },
    );
    let s = match require(&web, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !s.role.reads_members() {
        return no_access(lang, &s, "members", L::Members.t(lang));
    }
    let notice = match q.done.as_deref() {
        Some("applied") => Some(L::Applied.t(lang).to_string()),
        Some("pending") => Some(L::SentForApproval.t(lang).to_string()),
        _ => None,
    };
    render_member(
        &web,
        &s,
        lang,
        &id,
        &page::AdjustForm {
            notice,
            ..Default::default()
        },
        StatusCode::OK,
        set_lang,
    )
    .await
}

pub(super) async fn render_member(
    web: &Web,
    s: &Session,
    lang: Lang,
    id: &str,
    form: &page::AdjustForm,
    status: StatusCode,
    set_lang: Option<String>,
) -> Response {
    let Some(id) = crate::forms::positive_id(id) else {
        return failure(
            lang,
            s,
            AppError::NotFound {
                what: "member",
                id: id.to_string(),
            },
        );
    };
    let Some(reader) = s.member_reader() else {
        return no_access(lang, s, "members", L::Members.t(lang));
    };
    let ctx = match web.app.program_ctx(s.program).await {
        Ok(c) => c,
        Err(e) => return failure(lang, s, e),
    };
    let now = web.app.now();
    let tz = ctx.tz.clone();
    let data = web
        .app
        .read(move |tx| {
            let m = jifen_app::commands::resolve(
                tx,
                &ctx,
                &jifen_app::commands::MemberRef::Id { member_id: id },
            )?;
            let b = jifen_app::views::balance(tx, &ctx, m.id, PointType::Points, now, 30)?;
            let lots = jifen_app::views::lots(tx, &ctx, m.id, PointType::Points, false, now)?;
            let history = jifen_app::activity::activity(
                tx,
                &ctx,
                m.id,
                &jifen_app::activity::ActivityQuery::points(20),
            )?;
            let tier = jifen_app::tiers::member_progress(
                tx,
                &ctx,
                m.id,
                now,
                if lang == Lang::En { "en" } else { "zh" },
            )
            .ok();
            let orders =
                jifen_app::mall::list_orders(tx, &ctx, Some(MemberId(m.id.0)), None, None, 20)?;
            let coupons = jifen_app::coupons::member_coupons(tx, &ctx, m.id, None, now)?;
            let appeals = jifen_app::console::member_appeals(tx, &reader, m.id, 20)?;
            Ok((m, b, lots, history, tier, orders, coupons, appeals))
        })
        .await;
    let (m, b, lots, history, tier, orders, coupons, appeals) = match data {
        Ok(d) => d,
        Err(e) => return failure(lang, s, e),
    };
    let title = m
        .profile
        .name
        .clone()
        .unwrap_or_else(|| format!("#{}", m.id.0));
    let page = page::member(
        crate::frame::Frame::new(lang, s, "members", &title),
        &tz,
        &page::MemberPage {
            member: &m,
            balance: &b,
            lots: &lots,
            history: &history,
            tier: tier.as_ref(),
            orders: &orders,
            coupons: &coupons,
            appeals: &appeals,
            can_adjust: s.role.manages_members(),
            phones: s.role.sees_phones(),
            manages: s.role.manages_members(),
            form,
        },
    );
    crate::frame::respond(status, &page, &set_lang.into_iter().collect::<Vec<_>>())
}

#[derive(Deserialize)]
pub(super) struct AdjustFormIn {
    #[serde(default)]
    pub(super) delta: String,
    #[serde(default)]
    pub(super) reason: String,
    #[serde(default)]
    pub(super) csrf: String,
}

pub(super) async fn adjust(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<AdjustFormIn>,
) -> Response {
    let (lang, _) = lang_of(&headers, &LangQuery::default());
    let s = match require(&web, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let mut form = page::AdjustForm {
        delta: f.delta.clone(),
        reason: f.reason.clone(),
        ..Default::default()
    };
    if f.csrf != s.csrf {
        form.error = Some(("form".into(), L::FormExpired.t(lang).into()));
        return render_member(&web, &s, lang, &id, &form, StatusCode::FORBIDDEN, None).await;
    }
    let Some(member_id) = crate::forms::positive_id(&id) else {
        return failure(lang, &s, AppError::NotFound { what: "member", id });
    };
    let Ok(delta) = f.delta.trim().replace(',', "").parse::<i64>() else {
        form.error = Some(("delta".into(), L::WholeNumber.t(lang).into()));
        return render_member(
            &web,
            &s,
            lang,
            &id,
            &form,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        )
        .await;
    };
    let a = staff::StaffAdjustment {
        member_id,
        delta,
        reason: f.reason.clone(),
    };
    let session = s.clone();
    let partition = jifen_app::commands::MemberRef::Id { member_id }.partition();
    let out = web
        .app
        .write_view(s.program, &partition, None, move |tx, ctx, now| {
            staff::adjust(tx, ctx, now, &session, &a)
        })
        .await;
    match out {
        Ok(o) => {
            let done = if o.view.is_pending() {
                "pending"
            } else {
                "applied"
            };
            Redirect::to(&format!("/console/members/{member_id}?done={done}")).into_response()
        }
        Err(AppError::Invalid { field, message }) => {
            form.error = Some((field, message));
            render_member(
                &web,
                &s,
                lang,
                &id,
                &form,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            )
            .await
        }
        Err(AppError::Conflict { code, message, .. }) => {
            form.error = Some(("form".into(), message));
            let status = if code == "forbidden" {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::CONFLICT
            };
            render_member(&web, &s, lang, &id, &form, status, None).await
        }
        Err(AppError::Ledger(e)) => {
            form.error = Some(("delta".into(), e.to_string()));
            render_member(&web, &s, lang, &id, &form, StatusCode::CONFLICT, None).await
        }
        Err(e) => failure(lang, &s, e),
    }
}

#[derive(Deserialize)]
pub(super) struct TransferFormIn {
    #[serde(default)]
    pub(super) to: String,
    #[serde(default)]
    pub(super) amount: String,
    #[serde(default)]
    pub(super) transfer_reason: String,
    #[serde(default)]
    pub(super) csrf: String,
}

/// A transfer from this member to another, done by staff at the member's request: the same use
/// case as `POST /api/v1/transfers` (the tier's transfer permission applies), audited.
pub(super) async fn member_transfer(
    State(web): State<Web>,
    st: Staff,
    Path(id): Path<String>,
    Form(f): Form<TransferFormIn>,
) -> Response {
    let mut form = page::AdjustForm {
        to: f.to.clone(),
        amount: f.amount.clone(),
        transfer_reason: f.transfer_reason.clone(),
        ..Default::default()
    };
    let again = |form: &page::AdjustForm, status: StatusCode| {
        let (web, st, id, form) = (web.clone(), &st, id.clone(), form.clone());
        async move { render_member(&web, &st.s, st.lang, &id, &form, status, None).await }
    };
    if !st.s.role.manages_members() {
        return st.forbidden("members", L::Members.t(st.lang));
    }
    if f.csrf != st.s.csrf {
        form.error = Some(("transfer_form".into(), L::FormExpired.t(st.lang).into()));
        return again(&form, StatusCode::FORBIDDEN).await;
    }
    let Some(from) = crate::forms::positive_id(&id) else {
        return st.fail(AppError::NotFound { what: "member", id });
    };
    let Ok(amount) = f.amount.trim().replace(',', "").parse::<i64>() else {
        form.error = Some(("amount".into(), L::WholeNumber.t(st.lang).into()));
        return again(&form, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let to = match forms::member_by_text(&web, &st, &f.to, "to").await {
        Ok(t) => t,
        Err(e) => {
            form.error = Some(e);
            return again(&form, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let t = jifen_app::commands::MemberTransfer {
        from: jifen_app::commands::MemberRef::Id { member_id: from },
        to: jifen_app::commands::MemberRef::Id { member_id: to },
        amount,
        reason: Some(f.transfer_reason.trim().to_string()).filter(|r| !r.is_empty()),
        device_id: None,
        ip: None,
    };
    let partition = t.from.partition();
    let out = st
        .act_as(&web, &partition, None, move |tx, ctx, now, actor| {
            jifen_app::commands::transfer(tx, ctx, now, actor, &t)
        })
        .await;
    match out {
        Ok(_) => Redirect::to(&format!("/console/members/{from}?done=applied")).into_response(),
        Err(AppError::Invalid { field, message }) => {
            let field = match field.as_str() {
                "amount" => "amount",
                "reason" => "transfer_reason",
                "to" | "to.member_id" => "to",
                _ => "transfer_form",
            };
            form.error = Some((field.into(), message));
            again(&form, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Conflict { message, .. }) => {
            form.error = Some(("transfer_form".into(), message));
            again(&form, StatusCode::CONFLICT).await
        }
        Err(AppError::Ledger(e)) => {
            form.error = Some(("amount".into(), e.to_string()));
            again(&form, StatusCode::CONFLICT).await
        }
        Err(e) => st.fail(e),
    }
}

#[derive(Deserialize)]
pub(super) struct MergeFormIn {
    #[serde(default)]
    pub(super) merge_from: String,
    #[serde(default)]
    pub(super) merge_reason: String,
    #[serde(default)]
    pub(super) confirm: String,
    #[serde(default)]
    pub(super) csrf: String,
}

/// Folds a duplicate account into this member (points, lots, identities, history): the same use
/// case as `POST /api/v1/members/merge`, only once the staff member confirms, audited.
pub(super) async fn member_merge(
    State(web): State<Web>,
    st: Staff,
    Path(id): Path<String>,
    Form(f): Form<MergeFormIn>,
) -> Response {
    let mut form = page::AdjustForm {
        merge_from: f.merge_from.clone(),
        merge_reason: f.merge_reason.clone(),
        ..Default::default()
    };
    let again = |form: &page::AdjustForm, status: StatusCode| {
        let (web, st, id, form) = (web.clone(), &st, id.clone(), form.clone());
        async move { render_member(&web, &st.s, st.lang, &id, &form, status, None).await }
    };
    if !st.s.role.manages_members() {
        return st.forbidden("members", L::Members.t(st.lang));
    }
    if f.csrf != st.s.csrf {
        form.error = Some(("merge_form".into(), L::FormExpired.t(st.lang).into()));
        return again(&form, StatusCode::FORBIDDEN).await;
    }
    let Some(into) = crate::forms::positive_id(&id) else {
        return st.fail(AppError::NotFound { what: "member", id });
    };
    let from = match forms::member_by_text(&web, &st, &f.merge_from, "merge_from").await {
        Ok(t) => t,
        Err(e) => {
            form.error = Some(e);
            return again(&form, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    if from == into {
        form.error = Some((
            "merge_from".into(),
            st.t(
                "不能把账户合并到自己",
                "An account cannot be merged into itself",
            )
            .into(),
        ));
        return again(&form, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    if f.confirm.is_empty() {
        form.error = Some((
            "confirm".into(),
            st.t(
                "合并不可撤销，请先核实两个账户属于同一人",
                "A merge cannot be undone: check both accounts are the same person",
            )
            .into(),
        ));
        return again(&form, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let m = jifen_app::commands::Merge {
        from: jifen_app::commands::MemberRef::Id { member_id: from },
        into: jifen_app::commands::MemberRef::Id { member_id: into },
        reason: Some(f.merge_reason.trim().to_string()).filter(|r| !r.is_empty()),
        actor: Some(st.s.actor()),
    };
    let partition = m.into.partition();
    let out = st
        .act_as(&web, &partition, None, move |tx, ctx, now, actor| {
            jifen_app::commands::merge(tx, ctx, now, actor, &m)
        })
        .await;
    match out {
        Ok(_) => Redirect::to(&format!("/console/members/{into}?done=applied")).into_response(),
        Err(AppError::Invalid { field, message }) => {
            let field = if field == "reason" {
                "merge_reason"
            } else {
                "merge_form"
            };
            form.error = Some((field.into(), message));
            again(&form, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Conflict { message, .. }) => {
            form.error = Some(("merge_form".into(), message));
            again(&form, StatusCode::CONFLICT).await
        }
        Err(AppError::Ledger(e)) => {
            form.error = Some(("merge_form".into(), e.to_string()));
            again(&form, StatusCode::CONFLICT).await
        }
        Err(e) => st.fail(e),
    }
}
