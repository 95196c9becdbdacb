//! A fixed SQL text (from `src/sql/*.sql`) with its bind parameters, run as a
//! statement diesel keeps prepared per connection. `sql_query` marks itself
//! unsafe to cache, so PostgreSQL would parse and plan the same text on every
//! call; the posting statements run once per batch, and planning the batch
//! write costs more than running it.

use std::marker::PhantomData;

use diesel::pg::{Pg, PgConnection};
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Untyped};
use diesel::{QueryResult, RunQueryDsl};

/// One bound value and the SQL type it is sent as.
trait Bind: Send {
    fn push<'b>(&'b self, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()>;
}

struct Value<ST, T>(T, PhantomData<fn() -> ST>);

impl<ST, T> Bind for Value<ST, T>
where
    Pg: HasSqlType<ST>,
    T: ToSql<ST, Pg> + Send,
{
    fn push<'b>(&'b self, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_bind_param::<ST, T>(&self.0)
    }
}

/// `sql` uses `$1`, `$2`, …; `bind` supplies them in that order.
pub(crate) struct Prepared<'a> {
    sql: &'static str,
    binds: Vec<Box<dyn Bind + 'a>>,
}

impl<'a> Prepared<'a> {
    pub(crate) fn new(sql: &'static str) -> Self {
        Self { sql, binds: Vec::new() }
    }

    pub(crate) fn bind<ST: 'static, T>(mut self, value: T) -> Self
    where
        Pg: HasSqlType<ST>,
        T: ToSql<ST, Pg> + Send + 'a,
    {
        self.binds.push(Box::new(Value::<ST, T>(value, PhantomData)));
        self
    }
}

impl QueryFragment<Pg> for Prepared<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // the text between placeholders as is; `$n` becomes the n-th bind
        // (diesel numbers binds in the order they are pushed)
        let mut rest = self.sql;
        let mut used = vec![false; self.binds.len()];
        while let Some((text, after)) = rest.split_once('$') {
            out.push_sql(text);
            let digits = after.find(|c: char| !c.is_ascii_digit()).unwrap_or(after.len());
            let (number, tail) = after.split_at(digits);
            let index = number
                .parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1))
                .filter(|i| *i < self.binds.len())
                .ok_or_else(|| diesel::result::Error::QueryBuilderError(format!("no bind for ${number}").into()))?;
            if let (Some(bind), Some(flag)) = (self.binds.get(index), used.get_mut(index)) {
                bind.push(&mut out)?;
                *flag = true;
            }
            rest = tail;
        }
        out.push_sql(rest);
        if used.contains(&false) {
            return Err(diesel::result::Error::QueryBuilderError(
                "a bind has no placeholder".into(),
            ));
        }
        Ok(())
    }
}

impl QueryId for Prepared<'_> {
    type QueryId = ();
    // cached by its SQL text, which never changes
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Prepared<'_> {
    type SqlType = Untyped;
}

impl RunQueryDsl<PgConnection> for Prepared<'_> {}
