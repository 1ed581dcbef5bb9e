//! One case: a fresh team, the writes sent one by one, and after each one
//! every member read back through both versions and compared with the
//! model; at the end, both versions' lists of the team.

use std::collections::BTreeMap;

use dbrepo::proto::manager::v1::manager_service_client::ManagerServiceClient as V1Client;
use dbrepo::proto::manager::v2::manager_service_client::ManagerServiceClient as V2Client;
use dbrepo::proto::manager::{v1, v2};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use tonic::transport::Channel;
use uuid::Uuid;

use super::model::{MemberModel, v1_view, v2_view};
use super::ops::{MEMBERS, Op};
use super::previous::PreviousWriter;
use crate::served::TestServer;

/// A member the case has created: its id, its model and its last etag.
pub struct Tracked {
    /// The member's id.
    pub id: String,
    /// What both versions must read.
    pub model: MemberModel,
    /// The etag of the last v2 read.
    pub etag: String,
}

/// The state of one case.
pub struct Case<'a, P> {
    /// The v1 client.
    pub v1: V1Client<Channel>,
    /// The v2 client.
    pub v2: V2Client<Channel>,
    /// The previous release, when the run has one.
    pub previous: Option<&'a P>,
    /// The case's own team.
    pub team_id: String,
    /// The case's members, by index, once created.
    pub members: [Option<Tracked>; MEMBERS],
}

impl<'a, P: PreviousWriter> Case<'a, P> {
    /// A case on `server` with a team no other case uses.
    pub async fn new(server: &TestServer, previous: Option<&'a P>) -> Result<Self, TestCaseError> {
        let mut v1 = server.v1.clone();
        let request = v1::CreateTeamRequest {
            name: format!("interleavings {}", Uuid::new_v4().simple()),
            description: String::new(),
        };
        let team = v1
            .create_team(request)
            .await
            .map_err(failed("CreateTeam"))?;
        Ok(Self {
            v1,
            v2: server.v2.clone(),
            previous,
            team_id: team.into_inner().team.unwrap_or_default().id,
            members: Default::default(),
        })
    }

    /// Sends every op, checking both reads of every member after each,
    /// then checks both lists once.
    pub async fn run(mut self, ops: &[Op]) -> Result<(), TestCaseError> {
        for (index, op) in ops.iter().enumerate() {
            self.step(op).await.map_err(|error| match error {
                TestCaseError::Fail(reason) => {
                    TestCaseError::fail(format!("after op {index} {op:?}: {}", reason.message()))
                }
                reject => reject,
            })?;
        }
        self.check_v1_list().await?;
        self.check_v2_list().await
    }

    /// Sends one op, updates the model, reads every member back.
    async fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let before = self.members[op.member].as_ref().map(|m| m.model.clone());
        if before.is_none() {
            let tracked = self.create(op).await?;
            self.members[op.member] = Some(tracked);
        } else {
            self.update(op).await?;
        }
        let after = self.members[op.member].as_ref().map(|m| &m.model);
        self.check_members(op.member, before.as_ref() != after)
            .await
    }

    /// Reads every member through v1 and v2 and compares with the model;
    /// when the model says `target` changed, its etag must have too.
    async fn check_members(&mut self, target: usize, changed: bool) -> Result<(), TestCaseError> {
        for (index, tracked) in self.members.iter_mut().enumerate() {
            let Some(tracked) = tracked else { continue };
            let request = v1::GetMemberRequest {
                id: tracked.id.clone(),
            };
            let read = self.v1.get_member(request).await;
            let read = read.map_err(failed("v1 GetMember"))?.into_inner();
            let read = read.member.unwrap_or_default();
            let expected = tracked.model.v1_view();
            prop_assert_eq!(v1_view(&read), expected, "v1 reads member {}", index);
            let request = v2::GetMemberRequest {
                id: tracked.id.clone(),
            };
            let read = self.v2.get_member(request).await;
            let read = read.map_err(failed("v2 GetMember"))?.into_inner();
            let read = read.member.unwrap_or_default();
            let expected = tracked.model.v2_view();
            prop_assert_eq!(v2_view(&read), expected, "v2 reads member {}", index);
            if index == target && changed {
                let why = "a write that changed the member kept its etag";
                prop_assert_ne!(&read.etag, &tracked.etag, "{}", why);
            }
            tracked.etag = read.etag;
        }
        Ok(())
    }

    /// v1 `ListMembers(include_archived = false)` lists exactly the members
    /// that are not ARCHIVED, as v1 reads them.
    async fn check_v1_list(&mut self) -> Result<(), TestCaseError> {
        let expected: BTreeMap<_, _> = (self.members.iter().flatten())
            .map(|m| (m.id.clone(), m.model.v1_view()))
            .filter(|(_, view)| !view.archived)
            .collect();
        let request = v1::ListMembersRequest {
            team_id: self.team_id.clone(),
            limit: 100,
            ..Default::default()
        };
        let listed = self.v1.list_members(request).await;
        let listed = listed.map_err(failed("v1 ListMembers"))?.into_inner();
        let listed: BTreeMap<_, _> = (listed.members.iter())
            .map(|m| (m.id.clone(), v1_view(m)))
            .collect();
        prop_assert_eq!(listed, expected, "v1 ListMembers(include_archived=false)");
        Ok(())
    }

    /// v2 `ListMembers` without a status filter lists every member with
    /// its status.
    async fn check_v2_list(&mut self) -> Result<(), TestCaseError> {
        let expected: BTreeMap<_, _> = (self.members.iter().flatten())
            .map(|m| (m.id.clone(), m.model.v2_view()))
            .collect();
        let request = v2::ListMembersRequest {
            team_id: self.team_id.clone(),
            page_size: 100,
            ..Default::default()
        };
        let listed = self.v2.list_members(request).await;
        let listed = listed.map_err(failed("v2 ListMembers"))?.into_inner();
        let listed: BTreeMap<_, _> = (listed.members.iter())
            .map(|m| (m.id.clone(), v2_view(m)))
            .collect();
        prop_assert_eq!(listed, expected, "v2 ListMembers");
        Ok(())
    }
}

/// Turns a failed call into a failed case naming the call.
pub fn failed(call: &'static str) -> impl Fn(tonic::Status) -> TestCaseError {
    move |status| TestCaseError::fail(format!("{call} failed: {status:?}"))
}
