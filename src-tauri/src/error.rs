//! Core errors cross IPC in one shape: `{code, params, message, detail}` (terradesk_core::UserError).

pub type CmdResult<T> = Result<T, terradesk_core::UserError>;
