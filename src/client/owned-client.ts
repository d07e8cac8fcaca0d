/**
 * The admin clients run over a KafkaClient: one they were given, shared with other users and left
 * open when they close, or one made from options, theirs to close.
 */
import { KafkaClient, type ClientOptions } from './cluster.js';

export abstract class OwnedClient {
  readonly client: KafkaClient;
  private readonly ownsClient: boolean;

  constructor(clientOrOptions: KafkaClient | ClientOptions) {
    this.ownsClient = !(clientOrOptions instanceof KafkaClient);
    this.client = clientOrOptions instanceof KafkaClient ? clientOrOptions : new KafkaClient(clientOrOptions);
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }
}
