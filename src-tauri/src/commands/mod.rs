pub mod account;
pub mod app;
pub mod jobs;
