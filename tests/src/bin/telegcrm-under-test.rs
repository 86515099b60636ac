//! The `telegcrm` program, built alongside the end-to-end tests.

fn main() -> std::process::ExitCode {
    telegcrm_server::run()
}
