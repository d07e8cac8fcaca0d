/** The loopback etcd the cluster tests start (src/cluster/etcd-process.ts). */
export { EtcdProcess as EtcdServer } from '../../src/cluster/etcd-process.js';
