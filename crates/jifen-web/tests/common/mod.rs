//! Shared setup of the console tests: a programme with two staff accounts and a member with
//! points, served on loopback.

#![allow(dead_code)]

use std::sync::Arc;

use jifen_app::commands::{self, MemberRef};
use jifen_app::staff::{NewStaff, Role};
use jifen_app::{App, ManualClock};
use jifen_ledger::PointType;
use jifen_ledger::policy::LedgerPolicy;
use jifen_store::{Identity, MemberProfile};
use reqwest::redirect::Policy;

pub const START: i64 = 1_767_225_600_000;

pub struct Site {
    pub base: String,
    pub client: reqwest::Client,
    pub app: App,
    /// The app's clock, for tests that move through days.
    pub clock: Arc<ManualClock>,
    pub pid: jifen_ledger::ProgramId,
    /// The member the setup creates, holding 12,345 points.
    pub member: i64,
}

pub async fn start() -> Site {
    let path = std::env::temp_dir().join(format!(
        "jifen-web-{}-{}.db",
        std::process::id(),
        rand_suffix()
    ));
    let clock = Arc::new(ManualClock::new(START));
    let c = clock.clone();
    let (app, pid, member) = tokio::task::spawn_blocking(move || {
        let backend = Arc::new(jifen_store_sqlite::SqliteBackend::new(&path).unwrap());
        let app = App::start(backend, Arc::new(c)).unwrap();
        let p = app
            .create_program(
                "shop",
                "Shop",
                "CNY",
                "Asia/Shanghai",
                LedgerPolicy::default(),
            )
            .unwrap();
        for (login, role) in [("amy", Role::Owner), ("sam", Role::Service)] {
            let s = NewStaff {
                login: login.into(),
                name: format!("{login} name"),
                role,
                password: "correct horse battery".into(),
            };
            app.write_view_blocking(p.id, "staff", None, move |tx, ctx, now| {
                jifen_app::staff::create(tx, ctx, now, &s, "system")
            })
            .unwrap();
        }
        let m = commands::NewMember {
            referrer: None,
            device_id: None,
            ip: None,
            profile: MemberProfile {
                name: Some("王小明".into()),
                phone: Some("13800138000".into()),
                ..Default::default()
            },
            identities: vec![Identity {
                channel: "app".into(),
                external_id: "U100001".into(),
            }],
        };
        let id = app
            .write_view_blocking(p.id, "m", None, move |tx, ctx, now| {
                commands::create_member(tx, ctx, now, &m)
            })
            .unwrap()
            .view
            .member
            .member_id
            .0;
        let a = commands::Adjustment {
            member: MemberRef::Id { member_id: id },
            delta: 12_345,
            point_type: PointType::Points,
            reason: Some("<script>alert(1)</script> 开户赠送".into()),
            // An opening balance from the merchant's import, not one of amy's own adjustments
            // (which count toward her daily approval threshold).
            actor: Some("system:import".into()),
        };
        app.write_view_blocking(p.id, "m", None, move |tx, ctx, now| {
            commands::adjust(tx, ctx, now, &a)
        })
        .unwrap();
        (app, p.id, id)
    })
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = jifen_web::router(app.clone());
    // As the binary serves: the peer's address reaches the handlers.
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap()
    });
    Site {
        base,
        client: reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .unwrap(),
        app,
        clock,
        pid,
        member,
    }
}

pub fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

pub fn hidden(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no {name} in {html}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_string()
}

impl Site {
    pub async fn get(
        &self,
        path: &str,
        cookie: &str,
    ) -> (reqwest::StatusCode, String, reqwest::header::HeaderMap) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        let (s, h) = (r.status(), r.headers().clone());
        (s, r.text().await.unwrap(), h)
    }

    /// Signs in through the form; returns the session cookie on success and the status.
    pub async fn sign_in(
        &self,
        login: &str,
        password: &str,
    ) -> (reqwest::StatusCode, Option<String>) {
        let r = self.sign_in_from(&self.client, login, password).await;
        (r.status(), set_cookie(&r, "jifen_session"))
    }

    /// Signs in through `client` (e.g. one bound to another loopback address); the answer.
    pub async fn sign_in_from(
        &self,
        client: &reqwest::Client,
        login: &str,
        password: &str,
    ) -> reqwest::Response {
        let page = client
            .get(format!("{}/console/login", self.base))
            .send()
            .await
            .unwrap();
        let csrf_cookie = set_cookie(&page, "jifen_login_csrf").unwrap();
        let html = page.text().await.unwrap();
        let csrf = hidden(&html, "csrf");
        assert_eq!(csrf, csrf_cookie);
        client
            .post(format!("{}/console/login", self.base))
            .header("cookie", format!("jifen_login_csrf={csrf_cookie}"))
            .form(&[
                ("program", "shop"),
                ("login", login),
                ("password", password),
                ("csrf", &csrf),
            ])
            .send()
            .await
            .unwrap()
    }
}

impl Site {
    /// Posts a form with the session cookie; returns the status, body and headers.
    pub async fn post_form(
        &self,
        path: &str,
        cookie: &str,
        form: &[(&str, &str)],
    ) -> (reqwest::StatusCode, String, reqwest::header::HeaderMap) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .form(form)
            .send()
            .await
            .unwrap();
        let (s, h) = (r.status(), r.headers().clone());
        (s, r.text().await.unwrap(), h)
    }

    /// Signs in and returns the cookie header value and the session's CSRF token.
    pub async fn session(&self, login: &str) -> (String, String) {
        let (st, token) = self.sign_in(login, "correct horse battery").await;
        assert_eq!(st, reqwest::StatusCode::SEE_OTHER);
        let cookie = format!("jifen_session={}", token.unwrap());
        // Any page has the token; not the overview, whose totals are then kept for a minute.
        let (_, html, _) = self.get("/console/rules", &cookie).await;
        (cookie.clone(), hidden(&html, "csrf"))
    }
}

/// Where a redirect points.
pub fn location(h: &reqwest::header::HeaderMap) -> String {
    h.get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// The field error shown right after the input with this `id`, if any.
pub fn error_after(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let rest = &html[at..];
    let end = rest.find("</div>").unwrap_or(rest.len());
    let chunk = &rest[..end];
    let e = chunk.find("field-error")?;
    let text = &chunk[e..];
    Some(text[text.find('>')? + 1..].to_string())
}

/// A suffix no other test of this run shares: the time alone is not enough, two tests on two
/// threads can read the same nanosecond.
fn rand_suffix() -> String {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{nanos}-{}",
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    )
}

impl Site {
    /// Creates a rule from its definition in `status` (`draft` or `active`); its id.
    pub async fn rule(&self, def: serde_json::Value, status: &str) -> i64 {
        let r: jifen_app::earn::RuleIn =
            serde_json::from_value(serde_json::json!({"definition": def, "status": status}))
                .expect("a rule");
        let id = self
            .app
            .write_view(self.pid, "rules", None, move |tx, ctx, now| {
                jifen_app::earn::create_rule(tx, ctx, now, "staff:test", &r)
            })
            .await
            .unwrap()
            .view
            .rule_id;
        // As the API and console do after a rule change: this node sees it at once.
        self.app.invalidate_program(self.pid);
        id
    }

    pub async fn pause(&self, id: i64) {
        self.app
            .write_view(self.pid, "rules", None, move |tx, ctx, now| {
                jifen_app::earn::change_rule_status(
                    tx,
                    ctx,
                    now,
                    "staff:test",
                    id,
                    jifen_app::earn::RuleAction::Pause,
                )
            })
            .await
            .unwrap();
        self.app.invalidate_program(self.pid);
    }

    /// The points member 1 has available now.
    pub async fn available(&self) -> i64 {
        let (ctx, now) = (
            self.app.program_ctx(self.pid).await.unwrap(),
            self.app.now(),
        );
        self.app
            .read(move |tx| {
                jifen_app::views::balance(
                    tx,
                    &ctx,
                    jifen_ledger::MemberId(1),
                    jifen_ledger::PointType::Points,
                    now,
                    30,
                )
            })
            .await
            .unwrap()
            .available
    }

    /// Member 1 orders `quantity` of `sku`, posted to their address in Shanghai; the order's id.
    pub async fn order_posted_home(&self, sku: &str, quantity: i64, request_id: &str) -> i64 {
        let order = jifen_app::mall::PlaceOrder {
            member: MemberRef::Id { member_id: 1 },
            sku: sku.into(),
            quantity,
            request_id: request_id.into(),
            address: Some(jifen_app::mall::Address {
                name: "王小明".into(),
                phone: "13800138000".into(),
                line: "南京路1号".into(),
                city: "上海".into(),
                postcode: String::new(),
            }),
            pay_within_seconds: None,
        };
        self.app
            .write_view(self.pid, "m:1", None, move |tx, ctx, now| {
                jifen_app::mall::place_order(tx, ctx, now, &order)
            })
            .await
            .unwrap()
            .view
            .order_id
    }

    /// A member's link to the member centre (its path).
    pub async fn centre_link_of(&self, member: i64) -> String {
        self.app
            .write_view(self.pid, "centre", None, move |tx, ctx, now| {
                jifen_app::centre::link(tx, ctx, now, jifen_ledger::MemberId(member))
            })
            .await
            .unwrap()
            .view
            .path
    }

    /// A page's text in a language (`zh` or `en`), without a session: the member centre.
    pub async fn text_in(&self, path: &str, lang: &str) -> String {
        self.client
            .get(format!("{}{path}", self.base))
            .header("cookie", format!("jifen_lang={lang}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Records a behaviour event for the member, as the merchant's system would.
    pub async fn event(&self, e: serde_json::Value) -> jifen_app::commands::EventResult {
        let mut e = e;
        e["member"] = serde_json::json!({"member_id": self.member});
        let e: jifen_app::earn::EventIn = serde_json::from_value(e).unwrap();
        let partition = format!("m:{}", self.member);
        self.app
            .write_view(self.pid, &partition, None, move |tx, ctx, now| {
                jifen_app::earn::record_event(tx, ctx, now, &e)
            })
            .await
            .unwrap()
            .view
    }
}

impl Site {
    /// Uploads a photo-sized PNG of `w`×`h` (drawn as a gradient) as a mall picture.
    pub async fn upload_photo(&self, w: u32, h: u32) -> jifen_app::images::ImageUploaded {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 160])
        });
        let mut png = std::io::Cursor::new(Vec::new());
        img.write_to(&mut png, image::ImageFormat::Png).unwrap();
        let png = png.into_inner();
        self.app
            .write_view(self.pid, "mall", None, move |tx, ctx, now| {
                jifen_app::mall::upload_image(tx, ctx, now, "image/png", &png)
            })
            .await
            .unwrap()
            .view
    }

    /// Creates a mall item from its definition (the API's); its id.
    pub async fn create_item(&self, def: serde_json::Value) -> i64 {
        let i: jifen_app::mall::ItemIn = serde_json::from_value(def).unwrap();
        self.app
            .write_view(self.pid, "mall", None, move |tx, ctx, now| {
                jifen_app::mall::create_item(tx, ctx, now, "staff:test", &i)
            })
            .await
            .unwrap()
            .view
            .id
    }

    /// The member centre's link of member 1.
    pub async fn centre_link(&self) -> String {
        self.app
            .write_view(self.pid, "centre", None, |tx, ctx, now| {
                jifen_app::centre::link(tx, ctx, now, jifen_ledger::MemberId(1))
            })
            .await
            .unwrap()
            .view
            .path
    }

    /// A tier ladder of two: `silver` (银卡) from 0 and `gold` (金卡) from 1,000 growth.
    pub async fn silver_and_gold(&self) {
        let ladder: jifen_domain::tiers::Ladder = serde_json::from_value(serde_json::json!({
            "metric": "growth", "window": {"kind": "rolling_months", "months": 12}, "tiers": [
                {"code": "silver", "name_zh": "银卡", "name_en": "Silver", "threshold": 0},
                {"code": "gold", "name_zh": "金卡", "name_en": "Gold", "threshold": 1000}]}))
        .unwrap();
        self.app
            .write_view(self.pid, "staff", None, move |tx, ctx, now| {
                jifen_app::tiers::put_ladder(tx, ctx, now, "staff:test", &ladder)
            })
            .await
            .unwrap();
        self.app.invalidate_program(self.pid);
    }

    /// The coupon template `off20` (20 off 100), issued to member 1 once per key in `issued`,
    /// and the lucky wheel `spring` (50 points a draw).
    pub async fn coupon_and_wheel(&self, issued: &[&str]) {
        let t: jifen_domain::coupons::CouponTemplate = serde_json::from_value(serde_json::json!({
            "code": "off20", "name_zh": "满100减20", "name_en": "20 off 100",
            "kind": {"type": "amount_off", "amount_minor": 2000}, "threshold_minor": 10000,
            "validity": {"kind": "days", "days": 30}
        }))
        .unwrap();
        self.app
            .write_view(self.pid, "coupons", None, move |tx, ctx, now| {
                jifen_app::coupons::create_template(tx, ctx, now, "staff:test", &t)
            })
            .await
            .unwrap();
        let partition = jifen_app::commands::MemberRef::Id { member_id: 1 }.partition();
        for k in issued {
            let issue = jifen_app::coupons::IssueCoupon {
                template: "off20".into(),
                idempotency_key: k.to_string(),
            };
            self.app
                .write_view(self.pid, &partition, None, move |tx, ctx, now| {
                    jifen_app::coupons::issue_by_api(
                        tx,
                        ctx,
                        now,
                        jifen_ledger::MemberId(1),
                        &issue,
                    )
                })
                .await
                .unwrap();
        }
        let def: jifen_domain::lottery::LotteryDef = serde_json::from_value(serde_json::json!({
            "code": "spring", "name_zh": "春日幸运大转盘", "name_en": "Spring lucky wheel", "style": "wheel",
            "cost_points": 50,
            "prizes": [
                {"code": "p10", "name_zh": "10积分", "name_en": "10 pts", "odds_ppm": 300000, "stock": 1000, "reward": {"type": "points", "points": 10}},
                {"code": "cpn", "name_zh": "满减券", "name_en": "Coupon", "odds_ppm": 200000, "stock": 100, "reward": {"type": "coupon", "template": "off20"}},
                {"code": "p500", "name_zh": "500积分", "name_en": "500 pts", "odds_ppm": 50000, "stock": 10, "reward": {"type": "points", "points": 500}}
            ],
            "consolation": {"name_zh": "谢谢参与", "name_en": "Next time", "reward": {"type": "nothing"}}
        }))
        .unwrap();
        self.app
            .write_view(self.pid, "lotteries", None, move |tx, ctx, now| {
                jifen_app::lottery::create(tx, ctx, now, "staff:test", &def)
            })
            .await
            .unwrap();
    }
}

impl Site {
    /// A share rule paying 30 under a limit of one event per device an hour, and `n` shares by
    /// member 1 from one device: all but the first are held for review.
    pub async fn held_shares(&self, n: usize) {
        self.app
            .write_view(self.pid, "rules", None, |tx, ctx, now| {
                let settings: jifen_rules::signin::EarnSettings = serde_json::from_value(
                    serde_json::json!({"risk": {"velocity": [{"by": "device", "window_minutes": 60, "max_events": 1}]}}),
                )
                .unwrap();
                jifen_app::earn::put_settings(tx, ctx, now, "staff:test", &settings)?;
                let rule = jifen_app::earn::RuleIn {
                    definition: serde_json::from_value(
                        serde_json::json!({"name": "分享有礼", "trigger": "share", "points": "30"}),
                    )
                    .unwrap(),
                    status: Some("active".into()),
                    actor: Some("ops".into()),
                };
                jifen_app::earn::create_rule(tx, ctx, now, "staff:test", &rule)
            })
            .await
            .unwrap();
        self.app.invalidate_program(self.pid);
        for k in 0..n {
            self.event(serde_json::json!({"event_id": format!("share-{k}"), "type": "share", "device_id": "dev-1"}))
                .await;
        }
    }
}
