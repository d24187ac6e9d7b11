//! The conversion writes the same bytes as the in-memory conversion did before it streamed:
//! every output file of a pool built to hit every path across users (the same Cognito user in
//! two files, shared emails, usernames, phone numbers and ids within and across files, users
//! with findings, links, MFA) under every duplicate policy and several chunk sizes, held to
//! digests recorded with the in-memory path (commit 89782d6). The blocked runs' report.json
//! changed once since, on purpose: it counts the users held back (`summary.heldBack`).
//!
//! Regenerate (only when the output is meant to change): `GOLDEN_PRINT=1 cargo test -p
//! cognito-fusionauth --test same_bytes -- --nocapture` and paste the table.

mod common;

use common::Feed;

use cognito_fusionauth::{DuplicatePolicy, OutputFile, Rules};

/// FNV-1a, 64 bits: a stable digest with no dependency (the inputs are our own, not hostile).
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A user of a list-users page: `i` picks which values it shares with others.
fn user_json(file: usize, i: usize) -> String {
    let n = file * 1000 + i;
    // Every 7th user of file 1 is the same Cognito user as one of file 0 (overlapping
    // pages), modified later on odd positions.
    let (sub, modified) = if file == 1 && i % 7 == 0 {
        (
            format!("00000000-0000-4000-8000-{:012}", i),
            1_700_000_000 + i as i64 % 2 * 100,
        )
    } else {
        (
            format!("00000000-0000-4000-8000-{:012}", n),
            1_700_000_000 + n as i64,
        )
    };
    // Every 5th user shares an email with one 3 places before (in any file), in another case.
    let email = if n % 5 == 0 && n >= 3 {
        format!("User{}@Example.com", n - 3)
    } else {
        format!("user{n}@example.com")
    };
    let mut attributes = vec![
        format!(r#"{{"Name":"sub","Value":"{sub}"}}"#),
        format!(r#"{{"Name":"email","Value":"{email}"}}"#),
        format!(
            r#"{{"Name":"email_verified","Value":"{}"}}"#,
            if n % 3 == 0 { "false" } else { "true" }
        ),
        format!(r#"{{"Name":"custom:plan","Value":"p{}"}}"#, n % 4),
        format!(r#"{{"Name":"name","Value":"Zoë {n}"}}"#),
    ];
    // Phone numbers shared by pairs 11 apart; some users carry SMS MFA.
    if n % 4 == 1 {
        attributes.push(format!(
            r#"{{"Name":"phone_number","Value":"+1555{:07}"}}"#,
            n - n % 11
        ));
        attributes.push(r#"{"Name":"phone_number_verified","Value":"true"}"#.into());
    }
    if n % 13 == 0 {
        attributes.push(format!(
            r#"{{"Name":"identities","Value":"[{{\"userId\":\"g{n}\",\"providerName\":\"Google\",\"providerType\":\"Google\",\"primary\":true,\"dateCreated\":1682955829578}}]"}}"#
        ));
    }
    // Usernames that are not the sub become FusionAuth usernames; some shared by case.
    let username = if n % 9 == 0 {
        format!("Name{}", n % 27)
    } else {
        sub.clone()
    };
    format!(
        r#"{{"Username":"{username}","Enabled":{},"UserStatus":"{}","UserCreateDate":1682955829.578,"UserLastModifiedDate":{modified},"MFAOptions":[{}],"Attributes":[{}]}}"#,
        n % 17 != 0,
        if n % 19 == 0 {
            "FORCE_CHANGE_PASSWORD"
        } else {
            "CONFIRMED"
        },
        if n % 4 == 1 {
            r#"{"DeliveryMedium":"SMS","AttributeName":"phone_number"}"#
        } else {
            ""
        },
        attributes.join(",")
    )
}

/// Three files: two list-users pages and a CSV, sharing values across them.
fn pool() -> Vec<(String, Vec<u8>)> {
    let page = |file: usize, n: usize| {
        let users: Vec<String> = (0..n).map(|i| user_json(file, i)).collect();
        format!("{{\"Users\":[{}]}}", users.join(",\n")).into_bytes()
    };
    let mut csv = String::from(
        "name,given_name,family_name,middle_name,nickname,preferred_username,profile,picture,website,email,email_verified,gender,birthdate,zoneinfo,locale,phone_number,phone_number_verified,address,updated_at,cognito:mfa_enabled,cognito:username\n",
    );
    for i in 0..40 {
        let n = 2000 + i;
        let email = if i % 6 == 0 {
            format!("USER{}@example.com", i * 10)
        } else {
            format!("csv{n}@example.com")
        };
        csv.push_str(&format!(
            "C {n},,,,,,,,,{email},true,,,,,+1666{n:07},{},,1700000000,false,csv{n}\n",
            i % 2 == 0
        ));
    }
    vec![
        ("a.json".into(), page(0, 240)),
        ("b.json".into(), page(1, 120)),
        ("c.csv".into(), csv.into_bytes()),
    ]
}

/// The digests of every output file of one run, in memory or `streamed`.
fn digests(
    policy: DuplicatePolicy,
    chunk_size: usize,
    mfa: bool,
    streamed: bool,
) -> Vec<(String, usize, u64)> {
    let mut rules = Rules::defaults();
    rules.settings.on_duplicate = policy;
    rules.settings.chunk_size = chunk_size;
    rules.settings.carry_mfa = mfa;
    rules.settings.tenant_id = Some(common::TENANT.into());
    if chunk_size == 64 {
        // phoneNumber is a login identity: the duplicate-phone path.
        for rule in &mut rules.attributes {
            if rule.source.as_deref() == Some("phone_number") {
                rule.target = "phoneNumber".into();
            }
        }
    }
    let inputs = pool();
    let inputs: Vec<(&str, &[u8])> = inputs
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let mut random = common::counter();
    let files: Vec<OutputFile> = if streamed {
        let whole = common::convert_streamed(&rules, &inputs, &mut random).1;
        let mut random = common::counter();
        let sliced = common::convert_streamed_in(&rules, &inputs, &mut random, Feed::Slices(101)).1;
        assert!(sliced == whole, "in slices");
        for lag in [0, 3] {
            let mut random = common::counter();
            let feed = Feed::Apart { slice: 101, lag };
            let apart = common::convert_streamed_in(&rules, &inputs, &mut random, feed).1;
            assert!(apart == whole, "mapped apart, {lag} in flight");
        }
        whole
    } else {
        let conversion = common::convert(&rules, &inputs);
        if std::env::var_os("GOLDEN_PRINT").is_some() {
            println!("# codes: {:?}", conversion.report().summary.codes);
        }
        conversion.files(&mut random).collect()
    };
    files
        .iter()
        .map(|f| (f.name.clone(), f.content.len(), fnv(&f.content)))
        .collect()
}

/// The runs: every policy, chunk sizes that split the pool at odd places, MFA on and off.
fn runs() -> Vec<(DuplicatePolicy, usize, bool)> {
    let mut runs = Vec::new();
    for policy in DuplicatePolicy::ALL {
        for (chunk, mfa) in [(1000, false), (7, true), (64, false)] {
            runs.push((policy, chunk, mfa));
        }
    }
    runs
}

#[test]
fn every_output_file_has_the_bytes_of_the_in_memory_path() {
    check(false);
}

#[test]
fn the_streamed_conversion_writes_the_same_bytes() {
    check(true);
}

fn check(streamed: bool) {
    let print = std::env::var_os("GOLDEN_PRINT").is_some();
    let mut all = Vec::new();
    for (policy, chunk, mfa) in runs() {
        let got = digests(policy, chunk, mfa, streamed);
        // One line per run: the file count, then each file's name, length and digest.
        let mut line = format!("{}/{chunk}/{mfa}:", policy.name());
        for (name, len, digest) in &got {
            line.push_str(&format!(" {name}={len}:{digest:016x}"));
        }
        all.push(line);
    }
    if print && !streamed {
        for line in &all {
            println!("{line}");
        }
        return;
    }
    let expected: Vec<&str> = GOLDEN.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(all.len(), expected.len(), "runs changed: regenerate");
    for (got, want) in all.iter().zip(&expected) {
        assert_eq!(got.trim(), want.trim());
    }
}

const GOLDEN: &str = "
error/1000/false: report.json=149017:90e2bc33952281b9
error/7/true: report.json=122578:c0f230787383078c
error/64/false: report.json=194395:cec2f5b52250785b
keep-newest/1000/false: users-0001.json=165519:be9ab65250d36fdd login-ids.txt=5548:2a792f78fdb92658 links.json=4539:4a28814cdc15c002 report.json=149862:9bcde53b35fd1f0d
keep-newest/7/true: users-0001.json=4109:16b85e790b0604f5 users-0002.json=4124:7de8922010bcf207 users-0003.json=4263:6070bec17280317c users-0004.json=4126:49dfcd0a95c0e43f users-0005.json=3973:410a2806988affd6 users-0006.json=4121:61b749e03567dafa users-0007.json=4264:2e80de157e9b272e users-0008.json=4125:eef6ba3b1a90b2fc users-0009.json=4273:8cd9e89c8b239b41 users-0010.json=3988:88c25614d7f618fc users-0011.json=4428:34350468aee30e0d users-0012.json=3999:ceb8052d93f52021 users-0013.json=4278:cbd9a9a247b28eb1 users-0014.json=4149:bf0b8cee0d093835 users-0015.json=4277:46120a7cb887de60 users-0016.json=4128:9b734b1450074bf1 users-0017.json=4279:89b7c1fb539fe802 users-0018.json=4135:d6bc9c7eb2728228 users-0019.json=3998:4f369a0c64a737da users-0020.json=4278:642e68253f3f8c34 users-0021.json=4291:70a54e11414312dc users-0022.json=3986:1eb9d84d4b7816c8 users-0023.json=4290:35d937e448a1f908 users-0024.json=4137:27dd9a0fdfcf6a15 users-0025.json=4443:1887ef4b0efd27a0 users-0026.json=4001:40748af359202440 users-0027.json=4300:1ef0edf9ae8dac57 users-0028.json=4143:9ddcff39ef89a495 users-0029.json=4312:562d4f873b49c42f users-0030.json=4000:665380899252ec32 users-0031.json=4305:21bc23a5a6ce6dba users-0032.json=4134:7b2e425adfc62468 users-0033.json=4152:e89039307ae82376 users-0034.json=3999:19afd63fb10276bc users-0035.json=4162:1246c4da0939250e users-0036.json=4139:d0664c346e23b6f6 users-0037.json=3729:d8198747301cd484 users-0038.json=3544:6b22308be6ef7ad1 users-0039.json=3543:c7cc1ab74a15ec6d users-0040.json=3544:3237393b7f9d5caf users-0041.json=3543:01a4526f2f8d4d1b users-0042.json=2535:57a69173db8c7211 login-ids.txt=5548:2a792f78fdb92658 links.json=4539:4a28814cdc15c002 report.json=123444:0d2ceeb43e62264a
keep-newest/64/false: users-0001.json=36438:fbcbb3a34d5b82f2 users-0002.json=36348:2dda2b14ebb39db3 users-0003.json=36298:deceae8b48b22156 users-0004.json=34255:b0fc8fb4dfbc69ca users-0005.json=3039:56c83783e0f14ab6 login-ids.txt=4964:a213a676f9c25c1a links.json=3781:15e3ab2ce2919e3d report.json=180259:9fb09d6869eeda57
keep-first/1000/false: users-0001.json=164570:27e6396c35aec1c0 login-ids.txt=5481:f654880e4395a2ae links.json=4789:b400a0b8083b6b1f report.json=147979:2b40c8f6884eff38
keep-first/7/true: users-0001.json=4100:24536c57bfa094dd users-0002.json=4248:e448056eea2fe943 users-0003.json=4116:957105f445f6a210 users-0004.json=4272:5568b1ec0d1bae19 users-0005.json=4125:20dd6229b023518d users-0006.json=4277:426ce0ccb30a718d users-0007.json=3971:3b2233ef3350d551 users-0008.json=4276:0f8ebef7bc199033 users-0009.json=3822:fff95835ed4513b7 users-0010.json=4272:ff3320f7f219bce0 users-0011.json=4126:133f0deb6d7bcedf users-0012.json=4148:85145ef31f5d7984 users-0013.json=3986:59072711af1034d4 users-0014.json=4299:21e9d0126aeb7ae0 users-0015.json=4129:1c0d41a5d606e373 users-0016.json=4289:c06b69ae2d6fa0f4 users-0017.json=3985:cb4df4f6c7e5a803 users-0018.json=4429:80889a0a17aac74d users-0019.json=4128:c94d06f05004e66e users-0020.json=3986:7c20a9c3903b04d0 users-0021.json=4137:fb94da223515f2ee users-0022.json=4439:9212e01344e3d379 users-0023.json=4129:4b3b3fafcf5dec1b users-0024.json=4148:646328ebfb947553 users-0025.json=4289:bd9fdaad8a2f33c8 users-0026.json=4161:19e94741bf76dba3 users-0027.json=4142:2e3cecc838b2e13a users-0028.json=4301:a02687de6cf2d27a users-0029.json=4163:d65d702331c04000 users-0030.json=4149:0445f187895ea747 users-0031.json=4155:86a4c684190e7abc users-0032.json=4300:2085d9647597be3a users-0033.json=4156:51a38f351a87161f users-0034.json=4292:4b2e9c2343509415 users-0035.json=4162:1246c4da0939250e users-0036.json=4249:36c975bc8ab12e72 users-0037.json=3542:8c63b1af5385a0bb users-0038.json=3544:0ef20942bcd30d1e users-0039.json=3543:c39920b696a82664 users-0040.json=3544:020f99626fe624d7 users-0041.json=3543:bffc8bfbe0aabe55 users-0042.json=1526:c7184f4dad1cf14e login-ids.txt=5481:f654880e4395a2ae links.json=4789:b400a0b8083b6b1f report.json=121561:52d93ee4e509f687
keep-first/64/false: users-0001.json=36422:33d1cd594e17cea5 users-0002.json=36424:6ed5eed9014b9ab7 users-0003.json=36611:519707143eb221a8 users-0004.json=34290:b0f20f0f0a0435f1 users-0005.json=1526:e3f97b0c9d686ea1 login-ids.txt=4878:59af69ce8e9ec8ea links.json=4789:b400a0b8083b6b1f report.json=178278:6e06cc052deb1746
move-to-data/1000/false: users-0001.json=216125:39ea7794b5e33130 login-ids.txt=7888:27f999d8f79f41fc links.json=6303:d911f6cac9fd1c26 report.json=134057:2b3e3f0e139adc1b
move-to-data/7/true: users-0001.json=4318:b4745a89607707a0 users-0002.json=4314:462ae496bb71c3fb users-0003.json=4102:36e8226d1c290e05 users-0004.json=4263:7e344034c759bdcf users-0005.json=4191:3bd69ff4f812ef9b users-0006.json=4322:2b0d73e025c86df6 users-0007.json=4232:f074f699488ca215 users-0008.json=4041:af20a35cdf82a6f6 users-0009.json=4381:c297057225bd89aa users-0010.json=4134:4f7a9355e739db83 users-0011.json=4170:847b409c0d3e98d6 users-0012.json=4238:b2616a4ada556302 users-0013.json=4193:24b2026050c3d9b0 users-0014.json=4337:4d83c87cd513f2b5 users-0015.json=4251:f3f4b785a4bc4b49 users-0016.json=3999:9deb86b6596b7be8 users-0017.json=4103:aeed6069263482ec users-0018.json=4347:317bad592df5294f users-0019.json=4255:29c51b139f1fe16f users-0020.json=4334:28bf8db13bb3421c users-0021.json=4200:08327ec694075bf1 users-0022.json=4194:0165aadae040dec0 users-0023.json=4348:fd452184bc39e8e9 users-0024.json=4254:bae54de24f059732 users-0025.json=4336:b5f6be12d6ef3ea9 users-0026.json=4115:04329fbac2e7c565 users-0027.json=4334:d002aa2d50150f34 users-0028.json=4196:98997531dcb58f64 users-0029.json=4349:464f99b3ca3d4843 users-0030.json=4335:3abb1b6870262b27 users-0031.json=4114:abfa7eb5406ebf7e users-0032.json=4336:8f49223a04f17634 users-0033.json=4346:9bfd7b6334f7efcd users-0034.json=4218:c5a4a3c4c117031c users-0035.json=4058:ff8371dea71d619e users-0036.json=4220:6184a4dd9a1238d8 users-0037.json=4352:a6f0230ce9e7a26f users-0038.json=4353:eb4853acd073381b users-0039.json=4221:732542f4afd5b50f users-0040.json=4408:02ffc14cfa3025e2 users-0041.json=4305:a4c7632577982865 users-0042.json=4201:1e4874ea79f2bf66 users-0043.json=4349:e8dba9ac40567e60 users-0044.json=4279:3c9935b94a9a4aaf users-0045.json=4202:9f8ff9cfffd2ed15 users-0046.json=4221:19ca0bfd775f4f8d users-0047.json=4148:05e5e82d02bf0dde users-0048.json=4050:bfd4a035d74898bf users-0049.json=3542:5a61e5cefad13a7b users-0050.json=3544:3a70183db627b70e users-0051.json=3543:611814396c60df25 users-0052.json=3544:2d2555bf1edda92b users-0053.json=3543:a89d1c59343ccf74 users-0054.json=1526:69ed0650282bebe4 login-ids.txt=7888:27f999d8f79f41fc links.json=6303:d911f6cac9fd1c26 report.json=107639:40c94ee4a50f4324
move-to-data/64/false: users-0001.json=37651:b42a909fb221fbdc users-0002.json=37324:aa6ae11ae0351e32 users-0003.json=37795:69636c27031489c0 users-0004.json=37814:c31b881527a98061 users-0005.json=37794:8004dd8375b874c6 users-0006.json=29442:fa1b1f3f33132998 login-ids.txt=7818:966ef41282ebf2cb links.json=6555:2d3f089510a26a03 report.json=167821:7056ce53325bcca3
";

/// Both paths on the same inputs: the file names and bytes in order (the streamed one with
/// each input given whole, and in slices of several sizes, which must agree).
fn both(rules: &Rules, inputs: &[(&str, &[u8])]) -> (Vec<OutputFile>, Vec<OutputFile>) {
    let mapper = rules.compile().unwrap();
    let mut converter = cognito_fusionauth::Converter::new(&mapper);
    for (name, bytes) in inputs {
        let _ = converter.add_file(name, bytes);
    }
    let conversion = converter.finish();
    let mut random = common::counter();
    let memory: Vec<OutputFile> = conversion.files(&mut random).collect();
    let mut random = common::counter();
    let (report, streamed) = common::convert_streamed(rules, inputs, &mut random);
    assert_eq!(report.summary, conversion.report().summary);
    let size: usize = inputs.iter().map(|(_, b)| b.len()).sum();
    let slice = if size > 1 << 20 { 1 << 16 } else { 997 };
    let mut random = common::counter();
    let (_, sliced) = common::convert_streamed_in(rules, inputs, &mut random, Feed::Slices(slice));
    assert!(sliced == streamed, "slices of {slice}");
    let mut random = common::counter();
    let feed = Feed::Apart { slice, lag: 2 };
    let (_, apart) = common::convert_streamed_in(rules, inputs, &mut random, feed);
    assert!(apart == streamed, "slices of {slice} mapped apart");
    (memory, streamed)
}

#[test]
fn a_pool_written_in_many_pieces_and_chunks_has_the_same_bytes() {
    // Enough users for every growing file to be handed out in several pieces.
    let page = |file: usize, n: usize| {
        let users: Vec<String> = (0..n).map(|i| user_json(file, i)).collect();
        format!("{{\"Users\":[{}]}}", users.join(",")).into_bytes()
    };
    let (a, b) = (page(0, 30_000), page(1, 25_000));
    let mut rules = Rules::defaults();
    rules.settings.on_duplicate = DuplicatePolicy::KeepNewest;
    rules.settings.chunk_size = 9_999;
    let (memory, streamed) = both(&rules, &[("a.json", &a), ("b.json", &b)]);
    let sizes = |files: &[OutputFile]| -> Vec<(String, usize)> {
        files
            .iter()
            .map(|f| (f.name.clone(), f.content.len()))
            .collect()
    };
    assert_eq!(sizes(&streamed), sizes(&memory));
    // The streamed writer hands out growing files in pieces of 1 MiB (one code for all).
    let report = memory.iter().find(|f| f.name == "report.json").unwrap();
    assert!(report.content.len() > 1 << 20, "{:?}", sizes(&memory));
    for (m, s) in memory.iter().zip(&streamed) {
        assert!(m.content == s.content, "{} differs", m.name);
    }
}

#[test]
fn a_file_that_cannot_be_read_blocks_both_alike() {
    let inputs = pool();
    let bad = br#"{"Users":[{"Username":"x1"},{"Username":"x2","Enabled":[1]}]}"#;
    let mut named: Vec<(&str, &[u8])> = inputs
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    named.insert(1, ("bad.json", bad));
    let (memory, streamed) = both(&Rules::defaults(), &named);
    assert_eq!(memory.len(), 1);
    assert_eq!(memory, streamed);
}

#[test]
fn the_report_alone_is_the_report_of_the_whole_run() {
    let inputs = pool();
    let named: Vec<(&str, &[u8])> = inputs
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let rules = Rules::defaults();
    let (memory, _) = both(&rules, &named);
    let mapper = rules.compile().unwrap();
    let mut spool = common::MemorySpool::default();
    let mut converter = cognito_fusionauth::StreamConverter::new(mapper);
    for (name, bytes) in &named {
        converter.add_file(name, bytes, &mut spool).unwrap();
    }
    let mut gathering = converter.finish(&mut spool);
    for p in gathering.wanted().to_vec() {
        gathering.take(&spool.0[p as usize]).unwrap();
    }
    let mut output = gathering.resolve().unwrap().report_output();
    let mut pieces = Vec::new();
    for block in &spool.0 {
        output.block(block, &mut |p| pieces.push(p)).unwrap();
    }
    output.finish(&mut |p| pieces.push(p)).unwrap();
    assert!(pieces.iter().all(|p| p.name == "report.json"));
    let report: Vec<u8> = pieces.iter().flat_map(|p| p.bytes.clone()).collect();
    assert!(report == memory.last().unwrap().content);
}

#[test]
fn a_watched_output_sees_every_finding_of_the_report_in_its_order() {
    let inputs = pool();
    let mut named: Vec<(&str, &[u8])> = inputs
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    // A file finding (written before the users' findings) too.
    named.push(("empty.json", b""));
    let mut rules = Rules::defaults();
    rules.settings.on_duplicate = DuplicatePolicy::KeepNewest;
    let mapper = rules.compile().unwrap();
    let mut spool = common::MemorySpool::default();
    let mut converter = cognito_fusionauth::StreamConverter::new(mapper);
    converter.reserve(1000);
    for (name, bytes) in &named {
        let _ = converter.add_file(name, bytes, &mut spool);
    }
    let mut gathering = converter.finish(&mut spool);
    for p in gathering.wanted().to_vec() {
        gathering.take(&spool.0[p as usize]).unwrap();
    }
    let mut seen = Vec::new();
    let mut random = common::counter();
    let mut output = gathering
        .resolve()
        .unwrap()
        .output_watched(&mut random, |f| seen.push(f.clone()));
    let mut report = Vec::new();
    let mut keep = |p: cognito_fusionauth::OutputPiece| {
        if p.name == "report.json" {
            report.extend_from_slice(&p.bytes);
        }
    };
    for block in &spool.0 {
        output.block(block, &mut keep).unwrap();
    }
    output.finish(&mut keep).unwrap();
    let report: cognito_fusionauth::Report = serde_json::from_slice(&report).unwrap();
    assert!(report.issues.len() > 10, "{}", report.issues.len());
    assert!(report.issues.iter().any(|f| f.file == "empty.json"));
    assert_eq!(seen, report.issues);
}
