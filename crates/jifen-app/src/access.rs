//! What a signed-in staff member may do, as values. A use case that reads or changes what only
//! some roles may touch takes the matching handle; the only way to get one is from a session
//! whose role grants it, so a page or an endpoint that forgets the check does not compile.
//!
//! | handle             | roles                      | grants                                            |
//! |--------------------|----------------------------|---------------------------------------------------|
//! | [`MemberReader`]   | all but analyst            | members' records and their queues                 |
//! | [`MemberManager`]  | owner, service             | adjustments, transfers, merges, decisions on holds|
//! | [`Operator`]       | owner, operator            | rules, the catalog, campaigns                     |
//! | [`AuditReader`]    | owner, auditor             | the audit log                                     |
//! | [`IntegrationReader`] | owner, auditor          | API keys and webhooks, read                       |
//! | [`Exporter`]       | owner, analyst, auditor    | CSV exports                                       |
//! | [`Owner`]          | owner                      | staff, settings, keys and webhooks                |

use jifen_ledger::ProgramId;

use crate::staff::{Role, Session};

macro_rules! handles {
    ($($(#[$doc:meta])* $name:ident, $method:ident, $($role:ident)|+;)*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, PartialEq, Eq)]
            pub struct $name {
                program: ProgramId,
                actor: String,
                phones: bool,
            }

            impl $name {
                /// The programme the handle is good for.
                pub fn program(&self) -> ProgramId {
                    self.program
                }
                /// Who acts, as the audit log and the ledger record it.
                pub fn actor(&self) -> &str {
                    &self.actor
                }
                /// Whether phone numbers are shown whole (otherwise masked).
                pub fn sees_phones(&self) -> bool {
                    self.phones
                }
            }

            impl Session {
                #[doc = concat!("The [`", stringify!($name), "`] handle, when the role grants it.")]
                pub fn $method(&self) -> Option<$name> {
                    matches!(self.role, $(Role::$role)|+).then(|| $name {
                        program: self.program,
                        actor: self.actor(),
                        phones: self.role.sees_phones(),
                    })
                }
            }
        )*
    };
}

handles! {
    /// Reads members' records and their queues (approvals, appeals, risk holds).
    MemberReader, member_reader, Owner | Operator | Service | Auditor;
    /// Changes members' points: adjustments, transfers, merges, decisions on risk holds.
    MemberManager, member_manager, Owner | Service;
    /// Changes rules, the catalog and campaigns.
    Operator, operator, Owner | Operator;
    /// Reads the audit log.
    AuditReader, audit_reader, Owner | Auditor;
    /// Reads API keys and webhooks.
    IntegrationReader, integration_reader, Owner | Auditor;
    /// Downloads CSV exports.
    Exporter, exporter, Owner | Analyst | Auditor;
    /// Manages staff, settings, keys and webhooks.
    Owner, owner, Owner;
}

impl MemberReader {
    /// Members as an API key reads them: keys act for the programme's own systems, which hold
    /// the records whole (as `GET /api/v1/members/{id}` answers them).
    pub fn for_key(key: &jifen_store::KeyCaller) -> Self {
        MemberReader {
            program: key.program,
            actor: key.actor(),
            phones: true,
        }
    }
}

impl AuditReader {
    /// The audit log as an API key reads it: keys act for the programme's own systems, which
    /// may read who changed what (a SIEM, a compliance export).
    pub fn for_key(key: &jifen_store::KeyCaller) -> Self {
        AuditReader {
            program: key.program,
            actor: key.actor(),
            phones: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(role: Role) -> Session {
        Session {
            staff_id: 1,
            program: ProgramId(7),
            login: "amy".into(),
            name: "Amy".into(),
            role,
            csrf: "x".into(),
            pending: Default::default(),
        }
    }

    /// The handles agree with the role's own questions, for every role.
    #[test]
    fn handles_follow_the_roles() {
        for role in [
            Role::Owner,
            Role::Operator,
            Role::Service,
            Role::Analyst,
            Role::Auditor,
        ] {
            let s = session(role);
            assert_eq!(
                s.member_reader().is_some(),
                role.reads_members(),
                "{role:?}"
            );
            assert_eq!(
                s.member_manager().is_some(),
                role.manages_members(),
                "{role:?}"
            );
            assert_eq!(s.operator().is_some(), role.operates(), "{role:?}");
            assert_eq!(s.audit_reader().is_some(), role.audits(), "{role:?}");
            assert_eq!(
                s.exporter().is_some(),
                matches!(role, Role::Owner | Role::Analyst | Role::Auditor)
            );
            assert_eq!(s.owner().is_some(), role == Role::Owner);
        }
        let h = session(Role::Service).member_manager().unwrap();
        assert_eq!(
            (h.program(), h.actor(), h.sees_phones()),
            (ProgramId(7), "staff:amy", true)
        );
        assert!(
            !session(Role::Auditor)
                .member_reader()
                .unwrap()
                .sees_phones()
        );
    }
}
