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

use askama::Template;

use crate::forms::{Choice, FormState, choices, expired, form_key};
use crate::frame::Frame;
use crate::page::{L, fmt_time};
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
    let owner = st.s.role == Role::Owner;
    let rows = rows
        .iter()
        .map(|r| StaffLine {
            id: r.id,
            login: r.login.clone(),
            name: r.name.clone(),
            role: Role::parse(&r.role).map_or(r.role.clone(), |x| role_label(st, x).to_string()),
            active: r.status == "active",
            created: fmt_time(r.created_at, &st.ctx.tz),
            // Owners act on colleagues, not on themselves.
            actions: owner && r.id != st.s.staff_id,
        })
        .collect();
    let roles: Vec<(&str, &str)> = ROLES
        .iter()
        .map(|r| (r.as_str(), role_label(st, *r)))
        .collect();
    let page = StaffPage {
        frame: st.frame("settings", title),
        secret: shown.secret,
        rows,
        owner,
        form: FormState::new(st, &shown.form.form_key, shown.error),
        roles: choices(&roles, &shown.form.role),
        values: shown.form,
    };
    st.render(status, &page)
}

/// An account as the list shows it; `actions` when the viewer may reset or disable it.
struct StaffLine {
    id: i64,
    login: String,
    name: String,
    role: String,
    active: bool,
    created: String,
    actions: bool,
}

#[derive(Template)]
#[template(path = "console/staff.html")]
struct StaffPage {
    frame: Frame,
    /// (login, password) shown once after a creation or a reset.
    secret: Option<(String, String)>,
    rows: Vec<StaffLine>,
    /// Owners add colleagues.
    owner: bool,
    form: FormState,
    roles: Vec<Choice>,
    values: NewForm,
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
