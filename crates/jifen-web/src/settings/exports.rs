//! CSV exports of the ledger and the orders, streamed a page at a time, for the roles that may export.

use super::*;
use jifen_app::console::ExportKind;

/// `[from, to)` of an export's `from` and `to` days (inclusive, in the programme's zone).
pub(crate) fn export_range(
    q: &HashMap<String, String>,
    tz: &TimeZone,
    lang: Lang,
) -> Result<(Millis, Millis), String> {
    let day = |key: &str| -> Result<Option<jiff::civil::Date>, String> {
        let Some(v) = q.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        match jifen_app::overview::parse_date(v) {
            Some(d) => Ok(Some(d)),
            None => Err(match lang {
                Lang::Zh => format!("{key} 日期格式不对：{v:?}，应为 YYYY-MM-DD，例如 2026-01-31"),
                Lang::En => {
                    format!("{key} is not a date: {v:?}; use YYYY-MM-DD, for example 2026-01-31")
                }
            }),
        }
    };
    let start = |d: jiff::civil::Date| {
        d.to_zoned(tz.clone())
            .map(|z| z.timestamp().as_millisecond())
            .map_err(|e| e.to_string())
    };
    let (from, to) = (day("from")?, day("to")?);
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(pick(
            lang,
            "开始日期晚于结束日期",
            "The from date is after the to date",
        )
        .to_string());
    }
    let from = match from {
        Some(d) => start(d)?,
        None => i64::MIN,
    };
    let to = match to {
        Some(d) => match d.tomorrow() {
            Ok(next) => start(next)?,
            Err(_) => i64::MAX,
        },
        None => i64::MAX,
    };
    Ok((from, to))
}

/// Checks the role and the dates and audits the export; the range or the answer to give instead.
pub(super) async fn begin_export(
    web: &Web,
    st: &Staff,
    q: &HashMap<String, String>,
    what: ExportKind,
) -> Result<(Millis, Millis, Exporter), Response> {
    let Some(exporter) = st.s.exporter() else {
        return Err(st.forbidden("settings", title(st)));
    };
    let (from, to) = export_range(q, &st.ctx.tz, st.lang).map_err(|msg| {
        crate::error_page(
            st.lang,
            &st.s,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(title(st)),
            &msg,
            "settings",
            "/console/settings",
        )
    })?;
    let typed = |k: &str| {
        q.get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let (a, b, who) = (typed("from"), typed("to"), exporter.clone());
    web.app
        .write_view(st.s.program, "staff", None, move |tx, _ctx, now| {
            jifen_app::console::begin_export(tx, &who, what, a.as_deref(), b.as_deref(), now)
        })
        .await
        .map_err(|e| st.fail(e))?;
    Ok((from, to, exporter))
}

pub(super) fn csv_time(ms: Millis, tz: &TimeZone) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned(tz.clone())
                .strftime("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

pub(super) fn opt(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// Minor units as a decimal amount: 1234 -> 12.34.
pub(super) fn money(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let m = minor.unsigned_abs();
    format!("{sign}{}.{:02}", m / 100, m % 100)
}

pub(super) fn csv_response(name: &str, body: axum::body::Body) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

/// Where a streamed export is: the last id written, the header until it is sent, and what the
/// export keeps between pages.
pub(super) struct Cursor<C> {
    pub(super) after: i64,
    pub(super) head: Option<String>,
    pub(super) cache: C,
}

pub(super) async fn export_ledger(
    State(web): State<Web>,
    st: Staff,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (from, to, exporter) = match begin_export(&web, &st, &q, ExportKind::Ledger).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let (app, tz, lang) = (web.app.clone(), st.ctx.tz.clone(), st.lang);
    let head = "\u{feff}transfer_id,time,member_id,counterparty_id,point_type,code,kind,phase,amount,balance_effect,\
                debit_account,credit_account,order_ref,reason,actor,pending_of,reversal_of\n"
        .to_string();
    let first = Cursor {
        after: 0,
        head: Some(head),
        cache: (),
    };
    let stream = futures_util::stream::unfold(Some(first), move |state| {
        let (app, tz, who) = (app.clone(), tz.clone(), exporter.clone());
        async move {
            let mut c = state?;
            if let Some(h) = c.head.take() {
                return Some((Ok::<_, std::io::Error>(h), Some(c)));
            }
            let after = c.after;
            let rows = match app
                .read(move |tx| {
                    jifen_app::console::ledger_export_page(tx, &who, after, from, to, EXPORT_PAGE)
                })
                .await
            {
                Ok(r) => r,
                // Break the download rather than end it as if it were complete.
                Err(e) => return Some((Err(std::io::Error::other(e.to_string())), None)),
            };
            let last = rows.last()?.transfer_id;
            let mut chunk = String::new();
            for r in &rows {
                chunk.push_str(&format!(
                    "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                    r.transfer_id,
                    csv_time(r.created_at, &tz),
                    opt(r.member),
                    opt(r.counterparty),
                    csv_field(&r.point_type),
                    csv_field(&r.code),
                    csv_field(&code_label(&r.code, lang)),
                    csv_field(&r.phase),
                    r.amount,
                    r.balance_effect,
                    csv_field(&r.debit_kind),
                    csv_field(&r.credit_kind),
                    csv_field(r.order_ref.as_deref().unwrap_or("")),
                    csv_field(r.reason.as_deref().unwrap_or("")),
                    csv_field(r.actor.as_deref().unwrap_or("")),
                    opt(r.pending_of),
                    opt(r.reversal_of),
                ));
            }
            c.after = last;
            Some((Ok(chunk), Some(c)))
        }
    });
    csv_response("ledger.csv", axum::body::Body::from_stream(stream))
}

pub(super) async fn export_orders(
    State(web): State<Web>,
    st: Staff,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (from, to, exporter) = match begin_export(&web, &st, &q, ExportKind::Orders).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let (app, tz, lang) = (web.app.clone(), st.ctx.tz.clone(), st.lang);
    let currency = st.ctx.program.currency.clone();
    let head = "\u{feff}order_id,time,member_id,item_id,item,sku,quantity,points,cash,currency,state,carrier,\
                tracking_no,payment_ref,refunded_points,refunded_cash,updated\n"
        .to_string();
    let first = Cursor {
        after: 0,
        head: Some(head),
        cache: HashMap::<i64, String>::new(),
    };
    let stream = futures_util::stream::unfold(Some(first), move |state| {
        let (app, tz, currency, who) =
            (app.clone(), tz.clone(), currency.clone(), exporter.clone());
        async move {
            let mut c = state?;
            if let Some(h) = c.head.take() {
                return Some((Ok::<_, std::io::Error>(h), Some(c)));
            }
            let (after, mut names) = (c.after, std::mem::take(&mut c.cache));
            let page = app
                .read(move |tx| {
                    let rows = jifen_app::console::order_export_page(
                        tx,
                        &who,
                        after,
                        from,
                        to,
                        EXPORT_PAGE,
                    )?;
                    // Item names, read once per item for the whole export.
                    for r in &rows {
                        if names.contains_key(&r.item_id) {
                            continue;
                        }
                        let name = jifen_app::console::item_name(
                            tx,
                            who.program(),
                            r.item_id,
                            lang == Lang::En,
                        )?;
                        names.insert(r.item_id, name);
                    }
                    Ok((rows, names))
                })
                .await;
            let (rows, names) = match page {
                Ok(p) => p,
                Err(e) => return Some((Err(std::io::Error::other(e.to_string())), None)),
            };
            let last = rows.last()?.order_id;
            let mut chunk = String::new();
            for r in &rows {
                chunk.push_str(&format!(
                    "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                    r.order_id,
                    csv_time(r.created_at, &tz),
                    r.member,
                    r.item_id,
                    csv_field(names.get(&r.item_id).map(String::as_str).unwrap_or("")),
                    csv_field(r.sku.as_deref().unwrap_or("")),
                    r.quantity,
                    r.points,
                    money(r.cash_minor),
                    csv_field(&currency),
                    csv_field(&r.state),
                    csv_field(r.carrier.as_deref().unwrap_or("")),
                    csv_field(r.tracking_no.as_deref().unwrap_or("")),
                    csv_field(r.payment_ref.as_deref().unwrap_or("")),
                    r.refunded_points,
                    money(r.refunded_cash_minor),
                    csv_time(r.updated_at, &tz),
                ));
            }
            c.after = last;
            c.cache = names;
            Some((Ok(chunk), Some(c)))
        }
    });
    csv_response("orders.csv", axum::body::Body::from_stream(stream))
}
