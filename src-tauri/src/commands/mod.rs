pub mod account;
pub mod connection;
