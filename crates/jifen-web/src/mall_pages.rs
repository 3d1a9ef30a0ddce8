//! Console pages for the points mall: items with images and stock (flash sales and presales
//! are items with those flags), restocking and presale arrivals, orders with their fulfilment
//! actions (ship with a tracking number, deliver, cancel, refund), and the definitions edited
//! as JSON with the use case's errors shown next to them: coupon templates, lotteries and the
//! tier ladder with its benefits. Every write goes through the same use case as the JSON API.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jifen_app::AppError;
use jifen_app::mall::{self, ItemIn, OrderUpdate};
use jifen_domain::mall::{ItemDef, OrderAction};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::forms::{Audit, expired, field_error, form_key, parse_money};
use crate::page::{esc, fmt_time, num};
use crate::{Staff, Web};

pub(crate) fn routes() -> Router<Web> {
    Router::new()
        .route("/console/mall", get(items))
        .route("/console/mall/items/new", get(new_item).post(create_item))
        .route("/console/mall/items/{id}", get(show_item).post(update_item))
        .route(
            "/console/mall/items/{id}/status/{status}",
            post(item_status),
        )
        .route("/console/mall/skus/{sku}/{what}", post(stock))
        .route("/console/mall/images", post(upload))
        .route("/console/orders", get(orders))
        .route("/console/orders/{id}", get(order))
        .route("/console/orders/{id}/{action}", post(order_action))
        .route("/console/tiers", get(tiers).post(put_tiers))
        .route(
            "/console/coupon-templates",
            get(templates).post(create_template),
        )
        .route("/console/coupon-templates/new", post(create_template_form))
        .route("/console/lotteries", get(lotteries).post(create_lottery))
}

fn money(st: &Staff, minor: i64) -> String {
    jifen_app::mall::money_text(&st.ctx.program.currency, minor)
}

fn state_label(st: &Staff, s: &str) -> String {
    use jifen_domain::words::{self, ITEM_STATUSES, ORDER_STATES};
    let table = if words::find(ITEM_STATUSES, s).is_some() {
        ITEM_STATUSES
    } else {
        ORDER_STATES
    };
    words::text(table, s, st.lang == crate::page::Lang::En)
}

fn name_of(st: &Staff, v: &Value, zh: &str, en: &str) -> String {
    crate::page::name_of(st.lang, v, zh, en).to_string()
}

// ---- items ------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct ItemsQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    after: Option<String>,
}

async fn items(State(web): State<Web>, st: Staff, Query(q): Query<ItemsQuery>) -> Response {
    let title = st.t("积分商城", "Points mall");
    let filter = q.status.unwrap_or_default();
    let status = ["on_sale", "draft", "off_sale"]
        .contains(&filter.as_str())
        .then(|| filter.clone());
    let after = q
        .after
        .and_then(|a| a.parse::<i64>().ok())
        .filter(|a| *a > 0)
        .unwrap_or(0);
    let ctx = st.ctx.clone();
    let list = match web
        .app
        .read(move |tx| mall::list_items(tx, &ctx, status.as_deref(), None, after, 100))
        .await
    {
        Ok(v) => v,
        Err(e) => return st.fail(e),
    };
    let tabs: String = [
        ("", st.t("全部", "All")),
        ("on_sale", st.t("在售", "On sale")),
        ("draft", st.t("草稿", "Draft")),
        ("off_sale", st.t("已下架", "Off sale")),
        ("flash", st.t("秒杀", "Flash sales")),
        ("presale", st.t("预售", "Presales")),
    ]
    .iter()
    .map(|(s, label)| {
        format!(
            "<a href=\"/console/mall{}\"{}>{label}</a>",
            if s.is_empty() {
                String::new()
            } else {
                format!("?status={s}")
            },
            if *s == filter { " class=\"on\"" } else { "" }
        )
    })
    .collect();
    let empty = Vec::new();
    let rows: String = list["items"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .filter(|i| match filter.as_str() {
            "flash" => i["flash_sale"] == true,
            "presale" => i["presale"] == true,
            _ => true,
        })
        .map(|i| item_row(&st, i))
        .collect();
    let rows = if rows.is_empty() {
        format!(
            "<tr><td colspan=\"7\" class=\"muted\">{}</td></tr>",
            st.t("没有商品", "No items")
        )
    } else {
        rows
    };
    let more = list["next_after"]
        .as_i64()
        .map(|n| {
            format!(
                "<p class=\"pager\"><a href=\"/console/mall?status={}&after={n}\">{}</a></p>",
                esc(&filter),
                st.t("下一页", "Next page")
            )
        })
        .unwrap_or_default();
    let new = if st.s.role.operates() {
        format!(
            "<a class=\"button\" href=\"/console/mall/items/new\">{}</a>",
            st.t("新建商品", "New item")
        )
    } else {
        String::new()
    };
    let body = format!(
        "<div class=\"toolbar\"><nav class=\"tabs\">{tabs}</nav><div><a href=\"/console/coupon-templates\">{}</a> · <a href=\"/console/lotteries\">{}</a> {new}</div></div>\
         <table><thead><tr><th></th><th>{}</th><th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table>{more}",
        st.t("优惠券模板", "Coupon templates"),
        st.t("抽奖", "Lotteries"),
        st.t("商品", "Item"),
        st.t("类型", "Kind"),
        st.t("价格", "Price"),
        st.t("库存", "Stock"),
        st.t("已兑", "Sold"),
        st.t("状态", "Status"),
    );
    st.page(StatusCode::OK, "mall", title, &body)
}

fn kind_label(st: &Staff, k: &str) -> String {
    match k {
        "physical" => st.t("实物", "Goods"),
        "coupon" => st.t("优惠券", "Coupon"),
        "virtual" => st.t("虚拟权益", "Virtual"),
        "experience" => st.t("体验", "Experience"),
        "partner" => st.t("合作方", "Partner"),
        other => other,
    }
    .to_string()
}

fn price(st: &Staff, v: &Value) -> String {
    let p = v["points"].as_i64().unwrap_or(0);
    let c = v["cash_minor"].as_i64().unwrap_or(0);
    if c > 0 {
        format!("{} + {}", num(p), money(st, c))
    } else {
        num(p)
    }
}

fn item_row(st: &Staff, i: &Value) -> String {
    let skus = i["skus"].as_array().cloned().unwrap_or_default();
    let stock: i64 = skus.iter().filter_map(|s| s["stock"].as_i64()).sum();
    let sold: i64 = skus.iter().filter_map(|s| s["sold"].as_i64()).sum();
    let cover = i["images"][0]
        .as_i64()
        .map(|id| format!("<img class=\"thumb\" src=\"/media/{id}\" alt=\"\">"))
        .unwrap_or_else(|| "<span class=\"thumb-none\"></span>".into());
    let mut labels = String::new();
    if i["flash_sale"] == true {
        labels.push_str(&format!(
            " <span class=\"pill\">{}</span>",
            st.t("秒杀", "Flash")
        ));
    }
    if i["presale"] == true {
        labels.push_str(&format!(
            " <span class=\"pill\">{}</span>",
            st.t("预售", "Presale")
        ));
    }
    let status = i["status"].as_str().unwrap_or("");
    format!(
        "<tr><td>{cover}</td><td><a href=\"/console/mall/items/{}\">{}</a>{labels}<div class=\"muted\">{}</div></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td><span class=\"pill {status}\">{}</span></td></tr>",
        i["id"],
        esc(&name_of(st, i, "name_zh", "name_en")),
        esc(i["category"].as_str().unwrap_or("")),
        esc(&kind_label(st, i["kind"]["type"].as_str().unwrap_or(""))),
        skus.first().map(|v| price(st, v)).unwrap_or_default(),
        num(stock),
        num(sold),
        esc(&state_label(st, status)),
    )
}

/// An item form as typed. The form edits the item's first SKU; more SKUs (added through the
/// API) are kept as they are.
#[derive(Deserialize, Default, Clone)]
struct ItemForm {
    #[serde(default)]
    name_zh: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    description_zh: String,
    #[serde(default)]
    description_en: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    template: String,
    #[serde(default)]
    sku: String,
    #[serde(default)]
    sku_name: String,
    #[serde(default)]
    points: String,
    #[serde(default)]
    cash: String,
    #[serde(default)]
    market: String,
    #[serde(default)]
    stock: String,
    #[serde(default)]
    per_day: String,
    #[serde(default)]
    lifetime: String,
    #[serde(default)]
    sale_from: String,
    #[serde(default)]
    sale_until: String,
    #[serde(default)]
    flash_sale: String,
    #[serde(default)]
    presale: String,
    #[serde(default)]
    images: String,
    #[serde(default)]
    publish: String,
    #[serde(default)]
    form_key: String,
    #[serde(default)]
    csrf: String,
}

fn local_input(ms: Option<i64>, tz: &jiff::tz::TimeZone) -> String {
    ms.and_then(|m| jiff::Timestamp::from_millisecond(m).ok())
        .map(|t| {
            t.to_zoned(tz.clone())
                .strftime("%Y-%m-%dT%H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

fn parse_local(s: &str, tz: &jiff::tz::TimeZone) -> Result<Option<i64>, ()> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let dt: jiff::civil::DateTime = s.parse().map_err(|_| ())?;
    dt.to_zoned(tz.clone())
        .map(|z| Some(z.timestamp().as_millisecond()))
        .map_err(|_| ())
}

impl ItemForm {
    fn from_item(v: &Value, tz: &jiff::tz::TimeZone) -> ItemForm {
        let s = &v["skus"][0];
        let t = |x: &Value| match x {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            o => o.to_string(),
        };
        let m = |x: &Value| {
            x.as_i64()
                .filter(|c| *c > 0)
                .map(|c| format!("{}.{:02}", c / 100, c % 100))
                .unwrap_or_default()
        };
        ItemForm {
            name_zh: t(&v["name_zh"]),
            name_en: t(&v["name_en"]),
            description_zh: t(&v["description_zh"]),
            description_en: t(&v["description_en"]),
            category: t(&v["category"]),
            kind: t(&v["kind"]["type"]),
            template: t(&v["kind"]["template"]),
            sku: t(&s["sku"]),
            sku_name: t(&s["name"]),
            points: t(&s["points"]),
            cash: m(&s["cash_minor"]),
            market: m(&s["market_price_minor"]),
            stock: t(&s["stock"]),
            per_day: t(&v["limits"]["per_day"]),
            lifetime: t(&v["limits"]["lifetime"]),
            sale_from: local_input(v["sale_from"].as_i64(), tz),
            sale_until: local_input(v["sale_until"].as_i64(), tz),
            flash_sale: if v["flash_sale"] == true {
                "1".into()
            } else {
                String::new()
            },
            presale: if v["presale"] == true {
                "1".into()
            } else {
                String::new()
            },
            images: v["images"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|i| i.to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default(),
            ..Default::default()
        }
    }

    fn to_def(&self, base: &Value, tz: &jiff::tz::TimeZone) -> Result<ItemDef, (String, String)> {
        let bad = |f: &str, m: &str| (f.to_string(), m.to_string());
        let int = |f: &str, v: &str| -> Result<Option<i64>, (String, String)> {
            let v = v.trim().replace(',', "");
            if v.is_empty() {
                return Ok(None);
            }
            v.parse::<i64>()
                .map(Some)
                .map_err(|_| bad(f, "a whole number"))
        };
        let mut d = if base.is_object() {
            base.clone()
        } else {
            json!({})
        };
        d["name_zh"] = json!(self.name_zh.trim());
        d["name_en"] = json!(self.name_en.trim());
        d["description_zh"] = json!(self.description_zh.trim());
        d["description_en"] = json!(self.description_en.trim());
        d["category"] = json!(self.category.trim());
        d["kind"] = match self.kind.as_str() {
            "coupon" => json!({"type": "coupon", "template": self.template.trim()}),
            "virtual" => json!({"type": "virtual"}),
            "experience" => json!({"type": "experience"}),
            "partner" => base["kind"].clone(),
            _ => json!({"type": "physical"}),
        };
        let points =
            int("points", &self.points)?.ok_or_else(|| bad("points", "the price in points"))?;
        let cash = parse_money(&self.cash).ok_or_else(|| bad("cash", "an amount such as 9.90"))?;
        let market =
            parse_money(&self.market).ok_or_else(|| bad("market", "an amount such as 99"))?;
        let mut sku = base["skus"][0].clone();
        if !sku.is_object() {
            sku = json!({});
        }
        sku["sku"] = json!(self.sku.trim());
        sku["name"] = json!(self.sku_name.trim());
        sku["points"] = json!(points);
        sku["cash_minor"] = json!(cash);
        sku["market_price_minor"] = if market > 0 {
            json!(market)
        } else {
            Value::Null
        };
        if let Some(o) = sku.as_object_mut() {
            o.remove("sold");
            o.retain(|_, v| !v.is_null());
        }
        if !base.is_object() {
            sku["stock"] = json!(int("stock", &self.stock)?.unwrap_or(0));
        }
        let mut skus = vec![sku];
        if let Some(rest) = base["skus"].as_array() {
            for s in rest.iter().skip(1) {
                let mut s = s.clone();
                if let Some(o) = s.as_object_mut() {
                    o.remove("sold");
                }
                skus.push(s);
            }
        }
        d["skus"] = json!(skus);
        let mut limits = json!({});
        if let Some(n) = int("per_day", &self.per_day)? {
            limits["per_day"] = json!(n);
        }
        if let Some(n) = int("lifetime", &self.lifetime)? {
            limits["lifetime"] = json!(n);
        }
        d["limits"] = limits;
        let when = |f: &str, v: &str| {
            parse_local(v, tz).map_err(|_| bad(f, "a date and time such as 2026-12-05T10:00"))
        };
        d["sale_from"] = json!(when("sale_from", &self.sale_from)?);
        d["sale_until"] = json!(when("sale_until", &self.sale_until)?);
        d["flash_sale"] = json!(!self.flash_sale.is_empty());
        d["presale"] = json!(!self.presale.is_empty());
        let mut images = Vec::new();
        for p in self
            .images
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            images.push(
                p.parse::<i64>()
                    .map_err(|_| bad("images", "upload the picture again"))?,
            );
        }
        d["images"] = json!(images);
        for k in ["id", "status", "in_stock", "created_at", "updated_at"] {
            if let Some(o) = d.as_object_mut() {
                o.remove(k);
            }
        }
        if let Some(o) = d.as_object_mut() {
            o.retain(|_, v| !v.is_null());
        }
        serde_json::from_value(d).map_err(|e| bad("form", &e.to_string()))
    }
}

/// Where a use case's field error goes on the item form.
fn item_field(field: &str) -> String {
    let f = match field {
        f if f.starts_with("skus[0].") => f.trim_start_matches("skus[0].").to_string(),
        f if f.starts_with("images") => "images".into(),
        "kind.template" => "template".into(),
        "limits.per_day" => "per_day".into(),
        "limits.lifetime" => "lifetime".into(),
        f => f.to_string(),
    };
    match f.as_str() {
        "cash_minor" => "cash".into(),
        "market_price_minor" => "market".into(),
        "name" => "sku_name".into(),
        "name_zh" | "name_en" | "description_zh" | "description_en" | "category" | "sku"
        | "points" | "stock" | "sale_from" | "sale_until" | "images" | "template" | "per_day"
        | "lifetime" | "kind" | "flash_sale" | "presale" => f,
        _ => "form".into(),
    }
}

fn item_form(
    st: &Staff,
    action: &str,
    f: &ItemForm,
    error: Option<&(String, String)>,
    creating: bool,
    templates: &[(String, String)],
) -> String {
    let input = |name: &str, label: &str, value: &str, hint: &str| {
        format!(
            "<div class=\"field\"><label for=\"{name}\">{label}</label><input type=\"text\" id=\"{name}\" name=\"{name}\" value=\"{}\" placeholder=\"{}\"{}>{}</div>",
            esc(value),
            esc(hint),
            if error.is_some_and(|(e, _)| e == name) {
                " aria-invalid=\"true\""
            } else {
                ""
            },
            field_error(error, name)
        )
    };
    let when = |name: &str, label: &str, value: &str| {
        format!(
            "<div class=\"field\"><label for=\"{name}\">{label}</label><input type=\"datetime-local\" id=\"{name}\" name=\"{name}\" value=\"{}\">{}</div>",
            esc(value),
            field_error(error, name)
        )
    };
    let kinds: String = [
        ("physical", st.t("实物（需发货）", "Goods (shipped)")),
        ("coupon", st.t("优惠券", "Coupon")),
        ("virtual", st.t("虚拟权益", "Virtual right")),
        ("experience", st.t("体验活动", "Experience")),
    ]
    .iter()
    .map(|(k, l)| {
        format!(
            "<option value=\"{k}\"{}>{l}</option>",
            if f.kind == *k { " selected" } else { "" }
        )
    })
    .collect();
    let tpl_opts: String = std::iter::once((String::new(), "–".to_string()))
        .chain(templates.iter().cloned())
        .map(|(c, n)| {
            format!(
                "<option value=\"{}\"{}>{}</option>",
                esc(&c),
                if f.template == c { " selected" } else { "" },
                esc(&n)
            )
        })
        .collect();
    let check = |name: &str, on: &str, label: &str| {
        format!(
            "<label class=\"check\"><input type=\"checkbox\" name=\"{name}\" value=\"1\"{}> {label}</label>",
            if on.is_empty() { "" } else { " checked" }
        )
    };
    let previews: String = f
        .images
        .split(',')
        .filter_map(|p| p.trim().parse::<i64>().ok())
        .map(|id| format!("<img class=\"thumb\" src=\"/media/{id}\" alt=\"\">"))
        .collect();
    format!(
        "{}<form class=\"rule\" method=\"post\" action=\"{action}\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"form_key\" value=\"{}\">\
         <div class=\"grid\">{}{}{}</div><div class=\"grid\">{}{}</div>\
         <div class=\"grid\"><div class=\"field\"><label for=\"kind\">{}</label><select id=\"kind\" name=\"kind\">{kinds}</select>{}</div>\
         <div class=\"field\"><label for=\"template\">{}</label><select id=\"template\" name=\"template\">{tpl_opts}</select>{}</div></div>\
         <h3>{}</h3><div class=\"grid\">{}{}{}{}{}{}</div>\
         <h3>{}</h3><div class=\"grid\">{}{}{}{}</div>{}{}\
         <h3>{}</h3><div class=\"field\"><input type=\"hidden\" id=\"images\" name=\"images\" value=\"{}\"><div id=\"previews\">{previews}</div>\
         <input type=\"file\" id=\"image-file\" accept=\"image/png,image/jpeg,image/webp,image/gif\">{}</div>\
         {}<div class=\"actions\"><button type=\"submit\">{}</button></div></form>\
         <script>document.getElementById('image-file').addEventListener('change',async e=>{{const f=e.target.files[0];if(!f)return;\
         const r=await fetch('/console/mall/images',{{method:'POST',headers:{{'content-type':f.type,'x-csrf':'{}'}},body:f}});const j=await r.json();\
         if(!r.ok){{alert(j.error||'upload failed');return;}}const h=document.getElementById('images');h.value=(h.value?h.value+',':'')+j.image_id;\
         const i=document.createElement('img');i.className='thumb';i.src='/media/'+j.image_id;document.getElementById('previews').appendChild(i);}});</script>",
        field_error(error, "form"),
        esc(&st.s.csrf),
        esc(&f.form_key),
        input(
            "name_zh",
            st.t("中文名称", "Name (Chinese)"),
            &f.name_zh,
            "保温杯"
        ),
        input(
            "name_en",
            st.t("英文名称", "Name (English)"),
            &f.name_en,
            "Thermos cup"
        ),
        input("category", st.t("分类", "Category"), &f.category, "home"),
        input(
            "description_zh",
            st.t("中文描述", "Description (Chinese)"),
            &f.description_zh,
            ""
        ),
        input(
            "description_en",
            st.t("英文描述", "Description (English)"),
            &f.description_en,
            ""
        ),
        st.t("类型", "Kind"),
        field_error(error, "kind"),
        st.t("优惠券模板（券类商品）", "Coupon template (coupon items)"),
        field_error(error, "template"),
        st.t("规格与价格", "SKU and price"),
        input("sku", st.t("SKU编码", "SKU code"), &f.sku, "CUP-500"),
        input("sku_name", st.t("规格名", "Variant"), &f.sku_name, "500ml"),
        input("points", st.t("积分", "Points"), &f.points, "1,500"),
        input("cash", st.t("加价（元）", "Plus cash"), &f.cash, "0"),
        input(
            "market",
            st.t("市场价（元）", "Market price"),
            &f.market,
            "99"
        ),
        if creating {
            input("stock", st.t("初始库存", "Opening stock"), &f.stock, "100")
        } else {
            String::new()
        },
        st.t("销售规则", "Selling"),
        when("sale_from", st.t("开售时间", "On sale from"), &f.sale_from),
        when(
            "sale_until",
            st.t("停售时间", "On sale until"),
            &f.sale_until
        ),
        input(
            "per_day",
            st.t("每人每日限兑", "Per member per day"),
            &f.per_day,
            ""
        ),
        input(
            "lifetime",
            st.t("每人限兑", "Per member in all"),
            &f.lifetime,
            ""
        ),
        check(
            "flash_sale",
            &f.flash_sale,
            st.t(
                "秒杀（开售时间开始，每人限一件）",
                "Flash sale (starts at the sale time, one per member)"
            )
        ),
        check(
            "presale",
            &f.presale,
            st.t(
                "预售（库存为可预订数量，到货后按顺序发货）",
                "Presale (stock is the quota; orders wait for arrival)"
            )
        ),
        st.t("图片", "Pictures"),
        esc(&f.images),
        field_error(error, "images"),
        if creating {
            check(
                "publish",
                &f.publish,
                st.t("保存后立即上架", "Put on sale when saved"),
            )
        } else {
            String::new()
        },
        st.t("保存", "Save"),
        esc(&st.s.csrf),
    )
}

async fn template_names(web: &Web, st: &Staff) -> Vec<(String, String)> {
    let ctx = st.ctx.clone();
    let en = st.lang == crate::page::Lang::En;
    web.app
        .read(move |tx| jifen_app::coupons::templates(tx, &ctx))
        .await
        .ok()
        .and_then(|v| v["items"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .map(|t| {
            (
                t["code"].as_str().unwrap_or("").to_string(),
                t[if en { "name_en" } else { "name_zh" }]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect()
}

async fn new_item(State(web): State<Web>, st: Staff) -> Response {
    let title = st.t("新建商品", "New item");
    if !st.s.role.operates() {
        return st.forbidden("mall", title);
    }
    let f = ItemForm {
        kind: "physical".into(),
        form_key: form_key(),
        ..Default::default()
    };
    let tpls = template_names(&web, &st).await;
    let body = item_form(&st, "/console/mall/items/new", &f, None, true, &tpls);
    st.page(StatusCode::OK, "mall", title, &body)
}

async fn item_refused(
    web: &Web,
    st: &Staff,
    id: Option<i64>,
    f: &ItemForm,
    status: StatusCode,
    err: (String, String),
) -> Response {
    let tpls = template_names(web, st).await;
    match id {
        None => {
            let body = item_form(st, "/console/mall/items/new", f, Some(&err), true, &tpls);
            st.page(status, "mall", st.t("新建商品", "New item"), &body)
        }
        Some(id) => render_item(web, st, id, Some(f), Some(err), None, status).await,
    }
}

async fn create_item(State(web): State<Web>, st: Staff, Form(f): Form<ItemForm>) -> Response {
    if !st.s.role.operates() {
        return st.forbidden("mall", st.t("新建商品", "New item"));
    }
    if f.csrf != st.s.csrf {
        return item_refused(&web, &st, None, &f, StatusCode::FORBIDDEN, expired(&st)).await;
    }
    let def = match f.to_def(&Value::Null, &st.ctx.tz) {
        Ok(d) => d,
        Err(e) => {
            return item_refused(&web, &st, None, &f, StatusCode::UNPROCESSABLE_ENTITY, e).await;
        }
    };
    let input = ItemIn {
        definition: def,
        status: Some(
            if f.publish.is_empty() {
                "draft"
            } else {
                "on_sale"
            }
            .into(),
        ),
    };
    let idem = (!f.form_key.is_empty()).then(|| {
        (
            format!("console:item:{}", f.form_key),
            serde_json::to_string(&input.definition).unwrap_or_default(),
        )
    });
    let out = st
        .audited(&web, "mall", idem, move |tx, ctx, now| {
            let v = mall::create_item(tx, ctx, now, &input)?;
            let audit = Audit {
                action: "mall_item.create".to_string(),
                target: format!("mall_item:{}", v["id"]),
                before: None,
                after: Some(v.to_string()),
            };
            Ok((v, audit))
        })
        .await;
    match out {
        Ok(o) => Redirect::to(&format!("/console/mall/items/{}?done=saved", o.body["id"]))
            .into_response(),
        Err(AppError::Invalid { field, message }) => {
            let e = (item_field(&field), message);
            item_refused(&web, &st, None, &f, StatusCode::UNPROCESSABLE_ENTITY, e).await
        }
        Err(AppError::Conflict { message, .. }) => {
            item_refused(
                &web,
                &st,
                None,
                &f,
                StatusCode::CONFLICT,
                ("form".into(), message),
            )
            .await
        }
        Err(e) => st.fail(e),
    }
}

#[derive(Deserialize, Default)]
struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

async fn show_item(
    State(web): State<Web>,
    st: Staff,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let id = match crate::forms::id_of(&st, &id, "mall item") {
        Ok(i) => i,
        Err(r) => return *r,
    };
    let notice = q.done.map(|_| st.t("已保存", "Saved").to_string());
    render_item(&web, &st, id, None, None, notice, StatusCode::OK).await
}

async fn render_item(
    web: &Web,
    st: &Staff,
    id: i64,
    form: Option<&ItemForm>,
    error: Option<(String, String)>,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let ctx = st.ctx.clone();
    let item = match web.app.read(move |tx| mall::get_item(tx, &ctx, id)).await {
        Ok(v) => v,
        Err(e) => return st.fail(e),
    };
    let tpls = template_names(web, st).await;
    let f = form
        .cloned()
        .unwrap_or_else(|| ItemForm::from_item(&item, &st.ctx.tz));
    let can = st.s.role.operates();
    let form_html = if can {
        item_form(
            st,
            &format!("/console/mall/items/{id}"),
            &f,
            error.as_ref(),
            false,
            &tpls,
        )
    } else {
        String::new()
    };
    let istatus = item["status"].as_str().unwrap_or("").to_string();
    let csrf = esc(&st.s.csrf);
    let buttons: String = if can {
        [
            ("on_sale", st.t("上架", "Put on sale")),
            ("off_sale", st.t("下架", "Take off sale")),
        ]
        .iter()
        .filter(|(s, _)| *s != istatus)
        .map(|(s, l)| {
            format!(
                "<form method=\"post\" action=\"/console/mall/items/{id}/status/{s}\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button class=\"{}\">{l}</button></form>",
                if *s == "on_sale" { "" } else { "secondary" }
            )
        })
        .collect()
    } else {
        String::new()
    };
    let presale = item["presale"] == true;
    let skus: String = item["skus"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|s| {
            let code = s["sku"].as_str().unwrap_or("");
            let forms = if can {
                format!(
                    "<form method=\"post\" action=\"/console/mall/skus/{0}/stock\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"text\" name=\"delta\" placeholder=\"+100 / -5\" style=\"min-width:0;width:90px\"> <button class=\"secondary\">{1}</button></form>{2}",
                    esc(code),
                    st.t("调整库存", "Change stock"),
                    if presale {
                        format!(
                            "<form method=\"post\" action=\"/console/mall/skus/{}/arrival\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"text\" name=\"delta\" placeholder=\"50\" style=\"min-width:0;width:70px\"> <button class=\"secondary\">{}</button></form>",
                            esc(code),
                            st.t("到货", "Arrived")
                        )
                    } else {
                        String::new()
                    }
                )
            } else {
                String::new()
            };
            format!(
                "<tr><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{forms}</td></tr>",
                esc(code),
                esc(s["name"].as_str().unwrap_or("")),
                price(st, s),
                num(s["stock"].as_i64().unwrap_or(0)),
                num(s["sold"].as_i64().unwrap_or(0)),
            )
        })
        .collect();
    let body = format!(
        "{}{}<div class=\"toolbar\"><p><span class=\"pill {istatus}\">{}</span> {}</p><div>{buttons}</div></div>\
         <table><thead><tr><th>SKU</th><th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th></th></tr></thead><tbody>{skus}</tbody></table>\
         <h2>{}</h2>{form_html}",
        notice
            .map(|n| format!("<div class=\"notice\" role=\"status\">{}</div>", esc(&n)))
            .unwrap_or_default(),
        if form.is_none() {
            field_error(error.as_ref(), "form")
        } else {
            String::new()
        },
        esc(&state_label(st, &istatus)),
        esc(&kind_label(st, item["kind"]["type"].as_str().unwrap_or(""))),
        st.t("规格", "Variant"),
        st.t("价格", "Price"),
        st.t("库存", "Stock"),
        st.t("已兑", "Sold"),
        if can { st.t("编辑", "Edit") } else { "" },
    );
    let title = name_of(st, &item, "name_zh", "name_en");
    st.page(status, "mall", &title, &body)
}

async fn update_item(
    State(web): State<Web>,
    st: Staff,
    Path(id): Path<String>,
    Form(f): Form<ItemForm>,
) -> Response {
    let id = match crate::forms::id_of(&st, &id, "mall item") {
        Ok(i) => i,
        Err(r) => return *r,
    };
    if !st.s.role.operates() {
        return st.forbidden("mall", st.t("商城", "Mall"));
    }
    if f.csrf != st.s.csrf {
        return item_refused(&web, &st, Some(id), &f, StatusCode::FORBIDDEN, expired(&st)).await;
    }
    let ctx = st.ctx.clone();
    let base = match web.app.read(move |tx| mall::get_item(tx, &ctx, id)).await {
        Ok(v) => v,
        Err(e) => return st.fail(e),
    };
    let def = match f.to_def(&base, &st.ctx.tz) {
        Ok(d) => d,
        Err(e) => {
            return item_refused(&web, &st, Some(id), &f, StatusCode::UNPROCESSABLE_ENTITY, e)
                .await;
        }
    };
    let before = base.to_string();
    let out = st
        .audited(&web, "mall", None, move |tx, ctx, now| {
            let v = mall::update_item(tx, ctx, now, id, &def)?;
            let audit = Audit {
                action: "mall_item.update".to_string(),
                target: format!("mall_item:{id}"),
                before: Some(before.to_string()),
                after: Some(v.to_string()),
            };
            Ok((v, audit))
        })
        .await;
    match out {
        Ok(_) => Redirect::to(&format!("/console/mall/items/{id}?done=saved")).into_response(),
        Err(AppError::Invalid { field, message }) => {
            let e = (item_field(&field), message);
            item_refused(&web, &st, Some(id), &f, StatusCode::UNPROCESSABLE_ENTITY, e).await
        }
        Err(AppError::Conflict { message, .. }) => {
            let e = ("form".into(), message);
            item_refused(&web, &st, Some(id), &f, StatusCode::CONFLICT, e).await
        }
        Err(e) => st.fail(e),
    }
}

#[derive(Deserialize, Default)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    delta: String,
}

async fn item_status(
    State(web): State<Web>,
    st: Staff,
    Path((id, status)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let id = match crate::forms::id_of(&st, &id, "mall item") {
        Ok(i) => i,
        Err(r) => return *r,
    };
    if !["on_sale", "off_sale", "draft"].contains(&status.as_str()) {
        return st.fail(AppError::NotFound {
            what: "page",
            id: status,
        });
    }
    if !st.s.role.operates() {
        return st.forbidden("mall", st.t("商城", "Mall"));
    }
    if f.csrf != st.s.csrf {
        return render_item(
            &web,
            &st,
            id,
            None,
            Some(expired(&st)),
            None,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let out = st
        .audited(&web, "mall", None, move |tx, ctx, now| {
            let v = mall::set_item_status(tx, ctx, now, id, &status)?;
            let audit = Audit {
                action: format!("mall_item.{status}"),
                target: format!("mall_item:{id}"),
                before: None,
                after: Some(status.to_string()),
            };
            Ok((v, audit))
        })
        .await;
    match out {
        Ok(_) => Redirect::to(&format!("/console/mall/items/{id}?done=status")).into_response(),
        Err(AppError::Invalid { message, .. }) | Err(AppError::Conflict { message, .. }) => {
            render_item(
                &web,
                &st,
                id,
                None,
                Some(("form".into(), message)),
                None,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => st.fail(e),
    }
}

/// Restocking (`stock`) or a presale arrival (`arrival`) of one SKU.
async fn stock(
    State(web): State<Web>,
    st: Staff,
    Path((sku, what)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !["stock", "arrival"].contains(&what.as_str()) || sku.len() > 64 {
        return st.fail(AppError::NotFound {
            what: "page",
            id: what,
        });
    }
    let code = sku.clone();
    let ctx = st.ctx.clone();
    let item_id = match web
        .app
        .read(move |tx| jifen_app::console::item_of_sku(tx, ctx.program.id, &code))
        .await
    {
        Ok(i) => i,
        Err(e) => return st.fail(e),
    };
    if !st.s.role.operates() {
        return st.forbidden("mall", st.t("商城", "Mall"));
    }
    if f.csrf != st.s.csrf {
        return render_item(
            &web,
            &st,
            item_id,
            None,
            Some(expired(&st)),
            None,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let Ok(delta) = f
        .delta
        .trim()
        .trim_start_matches('+')
        .replace(',', "")
        .parse::<i64>()
    else {
        let e = (
            "form".into(),
            st.t(
                "数量请填整数，如 100 或 -5",
                "Give a whole number, e.g. 100 or -5",
            )
            .into(),
        );
        return render_item(
            &web,
            &st,
            item_id,
            None,
            Some(e),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let out = st
        .audited(&web, "mall", None, move |tx, ctx, now| {
            let v = if what == "arrival" {
                mall::arrival(tx, ctx, now, &sku, &mall::Arrival { quantity: delta })?
            } else {
                mall::restock(tx, ctx, now, &sku, &mall::Restock { delta })?
            };
            let audit = Audit {
                action: format!("mall_sku.{what}"),
                target: format!("sku:{sku}"),
                before: None,
                after: Some(format!("{delta}").to_string()),
            };
            Ok((v, audit))
        })
        .await;
    match out {
        Ok(_) => Redirect::to(&format!("/console/mall/items/{item_id}?done=stock")).into_response(),
        Err(AppError::Invalid { message, .. }) | Err(AppError::Conflict { message, .. }) => {
            render_item(
                &web,
                &st,
                item_id,
                None,
                Some(("form".into(), message)),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => st.fail(e),
    }
}

/// An image upload from the item form's file input: the raw file with its content type, and
/// the session's CSRF token in a header. Answers JSON for the form's script.
async fn upload(State(web): State<Web>, st: Staff, headers: HeaderMap, body: Bytes) -> Response {
    let bad =
        |status: StatusCode, msg: &str| (status, axum::Json(json!({"error": msg}))).into_response();
    if headers.get("x-csrf").and_then(|v| v.to_str().ok()) != Some(st.s.csrf.as_str()) {
        return bad(
            StatusCode::FORBIDDEN,
            st.t("表单已过期，请刷新页面", "The page expired; reload it"),
        );
    }
    if !st.s.role.operates() {
        return bad(
            StatusCode::FORBIDDEN,
            "your role may not change the catalog",
        );
    }
    let ct = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let data = body.to_vec();
    let out = web
        .app
        .write(st.s.program, "mall", None, move |tx, ctx, now| {
            mall::upload_image(tx, ctx, now, &ct, &data)
        })
        .await;
    match out {
        Ok(o) => (StatusCode::CREATED, axum::Json(o.body)).into_response(),
        Err(AppError::Invalid { message, .. }) => bad(StatusCode::UNPROCESSABLE_ENTITY, &message),
        Err(e) => {
            let (status, msg) = crate::shown_error(st.lang, &e);
            bad(status, &msg)
        }
    }
}

// ---- orders -----------------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct OrdersQuery {
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    before: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

/// Every order state, in the order the filter offers them.
fn states() -> Vec<&'static str> {
    jifen_domain::words::codes(jifen_domain::words::ORDER_STATES)
}

async fn orders(State(web): State<Web>, st: Staff, Query(q): Query<OrdersQuery>) -> Response {
    render_orders(&web, &st, &q, None, StatusCode::OK).await
}

async fn render_orders(
    web: &Web,
    st: &Staff,
    q: &OrdersQuery,
    error: Option<(i64, String, String)>,
    status: StatusCode,
) -> Response {
    let title = st.t("兑换订单", "Mall orders");
    let state = q.state.clone().filter(|s| states().contains(&s.as_str()));
    let before = q
        .before
        .as_deref()
        .and_then(|b| b.parse::<i64>().ok())
        .filter(|b| *b > 0);
    let ctx = st.ctx.clone();
    let s2 = state.clone();
    let list = match web
        .app
        .read(move |tx| mall::list_orders(tx, &ctx, None, s2.as_deref(), before, 50))
        .await
    {
        Ok(v) => v,
        Err(e) => return st.fail(e),
    };
    let tabs: String = std::iter::once(("", st.t("全部", "All").to_string()))
        .chain(
            [
                "paid",
                "shipped",
                "pending_payment",
                "awaiting_stock",
                "delivered",
                "refunded",
            ]
            .iter()
            .map(|s| (*s, state_label(st, s))),
        )
        .map(|(s, label)| {
            format!(
                "<a href=\"/console/orders{}\"{}>{}</a>",
                if s.is_empty() {
                    String::new()
                } else {
                    format!("?state={s}")
                },
                if Some(s) == state.as_deref() || (s.is_empty() && state.is_none()) {
                    " class=\"on\""
                } else {
                    ""
                },
                esc(&label)
            )
        })
        .collect();
    let rows: String = list["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|o| order_row(st, o, error.as_ref()))
        .collect();
    let rows = if rows.is_empty() {
        format!(
            "<tr><td colspan=\"7\" class=\"muted\">{}</td></tr>",
            st.t("没有订单", "No orders")
        )
    } else {
        rows
    };
    let more = list["next_before"]
        .as_i64()
        .map(|n| {
            format!(
                "<p class=\"pager\"><a href=\"/console/orders?{}before={n}\">{}</a></p>",
                state
                    .as_deref()
                    .map(|s| format!("state={s}&"))
                    .unwrap_or_default(),
                st.t("下一页", "Next page")
            )
        })
        .unwrap_or_default();
    let notice = q
        .done
        .as_deref()
        .map(|_| {
            format!(
                "<div class=\"notice\" role=\"status\">{}</div>",
                st.t("订单已更新", "Order updated")
            )
        })
        .unwrap_or_default();
    let body = format!(
        "{notice}<div class=\"toolbar\"><nav class=\"tabs\">{tabs}</nav></div>\
         <table><thead><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th><th class=\"num\">{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table>{more}",
        st.t("时间", "Time"),
        st.t("会员", "Member"),
        st.t("商品", "Item"),
        st.t("积分", "Points"),
        st.t("状态", "State"),
        st.t("操作", "Action"),
    );
    st.page(status, "orders", title, &body)
}

fn ship_form(st: &Staff, id: i64, error: Option<&(i64, String, String)>, back: &str) -> String {
    let e = match error {
        Some((oid, field, msg)) if *oid == id => Some((field.clone(), msg.clone())),
        _ => None,
    };
    format!(
        "<form class=\"ship\" method=\"post\" action=\"/console/orders/{id}/ship\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"back\" value=\"{back}\">\
         <div><input type=\"text\" name=\"carrier\" placeholder=\"{}\" aria-label=\"{}\">{}</div>\
         <div><input type=\"text\" name=\"tracking_no\" placeholder=\"{}\" aria-label=\"{}\">{}</div><button>{}</button></form>{}",
        esc(&st.s.csrf),
        st.t("快递公司", "Carrier"),
        st.t("快递公司", "Carrier"),
        field_error(e.as_ref(), "carrier"),
        st.t("运单号", "Tracking number"),
        st.t("运单号", "Tracking number"),
        field_error(e.as_ref(), "tracking_no"),
        st.t("发货", "Ship"),
        field_error(e.as_ref(), "form"),
    )
}

fn action_button(
    st: &Staff,
    id: i64,
    action: &str,
    label: &str,
    class: &str,
    back: &str,
) -> String {
    format!(
        "<form method=\"post\" action=\"/console/orders/{id}/{action}\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"back\" value=\"{back}\"><button class=\"{class}\">{label}</button></form>",
        esc(&st.s.csrf)
    )
}

fn order_actions(
    st: &Staff,
    o: &Value,
    error: Option<&(i64, String, String)>,
    back: &str,
) -> String {
    if !st.s.role.operates() {
        return String::new();
    }
    let id = o["order_id"].as_i64().unwrap_or(0);
    let ships = o["kind"]["type"] == "physical";
    let mut out = match o["state"].as_str().unwrap_or("") {
        "paid" if ships => ship_form(st, id, error, back),
        "paid" => action_button(
            st,
            id,
            "deliver",
            st.t("确认交付", "Mark delivered"),
            "",
            back,
        ),
        "shipped" => action_button(
            st,
            id,
            "deliver",
            st.t("确认签收", "Mark delivered"),
            "",
            back,
        ),
        "pending_payment" => {
            action_button(st, id, "cancel", st.t("取消", "Cancel"), "secondary", back)
        }
        _ => String::new(),
    };
    if matches!(
        o["state"].as_str(),
        Some("paid" | "shipped" | "delivered" | "awaiting_stock")
    ) {
        out.push_str(&action_button(
            st,
            id,
            "refund",
            st.t("退款", "Refund"),
            "reject",
            back,
        ));
    }
    if let Some((oid, field, msg)) = error
        && *oid == id
        && !(field == "carrier" || field == "tracking_no")
        && !(o["state"] == "paid" && ships)
    {
        out.push_str(&format!(
            "<div class=\"field-error\" role=\"alert\">{}</div>",
            esc(msg)
        ));
    }
    out
}

fn order_row(st: &Staff, o: &Value, error: Option<&(i64, String, String)>) -> String {
    let id = o["order_id"].as_i64().unwrap_or(0);
    let state = o["state"].as_str().unwrap_or("");
    let tracking = o["tracking_no"]
        .as_str()
        .map(|t| {
            format!(
                "<div class=\"muted\">{} {}</div>",
                esc(o["carrier"].as_str().unwrap_or("")),
                esc(t)
            )
        })
        .unwrap_or_default();
    let cash = o["cash_minor"].as_i64().unwrap_or(0);
    format!(
        "<tr id=\"order-{id}\"><td><a href=\"/console/orders/{id}\">#{id}</a></td><td>{}</td><td><a href=\"/console/members/{}\">#{}</a></td><td>{} × {}</td><td class=\"num\">{}{}</td><td><span class=\"pill {state}\">{}</span>{tracking}</td><td>{}</td></tr>",
        fmt_time(o["created_at"].as_i64().unwrap_or(0), &st.ctx.tz),
        o["member_id"],
        o["member_id"],
        esc(&name_of(st, o, "item_name_zh", "item_name_en")),
        o["quantity"],
        num(o["points"].as_i64().unwrap_or(0)),
        if cash > 0 {
            format!(" + {}", money(st, cash))
        } else {
            String::new()
        },
        esc(&state_label(st, state)),
        order_actions(st, o, error, "list"),
    )
}

async fn order(State(web): State<Web>, st: Staff, Path(id): Path<String>) -> Response {
    let id = match crate::forms::id_of(&st, &id, "mall order") {
        Ok(i) => i,
        Err(r) => return *r,
    };
    render_order(&web, &st, id, None, StatusCode::OK).await
}

async fn render_order(
    web: &Web,
    st: &Staff,
    id: i64,
    error: Option<(i64, String, String)>,
    status: StatusCode,
) -> Response {
    let ctx = st.ctx.clone();
    let o = match web.app.read(move |tx| mall::get_order(tx, &ctx, id)).await {
        Ok(v) => v,
        Err(e) => return st.fail(e),
    };
    let tz = &st.ctx.tz;
    let a = &o["address"];
    let address = ["name", "phone", "city", "line", "postcode"]
        .iter()
        .filter_map(|k| a[*k].as_str().filter(|v| !v.is_empty()))
        .map(esc)
        .collect::<Vec<_>>()
        .join(" · ");
    let address = if address.is_empty() {
        "–".to_string()
    } else {
        address
    };
    let history: String = o["history"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|h| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                fmt_time(h["at"].as_i64().unwrap_or(0), tz),
                esc(&state_label(st, h["state"].as_str().unwrap_or(""))),
                esc(h["actor"].as_str().unwrap_or("")),
                esc(h["note"].as_str().unwrap_or("")),
            )
        })
        .collect();
    let state = o["state"].as_str().unwrap_or("");
    let body = format!(
        "<div class=\"toolbar\"><p><span class=\"pill {state}\">{}</span> {} × {} · {} {} · <a href=\"/console/members/{}\">{} #{}</a></p><div>{}</div></div>\
         <div class=\"cards\"><div class=\"card\"><div class=\"label\">{}</div><div class=\"value\">{}</div></div>\
         <div class=\"card\"><div class=\"label\">{}</div><div>{}</div></div>\
         <div class=\"card\"><div class=\"label\">{}</div><div>{} {}</div></div></div>\
         <h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{history}</tbody></table>",
        esc(&state_label(st, state)),
        esc(&name_of(st, &o, "item_name_zh", "item_name_en")),
        o["quantity"],
        st.t("SKU", "SKU"),
        esc(o["sku"].as_str().unwrap_or("")),
        o["member_id"],
        st.t("会员", "Member"),
        o["member_id"],
        order_actions(st, &o, error.as_ref(), "order"),
        st.t("积分", "Points"),
        num(o["points"].as_i64().unwrap_or(0)),
        st.t("收货地址", "Ship to"),
        address,
        st.t("物流", "Logistics"),
        esc(o["carrier"].as_str().unwrap_or("–")),
        esc(o["tracking_no"].as_str().unwrap_or("")),
        st.t("订单记录", "Order history"),
        st.t("时间", "Time"),
        st.t("状态", "State"),
        st.t("操作人", "By"),
        st.t("备注", "Note"),
    );
    st.page(
        status,
        "orders",
        &format!("{} #{id}", st.t("订单", "Order")),
        &body,
    )
}

#[derive(Deserialize, Default)]
struct OrderForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    back: String,
    #[serde(default)]
    carrier: String,
    #[serde(default)]
    tracking_no: String,
    #[serde(default)]
    reason: String,
}

async fn order_action(
    State(web): State<Web>,
    st: Staff,

    Path((id, action)): Path<(String, String)>,
    Form(f): Form<OrderForm>,
) -> Response {
    let id = match crate::forms::id_of(&st, &id, "mall order") {
        Ok(i) => i,
        Err(r) => return *r,
    };
    let a = match action.as_str() {
        "ship" => OrderAction::Ship,
        "deliver" => OrderAction::Deliver,
        "cancel" => OrderAction::Cancel,
        "refund" => OrderAction::Refund,
        _ => {
            return st.fail(AppError::NotFound {
                what: "page",
                id: action,
            });
        }
    };
    // Back to the page the action came from: the order's own page or the list.
    let from_order_page = f.back == "order";
    let again = |field: &str, msg: String, status: StatusCode| {
        let (web, st) = (web.clone(), &st);
        let e = (id, field.to_string(), msg);
        async move {
            if from_order_page {
                render_order(&web, st, id, Some(e), status).await
            } else {
                render_orders(&web, st, &OrdersQuery::default(), Some(e), status).await
            }
        }
    };
    if !st.s.role.operates() {
        return st.forbidden("orders", st.t("兑换订单", "Mall orders"));
    }
    if f.csrf != st.s.csrf {
        return again("form", expired(&st).1, StatusCode::FORBIDDEN).await;
    }
    let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    if a == OrderAction::Ship {
        if text(&f.carrier).is_none() {
            return again(
                "carrier",
                st.t("请填写快递公司", "Name the carrier").into(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        if text(&f.tracking_no).is_none() {
            return again(
                "tracking_no",
                st.t("请填写运单号", "Give the tracking number").into(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    }
    let u = OrderUpdate {
        actor: Some(st.s.actor()),
        reason: text(&f.reason),
        carrier: text(&f.carrier),
        tracking_no: text(&f.tracking_no),
        ..Default::default()
    };
    let actor = st.s.actor();
    let out = web
        .app
        .write(
            st.s.program,
            &format!("mall-order:{id}"),
            None,
            move |tx, ctx, now| {
                let v = mall::act(tx, ctx, now, id, a, &u)?;
                jifen_app::console::audit(
                    tx,
                    ctx.program.id,
                    &actor,
                    &format!("mall_order.{}", format!("{a:?}").to_lowercase()),
                    &format!("mall_order:{id}"),
                    None,
                    v["state"].as_str(),
                    now,
                )?;
                Ok(v)
            },
        )
        .await;
    match out {
        Ok(_) if from_order_page => Redirect::to(&format!("/console/orders/{id}")).into_response(),
        Ok(_) => Redirect::to("/console/orders?done=1").into_response(),
        Err(AppError::Invalid { field, message }) => {
            let field = if field == "carrier" || field == "tracking_no" {
                field
            } else {
                "form".into()
            };
            again(&field, message, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Conflict { message, .. }) => {
            again("form", message, StatusCode::CONFLICT).await
        }
        Err(AppError::Ledger(e)) => again("form", e.to_string(), StatusCode::CONFLICT).await,
        Err(e) => st.fail(e),
    }
}

// ---- definitions edited as JSON ---------------------------------------------------------

/// A definition page: what exists, and a JSON editor that sends a definition to the use case;
/// an error names the field in the JSON, next to the editor, and keeps the text.
struct DefPage<'a> {
    active: &'a str,
    title: &'a str,
    action: &'a str,
    list: String,
    text: String,
    error: Option<String>,
    notice: Option<&'a str>,
    help: &'a str,
    button: &'a str,
}

fn def_page(st: &Staff, p: DefPage<'_>, status: StatusCode) -> Response {
    let editor = if st.s.role.operates() {
        format!(
            "<form class=\"rule\" method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <div class=\"field\"><label for=\"definition\">{}</label><textarea id=\"definition\" name=\"definition\" rows=\"14\" spellcheck=\"false\"{}>{}</textarea>{}</div>\
             <div class=\"actions\"><button type=\"submit\">{}</button></div></form>",
            p.action,
            esc(&st.s.csrf),
            esc(p.help),
            if p.error.is_some() {
                " aria-invalid=\"true\""
            } else {
                ""
            },
            esc(&p.text),
            p.error
                .as_ref()
                .map(|e| format!("<div class=\"field-error\" role=\"alert\">{}</div>", esc(e)))
                .unwrap_or_default(),
            esc(p.button),
        )
    } else {
        String::new()
    };
    let body = format!(
        "{}{}{editor}",
        p.notice
            .map(|n| format!("<div class=\"notice\" role=\"status\">{}</div>", esc(n)))
            .unwrap_or_default(),
        p.list,
    );
    st.page(status, p.active, p.title, &body)
}

#[derive(Deserialize, Default)]
struct DefForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    definition: String,
}

/// Parses the editor's JSON, or says where it is wrong.
fn parse_def<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|e| format!("JSON: {e}"))
}

/// Sends the editor's definition to the use case `run`, audited as `what`; a refusal is the
/// status to answer with and the message to show next to the editor.
async fn save_def<T, F>(
    web: &Web,
    st: &Staff,
    f: &DefForm,
    what: &'static str,
    partition: &str,
    run: F,
) -> Result<(), (StatusCode, String)>
where
    T: serde::de::DeserializeOwned + Send + 'static,
    F: Fn(&mut jifen_app::Tx<'_>, &jifen_app::ProgramCtx, i64, &T) -> Result<Value, AppError>
        + Send
        + Sync
        + 'static,
{
    if !st.s.role.operates() {
        let msg = st.t("你的角色不能修改", "Your role may not change this");
        return Err((StatusCode::FORBIDDEN, msg.into()));
    }
    if f.csrf != st.s.csrf {
        return Err((StatusCode::FORBIDDEN, expired(st).1));
    }
    let def: T = parse_def(&f.definition).map_err(|e| (StatusCode::UNPROCESSABLE_ENTITY, e))?;
    let actor = st.s.actor();
    let text = f.definition.clone();
    let out = web
        .app
        .write(st.s.program, partition, None, move |tx, ctx, now| {
            let v = run(tx, ctx, now, &def)?;
            jifen_app::console::audit(
                tx,
                ctx.program.id,
                &actor,
                what,
                what,
                None,
                Some(&text),
                now,
            )?;
            Ok(v)
        })
        .await;
    web.app.invalidate_program(st.s.program);
    match out {
        Ok(_) => Ok(()),
        Err(AppError::Invalid { field, message }) => Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{field}: {message}"),
        )),
        Err(AppError::Conflict { message, .. }) => Err((StatusCode::CONFLICT, message)),
        Err(e) => Err(crate::shown_error(st.lang, &e)),
    }
}

async fn tiers(st: Staff, Query(q): Query<DoneQuery>) -> Response {
    let text = st
        .ctx
        .earn
        .ladder
        .as_ref()
        .map(|l| serde_json::to_string_pretty(l).unwrap_or_default())
        .unwrap_or_else(|| TIERS_EXAMPLE.to_string());
    let notice = q.done.map(|_| st.t("已保存", "Saved"));
    tiers_page(&st, text, None, notice, StatusCode::OK)
}

const TIERS_EXAMPLE: &str = r#"{
  "metric": "growth",
  "window": {"kind": "rolling_months", "months": 12},
  "tiers": [
    {"code": "silver", "name_zh": "银卡", "name_en": "Silver", "threshold": 0},
    {"code": "gold", "name_zh": "金卡", "name_en": "Gold", "threshold": 5000,
     "benefits": {"earn_multiplier_pct": 150}}
  ]
}"#;

fn review_words(st: &Staff, r: &Value) -> String {
    if !r.is_object() {
        return String::new();
    }
    let every = match r["every"].as_str() {
        Some("month") => st.t("每月", "monthly"),
        Some("quarter") => st.t("每季度", "quarterly"),
        Some("year") => st.t("每年", "yearly"),
        _ => "",
    };
    format!(
        " · {} {every} · {} {} {} · {} {}",
        st.t("保级评审", "Review"),
        st.t("宽限", "grace"),
        r["grace_days"],
        st.t("天", "days"),
        st.t("每次最多降级", "down at most, per review:"),
        r["downgrade_steps_max"],
    )
}

fn benefit_words(st: &Staff, b: &Value) -> String {
    let gift = |g: &Value| {
        let mut parts = Vec::new();
        if let Some(p) = g["points"].as_i64().filter(|p| *p > 0) {
            parts.push(format!("{} {}", num(p), st.t("积分", "points")));
        }
        if let Some(c) = g["coupon"].as_str() {
            parts.push(format!("{} {c}", st.t("券", "coupon")));
        }
        parts.join(" + ")
    };
    let mut out = Vec::new();
    if let Some(m) = b["earn_multiplier_pct"].as_i64().filter(|m| *m != 100) {
        out.push(format!(
            "{} {}.{:02}×",
            st.t("积分倍率", "Earns"),
            m / 100,
            m % 100
        ));
    }
    if let Some(d) = b["points_validity_days"].as_i64() {
        out.push(format!(
            "{} {d} {}",
            st.t("积分有效期", "Points valid"),
            st.t("天", "days")
        ));
    }
    if let Some(p) = b["member_price_pct"].as_i64().filter(|p| *p != 100) {
        out.push(format!("{} {p}%", st.t("会员价", "Member price")));
    }
    if b["tier_up_gift"].is_object() {
        out.push(format!(
            "{} {}",
            st.t("升级礼", "Tier-up gift"),
            gift(&b["tier_up_gift"])
        ));
    }
    if b["birthday_gift"].is_object() {
        out.push(format!(
            "{} {}",
            st.t("生日礼", "Birthday gift"),
            gift(&b["birthday_gift"])
        ));
    }
    for c in b["monthly_coupons"].as_array().into_iter().flatten() {
        out.push(format!(
            "{} {} × {}",
            st.t("每月赠券", "Monthly coupon"),
            c["coupon"].as_str().unwrap_or(""),
            c["count"].as_i64().unwrap_or(1)
        ));
    }
    if let Some(r) = b["checkout_points_per_unit"].as_i64() {
        out.push(format!(
            "{} {r} {}",
            st.t("抵现", "At checkout"),
            st.t("积分抵1元", "points per yuan")
        ));
    }
    if b["transfer_allowed"] == true {
        out.push(st.t("可转赠积分", "May transfer points").into());
    }
    if b["priority_service"] == true {
        out.push(st.t("优先客服", "Priority service").into());
    }
    if out.is_empty() {
        "–".into()
    } else {
        out.iter().map(|s| esc(s)).collect::<Vec<_>>().join("<br>")
    }
}

fn tiers_page(
    st: &Staff,
    text: String,
    error: Option<String>,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let list = match &st.ctx.earn.ladder {
        Some(l) => {
            let v = serde_json::to_value(l).unwrap_or_default();
            let rows: String = v["tiers"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|t| {
                    format!(
                        "<tr><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                        esc(t["code"].as_str().unwrap_or("")),
                        esc(&name_of(st, t, "name_zh", "name_en")),
                        num(t["threshold"].as_i64().unwrap_or(0)),
                        benefit_words(st, &t["benefits"]),
                    )
                })
                .collect();
            format!(
                "<p class=\"muted\">{} <code>{}</code> · {} <code>{}</code>{}</p>\
                 <table><thead><tr><th>{}</th><th>{}</th><th class=\"num\">{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table><h2>{}</h2>",
                st.t("指标", "Metric"),
                esc(&text_of(&v["metric"])),
                st.t("周期", "Window"),
                esc(&match v["window"]["kind"].as_str() {
                    Some("rolling_months") => format!(
                        "{} {} {}",
                        st.t("近", "last"),
                        v["window"]["months"],
                        st.t("个月", "months")
                    ),
                    Some("calendar_year") => st.t("自然年", "calendar year").into(),
                    _ => text_of(&v["window"]),
                }),
                review_words(st, &v["review"]),
                st.t("代码", "Code"),
                st.t("等级", "Tier"),
                st.t("门槛", "From"),
                st.t("权益", "Benefits"),
                st.t("编辑等级体系", "Edit the ladder"),
            )
        }
        None => format!(
            "<p class=\"muted\">{}</p>",
            st.t(
                "还没有等级体系；可从下面的示例开始。",
                "No tier ladder yet; start from the example below."
            )
        ),
    };
    def_page(
        st,
        DefPage {
            active: "tiers",
            title: st.t("会员等级", "Tiers"),
            action: "/console/tiers",
            list,
            text,
            error,
            notice,
            help: st.t(
                "等级体系（JSON，与 PUT /api/v1/tiers 相同）",
                "The ladder (JSON, as PUT /api/v1/tiers takes it)",
            ),
            button: st.t("保存等级体系", "Save the ladder"),
        },
        status,
    )
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        o => o.to_string(),
    }
}

async fn put_tiers(State(web): State<Web>, st: Staff, Form(f): Form<DefForm>) -> Response {
    let r = save_def(
        &web,
        &st,
        &f,
        "tiers.put",
        "tiers",
        |tx, ctx, now, l: &jifen_domain::tiers::Ladder| {
            jifen_app::tiers::put_ladder(tx, ctx, now, l)
        },
    )
    .await;
    match r {
        Ok(()) => Redirect::to("/console/tiers?done=1").into_response(),
        Err((status, e)) => {
            // The page shows the programme as it is: read it again after a refused change.
            let st = Staff {
                ctx: web
                    .app
                    .program_ctx(st.s.program)
                    .await
                    .unwrap_or(st.ctx.clone()),
                ..st
            };
            tiers_page(&st, f.definition.clone(), Some(e), None, status)
        }
    }
}

const TEMPLATE_EXAMPLE: &str = r#"{
  "code": "off_20_100",
  "name_zh": "满100减20",
  "name_en": "20 off 100",
  "kind": {"type": "amount_off", "amount_minor": 2000},
  "threshold_minor": 10000,
  "validity": {"kind": "days", "days": 30}
}"#;

async fn templates(State(web): State<Web>, st: Staff, Query(q): Query<DoneQuery>) -> Response {
    let notice = q.done.map(|_| st.t("已创建", "Created"));
    let form = TemplateForm {
        kind: "amount_off".into(),
        days: "30".into(),
        form_key: form_key(),
        ..Default::default()
    };
    templates_page(
        &web,
        &st,
        TEMPLATE_EXAMPLE.into(),
        None,
        notice,
        StatusCode::OK,
        &form,
        None,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn templates_page(
    web: &Web,
    st: &Staff,
    text: String,
    error: Option<String>,
    notice: Option<&str>,
    status: StatusCode,
    form: &TemplateForm,
    form_error: Option<&(String, String)>,
) -> Response {
    let ctx = st.ctx.clone();
    let list = match web
        .app
        .read(move |tx| jifen_app::coupons::templates(tx, &ctx))
        .await
    {
        Ok(v) => v,
        Err(e) => return st.fail(e),
    };
    let rows: String = list["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|t| {
            let k = &t["kind"];
            let value = match k["type"].as_str().unwrap_or("") {
                "amount_off" => format!("-{}", money(st, k["amount_minor"].as_i64().unwrap_or(0))),
                "percent_off" => format!("-{}%", k["percent"].as_i64().unwrap_or(0)),
                "free_shipping" => st.t("免运费", "Free shipping").into(),
                "gift" => st.t("赠品", "Gift").into(),
                other => other.to_string(),
            };
            let threshold = t["threshold_minor"].as_i64().unwrap_or(0);
            format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{}{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td><span class=\"pill {}\">{}</span></td></tr>",
                esc(t["code"].as_str().unwrap_or("")),
                esc(&name_of(st, t, "name_zh", "name_en")),
                esc(&value),
                if threshold > 0 { format!(" <span class=\"muted\">{} {}</span>", st.t("满", "from"), money(st, threshold)) } else { String::new() },
                esc(&match t["validity"]["kind"].as_str() {
                    Some("days") => format!("{} {}", t["validity"]["days"], st.t("天", "days")),
                    Some("window") => format!(
                        "{} – {}",
                        fmt_time(t["validity"]["from"].as_i64().unwrap_or(0), &st.ctx.tz),
                        fmt_time(t["validity"]["until"].as_i64().unwrap_or(0), &st.ctx.tz)
                    ),
                    _ => text_of(&t["validity"]),
                }),
                t["stock"].as_i64().map(num).unwrap_or_else(|| "∞".into()),
                num(t["issued"].as_i64().unwrap_or(0)),
                esc(t["status"].as_str().unwrap_or("")),
                esc(t["status"].as_str().unwrap_or("")),
            )
        })
        .collect();
    let list = format!(
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table><h2>{}</h2>",
        st.t("代码", "Code"),
        st.t("名称", "Name"),
        st.t("面额", "Value"),
        st.t("有效期", "Valid"),
        st.t("总量", "Stock"),
        st.t("已发", "Issued"),
        st.t("状态", "Status"),
        if rows.is_empty() {
            format!(
                "<tr><td colspan=\"7\" class=\"muted\">{}</td></tr>",
                st.t("还没有优惠券模板", "No coupon templates yet")
            )
        } else {
            rows
        },
        st.t("新建模板", "New template"),
    ) + &if st.s.role.operates() {
        template_form(st, form, form_error)
    } else {
        String::new()
    } + &format!(
        "<h2>{}</h2>",
        st.t("或用 JSON 创建（高级）", "Or as JSON (advanced)")
    );
    def_page(
        st,
        DefPage {
            active: "mall",
            title: st.t("优惠券模板", "Coupon templates"),
            action: "/console/coupon-templates",
            list,
            text,
            error,
            notice,
            help: st.t(
                "模板（JSON，与 POST /api/v1/coupon-templates 相同）",
                "The template (JSON, as POST /api/v1/coupon-templates takes it)",
            ),
            button: st.t("创建模板", "Create the template"),
        },
        status,
    )
}

/// A coupon template as typed into the form: amounts in yuan, validity in days or as dates.
#[derive(Deserialize, Default, Clone)]
struct TemplateForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name_zh: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    kind: String,
    /// Yuan off, percent off, the shipping covered, or the gift, by kind.
    #[serde(default)]
    value: String,
    /// Percent off: the most it takes off, in yuan.
    #[serde(default)]
    cap: String,
    #[serde(default)]
    threshold: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    per_member_limit: String,
    #[serde(default)]
    stock: String,
    #[serde(default)]
    form_key: String,
    #[serde(default)]
    csrf: String,
}

impl TemplateForm {
    fn to_def(
        &self,
        tz: &jiff::tz::TimeZone,
    ) -> Result<jifen_domain::coupons::CouponTemplate, (String, String)> {
        let bad = |f: &str, m: &str| (f.to_string(), m.to_string());
        let yuan =
            |f: &str, v: &str| parse_money(v).ok_or_else(|| bad(f, "an amount such as 20 or 9.90"));
        let int = |f: &str, v: &str| -> Result<Option<i64>, (String, String)> {
            let v = v.trim().replace(',', "");
            if v.is_empty() {
                return Ok(None);
            }
            v.parse::<i64>()
                .map(Some)
                .map_err(|_| bad(f, "a whole number"))
        };
        let kind = match self.kind.as_str() {
            "amount_off" => {
                json!({"type": "amount_off", "amount_minor": yuan("value", &self.value)?})
            }
            "percent_off" => {
                let percent = int("value", &self.value)?
                    .ok_or_else(|| bad("value", "how many percent off, 1 to 99"))?;
                let cap = yuan("cap", &self.cap)?;
                let mut k = json!({"type": "percent_off", "percent": percent.clamp(0, 1_000)});
                if cap > 0 {
                    k["max_off_minor"] = json!(cap);
                }
                k
            }
            "free_shipping" => {
                let max = yuan("value", &self.value)?;
                let mut k = json!({"type": "free_shipping"});
                if max > 0 {
                    k["max_minor"] = json!(max);
                }
                k
            }
            "gift" => json!({"type": "gift", "gift": self.value.trim()}),
            _ => return Err(bad("kind", "choose what the coupon gives")),
        };
        let validity = if !self.from.trim().is_empty() || !self.until.trim().is_empty() {
            let day = |f: &str, v: &str| {
                v.trim()
                    .parse::<jiff::civil::Date>()
                    .ok()
                    .and_then(|d| d.to_zoned(tz.clone()).ok())
                    .map(|z| z.timestamp().as_millisecond())
                    .ok_or_else(|| bad(f, "a date such as 2026-12-31"))
            };
            json!({"kind": "window", "from": day("from", &self.from)?, "until": day("until", &self.until)? + 86_400_000})
        } else {
            let days = int("days", &self.days)?
                .ok_or_else(|| bad("days", "how many days it stays valid, or dates"))?;
            json!({"kind": "days", "days": days.clamp(0, 100_000)})
        };
        let mut t = json!({
            "code": self.code.trim(),
            "name_zh": self.name_zh.trim(),
            "name_en": self.name_en.trim(),
            "kind": kind,
            "threshold_minor": yuan("threshold", &self.threshold)?,
            "validity": validity,
        });
        if let Some(n) = int("per_member_limit", &self.per_member_limit)? {
            t["per_member_limit"] = json!(n.clamp(0, 1_000_000));
        }
        if let Some(n) = int("stock", &self.stock)? {
            t["stock"] = json!(n);
        }
        serde_json::from_value(t).map_err(|e| bad("form", &e.to_string()))
    }
}

/// Where the use case's field error goes on the template form.
fn template_field(field: &str) -> String {
    match field {
        "amount_minor" | "percent" | "max_minor" | "gift" => "value",
        "max_off_minor" => "cap",
        "threshold_minor" => "threshold",
        "validity.days" => "days",
        "validity.from" => "from",
        "validity.until" | "validity" => "until",
        "code" | "name_zh" | "name_en" | "per_member_limit" | "stock" => field,
        _ => "form",
    }
    .to_string()
}

fn template_form(st: &Staff, f: &TemplateForm, error: Option<&(String, String)>) -> String {
    let input = |name: &str, label: &str, value: &str, hint: &str, kind: &str| {
        format!(
            "<div class=\"field\"><label for=\"t_{name}\">{label}</label><input type=\"{kind}\" id=\"t_{name}\" name=\"{name}\" value=\"{}\" placeholder=\"{}\">{}</div>",
            esc(value),
            esc(hint),
            field_error(error, name)
        )
    };
    let kinds: String = [
        ("amount_off", st.t("满减（减多少元）", "Amount off (yuan)")),
        ("percent_off", st.t("折扣（减百分之几）", "Percent off")),
        (
            "free_shipping",
            st.t("免运费（最多多少元）", "Free shipping (up to yuan)"),
        ),
        ("gift", st.t("赠品（赠什么）", "Gift (what)")),
    ]
    .iter()
    .map(|(k, l)| {
        format!(
            "<option value=\"{k}\"{}>{l}</option>",
            if f.kind == *k { " selected" } else { "" }
        )
    })
    .collect();
    format!(
        "{}<form class=\"rule\" method=\"post\" action=\"/console/coupon-templates/new\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"form_key\" value=\"{}\">\
         <div class=\"grid\">{}{}{}</div>\
         <div class=\"grid\"><div class=\"field\"><label for=\"t_kind\">{}</label><select id=\"t_kind\" name=\"kind\">{kinds}</select>{}</div>{}{}{}</div>\
         <div class=\"grid\">{}{}{}{}{}</div>\
         <div class=\"actions\"><button type=\"submit\">{}</button></div></form>",
        field_error(error, "form"),
        esc(&st.s.csrf),
        esc(&f.form_key),
        input("code", st.t("代码", "Code"), &f.code, "off_20_100", "text"),
        input(
            "name_zh",
            st.t("中文名称", "Name (Chinese)"),
            &f.name_zh,
            "满100减20",
            "text"
        ),
        input(
            "name_en",
            st.t("英文名称", "Name (English)"),
            &f.name_en,
            "20 off 100",
            "text"
        ),
        st.t("类型", "Kind"),
        field_error(error, "kind"),
        input(
            "value",
            st.t("面额 / 折扣 / 赠品", "Value / percent / gift"),
            &f.value,
            "20",
            "text"
        ),
        input(
            "cap",
            st.t("折扣最多减（元）", "Percent off: at most (yuan)"),
            &f.cap,
            "",
            "text"
        ),
        input(
            "threshold",
            st.t("满多少元可用", "From an order of (yuan)"),
            &f.threshold,
            "100",
            "text"
        ),
        input(
            "days",
            st.t("领取后有效天数", "Valid for days after issue"),
            &f.days,
            "30",
            "text"
        ),
        input(
            "from",
            st.t("或：固定开始日", "Or: valid from"),
            &f.from,
            "",
            "date"
        ),
        input(
            "until",
            st.t("固定结束日（含）", "Valid until (inclusive)"),
            &f.until,
            "",
            "date"
        ),
        input(
            "per_member_limit",
            st.t("每人最多", "Per member at most"),
            &f.per_member_limit,
            "",
            "text"
        ),
        input(
            "stock",
            st.t("发放总量", "Total to issue"),
            &f.stock,
            "",
            "text"
        ),
        st.t("创建模板", "Create the template"),
    )
}

async fn create_template_form(
    State(web): State<Web>,
    st: Staff,
    Form(f): Form<TemplateForm>,
) -> Response {
    let again = |e: (String, String), status: StatusCode| {
        let (web, st, f) = (web.clone(), &st, f.clone());
        async move {
            templates_page(
                &web,
                st,
                TEMPLATE_EXAMPLE.into(),
                None,
                None,
                status,
                &f,
                Some(&e),
            )
            .await
        }
    };
    if !st.s.role.operates() {
        return st.forbidden("mall", st.t("优惠券模板", "Coupon templates"));
    }
    if f.csrf != st.s.csrf {
        return again(expired(&st), StatusCode::FORBIDDEN).await;
    }
    let t = match f.to_def(&st.ctx.tz) {
        Ok(t) => t,
        Err(e) => return again(e, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let idem = (!f.form_key.is_empty()).then(|| {
        (
            format!("console:coupon_template:{}", f.form_key),
            serde_json::to_string(&t).unwrap_or_default(),
        )
    });
    let out = st
        .audited(&web, "coupons", idem, move |tx, ctx, now| {
            let v = jifen_app::coupons::create_template(tx, ctx, now, &t)?;
            let audit = Audit {
                action: "coupon_template.create".to_string(),
                target: format!("coupon_template:{}", t.code),
                before: None,
                after: Some(v.to_string()),
            };
            Ok((v, audit))
        })
        .await;
    match out {
        Ok(_) => Redirect::to("/console/coupon-templates?done=1").into_response(),
        Err(AppError::Invalid { field, message }) => {
            again(
                (template_field(&field), message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict { message, .. }) => {
            again(("code".into(), message), StatusCode::CONFLICT).await
        }
        Err(e) => st.fail(e),
    }
}

async fn create_template(State(web): State<Web>, st: Staff, Form(f): Form<DefForm>) -> Response {
    let r = save_def(
        &web,
        &st,
        &f,
        "coupon_template.create",
        "coupons",
        |tx, ctx, now, t: &jifen_domain::coupons::CouponTemplate| {
            jifen_app::coupons::create_template(tx, ctx, now, t)
        },
    )
    .await;
    match r {
        Ok(()) => Redirect::to("/console/coupon-templates?done=1").into_response(),
        Err((status, e)) => {
            let form = TemplateForm {
                kind: "amount_off".into(),
                days: "30".into(),
                form_key: form_key(),
                ..Default::default()
            };
            templates_page(
                &web,
                &st,
                f.definition.clone(),
                Some(e),
                None,
                status,
                &form,
                None,
            )
            .await
        }
    }
}

async fn lotteries(State(web): State<Web>, st: Staff, Query(q): Query<DoneQuery>) -> Response {
    let notice = q.done.map(|_| st.t("已创建", "Created"));
    lotteries_page(&web, &st, String::new(), None, notice, StatusCode::OK).await
}

async fn lotteries_page(
    web: &Web,
    st: &Staff,
    text: String,
    error: Option<String>,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let ctx = st.ctx.clone();
    let list = match web
        .app
        .read(move |tx| jifen_app::lottery::list(tx, &ctx))
        .await
    {
        Ok(v) => v,
        Err(e) => return st.fail(e),
    };
    let items = list["items"].as_array().cloned().unwrap_or_default();
    let text = if text.is_empty() {
        items
            .first()
            .map(|l| {
                let mut l = l.clone();
                if let Some(o) = l.as_object_mut() {
                    for k in ["status", "consolation_ppm"] {
                        o.remove(k);
                    }
                    o.insert("code".into(), json!(format!("{}_2", text_of(&o["code"]))));
                }
                if let Some(ps) = l["prizes"].as_array_mut() {
                    for p in ps {
                        if let Some(o) = p.as_object_mut() {
                            o.remove("won");
                            o.remove("left");
                        }
                    }
                }
                serde_json::to_string_pretty(&l).unwrap_or_default()
            })
            .unwrap_or_default()
    } else {
        text
    };
    let cards: String = items
        .iter()
        .map(|l| {
            let prizes: String = l["prizes"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|p| {
                    format!(
                        "<tr><td>{}</td><td class=\"num\">{:.2}%</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                        esc(&name_of(st, p, "name_zh", "name_en")),
                        p["odds_ppm"].as_f64().unwrap_or(0.0) / 10_000.0,
                        num(p["won"].as_i64().unwrap_or(0)),
                        num(p["left"].as_i64().unwrap_or(0)),
                    )
                })
                .collect();
            format!(
                "<h2>{} <code>{}</code> <span class=\"pill {}\">{}</span></h2><p class=\"muted\">{} {} · {} {}</p>\
                 <table><thead><tr><th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th></tr></thead><tbody>{prizes}</tbody></table>",
                esc(&name_of(st, l, "name_zh", "name_en")),
                esc(l["code"].as_str().unwrap_or("")),
                esc(l["status"].as_str().unwrap_or("")),
                esc(l["status"].as_str().unwrap_or("")),
                st.t("每次消耗", "Each draw costs"),
                num(l["cost_points"].as_i64().unwrap_or(0)),
                st.t("未中奖", "No prize"),
                esc(&name_of(st, &l["consolation"], "name_zh", "name_en")),
                st.t("奖品", "Prize"),
                st.t("中奖率", "Odds"),
                st.t("已中", "Won"),
                st.t("剩余", "Left"),
            )
        })
        .collect();
    let list = if cards.is_empty() {
        format!(
            "<p class=\"muted\">{}</p>",
            st.t("还没有抽奖活动", "No lotteries yet")
        )
    } else {
        cards
    } + &format!("<h2>{}</h2>", st.t("新建抽奖", "New lottery"));
    def_page(
        st,
        DefPage {
            active: "mall",
            title: st.t("抽奖活动", "Lotteries"),
            action: "/console/lotteries",
            list,
            text,
            error,
            notice,
            help: st.t(
                "抽奖（JSON，与 POST /api/v1/lotteries 相同）",
                "The lottery (JSON, as POST /api/v1/lotteries takes it)",
            ),
            button: st.t("创建抽奖", "Create the lottery"),
        },
        status,
    )
}

async fn create_lottery(State(web): State<Web>, st: Staff, Form(f): Form<DefForm>) -> Response {
    let r = save_def(
        &web,
        &st,
        &f,
        "lottery.create",
        "lottery",
        |tx, ctx, now, l: &jifen_domain::lottery::LotteryDef| {
            jifen_app::lottery::create(tx, ctx, now, l)
        },
    )
    .await;
    match r {
        Ok(()) => Redirect::to("/console/lotteries?done=1").into_response(),
        Err((status, e)) => {
            lotteries_page(&web, &st, f.definition.clone(), Some(e), None, status).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_fields() {
        assert_eq!(item_field("skus[0].points"), "points");
        assert_eq!(item_field("skus[0].cash_minor"), "cash");
        assert_eq!(item_field("kind.template"), "template");
        assert_eq!(item_field("skus[3].sku"), "form");
    }
}
