//! (arrives with the Telegram and OASIS adapters)
