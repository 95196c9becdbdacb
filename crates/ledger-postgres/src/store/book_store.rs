//! Ledgers, identities and account groups on PostgreSQL.

use super::*;

impl BookStore for PostgresLedgerStore {
    fn insert_ledger(&self, ledger: &Ledger) -> Result<(), LedgerError> {
        let mut conn = self.conn()?;
        diesel::insert_into(ledgers::table)
            .values(LedgerRow::try_from(ledger)?)
            .execute(&mut conn)
            .map_err(from_diesel)?;
        Ok(())
    }

    fn insert_group(&self, group: &AccountGroup) -> Result<(), LedgerError> {
        let mut conn = self.conn()?;
        diesel::insert_into(account_groups::table)
            .values(GroupRow::try_from(group)?)
            .execute(&mut conn)
            .map_err(from_diesel)?;
        Ok(())
    }

    fn get_group(&self, id: GroupId) -> Result<Option<AccountGroup>, LedgerError> {
        let mut conn = self.conn()?;
        account_groups::table
            .find(id.0)
            .select(GroupRow::as_select())
            .first(&mut conn)
            .optional()
            .map_err(from_diesel)?
            .map(AccountGroup::try_from)
            .transpose()
    }

    fn list_groups(&self, ledger_id: LedgerId, page: &PageRequest) -> Result<Vec<AccountGroup>, LedgerError> {
        let mut conn = self.conn()?;
        let mut q = account_groups::table
            .filter(account_groups::ledger_id.eq(ledger_id.0))
            .select(GroupRow::as_select())
            .order(account_groups::id)
            .limit(limit(page))
            .into_boxed();
        if let Some(after) = page.after {
            q = q.filter(account_groups::id.gt(after));
        }
        q.load(&mut conn)
            .map_err(from_diesel)?
            .into_iter()
            .map(AccountGroup::try_from)
            .collect()
    }

    fn get_ledger(&self, id: LedgerId) -> Result<Option<Ledger>, LedgerError> {
        let mut conn = self.conn()?;
        let ledger = ledgers::table
            .find(id.0)
            .select(LedgerRow::as_select())
            .first(&mut conn)
            .optional()
            .map_err(from_diesel)?
            .map(Ledger::try_from)
            .transpose()?;
        if let Some(l) = &ledger {
            remember(&self.caches.ledgers, id, l.clone());
        }
        Ok(ledger)
    }

    /// From the cache (its fixed fields never change), else from the table.
    fn ledger_head(&self, id: LedgerId) -> Result<Option<Ledger>, LedgerError> {
        if let Some(l) = self.caches.ledgers.read().ok().and_then(|m| m.get(&id).cloned()) {
            return Ok(Some(l));
        }
        self.get_ledger(id)
    }

    fn update_ledger(&self, ledger: &Ledger) -> Result<(), LedgerError> {
        let mut conn = self.conn()?;
        let row = LedgerRow::try_from(ledger)?;
        let updated = diesel::update(ledgers::table.find(ledger.id.0))
            .set((
                ledgers::name.eq(row.name),
                ledgers::description.eq(row.description),
                ledgers::metadata.eq(row.metadata),
            ))
            .execute(&mut conn)
            .map_err(from_diesel)?;
        if updated == 0 {
            return Err(LedgerError::not_found("ledger", ledger.id));
        }
        remember(&self.caches.ledgers, ledger.id, ledger.clone());
        Ok(())
    }

    fn list_ledgers(&self, page: &PageRequest) -> Result<Vec<Ledger>, LedgerError> {
        let mut conn = self.conn()?;
        let mut q = ledgers::table
            .select(LedgerRow::as_select())
            .order(ledgers::id)
            .limit(limit(page))
            .into_boxed();
        if let Some(after) = page.after {
            q = q.filter(ledgers::id.gt(after));
        }
        q.load(&mut conn)
            .map_err(from_diesel)?
            .into_iter()
            .map(Ledger::try_from)
            .collect()
    }

    fn insert_identity(&self, identity: &Identity) -> Result<(), LedgerError> {
        let mut conn = self.conn()?;
        diesel::insert_into(identities::table)
            .values(IdentityRow::try_from(identity)?)
            .execute(&mut conn)
            .map_err(from_diesel)?;
        Ok(())
    }

    fn get_identity(&self, id: IdentityId) -> Result<Option<Identity>, LedgerError> {
        let mut conn = self.conn()?;
        identities::table
            .find(id.0)
            .select(IdentityRow::as_select())
            .first(&mut conn)
            .optional()
            .map_err(from_diesel)?
            .map(Identity::try_from)
            .transpose()
    }

    fn list_identities(&self, f: &IdentityFilter) -> Result<Vec<Identity>, LedgerError> {
        let mut conn = self.conn()?;
        let mut q = identities::table
            .select(IdentityRow::as_select())
            .order(identities::id)
            .limit(limit(&f.page))
            .into_boxed();
        if let Some(after) = f.page.after {
            q = q.filter(identities::id.gt(after));
        }
        if let Some(l) = f.ledger_id {
            q = q.filter(identities::ledger_id.eq(l.0));
        }
        q.load(&mut conn)
            .map_err(from_diesel)?
            .into_iter()
            .map(Identity::try_from)
            .collect()
    }
}
