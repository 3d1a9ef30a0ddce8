//! The member centre's home page over real HTTP: the sign-in card's last seven days mark exactly
//! the days signed in (days moved with a manual clock), with the streak and what the next
//! sign-in pays; task cards list the programme's active behaviour rules (not paused or draft
//! ones, not purchase rules) with progress toward their caps; the invite card shows the member's
//! code; names are escaped; English shows English. One browser check at 375 px keeps a
//! screenshot.

#[allow(dead_code)]
mod cdp;
mod common;

use common::{Site, start};

use jifen_app::commands::{self, MemberRef};
use jifen_ledger::MemberId;
use jifen_store::MemberProfile;
use reqwest::StatusCode;
use serde_json::json;

impl Site {
    /// A fresh centre link (links last 24 hours, and the tests move days).
    async fn link(&self) -> String {
        let m = self.member;
        self.app
            .write_view(self.pid, "centre", None, move |tx, ctx, now| {
                jifen_app::centre::link(tx, ctx, now, MemberId(m))
            })
            .await
            .unwrap()
            .view
            .path
    }

    async fn home(&self, link: &str) -> String {
        let (st, html, _) = self.get(link, "jifen_lang=zh").await;
        assert_eq!(st, StatusCode::OK, "{html}");
        html
    }
}

/// The sign-in strip's days in order, with whether each is marked signed.
fn strip(html: &str) -> Vec<(String, bool)> {
    let at = html.find("<ol class=\"days\"").expect("the sign-in strip");
    let ol = &html[at..at + html[at..].find("</ol>").unwrap()];
    ol.split("<li")
        .skip(1)
        .map(|li| {
            let tag = &li[..li.find('>').unwrap()];
            let day = tag.split("data-day=\"").nth(1).unwrap();
            let day = day[..day.find('"').unwrap()].to_string();
            let class = tag
                .split("class=\"")
                .nth(1)
                .map(|c| c[..c.find('"').unwrap()].to_string())
                .unwrap_or_default();
            (day, class.split(' ').any(|c| c == "on"))
        })
        .collect()
}

/// The days marked signed.
fn signed(html: &str) -> Vec<String> {
    strip(html)
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(d, _)| d)
        .collect()
}

/// The task rows' rule ids, in order.
fn task_ids(html: &str) -> Vec<i64> {
    html.split("<li class=\"task")
        .skip(1)
        .map(|li| {
            let r = li.split("data-rule=\"").nth(1).unwrap();
            r[..r.find('"').unwrap()].parse().unwrap()
        })
        .collect()
}

/// The HTML of one task row.
fn task_row(html: &str, id: i64) -> String {
    let at = html
        .find(&format!("data-rule=\"{id}\""))
        .unwrap_or_else(|| panic!("no task for rule {id}"));
    let rest = &html[at..];
    rest[..rest.find("</li>").unwrap()].to_string()
}

#[tokio::test]
async fn the_streak_strip_marks_exactly_the_days_signed_in() {
    let s = start().await;
    s.rule(
        json!({"name": "每日签到", "trigger": "sign_in", "points": "10"}),
        "active",
    )
    .await;
    s.rule(
        json!({"name": "连签3天", "trigger": "sign_in", "condition": "streak.day == 3", "points": "30"}),
        "active",
    )
    .await;

    // Day one: nothing signed yet; the strip runs from 26 December to today, the last day.
    let link = s.link().await;
    let html = s.home(&link).await;
    let days: Vec<String> = strip(&html).into_iter().map(|(d, _)| d).collect();
    assert_eq!(
        days,
        [
            "2025-12-26",
            "2025-12-27",
            "2025-12-28",
            "2025-12-29",
            "2025-12-30",
            "2025-12-31",
            "2026-01-01"
        ]
    );
    assert!(signed(&html).is_empty(), "{:?}", strip(&html));
    assert!(html.contains("今天签到，开启连续签到"), "{html}");
    assert!(html.contains("今天签到可得 <b>+10</b> 积分"), "{html}");
    assert!(html.contains("<li class=\"today\" data-day=\"2026-01-01\">"));

    // Signed on 1, 2, 4 and 5 January; 3 January missed.
    for day in 0..5 {
        if day != 2 {
            s.event(json!({"type": "sign_in", "channel": "app"})).await;
        }
        s.clock.advance_days(1);
    }
    // 6 January, not signed yet: the streak is 2 (4 and 5), today's sign-in is day 3 and pays
    // both rules.
    let link = s.link().await;
    let html = s.home(&link).await;
    assert_eq!(
        signed(&html),
        ["2026-01-01", "2026-01-02", "2026-01-04", "2026-01-05"],
        "{:?}",
        strip(&html)
    );
    assert!(
        html.contains("已连续签到 <b class=\"streak\">2</b> 天"),
        "{html}"
    );
    assert!(html.contains("今天签到可得 <b>+40</b> 积分"), "{html}");
    assert!(!html.contains("<button disabled>"), "not signed yet");

    // Signing in from the page marks today and disables the button.
    let r = s
        .client
        .post(format!("{}{link}/sign-in", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = s.home(&format!("{link}?done=signed_in")).await;
    assert_eq!(
        signed(&html),
        [
            "2026-01-01",
            "2026-01-02",
            "2026-01-04",
            "2026-01-05",
            "2026-01-06"
        ]
    );
    assert!(html.contains("<li class=\"on today\" data-day=\"2026-01-06\">"));
    assert!(
        html.contains("已连续签到 <b class=\"streak\">3</b> 天"),
        "{html}"
    );
    assert!(html.contains("明天签到可得 <b>+10</b> 积分"), "{html}");
    assert!(html.contains("<button disabled>已签到</button>"), "{html}");

    // A week on, with no sign-in since: nothing of the strip is marked.
    s.clock.advance_days(7);
    let link = s.link().await;
    let html = s.home(&link).await;
    assert!(signed(&html).is_empty(), "{:?}", strip(&html));
    assert_eq!(strip(&html).last().unwrap().0, "2026-01-13");

    // A rule reading something else than the streak makes the reward not plain: no promise.
    s.rule(
        json!({"name": "App签到", "trigger": "sign_in", "condition": "event.channel == \"app\"", "points": "5"}),
        "active",
    )
    .await;
    let html = s.home(&link).await;
    assert!(!html.contains("签到可得"), "{html}");
    assert!(html.contains("每天签到领积分，连续签到奖励更多"));
}

#[tokio::test]
async fn task_cards_list_the_active_behaviour_rules_with_progress() {
    let s = start().await;
    let review = s
        .rule(
            json!({"name": "<b>晒单</b>评价", "description": "带图评价<script>x</script>", "trigger": "review",
                   "points": "20", "caps": [{"period": "day", "max_count": 2}],
                   "task_url": "https://shop.example/orders?tab=review&from=jifen"}),
            "active",
        )
        .await;
    let share = s
        .rule(
            json!({"name": "分享商品", "description": "分享到朋友圈，每次最多50积分", "trigger": "share",
                   "points": "10 + 5"}),
            "active",
        )
        .await;
    let profile = s
        .rule(
            json!({"name": "完善资料", "trigger": "profile_complete", "points": "100",
                   "caps": [{"period": "lifetime", "max_count": 1}], "task_url": "/account/profile"}),
            "active",
        )
        .await;
    let follow = s
        .rule(
            json!({"name": "关注公众号", "trigger": "follow", "points": "30"}),
            "active",
        )
        .await;
    s.pause(follow).await;
    let survey = s
        .rule(
            json!({"name": "问卷调查", "trigger": "survey", "points": "50"}),
            "draft",
        )
        .await;
    let purchase = s
        .rule(
            json!({"name": "消费双倍", "trigger": "purchase", "points": "order.amount / 100"}),
            "active",
        )
        .await;
    let vip = s
        .rule(
            json!({"name": "金卡专享", "trigger": "browse", "points": "5", "audience": {"tiers": ["gold"]}}),
            "active",
        )
        .await;
    let referral = s
        .rule(
            json!({"name": "邀请有礼", "trigger": "referral", "points": "100"}),
            "active",
        )
        .await;

    let welcome = s
        .rule(
            json!({"name": "注册有礼", "trigger": "sign_up", "points": "50"}),
            "active",
        )
        .await;

    let link = s.link().await;
    let html = s.home(&link).await;
    let ids = task_ids(&html);
    // Signing up is done by anyone who has a points centre: last, marked done.
    assert_eq!(ids.last(), Some(&welcome), "{ids:?}");
    assert!(html.contains(&format!("<li class=\"task done\" data-rule=\"{welcome}\">")));
    for id in [review, share, profile] {
        assert!(ids.contains(&id), "rule {id} is a task: {ids:?}");
    }
    for id in [follow, survey, purchase, vip, referral] {
        assert!(!ids.contains(&id), "rule {id} is no task card: {ids:?}");
    }
    assert!(
        !html.contains("关注公众号") && !html.contains("问卷调查") && !html.contains("消费双倍")
    );
    // Names and descriptions are escaped.
    assert!(html.contains("&#60;b&#62;晒单&#60;/b&#62;评价"), "{html}");
    assert!(!html.contains("<b>晒单</b>"));
    assert!(html.contains("带图评价&#60;script&#62;x&#60;/script&#62;"));
    assert!(!html.contains("<script>x</script>"));
    // A plain integer says what it pays; a formula shows the description instead.
    let row = task_row(&html, review);
    assert!(row.contains("+20<small>积分</small>"), "{row}");
    assert!(row.contains("今日已完成 0/2 次"), "{row}");
    // Each task's button goes where its rule says the member does it, escaped.
    assert!(
        row.contains(
            "<a class=\"btn sm\" href=\"https://shop.example/orders?tab=review&#38;from=jifen\" role=\"button\">去完成</a>"
        ),
        "{row}"
    );
    let row = task_row(&html, profile);
    assert!(
        row.contains("href=\"/account/profile\"") && row.contains("去完成"),
        "{row}"
    );
    // A task without a link is no button: its words and what it pays, nothing to press.
    let row = task_row(&html, share);
    assert!(!row.contains("class=\"pts\""), "{row}");
    assert!(row.contains("分享到朋友圈，每次最多50积分"), "{row}");
    assert!(
        !row.contains("<a ") && !row.contains("去完成") && !row.contains("role=\"button\""),
        "{row}"
    );
    assert!(
        !html.contains("href=\"#\""),
        "no button goes nowhere: {html}"
    );
    assert!(html.contains("3 项待完成"), "{html}");

    // Progress follows the cap's counter; at the cap the task is done.
    s.event(json!({"type": "review", "event_id": "rv-1"})).await;
    let html = s.home(&link).await;
    let row = task_row(&html, review);
    assert!(row.contains("今日已完成 1/2 次"), "{row}");
    assert!(row.contains("width:50%"), "{row}");
    s.event(json!({"type": "review", "event_id": "rv-2"})).await;
    s.event(json!({"type": "profile_complete", "event_id": "pc-1"}))
        .await;
    let html = s.home(&link).await;
    let row = task_row(&html, review);
    assert!(
        row.contains("今日已完成 2/2 次") && row.contains("已完成"),
        "{row}"
    );
    assert!(!row.contains("去完成"), "{row}");
    let row = task_row(&html, profile);
    assert!(
        row.contains("限 1 次") && row.contains("已完成") && !row.contains("class=\"bar\""),
        "{row}"
    );
    assert!(html.contains("1 项待完成"), "{html}");
    // Done tasks go last.
    assert_eq!(task_ids(&html), [share, welcome, review, profile]);
    // A new day starts the daily cap again; the lifetime one stays done.
    s.clock.advance_days(1);
    let link = s.link().await;
    let html = s.home(&link).await;
    assert!(task_row(&html, review).contains("今日已完成 0/2 次"));
    assert!(html.contains(&format!("<li class=\"task done\" data-rule=\"{profile}\">")));

    // The invite card: the referral rule's reward and the member's code, with a copy button.
    let at = html
        .find("<div class=\"card invite\"")
        .expect("an invite card");
    let invite = &html[at..];
    assert!(invite.contains("邀请有礼") && invite.contains("+100<small>积分</small>"));
    assert!(
        invite.contains(&format!("<code id=\"ref-code\">M{}</code>", s.member)),
        "{invite}"
    );
    assert!(invite.contains(&format!("data-copy=\"M{}\"", s.member)));
    // Nothing on the page posts anything but the sign-in (today's, and make-ups of missed days).
    assert_eq!(
        html.matches("method=\"post\"").count(),
        1 + makeup_days(&html).len()
    );

    // The code names the member the merchant's system passes as the referrer.
    let code = format!("M{}", s.member);
    let referrer: i64 = code.strip_prefix('M').unwrap().parse().unwrap();
    let friend = commands::NewMember {
        referrer: Some(MemberRef::Id {
            member_id: referrer,
        }),
        device_id: None,
        ip: None,
        profile: MemberProfile {
            name: Some("李雷".into()),
            ..Default::default()
        },
        identities: vec![],
    };
    let out = s
        .app
        .write_view(s.pid, "m:new", None, move |tx, ctx, now| {
            commands::create_member(tx, ctx, now, &friend)
        })
        .await
        .unwrap();
    let paid = out.view.rewards.iter().any(|r| {
        r.role.as_deref() == Some("inviter") && r.member_id.0 == s.member && r.awarded.points == 100
    });
    assert!(
        paid,
        "the code's member is the inviter: {:?}",
        out.view.rewards
    );

    // No active behaviour rules: no task card, no invite card.
    for id in [review, share, profile, vip, referral, welcome] {
        s.pause(id).await;
    }
    let html = s.home(&link).await;
    assert!(task_ids(&html).is_empty());
    assert!(!html.contains("card invite") && !html.contains("card tasks"));
}

#[tokio::test]
async fn english_shows_english_words() {
    let s = start().await;
    s.rule(
        json!({"name": "Daily", "trigger": "sign_in", "points": "10"}),
        "active",
    )
    .await;
    s.rule(
        json!({"name": "Write a review", "trigger": "review", "points": "20", "caps": [{"period": "week", "max_count": 3}],
               "task_url": "https://shop.example/review"}),
        "active",
    )
    .await;
    s.rule(
        json!({"name": "Invite", "trigger": "referral", "points": "100"}),
        "active",
    )
    .await;
    s.event(json!({"type": "sign_in"})).await;
    s.clock.advance_days(1);
    s.event(json!({"type": "sign_in"})).await;
    let link = s.link().await;
    let (st, html, _) = s.get(&format!("{link}?lang=en"), "jifen_lang=zh").await;
    assert_eq!(st, StatusCode::OK);
    for words in [
        "Daily sign-in",
        "<b class=\"streak\">2</b>-day streak",
        "Come back tomorrow for <b>+10</b> points",
        ">Today</small>",
        ">Thu</small>",
        "Earn more points",
        "0 of 3 this week",
        "Do it",
        "Invite friends",
        "My invite code",
        ">Copy</button>",
        "+20<small>pts</small>",
    ] {
        assert!(html.contains(words), "{words:?} in {html}");
    }
    for zh in ["去完成", "邀请好友", "连续签到", "积分</small>", "周四"] {
        assert!(!html.contains(zh), "{zh:?} in English");
    }
}

/// No sideways scrolling at 375 px; names what sticks out when something does.
fn fits(b: &mut cdp::Browser) {
    let wide = b.eval(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 376).map(e => e.tagName + '.' + e.className).slice(0, 8).join(' ')",
    );
    assert_eq!(
        b.eval("document.documentElement.scrollWidth <= 375"),
        json!(true),
        "wider than 375 px: {wide}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_home_page_with_tasks_at_375_px() {
    let s = start().await;
    for def in [
        json!({"name": "每日签到", "trigger": "sign_in", "points": "10"}),
        json!({"name": "连签7天大礼", "trigger": "sign_in", "condition": "streak.day % 7 == 0", "points": "70"}),
        json!({"name": "邀请好友注册", "description": "好友注册成功后你得100积分", "trigger": "referral", "points": "100"}),
        json!({"name": "好友首单奖励", "description": "好友首次下单，双方各得积分", "trigger": "referral", "points": "referral.role == \"inviter\" ? 300 : 100"}),
        json!({"name": "写商品评价", "description": "带图评价超过30字", "trigger": "review", "points": "20", "caps": [{"period": "day", "max_count": 3}],
               "task_url": "https://shop.example/review"}),
        json!({"name": "分享商品给好友", "trigger": "share", "points": "5", "caps": [{"period": "week", "max_points": 50}]}),
        json!({"name": "关注品牌公众号", "description": "关注后领取新人积分", "trigger": "follow", "points": "30", "caps": [{"period": "lifetime", "max_count": 1}]}),
        json!({"name": "完善个人资料", "trigger": "profile_complete", "points": "50", "caps": [{"period": "lifetime", "max_count": 1}]}),
    ] {
        s.rule(def, "active").await;
    }
    for (day, signs) in [true, true, false, true, true, true]
        .into_iter()
        .enumerate()
    {
        if signs {
            s.event(json!({"type": "sign_in"})).await;
        }
        if day < 5 {
            s.clock.advance_days(1);
        }
    }
    s.event(json!({"type": "review", "event_id": "rv-1"})).await;
    s.event(json!({"type": "share", "event_id": "sh-1"})).await;
    s.event(json!({"type": "share", "event_id": "sh-2"})).await;
    s.event(json!({"type": "follow", "event_id": "fo-1"})).await;
    let link = s.link().await;
    let base = s.base.clone();
    tokio::task::spawn_blocking(move || {
        let Some(mut b) = cdp::Browser::start() else {
            return;
        };
        b.viewport(375, 812);
        b.goto(&format!("{base}{link}?lang=zh"));
        let text = b.text();
        assert!(text.contains("已连续签到 3 天"), "{text}");
        assert!(
            text.contains("做任务 赚积分") && text.contains("邀请好友"),
            "{text}"
        );
        assert_eq!(
            b.eval("document.querySelectorAll('ol.days li.on').length"),
            json!(5)
        );
        assert_eq!(
            b.eval("getComputedStyle(document.querySelector('ol.days li.on .d')).color"),
            json!("rgb(255, 255, 255)"),
            "the stylesheet is applied"
        );
        fits(&mut b);
        // A task without a link reads as words with its reward; one with a link has its button.
        assert_eq!(
            b.eval("[...document.querySelectorAll('li.task')].map(li => [li.querySelector('.tn').textContent, li.querySelector('a') ? li.querySelector('a').getAttribute('href') : '', li.querySelector('.pts') ? li.querySelector('.pts').textContent : ''].join('|')).filter(t => t.startsWith('分享') || t.startsWith('写商品')).sort()"),
            json!(["写商品评价|https://shop.example/review|+20积分", "分享商品给好友||+5积分"])
        );
        b.screenshot("centre-home-tasks-375");
        b.eval("window.scrollTo(0, document.querySelector('.card.tasks').offsetTop - 8); true");
        std::thread::sleep(std::time::Duration::from_millis(100));
        b.screenshot("centre-home-tasks-375-scrolled");
        b.goto(&format!("{base}{link}?lang=en"));
        assert!(b.text().contains("Earn more points"));
        fits(&mut b);
        b.eval("window.scrollTo(0, document.querySelector('.card.tasks').offsetTop - 8); true");
        std::thread::sleep(std::time::Duration::from_millis(100));
        b.screenshot("centre-home-tasks-375-en");
    })
    .await
    .unwrap();
}

/// Points from every kind of behaviour read as words in the member's history, in both
/// languages: browsing, following, surveys, a completed profile and a custom event were once
/// shown as their raw codes.
#[tokio::test]
async fn history_names_every_behaviour_in_words() {
    let s = start().await;
    for (trigger, points) in [
        ("browse", 1),
        ("follow", 2),
        ("survey", 3),
        ("profile_complete", 4),
        ("custom:quiz", 5),
    ] {
        s.rule(
            json!({"name": format!("{trigger} 奖励"), "trigger": trigger, "points": points.to_string()}),
            "active",
        )
        .await;
        let out = s
            .event(json!({"type": trigger, "event_id": format!("ev-{points}")}))
            .await;
        assert_eq!(out.awarded.points, points, "{out:?}");
    }
    let link = s.link().await;
    let html = s.home(&link).await;
    let history = &html[html.find("申诉").expect("a history line")..];
    for words in [
        "浏览奖励",
        "关注奖励",
        "问卷奖励",
        "完善资料奖励",
        "自定义：quiz",
    ] {
        assert!(html.contains(words), "{words} in {history}");
    }
    for code in [
        "browse",
        "follow",
        "survey",
        "profile_complete",
        "custom:quiz",
    ] {
        assert!(
            !html.contains(&format!("<li><div>{code}<")),
            "{code} shows as a code"
        );
    }
    let (_, en, _) = s.get(&link, "jifen_lang=en").await;
    for words in [
        "Browsing",
        "Follow",
        "Survey",
        "Profile completed",
        "Custom: quiz",
    ] {
        assert!(en.contains(words), "{words} in the English page");
    }
}

/// The points an order holds and then spends are one history line, in the member centre and
/// in the console alike: 积分冻结 · 冻结中 while held, 积分兑换 · 已兑换 once spent, 冻结释放 ·
/// 已释放 with nothing taken when given back.
#[tokio::test]
async fn a_redemption_is_one_history_line_with_its_state() {
    let s = start().await;
    let m = s.member;
    let reserve = |amount: i64| {
        let r: commands::Reserve = serde_json::from_value(json!({
            "member": {"member_id": m}, "amount": amount, "order_ref": format!("shop-{amount}")
        }))
        .unwrap();
        let app = s.app.clone();
        let pid = s.pid;
        async move {
            app.write_view(pid, "m", None, move |tx, ctx, now| {
                commands::reserve(tx, ctx, now, &r)
            })
            .await
            .unwrap()
            .view
            .reservation_id
            .0
        }
    };
    let held = reserve(1_800).await;
    let given_back = reserve(70).await;
    let link = s.link().await;
    let lines = |html: &str| -> Vec<String> {
        let card = &html[html.find("积分明细").expect("the history card")..];
        card.split("<li>").skip(1).map(str::to_string).collect()
    };
    let html = s.home(&link).await;
    let first = lines(&html);
    assert!(
        first[1].contains("积分冻结") && first[1].contains("冻结中") && first[1].contains("-1,800"),
        "{first:?}"
    );
    for (id, post) in [(held, true), (given_back, false)] {
        s.app
            .write_view(s.pid, "m", None, move |tx, ctx, now| {
                if post {
                    commands::post_reservation(tx, ctx, now, id)
                } else {
                    commands::void_reservation(tx, ctx, now, id, None)
                }
            })
            .await
            .unwrap();
    }
    let html = s.home(&link).await;
    let after = lines(&html);
    assert_eq!(after.len(), first.len(), "settling adds no line: {after:?}");
    let spent: Vec<&String> = after.iter().filter(|l| l.contains("1,800")).collect();
    assert_eq!(spent.len(), 1, "{after:?}");
    assert!(
        spent[0].contains("积分兑换")
            && spent[0].contains("已兑换")
            && !spent[0].contains("积分冻结"),
        "{spent:?}"
    );
    assert!(
        after[0].contains("冻结释放") || after[0].contains("积分冻结"),
        "{after:?}"
    );
    assert!(
        after[0].contains("已释放") && after[0].contains("<s class=\"off\">-70</s>"),
        "{after:?}"
    );
    let (_, en, _) = s.get(&link, "jifen_lang=en").await;
    assert!(en.contains("Redeemed") && en.contains("Released"), "{en}");
    // The console's member page reads the same way.
    let session = s.sign_in("amy", "correct horse battery").await.1.unwrap();
    let cookie = format!("jifen_session={session}; jifen_lang=zh");
    let (_, page, _) = s.get(&format!("/console/members/{m}"), &cookie).await;
    assert_eq!(page.matches("1,800").count(), 1, "{page}");
    assert!(page.contains("已兑换") && page.contains("已释放"), "{page}");
}

/// The whole history, in the member centre (全部 · 收入 · 支出, 30 lines a page) and in the
/// console (by kind and by days, 50 a page), one line per business event.
#[tokio::test]
async fn the_whole_history_pages_and_filters() {
    let s = start().await;
    let m = s.member;
    for k in 0..31 {
        let r: commands::Reserve = serde_json::from_value(json!({
            "member": {"member_id": m}, "amount": 10 + k, "order_ref": format!("r-{k}")
        }))
        .unwrap();
        s.app
            .write_view(s.pid, "m", None, move |tx, ctx, now| {
                commands::reserve(tx, ctx, now, &r)
            })
            .await
            .unwrap();
    }
    let link = s.link().await;
    let home = s.home(&link).await;
    assert!(home.contains(&format!("href=\"{link}/history\"")), "{home}");
    let count = |html: &str| html.matches("申诉</a>").count();
    let (st, all, _) = s.get(&format!("{link}/history"), "jifen_lang=zh").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(count(&all), 30, "{all}");
    let older = all
        .split("href=\"")
        .find_map(|a| a.split('"').next().filter(|h| h.contains("before=")))
        .expect("a link to older lines")
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let (_, rest, _) = s.get(&older, "jifen_lang=zh").await;
    assert_eq!(
        count(&rest),
        2,
        "31 reservations and the opening credit: {rest}"
    );
    let (_, earned, _) = s
        .get(&format!("{link}/history?dir=in"), "jifen_lang=zh")
        .await;
    assert_eq!(count(&earned), 1, "{earned}");
    assert!(!earned.contains("冻结中"), "{earned}");
    let (_, used, _) = s
        .get(&format!("{link}/history?dir=out"), "jifen_lang=zh")
        .await;
    assert_eq!(count(&used), 30);
    assert!(
        used.contains("冻结中") && used.contains("aria-current=\"page\""),
        "{used}"
    );
    let (_, en, _) = s.get(&format!("{link}/history"), "jifen_lang=en").await;
    assert!(
        en.contains("Points history") && en.contains("Older lines"),
        "{en}"
    );

    // The console: by kind, by days, and a clear error for a day that is not one.
    let session = s.sign_in("amy", "correct horse battery").await.1.unwrap();
    let cookie = format!("jifen_session={session}; jifen_lang=zh");
    let rows = |html: &str| html.matches("<tr><td>").count();
    let path = format!("/console/members/{m}/history");
    let (st, page, _) = s.get(&path, &cookie).await;
    assert_eq!(st, StatusCode::OK, "{page}");
    assert_eq!(rows(&page), 32, "{page}");
    let (_, reserved, _) = s.get(&format!("{path}?code=reservation"), &cookie).await;
    assert_eq!(rows(&reserved), 31);
    let (_, none, _) = s.get(&format!("{path}?from=2027-01-01"), &cookie).await;
    assert!(none.contains("暂无") || rows(&none) == 0, "{none}");
    let (_, today, _) = s
        .get(&format!("{path}?from=2026-01-01&to=2026-01-01"), &cookie)
        .await;
    assert_eq!(rows(&today), 32);
    let (st, bad, _) = s.get(&format!("{path}?from=2026-13-01"), &cookie).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.contains("日期格式不对"), "{bad}");
    let (_, member_page, _) = s.get(&format!("/console/members/{m}"), &cookie).await;
    assert!(
        member_page.contains(&format!("href=\"{path}\""))
            && member_page.contains("<details class=\"lots\">"),
        "{member_page}"
    );
}

impl Site {
    /// Sets the programme's make-up sign-in terms (补签): its cost and how far back it reaches.
    async fn makeup_terms(&self, cost: i64, days_max: u32) {
        let mut s = jifen_rules::signin::EarnSettings::default();
        s.sign_in.makeup_cost_points = cost;
        s.sign_in.makeup_days_max = days_max;
        self.app
            .write_view(self.pid, "settings", None, move |tx, ctx, now| {
                jifen_app::earn::put_settings(tx, ctx, now, "amy", &s)
            })
            .await
            .unwrap();
        self.app.invalidate_program(self.pid);
    }

    /// Posts the strip's make-up form for `day`, in the language `lang`.
    async fn make_up(&self, link: &str, day: &str, lang: &str) -> reqwest::Response {
        self.client
            .post(format!("{}{link}/sign-in/makeup", self.base))
            .header("cookie", format!("jifen_lang={lang}"))
            .form(&[("date", day)])
            .send()
            .await
            .unwrap()
    }
}

/// A site whose sign-in pays 10 and whose make-up sign-ins cost 20, a week back at most.
async fn start_with_makeup() -> Site {
    let s = start().await;
    s.rule(
        json!({"name": "每日签到", "trigger": "sign_in", "points": "10"}),
        "active",
    )
    .await;
    s.makeup_terms(20, 7).await;
    s
}

/// The strip's days that carry a make-up form.
fn makeup_days(html: &str) -> Vec<String> {
    let at = html.find("<ol class=\"days\"").expect("the sign-in strip");
    let ol = &html[at..at + html[at..].find("</ol>").unwrap()];
    ol.split("action=\"")
        .skip(1)
        .filter(|f| f.contains("/sign-in/makeup\""))
        .map(|f| {
            let v = f.split("name=\"date\" value=\"").nth(1).unwrap();
            v[..v.find('"').unwrap()].to_string()
        })
        .collect()
}

#[tokio::test]
async fn a_missed_day_is_made_up_from_the_strip_at_its_cost() {
    let s = start_with_makeup().await;
    // Signed on 1 January; 2 and 3 January missed; today is 4 January.
    s.event(json!({"type": "sign_in", "channel": "app"})).await;
    s.clock.advance_days(3);
    let link = s.link().await;
    let html = s.home(&link).await;
    // The missed days since the member joined are tappable, today is not (it has its button).
    assert_eq!(makeup_days(&html), ["2026-01-02", "2026-01-03"], "{html}");
    assert!(html.contains("补签 −20 积分"), "{html}");
    assert!(
        html.contains("aria-label=\"补签周五（1月2日），−20 积分\""),
        "{html}"
    );
    let before = s.available().await;

    let r = s.make_up(&link, "2026-01-02", "zh").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        common::location(r.headers()),
        format!("{link}?done=made_up")
    );
    let html = s.home(&format!("{link}?done=made_up")).await;
    assert!(html.contains("补签成功！"), "{html}");
    assert_eq!(signed(&html), ["2026-01-01", "2026-01-02"]);
    assert_eq!(makeup_days(&html), ["2026-01-03"]);
    assert!(html.contains("<li class=\"on\" data-day=\"2026-01-02\">"));
    // It cost 20 and the sign-in paid its 10.
    assert_eq!(s.available().await, before - 20 + 10);

    // Signing the same day again is refused in words, nothing changed.
    let r = s.make_up(&link, "2026-01-02", "zh").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("<div class=\"error\" role=\"alert\">"),
        "{html}"
    );
    assert!(!html.contains("already_signed_in"), "{html}");
    assert_eq!(s.available().await, before - 10);

    // Too far back for the programme's terms: refused in the page's language.
    s.makeup_terms(20, 1).await;
    let html = s.home(&link).await;
    assert!(makeup_days(&html).contains(&"2026-01-03".to_string()));
    let r = s.make_up(&link, "2026-01-01", "zh").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(html.contains("补签只能补最近几天"), "{html}");
    // A day not before today is no make-up, said in words.
    let r = s.make_up(&link, "2026-01-04", "zh").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("这一天不能补签"), "{html}");
    assert!(!html.contains("makeup_date"), "{html}");
    s.clock.advance_days(1);
    let link = s.link().await;
    let r = s.make_up(&link, "2026-01-03", "en").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("A make-up sign-in cannot reach that far back"),
        "{html}"
    );
    assert!(html.contains("<html lang=\"en\">"));

    // More than the member holds: refused with the balance, nothing spent.
    let held = s.available().await;
    s.makeup_terms(held + 1, 7).await;
    let r = s.make_up(&link, "2026-01-03", "zh").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("积分不足"), "{html}");
    assert_eq!(s.available().await, held);
    assert_eq!(signed(&html), ["2026-01-01", "2026-01-02"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_make_up_sign_in_is_a_tap_on_the_missed_day_at_375_px() {
    let s = start_with_makeup().await;
    // Signed on 1, 2 and 4 January; 3 January missed; today is 5 January, not signed yet.
    for day in 0..4 {
        if day != 2 {
            s.event(json!({"type": "sign_in", "channel": "app"})).await;
        }
        s.clock.advance_days(1);
    }
    let link = s.link().await;
    let base = s.base.clone();
    tokio::task::spawn_blocking(move || {
        let Some(mut b) = cdp::Browser::start() else {
            return;
        };
        b.viewport(375, 812);
        b.goto(&format!("{base}{link}?lang=en"));
        fits(&mut b);
        assert!(b.text().contains("−20 points"), "{}", b.text());
        b.screenshot("centre-makeup-375-en");
        b.goto(&format!("{base}{link}?lang=zh"));
        fits(&mut b);
        assert_eq!(
            b.eval("[...document.querySelectorAll('ol.days button.makeup')].map(x => x.getAttribute('aria-label'))"),
            json!(["补签周六（1月3日），−20 积分"])
        );
        b.screenshot("centre-makeup-375");
        b.act("document.querySelector('ol.days button.makeup').click()");
        b.wait_until("location.search.includes('done=made_up')");
        assert!(b.text().contains("补签成功！"), "{}", b.text());
        assert_eq!(
            b.eval("[...document.querySelectorAll('ol.days li.on')].map(li => li.dataset.day)"),
            json!(["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"])
        );
        b.screenshot("centre-makeup-375-done");
    })
    .await
    .unwrap();
}
