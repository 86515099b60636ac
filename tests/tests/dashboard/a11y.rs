//! Every page, in three views (desktop 1280 px, phone 360 px, dark desktop): axe-core finds no
//! serious or critical violation, the phone view has no horizontal overflow, and the pictures of
//! the pages are taken. With `TELEGCRM_SCREENSHOTS=1` the pictures and the axe table go into
//! `docs/screenshots/`; otherwise into the target directory, so a test run leaves the tree alone.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::app::*;
use crate::browser::{Browser, View, with_browser};

/// The vendored axe-core (tests/axe/, npm package axe-core).
const AXE: &str = include_str!("../../axe/axe.min.js");
/// Its version.
pub const AXE_VERSION: &str = "4.14.1";

const RUN_AXE: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']})
  .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.length, targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))))
  .catch(e => done({error: String(e)}));
"#;

/// Where pictures and the report go.
pub(crate) fn out_dir() -> PathBuf {
    let dir = if std::env::var("TELEGCRM_SCREENSHOTS").as_deref() == Ok("1") {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots")
    } else {
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots")
    };
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// axe-core's violations on the open page.
pub async fn axe(b: &Browser) -> Vec<Value> {
    if b.js("return typeof window.axe", vec![]).await != "object" {
        b.js(&format!("{AXE}\n;window.axe = axe;"), vec![]).await;
    }
    let v = b.c.execute_async(RUN_AXE, vec![]).await.expect("axe.run");
    assert!(v.get("error").is_none(), "axe failed: {v}");
    v.as_array().cloned().unwrap_or_default()
}

fn serious(violations: &[Value]) -> Vec<&Value> {
    violations.iter().filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical"))).collect()
}

/// The pages of the tour: (file name, path). The sign-in page is taken signed out first.
async fn pages(app: &App) -> Vec<(&'static str, String)> {
    let s = &app.seeded;
    vec![
        ("inbox", "/inbox".to_owned()),
        ("conversation", format!("/conversations/{}", s.ada)),
        ("contacts", "/contacts".to_owned()),
        ("contact", format!("/contacts/{}", s.ada_contact)),
        ("follow-ups", "/follow-ups".to_owned()),
        ("search", "/search?q=invoice".to_owned()),
        ("settings", "/settings".to_owned()),
        ("team", "/team".to_owned()),
        ("mentions", "/mentions".to_owned()),
        ("canned-replies", "/canned-replies".to_owned()),
        ("activity", "/activity".to_owned()),
        ("not-found", format!("/conversations/{}", uuid::Uuid::now_v7())),
    ]
}

/// Seeds what makes every page worth a look: follow-ups (one overdue), tags, a filled contact.
async fn dress(app: &App) {
    crate::followups::seed_followup(app, &app.seeded.ada, "Send the corrected invoice", -45).await;
    crate::followups::seed_followup(app, &app.seeded.chen, "Review the contract draft", 26 * 60).await;
    app.api("POST", &format!("conversations/{}/tags", app.seeded.ada), Some(json!({"tag": "wholesale"}))).await;
    app.api("POST", &format!("conversations/{}/tags", app.seeded.chen), Some(json!({"tag": "contracts"}))).await;
    app.api(
        "PATCH",
        &format!("contacts/{}", app.seeded.ada_contact),
        Some(json!({"company": "Analytical Engines Ltd", "email": "ada@engines.example", "jobTitle": "Head of Purchasing"})),
    )
    .await;
}

/// One row per page: violations (all impacts) and the serious/critical ones.
type Report = Vec<(String, usize, Vec<String>)>;

async fn visit(b: &Browser, name: &str, view: View, suffix: &str, report: &mut Report, overflow: &mut Vec<String>) {
    // Let live updates and fonts settle.
    b.until("the page loaded", || async { (b.js("return document.readyState", vec![]).await == "complete").then_some(()) }).await;
    let v = axe(b).await;
    let bad: Vec<String> = serious(&v)
        .iter()
        .map(|x| {
            format!("{} ({}, {} nodes: {})", x["id"].as_str().unwrap_or(""), x["impact"].as_str().unwrap_or(""), x["nodes"], x["targets"])
        })
        .collect();
    report.push((name.to_owned(), v.len(), bad));
    if view.width < 600 {
        let (scroll, inner) = b.widths().await;
        if scroll > inner {
            overflow.push(format!("{name}: scrollWidth {scroll} > innerWidth {inner}"));
        }
    }
    let png = b.screenshot(true).await;
    assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
    std::fs::write(out_dir().join(format!("{name}-{suffix}.png")), png).unwrap();
}

async fn tour(view: View, suffix: &str) {
    let Some(app) = App::seeded().await else { return };
    dress(&app).await;
    let mut report = Report::new();
    let mut overflow = Vec::new();
    with_browser(&app.s.base, view, async |b: Browser| {
        b.go("/sign-in").await;
        visit(&b, "sign-in", view, suffix, &mut report, &mut overflow).await;
        sign_in_with_key(&b, crate::common::KEY_A).await;
        for (name, path) in pages(&app).await {
            b.go(&path).await;
            visit(&b, name, view, suffix, &mut report, &mut overflow).await;
        }
    })
    .await;
    write_report(suffix, &report);
    let failures: Vec<String> = report.iter().filter(|r| !r.2.is_empty()).map(|r| format!("{}: {}", r.0, r.2.join("; "))).collect();
    assert!(failures.is_empty(), "axe-core serious/critical violations ({suffix}):\n{}", failures.join("\n"));
    assert!(overflow.is_empty(), "horizontal overflow at {} px:\n{}", view.width, overflow.join("\n"));
}

/// Saves this view's results and, once all three views have run, the table in axe-report.md.
fn write_report(suffix: &str, report: &Report) {
    let dir = out_dir();
    let rows: Vec<Value> = report.iter().map(|(p, n, bad)| json!({"page": p, "all": n, "serious": bad})).collect();
    // Written aside and renamed: the three views run at once, and one may read another's file
    // while it is being written.
    let part = dir.join(format!(".axe-{suffix}.json.part"));
    std::fs::write(&part, Value::Array(rows).to_string()).unwrap();
    std::fs::rename(&part, dir.join(format!(".axe-{suffix}.json"))).unwrap();
    let views = ["desktop", "360", "dark"];
    let mut results = Vec::new();
    for v in views {
        let Ok(text) = std::fs::read_to_string(dir.join(format!(".axe-{v}.json"))) else { return };
        results.push(serde_json::from_str::<Value>(&text).unwrap());
    }
    let mut md = format!(
        "# axe-core results per page\n\nWritten by `cargo test -p telegcrm-e2e --test dashboard` (the `a11y` tests) with \
         axe-core {AXE_VERSION}, all rules of its default run. Each cell: serious or critical violations / all violations. \
         The tests fail on any serious or critical one.\n\n| page | desktop 1280 px | 360 px | dark 1280 px |\n|---|---|---|---|\n"
    );
    let names: Vec<String> = results[0].as_array().unwrap().iter().map(|r| r["page"].as_str().unwrap().to_owned()).collect();
    for name in &names {
        let _ = write!(md, "| {name} |");
        for r in &results {
            let row = r.as_array().unwrap().iter().find(|x| x["page"] == name.as_str());
            match row {
                Some(x) => {
                    let _ = write!(md, " {} / {} |", x["serious"].as_array().map_or(0, Vec::len), x["all"]);
                }
                None => md.push_str(" – |"),
            }
        }
        md.push('\n');
    }
    let details: Vec<String> = results
        .iter()
        .zip(views)
        .flat_map(|(r, v)| {
            r.as_array().unwrap().iter().flat_map(move |x| {
                x["serious"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(move |s| format!("- {v}, {}: {}", x["page"].as_str().unwrap(), s.as_str().unwrap()))
            })
        })
        .collect();
    if !details.is_empty() {
        md.push_str("\nSerious and critical violations:\n\n");
        md.push_str(&details.join("\n"));
        md.push('\n');
    }
    std::fs::write(dir.join("axe-report.md"), md).unwrap();
}

#[tokio::test]
async fn every_page_passes_axe_at_1280_px_and_its_picture_is_taken() {
    tour(View::DESKTOP, "desktop").await;
}

#[tokio::test]
async fn every_page_passes_axe_at_360_px_without_horizontal_overflow() {
    tour(View::PHONE, "360").await;
}

#[tokio::test]
async fn every_page_passes_axe_in_the_dark_theme() {
    tour(View::DARK, "dark").await;
}

/// The relative luminance of a CSS `rgb(...)`/`rgba(...)` colour.
fn luminance(css: &str) -> f64 {
    let n: Vec<f64> = css
        .trim_start_matches("rgba(")
        .trim_start_matches("rgb(")
        .trim_end_matches(')')
        .split(',')
        .filter_map(|p| p.trim().parse().ok())
        .collect();
    let lin = |c: f64| {
        let c = c / 255.0;
        if c <= 0.03928 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    };
    0.2126 * lin(n[0]) + 0.7152 * lin(n[1]) + 0.0722 * lin(n[2])
}

#[tokio::test]
async fn the_dark_theme_follows_the_systems_colour_scheme() {
    let Some(app) = App::seeded().await else { return };
    let mut seen = Vec::new();
    for view in [View::DESKTOP, View::DARK] {
        app.as_a(view, async |b| {
            b.go("/inbox").await;
            let colours = b
                .js(
                    "const s = getComputedStyle(document.body); let bg = s.backgroundColor; \
                     if (bg === 'rgba(0, 0, 0, 0)') bg = getComputedStyle(document.documentElement).backgroundColor; \
                     return [bg, s.color, matchMedia('(prefers-color-scheme: dark)').matches]",
                    vec![],
                )
                .await;
            assert_eq!(colours[2], view.dark, "the emulated colour scheme");
            seen.push((luminance(colours[0].as_str().unwrap()), luminance(colours[1].as_str().unwrap())));
        })
        .await;
    }
    let ((light_bg, light_fg), (dark_bg, dark_fg)) = (seen[0], seen[1]);
    assert!(light_bg > 0.6 && light_fg < light_bg, "light: background {light_bg:.2}, text {light_fg:.2}");
    assert!(dark_bg < 0.2 && dark_fg > dark_bg, "dark: background {dark_bg:.2}, text {dark_fg:.2}");
}
