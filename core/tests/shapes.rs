//! Every export shape and date form gives the same FusionAuth users; the guide's samples give
//! the guide's fields.

mod common;

use cognito_fusionauth::{connector_user, read_export, Rules, Shape};
use common::{convert, fixture, APP, TENANT};
use serde_json::{json, Value};

/// The guide's list-users export (AWS CLI v2) gives the fields the guide's processUserJSON
/// and its example import request use.
#[test]
fn guide_list_users_gives_the_guides_fields() {
    let conversion = convert(
        &Rules::defaults(),
        &[("guide-list-users.json", &fixture("guide-list-users.json"))],
    );
    let users: Vec<Value> = conversion.users().collect();
    assert_eq!(users.len(), 2);
    let u = &users[0];
    assert_eq!(u["id"], "05f1780a-17d4-4bba-befb-07c074a89d7b");
    assert_eq!(u["email"], "testverified@example.com");
    assert_eq!(u["verified"], true);
    assert_eq!(u["firstName"], "testverified");
    assert_eq!(u["middleName"], "T");
    assert_eq!(u["lastName"], "Testerson");
    assert_eq!(u["active"], true);
    assert_eq!(u["insertInstant"], 1_637_108_867_442i64);
    assert_eq!(u["data"]["website"], "http://example.com");
    assert_eq!(u["data"]["importSource"], "cognito");
    assert_eq!(u["data"]["cognito"]["userStatus"], "CONFIRMED");
    // Username equals sub, so it is not repeated as a FusionAuth username.
    assert!(u.get("username").is_none());
    assert_eq!(
        u["data"]["cognito"]["username"],
        "05f1780a-17d4-4bba-befb-07c074a89d7b"
    );
    // The second user has no email_verified: verified stays unset (FusionAuth's default, false).
    assert!(users[1].get("verified").is_none());
    assert_eq!(users[1]["insertInstant"], 1_637_016_661_512i64);
}

/// The guide's connector sample: the same id and fields as the guide's connector response,
/// except `username`, which the guide copies from a Username equal to `sub` and we do not.
#[test]
fn guide_get_user_gives_the_guides_connector_response() {
    let mut rules = Rules::defaults();
    rules.settings.tenant_id = Some(TENANT.into());
    rules
        .settings
        .registrations
        .push(cognito_fusionauth::rules::Registration {
            application_id: APP.into(),
            roles: vec![],
        });
    let mapper = rules.compile().unwrap();
    let response = connector_user(
        "guide-get-user.json",
        &fixture("guide-get-user.json"),
        &mapper,
        "2021-11-19T21:50:19.048Z",
    )
    .unwrap();
    let ours = serde_json::to_value(&response).unwrap();
    let guide: Value = serde_json::from_slice(&fixture("guide-connector-response.json")).unwrap();
    for key in [
        "id",
        "email",
        "firstName",
        "lastName",
        "active",
        "tenantId",
        "registrations",
    ] {
        assert_eq!(ours["user"][key], guide["user"][key], "{key}");
    }
    for key in ["migratedDate", "migratedFrom", "website"] {
        assert_eq!(
            ours["user"]["data"][key], guide["user"]["data"][key],
            "data.{key}"
        );
    }
    assert_eq!(
        ours["user"]["middleName"], "T",
        "we also keep middle_name, which the guide drops"
    );
    assert!(
        ours["user"].get("password").is_none(),
        "the connector user logs in with the Cognito password"
    );
}

/// One user rendered in every export shape and date form.
fn shapes() -> Vec<(&'static str, Shape, String)> {
    let attrs = r#"[{"Name":"sub","Value":"06744664-df6e-48cc-9421-3d56a9732172"},{"Name":"email","Value":"test@example.com"},
        {"Name":"given_name","Value":"Test"},{"Name":"custom:plan","Value":"pro, monthly"},{"Name":"birthdate","Value":"1985-02-01"}]"#;
    let user = |created: &str, modified: &str| {
        format!(
            r#"{{"Username":"test","Attributes":{attrs},"UserCreateDate":{created},"UserLastModifiedDate":{modified},"Enabled":true,"UserStatus":"CONFIRMED"}}"#
        )
    };
    let wire = user("1637016661.512", "1637016786.566");
    let cli2 = user(
        "\"2021-11-15T15:51:01.512000-07:00\"",
        "\"2021-11-15T15:53:06.566000-07:00\"",
    );
    let python = user(
        "\"2021-11-15 22:51:01.512000+00:00\"",
        "\"2021-11-15 22:53:06.566000+00:00\"",
    );
    let js = user(
        "\"2021-11-15T22:51:01.512Z\"",
        "\"2021-11-15T22:53:06.566Z\"",
    );
    let admin = wire.replace("\"Attributes\"", "\"UserAttributes\"");
    vec![
        (
            "wire.json",
            Shape::ListUsers,
            format!(r#"{{"Users":[{wire}],"PaginationToken":null}}"#),
        ),
        (
            "cli2.json",
            Shape::ListUsers,
            format!("{{\n  \"Users\": [\n{cli2}\n  ]\n}}\n"),
        ),
        ("python.json", Shape::UserArray, format!("[{python}]")),
        ("backup.json", Shape::UserArray, format!("[\n{js}\n]\n")),
        (
            "lines.jsonl",
            Shape::JsonLines,
            format!("{js}\n{{\"Username\":\"other\"}}\n"),
        ),
        ("admin.json", Shape::AdminGetUser, admin),
        ("user.json", Shape::User, wire.clone()),
    ]
}

#[test]
fn every_shape_and_date_form_maps_to_the_same_user() {
    let mut seen = Vec::new();
    for (name, shape, text) in shapes() {
        let mut count = 0;
        let summary = read_export(name, 0, text.as_bytes(), &mut |_, _| count += 1).unwrap();
        assert_eq!(summary.shape, shape, "{name}");
        let conversion = convert(&Rules::defaults(), &[(name, text.as_bytes())]);
        let mut user = conversion.users().next().unwrap();
        for key in ["password", "salt"] {
            user.as_object_mut().unwrap().remove(key);
        }
        seen.push((name, user));
    }
    let (first_name, first) = &seen[0];
    assert_eq!(first["insertInstant"], 1_637_016_661_512i64);
    assert_eq!(first["data"]["custom"]["plan"], "pro, monthly");
    assert_eq!(first["birthDate"], "1985-02-01");
    assert_eq!(first["username"], "test");
    for (name, user) in &seen[1..] {
        assert_eq!(user, first, "{name} differs from {first_name}");
    }
}

#[test]
fn import_csv_maps_like_json() {
    let csv = "name,given_name,family_name,email,email_verified,birthdate,phone_number,phone_number_verified,\
               address,updated_at,locale,cognito:mfa_enabled,cognito:username,custom:plan\n\
               \u{5f20}\u{4f1f},\u{4f1f},\u{5f20},wei@example.cn,TRUE,02/01/1985,+8613800138000,true,\
               1 Road\\, Beijing,1471453471,zh-CN,false,wei,pro\\, monthly\n";
    let mut shape = None;
    read_export("users.csv", 0, csv.as_bytes(), &mut |_, _| {})
        .map(|s| shape = Some(s.shape))
        .unwrap();
    assert_eq!(shape, Some(Shape::Csv));
    let conversion = convert(&Rules::defaults(), &[("users.csv", csv.as_bytes())]);
    let u = conversion.users().next().unwrap();
    assert_eq!(u["username"], "wei");
    assert_eq!(u["fullName"], "\u{5f20}\u{4f1f}");
    assert_eq!(u["verified"], true);
    assert_eq!(u["birthDate"], "1985-02-01");
    assert_eq!(u["mobilePhone"], "+8613800138000");
    assert_eq!(u["preferredLanguages"], json!(["zh_CN"]));
    assert_eq!(u["data"]["address"], "1 Road, Beijing");
    assert_eq!(u["data"]["updated_at"], "1471453471");
    assert_eq!(u["data"]["custom"]["plan"], "pro, monthly");
    assert_eq!(u["active"], true);
}

#[test]
fn groups_as_names_or_objects_become_memberships() {
    let admins = "4a2b7a06-5f5d-4d7e-9b1f-0c2d3e4f5a6b";
    let mut rules = Rules::defaults();
    rules.settings.groups.insert("admins".into(), admins.into());
    let text = r#"[{"Username":"a","Attributes":[{"Name":"email","Value":"a@x.io"}],"Groups":["admins","staff"]},
                   {"Username":"b","Attributes":[{"Name":"email","Value":"b@x.io"}],"Groups":[{"GroupName":"admins","Precedence":1}]}]"#;
    let conversion = convert(&rules, &[("backup.json", text.as_bytes())]);
    let users: Vec<Value> = conversion.users().collect();
    assert_eq!(users[0]["memberships"], json!([{"groupId": admins}]));
    assert_eq!(
        users[0]["data"]["cognito"]["groups"],
        json!(["admins", "staff"])
    );
    assert_eq!(users[1]["memberships"], json!([{"groupId": admins}]));
    assert_eq!(
        conversion.report().summary.unmapped_groups.get("staff"),
        Some(&1)
    );
}

#[test]
fn every_attribute_lands_somewhere() {
    let text = r#"{"Users":[{"Username":"ünïcødé","Attributes":[
        {"Name":"sub","Value":"not-a-uuid"},{"Name":"email","Value":"  Jos\u00e9@Example.com "},
        {"Name":"website","Value":"https://x.io"},{"Name":"custom:plan","Value":"pro"},
        {"Name":"dev:custom:tenant_id","Value":"t-1"},{"Name":"nickname","Value":"Zé"},
        {"Name":"birthdate","Value":"0000-05-17"},{"Name":"updated_at","Value":"1682955829"},
        {"Name":"identities","Value":"[]"}]}]}"#;
    let conversion = convert(&Rules::defaults(), &[("p.json", text.as_bytes())]);
    let u = conversion.users().next().unwrap();
    assert_eq!(u["email"], "Jos\u{e9}@Example.com");
    assert_eq!(u["username"], "ünïcødé");
    assert_eq!(u["data"]["website"], "https://x.io");
    assert_eq!(u["data"]["custom"]["plan"], "pro");
    assert_eq!(u["data"]["dev"]["custom"]["tenant_id"], "t-1");
    assert_eq!(u["data"]["nickname"], "Zé");
    assert_eq!(u["data"]["unmapped"]["birthdate"], "0000-05-17");
    assert_eq!(u["data"]["unmapped"]["sub"], "not-a-uuid");
    assert_eq!(u["data"]["updated_at"], "1682955829");
    assert_eq!(u["data"]["identities"], "[]");
    // The derived id is stable across runs.
    let again = convert(&Rules::defaults(), &[("p.json", text.as_bytes())])
        .users()
        .next()
        .unwrap();
    assert_eq!(u["id"], again["id"]);
    let codes: Vec<_> = conversion
        .report()
        .issues
        .iter()
        .map(|i| i.code.as_str())
        .collect();
    assert_eq!(codes, ["invalid-id", "invalid-birthdate"]);
}

#[test]
fn drop_rules_are_the_only_way_to_lose_an_attribute() {
    let mut rules = Rules::defaults();
    rules.attributes.push(
        serde_json::from_value(json!({"source": "nickname", "target": "", "transform": "drop"}))
            .unwrap(),
    );
    let text = r#"[{"Username":"a","Attributes":[{"Name":"email","Value":"a@x.io"},{"Name":"nickname","Value":"Zé"}]}]"#;
    let u = convert(&rules, &[("a.json", text.as_bytes())])
        .users()
        .next()
        .unwrap();
    assert!(u["data"].get("nickname").is_none());
}

#[test]
fn same_user_on_overlapping_pages_is_kept_once_newest_copy() {
    let page = |given: &str, modified: &str| {
        format!(
            r#"{{"Users":[{{"Username":"u","Attributes":[{{"Name":"sub","Value":"06744664-df6e-48cc-9421-3d56a9732172"}},
            {{"Name":"email","Value":"u@x.io"}},{{"Name":"given_name","Value":"{given}"}}],"UserLastModifiedDate":{modified}}}]}}"#
        )
    };
    let old = page("Old", "1637016786.566");
    let new = page("New", "\"2022-01-01T00:00:00Z\"");
    let conversion = convert(
        &Rules::defaults(),
        &[
            ("page-2.json", new.as_bytes()),
            ("page-1.json", old.as_bytes()),
        ],
    );
    let users: Vec<Value> = conversion.users().collect();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["firstName"], "New");
    let excluded = &conversion.report().excluded;
    assert_eq!(excluded.len(), 1);
    assert_eq!(excluded[0].file, "page-1.json");
    assert!(
        !conversion.blocked(),
        "a repeated record is not a duplicate email"
    );
    common::assert_nothing_lost(&conversion);
}

#[test]
fn attribute_names_that_are_no_data_path_stay_flat_in_unmapped() {
    let text = r#"[{"Username":"a","Attributes":[{"Name":"email","Value":"a@x.io"},
        {"Name":"custom::odd","Value":"1"},{"Name":"a:b:c:d:e:f:g","Value":"2"},
        {"Name":"website","Value":"w"},{"Name":"website:extra","Value":"3"}]}]"#;
    let conversion = convert(&Rules::defaults(), &[("odd.json", text.as_bytes())]);
    let u = conversion.users().next().unwrap();
    assert_eq!(u["data"]["unmapped"]["custom::odd"], "1");
    assert_eq!(u["data"]["unmapped"]["a:b:c:d:e:f:g"], "2");
    assert_eq!(u["data"]["website"], "w");
    assert_eq!(
        u["data"]["unmapped"]["website:extra"], "3",
        "data.website is text, not an object"
    );
    let flat = conversion
        .report()
        .issues
        .iter()
        .filter(|f| f.code == cognito_fusionauth::Code::InvalidValue)
        .count();
    assert_eq!(flat, 3);
}

#[test]
fn many_attributes_and_many_rules_map_like_few() {
    // 70 attributes (past the 64 tracked per user at once), the email and a custom
    // attribute some rule reads at the end; and 60 rules reading attributes (past the
    // values kept on the stack).
    let mut attributes: Vec<Value> = (0..68)
        .map(|i| json!({"Name": format!("custom:a{i}"), "Value": format!("v{i}")}))
        .collect();
    attributes.push(json!({"Name": "email", "Value": "late@example.com"}));
    attributes.push(json!({"Name": "custom:ruled59", "Value": "r59"}));
    let export = json!({"Users": [{"Username": "many", "Attributes": attributes}]}).to_string();
    let mut rules = Rules::defaults();
    for i in 0..60 {
        let rule =
            json!({"source": format!("custom:ruled{i}"), "target": format!("data.ruled.r{i}")});
        rules.attributes.push(serde_json::from_value(rule).unwrap());
    }
    let conversion = convert(&rules, &[("many.json", export.as_bytes())]);
    let u = conversion.users().next().unwrap();
    assert_eq!(u["email"], "late@example.com");
    assert!(
        u["data"].get("email").is_none(),
        "a consumed attribute is not copied to data"
    );
    assert_eq!(u["data"]["ruled"]["r59"], "r59");
    assert!(u["data"]["custom"].get("ruled59").is_none());
    for i in 0..68 {
        assert_eq!(u["data"]["custom"][format!("a{i}")], format!("v{i}"));
    }
}
