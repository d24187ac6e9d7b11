"""A Cognito user pool in moto for the export tests: seeds one, and prints its ground truth.

    pool.py seed ENDPOINT USERS    prints {"userPoolId": "..."}
    pool.py truth ENDPOINT POOL    prints {"users": [...], "groups": [...]}, read with boto3:
                                   each user with every attribute, ISO dates and its groups
    pool.py mfa ENDPOINT POOL      sets up MFA for some users of a seeded pool, and prints
                                   {"mfa": {username: {"methods": [...], "preferred": "..."}}}
                                   for every user, as AdminGetUser reads it back
    pool.py delete ENDPOINT POOL USERNAME [recreate]
                                   deletes a user (and creates it again under the same name,
                                   with another sub and no MFA, when asked)

The pool has custom attributes of every type, users in every status moto knows (moto cannot
make EXTERNAL_PROVIDER users: only a federated sign-in does), disabled users, unicode values, and three
groups, one with more than a ListUsersInGroup page of members. Credentials come from the
environment (any value works with moto).

MFA in moto 5.2.1 (moto/cognitoidp/models.py): AdminSetUserMFAPreference takes SMS at once and
does not check that the user has a phone_number (Cognito does; the users given SMS here have
one). A software token must be associated and verified first (AssociateSoftwareToken and
VerifySoftwareToken with the user's access token; moto takes any code unless
MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP is set), else InvalidParameterException. EmailMfaSettings
is accepted and dropped: moto never reports EMAIL_OTP. AdminGetUser answers "UserMFASettingList":
[] and "PreferredMfaSetting": "" for a user without MFA, where Cognito leaves both out.
"""

import json
import sys
from datetime import timezone

import boto3

PASSWORD = "Corr3ct-Horse-Battery"
GROUPS = {"admins": 7, "beta": 2, "staff": 11}  # group -> every n-th user is a member


def client(endpoint):
    return boto3.client("cognito-idp", endpoint_url=endpoint, region_name="us-east-1")


def attributes(i):
    attrs = [
        {"Name": "email", "Value": f"user{i}@example.com"},
        # RESET_REQUIRED users (i % 5 == 3) need a verified email for moto to reset them.
        {"Name": "email_verified", "Value": "true" if i % 2 or i % 5 == 3 else "false"},
        {"Name": "given_name", "Value": ["Zoë", "Łukasz", "山田", "O'Brien"][i % 4]},
        {"Name": "family_name", "Value": f"Family, {i}"},
        {"Name": "custom:plan", "Value": ["free", "pro", "team"][i % 3]},
    ]
    if i % 3 == 0:
        attrs.append({"Name": "phone_number", "Value": f"+1555{i:07d}"})
        attrs.append({"Name": "custom:seats", "Value": str(i % 50)})
    if i % 4 == 0:
        attrs.append({"Name": "birthdate", "Value": f"19{50 + i % 50:02d}-0{1 + i % 9}-1{i % 10}"})
        attrs.append({"Name": "custom:beta", "Value": "true"})
    if i % 5 == 0:
        attrs.append({"Name": "custom:joined", "Value": f"2020-01-{1 + i % 28:02d}T00:00:00Z"})
    return attrs


def seed(endpoint, users):
    c = client(endpoint)
    schema = [
        {"Name": "plan", "AttributeDataType": "String", "Mutable": True,
         "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "32"}},
        {"Name": "seats", "AttributeDataType": "Number", "Mutable": True,
         "NumberAttributeConstraints": {"MinValue": "0", "MaxValue": "1000"}},
        {"Name": "beta", "AttributeDataType": "Boolean", "Mutable": True},
        {"Name": "joined", "AttributeDataType": "DateTime", "Mutable": False},
    ]
    pool = c.create_user_pool(PoolName="export-test", Schema=schema)["UserPool"]["Id"]
    app = c.create_user_pool_client(UserPoolId=pool, ClientName="signup")["UserPoolClient"]
    for group in GROUPS:
        c.create_group(UserPoolId=pool, GroupName=group, Description=f"the {group}")
    for i in range(users):
        name = f"user{i:04d}"
        kind = i % 5
        if kind == 2:  # UNCONFIRMED: signed up, never confirmed
            c.sign_up(ClientId=app["ClientId"], Username=name, Password=PASSWORD,
                      UserAttributes=attributes(i))
        else:  # FORCE_CHANGE_PASSWORD until a permanent password is set
            c.admin_create_user(UserPoolId=pool, Username=name, UserAttributes=attributes(i),
                                MessageAction="SUPPRESS")
        if kind in (1, 3, 4):
            c.admin_set_user_password(UserPoolId=pool, Username=name, Password=PASSWORD,
                                      Permanent=True)
        if kind == 3:
            c.admin_reset_user_password(UserPoolId=pool, Username=name)
        if kind == 4 or i % 13 == 0:
            c.admin_disable_user(UserPoolId=pool, Username=name)
        for group, every in GROUPS.items():
            if i % every == 0:
                c.admin_add_user_to_group(UserPoolId=pool, Username=name, GroupName=group)
    json.dump({"userPoolId": pool}, sys.stdout)


def iso(date):
    """The export's date form: ISO-8601 UTC with milliseconds."""
    date = date.astimezone(timezone.utc)
    return date.strftime("%Y-%m-%dT%H:%M:%S.") + f"{date.microsecond // 1000:03d}Z"


def truth(endpoint, pool):
    c = client(endpoint)
    groups = [g["GroupName"] for page in c.get_paginator("list_groups").paginate(UserPoolId=pool)
              for g in page["Groups"]]
    member_of = {}
    for group in groups:
        for page in c.get_paginator("list_users_in_group").paginate(UserPoolId=pool,
                                                                     GroupName=group):
            for user in page["Users"]:
                member_of.setdefault(user["Username"], []).append(group)
    users = []
    for page in c.get_paginator("list_users").paginate(UserPoolId=pool):
        for u in page["Users"]:
            users.append({
                "Username": u["Username"],
                "Attributes": u["Attributes"],
                "UserCreateDate": iso(u["UserCreateDate"]),
                "UserLastModifiedDate": iso(u["UserLastModifiedDate"]),
                "Enabled": u["Enabled"],
                "UserStatus": u["UserStatus"],
                "Groups": sorted(member_of.get(u["Username"], [])),
            })
    json.dump({"users": users, "groups": groups}, sys.stdout)


def mfa(endpoint, pool):
    """SMS for users 6, 12, 18, ... (they have a phone), preferred for 12, 24, ...; a software
    token, preferred, for the enabled CONFIRMED users 1, 11, 21, ... (not disabled ones: they
    cannot sign in to verify it), and SMS as well for those with a phone (21, 51, ...)."""
    c = client(endpoint)
    c.set_user_pool_mfa_config(UserPoolId=pool, MfaConfiguration="OPTIONAL",
                               SoftwareTokenMfaConfiguration={"Enabled": True})
    app = c.create_user_pool_client(UserPoolId=pool, ClientName="mfa-setup",
                                    ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH",
                                                       "ALLOW_REFRESH_TOKEN_AUTH"])
    app_id = app["UserPoolClient"]["ClientId"]
    names = [u["Username"] for page in c.get_paginator("list_users").paginate(UserPoolId=pool)
             for u in page["Users"]]
    for name in names:
        i = int(name[len("user"):])
        if i % 10 == 1 and i % 13 != 0:
            auth = c.admin_initiate_auth(UserPoolId=pool, ClientId=app_id,
                                         AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                         AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD})
            token = auth["AuthenticationResult"]["AccessToken"]
            c.associate_software_token(AccessToken=token)
            c.verify_software_token(AccessToken=token, UserCode="123456")
            sms = {"SMSMfaSettings": {"Enabled": True}} if i % 3 == 0 else {}
            c.admin_set_user_mfa_preference(
                UserPoolId=pool, Username=name,
                SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}, **sms)
        elif i % 6 == 0:
            c.admin_set_user_mfa_preference(
                UserPoolId=pool, Username=name,
                SMSMfaSettings={"Enabled": True, "PreferredMfa": i % 12 == 0})
    settings = {}
    for name in names:
        u = c.admin_get_user(UserPoolId=pool, Username=name)
        settings[name] = {"methods": u.get("UserMFASettingList", []),
                          "preferred": u.get("PreferredMfaSetting", "")}
    json.dump({"mfa": settings}, sys.stdout)


def delete(endpoint, pool, name, recreate):
    c = client(endpoint)
    c.admin_delete_user(UserPoolId=pool, Username=name)
    if recreate:
        c.admin_create_user(UserPoolId=pool, Username=name, MessageAction="SUPPRESS",
                            UserAttributes=[{"Name": "email", "Value": f"{name}@example.org"}])
    json.dump({"deleted": name, "recreated": recreate}, sys.stdout)


if __name__ == "__main__":
    command, endpoint, arg = sys.argv[1:4]
    if command == "seed":
        seed(endpoint, int(arg))
    elif command == "mfa":
        mfa(endpoint, arg)
    elif command == "delete":
        delete(endpoint, arg, sys.argv[4], sys.argv[5:] == ["recreate"])
    else:
        truth(endpoint, arg)
