//! Deep-link ownership on the Telegram side: reading the code of `/start <code>`. The linking
//! rules (single use, expiry, moving a link) are the service's
//! (`telegcrm_domain::CrmService::redeem_link_code`).

/// The code of a `/start <code>` (or `/start@bot <code>`) command, if the text is one.
pub fn start_code(text: &str) -> Option<&str> {
    let rest = text.trim().strip_prefix("/start")?;
    let rest = match rest.strip_prefix('@') {
        Some(with_bot) => with_bot.split_once(char::is_whitespace).map_or("", |(_, r)| r),
        None if rest.starts_with(char::is_whitespace) => rest,
        None => return None,
    };
    let code = rest.trim();
    (!code.is_empty() && !code.contains(char::is_whitespace)).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_code_reads_the_deep_link_payload() {
        assert_eq!(start_code("/start abc123"), Some("abc123"));
        assert_eq!(start_code("/start@telegcrm_bot abc123"), Some("abc123"));
        assert_eq!(start_code("/start"), None);
        assert_eq!(start_code("/started abc"), None);
        assert_eq!(start_code("hello /start abc"), None);
        assert_eq!(start_code("/start a b"), None);
    }
}
