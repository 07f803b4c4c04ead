#!/usr/bin/env node
// The role check: every AWS call the functions made during `make test`, held to the role its
// function has as deployed.
//
// Reads the deployment as IAM sees it (scripts/roles.py: each function's role from template.yaml
// as SAM translates it, intrinsics resolved) and the calls the recorders in front of the local
// endpoints wrote (tools/src/bin/aws-recorder.rs), turns each call into the requests IAM
// authorises for it — one per item of a transaction, one per table of a batch, with the action,
// the resource and the condition keys DynamoDB, S3, SES and Secrets Manager set — and evaluates each
// against the function's policies with @cloud-copilot/iam-simulate. It also checks what IAM
// cannot: every table and index a call names exists in the template with the keys the call uses.
//
// Fails naming the function, the call, its context and what the role lacks; then lists, per
// function, every granted action no recorded call used.
//
// Usage: check-roles.mjs [--least-privilege] ROLES_JSON CALL_LOG...

import { readFileSync } from 'node:fs'
import { runSimulation } from '@cloud-copilot/iam-simulate'

const args = process.argv.slice(2)
// With --least-privilege, a granted action no recorded call used (and not kept with a reason)
// fails the check too: for the whole run, not for a handful of calls.
const leastPrivilege = args[0] === '--least-privilege'
const [rolesPath, ...logPaths] = leastPrivilege ? args.slice(1) : args
if (!rolesPath || logPaths.length === 0) {
  console.error('usage: check-roles.mjs [--least-privilege] ROLES_JSON CALL_LOG...')
  process.exit(2)
}
const deployment = JSON.parse(readFileSync(rolesPath, 'utf8'))
const { account, region } = deployment

// ------------------------------------------------------------------ tables of the template

// Each table of the template, by the environment variable the functions read its name from.
const tableByVariable = new Map()
for (const fn of Object.values(deployment.functions)) {
  for (const [variable, value] of Object.entries(fn.environment)) {
    if (variable.endsWith('_TABLE') && deployment.tables[value]) {
      tableByVariable.set(variable, value)
    }
  }
}

// The template's table a local table stands for: locally each is named `<stem>` or
// `<prefix>-<stem>`, the stem being its variable's name (`LIMITS_TABLE` → `limits`).
function logicalTable(name) {
  for (const [variable, logicalId] of tableByVariable) {
    const stem = variable.replace(/_TABLE$/, '').toLowerCase()
    if (name === stem || name.endsWith(`-${stem}`)) return logicalId
  }
  return undefined
}

// ------------------------------------------------------------------ expressions

const RESERVED = new Set([
  'SET', 'REMOVE', 'ADD', 'DELETE', 'AND', 'OR', 'NOT', 'BETWEEN', 'IN',
  'attribute_exists', 'attribute_not_exists', 'attribute_type', 'begins_with', 'contains',
  'size', 'if_not_exists', 'list_append',
])

// The top-level attribute names an expression reads or writes (`a.b[1]` is `a`).
function attributesOf(expression, names = {}) {
  const found = new Set()
  if (!expression) return found
  const tokens = expression.match(/:[A-Za-z0-9_]+|#[A-Za-z0-9_]+|[A-Za-z_][A-Za-z0-9_]*|\.|\[\d+\]|\S/g) || []
  let afterDot = false
  for (const token of tokens) {
    if (token === '.') {
      afterDot = true
      continue
    }
    const nested = afterDot
    afterDot = false
    if (nested || token.startsWith(':') || token.startsWith('[')) continue
    if (token.startsWith('#')) {
      if (names[token] === undefined) throw new Error(`expression names ${token}, which is not defined`)
      found.add(names[token])
    } else if (/^[A-Za-z_]/.test(token) && !RESERVED.has(token) && !RESERVED.has(token.toUpperCase())) {
      found.add(token)
    }
  }
  return found
}

// The value an expression's `<partition key> = :v` compares with.
function leadingKeyOf(expression, names, values, hashKey) {
  const match = (expression || '').match(/(#?[A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)/g) || []
  for (const part of match) {
    const [, name, value] = part.match(/(#?[A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)/)
    const attribute = name.startsWith('#') ? names[name] : name
    if (attribute === hashKey) return scalar(values[value])
  }
  return undefined
}

function scalar(value) {
  if (!value) return undefined
  return value.S ?? value.N ?? value.B
}

// ------------------------------------------------------------------ requests IAM evaluates

class CallError extends Error {}

function tableArn(table) {
  return deployment.tables[table].arn
}

// One request IAM authorises: action, resource, context.
function request(action, resource, context) {
  return { action, resource, context }
}

// The table a call names, checked against the template.
function tableOf(name) {
  const table = logicalTable(name || '')
  if (!table) throw new CallError(`names table ${name}, which no *_TABLE variable of the template stands for`)
  return table
}

function checkKey(table, key, what) {
  const expected = Object.values(deployment.tables[table].keys).sort()
  const given = Object.keys(key || {}).sort()
  if (JSON.stringify(expected) !== JSON.stringify(given)) {
    throw new CallError(`${what} on ${table} gives key [${given}], the template's key is [${expected}]`)
  }
}

function itemRequest(op, body) {
  const table = tableOf(body.TableName)
  const names = body.ExpressionAttributeNames || {}
  const hash = deployment.tables[table].keys.HASH
  const context = {}
  const attributes = new Set()
  let key
  if (op === 'PutItem') {
    key = body.Item
    Object.keys(body.Item || {}).forEach((a) => attributes.add(a))
    const keyOnly = Object.fromEntries(
      Object.values(deployment.tables[table].keys).map((k) => [k, (body.Item || {})[k]]),
    )
    checkKey(table, Object.fromEntries(Object.entries(keyOnly).filter(([, v]) => v)), op)
  } else {
    key = body.Key
    checkKey(table, key, op)
    Object.keys(key || {}).forEach((a) => attributes.add(a))
  }
  attributesOf(body.UpdateExpression, names).forEach((a) => attributes.add(a))
  attributesOf(body.ConditionExpression, names).forEach((a) => attributes.add(a))
  const projected = attributesOf(body.ProjectionExpression, names)
  ;(body.AttributesToGet || []).forEach((a) => projected.add(a))
  if (op !== 'GetItem' || projected.size > 0) {
    projected.forEach((a) => attributes.add(a))
    context['dynamodb:Attributes'] = [...attributes].sort()
  }
  const leading = scalar((key || {})[hash])
  if (leading !== undefined) context['dynamodb:LeadingKeys'] = [leading]
  if (body.ReturnValues) context['dynamodb:ReturnValues'] = body.ReturnValues
  if (body.ReturnConsumedCapacity) context['dynamodb:ReturnConsumedCapacity'] = body.ReturnConsumedCapacity
  return request(`dynamodb:${op}`, tableArn(table), context)
}

function queryRequest(body) {
  const table = tableOf(body.TableName)
  const names = body.ExpressionAttributeNames || {}
  let resource = tableArn(table)
  let keys = deployment.tables[table].keys
  if (body.IndexName) {
    keys = deployment.tables[table].indexes[body.IndexName]
    if (!keys) throw new CallError(`queries index ${body.IndexName}, which ${table} does not have in the template`)
    resource = `${resource}/index/${body.IndexName}`
  }
  const context = {}
  const conditionNames = attributesOf(body.KeyConditionExpression, names)
  if (!conditionNames.has(keys.HASH)) {
    throw new CallError(`queries ${body.IndexName || table} without its partition key ${keys.HASH}`)
  }
  for (const name of conditionNames) {
    if (name !== keys.HASH && name !== keys.RANGE) {
      throw new CallError(`queries ${body.IndexName || table} on ${name}, which is not one of its keys`)
    }
  }
  const leading = leadingKeyOf(body.KeyConditionExpression, names, body.ExpressionAttributeValues || {}, keys.HASH)
  if (leading !== undefined) context['dynamodb:LeadingKeys'] = [leading]
  const projected = attributesOf(body.ProjectionExpression, names)
  ;(body.AttributesToGet || []).forEach((a) => projected.add(a))
  if (projected.size > 0) {
    const attributes = new Set([...conditionNames, ...projected, ...attributesOf(body.FilterExpression, names)])
    context['dynamodb:Attributes'] = [...attributes].sort()
  }
  if (body.Select) context['dynamodb:Select'] = body.Select
  return request('dynamodb:Query', resource, context)
}

// Every request IAM evaluates for one recorded DynamoDB call.
function dynamodbRequests(op, body) {
  switch (op) {
    case 'GetItem':
    case 'PutItem':
    case 'UpdateItem':
    case 'DeleteItem':
      return [itemRequest(op, body)]
    case 'Query':
      return [queryRequest(body)]
    case 'TransactWriteItems':
      // IAM has no TransactWriteItems action: each item is authorised as its own write.
      return (body.TransactItems || []).map((item) => {
        const [[kind, part]] = Object.entries(item)
        const action = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem' }[kind]
        if (action === 'ConditionCheckItem') {
          const table = tableOf(part.TableName)
          checkKey(table, part.Key, 'ConditionCheck')
          const names = part.ExpressionAttributeNames || {}
          const attributes = new Set([...Object.keys(part.Key), ...attributesOf(part.ConditionExpression, names)])
          const context = { 'dynamodb:Attributes': [...attributes].sort() }
          const leading = scalar(part.Key[deployment.tables[table].keys.HASH])
          if (leading !== undefined) context['dynamodb:LeadingKeys'] = [leading]
          return request('dynamodb:ConditionCheckItem', tableArn(table), context)
        }
        return itemRequest(action, part)
      })
    case 'TransactGetItems':
      return (body.TransactItems || []).map((item) => itemRequest('GetItem', item.Get))
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.entries(body.RequestItems || {}).map(([name, part]) => {
        const table = tableOf(name)
        const hash = deployment.tables[table].keys.HASH
        const keys =
          op === 'BatchGetItem'
            ? part.Keys
            : part.map((entry) => (entry.PutRequest ? entry.PutRequest.Item : entry.DeleteRequest.Key))
        if (op === 'BatchGetItem') keys.forEach((key) => checkKey(table, key, op))
        const context = { 'dynamodb:LeadingKeys': [...new Set(keys.map((key) => scalar(key[hash])))].sort() }
        if (op === 'BatchGetItem') {
          const projected = attributesOf(part.ProjectionExpression, part.ExpressionAttributeNames || {})
          if (projected.size > 0) {
            context['dynamodb:Attributes'] = [...new Set([...Object.keys(keys[0] || {}), ...projected])].sort()
          }
        } else {
          const attributes = new Set()
          part.forEach((entry) => Object.keys(entry.PutRequest ? entry.PutRequest.Item : entry.DeleteRequest.Key).forEach((a) => attributes.add(a)))
          context['dynamodb:Attributes'] = [...attributes].sort()
        }
        return request(`dynamodb:${op}`, tableArn(table), context)
      })
    case 'DescribeEndpoints':
      return [request('dynamodb:DescribeEndpoints', '*', {})]
    default:
      throw new CallError(`is a DynamoDB ${op}, which the role check does not know how to authorise`)
  }
}

function sesRequests(call, body) {
  if (call.method !== 'POST' || call.path !== '/v2/email/outbound-emails') {
    throw new CallError(`is SES ${call.method} ${call.path}, which the role check does not know`)
  }
  // SES authorises a send on the identity the From address belongs to: the address itself if it
  // is an identity, otherwise its domain.
  const from = body.FromEmailAddress || ''
  const domain = from.split('@').pop()
  const identity = deployment.parameters.MailIdentity === from ? from : domain
  const context = { 'ses:FromAddress': from }
  return [request('ses:SendEmail', `arn:aws:ses:${region}:${account}:identity/${identity}`, context)]
}

function secretsRequests(fn, op, body) {
  if (op !== 'GetSecretValue') throw new CallError(`is Secrets Manager ${op}, which no function makes`)
  // A function reads the secret its environment names (`<NAME>_SECRET_ID`): deployed, that
  // is the template's value; locally, the tests' own secret stands in for it.
  // Beside its own secret, an HTTP function reads the front door's: the tests name theirs
  // `origin-verify-...`.
  const frontDoor = (body.SecretId || '').includes('origin-verify')
  const named = Object.entries(deployment.functions[fn].environment)
    .filter(([variable]) => variable.endsWith('_SECRET_ID'))
    .filter(([variable]) => (variable === 'ORIGIN_VERIFY_SECRET_ID') === frontDoor)
  if (named.length !== 1) {
    throw new CallError(`reads secret ${body.SecretId}, but its template environment names ${named.length} secrets`)
  }
  return [request('secretsmanager:GetSecretValue', named[0][1], {})]
}

function sqsRequests(fn, op, body) {
  if (op !== 'SendMessage') throw new CallError(`is SQS ${op}, which no function makes`)
  // A worker sends to the queue its environment names (`<WORKER>_FAILURE_QUEUE_URL`): deployed,
  // the template's queue; locally, the tests' own queue stands in for it.
  const named = Object.entries(deployment.functions[fn].environment).filter(([variable]) => variable.endsWith('_QUEUE_URL'))
  if (named.length !== 1) {
    throw new CallError(`sends to queue ${body.QueueUrl}, but its template environment names ${named.length} queues`)
  }
  const name = String(named[0][1]).split('/').pop()
  return [request('sqs:SendMessage', `arn:aws:sqs:${region}:${account}:${name}`, {})]
}

// The bucket a function's template environment names (MEDIA_BUCKET): locally each test app (and
// `make dev`) has its own bucket, which stands for it.
function bucketName(fn) {
  const named = (deployment.functions[fn] || { environment: {} }).environment.MEDIA_BUCKET
  if (!named) throw new CallError('is to S3, but its template environment names no MEDIA_BUCKET')
  const bucket = Object.values(deployment.buckets || {}).find((b) => b.name === named)
  if (!bucket) throw new CallError(`is to S3, but the template has no bucket ${named}`)
  return bucket.name
}

// A path-style S3 request (`/<bucket>[/<key>]?<query>`): the requests IAM authorises for it.
// An object's reads (GetObject, HeadObject) need s3:GetObject on it, a write s3:PutObject, a
// deletion s3:DeleteObject (one per key of a DeleteObjects); a listing s3:ListBucket on the
// bucket, with the prefix as s3:prefix. A form upload (POST to the bucket) is authorised by the
// role that signed the form: s3:PutObject on the form's key.
function s3Requests(call) {
  const [, , ...rest] = call.path.split('/')
  const key = decodeURIComponent(rest.join('/'))
  const bucket = bucketName(call.function)
  const object = (name) => request('s3:', `arn:aws:s3:::${bucket}/${name}`, {})
  const params = new URLSearchParams(call.query || '')
  const as = (action, req) => ({ ...req, action })
  if (key) {
    if (call.method === 'GET' || call.method === 'HEAD') return [as('s3:GetObject', object(key))]
    if (call.method === 'PUT') return [as('s3:PutObject', object(key))]
    if (call.method === 'DELETE') return [as('s3:DeleteObject', object(key))]
  } else if (call.method === 'POST' && params.has('delete')) {
    const keys = [...call.body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((match) => match[1])
    if (keys.length === 0) throw new CallError('deletes objects, but names none')
    return keys.map((name) => as('s3:DeleteObject', object(name)))
  } else if (call.method === 'GET' && params.get('list-type') === '2') {
    const prefix = params.get('prefix') || ''
    return [request('s3:ListBucket', `arn:aws:s3:::${bucket}`, { 's3:prefix': prefix })]
  } else if (call.method === 'POST') {
    const field = call.body.match(/name="key"\r\n\r\n([^\r]*)\r\n/)
    if (!field) throw new CallError('uploads a form without a key field')
    return [as('s3:PutObject', object(field[1]))]
  }
  throw new CallError(`is S3 ${call.method} ${call.path}?${call.query || ''}, which the role check does not know`)
}

function requestsOf(call) {
  if (call.service === 's3') return s3Requests(call)
  const body = call.body ? JSON.parse(call.body) : {}
  if (call.service === 'dynamodb') return dynamodbRequests((call.target || '').split('.').pop(), body)
  if (call.service === 'ses') return sesRequests(call, body)
  if (call.service === 'secretsmanager') return secretsRequests(call.function, (call.target || '').split('.').pop(), body)
  if (call.service === 'sqs') return sqsRequests(call.function, (call.target || '').split('.').pop(), body)
  throw new CallError(`is to ${call.service}, which the role check does not know`)
}

// ------------------------------------------------------------------ evaluation

// The condition keys a function's policies test: the only ones that can change its answer.
function conditionKeysOf(fn) {
  const keys = new Set()
  for (const policy of deployment.functions[fn].policies) {
    for (const statement of [policy.document.Statement].flat()) {
      for (const operands of Object.values(statement.Condition || {})) {
        Object.keys(operands).forEach((key) => keys.add(key))
      }
    }
  }
  return keys
}

async function evaluate(fn, req) {
  const relevant = conditionKeysOf(fn)
  const context = Object.fromEntries(Object.entries(req.context).filter(([key]) => relevant.has(key)))
  const response = await runSimulation(
    {
      identityPolicies: deployment.functions[fn].policies.map((p) => ({ name: p.name, policy: p.document })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        action: req.action,
        principal: deployment.functions[fn].role,
        resource: { resource: req.resource, accountId: account },
        contextVariables: context,
      },
    },
    {},
  )
  if (response.resultType === 'error') {
    return { allowed: false, why: `the simulator refused the request: ${JSON.stringify(response.errors)}` }
  }
  const allows = response.result?.analysis?.identityAnalysis?.allowStatements || []
  return {
    allowed: response.overallResult === 'Allowed',
    why: response.overallResult,
    statements: allows.map((s) => `${s.policyId}#${s.explain.identifier}`),
  }
}

// ------------------------------------------------------------------ the run

const calls = []
for (const path of logPaths) {
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim()) calls.push(JSON.parse(line))
  }
}

const problems = []
const denials = new Map() // function + action + resource → first denied request, and how many
const seen = new Map() // function + request → verdict
const used = new Map() // function → Set of "policy#statement action resource"
const counts = { calls: calls.length, unnamed: 0, checked: 0, requests: 0 }
const byFunction = new Map()

for (const call of calls) {
  if (!call.function) {
    counts.unnamed += 1
    continue
  }
  const fn = call.function
  const what = `${call.service} ${(call.target || `${call.method} ${call.path}`).split('.').pop()}`
  if (!deployment.functions[fn]) {
    problems.push(`${fn}: made ${what}, but the template has no function ${fn}`)
    continue
  }
  counts.checked += 1
  byFunction.set(fn, (byFunction.get(fn) || 0) + 1)
  let requests
  try {
    requests = requestsOf(call)
  } catch (error) {
    if (!(error instanceof CallError) && !(error instanceof Error)) throw error
    const text = `${fn}: the call ${what} ${error.message}`
    if (!problems.some((known) => known.startsWith(text))) problems.push(`${text}\n    request: ${call.body.slice(0, 400)}`)
    continue
  }
  for (const req of requests) {
    counts.requests += 1
    const relevant = conditionKeysOf(fn)
    const context = Object.fromEntries(Object.entries(req.context).filter(([key]) => relevant.has(key)))
    const key = JSON.stringify([fn, req.action, req.resource, context])
    let verdict = seen.get(key)
    if (!verdict) {
      verdict = await evaluate(fn, req)
      seen.set(key, verdict)
      if (!verdict.allowed) {
        const denial = `${fn} ${req.action} ${req.resource}`
        const known = denials.get(denial)
        if (known) {
          known.count += 1
        } else {
          denials.set(denial, {
            count: 1,
            text:
              `${fn}: ${req.action} on ${req.resource} is denied (${verdict.why}) by its role ${deployment.functions[fn].logicalId}Role\n` +
              `    in the call: ${what}\n` +
              `    context IAM evaluates: ${JSON.stringify(req.context)}\n` +
              `    the role has no statement allowing ${req.action} on ${req.resource} under that context`,
          })
        }
      }
    }
    if (verdict.allowed) {
      const marks = used.get(fn) || new Set()
      for (const statement of verdict.statements) marks.add(`${statement} ${req.action} ${req.resource}`)
      used.set(fn, marks)
    }
  }
}

// Every action × resource an inline statement grants that no recorded call used.
function globMatches(pattern, value) {
  const regex = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`)
  return regex.test(value)
}

// A statement the template keeps though no test reaches it says so in its Sid, with its reason
// in the comment above it (the manifest's `Grant::untested`).
const UNTESTED_SID = 'KeptUntested'
const unused = []
const kept = []
for (const [fn, spec] of Object.entries(deployment.functions)) {
  const marks = [...(used.get(fn) || [])].map((mark) => mark.split(' '))
  for (const policy of spec.policies) {
    if (!policy.name.startsWith(spec.logicalId)) continue // AWS managed: not ours to trim
    ;[policy.document.Statement].flat().forEach((statement, index) => {
      const id = `${policy.name}#${index + 1}`
      for (const action of [statement.Action].flat()) {
        for (const resource of [statement.Resource].flat()) {
          const hit = marks.some(([statementId, usedAction, usedResource]) =>
            statementId === id && globMatches(action, usedAction) && globMatches(resource, usedResource),
          )
          if (hit) continue
          const line = `${fn}: ${action} on ${resource} (${id})`
          if (statement.Sid === UNTESTED_SID) kept.push(line)
          else unused.push(line)
        }
      }
    })
  }
}

console.log(
  `role check: ${counts.checked} calls of ${byFunction.size} functions (${counts.requests} IAM requests, ` +
    `${seen.size} distinct) against template.yaml; ${counts.unnamed} calls of the tests' own set-up not held to a role`,
)
if (leastPrivilege && kept.length > 0) {
  console.log(`granted, used by no recorded call, kept for the reason template.yaml gives (${kept.length}):`)
  kept.forEach((line) => console.log(`  ${line}`))
}
if (leastPrivilege && unused.length > 0) {
  console.log(`granted but used by no recorded call (${unused.length}):`)
  unused.forEach((line) => console.log(`  ${line}`))
  problems.push(
    `${unused.length} granted action(s) no recorded call used: remove them, add the test that makes the call, ` +
      `or keep them with their reason (Grant::untested in the route or worker table, then make gen)`,
  )
}
for (const { count, text } of denials.values()) {
  problems.push(count > 1 ? `${text}\n    (and ${count - 1} more requests like it)` : text)
}
if (problems.length > 0) {
  console.error(`\nrole check FAILED: ${problems.length} problem(s)`)
  problems.forEach((line) => console.error(`- ${line}`))
  process.exit(1)
}
console.log('role check: every recorded call is allowed by its function\'s role')
