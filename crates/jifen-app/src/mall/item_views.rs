//! Item views: an item with its SKUs' stock as staff see it, the pages of items they list, and
//! the catalog as one member sees it (their price, whether they can afford it, what is missing).

use jifen_domain::mall::{ItemAudience, ItemDef, ItemKind, ItemLimits};
use jifen_ledger::Millis;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::categories::{MallCategories, MallCategory};

/// A mall item: its definition, status and the stock of each SKU. Staff see it with
/// [`SkuView`]s; a member's catalog carries [`MemberSku`]s instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ItemView<S = SkuView> {
    pub id: i64,
    pub name_zh: String,
    pub name_en: String,
    pub description_zh: String,
    pub description_en: String,
    pub category: String,
    pub kind: ItemKind,
    pub skus: Vec<S>,
    pub audience: ItemAudience,
    pub limits: ItemLimits,
    /// When it may be bought (ms since the epoch); open on either side when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sale_from: Option<Millis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sale_until: Option<Millis>,
    /// A flash sale (秒杀): each member may buy one.
    pub flash_sale: bool,
    /// A presale (预售): orders wait for the stock to arrive.
    pub presale: bool,
    /// Image ids, the first is the cover; absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<i64>,
    /// `draft`, `on_sale` or `off_sale`.
    pub status: String,
    /// Whether any SKU has stock.
    pub in_stock: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A SKU with its price and stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SkuView {
    /// The merchant's SKU code, unique in the programme.
    pub sku: String,
    /// The variant's name (颜色/尺码), empty for a single-SKU item.
    pub name: String,
    pub points: i64,
    /// Cash on top of the points, in minor units.
    pub cash_minor: i64,
    /// What it costs elsewhere, to show the saving.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_price_minor: Option<i64>,
    /// Units in stock now.
    pub stock: i64,
    /// Units sold.
    pub sold: i64,
}

impl SkuView {
    /// The variant's name, or its code when it has none.
    pub fn label(&self) -> &str {
        if self.name.is_empty() {
            &self.sku
        } else {
            &self.name
        }
    }
}

/// A page of items, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ItemsPage {
    pub items: Vec<ItemView>,
    /// The `after` of the next page; `null` on the last.
    pub next_after: Option<i64>,
}

impl<S> ItemView<S> {
    /// The item as it is stored with its SKUs as they are seen (`skus`), and its row's facts.
    pub(super) fn of(
        def: ItemDef,
        skus: Vec<S>,
        row: &jifen_store::ItemRow,
        in_stock: bool,
    ) -> Self {
        ItemView {
            id: row.id,
            name_zh: def.name_zh,
            name_en: def.name_en,
            description_zh: def.description_zh,
            description_en: def.description_en,
            category: def.category,
            kind: def.kind,
            skus,
            audience: def.audience,
            limits: def.limits,
            sale_from: def.sale_from,
            sale_until: def.sale_until,
            flash_sale: def.flash_sale,
            presale: def.presale,
            images: def.images,
            status: row.status.clone(),
            in_stock,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }

    /// The item's name in English when `english` and there is one, else in Chinese.
    pub fn name(&self, english: bool) -> &str {
        either(english, &self.name_zh, &self.name_en)
    }

    /// The description in English when `english` and there is one, else in Chinese.
    pub fn description(&self, english: bool) -> &str {
        either(english, &self.description_zh, &self.description_en)
    }

    /// The cover image's id, if the item has pictures.
    pub fn cover(&self) -> Option<i64> {
        self.images.first().copied()
    }

    /// How many one member may buy in all: the lifetime limit, and one in a flash sale.
    pub fn lifetime_limit(&self) -> Option<i64> {
        let l = self.limits.lifetime.map(i64::from);
        if self.flash_sale {
            Some(l.map_or(1, |l| l.min(1)))
        } else {
            l
        }
    }

    /// How many one member may buy a day.
    pub fn per_day_limit(&self) -> Option<i64> {
        self.limits.per_day.map(i64::from)
    }
}

fn either<'a>(english: bool, zh: &'a str, en: &'a str) -> &'a str {
    if english && !en.is_empty() { en } else { zh }
}

impl ItemView {
    /// The SKU of this code.
    pub fn sku(&self, code: &str) -> Option<&SkuView> {
        self.skus.iter().find(|s| s.sku == code)
    }
}

/// The catalog as one member sees it: the items on sale for them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MemberCatalog {
    pub member_id: i64,
    /// The member's points available to spend now.
    pub available_points: i64,
    pub items: Vec<MemberItem>,
    /// The categories of these items in the merchant's order (`GET /mall/categories`), then
    /// any code the merchant has not named, with the code as its names.
    pub categories: Vec<MallCategory>,
}

impl MemberCatalog {
    /// The item of this id, if the member may see it.
    pub fn item(&self, id: i64) -> Option<&MemberItem> {
        self.items.iter().find(|i| i.item.id == id)
    }

    /// The name of an item's category in the page's language (its code when not named).
    pub fn category_name<'a>(&'a self, code: &'a str, english: bool) -> &'a str {
        self.categories
            .iter()
            .find(|c| c.code == code)
            .map_or(code, |c| c.name(english))
    }
}

/// The categories `items` use: those the merchant named, in the merchant's order, then the
/// codes not named (sorted), each with its code as its names.
pub(super) fn used_categories(named: MallCategories, items: &[MemberItem]) -> Vec<MallCategory> {
    let used = |code: &str| items.iter().any(|i| i.item.category == code);
    let mut out: Vec<MallCategory> = named
        .categories
        .into_iter()
        .filter(|c| used(&c.code))
        .collect();
    let mut unnamed: Vec<&str> = items
        .iter()
        .map(|i| i.item.category.as_str())
        .filter(|code| !out.iter().any(|c| c.code == *code))
        .collect();
    unnamed.sort_unstable();
    unnamed.dedup();
    out.extend(unnamed.into_iter().map(|code| MallCategory {
        code: code.to_string(),
        name_zh: code.to_string(),
        name_en: code.to_string(),
    }));
    out
}

/// An item as a member sees it: at their prices, and whether its sale is open now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MemberItem {
    #[serde(flatten)]
    pub item: ItemView<MemberSku>,
    /// `not_on_sale_yet` or `sale_ended`; `null` while the sale is open.
    pub window: Option<String>,
}

impl MemberItem {
    /// Whether the sale is open now (started and not ended).
    pub fn on_sale_now(&self) -> bool {
        self.window.is_none()
    }

    pub fn not_on_sale_yet(&self) -> bool {
        self.window.as_deref() == Some("not_on_sale_yet")
    }

    pub fn sale_ended(&self) -> bool {
        self.window.as_deref() == Some("sale_ended")
    }

    /// The SKU of this code.
    pub fn sku(&self, code: &str) -> Option<&MemberSku> {
        self.item.skus.iter().find(|s| s.sku.sku == code)
    }

    /// The SKU with the fewest points (the one a card shows).
    pub fn cheapest(&self) -> Option<&MemberSku> {
        self.item.skus.iter().min_by_key(|s| s.sku.points)
    }

    /// Units in stock over all SKUs.
    pub fn stock(&self) -> i64 {
        self.item.skus.iter().map(|s| s.sku.stock).sum()
    }
}

/// A SKU at the member's price, with what they have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MemberSku {
    /// The SKU; `points` and `cash_minor` are the member's price.
    #[serde(flatten)]
    pub sku: SkuView,
    /// The list prices, when the member's tier has a member price (会员价).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_points: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_cash_minor: Option<i64>,
    /// The tier's member price in percent of the list price, when below 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_price_pct: Option<u32>,
    /// Whether the member has the points for one now.
    pub affordable: bool,
    /// Points the member lacks for one; 0 when affordable.
    pub points_short: i64,
    /// What the member would spend (minor units) to earn the points short, when short and
    /// purchases earn points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spend_more_minor: Option<i64>,
    /// The same for people ("再消费¥30.00即可兑换").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spend_message: Option<String>,
    /// Enough points, or how many more to earn ("再赚200积分即可兑换").
    pub message: String,
}
