//! A password change: the users' table and the sessions' table in one transaction, so that
//! whoever knew the old password is logged out (kept apart from `users` and `tokens`, which each
//! own one of the tables).

use redb::ReadableTable;

use super::users::{check_password, UserRecord, Users, USERS};
use super::{dec, enc, tokens, AccessError, Principal, Result};
use crate::audit::{Audit, AuditAction, NewEvent};
use crate::clock::UnixTime;

impl Users<'_> {
    /// Replace a user's password (`actor`: the user, an admin or the operator). Every web
    /// session of the user ends in the same transaction (whoever knew the old password is
    /// logged out); API tokens are kept (`Tokens::revoke` ends them one by one).
    pub fn set_password(
        &self,
        actor: &Principal,
        name: &str,
        password: &str,
        now: UnixTime,
    ) -> Result<()> {
        check_password(password)?;
        let user = self.require(name)?;
        self.access.require_self_or_admin(actor, user.id)?;
        let hash = self.access.cost.hash(password)?;
        let txn = self.access.db().begin_write()?;
        {
            let mut users = txn.open_table(USERS)?;
            let id = user.id.to_bytes();
            let mut rec: UserRecord = match users.get(id)? {
                Some(v) => dec("user", &id, v.value())?,
                None => return Err(AccessError::UnknownUser(user.name.clone())),
            };
            rec.password_hash.clone_from(&hash);
            rec.password_changed_at = now;
            users.insert(id, enc(&rec).as_slice())?;
            let ended = tokens::end_sessions_in(&txn, user.id)?;
            Audit::append_in(
                &txn,
                NewEvent::new(&actor.audit_name(), AuditAction::PasswordSet, now)
                    .detail(format!("user={} sessions_ended={ended}", rec.user.name)),
            )?;
        }
        txn.commit()?;
        Ok(())
    }
}
