//! The member centre's pages as templates (`templates/centre/`, escaping every value unless a
//! template marks it `|safe`): the frame every page shares (the phone layout: the top bar with
//! its way back and the language switch, the tab bar), the one error page, and the pieces the
//! pages share (pictures, icons).

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use crate::page::Lang;

/// The tab a page belongs to in the bottom bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tab {
    Home,
    Mall,
    Orders,
    Coupons,
}

/// The outline icons the centre draws, in the text's colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Icon {
    Home,
    Mall,
    Orders,
    Coupons,
    Check,
    Clock,
    Truck,
    Gift,
    Search,
}

impl Icon {
    /// The icon's SVG paths (constant markup, no data in it).
    pub(crate) fn paths(self) -> &'static str {
        match self {
            Icon::Home => {
                "<path d=\"M3 10.5 12 3l9 7.5V20a1 1 0 0 1-1 1h-5v-6h-6v6H4a1 1 0 0 1-1-1z\"/>"
            }
            Icon::Mall => {
                "<path d=\"M5 8h14l-1.2 12.1a1 1 0 0 1-1 .9H7.2a1 1 0 0 1-1-.9z\"/><path d=\"M9 8V6a3 3 0 0 1 6 0v2\"/>"
            }
            Icon::Orders => {
                "<rect x=\"5\" y=\"3\" width=\"14\" height=\"18\" rx=\"2\"/><path d=\"M9 8h6M9 12h6M9 16h4\"/>"
            }
            Icon::Coupons => {
                "<path d=\"M3 7a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2v3a2 2 0 0 0 0 4v3a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-3a2 2 0 0 0 0-4z\"/><path d=\"M14 6v12\" stroke-dasharray=\"2 2\"/>"
            }
            Icon::Check => "<path d=\"M5 12.5l4.5 4.5L19 7.5\"/>",
            Icon::Clock => "<circle cx=\"12\" cy=\"12\" r=\"8.5\"/><path d=\"M12 7.5V12l3 2\"/>",
            Icon::Truck => {
                "<path d=\"M2.5 6.5h11v9.5h-11zM13.5 10h4l3 3.2V16h-7z\"/><circle cx=\"6.5\" cy=\"17.5\" r=\"1.8\"/><circle cx=\"16.5\" cy=\"17.5\" r=\"1.8\"/>"
            }
            Icon::Gift => {
                "<rect x=\"4\" y=\"9\" width=\"16\" height=\"11\" rx=\"1.5\"/><path d=\"M3 9h18v3H3zM12 9v11M12 9c-1.5-4-6-4-5-1.2C7.5 9 12 9 12 9zM12 9c1.5-4 6-4 5-1.2C16.5 9 12 9 12 9z\"/>"
            }
            Icon::Search => "<circle cx=\"11\" cy=\"11\" r=\"6.5\"/><path d=\"M16 16l4.5 4.5\"/>",
        }
    }
}

/// The top bar of a page inside the centre: the way back, the page's title, and the address of
/// the page without `lang` (for the language switch).
pub(crate) struct Bar {
    pub title: String,
    pub back: Option<String>,
    pub here: String,
}

/// One link of the tab bar.
pub(crate) struct TabLink {
    pub href: String,
    pub icon: Icon,
    pub label: &'static str,
    pub on: bool,
}

/// What the frame of every centre page shows.
pub(crate) struct CentreFrame {
    pub english: bool,
    pub token: String,
    /// The document's title.
    pub title: String,
    pub bar: Option<Bar>,
    /// The tab bar, with the page's tab marked; none on a page outside the centre's tabs (an
    /// expired link, the appeal form).
    pub tabs: Option<Option<Tab>>,
}

impl CentreFrame {
    /// The frame of a page with neither a top bar nor tabs, titled `title`.
    pub(crate) fn plain(lang: Lang, token: &str, title: &str) -> CentreFrame {
        CentreFrame {
            english: lang == Lang::En,
            token: token.to_string(),
            title: title.to_string(),
            bar: None,
            tabs: None,
        }
    }

    /// The frame of a page inside the centre: the top bar titled `title` with the way `back`
    /// and the language switch to `here` (the page's address without `lang`), the tab bar with
    /// `tab` marked; the document titled with the page and the programme.
    pub(crate) fn inner(
        lang: Lang,
        token: &str,
        programme: &str,
        title: &str,
        tab: Option<Tab>,
        back: Option<String>,
        here: String,
    ) -> CentreFrame {
        CentreFrame {
            tabs: Some(tab),
            bar: Some(Bar {
                title: title.to_string(),
                back,
                here,
            }),
            ..CentreFrame::plain(lang, token, &format!("{title} · {programme}"))
        }
    }

    /// `zh` or `en`, by the page's language: the words of one page, in its template.
    pub(crate) fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        if self.english { en } else { zh }
    }

    pub(crate) fn html_lang(&self) -> &'static str {
        if self.english { "en" } else { "zh-CN" }
    }

    /// The link to the same page in the other language.
    pub(crate) fn lang_href(&self, here: &str) -> String {
        let sep = if here.contains('?') { '&' } else { '?' };
        format!("{here}{sep}lang={}", if self.english { "zh" } else { "en" })
    }

    /// The other language's name, in that language.
    pub(crate) fn other_lang(&self) -> &'static str {
        if self.english { "中文" } else { "English" }
    }

    /// The redemption steps: (number, words).
    pub(crate) fn steps(&self) -> [(u8, &'static str); 3] {
        [
            (1, self.t("选品", "Choose")),
            (2, self.t("确认", "Confirm")),
            (3, self.t("支付", "Pay")),
        ]
    }

    /// The tab bar's links: 首页 · 商城 · 订单 · 券.
    pub(crate) fn tab_links(&self) -> Vec<TabLink> {
        let on = self.tabs.flatten();
        let token = &self.token;
        [
            (
                Tab::Home,
                format!("/m/{token}"),
                Icon::Home,
                self.t("首页", "Home"),
            ),
            (
                Tab::Mall,
                format!("/m/{token}/mall"),
                Icon::Mall,
                self.t("商城", "Mall"),
            ),
            (
                Tab::Orders,
                format!("/m/{token}/orders"),
                Icon::Orders,
                self.t("订单", "Orders"),
            ),
            (
                Tab::Coupons,
                format!("/m/{token}/coupons"),
                Icon::Coupons,
                self.t("券", "Coupons"),
            ),
        ]
        .into_iter()
        .map(|(tab, href, icon, label)| TabLink {
            href,
            icon,
            label,
            on: on == Some(tab),
        })
        .collect()
    }
}

/// The centre's one error page: an expired link (no top bar: the link leads nowhere now), a
/// thing not found, a refusal the member should read, or a failure they cannot fix here; the
/// heading, what to do, and a way back.
#[derive(Template)]
#[template(path = "centre/error.html")]
pub(crate) struct ErrorPage<'a> {
    pub frame: &'a CentreFrame,
    pub heading: &'a str,
    pub detail: Option<&'a str>,
    /// The search icon over the heading (something not found).
    pub icon: bool,
    /// Read out at once (a refusal).
    pub alert: bool,
    pub back: Option<(&'a str, &'a str)>,
}

/// The page the centre answers when its link is not good (or no longer is).
pub(crate) fn expired_page(lang: Lang) -> Response {
    let heading = if lang == Lang::En {
        "This link has expired"
    } else {
        "链接已失效"
    };
    let frame = CentreFrame::plain(lang, "", heading);
    respond(
        StatusCode::UNAUTHORIZED,
        &ErrorPage {
            frame: &frame,
            heading,
            detail: Some(frame.t(
                "请从商家App重新进入积分中心。",
                "Open the points centre again from the shop's app.",
            )),
            icon: false,
            alert: false,
            back: None,
        },
        &[],
    )
}

/// An item's picture: the centre's copy (`/media/{id}/thumb`, at most
/// `jifen_app::images::THUMB_SIDE` a side) loaded as it comes near the screen, or the whole
/// picture (`/media/{id}`) loaded at once; its size given, so that nothing moves when it
/// arrives.
#[derive(Template)]
#[template(path = "centre/picture.html")]
pub(crate) struct Picture<'a> {
    pub id: i64,
    pub alt: &'a str,
    pub class: &'a str,
    pub side: u32,
    pub whole: bool,
}

/// Where an item's picture shows: which copy is served, the size it is given (the most CSS
/// pixels it takes, at the centre's widest, 480 px; all are square) and when it loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pic {
    /// A tile of the mall's grid.
    Tile,
    /// A card of the home page's mall section.
    Card,
    /// The line of an order or of the confirm page.
    Line,
    /// The item's own page: the whole picture, loaded at once, being what the page shows first.
    Hero,
}

impl Pic {
    pub(crate) fn class(self) -> &'static str {
        match self {
            Pic::Tile => "img",
            Pic::Card => "pic",
            Pic::Line => "thumb",
            Pic::Hero => "cover",
        }
    }

    pub(crate) fn side(self) -> u32 {
        match self {
            Pic::Tile => 219,
            Pic::Card => 187,
            Pic::Line => 64,
            Pic::Hero => 416,
        }
    }

    pub(crate) fn whole(self) -> bool {
        self == Pic::Hero
    }
}

/// An item's cover where it shows (`p::cover` in `templates/centre/parts.html`): its first
/// picture, or a drawn placeholder with the first letter of its name.
pub(crate) struct Cover {
    pub id: Option<i64>,
    pub name: String,
    pub at: Pic,
}

impl Cover {
    pub(crate) fn new(id: Option<i64>, name: &str, at: Pic) -> Cover {
        Cover {
            id,
            name: name.to_string(),
            at,
        }
    }

    pub(crate) fn initial(&self) -> String {
        self.name
            .chars()
            .next()
            .map(String::from)
            .unwrap_or_default()
    }
}

/// A price (`p::price`): points, and the cash part in words when there is one.
pub(crate) struct Price {
    pub points: String,
    pub cash: Option<String>,
}

impl Price {
    pub(crate) fn new(points: i64, cash_minor: i64, currency: &str) -> Price {
        Price {
            points: crate::page::num(points),
            cash: (cash_minor > 0).then(|| jifen_app::mall::money_text(currency, cash_minor)),
        }
    }
}

/// A label of an item (`p::tags`): its class and words.
pub(crate) struct Tag {
    pub class: &'static str,
    pub text: String,
}

/// A rendered page as the answer.
pub(crate) fn respond<T: Template>(status: StatusCode, t: &T, cookies: &[String]) -> Response {
    crate::frame::respond(status, t, cookies)
}
