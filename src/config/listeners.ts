/**
 * Listeners: parsing `listeners`, `advertised.listeners` and `listener.security.protocol.map` into
 * endpoints with Kafka's checks and messages, and the `--host`/`--port` shorthands that move the
 * client listener. Kept apart from resolution because the same rules serve the start-up check, the
 * dynamic re-resolution after AlterConfigs and the command line.
 */
import { ConfigException, parseCsvList } from './config-def.js';
import { SECURITY_PROTOCOLS } from './broker-config-defs.js';

/** A parsed listener address. */
export interface Endpoint {
  /** Listener name, upper case (PLAINTEXT, CONTROLLER, ...). */
  name: string;
  /** Host or IP; empty = all interfaces (listeners) / the machine's host name (advertised). */
  host: string;
  port: number;
  securityProtocol: string;
}

/** Parses `NAME:PROTOCOL,...` (Kafka's Csv.parseCsvMap); throws with Kafka's message. */
export function parseListenerSecurityProtocolMap(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  const trimmed = value.trim();
  if (trimmed.length === 0) return out;
  for (const pair of trimmed.split(/\s*,\s*/)) {
    const parts = pair.split(/\s*:\s*/);
    if (parts.length !== 2 || parts[0].length === 0) {
      throw new ConfigException(`Error parsing configuration property 'listener.security.protocol.map': '${pair}' is not a NAME:PROTOCOL pair`);
    }
    const protocol = parts[1].toUpperCase();
    if (!SECURITY_PROTOCOLS.includes(protocol)) {
      throw new ConfigException(`Invalid security protocol \`${parts[1]}\` defined in listener.security.protocol.map`);
    }
    out[parts[0].toUpperCase()] = protocol;
  }
  return out;
}

const ENDPOINT = /^(.*):\/\/\[?([0-9a-zA-Z\-%._:]*)\]?:(-?[0-9]+)$/;

function formatEndpoint(name: string, host: string, port: number): string {
  return `${name}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * What the shorthands read of a resolved configuration; a ResolvedBrokerConfig fits it. Naming only
 * this keeps listeners.ts from importing broker-config.ts back, which parses listeners with it.
 */
export interface ListenerShorthandInput {
  readonly config: { readonly listeners: readonly Endpoint[]; readonly controllerListenerNames: readonly string[] };
  readonly entries: ReadonlyMap<string, { readonly value: string | null; readonly origin: string }>;
}

/**
 * The flags that move the client listener (the first that is not a controller's) to `host` and
 * `port` (either kept as configured when undefined): the `--host`/`--port` shorthands of
 * `gregor start` and Broker.start. Other listeners stay as configured, and an advertised.listeners
 * set in a file or the environment gets the new port for that listener, so clients are told the
 * port actually served; one given as a flag is left alone.
 */
export function listenerShorthandFlags(resolved: ListenerShorthandInput, newHost: string | undefined, newPort: number | undefined): Record<string, string> {
  const { config } = resolved;
  const client = config.listeners.find((l) => !config.controllerListenerNames.includes(l.name));
  const host = newHost ?? client?.host ?? '';
  const port = newPort ?? client?.port ?? 9092;
  if (client === undefined) return { listeners: formatEndpoint('PLAINTEXT', host, port) };
  const flags: Record<string, string> = {
    listeners: config.listeners.map((l) => (l === client ? formatEndpoint(l.name, host, port) : formatEndpoint(l.name, l.host, l.port))).join(','),
  };
  // An advertised.listeners given beside the shorthands (a flag) is meant as it is: a proxy, say.
  const entry = resolved.entries.get('advertised.listeners');
  const advertised = entry?.value ?? null;
  if (entry !== undefined && advertised !== null && (entry.origin === 'file' || entry.origin === 'env')) {
    flags['advertised.listeners'] = parseCsvList(advertised)
      .map((item) => {
        const m = ENDPOINT.exec(item);
        return m !== null && m[1].toUpperCase() === client.name ? formatEndpoint(client.name, m[2], port) : item;
      })
      .join(',');
  }
  return flags;
}

/** Parses a listeners value (`NAME://host:port,...`, IPv6 hosts in brackets) into endpoints. */
export function parseListeners(key: string, value: string, protocols: Record<string, string>): Endpoint[] {
  const endpoints: Endpoint[] = [];
  for (const item of parseCsvList(value)) {
    const m = ENDPOINT.exec(item);
    if (m === null) throw new ConfigException(key, value, `Unable to parse ${item} to a broker endpoint`);
    const name = m[1].toUpperCase();
    const port = Number(m[3]);
    if (port < 0 || port > 65535) throw new ConfigException(key, value, `Port ${port} of listener ${name} is not in [0, 65535]`);
    const securityProtocol = protocols[name] as string | undefined;
    if (securityProtocol === undefined) throw new ConfigException(key, value, `No security protocol defined for listener ${name}`);
    endpoints.push({ name, host: m[2], port, securityProtocol });
  }
  const names = endpoints.map((e) => e.name);
  if (new Set(names).size !== names.length) throw new ConfigException(key, value, `Each listener must have a different name, listeners: ${value}`);
  const ports = endpoints.filter((e) => e.port !== 0).map((e) => `${e.host}|${e.port}`);
  if (new Set(ports).size !== ports.length) throw new ConfigException(key, value, `Each listener must have a different port, listeners: ${value}`);
  return endpoints;
}

/** Kafka's checks of advertised.listeners: routable hosts, names that are listeners. */
export function checkAdvertised(advertised: readonly Endpoint[], listeners: readonly Endpoint[]): void {
  for (const a of advertised) {
    if (a.host === '0.0.0.0' || a.host === '::') {
      throw new ConfigException(`advertised.listeners cannot use the nonroutable meta-address ${a.host}. Use a routable IP address.`);
    }
  }
  const listenerNames = listeners.map((l) => l.name);
  if (listeners.length > 0 && advertised.some((a) => !listenerNames.includes(a.name))) {
    throw new ConfigException(
      `advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. Found ${advertised.map((a) => a.name).join(',')}. The valid options based on the current configuration are ${listenerNames.join(',')}`,
    );
  }
}
