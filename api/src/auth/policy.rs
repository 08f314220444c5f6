//! The one table of which role may do what, and the scope rules. Every route asks here.

use shared::dto::auth::{ExtractGrant, Role, Scope};

use chrono::NaiveDate;

use crate::domain::account::Principal;
use crate::domain::org::Center;
use crate::domain::region::Regions;

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
    /// The node's own operations figures (its monthly 稼働率), the operations log and the
    /// contract's reports: nothing about people.
    ReadOperations,
    /// Record inquiries, incidents, changes and maintenance windows in the operations log.
    WriteOperationsLog,
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
    /// Create and change regions and their municipalities (hub).
    ManageRegions,
}

impl Permission {
    pub const ALL: [Permission; 21] = [
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
        Permission::WriteOperationsLog,
        Permission::ReadStats,
        Permission::ReadExtracts,
        Permission::ReadActivities,
        Permission::WriteActivities,
        Permission::ReadPeriodLocks,
        Permission::LockPeriods,
        Permission::ManageSyncCredentials,
        Permission::ReadSyncStatus,
        Permission::CheckDuplicateHints,
        Permission::ManageRegions,
    ];
}

/// Which roles hold which permission. The operator never holds a person-level permission.
pub fn allows(role: Role, permission: Permission) -> bool {
    use Permission::*;
    use Role::*;
    match permission {
        ReadMaster => true,
        ReadPersons | WritePersons => matches!(role, CenterStaff | CenterAdmin),
        ManageCenters | ManageRegions => matches!(role, Prefecture),
        ManageSites => matches!(role, Prefecture | CenterAdmin),
        ManageAccounts | ManageApiTokens => matches!(role, Prefecture | CenterAdmin),
        UnlockAccounts => matches!(role, Prefecture | CenterAdmin | Operator),
        ReadAudit | ReadOperations => matches!(role, Prefecture | Operator),
        // The contractor keeps the log; the prefecture's office records what it received.
        WriteOperationsLog => matches!(role, Prefecture | Operator),
        // Figures and de-identified records: everyone but the operator, always within scope.
        ReadStats | ReadExtracts => !matches!(role, Operator),
        ReadActivities | WriteActivities => matches!(role, CenterStaff | CenterAdmin),
        // A regional office reads what a municipality reads, for its region's municipalities.
        ReadPeriodLocks => matches!(
            role,
            CenterStaff | CenterAdmin | Municipality | Region | Prefecture
        ),
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
        Municipality | Region => ExtractAccess::Coarsened,
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
    /// Whether this caller's scope covers `center` on `on`. A region's scope covers the centres
    /// of the municipalities that belonged to it on that day (`regions`: every region's
    /// memberships, see [`regions_for`]; other scopes never look at them).
    pub fn covers_center(&self, center: &Center, regions: &Regions, on: NaiveDate) -> bool {
        match &self.scope {
            Scope::Prefecture => true,
            Scope::Municipality(m) => *m == center.municipality,
            Scope::Region(r) => regions
                .region_of(&center.municipality, on)
                .is_some_and(|x| x.code == *r),
            Scope::Center(c) => *c == center.code,
        }
    }

    /// Whether this caller's scope covers `other` (a narrower or equal scope) on `on`. `centers`
    /// (the registered centres) tell which municipality a centre scope lies in, `regions` which
    /// region a municipality belongs to.
    pub fn covers_scope(&self, other: &Scope, centers: &[Center], regions: &Regions, on: NaiveDate) -> bool {
        let in_region =
            |r: &str, municipality: &str| regions.region_of(municipality, on).is_some_and(|x| x.code == r);
        match (&self.scope, other) {
            (Scope::Prefecture, _) => true,
            (Scope::Municipality(m), Scope::Municipality(o)) => m == o,
            (Scope::Municipality(m), Scope::Center(c)) => centers
                .iter()
                .any(|x| x.code == c.as_str() && x.municipality == *m),
            (Scope::Region(r), Scope::Region(o)) => r == o,
            (Scope::Region(r), Scope::Municipality(m)) => in_region(r, m),
            (Scope::Region(r), Scope::Center(c)) => centers
                .iter()
                .any(|x| x.code == c.as_str() && in_region(r, &x.municipality)),
            (Scope::Center(c), Scope::Center(o)) => c == o,
            _ => false,
        }
    }

    /// The audit form of the scope: `prefecture`, `municipality:392014`, `region:aki`,
    /// `center:C001`.
    pub fn scope_label(&self) -> String {
        match self.scope.code() {
            Some(code) => format!("{}:{code}", self.scope.level()),
            None => self.scope.level().to_owned(),
        }
    }
}

/// The regions a scope check needs: every region's memberships for a region scope, none for
/// the others (which never look at them).
pub async fn regions_for(
    store: &dyn crate::store::CommonStore,
    scope: &Scope,
) -> crate::store::StoreResult<Regions> {
    Ok(match scope {
        Scope::Region(_) => Regions(store.regions().await?),
        _ => Regions::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regional_office_holds_exactly_the_municipality_officers_permissions() {
        for permission in Permission::ALL {
            assert_eq!(
                allows(Role::Region, permission),
                allows(Role::Municipality, permission),
                "{permission:?}"
            );
        }
        for role in Role::ALL {
            assert_eq!(
                allows(role, Permission::ManageRegions),
                role == Role::Prefecture,
                "{role:?}"
            );
        }
    }

    fn centre(code: &str, municipality: &str) -> Center {
        Center {
            code: code.into(),
            name: code.into(),
            municipality: municipality.into(),
            operator_body: String::new(),
            opened_on: "2009-04-01".parse().unwrap(),
            closed_on: None,
        }
    }

    fn regions() -> Regions {
        use crate::domain::region::{Membership, Region};
        let d = |s: &str| -> NaiveDate { s.parse().unwrap() };
        let member = |m: &str, from: &str, to: Option<&str>| Membership {
            municipality: m.into(),
            valid_from: d(from),
            valid_to: to.map(d),
        };
        let region = |code: &str, members| Region {
            code: code.into(),
            name: code.into(),
            sort_order: 0,
            valid_from: d("2000-04-01"),
            valid_to: None,
            members,
        };
        Regions(vec![
            region(
                "aki",
                vec![
                    member("392031", "2000-04-01", None),
                    member("392022", "2000-04-01", Some("2024-03-31")),
                ],
            ),
            region("chuo-east", vec![member("392022", "2024-04-01", None)]),
        ])
    }

    #[test]
    fn a_region_scope_covers_the_centres_of_its_municipalities_on_the_day_asked() {
        let p = Principal {
            account_id: Some(1),
            api_token_id: None,
            name: "aki".into(),
            role: Role::Region,
            scope: Scope::Region("aki".into()),
            session: None,
        };
        let (r, may23, may24) = (
            regions(),
            "2023-05-01".parse().unwrap(),
            "2024-05-01".parse().unwrap(),
        );
        let aki_city = centre("C010", "392031");
        let muroto = centre("C011", "392022");
        let kochi = centre("C001", "392014");
        assert!(p.covers_center(&aki_city, &r, may24));
        // 室戸市 moved to 中央東 on 2024-04-01: in 安芸 before, not after.
        assert!(p.covers_center(&muroto, &r, may23));
        assert!(!p.covers_center(&muroto, &r, may24));
        // 高知市 is in no region here: never.
        assert!(!p.covers_center(&kochi, &r, may24));
        let centers = [aki_city, muroto, kochi];
        assert!(p.covers_scope(&Scope::Municipality("392031".into()), &centers, &r, may24));
        assert!(!p.covers_scope(&Scope::Municipality("392014".into()), &centers, &r, may24));
        assert!(p.covers_scope(&Scope::Center("C010".into()), &centers, &r, may24));
        assert!(!p.covers_scope(&Scope::Region("chuo-east".into()), &centers, &r, may24));
        assert!(!p.covers_scope(&Scope::Prefecture, &centers, &r, may24));
    }

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
    fn only_the_operator_and_the_prefecture_keep_and_read_the_operations_log() {
        for role in Role::ALL {
            let keeps = matches!(role, Role::Operator | Role::Prefecture);
            assert_eq!(allows(role, Permission::WriteOperationsLog), keeps, "{role:?}");
            assert_eq!(allows(role, Permission::ReadOperations), keeps, "{role:?}");
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
        for role in [
            Role::Municipality,
            Role::Region,
            Role::Prefecture,
            Role::Integrator,
        ] {
            assert!(!allows(role, Permission::ReadPersons), "{role:?}");
        }
    }
}
