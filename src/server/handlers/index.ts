/**
 * Every API the broker answers, listed explicitly (no registration by import side effects).
 * ApiVersions advertises exactly these, with each handler's declared version range.
 */
import type { Handler } from '../handler.js';
import { apiVersions } from './api-versions.js';
import { alterConfigs } from './alter-configs.js';
import { createPartitions } from './create-partitions.js';
import { createTopics } from './create-topics.js';
import { deleteTopics } from './delete-topics.js';
import { describeCluster } from './describe-cluster.js';
import { describeConfigs } from './describe-configs.js';
import { describeLogDirs } from './describe-log-dirs.js';
import { describeTopicPartitions } from './describe-topic-partitions.js';
import { incrementalAlterConfigs } from './incremental-alter-configs.js';
import { metadata } from './metadata.js';
import { deleteRecords } from './delete-records.js';
import { describeProducers } from './describe-producers.js';
import { fetch } from './fetch.js';
import { listOffsets } from './list-offsets.js';
import { offsetForLeaderEpoch } from './offset-for-leader-epoch.js';
import { produce } from './produce.js';
import { initProducerIdHandler } from './init-producer-id.js';
import { findCoordinator } from './find-coordinator.js';
import { joinGroup } from './join-group.js';
import { syncGroup } from './sync-group.js';
import { heartbeat } from './heartbeat.js';
import { leaveGroup } from './leave-group.js';
import { offsetCommit } from './offset-commit.js';
import { offsetFetch } from './offset-fetch.js';
import { offsetDelete } from './offset-delete.js';
import { deleteGroups } from './delete-groups.js';
import { listGroups } from './list-groups.js';
import { describeGroups } from './describe-groups.js';
import { consumerGroupHeartbeat } from './consumer-group-heartbeat.js';
import { consumerGroupDescribe } from './consumer-group-describe.js';

export const HANDLERS: readonly Handler[] = [
  apiVersions,
  produce,
  initProducerIdHandler,
  metadata,
  createTopics,
  deleteTopics,
  createPartitions,
  describeConfigs,
  alterConfigs,
  incrementalAlterConfigs,
  describeCluster,
  describeLogDirs,
  describeTopicPartitions,
  fetch,
  listOffsets,
  offsetForLeaderEpoch,
  deleteRecords,
  describeProducers,
  findCoordinator,
  joinGroup,
  syncGroup,
  heartbeat,
  leaveGroup,
  offsetCommit,
  offsetFetch,
  offsetDelete,
  deleteGroups,
  listGroups,
  describeGroups,
  consumerGroupHeartbeat,
  consumerGroupDescribe,
];
