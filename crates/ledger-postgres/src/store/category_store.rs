//! Categories on PostgreSQL: members, the cycle check, aggregate accounts.

use super::*;

impl CategoryStore for PostgresLedgerStore {
    fn insert_category(&self, category: &Category) -> Result<(), LedgerError> {
        let mut conn = self.conn()?;
        diesel::insert_into(categories::table)
            .values(CategoryRow::try_from(category)?)
            .execute(&mut conn)
            .map_err(from_diesel)?;
        Ok(())
    }

    fn get_category(&self, id: CategoryId) -> Result<Option<Category>, LedgerError> {
        let mut conn = self.conn()?;
        categories::table
            .find(id.0)
            .select(CategoryRow::as_select())
            .first(&mut conn)
            .optional()
            .map_err(from_diesel)?
            .map(Category::try_from)
            .transpose()
    }

    fn list_categories(&self, ledger_id: LedgerId, page: &PageRequest) -> Result<Vec<Category>, LedgerError> {
        let mut conn = self.conn()?;
        let mut q = categories::table
            .filter(categories::ledger_id.eq(ledger_id.0))
            .select(CategoryRow::as_select())
            .order(categories::id)
            .limit(limit(page))
            .into_boxed();
        if let Some(after) = page.after {
            q = q.filter(categories::id.gt(after));
        }
        q.load(&mut conn)
            .map_err(from_diesel)?
            .into_iter()
            .map(Category::try_from)
            .collect()
    }

    fn remove_category_member(&self, category: CategoryId, member: CategoryMember) -> Result<(), LedgerError> {
        self.tx(|conn| {
            categories::table
                .find(category.0)
                .select(categories::id)
                .first::<Uuid>(conn)
                .optional()?
                .ok_or(LedgerError::not_found("category", category))?;
            let rows = category_members::table.filter(category_members::category_id.eq(category.0));
            match member {
                CategoryMember::Account(a) => {
                    diesel::delete(rows.filter(category_members::member_account_id.eq(a.0))).execute(conn)?
                }
                CategoryMember::Category(c) => {
                    diesel::delete(rows.filter(category_members::member_category_id.eq(c.0))).execute(conn)?
                }
            };
            Ok(())
        })
    }

    fn add_category_member(&self, category: CategoryId, member: CategoryMember) -> Result<(), LedgerError> {
        self.tx(|conn| {
            let ledger_id: Uuid = categories::table
                .find(category.0)
                .select(categories::ledger_id)
                .first(conn)
                .optional()?
                .ok_or(LedgerError::not_found("category", category))?;
            // One writer of a ledger's category graph at a time, so the cycle check
            // sees every edge (postings never take this lock).
            sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))")
                .bind::<Text, _>(ledger_id.to_string())
                .execute(conn)?;
            let (account, child) = match member {
                CategoryMember::Account(a) => (Some(a.0), None),
                CategoryMember::Category(c) => (None, Some(c.0)),
            };
            if let Some(child) = child {
                let edges: Vec<(Uuid, Option<Uuid>)> = category_members::table
                    .inner_join(categories::table.on(categories::id.eq(category_members::category_id)))
                    .filter(categories::ledger_id.eq(ledger_id))
                    .filter(category_members::member_category_id.is_not_null())
                    .select((category_members::category_id, category_members::member_category_id))
                    .load(conn)?;
                let subs = |id: CategoryId| -> Vec<CategoryId> {
                    edges
                        .iter()
                        .filter(|(parent, _)| *parent == id.0)
                        .filter_map(|(_, c)| c.map(CategoryId))
                        .collect()
                };
                if creates_cycle(category, CategoryId(child), subs) {
                    return Err(LedgerError::validation("member", "adding this category would create a cycle").into());
                }
            }
            diesel::insert_into(category_members::table)
                .values((
                    category_members::category_id.eq(category.0),
                    category_members::member_account_id.eq(account),
                    category_members::member_category_id.eq(child),
                ))
                .on_conflict_do_nothing()
                .execute(conn)?;
            Ok(())
        })
    }

    fn category_members(&self, category: CategoryId) -> Result<Vec<CategoryMember>, LedgerError> {
        let mut conn = self.conn()?;
        let rows: Vec<(Option<Uuid>, Option<Uuid>)> = category_members::table
            .filter(category_members::category_id.eq(category.0))
            .order(category_members::position)
            .select((
                category_members::member_account_id,
                category_members::member_category_id,
            ))
            .load(&mut conn)
            .map_err(from_diesel)?;
        rows.into_iter()
            .map(|r| match r {
                (Some(a), None) => Ok(CategoryMember::Account(AccountId(a))),
                (None, Some(c)) => Ok(CategoryMember::Category(CategoryId(c))),
                _ => Err(corrupt("category member", "both or neither")),
            })
            .collect()
    }

    fn category_accounts(&self, category: CategoryId) -> Result<Vec<Account>, LedgerError> {
        let ids: Vec<IdRow> = {
            let mut conn = self.conn()?;
            sql_query(
                "WITH RECURSIVE tree(id) AS ( \
                    SELECT $1::uuid \
                    UNION SELECT m.member_category_id FROM category_members m JOIN tree ON m.category_id = tree.id \
                          WHERE m.member_category_id IS NOT NULL) \
                 SELECT DISTINCT member_account_id AS id FROM category_members \
                 WHERE category_id IN (SELECT id FROM tree) AND member_account_id IS NOT NULL",
            )
            .bind::<SqlUuid, _>(category.0)
            .load(&mut conn)
            .map_err(from_diesel)?
        };
        let ids: Vec<AccountId> = ids.into_iter().map(|r| AccountId(r.id)).collect();
        Ok(self.get_accounts(&ids)?.into_values().collect())
    }
}
