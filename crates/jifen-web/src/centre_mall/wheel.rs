//! The lucky wheel: the prizes drawn as SVG, the member's draws, drawing.

use super::*;
use jifen_app::lottery::LotteryView;

#[derive(Deserialize, Default)]
pub(super) struct LotteryQuery {
    #[serde(default)]
    pub(super) lang: Option<String>,
    /// The form key of a draw just made, to show its prize.
    #[serde(default)]
    pub(super) r: Option<String>,
}

use jifen_app::member_centre::WheelView as Wheel;

pub(super) async fn load_wheel(
    web: &Web,
    c: &Centre,
    code: &str,
    request: Option<String>,
) -> Result<Option<Wheel>, Response> {
    let (ctx, member, now, code) = (c.ctx.clone(), c.member, web.app.now(), code.to_string());
    let r = web
        .app
        .read(move |tx| {
            let drawn = request.filter(|k| key_ok(k)).map(|k| format!("centre-{k}"));
            jifen_app::member_centre::wheel(tx, &ctx, member, &code, drawn.as_deref(), now)
        })
        .await;
    r.map_err(|e| c.failed(e))
}

/// A slice of the wheel: its outline (none when the wheel is one prize, a whole disc), its
/// colours, where its label turns to, and the label (at most eight characters).
pub(super) struct Slice {
    path: Option<String>,
    fill: &'static str,
    ink: &'static str,
    mid: String,
    y: String,
    size: u8,
    label: String,
}

/// The wheel's slices, one per prize and one for the consolation.
pub(super) fn wheel_slices(lang: Lang, def: &LotteryView) -> Vec<Slice> {
    let en = lang == Lang::En;
    let mut names: Vec<String> = def
        .prizes
        .iter()
        .map(|p| p.prize.name(en).to_string())
        .collect();
    names.push(def.consolation.name(en).to_string());
    let n = names.len().max(1);
    let step = 360.0 / n as f64;
    let (cx, cy, r) = (150.0_f64, 150.0_f64, 140.0_f64);
    let at = |deg: f64, rad: f64| {
        let a = deg.to_radians();
        (cx + rad * a.sin(), cy - rad * a.cos())
    };
    let colours = ["#b4532a", "#fde7d6", "#d9874f", "#fff6ee"];
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mid = i as f64 * step;
            let (x0, y0) = at(mid - step / 2.0, r);
            let (x1, y1) = at(mid + step / 2.0, r);
            let fill = if i == n - 1 && n % 2 == 1 && n > 1 {
                colours[1]
            } else {
                colours[i % colours.len()]
            };
            let label: String = name.chars().take(8).collect();
            let large = if step > 180.0 { 1 } else { 0 };
            Slice {
                path: (n > 1).then(|| {
                    format!("M150 150 L{x0:.2} {y0:.2} A140 140 0 {large} 1 {x1:.2} {y1:.2} Z")
                }),
                fill,
                ink: if fill == "#b4532a" || fill == "#d9874f" {
                    "#fff"
                } else {
                    "#8a3a17"
                },
                mid: format!("{mid:.2}"),
                y: format!("{:.1}", cy - r * 0.68),
                size: if label.chars().count() > 5 { 12 } else { 14 },
                label,
            }
        })
        .collect()
}

pub(super) async fn lottery(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((token, code)): Path<(String, String)>,
    Query(q): Query<LotteryQuery>,
) -> Response {
    let c = match enter(&web, &headers, &token, q.lang.clone()).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match load_wheel(&web, &c, &code, q.r.clone()).await {
        Ok(Some(w)) => c.page(StatusCode::OK, &wheel_page(&c, &code, &w, None)),
        Ok(None) => lottery_missing(&c),
        Err(r) => r,
    }
}

pub(super) fn lottery_missing(c: &Centre) -> Response {
    c.not_found(
        t(c.lang, "活动不存在或已结束", "This lottery does not exist"),
        &format!("/m/{}", c.token),
        t(c.lang, "回到首页", "Back home"),
    )
}

/// The wheel's page: an error, the prize just drawn, the wheel with the member's facts and the
/// button to spin, and the published odds.
#[derive(Template)]
#[template(path = "centre/wheel.html")]
pub(super) struct WheelPage {
    frame: CentreFrame,
    error: Option<String>,
    /// The draw just made: the headline, the prize, what it cost.
    drawn: Option<(&'static str, String, String)>,
    name: String,
    facts: Vec<String>,
    /// How far the wheel turns to land on the prize drawn, in degrees.
    turn: String,
    slices: Vec<Slice>,
    code: String,
    key: String,
    button: String,
    disabled: bool,
    odds: Vec<(String, String)>,
}

pub(super) fn wheel_page(c: &Centre, code: &str, w: &Wheel, error: Option<String>) -> WheelPage {
    let lang = c.lang;
    let token = &c.token;
    let def = &w.def;
    let slices = wheel_slices(lang, def);
    let n = slices.len();
    let slice = w.drawn.as_ref().map(|d| {
        d.prize
            .as_ref()
            .and_then(|code| def.prizes.iter().position(|p| p.prize.code == *code))
            .filter(|p| *p < n - 1)
            .unwrap_or(n - 1)
    });
    let step = 360.0 / n as f64;
    let turn = slice.map(|k| 360.0 * 6.0 - k as f64 * step).unwrap_or(0.0);
    let (button, disabled) = spin_button(lang, w);
    WheelPage {
        frame: c.frame(
            None,
            t(lang, "幸运大转盘", "Lucky wheel"),
            Some(&format!("/m/{token}")),
            &format!("/m/{token}/lottery/{code}"),
        ),
        error,
        drawn: drawn(lang, w),
        name: def.name(lang == Lang::En).to_string(),
        facts: wheel_facts(lang, w),
        turn: format!("{turn:.2}"),
        slices,
        code: code.to_string(),
        key: form_key(),
        button,
        disabled,
        odds: def
            .prizes
            .iter()
            .map(|p| {
                let ppm = p.prize.odds_ppm;
                let pct = format!("{}.{:04}%", ppm / 10_000, ppm % 10_000);
                (p.prize.name(lang == Lang::En).to_string(), pct)
            })
            .collect(),
    }
}

/// The draws the member has left today, when the lottery limits them per day.
fn daily_left(w: &Wheel) -> Option<i64> {
    w.def
        .per_member_per_day
        .map(|l| (l as i64 - w.draws_today).max(0))
}

/// The spin button's words, and whether it is disabled: not open, no draws left today, a free
/// draw, a draw for points (disabled when the member has too few), or no draws left.
fn spin_button(lang: Lang, w: &Wheel) -> (String, bool) {
    let def = &w.def;
    let cost = def.cost_points;
    let now_open = def.status == "active";
    let life_left = def
        .per_member_lifetime
        .map(|l| (l as i64 - w.draws_all).max(0));
    let capped = daily_left(w) == Some(0) || life_left == Some(0);
    if !now_open {
        (t(lang, "活动未开放", "Not open").to_string(), true)
    } else if capped {
        (
            t(lang, "今日次数已用完", "No draws left today").to_string(),
            true,
        )
    } else if w.left > 0 {
        (
            if lang == Lang::En {
                format!("Spin free ({} left)", w.left)
            } else {
                format!("免费抽奖（剩 {} 次）", w.left)
            },
            false,
        )
    } else if cost > 0 {
        (
            if lang == Lang::En {
                format!("Spin · {} pts", num(cost))
            } else {
                format!("{} 积分抽一次", num(cost))
            },
            w.balance < cost,
        )
    } else {
        (t(lang, "暂无抽奖机会", "No draws left").to_string(), true)
    }
}

/// The draw just made: the headline (a prize, or the consolation), the prize and what it cost.
fn drawn(lang: Lang, w: &Wheel) -> Option<(&'static str, String, String)> {
    w.drawn.as_ref().map(|d| {
        let headline = if !d.consolation {
            t(lang, "恭喜你抽中", "You won")
        } else {
            t(lang, "本次结果", "This time")
        };
        let cost = match (d.cost_points > 0, lang) {
            (false, _) => t(lang, "使用了一次免费机会", "A free draw was used").to_string(),
            (true, Lang::En) => format!("{} points spent", num(d.cost_points)),
            (true, Lang::Zh) => format!("消耗 {} 积分", num(d.cost_points)),
        };
        (headline, d.name(lang == Lang::En).to_string(), cost)
    })
}

/// The member's facts on the wheel: points, free draws, the cost of a draw, draws left today.
fn wheel_facts(lang: Lang, w: &Wheel) -> Vec<String> {
    let cost = w.def.cost_points;
    let mut facts = vec![if lang == Lang::En {
        format!("My points {}", num(w.balance))
    } else {
        format!("我的积分 {}", num(w.balance))
    }];
    facts.push(if lang == Lang::En {
        format!("Free draws {}", w.left)
    } else {
        format!("免费次数 {}", w.left)
    });
    if cost > 0 {
        facts.push(if lang == Lang::En {
            format!("{} pts a draw", num(cost))
        } else {
            format!("{} 积分/次", num(cost))
        });
    }
    if let Some(d) = daily_left(w) {
        facts.push(if lang == Lang::En {
            format!("{d} left today")
        } else {
            format!("今日还可抽 {d} 次")
        });
    }
    facts
}

#[derive(Deserialize, Default)]
pub(super) struct DrawForm {
    #[serde(default)]
    pub(super) key: String,
}

pub(super) async fn draw(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((token, code)): Path<(String, String)>,
    Form(f): Form<DrawForm>,
) -> Response {
    let c = match enter(&web, &headers, &token, None).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let lang = c.lang;
    let show = |w: Wheel, msg: String, status: StatusCode| {
        c.page(status, &wheel_page(&c, &code, &w, Some(msg)))
    };
    if !key_ok(&f.key) {
        return match load_wheel(&web, &c, &code, None).await {
            Ok(Some(w)) => show(
                w,
                t(
                    lang,
                    "页面已过期，请再试一次",
                    "This page was stale; try again",
                )
                .into(),
                StatusCode::BAD_REQUEST,
            ),
            Ok(None) => lottery_missing(&c),
            Err(r) => r,
        };
    }
    let d = jifen_app::lottery::DrawIn {
        member: MemberRef::Id {
            member_id: c.member.0,
        },
        request_id: format!("centre-{}", f.key),
    };
    let mut fp = b"centre_lottery_draw".to_vec();
    fp.extend(code.as_bytes());
    fp.extend(serde_json::to_vec(&d).expect("draw serializes"));
    let idem = (
        format!("centre-draw:{}:{}", c.member.0, f.key),
        jifen_app::sha256_hex(&fp),
    );
    let code2 = code.clone();
    let out = web
        .app
        .write_view(
            c.program,
            &c.partition(),
            Some(idem),
            move |tx, ctx, now| jifen_app::lottery::draw(tx, ctx, now, &code2, &d),
        )
        .await;
    let msg = match out {
        Ok(_) | Err(AppError::IdempotencyMismatch) => {
            return Redirect::to(&format!("/m/{token}/lottery/{code}?r={}", f.key)).into_response();
        }
        Err(AppError::NotFound { .. }) => return lottery_missing(&c),
        Err(AppError::Ledger(LedgerError::InsufficientPoints {
            available,
            requested,
        })) => {
            if lang == Lang::En {
                format!(
                    "Not enough points: a draw costs {}, you have {}",
                    num(requested),
                    num(available)
                )
            } else {
                format!(
                    "积分不足：抽一次需要 {}，当前可用 {}",
                    num(requested),
                    num(available)
                )
            }
        }
        Err(AppError::Conflict {
            code: why, message, ..
        }) => match why {
            "lottery_not_open" => t(lang, "活动还未开始", "This lottery is not open").into(),
            "lottery_ended" => t(lang, "活动已结束", "This lottery has ended").into(),
            "draw_limit_reached" => {
                t(lang, "抽奖次数已达上限", "You have used all your draws").into()
            }
            "no_draws_left" => t(
                lang,
                "暂无抽奖机会，完成任务可获得免费次数",
                "No draws left; tasks earn free draws",
            )
            .into(),
            _ => message,
        },
        Err(AppError::Invalid { message, .. }) => message,
        Err(e) => return c.unavailable(&e),
    };
    match load_wheel(&web, &c, &code, None).await {
        Ok(Some(w)) => show(w, msg, StatusCode::CONFLICT),
        Ok(None) => lottery_missing(&c),
        Err(r) => r,
    }
}

/// The open lotteries, for the home page: (code, name).
pub(crate) async fn open_lotteries(
    web: &Web,
    program: ProgramId,
    lang: Lang,
) -> Vec<(String, String)> {
    let Ok(ctx) = web.app.program_ctx(program).await else {
        return Vec::new();
    };
    let now = web.app.now();
    let list = web
        .app
        .read(move |tx| jifen_app::lottery::list(tx, &ctx))
        .await
        .map(|l| l.items)
        .unwrap_or_default();
    list.into_iter()
        .filter(|l| l.status == "active" && l.ends_at.is_none_or(|e| now < e))
        .map(|l| (l.code.clone(), l.name(lang == Lang::En).to_string()))
        .collect()
}
