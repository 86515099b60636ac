//! `/`, `/sign-in` and `/sign-out`.

use std::time::Instant;

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use telegcrm_oasis::OasisError;

use crate::session::{COOKIE, IDLE};
use crate::web::{Dash, Fields, Layout, PageError, posted, render, see_other, session};

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    layout: Layout,
    error: Option<String>,
    username: String,
    oasis: bool,
}

/// GET /: the inbox when signed in, else the sign-in page.
pub async fn root(dash: Dash, req: HttpRequest) -> HttpResponse {
    if session(&dash, &req).is_some() { see_other("/inbox") } else { see_other("/sign-in") }
}

/// GET /sign-in
pub async fn page(dash: Dash, req: HttpRequest) -> Result<HttpResponse, PageError> {
    if session(&dash, &req).is_some() {
        return Ok(see_other("/inbox"));
    }
    render(StatusCode::OK, &SignInPage { layout: Layout::signed_out(), error: None, username: String::new(), oasis: dash.oasis.is_some() })
}

fn refuse(dash: &Dash, status: StatusCode, error: String, username: &str) -> Result<HttpResponse, PageError> {
    render(
        status,
        &SignInPage { layout: Layout::signed_out(), error: Some(error), username: username.to_owned(), oasis: dash.oasis.is_some() },
    )
}

/// POST /sign-in: by API key (field `api_key`) or by OASIS username and password.
pub async fn submit(dash: Dash, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, PageError> {
    let f = Fields::parse(&body);
    let ip = req.peer_addr().map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string());
    let by_key = f.get("api_key");
    let username = f.get("username").unwrap_or("").to_owned();
    let mut keys = vec![format!("ip:{ip}")];
    if by_key.is_none() && !username.is_empty() {
        keys.push(format!("user:{}", username.to_lowercase()));
    }
    let now = Instant::now();
    if let Err(wait) = dash.throttle.check(&keys, now) {
        return refuse(&dash, StatusCode::TOO_MANY_REQUESTS, format!("Too many attempts, try again in {} s", wait.as_secs()), &username);
    }
    let avatar = if let Some(key) = by_key {
        match dash.host.api_key_avatar(key) {
            Some(a) => a,
            None => {
                dash.throttle.fail(&keys, now);
                return refuse(&dash, StatusCode::UNAUTHORIZED, "Wrong API key".into(), "");
            }
        }
    } else {
        let password = f.raw("password");
        if username.is_empty() || password.is_empty() {
            return refuse(&dash, StatusCode::BAD_REQUEST, "Enter your OASIS username and password, or an API key".into(), &username);
        }
        let Some(oasis) = &dash.oasis else {
            return refuse(
                &dash,
                StatusCode::BAD_REQUEST,
                "Password sign-in is not configured on this server (OASIS_API_URL); use an API key".into(),
                &username,
            );
        };
        match oasis.authenticate(&username, password).await {
            Ok(avatar) => match avatar.jwt_token.as_deref().and_then(|t| dash.host.jwt_avatar(t)) {
                Some(a) => a,
                None => {
                    tracing::warn!("OASIS accepted a password but its token did not verify (check OASIS_JWT_SECRET)");
                    return refuse(
                        &dash,
                        StatusCode::UNAUTHORIZED,
                        "OASIS signed you in, but this server cannot verify OASIS tokens (check OASIS_JWT_SECRET)".into(),
                        &username,
                    );
                }
            },
            Err(OasisError::Rejected(_)) => {
                dash.throttle.fail(&keys, now);
                return refuse(&dash, StatusCode::UNAUTHORIZED, "Wrong username or password".into(), &username);
            }
            Err(e) => {
                tracing::warn!(error = %e, "OASIS sign-in failed");
                return refuse(&dash, StatusCode::BAD_GATEWAY, format!("Cannot reach OASIS to check the password: {e}"), &username);
            }
        }
    };
    dash.throttle.succeed(&keys);
    let s = dash.sessions.create(avatar, now);
    let cookie = Cookie::build(COOKIE, s.id)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(dash.cookie_secure)
        .max_age(CookieDuration::seconds(IDLE.as_secs() as i64))
        .finish();
    let mut res = see_other("/inbox");
    res.add_cookie(&cookie).map_err(|e| PageError::Internal(None, e.to_string()))?;
    Ok(res)
}

/// POST /sign-out
pub async fn sign_out(dash: Dash, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, PageError> {
    let (ctx, _) = posted(&dash, &req, &body).await?;
    dash.sessions.remove(&ctx.session.id);
    let mut gone = Cookie::build(COOKIE, "").path("/").http_only(true).same_site(SameSite::Lax).secure(dash.cookie_secure).finish();
    gone.make_removal();
    let mut res = see_other("/sign-in");
    res.add_cookie(&gone).map_err(|e| PageError::Internal(None, e.to_string()))?;
    super::team::forget_workspace(&dash, &mut res).map_err(|e| PageError::Internal(None, e))?;
    Ok(res)
}
