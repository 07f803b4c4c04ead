"""Verifies a login's token against the served JWKS with PyJWT, a JOSE library independent of
the API's own, as any client or service would. Usage: verify_token.py BASE_URL"""

import json
import sys
import time
import urllib.error
import urllib.request

import jwt

base = sys.argv[1]


def call(method, path, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("content-type", "application/json")
    with urllib.request.urlopen(request) as response:
        return response.status, response.read()


email = f"pyjwt-{time.time_ns()}@example.com"
credentials = {"email": email, "password": "correct horse battery"}
call("POST", "/api/auth/register", credentials)
_, body = call("POST", "/api/auth/login", credentials)
token = json.loads(body)["token"]

keys = jwt.PyJWKClient(base + "/api/auth/jwks.json")
key = keys.get_signing_key_from_jwt(token)
claims = jwt.decode(
    token,
    key.key,
    algorithms=["EdDSA"],
    audience="products-api",
    issuer="products-api",
    options={"require": ["exp", "iat", "sub", "sid", "jti", "iss", "aud"]},
)
assert claims["email"] == email, claims
assert jwt.get_unverified_header(token)["alg"] == "EdDSA"

forged = jwt.encode(dict(claims), "any-secret-at-all", algorithm="HS256")
try:
    call("GET", "/api/profile", headers={"authorization": f"Bearer {forged}"})
    raise SystemExit("an HS256 token was accepted")
except urllib.error.HTTPError as refused:
    assert refused.code == 401, refused.code

print(f"PyJWT verified the token of {email} with key {key.key_id} from the JWKS; HS256 refused")
