//! An export read in slices of any size gives what the whole file gives: the same users in the
//! same order and numbering, the same summary, and the same error (message, file, line,
//! column, user and field) for broken files.

mod common;

use common::Feed;

use cognito_fusionauth::{read_export, Error, FileSummary, SlicedExport};

type Read = Result<(Vec<String>, FileSummary), Error>;

fn whole(bytes: &[u8]) -> Read {
    let mut users = Vec::new();
    let summary = read_export("in", 3, bytes, &mut |u, o| {
        users.push(format!("{} {} {u:?}", o.file, o.index));
    })?;
    Ok((users, summary))
}

fn sliced(bytes: &[u8], size: usize) -> Read {
    let mut users = Vec::new();
    let mut file = SlicedExport::new("in", 3);
    let mut read = |unit: &cognito_fusionauth::cognito::Unit<'_>| {
        unit.read(&mut |u, o| users.push(format!("{} {} {u:?}", o.file, o.index)))
    };
    for slice in bytes.chunks(size.max(1)) {
        file.feed(slice, &mut read)?;
    }
    let summary = file.finish(&mut read)?;
    Ok((users, summary))
}

/// Slice sizes that cut everywhere: byte by byte, odd sizes, and larger than most files.
const SIZES: [usize; 7] = [1, 2, 3, 7, 61, 4096, 1 << 20];

/// What a streamed conversion keeps of a file fed as `feed`: its summary or error (message
/// and position), and its spool blocks.
fn converted(bytes: &[u8], feed: Feed) -> (Result<FileSummary, String>, Vec<Vec<u8>>) {
    let mapper = cognito_fusionauth::Rules::defaults().compile().unwrap();
    let mut converter = cognito_fusionauth::StreamConverter::new(mapper.clone());
    let mut spool = common::MemorySpool::default();
    let read = common::feed_file(&mut converter, &mapper, "in", bytes, feed, &mut spool);
    let read = read.map_err(|e| format!("{e} {:?}", e.position()));
    (read, spool.0)
}

fn same(name: &str, bytes: &[u8]) {
    let expected = whole(bytes);
    for size in SIZES {
        // Mapped apart (as by other workers), the units taken back at once or late.
        let fed = converted(bytes, Feed::Slices(size));
        for lag in [0, 2] {
            let apart = converted(bytes, Feed::Apart { slice: size, lag });
            assert_eq!(
                fed.0, apart.0,
                "{name}, slices of {size} apart, {lag} in flight"
            );
            assert!(
                fed.1 == apart.1,
                "{name}, slices of {size} apart: spool blocks"
            );
        }
        let got = sliced(bytes, size);
        match (&expected, &got) {
            (Ok(e), Ok(g)) => {
                assert_eq!(e.1, g.1, "{name}, slices of {size}: summary");
                assert_eq!(e.0.len(), g.0.len(), "{name}, slices of {size}: users");
                for (a, b) in e.0.iter().zip(&g.0) {
                    assert_eq!(a, b, "{name}, slices of {size}");
                }
            }
            (Err(e), Err(g)) => assert_eq!(
                (e.to_string(), e.position()),
                (g.to_string(), g.position()),
                "{name}, slices of {size}"
            ),
            _ => panic!("{name}, slices of {size}: {expected:?} but {got:?}"),
        }
    }
}

#[test]
fn every_fixture_reads_the_same_in_slices() {
    let dir = format!("{}/../tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") || n.ends_with(".csv"))
        .collect();
    names.sort();
    assert!(names.len() >= 5, "{names:?}");
    for name in names {
        same(&name, &common::fixture(&name));
    }
}

fn user(i: usize) -> String {
    format!(
        r#"{{"Username":"u{i}","Enabled":true,"UserStatus":"CONFIRMED","UserCreateDate":1682955829.578,
  "Attributes":[{{"Name":"email","Value":"u{i}@example.com"}},{{"Name":"name","Value":"Zo\u00eb \"{i}\" [x], {{y}}"}}],
  "Groups":["a","b"],"Unknown{}":{{"deep":[1,[2,{{"3":"]"}}]]}}}}"#,
        i % 3
    )
}

#[test]
fn every_json_shape_reads_the_same_in_slices() {
    let users: Vec<String> = (0..12).map(user).collect();
    let page = format!(
        "\u{feff}{{\"PaginationToken\":null,\"Users\":[\n{}\n],\"NextToken\":\"more\"}}",
        users.join(",\n")
    );
    same("page with tokens around its users", page.as_bytes());
    same("page with a BOM", page.as_bytes());
    same("array", format!("  [ {} ]\n", users.join(" , ")).as_bytes());
    same("empty page", br#"{"Users":[]}"#);
    same("empty page with spaces", b"{ \"Users\" : [ \n ] }");
    same("empty array", b"[]");
    let lines: Vec<String> = (0..9)
        .map(|i| {
            if i % 4 == 3 {
                format!("{{\"Users\":[{},{}]}}", user(i), user(i + 100))
            } else {
                user(i).replace('\n', " ")
            }
        })
        .collect();
    same(
        "json lines with pages among them",
        lines.join("\n").as_bytes(),
    );
    same(
        "admin get user",
        br#"{"Username":"u","UserAttributes":[],"UserStatus":"CONFIRMED","Enabled":true,
            "UserMFASettingList":["SMS_MFA"],"ResponseMetadata":{"x":[1,2]}}"#,
    );
    same(
        "get user",
        br#"{"Username":"u","UserAttributes":[{"Name":"sub","Value":"s"}]}"#,
    );
    same(
        "a page whose users key comes last",
        format!("{{\"NextToken\":\"t\",\"Users\":[{}]}}", users.join(",")).as_bytes(),
    );
    same(
        "two pages",
        format!(
            "{{\"Users\":[{}]}}\n{{\"Users\":[{}]}}",
            users[..5].join(","),
            users[5..].join(",")
        )
        .as_bytes(),
    );
}

#[test]
fn every_csv_reads_the_same_in_slices() {
    let mut csv = String::from("\n \ncognito:username,email,name,email_verified\n");
    for i in 0..20 {
        match i % 5 {
            0 => csv.push_str(&format!(
                "u{i},u{i}@example.com,\"Quoted, with \"\"quotes\"\"\nand a line\",true\n"
            )),
            1 => csv.push_str(&format!("u{i},u{i}@example.com,Escaped\\, comma,false\n")),
            2 => csv.push_str(",,,\n"),
            3 => csv.push_str(&format!("u{i},u{i}@example.com,Zoë \"mid\" quote,true\r\n")),
            _ => csv.push_str(&format!("u{i},u{i}@example.com, spaced ,true\n")),
        }
    }
    same("csv", csv.as_bytes());
    same("csv without a last line end", csv.trim_end().as_bytes());
    same(
        "semicolons",
        b"cognito:username;email\na;a@example.com\nb;b@example.com",
    );
}

#[test]
fn broken_files_give_the_same_error_in_slices() {
    let users: Vec<String> = (0..6).map(user).collect();
    let page = format!("{{\"Users\":[\n{}\n]}}", users.join(",\n"));
    same("cut off", &page.as_bytes()[..page.len() / 2]);
    same("cut before the end", &page.as_bytes()[..page.len() - 2]);
    same(
        "a bad field",
        page.replacen("\"Enabled\":true", "\"Enabled\":[1]", 4)
            .replacen("\"Enabled\":[1]", "\"Enabled\":true", 3)
            .as_bytes(),
    );
    same(
        "a syntax error in a user",
        page.replacen("\"Groups\":[\"a\",\"b\"]", "\"Groups\":[\"a\" \"b\"]", 3)
            .replacen("\"Groups\":[\"a\" \"b\"]", "\"Groups\":[\"a\",\"b\"]", 2)
            .as_bytes(),
    );
    // A user's error, then the file cut off: the user's error comes first in the file.
    let bad_then_cut = page.replacen("\"Enabled\":true", "\"Enabled\":[1]", 1);
    same(
        "a bad field, then cut off",
        &bad_then_cut.as_bytes()[..bad_then_cut.len() - 30],
    );
    same("users not an array", br#"{"Users":{"a":1}}"#);
    same("a page with user fields", br#"{"Users":[],"Username":"x"}"#);
    same("no username", br#"[{"Attributes":[]}]"#);
    same("a number", b"[1]");
    same("empty", b"");
    same("blank", b" \n\t ");
    same("a missing bracket", b"[{\"Username\":\"a\"}");
    same(
        "not UTF-8 in a user",
        b"{\"Users\":[{\"Username\":\"a\"},{\"Username\":\"b\xff\"}]}",
    );
    same(
        "csv with a short row",
        b"cognito:username,email\na,a@example.com\nb\nc,c@example.com\n",
    );
    same(
        "csv with an unclosed quote",
        b"cognito:username,email\na,\"a@example.com\nb,b@example.com\n",
    );
    same("csv without a header", b"just,words\n");
    same(
        "csv not UTF-8",
        b"cognito:username,email\na,a@example.com\nb,b\xff@example.com\n",
    );
}

#[test]
fn slices_of_a_file_with_a_trailing_comma_or_garbage_are_errors() {
    // The whole-file reader and the slices word these two differently, but both refuse them
    // and say where.
    for (bytes, line) in [
        (&b"[{\"Username\":\"a\"},\n]"[..], 2),
        (&b"{\"Users\":[]}\nnot json"[..], 2),
    ] {
        assert!(whole(bytes).is_err());
        for size in SIZES {
            let e = sliced(bytes, size).unwrap_err();
            assert_eq!(e.position().unwrap().line, line, "{e}");
            let text = e.to_string();
            assert!(
                text.contains("invalid JSON") || text.contains("trailing comma"),
                "{e}"
            );
        }
    }
}

#[test]
fn a_users_error_comes_before_a_later_error_the_scan_finds_when_mapped_apart() {
    let mut users: Vec<String> = (0..40).map(user).collect();
    users[25] = users[25].replace("\"Enabled\":true", "\"Enabled\":[1]");
    let bad = format!("{{\"Users\":[\n{}\n]}}\nnot json", users.join(",\n"));
    for size in [61, 4096] {
        let fed = converted(bad.as_bytes(), Feed::Slices(size));
        let error = fed.0.clone().unwrap_err();
        assert!(error.contains("user 25"), "{error}");
        for lag in [0, 5, 1000] {
            let apart = converted(bad.as_bytes(), Feed::Apart { slice: size, lag });
            assert_eq!(fed.0, apart.0, "slices of {size}, {lag} in flight");
        }
    }
}

/// Feeds `bytes` in slices of `size`; the most bytes the reader held between slices.
fn held(bytes: &[u8], size: usize) -> usize {
    let mut file = SlicedExport::new("in", 0);
    let mut read = |unit: &cognito_fusionauth::cognito::Unit<'_>| unit.read(&mut |_, _| {});
    let mut most = 0;
    for slice in bytes.chunks(size) {
        file.feed(slice, &mut read).unwrap();
        most = most.max(file.held());
    }
    let users = file.finish(&mut read).unwrap().users;
    assert!(users > 0);
    most
}

#[test]
fn users_come_out_as_slices_arrive_and_only_the_unfinished_tail_is_held() {
    let users: Vec<String> = (0..2000).map(user).collect();
    let one = user(0).len();
    let page = format!("{{\"Users\":[{}],\"NextToken\":\"t\"}}", users.join(","));
    let array = format!("[{}]", users.join(",\n"));
    let lines: Vec<String> = users.iter().map(|u| u.replace('\n', " ")).collect();
    let lines = lines.join("\n");
    let mut csv = String::from("cognito:username,email\n");
    for i in 0..20_000 {
        csv.push_str(&format!("u{i},u{i}@example.com\n"));
    }
    for (name, bytes) in [
        ("page", page.as_bytes()),
        ("array", array.as_bytes()),
        ("json lines", lines.as_bytes()),
        ("csv", csv.as_bytes()),
    ] {
        assert!(bytes.len() > 400_000, "{name}");
        let most = held(bytes, 4096);
        assert!(most < 4096 + 2 * one, "{name}: held {most} bytes");
    }
}
