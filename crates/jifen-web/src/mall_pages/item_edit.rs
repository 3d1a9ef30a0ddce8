//! Creating and editing an item, its status, stock and pictures.

use askama::Template;

use super::*;
use crate::frame::Frame;
use crate::page::L;

/// What the item form offers: the coupon templates and the named categories.
pub(super) async fn item_choices(web: &Web, st: &Staff) -> Choices {
    let ctx = st.ctx.clone();
    let en = st.lang == crate::page::Lang::En;
    let (templates, categories) = web
        .app
        .read(move |tx| {
            let t = jifen_app::coupons::templates(tx, &ctx)?;
            Ok((t.items, mall::categories(tx, &ctx)?))
        })
        .await
        .unwrap_or_default();
    Choices {
        templates: templates
            .into_iter()
            .map(|t| {
                let name = if en { t.name_en } else { t.name_zh };
                (t.code, name)
            })
            .collect(),
        categories,
    }
}

/// The category chosen, or the error of a form sent without one.
fn category_chosen(st: &Staff, f: &ItemForm) -> Result<(), (String, String)> {
    if f.category.trim().is_empty() {
        let msg = st.t("请选择分类", "Choose a category");
        return Err(("category".into(), msg.into()));
    }
    Ok(())
}

pub(super) async fn new_item(State(web): State<Web>, st: Staff) -> Response {
    let title = st.t("新建商品", "New item");
    if !st.s.role.operates() {
        return st.forbidden("mall", title);
    }
    let f = ItemForm {
        kind: "physical".into(),
        form_key: form_key(),
        ..Default::default()
    };
    let choices = item_choices(&web, &st).await;
    let page = NewItemPage {
        frame: st.frame("mall", title),
        itf: item_form(&st, "/console/mall/items/new", &f, None, true, &choices),
    };
    st.render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "console/item_new.html")]
struct NewItemPage {
    frame: Frame,
    itf: ItemFormView,
}

pub(super) async fn item_refused(
    web: &Web,
    st: &Staff,
    id: Option<i64>,
    f: &ItemForm,
    status: StatusCode,
    err: (String, String),
) -> Response {
    let choices = item_choices(web, st).await;
    match id {
        None => {
            let page = NewItemPage {
                frame: st.frame("mall", st.t("新建商品", "New item")),
                itf: item_form(st, "/console/mall/items/new", f, Some(err), true, &choices),
            };
            st.render(status, &page)
        }
        Some(id) => render_item(web, st, id, Some(f), Some(err), None, status).await,
    }
}

pub(super) async fn create_item(
    State(web): State<Web>,
    st: Staff,
    Form(f): Form<ItemForm>,
) -> Response {
    if !st.s.role.operates() {
        return st.forbidden("mall", st.t("新建商品", "New item"));
    }
    if f.csrf != st.s.csrf {
        return item_refused(&web, &st, None, &f, StatusCode::FORBIDDEN, expired(&st)).await;
    }
    let def = match category_chosen(&st, &f).and_then(|_| f.to_def(None, &st)) {
        Ok(d) => d,
        Err(e) => {
            return item_refused(&web, &st, None, &f, StatusCode::UNPROCESSABLE_ENTITY, e).await;
        }
    };
    let input = ItemIn {
        definition: def,
        status: Some(
            if f.publish.is_empty() {
                "draft"
            } else {
                "on_sale"
            }
            .into(),
        ),
    };
    let idem = (!f.form_key.is_empty()).then(|| {
        (
            format!("console:item:{}", f.form_key),
            serde_json::to_string(&input.definition).unwrap_or_default(),
        )
    });
    let out = st
        .act_as(&web, "mall", idem, move |tx, ctx, now, actor| {
            mall::create_item(tx, ctx, now, actor, &input)
        })
        .await;
    match out {
        Ok(o) => {
            Redirect::to(&format!("/console/mall/items/{}?done=saved", o.view.id)).into_response()
        }
        Err(AppError::Invalid { field, message }) => {
            let e = (item_field(&field), message);
            item_refused(&web, &st, None, &f, StatusCode::UNPROCESSABLE_ENTITY, e).await
        }
        Err(AppError::Conflict { message, .. }) => {
            item_refused(
                &web,
                &st,
                None,
                &f,
                StatusCode::CONFLICT,
                ("form".into(), message),
            )
            .await
        }
        Err(e) => st.fail(e),
    }
}

#[derive(Deserialize, Default)]
pub(super) struct DoneQuery {
    #[serde(default)]
    pub(super) done: Option<String>,
}

pub(super) async fn show_item(
    State(web): State<Web>,
    st: Staff,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let id = match crate::forms::id_of(&st, &id, "mall item") {
        Ok(i) => i,
        Err(r) => return *r,
    };
    let notice = q.done.map(|_| st.t("已保存", "Saved").to_string());
    render_item(&web, &st, id, None, None, notice, StatusCode::OK).await
}

pub(super) async fn render_item(
    web: &Web,
    st: &Staff,
    id: i64,
    form: Option<&ItemForm>,
    error: Option<(String, String)>,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let ctx = st.ctx.clone();
    let item = match web.app.read(move |tx| mall::get_item(tx, &ctx, id)).await {
        Ok(v) => v,
        Err(e) => return st.fail(e),
    };
    let choices = item_choices(web, st).await;
    let can = st.s.role.operates();
    // An error of the item form goes with the form; any other (a status or stock change) above.
    let (form_error, top_error) = match form {
        Some(_) => (error, None),
        None => (None, error.map(|(_, m)| m)),
    };
    let f = form
        .cloned()
        .unwrap_or_else(|| ItemForm::from_item(&item, &st.ctx.tz));
    let action = format!("/console/mall/items/{id}");
    let itf = can.then(|| item_form(st, &action, &f, form_error, false, &choices));
    let statuses = [
        ("on_sale", st.t("上架", "Put on sale")),
        ("off_sale", st.t("下架", "Take off sale")),
    ];
    let page = ItemPage {
        frame: st.frame("mall", item.name(st.lang == crate::page::Lang::En)),
        id,
        notice,
        error: top_error,
        status_label: state_label(st, &item.status),
        kind: kind_label(st, kind_code(&item.kind)),
        statuses: statuses
            .iter()
            .filter(|(s, _)| can && *s != item.status)
            .map(|(s, l)| (*s, *l))
            .collect(),
        presale: item.presale,
        skus: item
            .skus
            .iter()
            .map(|s| SkuRow {
                code: s.sku.clone(),
                name: s.name.clone(),
                price: price(st, s),
                stock: num(s.stock),
                sold: num(s.sold),
            })
            .collect(),
        status: item.status,
        itf,
    };
    st.render(status, &page)
}

/// A SKU's row on the item page.
struct SkuRow {
    code: String,
    name: String,
    price: String,
    stock: String,
    sold: String,
}

#[derive(Template)]
#[template(path = "console/item.html")]
struct ItemPage {
    frame: Frame,
    id: i64,
    notice: Option<String>,
    /// What a status or stock change was refused for.
    error: Option<String>,
    status: String,
    status_label: String,
    kind: String,
    /// The statuses the item may be put in (code, the button's words).
    statuses: Vec<(&'static str, &'static str)>,
    presale: bool,
    skus: Vec<SkuRow>,
    /// The form, for staff who may change the item.
    itf: Option<ItemFormView>,
}

pub(super) async fn update_item(
    State(web): State<Web>,
    st: Staff,
    Path(id): Path<String>,
    Form(f): Form<ItemForm>,
) -> Response {
    let id = match crate::forms::id_of(&st, &id, "mall item") {
        Ok(i) => i,
        Err(r) => return *r,
    };
    if !st.s.role.operates() {
        return st.forbidden("mall", st.t("商城", "Mall"));
    }
    if f.csrf != st.s.csrf {
        return item_refused(&web, &st, Some(id), &f, StatusCode::FORBIDDEN, expired(&st)).await;
    }
    let ctx = st.ctx.clone();
    let base = match web.app.read(move |tx| mall::get_item(tx, &ctx, id)).await {
        Ok(v) => v,
        Err(e) => return st.fail(e),
    };
    let def = match category_chosen(&st, &f).and_then(|_| f.to_def(Some(&base), &st)) {
        Ok(d) => d,
        Err(e) => {
            return item_refused(&web, &st, Some(id), &f, StatusCode::UNPROCESSABLE_ENTITY, e)
                .await;
        }
    };
    let out = st
        .act_as(&web, "mall", None, move |tx, ctx, now, actor| {
            mall::update_item(tx, ctx, now, actor, id, &def)
        })
        .await;
    match out {
        Ok(_) => Redirect::to(&format!("/console/mall/items/{id}?done=saved")).into_response(),
        Err(AppError::Invalid { field, message }) => {
            let e = (item_field(&field), message);
            item_refused(&web, &st, Some(id), &f, StatusCode::UNPROCESSABLE_ENTITY, e).await
        }
        Err(AppError::Conflict { message, .. }) => {
            let e = ("form".into(), message);
            item_refused(&web, &st, Some(id), &f, StatusCode::CONFLICT, e).await
        }
        Err(e) => st.fail(e),
    }
}

#[derive(Deserialize, Default)]
pub(super) struct CsrfForm {
    #[serde(default)]
    pub(super) csrf: String,
    #[serde(default)]
    pub(super) delta: String,
}

pub(super) async fn item_status(
    State(web): State<Web>,
    st: Staff,
    Path((id, status)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let id = match crate::forms::id_of(&st, &id, "mall item") {
        Ok(i) => i,
        Err(r) => return *r,
    };
    if !["on_sale", "off_sale", "draft"].contains(&status.as_str()) {
        return st.fail(AppError::NotFound {
            what: "page",
            id: status,
        });
    }
    if !st.s.role.operates() {
        return st.forbidden("mall", st.t("商城", "Mall"));
    }
    if f.csrf != st.s.csrf {
        return render_item(
            &web,
            &st,
            id,
            None,
            Some(expired(&st)),
            None,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let out = st
        .act_as(&web, "mall", None, move |tx, ctx, now, actor| {
            mall::set_item_status(tx, ctx, now, actor, id, &status)
        })
        .await;
    match out {
        Ok(_) => Redirect::to(&format!("/console/mall/items/{id}?done=status")).into_response(),
        Err(AppError::Invalid { message, .. }) | Err(AppError::Conflict { message, .. }) => {
            render_item(
                &web,
                &st,
                id,
                None,
                Some(("form".into(), message)),
                None,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => st.fail(e),
    }
}

/// Restocks a SKU (`stock`) or records a presale arrival (`arrival`), with its audit entry.
async fn change_stock(
    web: &Web,
    st: &Staff,
    what: &str,
    sku: String,
    delta: i64,
) -> Result<(), AppError> {
    if what == "arrival" {
        let a = mall::Arrival { quantity: delta };
        st.act_as(web, "mall", None, move |tx, ctx, now, actor| {
            mall::arrival(tx, ctx, now, actor, &sku, &a)
        })
        .await?;
    } else {
        let r = mall::Restock { delta };
        st.act_as(web, "mall", None, move |tx, ctx, now, actor| {
            mall::restock(tx, ctx, now, actor, &sku, &r)
        })
        .await?;
    }
    Ok(())
}

/// Restocking (`stock`) or a presale arrival (`arrival`) of one SKU.
pub(super) async fn stock(
    State(web): State<Web>,
    st: Staff,
    Path((sku, what)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !["stock", "arrival"].contains(&what.as_str()) || sku.len() > 64 {
        return st.fail(AppError::NotFound {
            what: "page",
            id: what,
        });
    }
    let code = sku.clone();
    let ctx = st.ctx.clone();
    let item_id = match web
        .app
        .read(move |tx| jifen_app::console::item_of_sku(tx, ctx.program.id, &code))
        .await
    {
        Ok(i) => i,
        Err(e) => return st.fail(e),
    };
    if !st.s.role.operates() {
        return st.forbidden("mall", st.t("商城", "Mall"));
    }
    if f.csrf != st.s.csrf {
        return render_item(
            &web,
            &st,
            item_id,
            None,
            Some(expired(&st)),
            None,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let Ok(delta) = f
        .delta
        .trim()
        .trim_start_matches('+')
        .replace(',', "")
        .parse::<i64>()
    else {
        let e = (
            "form".into(),
            st.t(
                "数量请填整数，如 100 或 -5",
                "Give a whole number, e.g. 100 or -5",
            )
            .into(),
        );
        return render_item(
            &web,
            &st,
            item_id,
            None,
            Some(e),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    match change_stock(&web, &st, &what, sku, delta).await {
        Ok(_) => Redirect::to(&format!("/console/mall/items/{item_id}?done=stock")).into_response(),
        Err(AppError::Invalid { message, .. }) | Err(AppError::Conflict { message, .. }) => {
            render_item(
                &web,
                &st,
                item_id,
                None,
                Some(("form".into(), message)),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => st.fail(e),
    }
}

/// An image upload from the item form's file input: the raw file with its content type, and
/// the session's CSRF token in a header. Answers JSON for the form's script.
pub(super) async fn upload(
    State(web): State<Web>,
    st: Staff,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let bad =
        |status: StatusCode, msg: &str| (status, axum::Json(json!({"error": msg}))).into_response();
    if headers.get("x-csrf").and_then(|v| v.to_str().ok()) != Some(st.s.csrf.as_str()) {
        return bad(
            StatusCode::FORBIDDEN,
            st.t("表单已过期，请刷新页面", "The page expired; reload it"),
        );
    }
    if !st.s.role.operates() {
        return bad(
            StatusCode::FORBIDDEN,
            st.t(
                "你的角色不能修改商品",
                "Your role may not change the catalog",
            ),
        );
    }
    let ct = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let data = body.to_vec();
    let out = web
        .app
        .write_view(st.s.program, "mall", None, move |tx, ctx, now| {
            mall::upload_image(tx, ctx, now, &ct, &data)
        })
        .await;
    match out {
        Ok(o) => (StatusCode::CREATED, axum::Json(o.view)).into_response(),
        Err(AppError::Invalid { message, .. }) => bad(StatusCode::UNPROCESSABLE_ENTITY, &message),
        Err(e) => {
            let (status, msg) = crate::shown_error(st.lang, &e);
            bad(status, &msg)
        }
    }
}
