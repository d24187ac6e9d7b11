#!/usr/bin/env python3
"""Generate a synthetic Cognito `aws cognito-idp list-users` (CLI v2) export: the inputs of
bench/run.sh and bench/console.mjs (bench/out/export-<N>.json, --dup-rate 0.001).

Usage: bench/gen_export.py N OUT.json [--seed S] [--dup-rate R] [--format cli2|wire|backup]
Deterministic for a given seed (default 7): the same arguments give the same bytes. Mixes the
shapes seen in real pools: custom attributes, federated users (identities JSON string),
unverified/unconfirmed/disabled users, missing emails, case-variant duplicate emails (about
R of the users reuse an earlier email, upper-cased), unicode names, phone numbers.
--format: cli2 (ISO-8601 dates with offset, as `aws` v2 prints them), wire (epoch seconds,
as the API sends them), backup (UTC ISO-8601 with milliseconds). Standard library only.
"""
import json, random, sys, uuid, datetime, argparse

p = argparse.ArgumentParser()
p.add_argument("n", type=int)
p.add_argument("out")
p.add_argument("--seed", type=int, default=7)
p.add_argument("--dup-rate", type=float, default=0.0)
p.add_argument("--format", default="cli2", choices=["cli2", "wire", "backup"])
a = p.parse_args()
rng = random.Random(a.seed)
FIRST = ["Ana", "Bjørn", "Chloé", "Dmitri", "Eve", "Fatima", "Gao", "Hiro", "Inés", "José", "Kai", "Łukasz", "Mia", "Noor", "Olu", "Priya"]
LAST = ["Smith", "Müller", "García", "Nguyen", "O'Brien", "Kowalski", "Tanaka", "Ivanov", "Silva", "Khan", "Dubois", "Rossi"]
TZ = ["America/Denver", "Europe/Berlin", "Asia/Tokyo", "UTC", "America/Sao_Paulo"]
LOC = ["en-US", "de", "fr-FR", "ja", "pt-BR"]
STATUS = ["CONFIRMED"] * 20 + ["UNCONFIRMED", "FORCE_CHANGE_PASSWORD", "RESET_REQUIRED"]
base = datetime.datetime(2021, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=-7)))

def ts(dt):
    if a.format == "wire":
        return round(dt.timestamp(), 3)
    if a.format == "backup":
        return dt.astimezone(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return dt.isoformat()

emails = []
with open(a.out, "w", encoding="utf-8") as f:
    f.write('{\n    "Users": [')
    for i in range(a.n):
        sub = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        fn, ln = rng.choice(FIRST), rng.choice(LAST)
        federated = rng.random() < 0.05
        email = f"{fn.lower()}.{ln.lower()}.{i}@example.com".replace("'", "")
        if emails and rng.random() < a.dup_rate:
            email = rng.choice(emails[-1000:]).upper()
        emails.append(email)
        attrs = [{"Name": "sub", "Value": sub}]
        if rng.random() < 0.3:
            attrs.append({"Name": "website", "Value": f"https://example.com/{i}"})
        if rng.random() > 0.02:
            attrs.append({"Name": "email", "Value": email})
            attrs.append({"Name": "email_verified", "Value": rng.choice(["true", "true", "false"])})
        attrs.append({"Name": "given_name", "Value": fn})
        if rng.random() < 0.4:
            attrs.append({"Name": "middle_name", "Value": "T"})
        attrs.append({"Name": "family_name", "Value": ln})
        if rng.random() < 0.5:
            attrs.append({"Name": "phone_number", "Value": "+1303555%04d" % (i % 10000)})
            attrs.append({"Name": "phone_number_verified", "Value": "false"})
        if rng.random() < 0.3:
            attrs.append({"Name": "birthdate", "Value": "19%02d-%02d-%02d" % (rng.randint(40, 99), rng.randint(1, 12), rng.randint(1, 28))})
        if rng.random() < 0.3:
            attrs.append({"Name": "zoneinfo", "Value": rng.choice(TZ)})
            attrs.append({"Name": "locale", "Value": rng.choice(LOC)})
        if rng.random() < 0.5:
            attrs.append({"Name": "custom:plan", "Value": rng.choice(["free", "pro", "enterprise"])})
            attrs.append({"Name": "custom:seats", "Value": str(rng.randint(1, 500))})
        username = sub
        status = rng.choice(STATUS)
        if federated:
            prov = rng.choice(["Google", "Facebook", "SignInWithApple"])
            pid = str(rng.getrandbits(64))
            username = f"{prov.lower()}_{pid}"
            status = "EXTERNAL_PROVIDER"
            attrs.append({"Name": "identities", "Value": json.dumps([{"userId": pid, "providerName": prov, "providerType": prov, "issuer": None, "primary": True, "dateCreated": 1637108867442}], separators=(",", ":"))})
        created = base + datetime.timedelta(seconds=rng.randint(0, 10**8), microseconds=rng.randint(0, 999) * 1000)
        u = {"Username": username, "Attributes": attrs, "UserCreateDate": ts(created),
             "UserLastModifiedDate": ts(created + datetime.timedelta(days=rng.randint(0, 300))),
             "Enabled": rng.random() > 0.03, "UserStatus": status}
        f.write(("\n" if i == 0 else ",\n") + json.dumps(u, ensure_ascii=False, indent=None))
    f.write("\n    ]\n}\n")
