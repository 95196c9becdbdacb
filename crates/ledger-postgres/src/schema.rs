// @generated automatically by Diesel CLI.

diesel::table! {
    account_day_sums (account_id, day) {
        account_id -> Uuid,
        day -> Date,
        posted_debits -> Numeric,
        posted_credits -> Numeric,
        pending_debits -> Numeric,
        pending_credits -> Numeric,
    }
}

diesel::table! {
    account_groups (id) {
        id -> Uuid,
        ledger_id -> Uuid,
        name -> Text,
        metadata -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    account_balances (account_id, shard) {
        account_id -> Uuid,
        shard -> Int2,
        posted_debits -> Numeric,
        posted_credits -> Numeric,
        pending_debits -> Numeric,
        pending_credits -> Numeric,
        version -> Int8,
    }
}

diesel::table! {
    account_statements (id) {
        id -> Uuid,
        account_id -> Uuid,
        ledger_id -> Uuid,
        effective_from -> Timestamptz,
        effective_to -> Timestamptz,
        starting -> Jsonb,
        ending -> Jsonb,
        account_version -> Int8,
        description -> Nullable<Text>,
        metadata -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    accounts (id) {
        id -> Uuid,
        ledger_id -> Uuid,
        name -> Text,
        code -> Nullable<Text>,
        kind -> Text,
        normal_balance -> Text,
        currency -> Text,
        identity_id -> Nullable<Uuid>,
        overdraft_limit -> Nullable<Numeric>,
        metadata -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Uuid,
        name -> Text,
        prefix -> Text,
        key_hash -> Text,
        scope -> Text,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    categories (id) {
        id -> Uuid,
        ledger_id -> Uuid,
        name -> Text,
        description -> Nullable<Text>,
        currency -> Text,
        normal_balance -> Text,
        metadata -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    category_members (position) {
        category_id -> Uuid,
        position -> Int8,
        member_account_id -> Nullable<Uuid>,
        member_category_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    entries (transaction_id, line) {
        transaction_id -> Uuid,
        line -> Int4,
        account_id -> Uuid,
        direction -> Text,
        amount -> Numeric,
        currency -> Text,
        effective_at -> Timestamptz,
        account_version -> Nullable<Int8>,
    }
}

diesel::table! {
    idempotency_keys (api_key_id, key) {
        api_key_id -> Uuid,
        key -> Text,
        request_hash -> Text,
        response_status -> Nullable<Int4>,
        response_kind -> Nullable<Text>,
        response_body -> Nullable<Jsonb>,
        created_at -> Timestamptz,
        claim_token -> Uuid,
        lease_until -> Timestamptz,
    }
}

diesel::table! {
    identities (id) {
        id -> Uuid,
        ledger_id -> Uuid,
        kind -> Text,
        first_name -> Nullable<Text>,
        last_name -> Nullable<Text>,
        organization_name -> Nullable<Text>,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        metadata -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    ledgers (id) {
        id -> Uuid,
        name -> Text,
        description -> Nullable<Text>,
        metadata -> Jsonb,
        withdrawal_fee_rate -> Numeric,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    transactions (id) {
        id -> Uuid,
        ledger_id -> Uuid,
        status -> Text,
        description -> Nullable<Text>,
        metadata -> Jsonb,
        effective_at -> Timestamptz,
        external_id -> Nullable<Text>,
        reverses_id -> Nullable<Uuid>,
        reversed_by_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
        posted_at -> Nullable<Timestamptz>,
        partial_of -> Nullable<Uuid>,
    }
}

diesel::joinable!(account_balances -> accounts (account_id));
diesel::joinable!(account_day_sums -> accounts (account_id));
diesel::joinable!(account_groups -> ledgers (ledger_id));
diesel::joinable!(account_statements -> accounts (account_id));
diesel::joinable!(account_statements -> ledgers (ledger_id));
diesel::joinable!(accounts -> identities (identity_id));
diesel::joinable!(accounts -> ledgers (ledger_id));
diesel::joinable!(categories -> ledgers (ledger_id));
diesel::joinable!(category_members -> accounts (member_account_id));
diesel::joinable!(entries -> accounts (account_id));
diesel::joinable!(entries -> transactions (transaction_id));
diesel::joinable!(idempotency_keys -> api_keys (api_key_id));
diesel::joinable!(identities -> ledgers (ledger_id));
diesel::joinable!(transactions -> ledgers (ledger_id));

diesel::allow_tables_to_appear_in_same_query!(
    account_balances,
    account_day_sums,
    account_groups,
    account_statements,
    accounts,
    api_keys,
    categories,
    category_members,
    entries,
    idempotency_keys,
    identities,
    ledgers,
    transactions,
);
