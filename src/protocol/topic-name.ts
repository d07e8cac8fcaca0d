/**
 * Kafka's topic name rules: 1 to 249 characters from [a-zA-Z0-9._-], and not "." or "..". Topics
 * whose names differ only by '.' versus '_' collide in metric names, so Kafka refuses to create one
 * when the other exists.
 */
export const MAX_TOPIC_NAME_LENGTH = 249;
const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Why `name` is not a legal topic name, or null when it is. */
export function topicNameProblem(name: string): string | null {
  if (name.length === 0) return 'Topic name is illegal, it can\'t be empty';
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    return `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`;
  }
  if (!LEGAL.test(name)) {
    return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  }
  return null;
}

export function isValidTopicName(name: string): boolean {
  return topicNameProblem(name) === null;
}

/** The name with '.' folded to '_', under which colliding names meet. */
export function unifiedTopicName(name: string): string {
  return name.replace(/\./g, '_');
}

/**
 * Kafka's `Topic.INTERNAL_TOPICS` (Kafka 4): the group, transaction and share-group coordinators'
 * topics. Clients see them flagged isInternal; only Kafka's own admin client may write to them.
 */
const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state', '__share_group_state']);

export function isInternalTopic(name: string): boolean {
  return INTERNAL_TOPICS.has(name);
}

/** Kafka's AdminUtils.ADMIN_CLIENT_ID: the client id allowed to produce to and delete records of internal topics. */
export const ADMIN_CLIENT_ID = '__admin_client';
