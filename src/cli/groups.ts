/**
 * `gregor groups`: Kafka's kafka-consumer-groups over the wire, with its flags and its output, for
 * classic and KIP-848 consumer groups alike (src/client/group-admin.ts).
 *
 *   gregor groups --bootstrap-server HOST:PORT --list [--state [S,...]] [--type [T,...]]
 *   gregor groups --bootstrap-server HOST:PORT --describe (--group G... | --all-groups)
 *                 [--offsets | --members [--verbose] | --state] [--format json]
 *   gregor groups --bootstrap-server HOST:PORT --reset-offsets (--group G... | --all-groups)
 *                 (--topic T[:P,...]... | --all-topics)
 *                 (--to-earliest | --to-latest | --to-offset N | --to-datetime T | --shift-by N | --to-current)
 *                 [--dry-run | --execute]
 *   gregor groups --bootstrap-server HOST:PORT --delete (--group G... | --all-groups)
 *
 * Output follows ConsumerGroupCommand: --describe prints, per group, the columns GROUP TOPIC
 * PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID ("-" where a value is
 * missing), with "Consumer group 'G' has no active members." / "Warning: Consumer group 'G' is
 * rebalancing." on stderr; --reset-offsets prints GROUP TOPIC PARTITION NEW-OFFSET and commits only
 * with --execute (a dry run otherwise, with Kafka's warning when neither flag is given), and only
 * while the group has no members; --delete prints "Deletion of requested consumer groups ('G') was
 * successful.". --to-datetime takes Kafka's format, YYYY-MM-DDTHH:mm:SS.sss with an optional zone
 * (Z, +HH:mm); without one it is UTC, as Kafka's Utils.getDateTime reads it.
 *
 * Exit codes: 0 on success; 1 when the broker cannot be reached (with the address and reason), a
 * group does not exist or cannot be reset or deleted; 2 for usage mistakes (the usage is printed).
 */
import { GroupAdmin, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, tpKey, type GroupDescription } from '../client/group-admin.js';
import type { TopicPartition } from '../client/group.js';
import { KafkaProtocolError } from '../client/errors.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import { checkBootstrap, describeError, flagsOnlyWith, intValue, loadProperties, outputFormat, parseToolFlags, pickAction, toJson } from './tool-support.js';
import { UsageError } from './usage.js';
import { PROCESS_IO, type CliIo } from './io.js';
import { mustGet, present } from '../util/must-get.js';

const USAGE = `Usage: gregor groups --bootstrap-server HOST:PORT ACTION [options]

List, describe, reset the offsets of, and delete consumer groups (the flags and output of Kafka's
kafka-consumer-groups), classic and KIP-848 consumer groups alike.

Actions, exactly one:
  --list                        list the groups (with --state / --type: filter and show them)
  --describe                    describe groups: offsets and lag per partition (default), --members or --state
  --reset-offsets               reset committed offsets of inactive groups (dry run unless --execute)
  --delete                      delete groups with their committed offsets

Options:
  --bootstrap-server HOST:PORT  REQUIRED: the broker(s) to connect to
  --group GROUP                 the group (repeatable)
  --all-groups                  every group
  --offsets                     with --describe: offsets and lag per partition (the default)
  --members                     with --describe: the members
  --verbose                     with --describe --members: each member's partitions
  --state [STATES]              with --describe: group state, coordinator, assignor, members;
                                with --list: show states, filtered by the given comma-separated states
  --type [TYPES]                with --list: show types, filtered by the given types (classic, consumer)
  --topic TOPIC[:P,P...]        with --reset-offsets: a topic, or some of its partitions (repeatable)
  --all-topics                  with --reset-offsets: every topic the group has offsets for
  --to-earliest                 reset to the earliest offset
  --to-latest                   reset to the latest offset
  --to-offset N                 reset to offset N (kept within the partition's offsets)
  --to-datetime DATETIME        reset to the first offset at or after YYYY-MM-DDTHH:mm:SS.sss[zone]
  --shift-by N                  move the committed offsets by N (may be negative)
  --to-current                  reset to the current committed offsets
  --dry-run                     show the new offsets only (the default)
  --execute                     commit the new offsets
  --timeout MS                  how long to keep trying to reach the broker (default 5000)
  --command-config FILE         client properties: client.id, request.timeout.ms
  --format text|json            with --describe: text (as Kafka) or json, one object per group with
                                its state, members and offsets
  -h, --help                    show this help
`;

const ACTIONS = ['list', 'describe', 'reset-offsets', 'delete'] as const;
type Action = (typeof ACTIONS)[number];
const RESET_SPECS = ['to-earliest', 'to-latest', 'to-offset', 'to-datetime', 'shift-by', 'to-current'] as const;
const MISSING = '-';

/** A failure reported as "Error: ..." with exit code 1. */
class CommandError extends Error {}

interface Output {
  out: string[];
  err: string[];
}

export async function runGroups(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  if (argv.length === 0) throw new UsageError('List all consumer groups, describe a consumer group, delete consumer group info, or reset consumer group offsets.', USAGE);
  // --shift-by and --to-offset may take a negative number, which parseArgs would read as a flag.
  const args = [...argv];
  for (let i = 0; i + 1 < args.length; i++) {
    if ((args[i] === '--shift-by' || args[i] === '--to-offset') && /^-\d/.test(args[i + 1])) args.splice(i, 2, `${args[i]}=${args[i + 1]}`);
  }
  const { values } = parseToolFlags(
    args,
    {
      'bootstrap-server': { type: 'string' },
      'command-config': { type: 'string' },
      list: { type: 'boolean' },
      describe: { type: 'boolean' },
      'reset-offsets': { type: 'boolean' },
      delete: { type: 'boolean' },
      group: { type: 'string', multiple: true },
      'all-groups': { type: 'boolean' },
      offsets: { type: 'boolean' },
      members: { type: 'boolean' },
      verbose: { type: 'boolean' },
      state: { type: 'string' },
      type: { type: 'string' },
      topic: { type: 'string', multiple: true },
      'all-topics': { type: 'boolean' },
      'to-earliest': { type: 'boolean' },
      'to-latest': { type: 'boolean' },
      'to-offset': { type: 'string' },
      'to-datetime': { type: 'string' },
      'shift-by': { type: 'string' },
      'to-current': { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      execute: { type: 'boolean' },
      timeout: { type: 'string' },
      format: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    USAGE,
    // A bare --state / --type lists every state or type.
    { optionalValue: { state: '', type: '' } },
  );
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const action: Action = pickAction(values, ACTIONS, 'Command must include exactly one action: --list, --describe, --delete, --reset-offsets', USAGE);
  const bootstrap = checkBootstrap(values['bootstrap-server'], USAGE);
  const groups = values.group ?? [];
  const allGroups = Boolean(values['all-groups']);
  if (action !== 'list') {
    if (groups.length === 0 && !allGroups) throw new UsageError(`Option --${action} takes one of these options: --all-groups, --group`, USAGE);
    if (groups.length > 0 && allGroups) throw new UsageError('Option --all-groups cannot be used with --group', USAGE);
  } else if (groups.length > 0 || allGroups) {
    throw new UsageError('Option --list does not take --group or --all-groups', USAGE);
  }
  const only = flagsOnlyWith(values, action, USAGE, 'Option ');
  only('offsets', ['describe']);
  only('members', ['describe']);
  only('verbose', ['describe']);
  only('state', ['describe', 'list']);
  only('type', ['list']);
  only('topic', ['reset-offsets']);
  only('all-topics', ['reset-offsets']);
  for (const s of RESET_SPECS) only(s, ['reset-offsets']);
  only('dry-run', ['reset-offsets']);
  only('execute', ['reset-offsets']);
  const describeModes = (['offsets', 'members', 'state'] as const).filter((m) => values[m] !== undefined);
  if (action === 'describe' && describeModes.length > 1) throw new UsageError('Option --describe takes at most one of these options: --members, --offsets, --state', USAGE);
  if (values.verbose && !values.members) throw new UsageError('Option --verbose can only be used with --describe --members', USAGE);
  if (action === 'describe' && values.state !== undefined && values.state !== '') throw new UsageError('Option --describe --state takes no value', USAGE);

  const format = outputFormat(values.format, USAGE);
  if (format === 'json' && action !== 'describe') throw new UsageError('Option --format json can only be used with --describe', USAGE);

  let reset: ResetSpec | undefined;
  if (action === 'reset-offsets') {
    const specs = RESET_SPECS.filter((s) => values[s] !== undefined);
    if (specs.length !== 1) {
      throw new UsageError('Option --reset-offsets takes exactly one of these options: --to-datetime, --to-earliest, --to-latest, --to-offset, --shift-by, --to-current', USAGE);
    }
    if (values['dry-run'] && values.execute) throw new UsageError('Option --reset-offsets takes only one of these options: --dry-run, --execute', USAGE);
    const topics = values.topic ?? [];
    if (topics.length === 0 && !values['all-topics']) throw new UsageError('Option --reset-offsets takes one of these options: --all-topics, --topic', USAGE);
    if (topics.length > 0 && values['all-topics']) throw new UsageError('Option --all-topics cannot be used with --topic', USAGE);
    reset = { kind: specs[0], topics: topics.map(parseTopicArg), allTopics: Boolean(values['all-topics']), value: 0n };
    if (reset.kind === 'to-offset') reset.value = bigIntFlag('--to-offset', present(values['to-offset'], '--to-offset'), 0n);
    if (reset.kind === 'shift-by') reset.value = bigIntFlag('--shift-by', present(values['shift-by'], '--shift-by'), null);
    if (reset.kind === 'to-datetime') reset.value = BigInt(parseDateTime(present(values['to-datetime'], '--to-datetime')));
  }

  const props = await loadProperties(values['command-config'], USAGE);
  const timeoutMs = intValue('--timeout', values.timeout, USAGE, 1) ?? 5000;
  const requestTimeout = intValue('request.timeout.ms', props.get('request.timeout.ms'), USAGE, 1);
  const admin = new GroupAdmin({
    bootstrapServers: bootstrap,
    clientId: props.get('client.id') ?? 'adminclient-1',
    retryTimeoutMs: timeoutMs,
    connectTimeoutMs: Math.min(timeoutMs, 10_000),
    ...(requestTimeout !== undefined ? { requestTimeoutMs: requestTimeout } : {}),
  });
  const o: Output = { out: [], err: [] };
  let code = 0;
  try {
    const targets = allGroups ? (await admin.listGroups()).map((g) => g.groupId) : groups;
    switch (action) {
      case 'list':
        await list(admin, values.state, values.type, o);
        break;
      case 'describe':
        if (format === 'json') {
          const docs: unknown[] = [];
          for (const g of targets) code = Math.max(code, await describeJson(admin, g, o, docs));
          o.out.push(`${toJson(docs)}\n`);
          break;
        }
        for (const g of targets) {
          const mode = values.members ? 'members' : values.state !== undefined ? 'state' : 'offsets';
          code = Math.max(code, await describe(admin, g, mode, Boolean(values.verbose), o));
        }
        break;
      case 'reset-offsets': {
        if (!values['dry-run'] && !values.execute) {
          o.err.push(
            'WARN: No action will be performed as the --execute option is missing. In a future major release, the default behavior of this command will be to prompt the user before executing the reset rather than doing a dry run. You should add the --dry-run option explicitly if you are scripting this command and want to keep the current default behavior without prompting.\n',
          );
        }
        code = await resetOffsets(admin, targets, present(reset, 'reset specification'), Boolean(values.execute), o);
        break;
      }
      case 'delete':
        code = await deleteGroups(admin, targets, o);
        break;
    }
  } catch (err) {
    if (err instanceof CommandError) o.err.push(`\nError: ${err.message}\n`);
    else o.err.push(`\nError: Executing consumer group command failed due to ${describeError(err)}\n`);
    code = 1;
  } finally {
    await admin.close();
    io.stdout.write(o.out.join(''));
    io.stderr.write(o.err.join(''));
  }
  return code;
}

// -------------------------------------------------------------------------------------------------
// --list

async function list(admin: GroupAdmin, state: string | undefined, type: string | undefined, o: Output): Promise<void> {
  const states = splitList(state);
  const types = splitList(type);
  const groups = await admin.listGroups({ states, types });
  if (state === undefined && type === undefined) {
    for (const g of groups) o.out.push(`${g.groupId}\n`);
    return;
  }
  const width = Math.max(15, ...groups.map((g) => g.groupId.length)) + 10;
  const columns = (id: string, t: string, s: string) => [id.padEnd(width), ...(type !== undefined ? [t.padEnd(20)] : []), ...(state !== undefined ? [s.padEnd(20)] : [])].join(' ');
  o.out.push(`${columns('GROUP', 'TYPE', 'STATE')}\n`);
  for (const g of groups) o.out.push(`${columns(g.groupId, g.type || 'unknown', g.state || 'Unknown')}\n`);
}

function splitList(v: string | undefined): string[] {
  return v === undefined ? [] : v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

// -------------------------------------------------------------------------------------------------
// --describe

interface Row {
  topic: string | null;
  partition: number | null;
  offset: bigint | null;
  logEndOffset: bigint | null;
  consumerId: string | null;
  host: string | null;
  clientId: string | null;
}

async function describe(admin: GroupAdmin, groupId: string, mode: 'offsets' | 'members' | 'state', verbose: boolean, o: Output): Promise<number> {
  const d = await admin.describeGroup(groupId);
  if (d.state === 'Dead') {
    o.err.push(`\nError: Consumer group '${groupId}' does not exist.\n`);
    return 1;
  }
  if (mode === 'state') {
    const node = await admin.client.findCoordinator(groupId);
    const coordinator = `${node.host}:${node.port}  (${node.nodeId})`;
    const w = Math.max(15, groupId.length);
    const fmt = (a: string, b: string, c: string, s: string, n: string) => `\n${a.padEnd(w)} ${b.padEnd(25)} ${c.padEnd(20)} ${s.padEnd(15)} ${n}`;
    o.out.push(fmt('GROUP', 'COORDINATOR (ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS'));
    o.out.push(fmt(groupId, coordinator, d.protocol, d.state, String(d.members.length)), '\n');
    return 0;
  }
  printState(d, o);
  if (mode === 'members') {
    describeMembers(d, verbose, o);
    return 0;
  }
  const rows = await offsetRows(admin, d);
  if (rows.length === 0) return 0;
  printOffsets(groupId, rows, o);
  return 0;
}

/**
 * --describe --format json: one object per group with everything the text modes show (state,
 * coordinator, members with their partitions, offsets with lag); lag is null where the text shows "-".
 */
async function describeJson(admin: GroupAdmin, groupId: string, o: Output, docs: unknown[]): Promise<number> {
  const d = await admin.describeGroup(groupId);
  if (d.state === 'Dead') {
    o.err.push(`\nError: Consumer group '${groupId}' does not exist.\n`);
    return 1;
  }
  const node = await admin.client.findCoordinator(groupId);
  const rows = await offsetRows(admin, d);
  docs.push({
    group: groupId,
    type: d.type,
    state: d.state,
    protocolType: d.protocolType,
    assignmentStrategy: d.protocol,
    coordinator: { id: node.nodeId, host: node.host, port: node.port },
    members: d.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      host: m.host,
      assignment: [...m.assignment].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition)).map((tp) => ({ topic: tp.topic, partition: tp.partition })),
    })),
    offsets: rows
      .filter((r) => r.topic !== null)
      .map((r) => ({
        topic: r.topic,
        partition: r.partition,
        currentOffset: r.offset,
        logEndOffset: r.logEndOffset,
        lag: r.offset !== null && r.logEndOffset !== null ? r.logEndOffset - r.offset : null,
        consumerId: r.consumerId,
        host: r.host,
        clientId: r.clientId,
      })),
  });
  return 0;
}

/** The rows of --describe --offsets: assigned and committed partitions with log end offsets, then idle members. */
async function offsetRows(admin: GroupAdmin, d: GroupDescription): Promise<Row[]> {
  const groupId = d.groupId;
  const committed = await admin.listGroupOffsets(groupId);
  const offsets = new Map(committed.map((c) => [tpKey(c.topic, c.partition), c.offset]));
  const rows: Row[] = [];
  const assigned = new Set<string>();
  for (const m of d.members) {
    for (const tp of m.assignment) {
      assigned.add(tpKey(tp.topic, tp.partition));
      rows.push({ topic: tp.topic, partition: tp.partition, offset: offsets.get(tpKey(tp.topic, tp.partition)) ?? null, logEndOffset: null, consumerId: m.memberId, host: m.host, clientId: m.clientId });
    }
  }
  for (const c of committed) {
    if (!assigned.has(tpKey(c.topic, c.partition))) {
      rows.push({ topic: c.topic, partition: c.partition, offset: c.offset, logEndOffset: null, consumerId: null, host: null, clientId: null });
    }
  }
  // Every row so far has a topic and partition (members without an assignment come after).
  rows.sort((a, b) => ((a.topic ?? '') < (b.topic ?? '') ? -1 : (a.topic ?? '') > (b.topic ?? '') ? 1 : (a.partition ?? 0) - (b.partition ?? 0)));
  for (const m of d.members) {
    if (m.assignment.length === 0) rows.push({ topic: null, partition: null, offset: null, logEndOffset: null, consumerId: m.memberId, host: m.host, clientId: m.clientId });
  }
  const withPartition = rows.flatMap((r) => (r.topic !== null && r.partition !== null ? [{ row: r, topic: r.topic, partition: r.partition }] : []));
  const ends = await logEndOffsets(admin, withPartition.map(({ topic, partition }) => ({ topic, partition })));
  for (const { row, topic, partition } of withPartition) row.logEndOffset = ends.get(tpKey(topic, partition)) ?? null;
  return rows;
}

/** Log end offsets of the partitions that still exist (a deleted topic's committed offsets show "-"). */
async function logEndOffsets(admin: GroupAdmin, tps: TopicPartition[]): Promise<Map<string, bigint>> {
  if (tps.length === 0) return new Map();
  const md = await admin.client.metadata([...new Set(tps.map((tp) => tp.topic))]);
  const existing = tps.filter((tp) => md.topics.get(tp.topic)?.errorCode === ErrorCode.None && tp.partition < (md.topics.get(tp.topic)?.partitions.length ?? 0));
  return admin.listOffsets(existing, LATEST_TIMESTAMP);
}

/** Kafka's shouldPrintMemberState: the notes on stderr. */
function printState(d: GroupDescription, o: Output): void {
  switch (d.state) {
    case 'Empty':
      o.err.push(`\nConsumer group '${d.groupId}' has no active members.\n`);
      break;
    case 'PreparingRebalance':
    case 'CompletingRebalance':
    case 'Assigning':
    case 'Reconciling':
      o.err.push(`\nWarning: Consumer group '${d.groupId}' is rebalancing.\n`);
      break;
    default:
      break;
  }
}

function printOffsets(groupId: string, rows: Row[], o: Output): void {
  const g = Math.max(15, groupId.length);
  const t = Math.max(15, ...rows.map((r) => (r.topic ?? MISSING).length));
  const c = Math.max(15, ...rows.map((r) => (r.consumerId ?? MISSING).length));
  const h = Math.max(15, ...rows.map((r) => (r.host ?? MISSING).length));
  const line = (cols: string[]) =>
    `\n${cols[0].padEnd(g)} ${cols[1].padEnd(t)} ${cols[2].padEnd(10)} ${cols[3].padEnd(15)} ${cols[4].padEnd(15)} ${cols[5].padEnd(15)} ${cols[6].padEnd(c)} ${cols[7].padEnd(h)} ${cols[8]}`;
  o.out.push(line(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID']));
  for (const r of rows) {
    const lag = r.offset !== null && r.logEndOffset !== null ? String(r.logEndOffset - r.offset) : MISSING;
    o.out.push(
      line([
        groupId,
        r.topic ?? MISSING,
        r.partition === null ? MISSING : String(r.partition),
        r.offset === null ? MISSING : String(r.offset),
        r.logEndOffset === null ? MISSING : String(r.logEndOffset),
        lag,
        r.consumerId ?? MISSING,
        r.host ?? MISSING,
        r.clientId ?? MISSING,
      ]),
    );
  }
  o.out.push('\n');
}

function describeMembers(d: GroupDescription, verbose: boolean, o: Output): void {
  if (d.members.length === 0) return;
  const g = Math.max(15, d.groupId.length);
  const c = Math.max(15, ...d.members.map((m) => m.memberId.length));
  const i = Math.max(17, ...d.members.map((m) => (m.groupInstanceId ?? MISSING).length));
  const h = Math.max(15, ...d.members.map((m) => m.host.length));
  const k = Math.max(15, ...d.members.map((m) => m.clientId.length));
  const line = (cols: string[]) =>
    `\n${cols[0].padEnd(g)} ${cols[1].padEnd(c)} ${cols[2].padEnd(i)} ${cols[3].padEnd(h)} ${cols[4].padEnd(k)} ${cols[5].padEnd(15)} ${verbose ? cols[6] : ''}`;
  o.out.push(line(['GROUP', 'CONSUMER-ID', 'GROUP-INSTANCE-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', 'ASSIGNMENT']));
  for (const m of d.members) {
    o.out.push(line([d.groupId, m.memberId, m.groupInstanceId ?? MISSING, m.host, m.clientId, String(m.assignment.length), formatAssignment(m.assignment)]));
  }
  o.out.push('\n');
}

/** Kafka's member assignment column: topic(p,p),topic(p). */
function formatAssignment(tps: TopicPartition[]): string {
  if (tps.length === 0) return MISSING;
  const byTopic = new Map<string, number[]>();
  for (const tp of tps) {
    let l = byTopic.get(tp.topic);
    if (!l) byTopic.set(tp.topic, (l = []));
    l.push(tp.partition);
  }
  return [...byTopic]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([t, ps]) => `${t}(${ps.sort((x, y) => x - y).join(',')})`)
    .join(',');
}

// -------------------------------------------------------------------------------------------------
// --reset-offsets

interface ResetSpec {
  kind: (typeof RESET_SPECS)[number];
  topics: { topic: string; partitions: number[] | null }[];
  allTopics: boolean;
  /** --to-offset N, --shift-by N, or --to-datetime in ms. */
  value: bigint;
}

function parseTopicArg(arg: string): { topic: string; partitions: number[] | null } {
  const i = arg.lastIndexOf(':');
  if (i < 0) return { topic: arg, partitions: null };
  const partitions = arg
    .slice(i + 1)
    .split(',')
    .map((p) => p.trim());
  if (partitions.some((p) => !/^\d+$/.test(p))) throw new UsageError(`--topic takes TOPIC or TOPIC:PARTITION,PARTITION, got '${arg}'`, USAGE);
  return { topic: arg.slice(0, i), partitions: partitions.map(Number) };
}

function bigIntFlag(name: string, value: string, min: bigint | null): bigint {
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`${name} takes an integer, got '${value}'`, USAGE);
  const n = BigInt(value.trim());
  if (min !== null && n < min) throw new UsageError(`${name} takes an integer of at least ${min}, got '${value}'`, USAGE);
  return n;
}

/** Kafka's Utils.getDateTime: yyyy-MM-dd'T'HH:mm:ss[.SSS] with an optional zone; UTC without one. */
export function parseDateTime(value: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})?$/.exec(value.trim());
  const ms = m ? Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${(m.at(7) ?? '.000').padEnd(4, '0')}${normalizeZone(m[8])}`) : NaN;
  if (Number.isNaN(ms)) {
    throw new UsageError(`Error parsing timestamp '${value}': it is not in the format YYYY-MM-DDTHH:mm:SS.sss with an optional zone (Z, +HH:mm)`, USAGE);
  }
  return ms;
}

function normalizeZone(zone: string | undefined): string {
  if (zone === undefined || zone === 'Z') return 'Z';
  return zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
}

async function resetOffsets(admin: GroupAdmin, groupIds: readonly string[], spec: ResetSpec, execute: boolean, o: Output): Promise<number> {
  let code = 0;
  const results: { groupId: string; offsets: { topic: string; partition: number; offset: bigint }[] }[] = [];
  for (const groupId of groupIds) {
    const d = await admin.describeGroup(groupId);
    if (d.state !== 'Empty' && d.state !== 'Dead') {
      o.err.push(`\nError: Assignments can only be reset if the group '${groupId}' is inactive, but the current state is ${d.state}.\n`);
      code = 1;
      continue;
    }
    const committed = await admin.listGroupOffsets(groupId);
    const current = new Map(committed.map((c) => [tpKey(c.topic, c.partition), c.offset]));
    let partitions: TopicPartition[];
    if (spec.allTopics) {
      partitions = committed.map((c) => ({ topic: c.topic, partition: c.partition }));
    } else {
      const md = await admin.client.metadata(spec.topics.map((t) => t.topic));
      partitions = [];
      for (const t of spec.topics) {
        const topic = md.topics.get(t.topic);
        if (!topic || topic.errorCode !== ErrorCode.None) throw new CommandError(`The topic '${t.topic}' does not exist.`);
        const count = topic.partitions.length;
        for (const p of t.partitions ?? Array.from({ length: count }, (_, i) => i)) {
          if (p >= count) throw new CommandError(`The partition ${t.topic}-${p} does not exist.`);
          partitions.push({ topic: t.topic, partition: p });
        }
      }
    }
    const offsets = await newOffsets(admin, partitions, current, spec, o);
    if (execute) await admin.alterGroupOffsets(groupId, offsets);
    results.push({ groupId, offsets });
  }
  if (results.some((r) => r.offsets.length > 0)) {
    const fmt = (a: string, b: string, c: string, d: string) => `${a.padEnd(30)} ${b.padEnd(30)} ${c.padEnd(10)} ${d.padEnd(15)}\n`;
    o.out.push(`\n${fmt('GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET')}`);
    for (const r of results) for (const x of r.offsets) o.out.push(fmt(r.groupId, x.topic, String(x.partition), String(x.offset)));
    o.out.push('\n');
  }
  return code;
}

async function newOffsets(
  admin: GroupAdmin,
  partitions: TopicPartition[],
  current: ReadonlyMap<string, bigint>,
  spec: ResetSpec,
  o: Output,
): Promise<{ topic: string; partition: number; offset: bigint }[]> {
  if (partitions.length === 0) return [];
  const [earliest, latest] = await Promise.all([admin.listOffsets(partitions, EARLIEST_TIMESTAMP), admin.listOffsets(partitions, LATEST_TIMESTAMP)]);
  const byTime = spec.kind === 'to-datetime' ? await admin.listOffsets(partitions, spec.value) : new Map<string, bigint>();
  const clamp = (tp: TopicPartition, offset: bigint): bigint => {
    const k = tpKey(tp.topic, tp.partition);
    const lo = mustGet(earliest, k);
    const hi = mustGet(latest, k);
    if (offset > hi) {
      o.out.push(`New offset (${offset}) is higher than latest offset for topic partition ${tp.topic}-${tp.partition}. Value will be set to ${hi}\n`);
      return hi;
    }
    if (offset < lo) {
      o.out.push(`New offset (${offset}) is lower than earliest offset for topic partition ${tp.topic}-${tp.partition}. Value will be set to ${lo}\n`);
      return lo;
    }
    return offset;
  };
  return partitions.map((tp) => {
    const k = tpKey(tp.topic, tp.partition);
    let offset: bigint;
    switch (spec.kind) {
      case 'to-earliest':
        offset = mustGet(earliest, k);
        break;
      case 'to-latest':
        offset = mustGet(latest, k);
        break;
      case 'to-offset':
        offset = clamp(tp, spec.value);
        break;
      case 'shift-by':
        offset = clamp(tp, (current.get(k) ?? mustGet(latest, k)) + spec.value);
        break;
      case 'to-current':
        offset = current.get(k) ?? mustGet(latest, k);
        break;
      case 'to-datetime': {
        const t = byTime.get(k) ?? -1n;
        offset = t < 0n ? mustGet(latest, k) : t;
        break;
      }
    }
    return { topic: tp.topic, partition: tp.partition, offset };
  });
}

// -------------------------------------------------------------------------------------------------
// --delete

async function deleteGroups(admin: GroupAdmin, groupIds: readonly string[], o: Output): Promise<number> {
  const results = await admin.deleteGroups(groupIds);
  const ok = [...results].filter(([, c]) => c === ErrorCode.None).map(([g]) => g);
  const failed = [...results].filter(([, c]) => c !== ErrorCode.None);
  if (failed.length === 0) {
    o.out.push(`Deletion of requested consumer groups (${ok.map((g) => `'${g}'`).join(', ')}) was successful.\n`);
    return 0;
  }
  o.err.push('\nError: Deletion of some consumer groups failed:\n');
  for (const [g, c] of failed) {
    const e = new KafkaProtocolError(c);
    o.out.push(`* Group '${g}' could not be deleted due to: ${e.errorName}: ${e.message}\n`);
  }
  if (ok.length > 0) o.out.push(`\nThese consumer groups were deleted successfully: ${ok.map((g) => `'${g}'`).join(', ')}\n`);
  return 1;
}
