// The role check itself, on calls made up to hit each of its rules, against the roles of
// template.yaml (target/roles.json, which `make test` writes with scripts/roles.py first): a
// check that allowed everything would pass `make test` too, so these prove it can refuse.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = new URL('../../', import.meta.url).pathname
const roles = process.env.ROLES_JSON || join(root, 'target/roles.json')

function dynamodb(fn, operation, body) {
  return { service: 'dynamodb', function: fn, target: `DynamoDB_20120810.${operation}`, method: 'POST', path: '/', status: 200, body: JSON.stringify(body) }
}

// Runs the check on `calls`; its exit code and what it printed.
function check(...calls) {
  const dir = mkdtempSync(join(tmpdir(), 'role-check-'))
  const log = join(dir, 'calls.jsonl')
  writeFileSync(log, calls.map((call) => JSON.stringify(call)).join('\n') + '\n')
  const run = spawnSync('node', [join(root, 'scripts/check-roles.mjs'), roles, log], { encoding: 'utf8' })
  return { code: run.status, output: run.stdout + run.stderr }
}

function setName(returnValues) {
  return dynamodb('update-profile', 'UpdateItem', {
    TableName: 'users',
    Key: { email: { S: 'a@example.com' } },
    UpdateExpression: 'SET #name = :name',
    ConditionExpression: 'id = :id',
    ExpressionAttributeNames: { '#name': 'name' },
    ExpressionAttributeValues: { ':name': { S: 'Ada' }, ':id': { S: 'u1' } },
    ...(returnValues ? { ReturnValues: returnValues } : {}),
  })
}

test('an update asking for the whole item back is denied where the role allows only updated values', () => {
  const { code, output } = check(setName('ALL_NEW'))
  assert.equal(code, 1, output)
  assert.match(output, /update-profile: dynamodb:UpdateItem on .*table\/UsersTable is denied/)
  assert.match(output, /"dynamodb:ReturnValues":"ALL_NEW"/)
})

test('the same update asking for nothing back is allowed', () => {
  const { code, output } = check(setName(undefined))
  assert.equal(code, 0, output)
})

test('an update naming an attribute outside the role is denied', () => {
  const call = setName(undefined)
  const body = JSON.parse(call.body)
  body.UpdateExpression = 'SET #name = :name, passwordHash = :name'
  call.body = JSON.stringify(body)
  const { code, output } = check(call)
  assert.equal(code, 1, output)
  assert.match(output, /"dynamodb:Attributes":\["email","id","name","passwordHash"\]/)
})

function registration(outboxKey) {
  return dynamodb('register', 'TransactWriteItems', {
    TransactItems: [
      { Put: { TableName: 't1-users', Item: { email: { S: 'a@example.com' }, id: { S: 'u1' } }, ConditionExpression: 'attribute_not_exists(email)' } },
      { Put: { TableName: 't1-outbox', Item: { id: { S: outboxKey }, job: { S: 'mail' } } } },
    ],
  })
}

test('each item of a transaction is authorised as its own write, with its own keys', () => {
  assert.equal(check(registration('mail#1')).code, 0)
  const { code, output } = check(registration('purge#1'))
  assert.equal(code, 1, output)
  assert.match(output, /register: dynamodb:PutItem on .*table\/OutboxTable is denied/)
  assert.match(output, /"dynamodb:LeadingKeys":\["purge#1"\]/)
})

test('a read of a table the role does not name is denied', () => {
  const read = (table) => dynamodb('get-product', 'GetItem', { TableName: table, Key: table.endsWith('products') ? { id: { S: 'p1' } } : { email: { S: 'a@example.com' } } })
  assert.equal(check(read('products')).code, 0)
  const { code, output } = check(read('users'))
  assert.equal(code, 1, output)
  assert.match(output, /get-product: dynamodb:GetItem on .*table\/UsersTable is denied/)
})

test('a query of an index the template does not declare fails the check', () => {
  const { code, output } = check(
    dynamodb('list-products', 'Query', {
      TableName: 'products',
      IndexName: 'byColour',
      KeyConditionExpression: 'colour = :c',
      ExpressionAttributeValues: { ':c': { S: 'red' } },
    }),
  )
  assert.equal(code, 1, output)
  assert.match(output, /byColour, which ProductsTable does not have in the template/)
})

test('a key that is not the table key fails the check', () => {
  const { code, output } = check(dynamodb('get-product', 'GetItem', { TableName: 'products', Key: { sku: { S: 'p1' } } }))
  assert.equal(code, 1, output)
  assert.match(output, /gives key \[sku\], the template's key is \[id\]/)
})

test('mail is sent only from the configured identity', () => {
  const send = (from) => ({
    service: 'ses', function: 'mailer', method: 'POST', path: '/v2/email/outbound-emails', status: 200,
    body: JSON.stringify({ FromEmailAddress: from, Destination: { ToAddresses: ['a@example.com'] } }),
  })
  assert.equal(check(send('no-reply@example.com')).code, 0)
  const { code, output } = check(send('no-reply@elsewhere.example'))
  assert.equal(code, 1, output)
  assert.match(output, /mailer: ses:SendEmail on .*identity\/elsewhere.example is denied/)
})

test('an object is read, written and deleted only under the prefixes its function is granted', () => {
  const s3 = (fn, method, path, extra = {}) => ({ service: 's3', function: fn, method, path, query: null, status: 200, body: '', ...extra })
  assert.equal(check(s3('complete-image', 'HEAD', '/t1-media/uploads/p1/i1')).code, 0)
  const reads = check(s3('complete-image', 'GET', '/t1-media/images/p1/i1/f/original.jpg'))
  assert.equal(reads.code, 1, reads.output)
  assert.match(reads.output, /complete-image: s3:GetObject on arn:aws:s3:::mediabucket\/images\/p1\/i1\/f\/original.jpg is denied/)
  const keys = '<Delete><Object><Key>uploads/p1/i1</Key></Object><Object><Key>images/p1/i1/f/200.jpg</Key></Object></Delete>'
  // complete-image deletes bad uploads, and nothing it has not been given to check.
  const deletes = check(s3('complete-image', 'POST', '/t1-media', { query: 'delete', body: keys }))
  assert.equal(deletes.code, 1, deletes.output)
  assert.match(deletes.output, /complete-image: s3:DeleteObject on arn:aws:s3:::mediabucket\/images\/p1\/i1\/f\/200.jpg is denied/)
  const listing = check(s3('delete-product', 'GET', '/t1-media', { query: 'list-type=2&prefix=sessions%2F' }))
  assert.equal(listing.code, 1, listing.output)
  assert.match(listing.output, /delete-product: s3:ListBucket on arn:aws:s3:::mediabucket is denied/)
  const form = '------b\r\nContent-Disposition: form-data; name="key"\r\n\r\nimages/p1/i1/f/original.jpg\r\n'
  const upload = check(s3('create-image-upload', 'POST', '/t1-media', { body: form }))
  assert.equal(upload.code, 1, upload.output)
  assert.match(upload.output, /create-image-upload: s3:PutObject on arn:aws:s3:::mediabucket\/images\/p1\/i1\/f\/original.jpg is denied/)
})

test('a function the template does not have fails the check', () => {
  const { code, output } = check(dynamodb('ghost', 'GetItem', { TableName: 'products', Key: { id: { S: 'p1' } } }))
  assert.equal(code, 1, output)
  assert.match(output, /the template has no function ghost/)
})

// A deployment of one function with two grants, for the least-privilege rule.
function deploymentWith(secondSid) {
  const statement = (action, extra = {}) => ({ Effect: 'Allow', Action: action, Resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/ProductsTable', ...extra })
  return {
    account: '123456789012',
    region: 'us-east-1',
    parameters: {},
    tables: { ProductsTable: { arn: 'arn:aws:dynamodb:us-east-1:123456789012:table/ProductsTable', keys: { HASH: 'id' }, indexes: {}, stream: false } },
    functions: {
      'get-product': {
        logicalId: 'GetProductFunction',
        role: 'arn:aws:iam::123456789012:role/GetProductFunctionRole',
        environment: { PRODUCTS_TABLE: 'ProductsTable' },
        mappings: [],
        policies: [{
          name: 'GetProductFunctionRolePolicy0',
          document: { Statement: [statement('dynamodb:GetItem'), statement('dynamodb:DeleteItem', secondSid ? { Sid: secondSid } : {})] },
        }],
      },
    },
  }
}

function checkLeastPrivilege(deployment, ...calls) {
  const dir = mkdtempSync(join(tmpdir(), 'role-check-'))
  writeFileSync(join(dir, 'roles.json'), JSON.stringify(deployment))
  writeFileSync(join(dir, 'calls.jsonl'), calls.map((call) => JSON.stringify(call)).join('\n') + '\n')
  const run = spawnSync('node', [join(root, 'scripts/check-roles.mjs'), '--least-privilege', join(dir, 'roles.json'), join(dir, 'calls.jsonl')], { encoding: 'utf8' })
  return { code: run.status, output: run.stdout + run.stderr }
}

test('a granted action no call used fails the least-privilege check, unless it is kept with its reason', () => {
  const read = dynamodb('get-product', 'GetItem', { TableName: 'products', Key: { id: { S: 'p1' } } })
  const unused = checkLeastPrivilege(deploymentWith(undefined), read)
  assert.equal(unused.code, 1, unused.output)
  assert.match(unused.output, /get-product: dynamodb:DeleteItem on .*ProductsTable/)
  const kept = checkLeastPrivilege(deploymentWith('KeptUntested'), read)
  assert.equal(kept.code, 0, kept.output)
  assert.match(kept.output, /kept for the reason template.yaml gives \(1\)/)
})
