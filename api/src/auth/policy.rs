//! The one table of which role may do what, and the scope rules. Every route asks here.

use shared::dto::auth::{ExtractGrant, Role, Scope};

use crate::domain::account::Principal;
use crate::domain::org::Center;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// `/meta`, `/master/*`: every authenticated caller.
    ReadMaster,
    /// Read people's identity and facts (centre node).
    ReadPersons,
    /// Register, edit and end people (centre node).
    WritePersons,
    /// Create and edit centres.
    ManageCenters,
    /// Create and edit a centre's sites (サテライト).
    ManageSites,
    /// List and create accounts, disable them.
    ManageAccounts,
    /// Clear a lockout.
    UnlockAccounts,
    /// Create, list and revoke integrator API tokens.
    ManageApiTokens,
    /// Search the audit log.
    ReadAudit,
    /// The node's own operations figures (its monthly 稼働率): nothing about people.
    ReadOperations,
    /// Figures (`/stats`) within the caller's scope.
    ReadStats,
    /// De-identified records (`/extracts/*`) within the caller's scope.
    ReadExtracts,
    /// Read the centre's activities and who took part (centre node).
    ReadActivities,
    /// Record, correct and delete the centre's activities and participations (centre node).
    WriteActivities,
    /// See which periods are locked.
    ReadPeriodLocks,
    /// Lock and unlock periods (after the annual report is submitted).
    LockPeriods,
    /// Issue, list and revoke the centres' sync credentials (hub).
    ManageSyncCredentials,
    /// See synchronisation state (backlog, last delivery) within the caller's scope.
    ReadSyncStatus,
    /// Ask whether a person about to be registered may already have a common ID at another
    /// centre (the optional duplicate hint; centre node, the hub sees only a keyed hash).
    CheckDuplicateHints,
}

impl Permission {
    pub const ALL: [Permission; 19] = [
        Permission::ReadMaster,
        Permission::ReadPersons,
        Permission::WritePersons,
        Permission::ManageCenters,
        Permission::ManageSites,
        Permission::ManageAccounts,
        Permission::UnlockAccounts,
        Permission::ManageApiTokens,
        Permission::ReadAudit,
        Permission::ReadOperations,
        Permission::ReadStats,
        Permission::ReadExtracts,
        Permission::ReadActivities,
        Permission::WriteActivities,
        Permission::ReadPeriodLocks,
        Permission::LockPeriods,
        Permission::ManageSyncCredentials,
        Permission::ReadSyncStatus,
        Permission::CheckDuplicateHints,
    ];
}

/// Which roles hold which permission. The operator never holds a person-level permission.
pub fn allows(role: Role, permission: Permission) -> bool {
    use Permission::*;
    use Role::*;
    match permission {
        ReadMaster => true,
        ReadPersons | WritePersons => matches!(role, CenterStaff | CenterAdmin),
        ManageCenters => matches!(role, Prefecture),
        ManageSites => matches!(role, Prefecture | CenterAdmin),
        ManageAccounts | ManageApiTokens => matches!(role, Prefecture | CenterAdmin),
        UnlockAccounts => matches!(role, Prefecture | CenterAdmin | Operator),
        ReadAudit | ReadOperations => matches!(role, Prefecture | Operator),
        // Figures and de-identified records: everyone but the operator, always within scope.
        ReadStats | ReadExtracts => !matches!(role, Operator),
        ReadActivities | WriteActivities => matches!(role, CenterStaff | CenterAdmin),
        ReadPeriodLocks => matches!(role, CenterStaff | CenterAdmin | Municipality | Prefecture),
        LockPeriods => matches!(role, Prefecture),
        ManageSyncCredentials => matches!(role, Prefecture),
        // Delivery state holds no person-level data: the operator watches it too.
        ReadSyncStatus => !matches!(role, Integrator),
        // Those who register people, on their own node.
        CheckDuplicateHints => matches!(role, CenterStaff | CenterAdmin),
    }
}

/// What a caller receives from `/extracts/*`, whatever its scope (the scope then narrows the
/// rows). Decision 0019; docs/privacy.md shows the same table with the columns of each view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtractAccess {
    /// No record-level extract at all (403).
    Refused,
    /// Common IDs, exact dates and attributes: the prefecture, and a centre's own accounts
    /// (who hold the people's identity already).
    Exact,
    /// Per-recipient pseudonyms in place of common IDs and coarsened quasi-identifiers
    /// (`stats::privacy::View::Coarsened`).
    Coarsened,
}

/// The one table of record-level access: by role, and for an integrator token by the grant the
/// prefecture chose when it was made (`None` for a token made before grants existed, or for
/// an account, which has none).
///
/// | role | extracts |
/// |---|---|
/// | prefecture | exact (common IDs are the pseudonym of 仮名加工情報) |
/// | center_staff, center_admin | exact, their own centre |
/// | municipality | coarsened, its own municipality's centres |
/// | integrator, grant `none` (default) | refused |
/// | integrator, grant `coarsened` | coarsened, the token's scope |
/// | integrator, grant `detailed` (prefecture-wide tokens only) | exact |
/// | operator | refused |
pub fn extract_access(role: Role, grant: Option<ExtractGrant>) -> ExtractAccess {
    use Role::*;
    match role {
        Prefecture | CenterStaff | CenterAdmin => ExtractAccess::Exact,
        Municipality => ExtractAccess::Coarsened,
        Integrator => match grant.unwrap_or_default() {
            ExtractGrant::None => ExtractAccess::Refused,
            ExtractGrant::Coarsened => ExtractAccess::Coarsened,
            ExtractGrant::Detailed => ExtractAccess::Exact,
        },
        Operator => ExtractAccess::Refused,
    }
}

/// Whether `creator` may give a token of `scope` the extract grant `grant`: anyone who makes
/// tokens may make one without extracts; only the prefecture grants them, and the detailed
/// view only to a prefecture-wide token (a narrower token would otherwise receive more than
/// the officers of its scope).
pub fn may_grant_extracts(creator: Role, grant: ExtractGrant, scope: &Scope) -> bool {
    match grant {
        ExtractGrant::None => true,
        ExtractGrant::Coarsened => creator == Role::Prefecture,
        ExtractGrant::Detailed => creator == Role::Prefecture && *scope == Scope::Prefecture,
    }
}

/// The centre a sync credential may deliver batches for: its own, while it is not revoked.
/// Every entry of a batch must be about that centre (checked in `domain::sync::parse_batch`).
pub fn sync_center(credential: &crate::domain::sync::SyncCredential) -> Option<&str> {
    credential.is_active().then_some(credential.center.as_str())
}

impl Principal {
    /// Whether this caller's scope covers `center`.
    pub fn covers_center(&self, center: &Center) -> bool {
        match &self.scope {
            Scope::Prefecture => true,
            Scope::Municipality(m) => *m == center.municipality,
            Scope::Center(c) => *c == center.code,
        }
    }

    /// Whether this caller's scope covers `other` (a narrower or equal scope). `centers` (the
    /// registered centres) tell which municipality a centre scope lies in.
    pub fn covers_scope(&self, other: &Scope, centers: &[Center]) -> bool {
        match (&self.scope, other) {
            (Scope::Prefecture, _) => true,
            (Scope::Municipality(m), Scope::Municipality(o)) => m == o,
            (Scope::Municipality(m), Scope::Center(c)) => centers
                .iter()
                .any(|x| x.code == c.as_str() && x.municipality == *m),
            (Scope::Center(c), Scope::Center(o)) => c == o,
            _ => false,
        }
    }

    /// The audit form of the scope: `prefecture`, `municipality:392014`, `center:C001`.
    pub fn scope_label(&self) -> String {
        match self.scope.code() {
            Some(code) => format!("{}:{code}", self.scope.level()),
            None => self.scope.level().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operator_holds_no_person_level_permission() {
        assert!(!allows(Role::Operator, Permission::ReadPersons));
        assert!(!allows(Role::Operator, Permission::WritePersons));
    }

    #[test]
    fn only_centre_accounts_record_activities_and_only_the_prefecture_locks_periods() {
        for role in Role::ALL {
            let centre = matches!(role, Role::CenterStaff | Role::CenterAdmin);
            assert_eq!(allows(role, Permission::ReadActivities), centre, "{role:?}");
            assert_eq!(allows(role, Permission::WriteActivities), centre, "{role:?}");
            assert_eq!(
                allows(role, Permission::LockPeriods),
                role == Role::Prefecture,
                "{role:?}"
            );
        }
    }

    #[test]
    fn only_the_prefecture_issues_sync_credentials_and_a_revoked_one_delivers_nothing() {
        for role in Role::ALL {
            assert_eq!(
                allows(role, Permission::ManageSyncCredentials),
                role == Role::Prefecture
            );
        }
        let mut credential = crate::domain::sync::SyncCredential {
            id: 1,
            center: "C001".into(),
            prefix: "ats_0123".into(),
            created_at: chrono::Utc::now(),
            revoked_at: None,
        };
        assert_eq!(sync_center(&credential), Some("C001"));
        credential.revoked_at = Some(chrono::Utc::now());
        assert_eq!(sync_center(&credential), None);
    }

    #[test]
    fn only_centre_accounts_ask_for_duplicate_hints() {
        for role in Role::ALL {
            assert_eq!(
                allows(role, Permission::CheckDuplicateHints),
                matches!(role, Role::CenterStaff | Role::CenterAdmin),
                "{role:?}"
            );
        }
    }

    #[test]
    fn integrators_receive_extracts_only_with_a_grant_and_municipalities_coarsened_ones() {
        use ExtractAccess::*;
        assert_eq!(extract_access(Role::Integrator, None), Refused);
        assert_eq!(
            extract_access(Role::Integrator, Some(ExtractGrant::None)),
            Refused
        );
        assert_eq!(
            extract_access(Role::Integrator, Some(ExtractGrant::Coarsened)),
            Coarsened
        );
        assert_eq!(
            extract_access(Role::Integrator, Some(ExtractGrant::Detailed)),
            Exact
        );
        assert_eq!(extract_access(Role::Municipality, None), Coarsened);
        assert_eq!(extract_access(Role::Prefecture, None), Exact);
        assert_eq!(
            extract_access(Role::Operator, Some(ExtractGrant::Detailed)),
            Refused
        );
    }

    #[test]
    fn only_the_prefecture_grants_extracts_and_the_detailed_view_only_prefecture_wide() {
        let town = Scope::Municipality("392014".into());
        for role in Role::ALL {
            assert!(may_grant_extracts(role, ExtractGrant::None, &town), "{role:?}");
            assert_eq!(
                may_grant_extracts(role, ExtractGrant::Coarsened, &town),
                role == Role::Prefecture
            );
        }
        assert!(may_grant_extracts(
            Role::Prefecture,
            ExtractGrant::Detailed,
            &Scope::Prefecture
        ));
        assert!(!may_grant_extracts(
            Role::Prefecture,
            ExtractGrant::Detailed,
            &town
        ));
        assert!(!may_grant_extracts(
            Role::CenterAdmin,
            ExtractGrant::Detailed,
            &Scope::Prefecture
        ));
    }

    #[test]
    fn officers_and_integrators_never_read_identity() {
        for role in [Role::Municipality, Role::Prefecture, Role::Integrator] {
            assert!(!allows(role, Permission::ReadPersons), "{role:?}");
        }
    }
}
