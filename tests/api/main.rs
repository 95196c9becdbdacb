//! End-to-end tests: the real server on port 0, a real PostgreSQL, a fresh
//! database per test (dropped afterwards). One test binary, modules by topic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod access;
mod blnk;
mod docs;
mod errors;
mod findings;
mod flows;
mod helpers;
mod idempotency;
mod keys;
mod limits;
mod outage;
