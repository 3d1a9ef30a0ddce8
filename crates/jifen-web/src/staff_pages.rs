//! Staff accounts (`/console/staff`): owners add colleagues with a role, reset a password (the
//! new one shown once) and disable an account (its sessions end at once); auditors read the list.
//! Maker-checker needs a second person, so this page is where that person comes from.

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jifen_app::AppError;
use jifen_app::staff::{self, NewStaff, Role};
use serde::Deserialize;

use crate::forms::{expired, field_error, form_key};
use crate::page::{esc, fmt_time};
use crate::{Staff, Web};

pub(crate) fn routes() -> Router<Web> {
    Router::new()
        .route("/console/staff", get(list).post(create))
        .route("/console/staff/{id}/{action}", post(act))
}

const ROLES: [Role; 5] = [
    Role::Owner,
    Role::Operator,
    Role::Service,
    Role::Analyst,
    Role::Auditor,
];

fn role_label(st: &Staff, r: Role) -> &'static str {
    match r {
        Role::Owner => st.t("店主（全部权限）", "Owner (everything)"),
        Role::Operator => st.t(
            "运营（规则、商品、活动）",
            "Operator (rules, catalog, campaigns)",
        ),
        Role::Service => st.t(
            "客服（会员、调整、申诉）",
            "Service (members, adjustments, appeals)",
        ),
        Role::Analyst => st.t(
            "分析（报表与导出，只读）",
            "Analyst (dashboards and exports, read-only)",
        ),
        Role::Auditor => st.t(
            "审计（全部只读，含操作日志）",
            "Auditor (read-only everything, audit log)",
        ),
    }
}

#[derive(Deserialize, Default, Clone)]
struct NewForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    form_key: String,
    #[serde(default)]
    csrf: String,
}

/// What the page shows besides the list: a form with its error, or a password to hand over.
#[derive(Default)]
struct Shown {
    form: NewForm,
    error: Option<(String, String)>,
    /// (login, password) shown once after a creation or a reset.
    secret: Option<(String, String)>,
}

/// The staff page: the password just made, the list of accounts and, for owners, the form to
/// add a colleague.
async fn render(web: &Web, st: &Staff, shown: Shown, status: StatusCode) -> Response {
    let title = st.t("员工账号", "Staff accounts");
    let Some(reader) = st.s.audit_reader() else {
        return st.forbidden("settings", title);
    };
    let rows = match web
        .app
        .read(move |tx| jifen_app::console::staff_list(tx, &reader))
        .await
    {
        Ok(r) => r,
        Err(e) => return st.fail(e),
    };
    let form = if st.s.role == Role::Owner {
        add_form(st, &shown)
    } else {
        String::new()
    };
    let blank_th = crate::page::th_hidden(crate::page::L::Action.t(st.lang));
    let body = format!(
        "{}<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>{blank_th}</tr></thead><tbody>{}</tbody></table>{form}",
        secret_notice(st, &shown),
        st.t("账号", "Login"),
        st.t("姓名", "Name"),
        st.t("角色", "Role"),
        st.t("状态", "Status"),
        st.t("创建时间", "Created"),
        staff_rows(st, &rows),
    );
    st.page(status, "settings", title, &body)
}

/// A row per account: login, name, role, status, when created and, for owners looking at a
/// colleague, the buttons to reset the password and to disable or enable the account.
fn staff_rows(st: &Staff, rows: &[jifen_app::console::StaffRow]) -> String {
    let owner = st.s.role == Role::Owner;
    let csrf = esc(&st.s.csrf);
    rows.iter()
        .map(|r| {
            let actions = if owner && r.id != st.s.staff_id {
                let toggle = if r.status == "active" {
                    ("disable", st.t("停用", "Disable"), "reject")
                } else {
                    ("enable", st.t("启用", "Enable"), "secondary")
                };
                format!(
                    "<form method=\"post\" action=\"/console/staff/{id}/reset\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button class=\"secondary\">{}</button></form>\
                     <form method=\"post\" action=\"/console/staff/{id}/{}\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button class=\"{}\">{}</button></form>",
                    st.t("重置密码", "Reset password"),
                    toggle.0,
                    toggle.2,
                    toggle.1,
                    id = r.id,
                )
            } else {
                String::new()
            };
            format!(
                "<tr id=\"staff-{}\"><td><code>{}</code></td><td>{}</td><td>{}</td><td><span class=\"pill {}\">{}</span></td><td>{}</td><td>{actions}</td></tr>",
                r.id,
                esc(&r.login),
                esc(&r.name),
                esc(Role::parse(&r.role).map_or(r.role.as_str(), |x| role_label(st, x))),
                if r.status == "active" { "active" } else { "disabled" },
                if r.status == "active" { st.t("启用", "Active") } else { st.t("已停用", "Disabled") },
                fmt_time(r.created_at, &st.ctx.tz),
            )
        })
        .collect()
}

/// The password made just now, with whom to hand it to; shown once.
fn secret_notice(st: &Staff, shown: &Shown) -> String {
    shown
        .secret
        .as_ref()
        .map(|(login, pw)| {
            format!(
                "<div class=\"notice\" role=\"status\">{} <code>{}</code>: <div class=\"secret\" id=\"new-password\">{}</div>{}</div>",
                st.t("请把密码交给", "Hand this password to"),
                esc(login),
                esc(pw),
                st.t(
                    "密码只显示这一次；对方登录后即可使用。",
                    "It is shown this once; it works from the next sign-in."
                ),
            )
        })
        .unwrap_or_default()
}

/// The form to add a colleague: login, name, role and a first password, with their errors.
fn add_form(st: &Staff, shown: &Shown) -> String {
    let f = &shown.form;
    let e = shown.error.as_ref();
    let input = |name: &str, label: &str, value: &str, kind: &str, hint: &str| {
        format!(
            "<div class=\"field\"><label for=\"{name}\">{label}</label><input type=\"{kind}\" id=\"{name}\" name=\"{name}\" value=\"{}\" placeholder=\"{}\" autocomplete=\"off\">{}</div>",
            esc(value),
            esc(hint),
            field_error(e, name)
        )
    };
    let roles: String = ROLES
        .iter()
        .map(|r| {
            format!(
                "<option value=\"{}\"{}>{}</option>",
                r.as_str(),
                if f.role == r.as_str() {
                    " selected"
                } else {
                    ""
                },
                role_label(st, *r)
            )
        })
        .collect();
    format!(
        "<h2>{}</h2>{}<form class=\"rule\" method=\"post\" action=\"/console/staff\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"form_key\" value=\"{}\">\
         <div class=\"grid\">{}{}<div class=\"field\"><label for=\"role\">{}</label><select id=\"role\" name=\"role\">{roles}</select>{}</div>{}</div>\
         <div class=\"actions\"><button type=\"submit\">{}</button></div></form>",
        st.t("添加员工", "Add a colleague"),
        field_error(e, "form"),
        esc(&st.s.csrf),
        esc(if f.form_key.is_empty() {
            ""
        } else {
            &f.form_key
        }),
        input("login", st.t("账号", "Login"), &f.login, "text", "li.hua"),
        input("name", st.t("姓名", "Name"), &f.name, "text", "李华"),
        st.t("角色", "Role"),
        field_error(e, "role"),
        input(
            "password",
            st.t(
                "初始密码（留空自动生成）",
                "First password (blank: generated)"
            ),
            "",
            "password",
            ""
        ),
        st.t("添加", "Add"),
    )
}

async fn list(State(web): State<Web>, st: Staff) -> Response {
    let shown = Shown {
        form: NewForm {
            role: "service".into(),
            form_key: form_key(),
            ..Default::default()
        },
        ..Default::default()
    };
    render(&web, &st, shown, StatusCode::OK).await
}

async fn create(State(web): State<Web>, st: Staff, Form(f): Form<NewForm>) -> Response {
    let refuse = |field: &str, msg: String, status: StatusCode| {
        let shown = Shown {
            form: f.clone(),
            error: Some((field.to_string(), msg)),
            secret: None,
        };
        let (web, st) = (web.clone(), &st);
        async move { render(&web, st, shown, status).await }
    };
    if st.s.role != Role::Owner {
        return st.forbidden("settings", st.t("员工账号", "Staff accounts"));
    }
    if f.csrf != st.s.csrf {
        return refuse("form", expired(&st).1, StatusCode::FORBIDDEN).await;
    }
    let Some(role) = Role::parse(&f.role) else {
        let msg = st.t("请选择角色", "Choose a role").to_string();
        return refuse("role", msg, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let generated = f.password.is_empty();
    let password = if generated {
        staff::generate_password()
    } else {
        f.password.clone()
    };
    let n = NewStaff {
        login: f.login.trim().to_string(),
        name: f.name.trim().to_string(),
        role,
        password: password.clone(),
    };
    let login = n.login.clone();
    let actor = st.s.actor();
    // The form's key makes a double submit create one account; the repeat shows no password.
    let idem = (!f.form_key.is_empty()).then(|| {
        (
            format!("console:staff:{}", f.form_key),
            format!("{}:{}", n.login, n.role.as_str()),
        )
    });
    let out = web
        .app
        .write_view(st.s.program, "staff", idem, move |tx, ctx, now| {
            staff::create(tx, ctx, now, &n, &actor)
        })
        .await;
    match out {
        Ok(o) if o.replayed => Redirect::to("/console/staff").into_response(),
        Ok(_) => {
            let shown = Shown {
                form: NewForm {
                    role: "service".into(),
                    form_key: form_key(),
                    ..Default::default()
                },
                error: None,
                // A password the owner typed is theirs to hand over; a generated one is shown.
                secret: generated.then_some((login, password)),
            };
            render(&web, &st, shown, StatusCode::CREATED).await
        }
        Err(AppError::Invalid { field, message }) => {
            refuse(&field, message, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Conflict { message, .. }) => {
            refuse("login", message, StatusCode::CONFLICT).await
        }
        Err(e) => st.fail(e),
    }
}

#[derive(Deserialize, Default)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn act(
    State(web): State<Web>,
    st: Staff,
    Path((id, action)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let Some(id) = crate::forms::positive_id(&id) else {
        return st.fail(AppError::NotFound {
            what: "staff account",
            id,
        });
    };
    if !["reset", "disable", "enable"].contains(&action.as_str()) {
        return st.fail(AppError::NotFound {
            what: "page",
            id: action,
        });
    }
    if st.s.role != Role::Owner {
        return st.forbidden("settings", st.t("员工账号", "Staff accounts"));
    }
    let show = |error: Option<(String, String)>, secret, status| {
        let shown = Shown {
            form: NewForm {
                role: "service".into(),
                form_key: form_key(),
                ..Default::default()
            },
            error,
            secret,
        };
        let (web, st) = (web.clone(), &st);
        async move { render(&web, st, shown, status).await }
    };
    if f.csrf != st.s.csrf {
        return show(Some(expired(&st)), None, StatusCode::FORBIDDEN).await;
    }
    let by = st.s.clone();
    let out = web
        .app
        .write_view(
            st.s.program,
            "staff",
            None,
            move |tx, ctx, now| match action.as_str() {
                "reset" => staff::reset_password(tx, ctx, now, &by, id).map(Some),
                a => staff::set_active(tx, ctx, now, &by, id, a == "enable").map(|_| None),
            },
        )
        .await;
    match out {
        Ok(o) => match o.view {
            Some(p) => show(None, Some((p.login, p.password)), StatusCode::OK).await,
            None => Redirect::to("/console/staff").into_response(),
        },
        Err(AppError::Conflict { message, .. }) => {
            show(Some(("form".into(), message)), None, StatusCode::CONFLICT).await
        }
        Err(e) => st.fail(e),
    }
}
