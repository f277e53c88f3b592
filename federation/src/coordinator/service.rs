//! The coordinator as a service (`neurofed serve --coordinator`): on the coordinator's own
//! (member) node, it re-signs the revocation list on a schedule so that no member's list ever
//! goes stale while the coordinator runs, and hands every new roster and list to the node,
//! which applies it and spreads it to every member it reaches (and, through the hello exchange,
//! to every member that connects later).

use std::time::Duration;

use super::{Coordinator, CoordinatorError, DEFAULT_LIST_VALIDITY};
use crate::{Client, FedError};
use protocol::time::UnixTime;

/// When the service signs.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// How often the revocation list is re-signed (default hourly).
    pub list_every: Duration,
    /// How long each list is trusted by the members (default [`DEFAULT_LIST_VALIDITY`]).
    pub list_valid: Duration,
    /// How often the admitted members and the lists written by the CLI are looked at.
    pub check_every: Duration,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            list_every: Duration::from_secs(3_600),
            list_valid: Duration::from_secs(DEFAULT_LIST_VALIDITY),
            check_every: Duration::from_secs(10),
        }
    }
}

/// Why one turn of the service failed (it logs the error and tries again next turn).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// Signing or reading the coordinator's state.
    #[error(transparent)]
    Coordinator(#[from] CoordinatorError),
    /// Handing a document to the node.
    #[error(transparent)]
    Federation(#[from] FedError),
    /// The service runs on a node of another consortium.
    #[error("this node is a member of consortium {member_of}, not of {coordinates}, which this home coordinates")]
    OtherConsortium {
        /// The consortium the node joined.
        member_of: protocol::keys::ConsortiumId,
        /// The consortium coordinated here.
        coordinates: protocol::keys::ConsortiumId,
    },
}

/// What one turn did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Turn {
    /// Serial of a roster handed to the node this turn.
    pub roster: Option<u64>,
    /// Serial of a revocation list handed to the node this turn.
    pub list: Option<u64>,
}

/// The service's state between turns: what it last handed to the node.
#[derive(Debug)]
pub struct Service {
    coordinator: Coordinator,
    client: Client,
    schedule: Schedule,
    roster_sent: u64,
    list_sent: u64,
}

impl Service {
    /// The service of `coordinator` on the node whose federation `client` drives; refused when
    /// that node is a member of another consortium.
    pub fn new(
        coordinator: Coordinator,
        client: Client,
        schedule: Schedule,
    ) -> Result<Service, ServiceError> {
        let member_of = client.status().consortium;
        if member_of != coordinator.consortium() {
            return Err(ServiceError::OtherConsortium {
                member_of,
                coordinates: coordinator.consortium(),
            });
        }
        Ok(Service {
            coordinator,
            client,
            schedule,
            roster_sent: 0,
            list_sent: 0,
        })
    }

    /// One turn at `now`: sign a roster when the admitted members changed, a list when the last
    /// is `list_every` old (or past half its window, whichever comes first), and hand the node
    /// whatever it has not been handed yet (including what `neurofed consortium roster` or
    /// `revocations` wrote meanwhile).
    pub async fn turn(&mut self, now: UnixTime) -> Result<Turn, ServiceError> {
        let mut turn = Turn::default();
        let c = &self.coordinator;
        let mut roster = c.last_roster()?;
        if c.roster_due()? {
            roster = Some(c.roster(now)?);
        }
        if let Some(r) = roster {
            let serial = r.body().serial;
            if serial > self.roster_sent {
                self.client.push_roster(r).await?;
                self.roster_sent = serial;
                turn.roster = Some(serial);
            }
        }
        let every = self.schedule.list_every.as_secs();
        let valid = self.schedule.list_valid.as_secs();
        let due = |issued: UnixTime, until: Option<UnixTime>| {
            let age = now.saturating_sub(issued);
            let half_window = until.map_or(0, |u| u.saturating_sub(issued) / 2);
            age >= every || (half_window > 0 && age >= half_window)
        };
        let mut list = c.last_revocations()?;
        if list
            .as_ref()
            .is_none_or(|l| due(l.body().issued_at, l.body().valid_until))
        {
            list = Some(c.revocations([], now, valid)?);
        }
        if let Some(l) = list {
            let serial = l.body().serial;
            if serial > self.list_sent {
                self.client.push_revocation_list(l).await?;
                self.list_sent = serial;
                turn.list = Some(serial);
            }
        }
        Ok(turn)
    }

    /// Turn every `check_every` until the federation stops.
    pub async fn run(mut self) {
        let mut tick = tokio::time::interval(self.schedule.check_every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match self.turn(node::now()).await {
                Ok(t) => {
                    if let Some(s) = t.roster {
                        tracing::info!(serial = s, "coordinator: roster handed to the node");
                    }
                    if let Some(s) = t.list {
                        tracing::info!(
                            serial = s,
                            "coordinator: revocation list signed and spread"
                        );
                    }
                }
                Err(ServiceError::Federation(FedError::Stopped)) => return,
                Err(e) => tracing::warn!(error = %e, "coordinator turn failed; trying again"),
            }
        }
    }
}
