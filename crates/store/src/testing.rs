//! Helpers for tests that need a real database (used by this crate's and the server's tests).

use uuid::Uuid;

/// The environment variable naming the PostgreSQL server tests use, e.g.
/// `postgres://postgres@127.0.0.1:5432/test`. When it is set, PostgreSQL tests must run and fail if the
/// server is unreachable; when it is not, they are skipped with a message.
pub const PG_URL_VAR: &str = "VOLTPASS_TEST_PG_URL";

/// Creates an empty database for one test and returns its URL, or `None` when no server is configured.
pub async fn fresh_postgres_url() -> Option<String> {
    let base = match std::env::var(PG_URL_VAR) {
        Ok(url) if !url.is_empty() => url,
        _ => {
            eprintln!("{PG_URL_VAR} is not set: skipping a PostgreSQL test");
            return None;
        }
    };
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("{PG_URL_VAR}={base} is set but PostgreSQL is unreachable: {e}"));
    let name = format!("voltpass_test_{}", Uuid::now_v7().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
    let (prefix, _) = base.rsplit_once('/').expect("a PostgreSQL URL ends in /DATABASE");
    Some(format!("{prefix}/{name}"))
}

/// A fresh SQLite file in a new temporary directory (kept until the process exits).
pub fn fresh_sqlite_url() -> String {
    let dir = std::env::temp_dir().join(format!("voltpass-test-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    format!("sqlite://{}", dir.join("voltpass.db").display())
}

/// Takes the PostgreSQL database at `url` away for `outage`, as a restart would for its clients: closes it to new
/// connections, terminates every session on it, waits, and opens it again.
pub async fn interrupt_postgres(url: &str, outage: std::time::Duration) {
    use sqlx::Connection;
    let base = std::env::var(PG_URL_VAR).expect("an interruption needs the PostgreSQL test URL");
    let database = url.rsplit('/').next().expect("a database URL names its database").to_string();
    let mut admin = sqlx::PgConnection::connect(&base).await.expect("connect as the test admin");
    let alter = |open: bool| sqlx::AssertSqlSafe(format!("ALTER DATABASE {database} ALLOW_CONNECTIONS {open}"));
    sqlx::query(alter(false)).execute(&mut admin).await.expect("close the database to connections");
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
        .bind(&database)
        .execute(&mut admin)
        .await
        .expect("terminate the sessions");
    tokio::time::sleep(outage).await;
    sqlx::query(alter(true)).execute(&mut admin).await.expect("open the database again");
}
