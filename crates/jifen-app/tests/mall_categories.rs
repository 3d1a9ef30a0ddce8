//! The mall's categories on both stores: the merchant's list checked field by field (nothing
//! written on a refusal, not even the audit), kept in the merchant's order with its names
//! trimmed, audited in the caller's name with before and after, and read into a member's
//! catalog in that order, with a code the merchant has not named shown by its code.

#[macro_use]
mod common;

use std::sync::Arc;

use common::*;
use jifen_app::AppError;
use jifen_app::mall::{self, ItemIn, MallCategories, MallCategory};
use jifen_store::Backend;
use serde_json::{Value, json};

fn cat(code: &str, zh: &str, en: &str) -> MallCategory {
    MallCategory {
        code: code.into(),
        name_zh: zh.into(),
        name_en: en.into(),
    }
}

fn put(w: &World, list: Vec<MallCategory>) -> Result<Value, AppError> {
    let l = MallCategories { categories: list };
    w.write(move |tx, ctx, now| mall::put_categories(tx, ctx, now, "staff:amy", &l))
}

fn audited(w: &World) -> Vec<jifen_store::AuditRow> {
    w.read(|tx, ctx| {
        Ok(tx.audit_entries(
            ctx.program.id,
            None,
            Some("mall_categories.update"),
            i64::MAX,
            10,
        )?)
    })
}

fn item(w: &World, name: &str, category: &str, sku: &str) {
    let i: ItemIn = serde_json::from_value(json!({
        "name_zh": name, "name_en": name, "category": category, "kind": {"type": "virtual"},
        "status": "on_sale", "skus": [{"sku": sku, "points": 100, "stock": 5}]
    }))
    .expect("item parses");
    w.write(move |tx, ctx, now| mall::create_item(tx, ctx, now, "staff:test", &i))
        .expect("item created");
}

fn categories_are_checked_audited_and_kept_in_the_merchants_order(b: Arc<dyn Backend>) {
    let w = World::new(b, policy(0));
    // Never set: none.
    assert!(w.read(mall::categories).categories.is_empty());
    // Each problem is refused with its field, and nothing is written.
    let twenty_one = "咖".repeat(mall::CATEGORY_NAME_MAX + 1);
    let fifty_one: Vec<MallCategory> = (0..=mall::CATEGORIES_MAX)
        .map(|i| cat(&format!("c{i}"), "名", "Name"))
        .collect();
    for (list, field) in [
        (vec![cat("", "咖啡豆", "Beans")], "categories[0].code"),
        (
            vec![
                cat("beans", "咖啡豆", "Beans"),
                cat("cups 1", "杯具", "Cups"),
            ],
            "categories[1].code",
        ),
        (
            vec![
                cat("beans", "咖啡豆", "Beans"),
                cat("x".repeat(33).as_str(), "杯", "Cups"),
            ],
            "categories[1].code",
        ),
        (
            vec![
                cat("beans", "咖啡豆", "Beans"),
                cat("beans", "豆", "Beans 2"),
            ],
            "categories[1].code",
        ),
        (vec![cat("beans", "  ", "Beans")], "categories[0].name_zh"),
        (
            vec![cat("beans", &twenty_one, "Beans")],
            "categories[0].name_zh",
        ),
        (vec![cat("beans", "咖啡豆", "")], "categories[0].name_en"),
        (
            vec![cat("beans", "咖啡豆", "Be\nans")],
            "categories[0].name_en",
        ),
        (fifty_one, "categories"),
    ] {
        invalid(put(&w, list.clone()), field);
    }
    assert!(w.read(mall::categories).categories.is_empty());
    assert!(audited(&w).is_empty());
    // Fifty names of twenty characters are the most, and fine.
    let most: Vec<MallCategory> = (0..mall::CATEGORIES_MAX)
        .map(|i| cat(&format!("c{i}"), &"名".repeat(20), &"N".repeat(20)))
        .collect();
    put(&w, most).unwrap();
    // The order given is the order kept; names are trimmed.
    let set = put(
        &w,
        vec![
            cat("drinkware", " 杯具 ", "Drinkware"),
            cat("beans", "咖啡豆", " Beans "),
            cat("apparel", "服饰", "Apparel"),
        ],
    )
    .unwrap();
    assert_eq!(set["categories"][0]["name_zh"], "杯具");
    let got = w.read(mall::categories);
    let codes: Vec<&str> = got.categories.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(codes, ["drinkware", "beans", "apparel"]);
    assert_eq!(got.categories[1].name_en, "Beans");
    assert_eq!(got.label("beans", false), "咖啡豆");
    assert_eq!(got.label("beans", true), "Beans");
    assert_eq!(got.label("unnamed", false), "unnamed");
    // Reordered: the new order replaces the old, one entry each time, with before and after.
    put(
        &w,
        vec![
            cat("beans", "咖啡豆", "Beans"),
            cat("drinkware", "杯具", "Drinkware"),
        ],
    )
    .unwrap();
    let codes: Vec<String> = w
        .read(mall::categories)
        .categories
        .into_iter()
        .map(|c| c.code)
        .collect();
    assert_eq!(codes, ["beans", "drinkware"]);
    let log = audited(&w);
    assert_eq!(log.len(), 3);
    let last = &log[0];
    assert_eq!(last.actor, "staff:amy");
    let before: MallCategories = serde_json::from_str(last.before.as_deref().unwrap()).unwrap();
    let after: MallCategories = serde_json::from_str(last.after.as_deref().unwrap()).unwrap();
    assert_eq!(before.categories.len(), 3);
    assert_eq!(before.categories[0].code, "drinkware");
    assert_eq!(after.categories[0].code, "beans");
    // A member's catalog lists the categories of its items in the merchant's order, then a code
    // nobody named (by its code); a named category without items is left out.
    item(&w, "马克杯", "drinkware", "MUG");
    item(&w, "T恤", "tees", "TEE");
    item(&w, "耶加雪菲", "beans", "YIRGA");
    put(
        &w,
        vec![
            cat("apparel", "服饰", "Apparel"),
            cat("drinkware", "杯具", "Drinkware"),
            cat("beans", "咖啡豆", "Beans"),
        ],
    )
    .unwrap();
    let m = w.member("shopper");
    let now = w.now();
    let catalog = w.read(move |tx, ctx| {
        mall::member_catalog(tx, ctx, jifen_ledger::MemberId(m), None, "zh", now)
    });
    let shown: Vec<(&str, &str)> = catalog
        .categories
        .iter()
        .map(|c| (c.code.as_str(), c.name_zh.as_str()))
        .collect();
    assert_eq!(
        shown,
        [("drinkware", "杯具"), ("beans", "咖啡豆"), ("tees", "tees")]
    );
    assert_eq!(catalog.category_name("beans", true), "Beans");
    // Emptied: none again, and items keep their codes.
    put(&w, vec![]).unwrap();
    assert!(w.read(mall::categories).categories.is_empty());
    assert_eq!(audited(&w).len(), 5);
    w.verify();
}

on_both_backends!(categories_are_checked_audited_and_kept_in_the_merchants_order);
