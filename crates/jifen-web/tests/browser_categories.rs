//! The mall's categories in a real headless Chromium: an owner names and orders them on the
//! console's form (a row added, a missing name shown next to its field with the rows kept,
//! then saved in the order of the positions), sees them on the mall list and the item form,
//! and a member sees them as the centre's chips on a phone, in 中文 and English. Screenshots
//! are kept under `target/screenshots/`.

mod cdp;
mod common;

use common::start;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_names_the_categories_and_members_see_them_by_name() {
    let s = start().await;
    for (zh, en, category, sku) in [
        ("耶加雪菲咖啡豆", "Yirgacheffe beans", "beans", "YIRGA"),
        ("白色陶瓷马克杯", "White mug", "drinkware", "MUG"),
        ("品牌T恤", "Branded T-shirt", "tees", "TEE"),
    ] {
        s.create_item(json!({
            "name_zh": zh, "name_en": en, "category": category, "kind": {"type": "physical"},
            "status": "on_sale", "skus": [{"sku": sku, "points": 800, "stock": 10}]
        }))
        .await;
    }
    let base = s.base.clone();
    let link = s.centre_link_of(s.member).await;
    tokio::task::spawn_blocking(move || {
        let Some(mut b) = cdp::Browser::start() else {
            return;
        };
        b.viewport(1280, 900);
        b.sign_in(&base, "amy");
        assert_eq!(b.path(), "/console");
        // From the mall list to the categories.
        b.goto(&format!("{base}/console/mall"));
        b.eval("document.querySelector('a[href=\"/console/mall/categories\"]').click(); true");
        b.wait_until("location.pathname === '/console/mall/categories'");
        let set = |b: &mut cdp::Browser, id: &str, v: &str| {
            b.eval(&format!("document.getElementById('{id}').value = {}; true", json!(v)));
        };
        set(&mut b, "code_0", "beans");
        set(&mut b, "name_zh_0", "咖啡豆");
        set(&mut b, "name_en_0", "Coffee beans");
        set(&mut b, "pos_0", "2");
        // Another row: what was typed stays.
        b.eval("document.querySelector('button[name=add]').click(); true");
        b.wait_until("document.getElementById('code_1') !== null && document.getElementById('code_1').value === '' && document.getElementById('code_0').value === 'beans'");
        set(&mut b, "code_1", "drinkware");
        set(&mut b, "name_en_1", "Drinkware");
        set(&mut b, "pos_1", "1");
        b.eval("document.querySelector('button[name=save]').click(); true");
        b.wait_until("document.querySelector('.field-error') !== null");
        let text = b.text();
        assert!(text.contains("请填写名称"), "{text}");
        assert_eq!(
            b.eval("document.getElementById('name_en_0').value"),
            json!("Coffee beans")
        );
        assert_eq!(
            b.eval("document.getElementById('name_zh_1').getAttribute('aria-invalid')"),
            json!("true")
        );
        b.screenshot("console-categories-error");
        set(&mut b, "name_zh_1", "杯具");
        b.eval("document.querySelector('button[name=save]').click(); true");
        b.wait_until("location.search.includes('done=saved')");
        assert!(b.text().contains("已保存"));
        assert_eq!(
            b.eval("document.getElementById('code_0').value"),
            json!("drinkware"),
            "saved in the order of the positions"
        );
        b.screenshot("console-categories");
        b.goto(&format!("{base}/console/mall/categories?lang=en"));
        assert!(b.text().contains("Item categories"));
        b.screenshot("console-categories-en");
        // The list and the item form name them.
        b.goto(&format!("{base}/console/mall?lang=zh"));
        let text = b.text();
        assert!(text.contains("咖啡豆") && text.contains("杯具"), "{text}");
        b.screenshot("console-mall-categories");
        b.goto(&format!("{base}/console/mall/items/new"));
        assert_eq!(
            b.eval("[...document.querySelectorAll('#category option')].map(o => o.textContent).join('|')"),
            json!("请选择|杯具|咖啡豆")
        );
        b.screenshot("console-item-category");
        // The member's chips on a phone, in the merchant's order.
        b.viewport(375, 812);
        b.goto(&format!("{base}{link}/mall?lang=zh"));
        assert_eq!(
            b.eval("[...document.querySelectorAll('.chips a')].map(a => a.textContent).join('|')"),
            json!("全部|杯具|咖啡豆|tees")
        );
        assert_eq!(
            b.eval("document.documentElement.scrollWidth <= 375"),
            json!(true),
            "no sideways scrolling at 375 px"
        );
        b.screenshot("centre-mall-categories-375");
        b.goto(&format!("{base}{link}/mall?lang=en"));
        assert_eq!(
            b.eval("[...document.querySelectorAll('.chips a')].map(a => a.textContent).join('|')"),
            json!("All|Drinkware|Coffee beans|tees")
        );
        b.screenshot("centre-mall-categories-375-en");
        b.eval("[...document.querySelectorAll('.chips a')].find(a => a.textContent === 'Coffee beans').click(); true");
        b.wait_until("location.search.includes('cat=beans')");
        assert!(b.text().contains("Yirgacheffe") && !b.text().contains("White mug"));
        b.eval("document.querySelector('a.goods').click(); true");
        b.wait_until("/\\/mall\\/\\d+$/.test(location.pathname)");
        assert!(b.text().contains("Coffee beans"), "{}", b.text());
        b.screenshot("centre-item-category-375-en");
    })
    .await
    .unwrap();
}
