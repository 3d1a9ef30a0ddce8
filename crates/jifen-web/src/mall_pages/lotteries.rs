//! Lotteries: the list and creating one from its JSON definition.

use super::*;

pub(super) async fn lotteries(
    State(web): State<Web>,
    st: Staff,
    Query(q): Query<DoneQuery>,
) -> Response {
    let notice = q.done.map(|_| st.t("已创建", "Created"));
    lotteries_page(&web, &st, String::new(), None, notice, StatusCode::OK).await
}

pub(super) async fn lotteries_page(
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

pub(super) async fn create_lottery(
    State(web): State<Web>,
    st: Staff,
    Form(f): Form<DefForm>,
) -> Response {
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
