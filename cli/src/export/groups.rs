//! `--groups`: every group's members, read before any user is written (ListGroups, then
//! ListUsersInGroup per group), so each user's `Groups` can be written with the user. One
//! request per 60 members instead of one AdminListGroupsForUser per user; the memory this
//! takes grows with the memberships, not with the users.

use std::collections::HashMap;

use anyhow::Result;
use aws_sdk_cognitoidentityprovider::Client;
use indicatif::ProgressBar;

use super::client::{classify, failed};
use super::pacing::{Category, Clock};
use super::retry::Caller;

/// Group names by username.
#[derive(Debug, Default)]
pub(crate) struct Memberships {
    /// Every group, in ListGroups order.
    names: Vec<String>,
    /// Indexes into `names` per username (a pool has at most 10,000 groups).
    by_user: HashMap<String, Vec<u16>>,
}

impl Memberships {
    /// The groups of `username`, in ListGroups order; empty when it has none.
    pub(crate) fn of(&self, username: &str) -> Vec<&str> {
        self.by_user.get(username).map_or_else(Vec::new, |groups| {
            groups
                .iter()
                .map(|&g| self.names[usize::from(g)].as_str())
                .collect()
        })
    }

    /// How many groups the pool has.
    pub(crate) fn groups(&self) -> usize {
        self.names.len()
    }

    /// How many users are in at least one group.
    pub(crate) fn members(&self) -> usize {
        self.by_user.len()
    }

    /// Records that `username` is in group number `group`.
    fn add(&mut self, username: &str, group: u16) {
        let groups = self.by_user.entry(username.to_owned()).or_default();
        if groups.last() != Some(&group) {
            groups.push(group);
        }
    }
}

/// Reads every group and its members.
///
/// # Errors
///
/// When a request fails for good (it is named in the error).
pub(crate) async fn fetch<C: Clock + Clone>(
    client: &Client,
    caller: &Caller<C>,
    user_pool_id: &str,
    spinner: &ProgressBar,
) -> Result<Memberships> {
    let mut memberships = Memberships::default();
    let mut token = None;
    loop {
        let page = caller
            .call(
                Category::UserPoolResourceRead,
                || {
                    client
                        .list_groups()
                        .user_pool_id(user_pool_id)
                        .limit(60)
                        .set_next_token(token.clone())
                        .send()
                },
                classify,
            )
            .await
            .map_err(|e| failed("ListGroups", e))?;
        let names = page.groups().iter().filter_map(|g| g.group_name());
        memberships.names.extend(names.map(str::to_owned));
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    for (index, name) in memberships.names.clone().iter().enumerate() {
        let group = u16::try_from(index)?;
        spinner.set_message(format!("reading the members of group {name:?}:"));
        let mut token = None;
        loop {
            let page = caller
                .call(
                    Category::UserList,
                    || {
                        client
                            .list_users_in_group()
                            .user_pool_id(user_pool_id)
                            .group_name(name)
                            .limit(60)
                            .set_next_token(token.clone())
                            .send()
                    },
                    classify,
                )
                .await
                .map_err(|e| failed(&format!("ListUsersInGroup of group {name:?}"), e))?;
            for user in page.users() {
                memberships.add(user.username().unwrap_or_default(), group);
                spinner.inc(1);
            }
            token = page.next_token;
            if token.is_none() {
                break;
            }
        }
    }
    Ok(memberships)
}

#[cfg(test)]
mod tests {
    use super::Memberships;

    #[test]
    fn a_user_lists_its_groups_once_in_group_order() {
        let mut m = Memberships {
            names: vec!["admins".into(), "beta".into(), "staff".into()],
            ..Memberships::default()
        };
        m.add("jane", 0);
        m.add("jane", 2);
        m.add("jane", 2);
        m.add("bob", 1);
        assert_eq!(m.of("jane"), ["admins", "staff"]);
        assert_eq!(m.of("bob"), ["beta"]);
        assert!(m.of("nobody").is_empty());
        assert_eq!((m.groups(), m.members()), (3, 2));
    }
}
