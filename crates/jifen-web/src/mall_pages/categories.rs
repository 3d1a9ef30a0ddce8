//! The mall's categories: a form with a row per category (its position, code, Chinese and
//! English names, and a box to remove it), saved whole through `mall::put_categories`; a
//! problem is shown next to its field with every row kept as typed.

use std::collections::BTreeMap;

use jifen_app::mall::{CategoryError, MallCategories, MallCategory};

use super::*;
use crate::page::Lang;

/// One row of the form as typed.
#[derive(Debug, Clone, Default)]
pub(super) struct CatRow {
    pub(super) pos: String,
    pub(super) code: String,
    pub(super) name_zh: String,
    pub(super) name_en: String,
    pub(super) remove: bool,
}

/// Rows a form may send: more is not a person typing.
const ROWS_MAX: usize = 200;

/// The form's rows from its fields (`pos_3`, `code_3`, `name_zh_3`, `name_en_3`, `remove_3`)
/// in the order of their numbers, the CSRF token, and whether the staff member asked for
/// another row rather than to save.
fn read_form(fields: &[(String, String)]) -> (Vec<CatRow>, String, bool) {
    let mut rows: BTreeMap<usize, CatRow> = BTreeMap::new();
    let (mut csrf, mut add) = (String::new(), false);
    for (k, v) in fields {
        match k.as_str() {
            "csrf" => csrf = v.clone(),
            "add" => add = true,
            _ => {}
        }
        let Some((name, n)) = k.rsplit_once('_') else {
            continue;
        };
        let Some(n) = n.parse::<usize>().ok().filter(|n| *n < ROWS_MAX) else {
            continue;
        };
        let row = rows.entry(n).or_default();
        match name {
            "pos" => row.pos = v.clone(),
            "code" => row.code = v.clone(),
            "name_zh" => row.name_zh = v.clone(),
            "name_en" => row.name_en = v.clone(),
            "remove" => row.remove = true,
            _ => {}
        }
    }
    (rows.into_values().collect(), csrf, add)
}

impl CatRow {
    fn blank(&self) -> bool {
        [&self.code, &self.name_zh, &self.name_en]
            .iter()
            .all(|v| v.trim().is_empty())
    }
}

/// The list the rows describe, in the order of their positions (a row without one keeps its
/// place): each kept category with the index of the row it came from. A position that is not
/// a whole number is the error of its row's `pos` field.
fn to_list(st: &Staff, rows: &[CatRow]) -> Result<Vec<(usize, MallCategory)>, (String, String)> {
    let mut kept = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        if r.remove || r.blank() {
            continue;
        }
        let pos = match r.pos.trim() {
            "" => (i + 1) as i64,
            p => p.parse::<i64>().map_err(|_| {
                let msg = st.t(
                    "顺序请填整数，如 1、2、3",
                    "Give a whole number, e.g. 1, 2, 3",
                );
                (format!("pos_{i}"), msg.to_string())
            })?,
        };
        let c = MallCategory {
            code: r.code.trim().to_string(),
            name_zh: r.name_zh.trim().to_string(),
            name_en: r.name_en.trim().to_string(),
        };
        kept.push((pos, i, c));
    }
    kept.sort_by_key(|(pos, i, _)| (*pos, *i));
    Ok(kept.into_iter().map(|(_, i, c)| (i, c)).collect())
}

/// Where a problem of the list goes on the form: next to the field of the row it came from.
fn error_at(st: &Staff, e: &CategoryError, rows_of: &[usize]) -> (String, String) {
    let field = match e.index.and_then(|i| rows_of.get(i)) {
        Some(row) => format!("{}_{row}", e.field),
        None => "form".to_string(),
    };
    (field, e.text(st.lang == Lang::En))
}

/// The rows of the list as it is, with a blank one to add another.
fn rows_of(list: &MallCategories) -> Vec<CatRow> {
    list.categories
        .iter()
        .enumerate()
        .map(|(i, c)| CatRow {
            pos: (i + 1).to_string(),
            code: c.code.clone(),
            name_zh: c.name_zh.clone(),
            name_en: c.name_en.clone(),
            remove: false,
        })
        .chain(std::iter::once(CatRow::default()))
        .collect()
}

pub(super) async fn categories(
    State(web): State<Web>,
    st: Staff,
    Query(q): Query<DoneQuery>,
) -> Response {
    let ctx = st.ctx.clone();
    let list = match web.app.read(move |tx| mall::categories(tx, &ctx)).await {
        Ok(l) => l,
        Err(e) => return st.fail(e),
    };
    let notice = q.done.map(|_| st.t("已保存", "Saved"));
    let body = if st.s.role.operates() {
        categories_form(&st, &rows_of(&list), None, notice)
    } else {
        categories_list(&st, &list)
    };
    st.page(StatusCode::OK, "mall", title(&st), &body)
}

fn title(st: &Staff) -> &'static str {
    st.t("商品分类", "Item categories")
}

pub(super) async fn save_categories(
    State(web): State<Web>,
    st: Staff,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if !st.s.role.operates() {
        return st.forbidden("mall", title(&st));
    }
    let (mut rows, csrf, add) = read_form(&fields);
    let reshow = |rows: &[CatRow], status: StatusCode, error: (String, String)| {
        let body = categories_form(&st, rows, Some(&error), None);
        st.page(status, "mall", title(&st), &body)
    };
    if csrf != st.s.csrf {
        return reshow(&rows, StatusCode::FORBIDDEN, expired(&st));
    }
    if add {
        rows.push(CatRow::default());
        let body = categories_form(&st, &rows, None, None);
        return st.page(StatusCode::OK, "mall", title(&st), &body);
    }
    let kept = match to_list(&st, &rows) {
        Ok(k) => k,
        Err(e) => return reshow(&rows, StatusCode::UNPROCESSABLE_ENTITY, e),
    };
    let from: Vec<usize> = kept.iter().map(|(i, _)| *i).collect();
    let list = MallCategories {
        categories: kept.into_iter().map(|(_, c)| c).collect(),
    };
    if let Err(e) = mall::check_categories(&list) {
        let error = error_at(&st, &e, &from);
        return reshow(&rows, StatusCode::UNPROCESSABLE_ENTITY, error);
    }
    let out = st
        .act_as(&web, "mall", None, move |tx, ctx, now, actor| {
            mall::put_categories(tx, ctx, now, actor, &list)
        })
        .await;
    match out {
        Ok(_) => Redirect::to("/console/mall/categories?done=saved").into_response(),
        Err(AppError::Invalid { message, .. }) => reshow(
            &rows,
            StatusCode::UNPROCESSABLE_ENTITY,
            ("form".into(), message),
        ),
        Err(e) => st.fail(e),
    }
}

/// The categories as a staff member who may not change them sees them: the names in order.
fn categories_list(st: &Staff, list: &MallCategories) -> String {
    let rows: String = list
        .categories
        .iter()
        .enumerate()
        .map(|(i, c)| {
            format!(
                "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
                i + 1,
                esc(&c.name_zh),
                esc(&c.name_en)
            )
        })
        .collect();
    let rows = if rows.is_empty() {
        format!(
            "<tr><td colspan=\"3\" class=\"muted\">{}</td></tr>",
            st.t("还没有命名分类", "No categories are named yet")
        )
    } else {
        rows
    };
    format!(
        "{}<table><thead><tr><th class=\"num\">{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table>",
        back(st),
        st.t("顺序", "Order"),
        st.t("中文名", "Chinese name"),
        st.t("英文名", "English name"),
    )
}

fn back(st: &Staff) -> String {
    format!(
        "<p><a href=\"/console/mall\">← {}</a></p>",
        st.t("积分商城", "Points mall")
    )
}

/// The form: a row per category with its position, code, names and a box to remove it, the
/// error next to its field, and the buttons to save and to add a row.
fn categories_form(
    st: &Staff,
    rows: &[CatRow],
    error: Option<&(String, String)>,
    notice: Option<&str>,
) -> String {
    let input = |name: &str, i: usize, value: &str, label: &str, class: &str| {
        let id = format!("{name}_{i}");
        let invalid = error.is_some_and(|(f, _)| *f == id);
        format!(
            "<td><input type=\"text\" class=\"{class}\" id=\"{id}\" name=\"{id}\" value=\"{}\" aria-label=\"{} {}\"{}>{}</td>",
            esc(value),
            esc(label),
            i + 1,
            if invalid {
                " aria-invalid=\"true\""
            } else {
                ""
            },
            field_error(error, &id),
        )
    };
    let (pos, code, zh, en, remove) = (
        st.t("顺序", "Order"),
        st.t("代码", "Code"),
        st.t("中文名", "Chinese name"),
        st.t("英文名", "English name"),
        st.t("删除", "Remove"),
    );
    let body: String = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            format!(
                "<tr>{}{}{}{}<td><label class=\"inline-check\"><input type=\"checkbox\" name=\"remove_{i}\" value=\"1\"{}> {remove}</label></td></tr>",
                input("pos", i, &r.pos, pos, "order"),
                input("code", i, &r.code, code, "code"),
                input("name_zh", i, &r.name_zh, zh, ""),
                input("name_en", i, &r.name_en, en, ""),
                if r.remove { " checked" } else { "" },
            )
        })
        .collect();
    format!(
        "{}{}<p class=\"muted\">{}</p>{}\
         <form class=\"cats\" method=\"post\" action=\"/console/mall/categories\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <table class=\"cats\"><thead><tr><th>{pos}</th><th>{code}</th><th>{zh}</th><th>{en}</th><th></th></tr></thead><tbody>{body}</tbody></table>\
         <div class=\"actions\"><button type=\"submit\" name=\"save\" value=\"1\">{}</button> <button type=\"submit\" class=\"secondary\" name=\"add\" value=\"1\">{}</button></div></form>",
        back(st),
        notice
            .map(|n| format!("<div class=\"notice\" role=\"status\">{}</div>", esc(n)))
            .unwrap_or_default(),
        st.t(
            "代码是商品上填写的分类（字母、数字或 _ - .）；会员中心按顺序显示分类名。三项都空的行不保存；商品的分类不在列表中时照常可用，显示为代码。",
            "The code is what items carry as their category (letters, digits or _ - .); the member centre shows the names in this order. Rows left empty are not saved; an item whose category is not listed still works and shows its code.",
        ),
        field_error(error, "form"),
        esc(&st.s.csrf),
        st.t("保存", "Save"),
        st.t("添加一行", "Add a row"),
    )
}
