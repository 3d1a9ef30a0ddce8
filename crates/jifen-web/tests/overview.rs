//! The console's overview over real HTTP: the day's points in the table under the chart and in
//! the chart's data, the range picked by days or dates (a bad one answered next to its field,
//! the dates kept), the liability priced once the owner sets the value of points in the
//! settings (audited), members per tier on the tiers page, and the chart library served from
//! the binary with a year's immutable caching, gzipped, under the page's strict CSP.

mod common;

use common::*;
use reqwest::StatusCode;

async fn owner(s: &Site) -> (String, String) {
    s.session("amy").await
}

/// The rows of the first daily table: (day, issued, spent, expired).
fn daily_rows(html: &str) -> Vec<Vec<String>> {
    let start = html.find("<table class=\"daily\">").expect("a daily table");
    let table = &html[start..start + html[start..].find("</table>").unwrap()];
    let body = &table[table.find("<tbody>").unwrap()..table.find("</tbody>").unwrap()];
    body.split("<tr>")
        .skip(1)
        .map(|row| {
            row.split("<td")
                .skip(1)
                .map(|c| {
                    let c = &c[c.find('>').unwrap() + 1..];
                    c[..c.find("</td>").unwrap()].to_string()
                })
                .collect()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_shows_the_ranges_figures_as_chart_data_and_table() {
    let s = start().await;
    let (cookie, _) = owner(&s).await;
    // The setup's 12,345 points were given on 2026-01-01 (08:00 in Shanghai), today.
    let (st, html, h) = s.get("/console?days=7", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    let rows = daily_rows(&html);
    assert_eq!(rows.len(), 7);
    assert_eq!(rows[0][0], "2025-12-26");
    assert_eq!(rows[6], vec!["2026-01-01", "12,345", "0", "0"]);
    assert!(html.contains("2025-12-26 至 2026-01-01，共 7 天"), "{html}");
    // The chart's numbers, in a JSON block the chart script reads.
    let at = html
        .find("<script type=\"application/json\" id=\"overview-data\">")
        .unwrap();
    let json_text = &html[at..];
    let json_text =
        &json_text[json_text.find('>').unwrap() + 1..json_text.find("</script>").unwrap()];
    let data: serde_json::Value = serde_json::from_str(json_text).unwrap();
    assert_eq!(data["issued"][6], 12_345);
    assert_eq!(data["spent"][6], 0);
    assert_eq!(data["locale"], "ZH");
    assert_eq!(data["words"]["issued"], "发放");
    assert_eq!(data["new_members"][6], 1);
    // The library and our script from this origin, nothing inline to allow.
    assert!(html.contains("<script src=\"/assets/echarts-6.1.0.min.js\" defer></script>"));
    assert!(html.contains("<script src=\"/console/assets/overview.js\" defer></script>"));
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    // The presets: 7 days is the one shown.
    assert!(
        html.contains("<a href=\"/console?days=7\" class=\"on\" aria-current=\"true\">近7天</a>")
    );
    // Dates: both days included.
    let (st, html, _) = s
        .get("/console?from=2025-12-31&to=2026-01-01", &cookie)
        .await;
    assert_eq!(st, StatusCode::OK);
    let rows = daily_rows(&html);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][1], "12,345");
    // In English.
    let (_, html, _) = s.get("/console?days=14&lang=en", &cookie).await;
    assert!(html.contains("2025-12-19 to 2026-01-01, 14 days"), "{html}");
    assert!(html.contains("\"issued\":\"Issued\""), "{html}");
    assert!(html.contains("Points liability"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_that_does_not_read_is_answered_next_to_its_field_keeping_the_dates() {
    let s = start().await;
    let (cookie, _) = owner(&s).await;
    let cases = [
        (
            "/console?from=2026-02-30&to=2026-03-01",
            "range-from-error",
            "日期格式不对",
        ),
        (
            "/console?from=2026-03-01&to=tomorrow",
            "range-to-error",
            "日期格式不对",
        ),
        (
            "/console?from=2026-03-02&to=2026-03-01",
            "range-to-error",
            "结束日期早于开始日期",
        ),
        (
            "/console?from=2024-01-01&to=2026-01-01",
            "range-from-error",
            "时间范围最长 366 天",
        ),
        (
            "/console?from=2026-03-01",
            "range-to-error",
            "请同时填写开始和结束日期",
        ),
    ];
    for (url, id, words) in cases {
        let (st, html, _) = s.get(url, &cookie).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        let at = html
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("{url}: {html}"));
        let shown: String = html[at..].chars().take(120).collect();
        assert!(shown.contains(words), "{url}: {shown}");
        // What was typed stays in the fields.
        let from = url
            .split("from=")
            .nth(1)
            .map(|v| v.split('&').next().unwrap());
        if let Some(from) = from {
            assert!(
                html.contains(&format!("name=\"from\" value=\"{from}\"")),
                "{url}"
            );
        }
        // The page still shows the last 14 days.
        assert_eq!(daily_rows(&html).len(), 14);
    }
    let (st, html, _) = s.get("/console?days=abc", &cookie).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("天数应为 1 到 366 之间的整数"));
    let (st, html, _) = s.get("/console?days=400&lang=en", &cookie).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("days must be a whole number from 1 to 366"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_liability_is_priced_once_the_owner_sets_the_value_of_points() {
    let s = start().await;
    let (cookie, csrf) = owner(&s).await;
    let (_, html, _) = s.get("/console", &cookie).await;
    let at = html.find("积分负债").unwrap();
    let card: String = html[at..].chars().take(120).collect();
    assert!(card.contains("未设置") && !card.contains("¥0"), "{card}");
    assert!(html.contains("href=\"/console/settings#point-value\""));
    // A value that does not read is answered next to its field, kept as typed.
    for bad in ["abc", "0", "1.234", "-1"] {
        let (st, html, _) = s
            .post_form(
                "/console/settings/point-value",
                &cookie,
                &[("value", bad), ("csrf", &csrf)],
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(html.contains("id=\"point-value-error\""), "{bad}");
        assert!(
            html.contains(&format!("name=\"value\" value=\"{bad}\"")),
            "{bad}"
        );
    }
    let forged = s
        .post_form(
            "/console/settings/point-value",
            &cookie,
            &[("value", "1"), ("csrf", "x")],
        )
        .await;
    assert_eq!(forged.0, StatusCode::FORBIDDEN);
    // 100 points for 1 yuan: 12,345 points are ¥123.45.
    let (st, _, h) = s
        .post_form(
            "/console/settings/point-value",
            &cookie,
            &[("value", "1.00"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(
        location(&h),
        "/console/settings?done=point_value#point-value"
    );
    let (_, html, _) = s.get("/console", &cookie).await;
    assert!(html.contains("¥123.45"), "{html}");
    assert!(html.contains("按每 100 积分 ¥1.00 计"));
    let (_, html, _) = s.get("/console/settings", &cookie).await;
    assert!(html.contains("name=\"value\" value=\"1.00\""));
    // Audited in amy's name; a service role may not set it.
    let pid = s.pid;
    let log = s
        .app
        .read(move |tx| {
            Ok(tx.audit_entries(pid, None, Some("point_value.update"), i64::MAX, 10)?)
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].actor, "staff:amy");
    let (sam, sam_csrf) = s.session("sam").await;
    let (st, _, _) = s
        .post_form(
            "/console/settings/point-value",
            &sam,
            &[("value", "2"), ("csrf", &sam_csrf)],
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // Cleared: not set again.
    let (st, _, _) = s
        .post_form(
            "/console/settings/point-value",
            &cookie,
            &[("value", ""), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, html, _) = s.get("/console", &cookie).await;
    assert!(!html.contains("¥123.45"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tiers_page_and_the_overview_count_members_per_tier() {
    let s = start().await;
    let (cookie, _) = owner(&s).await;
    let (_, html, _) = s.get("/console", &cookie).await;
    assert!(html.contains("还没有等级体系"), "no ladder yet");
    s.silver_and_gold().await;
    let (_, html, _) = s.get("/console/tiers", &cookie).await;
    assert!(html.contains("<th class=\"num\">会员数</th>"), "{html}");
    let at = html.find("<code>silver</code>").unwrap();
    let row = &html[at..at + html[at..].find("</tr>").unwrap()];
    assert!(row.contains("<td class=\"num\">1</td>"), "{row}");
    // A fresh range (not the one cached above) shows the tier.
    let (_, html, _) = s.get("/console?days=30", &cookie).await;
    assert!(
        html.contains(
            "<tr><td>银卡</td><td class=\"num\">1</td><td class=\"num\">100.0%</td></tr>"
        ),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chart_library_is_served_from_the_binary_cached_for_a_year_and_gzipped() {
    let s = start().await;
    let r = s
        .client
        .get(format!("{}/assets/echarts-6.1.0.min.js", s.base))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(r.headers()["content-encoding"], "gzip");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let gz = r.bytes().await.unwrap();
    assert!(gz.len() < 500_000, "gzipped: {} bytes", gz.len());
    let r = s
        .client
        .get(format!("{}/console/assets/overview.js", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("overview-data"));
}
