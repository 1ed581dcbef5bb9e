//! How a case sends each kind of write, and what the model expects of it.
//! A write's response must already read as the model says.

use dbrepo::proto::manager::v2::MemberStatus;
use dbrepo::proto::manager::{v1, v2};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use uuid::Uuid;

use super::model::{MemberModel, v1_view, v2_view};
use super::ops::{Action, EmailWrite, FullNameWrite, Op};
use super::previous::PreviousWriter;
use super::runner::{Case, Tracked, failed};

impl<'a, P: PreviousWriter> Case<'a, P> {
    /// Creates the op's member through its writer.
    pub(super) async fn create(&mut self, op: &Op) -> Result<Tracked, TestCaseError> {
        let (id, model) = match &op.action {
            Action::V1Create { full_name, email } => {
                let email = email.resolve(op.member, None);
                self.create_v1(full_name, &email).await?
            }
            Action::V2Create {
                given_name,
                family_name,
                email,
                status,
            } => {
                let email = email.resolve(op.member, None);
                self.create_v2(given_name, family_name, &email, *status)
                    .await?
            }
            Action::PreviousCreate {
                full_name,
                archived,
            } => self.create_previous(full_name, *archived).await?,
            update => unreachable!("{update:?} is dropped before its member exists"),
        };
        Ok(Tracked {
            id,
            model,
            etag: String::new(),
        })
    }

    /// v1 `CreateMember`; returns the id and the model.
    async fn create_v1(
        &mut self,
        full_name: &str,
        email: &str,
    ) -> Result<(String, MemberModel), TestCaseError> {
        let request = v1::CreateMemberRequest {
            team_id: self.team_id.clone(),
            full_name: full_name.to_owned(),
            email: email.to_owned(),
        };
        let created = self.v1.create_member(request).await;
        let created = created.map_err(failed("v1 CreateMember"))?;
        let created = created.into_inner().member.unwrap_or_default();
        let model = MemberModel::v1_created(full_name, email, false);
        prop_assert_eq!(
            v1_view(&created),
            model.v1_view(),
            "v1 CreateMember response"
        );
        Ok((created.id, model))
    }

    /// v2 `CreateMember`; returns the id and the model.
    async fn create_v2(
        &mut self,
        given_name: &str,
        family_name: &str,
        email: &str,
        status: MemberStatus,
    ) -> Result<(String, MemberModel), TestCaseError> {
        let request = v2::CreateMemberRequest {
            team_id: self.team_id.clone(),
            given_name: given_name.to_owned(),
            family_name: family_name.to_owned(),
            email: email.to_owned(),
            status: status.into(),
        };
        let created = self.v2.create_member(request).await;
        let created = created.map_err(failed("v2 CreateMember"))?;
        let created = created.into_inner().member.unwrap_or_default();
        let model = MemberModel::v2_created(given_name, family_name, email, status);
        prop_assert_eq!(
            v2_view(&created),
            model.v2_view(),
            "v2 CreateMember response"
        );
        Ok((created.id, model))
    }

    /// The previous release's insert, of the trimmed name as its service
    /// sent it; returns the id and the model.
    async fn create_previous(
        &mut self,
        full_name: &str,
        archived: bool,
    ) -> Result<(String, MemberModel), TestCaseError> {
        let team_id =
            Uuid::parse_str(&self.team_id).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let created = self
            .previous()
            .create_member(team_id, full_name.trim(), archived);
        let (id, email) = created.await;
        let model = MemberModel::v1_created(full_name, &email, archived);
        Ok((id.to_string(), model))
    }

    /// Updates the op's member through its writer.
    pub(super) async fn update(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match &op.action {
            Action::V1Update {
                full_name,
                email,
                archived,
            } => {
                self.update_v1(op.member, full_name.as_ref(), email.as_ref(), *archived)
                    .await
            }
            Action::V2Update {
                given_name,
                family_name,
                email,
                status,
                with_etag,
            } => {
                let names = (given_name.as_deref(), family_name.as_deref());
                self.update_v2(op.member, names, email.as_ref(), *status, *with_etag)
                    .await
            }
            previous => self.update_previous(op.member, previous).await,
        }
    }

    /// v1 `UpdateMember` with the present fields.
    async fn update_v1(
        &mut self,
        member: usize,
        full_name: Option<&FullNameWrite>,
        email: Option<&EmailWrite>,
        archived: Option<bool>,
    ) -> Result<(), TestCaseError> {
        let tracked = self.members[member]
            .as_mut()
            .expect("updates follow creates");
        let full_name = full_name.map(|name| name.resolve(tracked.model.full_name()));
        let email = email.map(|email| email.resolve(member, Some(tracked.model.email())));
        let request = v1::UpdateMemberRequest {
            id: tracked.id.clone(),
            full_name: full_name.clone(),
            email: email.clone(),
            archived,
        };
        let updated = self
            .v1
            .update_member(request)
            .await
            .map_err(failed("v1 UpdateMember"))?;
        tracked
            .model
            .v1_update(full_name.as_deref(), email.as_deref(), archived);
        let updated = updated.into_inner().member.unwrap_or_default();
        prop_assert_eq!(
            v1_view(&updated),
            tracked.model.v1_view(),
            "v1 UpdateMember response"
        );
        Ok(())
    }

    /// v2 `UpdateMember` with the present fields, with or without the
    /// current etag.
    async fn update_v2(
        &mut self,
        member: usize,
        (given_name, family_name): (Option<&str>, Option<&str>),
        email: Option<&EmailWrite>,
        status: Option<MemberStatus>,
        with_etag: bool,
    ) -> Result<(), TestCaseError> {
        let tracked = self.members[member]
            .as_mut()
            .expect("updates follow creates");
        let email = email.map(|email| email.resolve(member, Some(tracked.model.email())));
        let request = v2::UpdateMemberRequest {
            id: tracked.id.clone(),
            etag: if with_etag {
                tracked.etag.clone()
            } else {
                String::new()
            },
            given_name: given_name.map(str::to_owned),
            family_name: family_name.map(str::to_owned),
            email: email.clone(),
            status: status.map(Into::into),
        };
        let updated = self
            .v2
            .update_member(request)
            .await
            .map_err(failed("v2 UpdateMember"))?;
        tracked
            .model
            .v2_update(given_name, family_name, email.as_deref(), status);
        let updated = updated.into_inner().member.unwrap_or_default();
        prop_assert_eq!(
            v2_view(&updated),
            tracked.model.v2_view(),
            "v2 UpdateMember response"
        );
        Ok(())
    }

    /// One statement of the previous release; to the model, a v1 update of
    /// one field (rule 5).
    async fn update_previous(
        &mut self,
        member: usize,
        action: &Action,
    ) -> Result<(), TestCaseError> {
        let previous = self.previous();
        let tracked = self.members[member]
            .as_mut()
            .expect("updates follow creates");
        let id = Uuid::parse_str(&tracked.id).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let model = &mut tracked.model;
        match action {
            Action::PreviousRename(name) => {
                let name = name.resolve(model.full_name());
                previous.rename(id, name.trim()).await;
                model.v1_update(Some(&name), None, None);
            }
            Action::PreviousSetArchived(archived) => {
                previous.set_archived(id, *archived).await;
                model.v1_update(None, None, Some(*archived));
            }
            Action::PreviousSetEmail(email) => {
                let email = email.resolve(member, Some(model.email()));
                previous.set_email(id, &email).await;
                model.v1_update(None, Some(&email), None);
            }
            other => unreachable!("{other:?} is not an update by the previous release"),
        }
        Ok(())
    }

    /// The previous release, which only runs that have one draw ops for.
    fn previous(&self) -> &'a P {
        self.previous
            .expect("previous-release ops are drawn only with a previous release")
    }
}
