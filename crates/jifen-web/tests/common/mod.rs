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
    pub pid: jifen_ledger::ProgramId,
}

pub async fn start() -> Site {
    let path = std::env::temp_dir().join(format!(
        "jifen-web-{}-{}.db",
        std::process::id(),
        rand_suffix()
    ));
    let (app, pid) = tokio::task::spawn_blocking(move || {
        let backend = Arc::new(jifen_store_sqlite::SqliteBackend::new(&path).unwrap());
        let app = App::start(backend, Arc::new(ManualClock::new(START))).unwrap();
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
            app.write_blocking(p.id, "staff", None, move |tx, ctx, now| {
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
            .write_blocking(p.id, "m", None, move |tx, ctx, now| {
                commands::create_member(tx, ctx, now, &m)
            })
            .unwrap()
            .body["member_id"]
            .as_i64()
            .unwrap();
        let a = commands::Adjustment {
            member: MemberRef::Id { member_id: id },
            delta: 12_345,
            point_type: PointType::Points,
            reason: Some("<script>alert(1)</script> 开户赠送".into()),
            actor: Some("staff:amy".into()),
        };
        app.write_blocking(p.id, "m", None, move |tx, ctx, now| {
            commands::adjust(tx, ctx, now, &a)
        })
        .unwrap();
        (app, p.id)
    })
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = jifen_web::router(app.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Site {
        base,
        client: reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .unwrap(),
        app,
        pid,
    }
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}
