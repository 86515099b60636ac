//! The test kit's fake Telegram Bot API and fake OASIS API as a program, for tests that drive a
//! separately started `telegcrm` (the schemathesis run of `cargo xtask test`).
//!
//! Prints the settings that point a server at them, one `NAME=value` a line (with an OASIS JWT
//! secret and a token it signed for the avatar given as the first argument, valid for a day),
//! then serves until its standard input closes (so it never outlives the process that started it).
#![allow(clippy::print_stdout)]

use std::io::{Read, Write};

use telegcrm_testkit::fake_oasis::{FakeAvatar, FakeOasis, sign_hs256};
use telegcrm_testkit::fake_telegram::FakeTelegram;

fn main() -> std::process::ExitCode {
    let avatar = std::env::args().nth(1).unwrap_or_default();
    let secret = format!("fakes-jwt-secret-{}", uuid::Uuid::new_v4().simple());
    let exp = chrono::Utc::now().timestamp() + 24 * 3600;
    let jwt = sign_hs256(&secret, &serde_json::json!({ "id": avatar, "exp": exp }));
    let telegram = FakeTelegram::start();
    let oasis = FakeOasis::start(vec![FakeAvatar::new("ada", "Ada", "Lovelace")]);
    let mut out = std::io::stdout().lock();
    let printed = writeln!(
        out,
        "TELEGRAM_API_URL={}\nTELEGRAM_BOT_TOKEN={}\nOASIS_API_URL={}\nOASIS_JWT_SECRET={secret}\nJWT={jwt}\n",
        telegram.api_url(),
        telegram.token(),
        oasis.url()
    )
    .and_then(|()| out.flush());
    if printed.is_err() {
        return std::process::ExitCode::FAILURE;
    }
    drop(out);
    // Serve until whoever started us closes our standard input (or dies).
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    drop((telegram, oasis));
    std::process::ExitCode::SUCCESS
}
