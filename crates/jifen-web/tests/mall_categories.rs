//! The mall's categories over real HTTP: the console's form (a row per category; a problem
//! shown next to its field in the page's language with every row kept as typed; a row added;
//! reordered by position; removed), the mall list and item form naming them, and the member
//! centre's chips in the merchant's order in 中文 and English.

mod common;

use common::{Site, error_after, hidden, location, start};
use jifen_app::mall::{MallCategories, MallCategory};
use reqwest::StatusCode;
use serde_json::json;

async fn create_item(s: &Site, name_zh: &str, name_en: &str, category: &str, sku: &str) -> i64 {
    s.create_item(json!({
        "name_zh": name_zh, "name_en": name_en, "category": category, "kind": {"type": "virtual"},
        "status": "on_sale", "skus": [{"sku": sku, "points": 100, "stock": 10}]
    }))
    .await
}

async fn categories(s: &Site) -> Vec<(String, String, String)> {
    let ctx = s.app.program_ctx(s.pid).await.unwrap();
    s.app
        .read(move |tx| jifen_app::mall::categories(tx, &ctx))
        .await
        .unwrap()
        .categories
        .into_iter()
        .map(|c| (c.code, c.name_zh, c.name_en))
        .collect()
}

async fn set_categories(s: &Site, list: &[(&str, &str, &str)]) {
    let l = MallCategories {
        categories: list
            .iter()
            .map(|(code, zh, en)| MallCategory {
                code: code.to_string(),
                name_zh: zh.to_string(),
                name_en: en.to_string(),
            })
            .collect(),
    };
    s.app
        .write_view(s.pid, "mall", None, move |tx, ctx, now| {
            jifen_app::mall::put_categories(tx, ctx, now, "staff:test", &l)
        })
        .await
        .unwrap();
}

async fn audited(s: &Site) -> Vec<jifen_store::AuditRow> {
    let pid = s.pid;
    s.app
        .read(move |tx| {
            Ok(tx.audit_entries(pid, None, Some("mall_categories.update"), i64::MAX, 50)?)
        })
        .await
        .unwrap()
}

/// The form's fields for rows of (position, code, Chinese name, English name).
fn rows(csrf: &str, rows: &[(&str, &str, &str, &str)]) -> Vec<(String, String)> {
    let mut out = vec![("csrf".to_string(), csrf.to_string())];
    for (i, (pos, code, zh, en)) in rows.iter().enumerate() {
        for (name, v) in [
            ("pos", pos),
            ("code", code),
            ("name_zh", zh),
            ("name_en", en),
        ] {
            out.push((format!("{name}_{i}"), v.to_string()));
        }
    }
    out
}

async fn post(s: &Site, cookie: &str, form: &[(String, String)]) -> (StatusCode, String, String) {
    let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (st, html, h) = s.post_form("/console/mall/categories", cookie, &f).await;
    (st, html, location(&h))
}

/// The `value` of the input with this id.
fn value_of(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no {id} in {html}"));
    let rest = &html[at..];
    let v = &rest[rest.find("value=\"").unwrap() + 7..];
    v[..v.find('"').unwrap()].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn categories_are_named_and_ordered_on_a_form() {
    let s = start().await;
    let (cookie, csrf) = s.session("amy").await;
    let (st, html, _) = s.get("/console/mall", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("href=\"/console/mall/categories\""), "{html}");
    let (st, html, _) = s.get("/console/mall/categories", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(value_of(&html, "code_0"), "", "a blank row to fill");
    // A name left empty is named next to its field, in Chinese, and every row is kept as typed.
    let typed = [
        ("2", "beans", "咖啡豆", "Coffee beans"),
        ("1", "drinkware", "杯具", "Drinkware"),
        ("3", "tees", "", "Tees"),
    ];
    let (st, html, _) = post(&s, &cookie, &rows(&csrf, &typed)).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let e = error_after(&html, "name_zh_2").expect("the error next to the name");
    assert!(e.contains("请填写名称"), "{e}");
    assert!(html.contains("aria-invalid=\"true\""), "{html}");
    assert_eq!(
        html.matches("class=\"field-error\"").count(),
        1,
        "one error"
    );
    assert_eq!(value_of(&html, "name_en_0"), "Coffee beans");
    assert_eq!(value_of(&html, "pos_0"), "2");
    assert_eq!(value_of(&html, "code_2"), "tees");
    assert!(categories(&s).await.is_empty(), "nothing is saved");
    assert!(audited(&s).await.is_empty());
    // The same in English.
    let (_, html, _) = post(
        &s,
        &format!("{cookie}; jifen_lang=en"),
        &rows(&csrf, &typed),
    )
    .await;
    let e = error_after(&html, "name_zh_2").unwrap();
    assert!(e.contains("must not be empty"), "{e}");
    // A code twice, a bad code, a position that is no number and a name too long are each named
    // on their row.
    for (bad, field, words) in [
        (
            [
                ("1", "beans", "咖啡豆", "Beans"),
                ("2", "beans", "豆", "Beans"),
            ],
            "code_1",
            "已用于",
        ),
        (
            [
                ("1", "beans", "咖啡豆", "Beans"),
                ("2", "cups 2", "杯", "Cups"),
            ],
            "code_1",
            "字母、数字",
        ),
        (
            [
                ("一", "beans", "咖啡豆", "Beans"),
                ("2", "cups", "杯", "Cups"),
            ],
            "pos_0",
            "整数",
        ),
        (
            [
                ("1", "beans", "咖啡豆", "Beans"),
                ("2", "cups", "杯", "Cups for coffee, tea and water"),
            ],
            "name_en_1",
            "最多 20 个字符",
        ),
    ] {
        let (st, html, _) = post(&s, &cookie, &rows(&csrf, &bad)).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        let e = error_after(&html, field).unwrap_or_else(|| panic!("{field}: {html}"));
        assert!(e.contains(words), "{field}: {e}");
    }
    // Another row, without saving: what was typed stays, with one more blank row.
    let mut form = rows(&csrf, &typed);
    form.push(("add".into(), "1".into()));
    let (st, html, _) = post(&s, &cookie, &form).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(value_of(&html, "name_en_1"), "Drinkware");
    assert_eq!(value_of(&html, "code_3"), "");
    assert!(categories(&s).await.is_empty());
    // Saved in the order of the positions; the names trimmed; one audit entry in amy's name.
    let good = [
        ("2", "beans", " 咖啡豆 ", "Coffee beans"),
        ("1", "drinkware", "杯具", "Drinkware"),
        ("3", "tees", "T恤", "Tees"),
        ("", "", "", ""),
    ];
    let (st, _, to) = post(&s, &cookie, &rows(&csrf, &good)).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(to, "/console/mall/categories?done=saved");
    let saved = categories(&s).await;
    let codes: Vec<&str> = saved.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(codes, ["drinkware", "beans", "tees"]);
    assert_eq!(saved[1].1, "咖啡豆");
    let log = audited(&s).await;
    assert_eq!(log.len(), 1);
    assert!(log[0].actor.contains("amy"), "{}", log[0].actor);
    let (_, html, _) = s.get(&to, &cookie).await;
    assert!(html.contains("已保存"), "{html}");
    assert_eq!(value_of(&html, "code_0"), "drinkware");
    assert_eq!(value_of(&html, "code_3"), "", "a blank row to add one");
    // Reordered by position and one removed.
    let mut form = rows(
        &csrf,
        &[
            ("3", "drinkware", "杯具", "Drinkware"),
            ("1", "beans", "咖啡豆", "Coffee beans"),
            ("2", "tees", "T恤", "Tees"),
        ],
    );
    form.push(("remove_2".into(), "1".into()));
    let (st, _, _) = post(&s, &cookie, &form).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let codes: Vec<String> = categories(&s).await.into_iter().map(|c| c.0).collect();
    assert_eq!(codes, ["beans", "drinkware"]);
    // An expired form saves nothing and keeps what was typed.
    let (st, html, _) = post(&s, &cookie, &rows("stale", &typed)).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(value_of(&html, "name_en_0"), "Coffee beans");
    assert_eq!(audited(&s).await.len(), 2);
    // Service staff read the names and may not change them.
    let (sam, sam_csrf) = s.session("sam").await;
    let (st, html, _) = s.get("/console/mall/categories", &sam).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        html.contains("咖啡豆") && !html.contains("id=\"code_0\""),
        "{html}"
    );
    let (st, _, _) = post(&s, &sam, &rows(&sam_csrf, &typed)).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(audited(&s).await.len(), 2);
}

async fn new_item(
    s: &Site,
    cookie: &str,
    form: Vec<(&str, String)>,
) -> (StatusCode, String, reqwest::header::HeaderMap) {
    let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    s.post_form("/console/mall/items/new", cookie, &f).await
}

/// The option of `select` whose value is `code`, as shown.
fn option(html: &str, code: &str) -> Option<String> {
    let at = html.find(&format!("<option value=\"{code}\""))?;
    let rest = &html[at..];
    Some(rest[..rest.find("</option>")? + 9].to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mall_list_and_the_item_form_name_the_categories() {
    let s = start().await;
    let (cookie, csrf) = s.session("amy").await;
    set_categories(&s, &[("beans", "咖啡豆", "Coffee beans")]).await;
    create_item(&s, "耶加雪菲", "Yirgacheffe", "beans", "YIRGA").await;
    let old = create_item(&s, "旧款杯", "Old cup", "legacy", "OLD").await;
    // The list names the category in the page's language; a code not named shows as it is.
    let (_, html, _) = s.get("/console/mall", &cookie).await;
    assert!(html.contains("<div class=\"muted\">咖啡豆</div>"), "{html}");
    assert!(!html.contains(">beans<"), "{html}");
    assert!(html.contains("<div class=\"muted\">legacy</div>"), "{html}");
    let (_, html, _) = s.get("/console/mall?lang=en", &cookie).await;
    assert!(
        html.contains("<div class=\"muted\">Coffee beans</div>"),
        "{html}"
    );
    // A new item chooses among the named categories.
    let (_, html, _) = s.get("/console/mall/items/new", &cookie).await;
    assert!(html.contains("<select id=\"category\""), "{html}");
    assert_eq!(
        option(&html, "beans").as_deref(),
        Some("<option value=\"beans\">咖啡豆</option>")
    );
    let key = hidden(&html, "form_key");
    let form = |category: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("form_key", key.clone()),
            ("name_zh", "挂耳包".to_string()),
            ("name_en", "Drip bags".to_string()),
            ("category", category.to_string()),
            ("kind", "virtual".to_string()),
            ("sku", "DRIP".to_string()),
            ("points", "300".to_string()),
            ("stock", "5".to_string()),
        ]
    };
    // None chosen: said next to the field.
    let (st, html, _) = new_item(&s, &cookie, form("")).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let e = error_after(&html, "category").expect("the error next to the category");
    assert!(e.contains("请选择分类"), "{e}");
    assert!(html.contains("value=\"挂耳包\""), "what was typed is kept");
    let (st, _, h) = new_item(&s, &cookie, form("beans")).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "{h:?}");
    // An item whose code is not named keeps it, offered as its code, and saves as it was.
    let (_, html, _) = s.get(&format!("/console/mall/items/{old}"), &cookie).await;
    let o = option(&html, "legacy").expect("its own code is offered");
    assert!(o.contains("selected") && o.contains("legacy"), "{o}");
    let item_page = format!("/console/mall/items/{old}");
    let f = [
        ("csrf", csrf.as_str()),
        ("name_zh", "旧款杯"),
        ("name_en", "Old cup"),
        ("category", "legacy"),
        ("kind", "virtual"),
        ("sku", "OLD"),
        ("points", "100"),
    ];
    let (st, _, _) = s.post_form(&item_page, &cookie, &f).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    // Without any named category, the code is typed as before.
    set_categories(&s, &[]).await;
    let (_, html, _) = s.get("/console/mall/items/new", &cookie).await;
    assert!(
        html.contains("<input type=\"text\" id=\"category\""),
        "{html}"
    );
}

/// The chips' labels in the order the page shows them.
fn chips(html: &str) -> Vec<String> {
    let at = html.find("<div class=\"chips\">").expect("the chips");
    let rest = &html[at..];
    let rest = &rest[..rest.find("</div>").unwrap()];
    rest.split("<a class=\"chip")
        .skip(1)
        .map(|c| {
            let text = &c[c.find('>').unwrap() + 1..];
            text[..text.find("</a>").unwrap()].to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_centre_shows_the_categories_by_name_in_the_merchants_order() {
    let s = start().await;
    set_categories(
        &s,
        &[
            ("drinkware", "杯具", "Drinkware"),
            ("beans", "咖啡豆", "Coffee beans"),
            ("apparel", "服饰", "Apparel"),
        ],
    )
    .await;
    let beans = create_item(&s, "耶加雪菲", "Yirgacheffe", "beans", "YIRGA").await;
    create_item(&s, "马克杯", "Mug", "drinkware", "MUG").await;
    create_item(&s, "T恤", "T-shirt", "tees", "TEE").await;
    let mall = format!("{}/mall", s.centre_link_of(s.member).await);
    // The merchant's order, the names in the page's language; a category without items has no
    // chip; a code nobody named comes last as it is.
    let zh = s.text_in(&mall, "zh").await;
    assert_eq!(chips(&zh), ["全部", "杯具", "咖啡豆", "tees"]);
    assert!(zh.contains("<div class=\"gc\">咖啡豆</div>"), "{zh}");
    let en = s.text_in(&mall, "en").await;
    assert_eq!(chips(&en), ["All", "Drinkware", "Coffee beans", "tees"]);
    assert!(en.contains("<div class=\"gc\">Coffee beans</div>"), "{en}");
    // A chip shows its items only.
    let only = s.text_in(&format!("{mall}?cat=beans"), "zh").await;
    assert!(
        only.contains("耶加雪菲") && !only.contains("马克杯"),
        "{only}"
    );
    assert!(only.contains("<a class=\"chip on\" href=\"/m/"), "{only}");
    // The item's page names its category.
    let page = s.text_in(&format!("{mall}/{beans}"), "zh").await;
    assert!(page.contains("<span>咖啡豆</span>"), "{page}");
    // Reordered by the merchant: the chips follow.
    set_categories(
        &s,
        &[
            ("beans", "咖啡豆", "Coffee beans"),
            ("drinkware", "杯具", "Drinkware"),
        ],
    )
    .await;
    let zh = s.text_in(&mall, "zh").await;
    assert_eq!(chips(&zh), ["全部", "咖啡豆", "杯具", "tees"]);
}
