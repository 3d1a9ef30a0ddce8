//! Shipping in bulk in a real headless Chromium at 1440 px: an operator pastes a CSV of
//! tracking numbers (good, unknown carrier, unknown order, a line twice) and reads the totals
//! and the answer of every line, in 中文 and then in English; the refund's confirmation asks
//! for the reason, and so does revoking an API key. Screenshots are kept under `target/screenshots/`.

mod cdp;
mod common;

use common::start;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_pastes_tracking_numbers_and_reads_each_line() {
    let s = start().await;
    s.create_item(
        json!({"name_zh": "保温杯", "name_en": "Tumbler", "category": "home",
        "kind": {"type": "physical"}, "status": "on_sale",
        "skus": [{"sku": "CUP", "points": 100, "stock": 20}]}),
    )
    .await;
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(s.order_posted_home("CUP", 1, &format!("r-{i}")).await);
    }
    let pid = s.pid;
    let key = s.app.read(move |tx| Ok(tx.api_keys(pid)?)).await.unwrap()[0]
        .key_id
        .clone();
    let base = s.base.clone();
    tokio::task::spawn_blocking(move || {
        let Some(mut b) = cdp::Browser::start() else {
            return;
        };
        b.viewport(1440, 900);
        b.sign_in(&base, "amy");
        b.goto(&format!("{base}/console/orders"));
        b.eval("document.querySelector('a[href=\"/console/orders/ship-batch\"]').click(); true");
        b.wait_until("location.pathname === '/console/orders/ship-batch'");
        assert_eq!(b.path(), "/console/orders/ship-batch");
        let paste = |b: &mut cdp::Browser, first: usize| {
            let text = format!(
                "订单号,快递公司,运单号\n{},SF,SF1000{first}\n{},顺丰速运,SF2000{first}\n{},中通快递,ZT3000{first}\n{},信鸽快递,XG1\n999999,SF,SF9\n{},SF,SF1000{first}\n",
                ids[first], ids[first + 1], ids[first + 2], ids[first + 2], ids[first]
            );
            b.eval(&format!("document.getElementById('csv').value = {}; true", json!(text)));
            b.eval("document.querySelector('form.ship-batch button').click(); true");
            b.wait_until("document.querySelector('.ship-results') !== null");
        };
        paste(&mut b, 0);
        let text = b.text();
        assert!(text.contains("已发货 3") && text.contains("未发货 3"), "{text}");
        assert!(text.contains("快递公司不在列表中"), "{text}");
        assert!(text.contains("找不到这笔订单"), "{text}");
        assert!(text.contains("与第 2 行是同一笔订单"), "{text}");
        b.screenshot("console-ship-batch");
        // In English, on other orders.
        b.goto(&format!("{base}/console/orders/ship-batch?lang=en"));
        paste(&mut b, 3);
        let text = b.text();
        assert!(text.contains("Shipped 3") && text.contains("Not shipped 3"), "{text}");
        assert!(text.contains("The carrier is not on the list"), "{text}");
        assert!(text.contains("Same order as line 2"), "{text}");
        b.screenshot("console-ship-batch-en");
        // The refund asks for the reason first.
        b.goto(&format!("{base}/console/orders/{}/refund?lang=zh", ids[0]));
        let text = b.text();
        assert!(text.contains("将退还") && text.contains("原因"), "{text}");
        b.screenshot("console-refund-confirm");
        // Revoking an API key names it and asks why.
        b.goto(&format!("{base}/console/settings/keys/{key}/revoke"));
        let text = b.text();
        assert!(text.contains("吊销接口密钥") && text.contains("原因"), "{text}");
        b.screenshot("console-key-revoke");
    })
    .await
    .unwrap();
}
