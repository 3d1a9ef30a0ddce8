//! Shipping in bulk from the console over real HTTP: lines pasted as CSV answered line by line
//! (shipped, already shipped, refused with why in the page's language), totals first; an empty
//! or too long paste named next to the field and kept; the same paste again ships nothing twice;
//! the orders waiting to ship download as a CSV to fill in; a role that may not operate is refused.

mod common;

use common::{error_after, start};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_ship_orders_from_a_pasted_csv() {
    let s = start().await;
    let (cookie, csrf) = s.session("amy").await;
    s.create_item(
        json!({"name_zh": "保温杯", "name_en": "Tumbler", "category": "home",
        "kind": {"type": "physical"}, "status": "on_sale",
        "skus": [{"sku": "CUP", "points": 100, "stock": 20}]}),
    )
    .await;
    let a = s.order_posted_home("CUP", 1, "r-1").await;
    let b = s.order_posted_home("CUP", 1, "r-2").await;
    let c = s.order_posted_home("CUP", 1, "r-3").await;
    // The orders page offers it; the form explains the columns and lists the carriers.
    let (_, list, _) = s.get("/console/orders", &cookie).await;
    assert!(
        list.contains("href=\"/console/orders/ship-batch\""),
        "{list}"
    );
    let (st, form, _) = s.get("/console/orders/ship-batch", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        form.contains("<textarea id=\"csv\" name=\"csv\"") && form.contains("顺丰速运"),
        "{form}"
    );
    // The orders waiting to ship, to fill in.
    let (st, csv, _) = s.get("/console/orders/to-ship.csv", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(csv.contains("订单号,快递公司,运单号"), "{csv}");
    assert!(
        csv.contains(&format!("\n{a},,,保温杯,1,王小明,上海")),
        "{csv}"
    );
    // Nothing pasted: named next to the field.
    let post = |text: String| {
        let (csrf, cookie) = (csrf.clone(), cookie.clone());
        let s = &s;
        async move {
            s.post_form(
                "/console/orders/ship-batch",
                &cookie,
                &[("csrf", &csrf), ("csv", &text)],
            )
            .await
        }
    };
    let (st, html, _) = post("\n \n".into()).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_after(&html, "csv").is_some(), "{html}");
    // Too many lines: refused whole, what was pasted kept.
    let big: String = (1..=2_001).map(|i| format!("{i},SF,T{i}\n")).collect();
    let (st, html, _) = post(big).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let e = error_after(&html, "csv").expect("the error beside the field");
    assert!(e.contains("2000") && e.contains("2001"), "{e}");
    assert!(html.contains("2001,SF,T2001"), "the paste is kept");
    // Good, bad and duplicate lines: each answered, the good ones shipped.
    let text = format!(
        "订单号,快递公司,运单号\n{a},SF,SF100\n#{b},中通快递,ZT200\n{c},信鸽,X1\n999999,SF,SF9\n{a},SF,SF100\n"
    );
    let (st, html, _) = post(text.clone()).await;
    assert_eq!(st, StatusCode::OK, "{html}");
    assert!(
        html.contains("<b>已发货 2</b>") && html.contains("<b>未发货 3</b>"),
        "{html}"
    );
    let line = |n: usize| {
        let at = html
            .find(&format!("id=\"line-{n}\""))
            .expect("the line's row");
        let row = &html[at..];
        row[..row.find("</tr>").unwrap()].to_string()
    };
    assert!(
        line(2).contains("已发货") && line(2).contains("顺丰速运"),
        "{}",
        line(2)
    );
    assert!(
        line(3).contains("中通快递") && line(3).contains("ZT200"),
        "{}",
        line(3)
    );
    assert!(
        line(4).contains("快递公司不在列表中") && line(4).contains("信鸽"),
        "{}",
        line(4)
    );
    assert!(line(5).contains("找不到这笔订单"), "{}", line(5));
    assert!(line(6).contains("与第 2 行是同一笔订单"), "{}", line(6));
    let (_, order, _) = s.get(&format!("/console/orders/{b}"), &cookie).await;
    assert!(
        order.contains("中通快递 ZT200") || order.contains("ZT200"),
        "{order}"
    );
    // The same paste again: nothing shipped twice, in English too.
    let (st, html, _) = s
        .post_form(
            "/console/orders/ship-batch?lang=en",
            &cookie,
            &[("csrf", &csrf), ("csv", &text)],
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        html.contains("<b>Shipped 0</b>") && html.contains("Already shipped (not again) 2"),
        "{html}"
    );
    assert!(html.contains("The carrier is not on the list"), "{html}");
    let shipped = s
        .app
        .read(|tx| {
            Ok(tx.audit_entries(
                jifen_ledger::ProgramId(1),
                Some("staff:amy"),
                Some("mall_order.ship"),
                i64::MAX,
                50,
            )?)
        })
        .await
        .unwrap();
    assert_eq!(
        shipped.len(),
        2,
        "audited once per order, in the staff member's name"
    );
    // A form from another session is refused and keeps the paste; a role that only serves
    // members may not ship.
    let (st, html, _) = s
        .post_form(
            "/console/orders/ship-batch",
            &cookie,
            &[("csrf", "stale"), ("csv", "1,SF,T")],
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert!(html.contains("1,SF,T"), "{html}");
    let (sam, sam_csrf) = s.session("sam").await;
    let (st, _, _) = s.get("/console/orders/ship-batch", &sam).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = s
        .post_form(
            "/console/orders/ship-batch",
            &sam,
            &[("csrf", &sam_csrf), ("csv", &format!("{c},SF,T1"))],
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}

/// Cancelling an order waiting for its cash asks for the reason like a refund: refused next to
/// the field without one (the order still waiting, its points still held), then cancelled with
/// the points back and the reason in the order's history and the audit log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancellation_asks_for_the_reason() {
    let s = start().await;
    let (cookie, csrf) = s.session("amy").await;
    s.create_item(
        json!({"name_zh": "帆布袋", "name_en": "Tote", "category": "home",
        "kind": {"type": "physical"}, "status": "on_sale",
        "skus": [{"sku": "TOTE", "points": 500, "cash_minor": 990, "stock": 5}]}),
    )
    .await;
    let before = s.available().await;
    let id = s.order_posted_home("TOTE", 1, "c-1").await;
    assert_eq!(s.available().await, before - 500);
    let (_, page, _) = s.get(&format!("/console/orders/{id}"), &cookie).await;
    let cancel = format!("/console/orders/{id}/cancel");
    assert!(page.contains(&format!("href=\"{cancel}\"")), "{page}");
    let (st, confirm, _) = s.get(&cancel, &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        confirm.contains("500") && confirm.contains("库存放回"),
        "{confirm}"
    );
    let key = common::hidden(&confirm, "form_key");
    let (st, html, _) = s
        .post_form(
            &cancel,
            &cookie,
            &[("csrf", &csrf), ("form_key", &key), ("reason", "")],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_after(&html, "reason").is_some(), "{html}");
    assert_eq!(s.available().await, before - 500, "nothing given back yet");
    let (st, _, _) = s
        .post_form(
            &cancel,
            &cookie,
            &[
                ("csrf", &csrf),
                ("form_key", &key),
                ("reason", "顾客改主意了"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(s.available().await, before);
    let (_, page, _) = s.get(&format!("/console/orders/{id}"), &cookie).await;
    assert!(
        page.contains("顾客改主意了") && page.contains("pill cancelled"),
        "{page}"
    );
    let (_, audit, _) = s
        .get("/console/audit?action=mall_order.cancel", &cookie)
        .await;
    assert!(audit.contains("原因：顾客改主意了"), "{audit}");
}
