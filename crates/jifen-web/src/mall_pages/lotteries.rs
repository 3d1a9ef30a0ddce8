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
    let items = list.items;
    let text = if text.is_empty() {
        // An example to start from: the first lottery's definition under a new code.
        items
            .first()
            .map(|l| {
                let mut def = l.definition();
                def.code = format!("{}_2", def.code);
                serde_json::to_string_pretty(&def).unwrap_or_default()
            })
            .unwrap_or_default()
    } else {
        text
    };
    let cards: String = items
        .iter()
        .map(|l| {
            let en = st.lang == crate::page::Lang::En;
            let prizes: String = l
                .prizes
                .iter()
                .map(|p| {
                    format!(
                        "<tr><td>{}</td><td class=\"num\">{:.2}%</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                        esc(p.prize.name(en)),
                        p.prize.odds_ppm as f64 / 10_000.0,
                        num(p.won),
                        num(p.left),
                    )
                })
                .collect();
            format!(
                "<h2>{} <code>{}</code> <span class=\"pill {}\">{}</span></h2><p class=\"muted\">{} {} · {} {}</p>\
                 <table><thead><tr><th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th></tr></thead><tbody>{prizes}</tbody></table>",
                esc(l.name(en)),
                esc(&l.code),
                esc(&l.status),
                esc(&l.status),
                st.t("每次消耗", "Each draw costs"),
                num(l.cost_points),
                st.t("未中奖", "No prize"),
                esc(l.consolation.name(en)),
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
    let r = save_def(&web, &st, &f, "lottery", jifen_app::lottery::create).await;
    match r {
        Ok(()) => Redirect::to("/console/lotteries?done=1").into_response(),
        Err((status, e)) => {
            lotteries_page(&web, &st, f.definition.clone(), Some(e), None, status).await
        }
    }
}
