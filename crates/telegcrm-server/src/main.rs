//! The `telegcrm` binary.

fn main() -> std::process::ExitCode {
    telegcrm_server::run()
}
