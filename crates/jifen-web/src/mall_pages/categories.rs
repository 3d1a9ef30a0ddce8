//! The mall's categories: a form with a row per category (its position, code, Chinese and
//! English names, and a box to remove it), saved whole through `mall::put_categories`; a
//! problem is shown next to its field with every row kept as typed.

use std::collections::BTreeMap;

use jifen_app::mall::{CategoryError, MallCategories, MallCategory};

use askama::Template;

use super::*;
use crate::forms::FormState;
use crate::frame::Frame;
use crate::page::{L, Lang};

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
    let (editable, rows) = if st.s.role.operates() {
        (true, rows_of(&list))
    } else {
        let rows = rows_of(&list);
        (false, rows[..rows.len() - 1].to_vec())
    };
    page(&st, &rows, editable, None, notice, StatusCode::OK)
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
        page(&st, rows, true, Some(error), None, status)
    };
    if csrf != st.s.csrf {
        return reshow(&rows, StatusCode::FORBIDDEN, expired(&st));
    }
    if add {
        rows.push(CatRow::default());
        return page(&st, &rows, true, None, None, StatusCode::OK);
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

/// A field of a row, with its id (`code_3`) and its label for a screen reader.
struct Cell {
    id: String,
    value: String,
    label: &'static str,
    class: &'static str,
}

/// A row as the page shows it: its number from 1, and its fields.
struct RowView {
    i: usize,
    n: usize,
    cells: Vec<Cell>,
    name_zh: String,
    name_en: String,
    remove: bool,
}

#[derive(Template)]
#[template(path = "console/categories.html")]
struct CategoriesPage {
    frame: Frame,
    /// The form for staff who may change them; the names in order for the others.
    editable: bool,
    notice: Option<String>,
    form: FormState,
    rows: Vec<RowView>,
}

/// The page: the form with a row per category (its position, code, names and a box to remove
/// it), the error next to its field; or the list for staff who may not change it.
fn page(
    st: &Staff,
    rows: &[CatRow],
    editable: bool,
    error: Option<(String, String)>,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let (pos, code, zh, en) = (
        st.t("顺序", "Order"),
        st.t("代码", "Code"),
        st.t("中文名", "Chinese name"),
        st.t("英文名", "English name"),
    );
    let rows = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let cell = |name: &str, value: &str, label, class| Cell {
                id: format!("{name}_{i}"),
                value: value.to_string(),
                label,
                class,
            };
            RowView {
                i,
                n: i + 1,
                cells: vec![
                    cell("pos", &r.pos, pos, "order"),
                    cell("code", &r.code, code, "code"),
                    cell("name_zh", &r.name_zh, zh, ""),
                    cell("name_en", &r.name_en, en, ""),
                ],
                name_zh: r.name_zh.clone(),
                name_en: r.name_en.clone(),
                remove: r.remove,
            }
        })
        .collect();
    let page = CategoriesPage {
        frame: st.frame("mall", title(st)),
        editable,
        notice: notice.map(str::to_string),
        form: FormState::new(st, "", error),
        rows,
    };
    st.render(status, &page)
}
