//! Accounts, login failures and lockout, password changes, refresh-token sessions, integrator
//! API tokens: on every store.

use api::domain::account::{ApiToken, Principal};
use api::domain::audit::AuditQuery;
use api::store::{CommonStore, ConflictKind, RefreshGrant, RefreshUse, StoreError};
use chrono::{Duration, SubsecRound, Utc};
use shared::dto::auth::{ExtractGrant, Role, Scope};

use crate::data::{account, date, draft};
use crate::harness::{Fresh, CENTER, CENTER_MUNICIPALITY};

common_story!(
    an_account_is_created_found_and_listed,
    a_username_is_taken_once_whatever_its_case_and_matched_without_case,
    failed_logins_lock_the_account_at_the_threshold_and_a_success_resets,
    disabling_an_account_ends_its_sessions_and_passwords_change_in_place,
    a_password_change_ends_every_session_and_commits_with_its_audit_row,
    a_refresh_token_rotates_once_and_its_reuse_revokes_the_session,
    expired_unknown_and_revoked_refresh_tokens_are_invalid,
    api_tokens_are_found_by_hash_listed_and_revoked,
);

async fn an_account_is_created_found_and_listed(store: Fresh<dyn CommonStore>) {
    let new = account("alice", Role::CenterStaff, Scope::Center(CENTER.into()));
    let alice = store.create_account(&new, draft("create_account")).await.unwrap();
    assert!(alice.id > 0);
    assert_eq!(
        (
            alice.username.as_str(),
            alice.display_name.as_str(),
            alice.password_hash.as_str()
        ),
        (
            new.username.as_str(),
            new.display_name.as_str(),
            new.password_hash.as_str()
        )
    );
    assert_eq!((alice.role, &alice.scope), (Role::CenterStaff, &new.scope));
    assert_eq!(
        (alice.disabled, alice.failed_logins, alice.locked_until),
        (false, 0, None)
    );

    // Every scope shape survives the round trip.
    let city = store
        .create_account(
            &account(
                "city",
                Role::Municipality,
                Scope::Municipality(CENTER_MUNICIPALITY.into()),
            ),
            draft("create_account"),
        )
        .await
        .unwrap();
    let pref = store
        .create_account(
            &account("pref", Role::Prefecture, Scope::Prefecture),
            draft("create_account"),
        )
        .await
        .unwrap();
    assert_eq!(city.scope, Scope::Municipality(CENTER_MUNICIPALITY.into()));
    assert_eq!((pref.role, &pref.scope), (Role::Prefecture, &Scope::Prefecture));

    let found = store.find_account("alice").await.unwrap().expect("found");
    assert_eq!(found.id, alice.id);
    assert_eq!(found.scope, alice.scope);
    assert!(store.find_account("nobody").await.unwrap().is_none());
    assert_eq!(store.account(city.id).await.unwrap().username, "city");
    assert!(matches!(
        store.account(pref.id + 1000).await,
        Err(StoreError::NotFound)
    ));

    let listed: Vec<String> = store
        .accounts()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.username)
        .collect();
    assert_eq!(listed, ["alice", "city", "pref"], "in order of creation");
}

/// How many audit rows there are of `action`.
async fn rows_of(store: &dyn CommonStore, action: &str) -> usize {
    store
        .audit(&AuditQuery {
            action_prefix: Some(action.into()),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .len()
}

async fn a_username_is_taken_once_whatever_its_case_and_matched_without_case(store: Fresh<dyn CommonStore>) {
    let alice = store
        .create_account(
            &account("alice", Role::CenterStaff, Scope::Center(CENTER.into())),
            draft("create_account"),
        )
        .await
        .unwrap();
    // Usernames are case-insensitive (migration 0017; they are ASCII, `check_username`): the
    // same name in another case is the same name, taken. A SQL Server store gets this from a
    // case-insensitive collation or an index on the folded name.
    for taken in ["alice", "ALICE", "Alice"] {
        let err = store
            .create_account(
                &account(taken, Role::Prefecture, Scope::Prefecture),
                draft("create_account"),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Conflict(ConflictKind::Username)),
            "{taken}: {err:?}"
        );
    }
    assert_eq!(store.accounts().await.unwrap().len(), 1);
    // A refused create appends no audit row.
    assert_eq!(rows_of(&*store, "create_account").await, 1);

    // Found in any case, and kept as it was created.
    for asked in ["alice", "ALICE", "aLiCe"] {
        let found = store.find_account(asked).await.unwrap().expect(asked);
        assert_eq!(
            (found.id, found.username.as_str()),
            (alice.id, "alice"),
            "{asked}"
        );
    }
    // Only case folds: a trailing space or another name is no match.
    assert!(store.find_account("alice ").await.unwrap().is_none());
    assert!(store.find_account("alicia").await.unwrap().is_none());
}

async fn failed_logins_lock_the_account_at_the_threshold_and_a_success_resets(store: Fresh<dyn CommonStore>) {
    let id = store
        .create_account(
            &account("bob", Role::CenterStaff, Scope::Center(CENTER.into())),
            draft("create_account"),
        )
        .await
        .unwrap()
        .id;
    let until = (Utc::now() + Duration::minutes(15)).trunc_subsecs(6);
    let now = Utc::now();

    let first = store.record_login_failure(id, 3, until).await.unwrap();
    assert_eq!((first.failed_logins, first.locked_until), (1, None));
    let second = store.record_login_failure(id, 3, until).await.unwrap();
    assert_eq!((second.failed_logins, second.locked_until), (2, None));
    // The third reaches the threshold: locked until `until`, and the count starts again.
    let third = store.record_login_failure(id, 3, until).await.unwrap();
    assert_eq!(third.locked_until, Some(until));
    assert_eq!(third.failed_logins, 0);
    assert!(third.is_locked(now));
    assert_eq!(store.account(id).await.unwrap().locked_until, Some(until));

    store.unlock_account(id, draft("unlock_account")).await.unwrap();
    let unlocked = store.account(id).await.unwrap();
    assert_eq!((unlocked.failed_logins, unlocked.locked_until), (0, None));

    store.record_login_failure(id, 3, until).await.unwrap();
    store.record_login_failure(id, 3, until).await.unwrap();
    store.record_login_success(id).await.unwrap();
    let reset = store.account(id).await.unwrap();
    assert_eq!((reset.failed_logins, reset.locked_until), (0, None));
    // After a success, two more failures do not lock: the count started again.
    store.record_login_failure(id, 3, until).await.unwrap();
    let after = store.record_login_failure(id, 3, until).await.unwrap();
    assert_eq!((after.failed_logins, after.locked_until), (2, None));
}

async fn disabling_an_account_ends_its_sessions_and_passwords_change_in_place(store: Fresh<dyn CommonStore>) {
    let carol = store
        .create_account(
            &account("carol", Role::CenterAdmin, Scope::Center(CENTER.into())),
            draft("create_account"),
        )
        .await
        .unwrap();
    let grant = RefreshGrant {
        token_hash: "hash-carol-1".into(),
        account_id: carol.id,
        session: "session-carol".into(),
        expires_at: Utc::now() + Duration::hours(12),
    };
    store.insert_refresh(&grant).await.unwrap();
    assert!(store
        .session_principal("session-carol", carol.id)
        .await
        .unwrap()
        .is_some());

    store
        .set_account_disabled(carol.id, true, draft("set_account_disabled"))
        .await
        .unwrap();
    assert!(store.account(carol.id).await.unwrap().disabled);
    assert_eq!(
        store.session_principal("session-carol", carol.id).await.unwrap(),
        None
    );
    // Enabled again, the old session stays ended.
    store
        .set_account_disabled(carol.id, false, draft("set_account_disabled"))
        .await
        .unwrap();
    assert!(!store.account(carol.id).await.unwrap().disabled);
    assert_eq!(
        store.session_principal("session-carol", carol.id).await.unwrap(),
        None
    );
    assert!(matches!(
        store.use_refresh("hash-carol-1", Utc::now()).await.unwrap(),
        RefreshUse::Invalid
    ));

    store.set_password(carol.id, "$argon2id$new").await.unwrap();
    assert_eq!(
        store.account(carol.id).await.unwrap().password_hash,
        "$argon2id$new"
    );
    assert_eq!(store.accounts().await.unwrap().len(), 1);

    let missing = carol.id + 1000;
    assert!(matches!(
        store
            .set_account_disabled(missing, true, draft("set_account_disabled"))
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.set_password(missing, "x").await,
        Err(StoreError::NotFound)
    ));
}

async fn a_password_change_ends_every_session_and_commits_with_its_audit_row(store: Fresh<dyn CommonStore>) {
    let frank = store
        .create_account(
            &account("frank", Role::CenterStaff, Scope::Center(CENTER.into())),
            draft("create_account"),
        )
        .await
        .unwrap();
    assert!(!frank.must_change_password);
    let until = Utc::now() + Duration::minutes(15);
    store.record_login_failure(frank.id, 5, until).await.unwrap();
    let grant = |hash: &str, session: &str| RefreshGrant {
        token_hash: hash.into(),
        account_id: frank.id,
        session: session.into(),
        expires_at: Utc::now() + Duration::hours(12),
    };
    store
        .insert_refresh(&grant("hash-frank-1", "session-frank-1"))
        .await
        .unwrap();
    store
        .insert_refresh(&grant("hash-frank-2", "session-frank-2"))
        .await
        .unwrap();
    // An administrator's reset: the new hash, the forced change, failures forgotten.
    store
        .change_password(frank.id, "$argon2id$reset", true, draft("change_password"))
        .await
        .unwrap();
    let reset = store.account(frank.id).await.unwrap();
    assert_eq!(reset.password_hash, "$argon2id$reset");
    assert!(reset.must_change_password);
    assert_eq!((reset.failed_logins, reset.locked_until), (0, None));
    // Every session ended, with its refresh tokens.
    for (hash, session) in [
        ("hash-frank-1", "session-frank-1"),
        ("hash-frank-2", "session-frank-2"),
    ] {
        assert_eq!(store.session_principal(session, frank.id).await.unwrap(), None);
        assert!(matches!(
            store.use_refresh(hash, Utc::now()).await.unwrap(),
            RefreshUse::Invalid
        ));
    }
    assert_eq!(
        rows_of(&*store, "change_password").await,
        1,
        "the row committed with the change"
    );

    // A session begun afterwards lives; the account's own change clears the forced change
    // and ends that session too.
    store
        .insert_refresh(&grant("hash-frank-3", "session-frank-3"))
        .await
        .unwrap();
    assert!(store
        .session_principal("session-frank-3", frank.id)
        .await
        .unwrap()
        .is_some());
    store
        .change_password(frank.id, "$argon2id$own", false, draft("change_password"))
        .await
        .unwrap();
    let own = store.account(frank.id).await.unwrap();
    assert_eq!(
        (own.password_hash.as_str(), own.must_change_password),
        ("$argon2id$own", false)
    );
    assert_eq!(
        store
            .session_principal("session-frank-3", frank.id)
            .await
            .unwrap(),
        None
    );
    assert_eq!(rows_of(&*store, "change_password").await, 2);

    // No such account: nothing written, no row.
    assert!(matches!(
        store
            .change_password(frank.id + 1000, "$argon2id$x", false, draft("change_password"))
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(rows_of(&*store, "change_password").await, 2);
}

async fn a_refresh_token_rotates_once_and_its_reuse_revokes_the_session(store: Fresh<dyn CommonStore>) {
    let dave = store
        .create_account(
            &account("dave", Role::CenterStaff, Scope::Center(CENTER.into())),
            draft("create_account"),
        )
        .await
        .unwrap();
    let other = store
        .create_account(
            &account("erin", Role::Prefecture, Scope::Prefecture),
            draft("create_account"),
        )
        .await
        .unwrap();
    let now = Utc::now().trunc_subsecs(6);
    let grant = |hash: &str| RefreshGrant {
        token_hash: hash.into(),
        account_id: dave.id,
        session: "session-dave".into(),
        expires_at: now + Duration::hours(12),
    };
    store.insert_refresh(&grant("hash-1")).await.unwrap();

    assert_eq!(
        store.session_principal("session-dave", dave.id).await.unwrap(),
        Some(Principal {
            account_id: Some(dave.id),
            api_token_id: None,
            name: "dave".into(),
            role: Role::CenterStaff,
            scope: Scope::Center(CENTER.into()),
            session: Some("session-dave".into()),
        })
    );
    assert_eq!(
        store.session_principal("session-dave", other.id).await.unwrap(),
        None,
        "a session is its own account's"
    );

    match store.use_refresh("hash-1", now).await.unwrap() {
        RefreshUse::Rotated { account, session } => {
            assert_eq!((account.id, session.as_str()), (dave.id, "session-dave"));
        }
        other => panic!("a fresh token rotates: {other:?}"),
    }
    // The rotation's successor, in the same session.
    store.insert_refresh(&grant("hash-2")).await.unwrap();
    assert!(matches!(
        store.use_refresh("hash-2", now).await.unwrap(),
        RefreshUse::Rotated { .. }
    ));

    // Presenting the spent token again: theft. The whole session ends.
    assert!(matches!(
        store.use_refresh("hash-1", now).await.unwrap(),
        RefreshUse::Reused
    ));
    assert_eq!(
        store.session_principal("session-dave", dave.id).await.unwrap(),
        None
    );
    store.insert_refresh(&grant("hash-3")).await.unwrap();
    assert!(
        matches!(
            store.use_refresh("hash-3", now).await.unwrap(),
            RefreshUse::Invalid
        ),
        "a token of a revoked session is worthless"
    );
}

async fn expired_unknown_and_revoked_refresh_tokens_are_invalid(store: Fresh<dyn CommonStore>) {
    let frank = store
        .create_account(
            &account("frank", Role::CenterStaff, Scope::Center(CENTER.into())),
            draft("create_account"),
        )
        .await
        .unwrap();
    let now = Utc::now().trunc_subsecs(6);
    let expires_at = now + Duration::hours(1);
    for (hash, session) in [("hash-a", "session-a"), ("hash-b", "session-b")] {
        store
            .insert_refresh(&RefreshGrant {
                token_hash: hash.into(),
                account_id: frank.id,
                session: session.into(),
                expires_at,
            })
            .await
            .unwrap();
    }
    // At its expiry a token is no longer good, nor after.
    assert!(matches!(
        store.use_refresh("hash-a", expires_at).await.unwrap(),
        RefreshUse::Invalid
    ));
    assert!(matches!(
        store
            .use_refresh("hash-a", expires_at + Duration::seconds(1))
            .await
            .unwrap(),
        RefreshUse::Invalid
    ));
    assert!(matches!(
        store.use_refresh("no-such-hash", now).await.unwrap(),
        RefreshUse::Invalid
    ));

    store.revoke_session("session-b").await.unwrap();
    assert_eq!(
        store.session_principal("session-b", frank.id).await.unwrap(),
        None
    );
    assert!(matches!(
        store.use_refresh("hash-b", now).await.unwrap(),
        RefreshUse::Invalid
    ));
    // Revoking twice, or a session that never was, is no error.
    store.revoke_session("session-b").await.unwrap();
    store.revoke_session("no-such-session").await.unwrap();
    // An expired token was not spent: the session it belongs to is still live.
    assert!(store
        .session_principal("session-a", frank.id)
        .await
        .unwrap()
        .is_some());
}

async fn api_tokens_are_found_by_hash_listed_and_revoked(store: Fresh<dyn CommonStore>) {
    let pref = store
        .create_account(
            &account("pref", Role::Prefecture, Scope::Prefecture),
            draft("create_account"),
        )
        .await
        .unwrap();
    let created_at = Utc::now().trunc_subsecs(6);
    let token = |name: &str, prefix: &str, scope: Scope| ApiToken {
        id: 0,
        name: name.into(),
        prefix: prefix.into(),
        scope,
        created_at,
        expires_on: None,
        revoked: false,
        created_by: None,
        extracts: ExtractGrant::None,
    };
    let mut first = token("県統計システム", "atk_ab12", Scope::Prefecture);
    first.expires_on = Some(date(2027, 3, 31));
    first.extracts = ExtractGrant::Coarsened;
    let first = store
        .create_api_token(&first, "token-hash-1", Some(pref.id), draft("create_api_token"))
        .await
        .unwrap();
    assert!(first.id > 0);
    assert_eq!(
        (
            first.name.as_str(),
            first.prefix.as_str(),
            &first.scope,
            first.created_at,
            first.expires_on,
            first.revoked,
            first.extracts
        ),
        (
            "県統計システム",
            "atk_ab12",
            &Scope::Prefecture,
            created_at,
            Some(date(2027, 3, 31)),
            false,
            ExtractGrant::Coarsened
        )
    );
    // The creator is the one given with the hash, whatever the record says.
    assert_eq!(first.created_by, Some(pref.id));
    let second = store
        .create_api_token(
            &token(
                "市の集計",
                "atk_cd34",
                Scope::Municipality(CENTER_MUNICIPALITY.into()),
            ),
            "token-hash-2",
            None,
            draft("create_api_token"),
        )
        .await
        .unwrap();
    assert_eq!(second.scope, Scope::Municipality(CENTER_MUNICIPALITY.into()));
    assert_eq!(second.created_by, None);
    assert_eq!(second.extracts, ExtractGrant::None);

    let found = store
        .api_token_by_hash("token-hash-1")
        .await
        .unwrap()
        .expect("found");
    assert_eq!(
        (found.id, found.expires_on, found.created_by, found.extracts),
        (first.id, first.expires_on, Some(pref.id), ExtractGrant::Coarsened),
        "the creator and the extract grant are kept with the token"
    );
    assert!(store.api_token_by_hash("token-hash-9").await.unwrap().is_none());
    let ids: Vec<i64> = store
        .api_tokens()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(ids, [first.id, second.id]);

    store
        .revoke_api_token(first.id, draft("revoke_api_token"))
        .await
        .unwrap();
    store
        .revoke_api_token(first.id, draft("revoke_api_token"))
        .await
        .unwrap();
    assert!(
        store
            .api_token_by_hash("token-hash-1")
            .await
            .unwrap()
            .unwrap()
            .revoked
    );
    assert!(!store.api_tokens().await.unwrap()[1].revoked);
    assert!(matches!(
        store
            .revoke_api_token(second.id + 1000, draft("revoke_api_token"))
            .await,
        Err(StoreError::NotFound)
    ));
}
