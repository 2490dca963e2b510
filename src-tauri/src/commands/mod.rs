pub mod account;
pub mod app;
pub mod connection;
pub mod jobs;
