//! The settings pages over real HTTP: an API key shown once that then authenticates and stops at
//! once when revoked, owners alone managing keys and webhooks, field errors that keep what was
//! typed, expired forms, webhook addresses checked, and the ledger and orders exports (rows,
//! neutralised formulas, date filters, roles, audit). The key and export queries also run on
//! PostgreSQL.

mod common;

use common::{Site, start};
use jifen_app::commands::{self, MemberRef};
use jifen_app::staff::{NewStaff, Role};
use jifen_ledger::PointType;
use reqwest::StatusCode;

/// Every `jf_` key (64 hex digits) in a page.
fn secrets(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("jf_") {
        let cand = &rest[at + 3..];
        let hex: String = cand.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
        if hex.len() == 64 {
            out.push(format!("jf_{hex}"));
        }
        rest = &rest[at + 3..];
    }
    out
}

/// A signed-in staff member: the cookie and the session's CSRF token.
struct Who {
    cookie: String,
    csrf: String,
}

impl Site {
    async fn page(&self, path: &str, cookie: &str) -> (StatusCode, String) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        let s = r.status();
        (s, r.text().await.unwrap())
    }

    async fn raw(
        &self,
        path: &str,
        cookie: &str,
    ) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        let (s, h) = (r.status(), r.headers().clone());
        (s, h, r.bytes().await.unwrap().to_vec())
    }

    async fn send(
        &self,
        path: &str,
        who: &Who,
        form: &[(&str, &str)],
    ) -> (StatusCode, String, Option<String>) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", &who.cookie)
            .form(form)
            .send()
            .await
            .unwrap();
        let s = r.status();
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        (s, r.text().await.unwrap(), location)
    }

    async fn add_staff(&self, login: &str, role: Role) {
        let ns = NewStaff {
            login: login.into(),
            name: format!("{login} name"),
            role,
            password: "correct horse battery".into(),
        };
        self.app
            .write_view(self.pid, "staff", None, move |tx, ctx, now| {
                jifen_app::staff::create(tx, ctx, now, &ns, "system")
            })
            .await
            .unwrap();
    }

    async fn who(&self, login: &str) -> Who {
        let (cookie, csrf) = self.session(login).await;
        Who { cookie, csrf }
    }

    async fn key_count(&self) -> usize {
        let pid = self.pid;
        self.app
            .read(move |tx| Ok(tx.api_keys(pid)?.len()))
            .await
            .unwrap()
    }

    async fn audited(&self, action: &'static str) -> Vec<jifen_store::AuditRow> {
        let pid = self.pid;
        self.app
            .read(move |tx| Ok(tx.audit_entries(pid, None, Some(action), i64::MAX, 50)?))
            .await
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_key_is_shown_once_authenticates_and_stops_when_revoked() {
    let s = start().await;
    let amy = s.who("amy").await;
    // The programme's facts are on the page, with the key made with it (no prefix kept).
    let (_, html) = s.page("/console/settings?lang=en", &amy.cookie).await;
    assert!(
        html.contains("Asia/Shanghai") && html.contains("<code>shop</code>"),
        "{html}"
    );
    assert!(html.contains(">default<"), "{html}");
    assert_eq!(s.key_count().await, 1);

    let (st, html, _) = s
        .send(
            "/console/settings/keys",
            &amy,
            &[("name", "收银 POS"), ("csrf", &amy.csrf)],
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{html}");
    let found = secrets(&html);
    assert_eq!(found.len(), 1, "the secret is on the page once: {html}");
    let secret = found[0].clone();
    assert!(html.contains("只显示这一次"), "{html}");
    assert_eq!(s.key_count().await, 2);
    // Only its hash and first characters are stored, and the key reaches the programme.
    let pid = s.pid;
    let stored: Vec<(String, Option<String>)> = s
        .app
        .read(move |tx| {
            Ok(tx
                .api_keys(pid)?
                .into_iter()
                .map(|k| (k.name, k.prefix))
                .collect())
        })
        .await
        .unwrap();
    assert!(
        stored.contains(&("收银 POS".into(), Some(secret[..9].to_string()))),
        "{stored:?}"
    );
    assert_eq!(s.app.authenticate(&secret).await.unwrap(), Some(s.pid));
    // Twice, so the second answer comes from the cache.
    assert_eq!(s.app.authenticate(&secret).await.unwrap(), Some(s.pid));

    // Never shown again: the list has the name and the prefix only.
    let (_, html) = s.page("/console/settings", &amy.cookie).await;
    assert!(secrets(&html).is_empty(), "{html}");
    assert!(
        html.contains("收银 POS") && html.contains(&format!("{}…", &secret[..9])),
        "{html}"
    );
    let created = s.audited("api_key.create").await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].actor, "staff:amy");
    assert!(
        !created[0]
            .after
            .as_deref()
            .unwrap_or("")
            .contains(&secret[3..])
    );

    // Revoking through the page's form: the key fails at once, even though it was cached.
    let key_id = jifen_app::keys::key_id(&jifen_app::sha256_hex(secret.as_bytes())).to_string();
    let action = format!("/console/settings/keys/{key_id}/revoke");
    assert!(html.contains(&action), "{html}");
    // The list links to a confirmation naming the key; it asks for the reason.
    let (_, confirm) = s.page(&action, &amy.cookie).await;
    assert!(
        confirm.contains("收银 POS")
            && confirm.contains(&secret[..9])
            && confirm.contains("name=\"reason\""),
        "the key is named: {confirm}"
    );
    // Without a reason: refused next to the field, the key still works.
    let (st, html, _) = s
        .send(&action, &amy, &[("csrf", &amy.csrf), ("reason", " ")])
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(common::error_after(&html, "reason").is_some(), "{html}");
    assert!(s.app.authenticate(&secret).await.unwrap().is_some());
    assert!(s.audited("api_key.revoke").await.is_empty());
    let reason = [("csrf", amy.csrf.as_str()), ("reason", "收银机已更换")];
    let (st, _, location) = s.send(&action, &amy, &reason).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/console/settings?done=revoked"));
    assert_eq!(s.app.authenticate(&secret).await.unwrap(), None);
    let (_, html) = s.page("/console/settings", &amy.cookie).await;
    assert!(html.contains("已吊销") && !html.contains(&action), "{html}");
    assert!(
        html.contains("原因：收银机已更换"),
        "the reason in the list: {html}"
    );
    let revoked = s.audited("api_key.revoke").await;
    assert_eq!(revoked.len(), 1);
    assert!(
        revoked[0]
            .after
            .as_deref()
            .unwrap_or("")
            .contains("收银机已更换")
    );
    let (_, audit) = s
        .page("/console/audit?action=api_key.revoke", &amy.cookie)
        .await;
    assert!(audit.contains("原因：收银机已更换"), "{audit}");
    // Revoking again is a conflict shown on the page; a made-up id is a 404, never a 500.
    let (st, html, _) = s.send(&action, &amy, &reason).await;
    assert_eq!(st, StatusCode::CONFLICT, "{html}");
    for bad in ["zz", "0123456789abcdef", "%00"] {
        let (st, _, _) = s
            .send(
                &format!("/console/settings/keys/{bad}/revoke"),
                &amy,
                &[("csrf", &amy.csrf)],
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{bad}");
    }
    // The programme's first key still works.
    assert_eq!(s.key_count().await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_owners_manage_keys_and_forms_keep_what_was_typed() {
    let s = start().await;
    s.add_staff("ada", Role::Auditor).await;
    let amy = s.who("amy").await;
    let sam = s.who("sam").await;
    let ada = s.who("ada").await;

    // A service member neither sees the keys nor creates one.
    let (st, html) = s.page("/console/settings", &sam.cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        !html.contains(">default<") && !html.contains("/console/settings/keys"),
        "{html}"
    );
    let (st, _, _) = s
        .send(
            "/console/settings/keys",
            &sam,
            &[("name", "mine"), ("csrf", &sam.csrf)],
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // An auditor sees them read-only, and may not create or revoke either.
    let (_, html) = s.page("/console/settings", &ada.cookie).await;
    assert!(
        html.contains(">default<") && !html.contains("action=\"/console/settings/keys\""),
        "{html}"
    );
    let (st, _, _) = s
        .send(
            "/console/settings/keys",
            &ada,
            &[("name", "mine"), ("csrf", &ada.csrf)],
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = s
        .send(
            "/console/settings/webhooks",
            &ada,
            &[
                ("url", "http://x.test/h"),
                ("topics", "*"),
                ("csrf", &ada.csrf),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(s.key_count().await, 1);

    // A missing name: the error is next to the field and nothing is created.
    let (st, html, _) = s
        .send(
            "/console/settings/keys",
            &amy,
            &[("name", "   "), ("csrf", &amy.csrf)],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("field-error") && html.contains("请填写密钥名称"),
        "{html}"
    );
    assert!(secrets(&html).is_empty());
    let long = "长".repeat(61);
    let (st, html, _) = s
        .send(
            "/console/settings/keys",
            &amy,
            &[("name", &long), ("csrf", &amy.csrf)],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains(&format!("value=\"{long}\"")),
        "the typed name is kept: {html}"
    );
    assert_eq!(s.key_count().await, 1);

    // An expired (or forged) form is a 403 with a message, and changes nothing.
    let (st, html, _) = s
        .send(
            "/console/settings/keys",
            &amy,
            &[("name", "forged"), ("csrf", "not-the-token")],
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert!(html.contains("表单已过期"), "{html}");
    let (st, _, _) = s
        .send("/console/settings/keys", &amy, &[("name", "forged")])
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(s.key_count().await, 1);

    // The programme's name and time zone: a bad zone is shown next to the field.
    let (st, html, _) = s
        .send(
            "/console/settings/program",
            &amy,
            &[
                ("name", "Shop <b>"),
                ("timezone", "Mars/Olympus"),
                ("csrf", &amy.csrf),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("未知的时区")
            && html.contains("value=\"Mars/Olympus\"")
            && html.contains("Shop &#60;b&#62;"),
        "{html}"
    );
    let (st, _, _) = s
        .send(
            "/console/settings/program",
            &sam,
            &[("name", "Sam's"), ("timezone", "UTC"), ("csrf", &sam.csrf)],
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, location) = s
        .send(
            "/console/settings/program",
            &amy,
            &[
                ("name", "Shop 旗舰店"),
                ("timezone", "Europe/London"),
                ("csrf", &amy.csrf),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/console/settings?done=program"));
    let ctx = s.app.program_ctx(s.pid).await.unwrap();
    assert_eq!(
        (ctx.program.name.as_str(), ctx.program.timezone.as_str()),
        ("Shop 旗舰店", "Europe/London")
    );
    let (_, html) = s.page("/console/settings?done=program", &amy.cookie).await;
    assert!(
        html.contains("会员计划已保存") && html.contains("Europe/London"),
        "{html}"
    );
    assert_eq!(s.audited("program.update").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_checked_shown_once_and_switched_off_and_on() {
    let s = start().await;
    let amy = s.who("amy").await;
    let (st, html, _) = s
        .send(
            "/console/settings/webhooks",
            &amy,
            &[
                ("url", "ftp://erp.test/hooks"),
                ("topics", "mall.order.*"),
                ("csrf", &amy.csrf),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("field-error") && html.contains("http://"),
        "{html}"
    );
    assert!(
        html.contains("value=\"ftp://erp.test/hooks\"") && html.contains("value=\"mall.order.*\""),
        "{html}"
    );
    let (st, html, _) = s
        .send(
            "/console/settings/webhooks",
            &amy,
            &[
                ("url", "http://erp.test/hooks"),
                ("topics", "no.such.topic"),
                ("csrf", &amy.csrf),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    // In the page's language, next to the field.
    let err = common::error_after(&html, "hook-topics").expect("an error after the topics");
    assert!(err.contains("不匹配任何主题"), "{err}");
    let (st, html, _) = s
        .send(
            "/console/settings/webhooks",
            &amy,
            &[
                ("url", "http://127.0.0.1:9/hooks"),
                ("topics", "mall.order.*"),
                ("csrf", &amy.csrf),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let err = common::error_after(&html, "hook-url").expect("an error after the address");
    assert!(err.contains("内网地址"), "{err}");
    let pid = s.pid;
    let app = s.app.clone();
    let count = || {
        let app = app.clone();
        async move {
            app.read(move |tx| Ok(tx.webhook_endpoints(pid)?.len()))
                .await
                .unwrap()
        }
    };
    assert_eq!(count().await, 0);

    let (st, html, _) = s
        .send(
            "/console/settings/webhooks",
            &amy,
            &[
                ("url", "http://erp.test/hooks"),
                ("topics", "mall.order.*, tier.changed"),
                ("csrf", &amy.csrf),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{html}");
    let hooks = s
        .app
        .read(move |tx| Ok(tx.webhook_endpoints(pid)?))
        .await
        .unwrap();
    assert_eq!(hooks.len(), 1);
    let secret = hooks[0].secret.clone();
    assert!(
        html.matches(&secret).count() == 1 && html.contains("只显示这一次"),
        "{html}"
    );
    let (_, html) = s.page("/console/settings", &amy.cookie).await;
    assert!(!html.contains(&secret), "{html}");
    assert!(
        html.contains("http://erp.test/hooks")
            && html.contains("mall.order.*, tier.changed")
            && html.contains("尚无投递"),
        "{html}"
    );

    let id = hooks[0].id;
    let (st, _, location) = s
        .send(
            &format!("/console/settings/webhooks/{id}/disable"),
            &amy,
            &[("csrf", &amy.csrf)],
        )
        .await;
    assert_eq!(
        (st, location.as_deref()),
        (
            StatusCode::SEE_OTHER,
            Some("/console/settings?done=disabled")
        )
    );
    let status = || {
        let app = app.clone();
        async move {
            app.read(move |tx| Ok(tx.webhook_endpoint(pid, id)?.unwrap().status))
                .await
                .unwrap()
        }
    };
    assert_eq!(status().await, "disabled");
    let (_, html) = s.page("/console/settings", &amy.cookie).await;
    assert!(
        html.contains("已停用")
            && html.contains(&format!("/console/settings/webhooks/{id}/enable")),
        "{html}"
    );
    let (st, _, _) = s
        .send(
            &format!("/console/settings/webhooks/{id}/enable"),
            &amy,
            &[("csrf", &amy.csrf)],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(status().await, "active");
    assert_eq!(s.audited("webhook.create").await.len(), 1);
    assert_eq!(s.audited("webhook.disable").await.len(), 1);
    assert_eq!(s.audited("webhook.enable").await.len(), 1);
    assert!(
        !s.audited("webhook.create").await[0]
            .after
            .as_deref()
            .unwrap()
            .contains(&secret)
    );
    // Malformed ids and actions, and expired forms, never give a 500.
    for (path, want) in [
        (
            "/console/settings/webhooks/abc/disable",
            StatusCode::NOT_FOUND,
        ),
        (
            "/console/settings/webhooks/999/disable",
            StatusCode::NOT_FOUND,
        ),
        (
            &*format!("/console/settings/webhooks/{id}/explode"),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let (st, _, _) = s.send(path, &amy, &[("csrf", &amy.csrf)]).await;
        assert_eq!(st, want, "{path}");
    }
    let (st, _, _) = s
        .send(
            &format!("/console/settings/webhooks/{id}/disable"),
            &amy,
            &[("csrf", "old")],
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(status().await, "active");
}

/// A member with a line whose reason is a formula, and a mall order of an item whose name is one.
async fn seed_exports(s: &Site) -> i64 {
    let a = commands::Adjustment {
        member: MemberRef::Id { member_id: 1 },
        delta: -45,
        point_type: PointType::Points,
        reason: Some("=HYPERLINK(\"http://evil.test\",\"点我\")".into()),
        actor: Some("staff:amy".into()),
    };
    s.app
        .write_view(s.pid, "m", None, move |tx, ctx, now| {
            commands::adjust(tx, ctx, now, &a)
        })
        .await
        .unwrap();
    let item: jifen_app::mall::ItemIn = serde_json::from_value(serde_json::json!({
        "name_zh": "=1+1 保温杯", "name_en": "Tumbler", "category": "drinkware", "kind": {"type": "physical"},
        "status": "on_sale",
        "skus": [{"sku": "CUP-RED", "name": "红色", "points": 1000, "cash_minor": 0, "market_price_minor": 3500, "stock": 5}]
    }))
    .unwrap();
    s.app
        .write_view(s.pid, "mall", None, move |tx, ctx, now| {
            jifen_app::mall::create_item(tx, ctx, now, "staff:test", &item)
        })
        .await
        .unwrap();
    let o = jifen_app::mall::PlaceOrder {
        member: MemberRef::Id { member_id: 1 },
        sku: "CUP-RED".into(),
        quantity: 2,
        request_id: "r1".into(),
        address: Some(jifen_app::mall::Address {
            name: "张三".into(),
            phone: "13800000000".into(),
            line: "上海市徐汇区漕溪北路1号".into(),
            city: "上海".into(),
            postcode: "200030".into(),
        }),
        pay_within_seconds: None,
    };
    s.app
        .write_view(s.pid, "m", None, move |tx, ctx, now| {
            jifen_app::mall::place_order(tx, ctx, now, &o)
        })
        .await
        .unwrap()
        .view
        .order_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_and_orders_exports_stream_rows_safely_for_the_right_roles() {
    let s = start().await;
    let order_id = seed_exports(&s).await;
    s.add_staff("ann", Role::Analyst).await;
    let amy = s.who("amy").await;
    let ann = s.who("ann").await;
    let sam = s.who("sam").await;

    // The settings page links all three exports.
    let (_, html) = s.page("/console/settings", &ann.cookie).await;
    for link in [
        "/console/exports/members.csv",
        "/console/exports/ledger.csv",
        "/console/exports/orders.csv",
    ] {
        assert!(html.contains(link), "{link}: {html}");
    }

    let (st, h, body) = s.raw("/console/exports/ledger.csv", &ann.cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(h["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(body.starts_with(&[0xef, 0xbb, 0xbf]), "UTF-8 with a BOM");
    let csv = String::from_utf8(body[3..].to_vec()).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("transfer_id,time,member_id,"), "{csv}");
    // The opening adjustment (its reason kept as text), the formula neutralised, the order's spend.
    let opening = lines
        .iter()
        .find(|l| l.contains("开户赠送"))
        .expect("opening line");
    assert!(
        opening.contains(",1,")
            && opening.contains("manual_adjustment")
            && opening.contains(",12345,12345,"),
        "{opening}"
    );
    assert!(
        opening.contains("2026-01-01 08:00:00"),
        "times in the programme's zone: {opening}"
    );
    let formula = lines
        .iter()
        .find(|l| l.contains("HYPERLINK"))
        .expect("formula line");
    assert!(
        formula.contains("\"'=HYPERLINK(\"\"http://evil.test\"\",\"\"点我\"\")\""),
        "{formula}"
    );
    assert!(formula.contains(",45,-45,"), "{formula}");
    assert!(
        !csv.contains(",=") && !csv.contains("\"="),
        "no cell starts with =: {csv}"
    );
    assert!(
        lines.len() >= 4,
        "header, two adjustments and the order's spend: {csv}"
    );

    // Date filters, in the programme's zone: the whole day, or nothing before it.
    let (_, _, body) = s
        .raw(
            "/console/exports/ledger.csv?from=2026-01-01&to=2026-01-01",
            &ann.cookie,
        )
        .await;
    assert_eq!(
        String::from_utf8(body).unwrap().lines().count(),
        lines.len()
    );
    let (_, _, body) = s
        .raw("/console/exports/ledger.csv?to=2025-12-31", &ann.cookie)
        .await;
    assert_eq!(
        String::from_utf8(body).unwrap().lines().count(),
        1,
        "the header only"
    );
    let (_, _, body) = s
        .raw(
            "/console/exports/ledger.csv?from=2026-01-02&to=",
            &ann.cookie,
        )
        .await;
    assert_eq!(
        String::from_utf8(body).unwrap().lines().count(),
        1,
        "the header only"
    );

    let (st, _, body) = s.raw("/console/exports/orders.csv", &amy.cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(body.starts_with(&[0xef, 0xbb, 0xbf]));
    let csv = String::from_utf8(body[3..].to_vec()).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(
        lines[0].starts_with("order_id,time,member_id,item_id,item,sku,quantity,points,cash"),
        "{csv}"
    );
    let row = lines[1];
    assert!(
        row.starts_with(&format!("{order_id},2026-01-01 08:00:00,1,")),
        "{row}"
    );
    assert!(
        row.contains(",'=1+1 保温杯,CUP-RED,2,2000,0.00,CNY,"),
        "{row}"
    );
    let (_, _, body) = s
        .raw("/console/exports/orders.csv?from=2026-01-02", &amy.cookie)
        .await;
    assert_eq!(String::from_utf8(body).unwrap().lines().count(), 1);
    let (_, _, body) = s
        .raw("/console/exports/orders.csv?lang=en", &amy.cookie)
        .await;
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains(",Tumbler,CUP-RED,")
    );

    // Malformed dates are a 422 with a message, never a 500; reversed ranges too.
    for q in [
        "from=2026-13-01",
        "to=yesterday",
        "from=2026-02-30",
        "from=2026-02-01&to=2026-01-01",
        "from=%FF%FE",
    ] {
        for export in ["ledger", "orders"] {
            let (st, html) = s
                .page(&format!("/console/exports/{export}.csv?{q}"), &ann.cookie)
                .await;
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{export} {q}: {html}");
            assert!(html.contains("class=\"error\""), "{html}");
        }
    }
    // A service member may not export; a visitor is sent to sign in.
    for export in ["ledger", "orders"] {
        let (st, body) = s
            .page(&format!("/console/exports/{export}.csv"), &sam.cookie)
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
        assert!(!body.contains("HYPERLINK") && !body.contains("CUP-RED"));
        let (st, _) = s.page(&format!("/console/exports/{export}.csv"), "").await;
        assert_eq!(st, StatusCode::SEE_OTHER);
    }
    // Each export is audited, with its dates; refused ones are not.
    let ledger = s.audited("export.ledger").await;
    assert_eq!(ledger.len(), 4, "{ledger:?}");
    assert!(ledger.iter().all(|a| a.actor == "staff:ann"));
    assert!(
        ledger
            .iter()
            .any(|a| a.after.as_deref() == Some(r#"{"from":"2026-01-01","to":"2026-01-01"}"#)),
        "{ledger:?}"
    );
    assert_eq!(s.audited("export.orders").await.len(), 3);
}

/// The key and export queries on PostgreSQL: a fresh database, migrated by the app.
#[test]
fn keys_and_export_pages_on_postgres() {
    use jifen_ledger::policy::LedgerPolicy;
    let Some(admin) = jifen_testkit::postgres() else {
        return;
    };
    let name = format!("jifen_web_settings_{}", std::process::id());
    let mut conn = jifen_app::open_backend(&admin, 1)
        .unwrap()
        .connect()
        .unwrap_or_else(|e| panic!("the PostgreSQL test needs a server at {admin}: {e}"));
    conn.batch(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .unwrap();
    conn.batch(&format!("CREATE DATABASE {name}")).unwrap();
    let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    let run = || {
        let backend = jifen_app::open_backend(&url, 1).unwrap();
        let clock = std::sync::Arc::new(jifen_app::ManualClock::new(common::START));
        let app = jifen_app::App::start(backend, clock).unwrap();
        let p = app
            .create_program(
                "shop",
                "Shop",
                "CNY",
                "Asia/Shanghai",
                LedgerPolicy::default(),
            )
            .unwrap();
        let key = jifen_app::keys::generate();
        let k = key.clone();
        app.write_view_blocking(p.id, "api_keys", None, move |tx, ctx, now| {
            jifen_app::keys::create(tx, ctx, now, "staff:amy", "POS", &k, false)
        })
        .unwrap();
        let pid = p.id;
        let keys = app.read_blocking(move |tx| Ok(tx.api_keys(pid)?)).unwrap();
        assert_eq!(keys.len(), 2);
        let pos = keys.iter().find(|k| k.name == "POS").unwrap();
        assert_eq!(pos.prefix.as_deref(), Some(&key.secret[..9]));
        assert_eq!(pos.key_id, jifen_app::keys::key_id(&key.hash));
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            assert_eq!(app.authenticate(&key.secret).await.unwrap(), Some(pid));
            assert_eq!(app.authenticate(&p.api_key).await.unwrap(), Some(pid));
            // A revocation says why: without a reason (or with too long a one) nothing changes.
            for bad in [" ".to_string(), "长".repeat(jifen_app::keys::REVOKE_REASON_MAX + 1)] {
                let refused = app.revoke_api_key(pid, "staff:amy", &pos.key_id, &bad).await;
                assert!(
                    matches!(&refused, Err(jifen_app::AppError::Invalid { field, .. }) if field == "reason"),
                    "{refused:?}"
                );
            }
            assert_eq!(app.authenticate(&key.secret).await.unwrap(), Some(pid));
            app.revoke_api_key(pid, "staff:amy", &pos.key_id, "replaced")
                .await
                .unwrap();
            assert_eq!(app.authenticate(&key.secret).await.unwrap(), None);
            assert_eq!(app.authenticate(&p.api_key).await.unwrap(), Some(pid));
            let again = app
                .revoke_api_key(pid, "staff:amy", &pos.key_id, "replaced")
                .await;
            assert!(
                matches!(again, Err(jifen_app::AppError::Conflict { .. })),
                "{again:?}"
            );
        });
        let m = commands::NewMember {
            referrer: None,
            device_id: None,
            ip: None,
            profile: Default::default(),
            identities: vec![jifen_store::Identity {
                channel: "app".into(),
                external_id: "PG1".into(),
            }],
        };
        let member = app
            .write_view_blocking(pid, "m", None, move |tx, ctx, now| {
                commands::create_member(tx, ctx, now, &m)
            })
            .unwrap()
            .view
            .member
            .member_id
            .0;
        for delta in [500, -20] {
            let a = commands::Adjustment {
                member: MemberRef::Id { member_id: member },
                delta,
                point_type: PointType::Points,
                reason: Some("pg".into()),
                actor: Some("staff:amy".into()),
            };
            app.write_view_blocking(pid, "m", None, move |tx, ctx, now| {
                commands::adjust(tx, ctx, now, &a)
            })
            .unwrap();
        }
        let page = app
            .read_blocking(move |tx| Ok(tx.ledger_export_page(pid, 0, i64::MIN, i64::MAX, 1)?))
            .unwrap();
        assert_eq!(page.len(), 1);
        assert_eq!(
            (page[0].member, page[0].balance_effect),
            (Some(member), 500)
        );
        let after = page[0].transfer_id;
        let rest = app
            .read_blocking(move |tx| {
                Ok(tx.ledger_export_page(pid, after, i64::MIN, i64::MAX, 10)?)
            })
            .unwrap();
        assert_eq!(
            rest.iter().map(|r| r.balance_effect).collect::<Vec<_>>(),
            vec![-20]
        );
        let none = app
            .read_blocking(move |tx| {
                Ok(tx.ledger_export_page(pid, 0, common::START + 1, i64::MAX, 10)?)
            })
            .unwrap();
        assert!(none.is_empty());
        let orders = app
            .read_blocking(move |tx| Ok(tx.order_export_page(pid, 0, i64::MIN, i64::MAX, 10)?))
            .unwrap();
        assert!(orders.is_empty());
        let audited = app
            .read_blocking(move |tx| Ok(tx.audit_entries(pid, None, None, i64::MAX, 10)?))
            .unwrap();
        assert!(audited.iter().any(|a| a.action == "api_key.revoke"));
        assert!(audited.iter().any(|a| a.action == "api_key.create"));
    };
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run));
    let _ = conn.batch(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    if let Err(e) = out {
        std::panic::resume_unwind(e);
    }
}

/// The merchant's payment link: owners set it with the payment window; a bad address or
/// window is answered next to its field in the page's language with what was typed kept,
/// other roles may not change it, and the change is audited in the owner's name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_set_the_payment_link_with_errors_next_to_the_field() {
    let s = start().await;
    let amy = s.who("amy").await;
    let path = "/console/settings/payment";
    let (_, html) = s.page("/console/settings?lang=zh", &amy.cookie).await;
    assert!(html.contains("id=\"payment_url\""), "{html}");
    assert!(html.contains("value=\"30\""), "the default window is shown");
    for (url, window, field, words) in [
        (
            "http://pay.example/?o={order_id}",
            "30",
            "payment_url",
            "须为 https:// 开头",
        ),
        (
            "https://pay.example/?o={order}",
            "30",
            "payment_url",
            "只能使用这些占位符",
        ),
        (
            "https://pay.example/?amount={cash_minor}",
            "30",
            "payment_url",
            "须包含 {order_id}",
        ),
        (
            "https://pay.example/?o={order_id}",
            "3",
            "pay_window",
            "须为 5 到 1440",
        ),
        (
            "https://pay.example/?o={order_id}",
            "soon",
            "pay_window",
            "整数",
        ),
    ] {
        let (st, html, _) = s
            .send(
                path,
                &amy,
                &[
                    ("csrf", &amy.csrf),
                    ("payment_url", url),
                    ("pay_window", window),
                ],
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{url} {window}");
        let err = common::error_after(&html, field)
            .unwrap_or_else(|| panic!("no error after {field} for {url} {window}: {html}"));
        assert!(err.contains(words), "{err}");
        assert!(
            !err.contains("must"),
            "Chinese words on the Chinese page: {err}"
        );
        let typed = html.find("id=\"payment_url\"").unwrap();
        assert!(
            html[typed..].contains(&format!(
                "value=\"{}\"",
                url.replace('&', "&#38;").replace('"', "&#34;")
            )),
            "what was typed is kept"
        );
        assert!(html.contains(&format!("value=\"{window}\"")));
    }
    assert!(s.audited("mall_payment.update").await.is_empty());
    // In English, the same problem in English.
    let amy_en = Who {
        cookie: format!("{}; jifen_lang=en", amy.cookie),
        csrf: amy.csrf.clone(),
    };
    let (st, html, _) = s
        .send(
            path,
            &amy_en,
            &[
                ("csrf", &amy.csrf),
                ("payment_url", "ftp://pay.example/{order_id}"),
                ("pay_window", "30"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let err = common::error_after(&html, "payment_url").expect("an error next to the address");
    assert!(err.contains("must be an https:// address"), "{err}");
    // A good one is saved, shown and audited as amy's.
    let url =
        "https://pay.shop.example/jifen?order={order_id}&amount={cash_minor}&return={return_url}";
    let (st, _, loc) = s
        .send(
            path,
            &amy,
            &[
                ("csrf", &amy.csrf),
                ("payment_url", url),
                ("pay_window", "60"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert!(loc.unwrap().contains("done=payment"));
    let (_, html) = s.page("/console/settings", &amy.cookie).await;
    assert!(html.contains(&url.replace('&', "&#38;")), "{html}");
    assert!(html.contains("value=\"60\""));
    let log = s.audited("mall_payment.update").await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].actor, "staff:amy");
    assert!(
        log[0]
            .after
            .as_deref()
            .unwrap()
            .contains("pay.shop.example")
    );
    // A service clerk sees it but may not change it.
    let sam = s.who("sam").await;
    let (_, html) = s.page("/console/settings", &sam.cookie).await;
    assert!(html.contains("pay.shop.example") && !html.contains("id=\"payment_url\""));
    let (st, _, _) = s
        .send(
            path,
            &sam,
            &[
                ("csrf", &sam.csrf),
                ("payment_url", ""),
                ("pay_window", "30"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(s.audited("mall_payment.update").await.len(), 1);
}

/// Past the most active keys a programme may hold, the refusal is next to the name in the
/// page's language, with the name kept.
#[tokio::test]
async fn too_many_keys_is_refused_in_the_pages_language() {
    let s = start().await;
    let amy = s.who("amy").await;
    for i in s.key_count().await as i64..jifen_app::keys::ACTIVE_MAX {
        let name = format!("pos {i}");
        let (st, _, _) = s
            .send(
                "/console/settings/keys",
                &amy,
                &[("name", &name), ("csrf", &amy.csrf)],
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{name}");
    }
    let (st, html, _) = s
        .send(
            "/console/settings/keys",
            &amy,
            &[("name", "one more"), ("csrf", &amy.csrf)],
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    let err = common::error_after(&html, "key-name").expect("an error after the name");
    assert!(err.contains("密钥数量已达上限"), "{err}");
    assert!(html.contains("value=\"one more\""), "{html}");
}
