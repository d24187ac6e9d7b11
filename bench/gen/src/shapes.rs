//! The worst-case shapes: each fills a file of a given size with the most of one thing a user
//! or a pool can carry (repeats of one attribute, distinct names, identities, groups, MFA
//! methods, one long value, long usernames next to many findings, users sharing one email).

use std::io::{self, Write};

/// One shape: its name on the command line, what it holds, and how it is written.
#[derive(Debug)]
pub(crate) struct Shape {
    pub(crate) name: &'static str,
    pub(crate) about: &'static str,
    pub(crate) write: fn(&mut dyn Write, usize) -> io::Result<()>,
}

/// Every shape, in the order `--list` prints them and `bench/shapes.sh` runs them.
pub(crate) const SHAPES: [Shape; 15] = [
    Shape {
        name: "repeat",
        about: "one user, one catch-all attribute (custom:tag) repeated: each value after the first goes to data.unmapped as `custom:tag (n)`",
        write: |out, bytes| out.write_all(&repeat(bytes, "custom:tag")),
    },
    Shape {
        name: "repeat-mapped",
        about: "one user, the email attribute (which a rule maps) repeated: the first value is mapped, the others go to data.unmapped",
        write: |out, bytes| out.write_all(&repeat(bytes, "email")),
    },
    Shape {
        name: "names",
        about: "one user with as many distinct attribute names as fit (custom:a0, custom:a1, ...)",
        write: |out, bytes| out.write_all(&names(bytes)),
    },
    Shape {
        name: "collide",
        about: "one user: custom holds text, then custom:k0, custom:k1, ... each collide with it and go to data.unmapped",
        write: |out, bytes| out.write_all(&collide(bytes)),
    },
    Shape {
        name: "identities",
        about: "one user whose identities attribute lists as many Google identities as fit: one link each",
        write: |out, bytes| out.write_all(&identities(bytes, false)),
    },
    Shape {
        name: "identities-long-name",
        about: "one user without an email whose username is half the file, with identities in the rest: each link names the user",
        write: |out, bytes| out.write_all(&identities(bytes, true)),
    },
    Shape {
        name: "groups",
        about: "one user in as many distinct groups as fit",
        write: |out, bytes| out.write_all(&list_field(bytes, "Groups", "group-")),
    },
    Shape {
        name: "mfa",
        about: "one user with as many distinct UserMFASettingList methods as fit",
        write: |out, bytes| out.write_all(&list_field(bytes, "UserMFASettingList", "M")),
    },
    Shape {
        name: "long-value",
        about: "one user with one attribute value as long as the file (non-ASCII letters, quotes and backslashes to escape)",
        write: |out, bytes| out.write_all(&long_value(bytes)),
    },
    Shape {
        name: "long-username",
        about: "one user whose Username is half the file, with a repeated attribute in the rest: each repeat is a finding naming the user",
        write: |out, bytes| out.write_all(&long_username(bytes)),
    },
    Shape {
        name: "users",
        about: "as many small users as fit, nothing shared",
        write: |out, bytes| out.write_all(&users(bytes, Users::Distinct)),
    },
    Shape {
        name: "dup-email",
        about: "as many small users as fit, all with the same email",
        write: |out, bytes| out.write_all(&users(bytes, Users::SameEmail)),
    },
    Shape {
        name: "dup-email-long-name",
        about: "a user whose Username is half the file, then as many small users as fit with its email: each finding names it",
        write: |out, bytes| out.write_all(&users(bytes, Users::SameEmailLongName)),
    },
    Shape {
        name: "json-lines",
        about: "as many small users as fit, one JSON document a line",
        write: |out, bytes| out.write_all(&json_lines(bytes)),
    },
    Shape {
        name: "csv-wide",
        about: "an import CSV of one user with as many columns as fit",
        write: |out, bytes| out.write_all(&csv_wide(bytes)),
    },
];

const SUB: &str = "4320de44-2322-4620-999b-5e2e1c8df013";

/// The start of a page holding one user named `username`, before its first attribute.
fn one_user_start(username: &str) -> Vec<u8> {
    format!(
        r#"{{"Users":[{{"Username":"{username}","Enabled":true,"UserStatus":"CONFIRMED","UserCreateDate":1682955829.578,"Attributes":[{{"Name":"sub","Value":"{SUB}"}}"#
    )
    .into_bytes()
}

/// The end of a one-user page.
const ONE_USER_END: &[u8] = b"]}]}\n";

/// `start`, then items `item(0)`, `item(1)`, ... each after `separator`, then `end`: as many
/// as keep the whole within `bytes`.
fn fill(
    mut start: Vec<u8>,
    separator: &[u8],
    end: &[u8],
    bytes: usize,
    item: impl Fn(usize) -> String,
) -> Vec<u8> {
    let mut i = 0;
    loop {
        let next = item(i);
        if start.len() + separator.len() + next.len() + end.len() > bytes {
            break;
        }
        start.extend_from_slice(separator);
        start.extend_from_slice(next.as_bytes());
        i += 1;
    }
    start.extend_from_slice(end);
    start
}

/// One user with attribute `name` repeated; the values are numbers (emails for `email`).
fn repeat(bytes: usize, name: &str) -> Vec<u8> {
    let start = one_user_start("ann");
    fill(start, b",", ONE_USER_END, bytes, |i| {
        let value = if name == "email" {
            format!("a{i}@example.com")
        } else {
            i.to_string()
        };
        format!(r#"{{"Name":"{name}","Value":"{value}"}}"#)
    })
}

/// One user with distinct attribute names.
fn names(bytes: usize) -> Vec<u8> {
    let start = one_user_start("ann");
    fill(start, b",", ONE_USER_END, bytes, |i| {
        format!(r#"{{"Name":"custom:a{i}","Value":"{i}"}}"#)
    })
}

/// One user whose `custom` is text, then `custom:k<i>` attributes that collide with it.
fn collide(bytes: usize) -> Vec<u8> {
    let mut start = one_user_start("ann");
    start.extend_from_slice(br#",{"Name":"custom","Value":"text"}"#);
    fill(start, b",", ONE_USER_END, bytes, |i| {
        format!(r#"{{"Name":"custom:k{i}","Value":"{i}"}}"#)
    })
}

/// One user whose `identities` (a JSON string) lists Google identities; with `long_name`
/// it has no email and a Username of half the file, which becomes its username.
fn identities(bytes: usize, long_name: bool) -> Vec<u8> {
    let username = if long_name {
        "n".repeat(bytes / 2)
    } else {
        String::from("ann")
    };
    let mut start = one_user_start(&username);
    if !long_name {
        start.extend_from_slice(br#",{"Name":"email","Value":"ann@example.com"}"#);
    }
    start.extend_from_slice(br#",{"Name":"identities","Value":"["#);
    let end = [br#"]"}"#.as_slice(), ONE_USER_END].concat();
    // The items carry their commas (the first has none).
    fill(start, b"", &end, bytes, |i| {
        let comma = if i > 0 { "," } else { "" };
        format!(
            r#"{comma}{{\"userId\":\"{i}\",\"providerName\":\"Google\",\"providerType\":\"Google\"}}"#
        )
    })
}

/// One user (with an email) whose top-level list `field` holds distinct `<prefix><i>` names.
fn list_field(bytes: usize, field: &str, prefix: &str) -> Vec<u8> {
    let start = format!(
        r#"{{"Users":[{{"Username":"ann","Enabled":true,"UserStatus":"CONFIRMED","Attributes":[{{"Name":"sub","Value":"{SUB}"}},{{"Name":"email","Value":"ann@example.com"}}],"{field}":["#
    )
    .into_bytes();
    fill(start, b"", b"]}]}\n", bytes, |i| {
        let comma = if i > 0 { "," } else { "" };
        format!(r#"{comma}"{prefix}{i}""#)
    })
}

/// The piece [`long_value`] repeats: letters past ASCII, a quote and a backslash (escaped).
const LONG_PIECE: &str = r#"Zoë \"Ünïcødé\" \\ 日本 "#;

/// One user with one attribute value as long as the file.
fn long_value(bytes: usize) -> Vec<u8> {
    let mut start = one_user_start("ann");
    start.extend_from_slice(
        br#",{"Name":"email","Value":"ann@example.com"},{"Name":"custom:bio","Value":""#,
    );
    let end = [br#""}"#.as_slice(), ONE_USER_END].concat();
    fill(start, b"", &end, bytes, |_| LONG_PIECE.to_owned())
}

/// One user whose Username is half the file, with `custom:tag` repeated in the rest.
fn long_username(bytes: usize) -> Vec<u8> {
    let start = one_user_start(&"u".repeat(bytes / 2));
    fill(start, b",", ONE_USER_END, bytes, |i| {
        format!(r#"{{"Name":"custom:tag","Value":"{i}"}}"#)
    })
}

/// What the small users of [`users`] share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Users {
    /// Nothing.
    Distinct,
    /// One email.
    SameEmail,
    /// One email, with a first user whose Username is half the file.
    SameEmailLongName,
}

/// A page of small users.
fn users(bytes: usize, shape: Users) -> Vec<u8> {
    let mut start = b"{\"Users\":[".to_vec();
    if shape == Users::SameEmailLongName {
        let name = "u".repeat(bytes / 2);
        start.extend_from_slice(
            format!(r#"{{"Username":"{name}","Attributes":[{{"Name":"email","Value":"same@example.com"}}]}},"#)
                .as_bytes(),
        );
    }
    fill(start, b"", b"]}\n", bytes, |i| {
        let comma = if i > 0 { "," } else { "" };
        let email = match shape {
            Users::Distinct => format!("u{i}@example.com"),
            _ => String::from("same@example.com"),
        };
        format!(
            r#"{comma}{{"Username":"u{i}","Attributes":[{{"Name":"email","Value":"{email}"}}]}}"#
        )
    })
}

/// Small users, one JSON document a line.
fn json_lines(bytes: usize) -> Vec<u8> {
    fill(Vec::new(), b"", b"", bytes, |i| {
        format!(
            r#"{{"Username":"u{i}","Attributes":[{{"Name":"email","Value":"u{i}@example.com"}}]}}"#
        ) + "\n"
    })
}

/// A CSV of one user with as many columns as fit.
fn csv_wide(bytes: usize) -> Vec<u8> {
    let mut header = String::from("cognito:username,email");
    let mut row = String::from("ann,ann@example.com");
    let mut i = 0;
    // Each column costs `,custom:c<i>` in the header and `,<i>` in the row; two line ends.
    while header.len() + row.len() + 10 + 2 * i.to_string().len() + 2 <= bytes {
        header.push_str(&format!(",custom:c{i}"));
        row.push_str(&format!(",{i}"));
        i += 1;
    }
    format!("{header}\n{row}\n").into_bytes()
}
