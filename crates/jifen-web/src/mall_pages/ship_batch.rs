//! Shipping many orders at once: staff paste (or pick) a CSV of `order,carrier,tracking_no`
//! lines, and the answer lists every line as shipped, already shipped or refused with why
//! (`jifen_app::App::ship_batch`), the totals first. The orders waiting to ship download as a
//! CSV to fill in. Rendered by `templates/console/ship_batch.html`.

use askama::Template;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::Response;
use jifen_app::mall::{self, CsvProblem, SHIP_BATCH_MAX, ShipBatchResult, ShipOutcome};
use jifen_domain::words;
use serde::Deserialize;

use crate::frame::{Frame, respond};
use crate::page::{L, Lang};
use crate::{Staff, Web};

/// The totals at the top of the answer.
struct Totals {
    shipped: usize,
    already: usize,
    refused: usize,
}

/// One line of the answer as the table shows it.
struct ResultLine {
    line: usize,
    order: String,
    order_id: Option<i64>,
    carrier: String,
    tracking_no: String,
    /// `shipped`, `already_shipped` or `refused`: the row's class.
    outcome: &'static str,
    pill: &'static str,
    label: &'static str,
    why: Option<String>,
}

#[derive(Template)]
#[template(path = "console/ship_batch.html")]
struct ShipBatchPage {
    frame: Frame,
    max: usize,
    carriers: Vec<(&'static str, &'static str)>,
    csv: String,
    error: Option<String>,
    totals: Option<Totals>,
    lines: Vec<ResultLine>,
}

fn page(st: &Staff) -> ShipBatchPage {
    let title = st.t("批量发货", "Ship in bulk");
    ShipBatchPage {
        frame: Frame::new(st.lang, &st.s, "orders", title),
        max: SHIP_BATCH_MAX,
        carriers: words::CARRIERS
            .iter()
            .map(|w| (w.code, w.text(st.lang == Lang::En)))
            .collect(),
        csv: String::new(),
        error: None,
        totals: None,
        lines: Vec::new(),
    }
}

pub(super) async fn ship_batch_form(st: Staff) -> Response {
    if !st.s.role.operates() {
        return st.forbidden("orders", st.t("批量发货", "Ship in bulk"));
    }
    respond(StatusCode::OK, &page(&st), &st.set_lang)
}

#[derive(Deserialize, Default)]
pub(super) struct ShipBatchForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    csv: String,
}

pub(super) async fn ship_batch(
    State(web): State<Web>,
    st: Staff,
    Form(f): Form<ShipBatchForm>,
) -> Response {
    if !st.s.role.operates() {
        return st.forbidden("orders", st.t("批量发货", "Ship in bulk"));
    }
    let mut p = page(&st);
    p.csv = f.csv.clone();
    let refuse = |mut p: ShipBatchPage, msg: String, status: StatusCode| {
        p.error = Some(msg);
        respond(status, &p, &st.set_lang)
    };
    if f.csrf != st.s.csrf {
        return refuse(p, crate::forms::expired(&st).1, StatusCode::FORBIDDEN);
    }
    let lines = match mall::parse_ship_csv(&f.csv) {
        Ok(l) => l,
        Err(CsvProblem::Empty) => {
            let msg = st.t(
                "请粘贴或选择要发货的订单，每行：订单号,快递公司,运单号",
                "Paste or choose the orders to ship, one a line: order,carrier,tracking number",
            );
            return refuse(p, msg.into(), StatusCode::UNPROCESSABLE_ENTITY);
        }
        Err(CsvProblem::TooMany(n)) => {
            let msg = match st.lang {
                Lang::Zh => {
                    format!("一次最多 {SHIP_BATCH_MAX} 行，这里有 {n} 行；请分成几个文件上传")
                }
                Lang::En => format!(
                    "At most {SHIP_BATCH_MAX} lines at once; this has {n}. Split it into several files"
                ),
            };
            return refuse(p, msg, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let out = web.app.ship_batch(st.s.program, &st.s.actor(), lines).await;
    match out {
        Ok(r) => {
            show(&st, &mut p, &r);
            p.csv.clear();
            respond(StatusCode::OK, &p, &st.set_lang)
        }
        Err(e) => st.fail(e),
    }
}

/// The batch's answer into the page: totals and one row per line, in the page's language.
fn show(st: &Staff, p: &mut ShipBatchPage, r: &ShipBatchResult) {
    let en = st.lang == Lang::En;
    p.totals = Some(Totals {
        shipped: r.shipped,
        already: r.already_shipped,
        refused: r.refused,
    });
    p.lines = r
        .lines
        .iter()
        .map(|l| {
            let (outcome, pill, label) = match l.outcome {
                ShipOutcome::Shipped => ("shipped", "delivered", st.t("已发货", "Shipped")),
                ShipOutcome::AlreadyShipped => (
                    "already_shipped",
                    "shipped",
                    st.t("此前已发货", "Already shipped"),
                ),
                ShipOutcome::Refused => ("refused", "overdue", st.t("未发货", "Not shipped")),
            };
            ResultLine {
                line: l.line,
                order: l.order.clone(),
                order_id: l.order_id,
                carrier: l.carrier_code.as_deref().map_or_else(
                    || l.carrier.clone(),
                    |c| words::text(words::CARRIERS, c, en),
                ),
                tracking_no: l.tracking_no.clone(),
                outcome,
                pill,
                label,
                why: (l.outcome == ShipOutcome::Refused).then(|| mall::refusal_text(l, en)),
            }
        })
        .collect();
}

/// The paid orders of goods that ship, oldest last, as a CSV to fill in: the order, empty
/// carrier and tracking number columns, then what helps to find the parcel (item, quantity,
/// receiver, city). At most one batch's worth.
pub(super) async fn to_ship_csv(State(web): State<Web>, st: Staff) -> Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    if !st.s.role.operates() {
        return st.forbidden("orders", st.t("批量发货", "Ship in bulk"));
    }
    let ctx = st.ctx.clone();
    let orders = web
        .app
        .read(move |tx| {
            let mut out = Vec::new();
            let mut before = None;
            loop {
                let page = mall::list_orders(tx, &ctx, None, Some("paid"), before, 200)?;
                out.extend(page.items.into_iter().filter(|o| o.ships()));
                match page.next_before {
                    Some(b) if out.len() < SHIP_BATCH_MAX => before = Some(b),
                    _ => break,
                }
            }
            out.truncate(SHIP_BATCH_MAX);
            Ok(out)
        })
        .await;
    let orders = match orders {
        Ok(o) => o,
        Err(e) => return st.fail(e),
    };
    let en = st.lang == Lang::En;
    let head = if en {
        "order,carrier,tracking_no,item,quantity,receiver,city\n"
    } else {
        "订单号,快递公司,运单号,商品,数量,收货人,城市\n"
    };
    let mut body = String::from("\u{feff}");
    body.push_str(head);
    for o in &orders {
        let (name, city) = o
            .address
            .as_ref()
            .map_or(("", ""), |a| (a.name.as_str(), a.city.as_str()));
        let fields = [
            o.order_id.to_string(),
            String::new(),
            String::new(),
            jifen_app::csv_field(o.item_name(en)),
            o.quantity.to_string(),
            jifen_app::csv_field(name),
            jifen_app::csv_field(city),
        ];
        body.push_str(&fields.join(","));
        body.push('\n');
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"orders-to-ship.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}
