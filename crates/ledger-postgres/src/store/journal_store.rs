//! The journal port on PostgreSQL: new postings go through the group-commit
//! `pipeline`; `journal` does locked transitions, reversals, partial posts.

use super::*;

impl JournalStore for PostgresLedgerStore {
    fn write(&self, write: JournalWrite) -> Result<Transaction, LedgerError> {
        match write {
            JournalWrite::Record {
                transaction,
                idempotency,
                overdraft_allowed,
                conditions,
            } => self.record(Posting {
                transaction,
                mark: idempotency,
                overdraft_allowed,
                conditions,
            }),
            JournalWrite::PartialPost { split, idempotency } => {
                self.tx(|conn| journal::partial_post(conn, &split, idempotency.as_ref()))
            }
            JournalWrite::Annotate {
                transaction_id,
                metadata,
            } => self.tx(|conn| {
                let current = journal::load(conn, transaction_id, true)?
                    .ok_or(LedgerError::not_found("transaction", transaction_id))?;
                let next = current.annotated(metadata)?;
                diesel::update(transactions::table.filter(transactions::id.eq(transaction_id.0)))
                    .set(transactions::metadata.eq(crate::rows::metadata_value(next.metadata())?))
                    .execute(conn)?;
                Ok(next)
            }),
            JournalWrite::Transition { transaction_id, to, at } => {
                self.tx(|conn| journal::transition(conn, transaction_id, to, at))
            }
            JournalWrite::Reverse { reversal, idempotency } => {
                self.tx(|conn| journal::reverse(conn, &reversal, idempotency.as_ref()))
            }
        }
    }

    fn get_transaction(&self, id: TransactionId) -> Result<Option<Transaction>, LedgerError> {
        let mut conn = self.conn()?;
        journal::load(&mut conn, id, false).map_err(LedgerError::from)
    }

    fn list_transactions(&self, f: &TransactionFilter) -> Result<Vec<Transaction>, LedgerError> {
        self.tx(|conn| {
            let mut q = transactions::table
                .select(TransactionRow::as_select())
                .order(transactions::id)
                .limit(limit(&f.page))
                .into_boxed();
            if let Some(after) = f.page.after {
                q = q.filter(transactions::id.gt(after));
            }
            if let Some(l) = f.ledger_id {
                q = q.filter(transactions::ledger_id.eq(l.0));
            }
            if let Some(a) = f.account_id {
                q = q.filter(
                    transactions::id.eq_any(
                        entries::table
                            .filter(entries::account_id.eq(a.0))
                            .select(entries::transaction_id),
                    ),
                );
            }
            if let Some(s) = f.status {
                q = q.filter(transactions::status.eq(s.as_str()));
            }
            if let Some(from) = f.effective_from {
                q = q.filter(transactions::effective_at.ge(from));
            }
            if let Some(to) = f.effective_to {
                q = q.filter(transactions::effective_at.lt(to));
            }
            if !f.metadata.is_empty() {
                q = q.filter(transactions::metadata.contains(containment(&f.metadata)));
            }
            if let Some(p) = f.partial_of {
                q = q.filter(transactions::partial_of.eq(p.0));
            }
            let rows = q.load(conn)?;
            Self::transactions_with_entries(conn, rows)
        })
    }

    fn find_transaction_by_external_id(
        &self,
        ledger_id: LedgerId,
        external_id: &str,
    ) -> Result<Option<Transaction>, LedgerError> {
        self.tx(|conn| {
            // the pending or posted one first (unique), else the latest archived
            let row: Option<TransactionRow> = transactions::table
                .filter(transactions::ledger_id.eq(ledger_id.0))
                .filter(transactions::external_id.eq(external_id))
                .order((
                    diesel::dsl::sql::<diesel::sql_types::Bool>("status = 'archived'"),
                    transactions::id.desc(),
                ))
                .select(TransactionRow::as_select())
                .first(conn)
                .optional()?;
            Ok(Self::transactions_with_entries(conn, row.into_iter().collect())?.pop())
        })
    }
}
